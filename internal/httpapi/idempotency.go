package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/rapportlib/rapport/internal/rapport"
)

// staleClaimMargin is added to the request timeout to give how long a request may hold an
// Idempotency-Key before a retry may take it over: longer than any request can run.
const staleClaimMargin = time.Minute

// replayedHeaders are the response headers kept with an answer for replays.
var replayedHeaders = []string{"Content-Type", "Location", "ETag"}

// idempotency makes a POST sent with an Idempotency-Key safe to retry: the first request runs
// and its answer is kept; a retry with the same key and request gets that answer again
// (marked Idempotency-Replayed: true); the same key with another request is 422; a retry while
// the first still runs is 409. Keys are per client and acting user, and kept 24 hours. It runs after the
// validator, so a request refused as invalid does not use its key up. Answers that must not be
// stored (Cache-Control: no-store, such as a new secret) and server failures release the key.
//
// Only the operations that declare the Idempotency-Key header in the spec honour it (the
// validator has checked its length there); elsewhere it is ignored like any unknown header.
// Every other request goes straight on: the check is made here, in Echo, so that they do not
// pay for Echo's wrapping of the net/http part (a response writer and closures each).
func (s *server) idempotency(spec *openapi3.T, requestTimeout time.Duration) echo.MiddlewareFunc {
	honoured := map[string]bool{} // by "METHOD /echo/path/:param"
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			for _, param := range op.Parameters {
				if param.Value != nil && param.Value.In == openapi3.ParameterInHeader && param.Value.Name == "Idempotency-Key" {
					honoured[method+" "+echoPath(path)] = true
				}
			}
		}
	}
	replayable := echo.WrapMiddleware(s.replayable(requestTimeout))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		withKey := replayable(next)
		return func(c echo.Context) error {
			r := c.Request()
			if !honoured[r.Method+" "+c.Path()] || idempotencyKey(r) == "" || rapport.PrincipalFromContext(r.Context()) == nil {
				return next(c)
			}
			return withKey(c)
		}
	}
}

// idempotencyKey is the request's Idempotency-Key, quotes and spaces trimmed ("" when absent).
func idempotencyKey(r *http.Request) string {
	return strings.Trim(strings.TrimSpace(r.Header.Get("Idempotency-Key")), `"`)
}

// replayable is the part of idempotency that runs for a POST with a key and a caller.
func (s *server) replayable(requestTimeout time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			key := idempotencyKey(r)
			p := rapport.PrincipalFromContext(r.Context())
			owner := rapport.IdempotencyOwner{ClientUUID: p.ClientUUID, ActingUser: p.ActingUser}
			body, err := requestBody(r)
			if err != nil {
				writeProblem(s.logger, w, r, err)
				return
			}
			h := sha256.New()
			io.WriteString(h, r.Method+" "+r.URL.RequestURI()+"\n")
			h.Write(body)
			fingerprint := h.Sum(nil)

			ctx := r.Context()
			outcome, stored, err := s.store.ClaimIdempotencyKey(ctx, owner, key, fingerprint, requestTimeout+staleClaimMargin)
			switch {
			case err != nil:
				writeProblem(s.logger, w, r, err)
				return
			case outcome == rapport.ClaimedMismatch:
				writeProblem(s.logger, w, r, rapport.FieldErrorf(rapport.Unprocessable, "#/header/Idempotency-Key",
					"was used for a different request; use a new key for a new request"))
				return
			case outcome == rapport.ClaimedInFlight:
				writeProblem(s.logger, w, r, rapport.Errorf(rapport.Conflict,
					"a request with this Idempotency-Key is still running; retry when it has finished"))
				return
			case outcome == rapport.ClaimedReplay:
				for k, v := range stored.Header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Idempotency-Replayed", "true")
				w.WriteHeader(stored.Status)
				_, _ = w.Write(stored.Body)
				return
			}

			rec := &recorder{ResponseWriter: w, status: http.StatusOK}
			next.ServeHTTP(rec, r)

			// The answer is kept even when the client has gone away meanwhile.
			ctx = context.WithoutCancel(ctx)
			if rec.status >= 500 || strings.Contains(w.Header().Get("Cache-Control"), "no-store") || rec.overflow {
				if err := s.store.ReleaseIdempotencyKey(ctx, owner, key); err != nil {
					s.logger.ErrorContext(ctx, "release idempotency key", "err", err, "request_id", requestIDFrom(ctx))
				}
				return
			}
			res := rapport.StoredResponse{Status: rec.status, Header: map[string]string{}, Body: rec.body.Bytes()}
			for _, name := range replayedHeaders {
				if v := w.Header().Get(name); v != "" {
					res.Header[name] = v
				}
			}
			if err := s.store.CompleteIdempotencyKey(ctx, owner, key, res); err != nil {
				s.logger.ErrorContext(ctx, "store idempotent answer", "err", err, "request_id", requestIDFrom(ctx))
			}
		})
	}
}

// requestBody reads the body without consuming it for the handler: the validator has already
// read it and left a copy to get again.
func requestBody(r *http.Request) ([]byte, error) {
	if r.GetBody != nil {
		rc, err := r.GetBody()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, nil
}

// maxStoredBody bounds the answer kept for replay; a larger one is not kept.
const maxStoredBody = 1 << 20

// recorder passes a response through and keeps a copy of its status and body.
type recorder struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	overflow bool
}

func (r *recorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.body.Len()+len(b) > maxStoredBody {
		r.overflow = true
	} else {
		r.body.Write(b)
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
