package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/rapportlib/rapport/internal/rapport"
)

// idempotency makes a POST sent with an Idempotency-Key safe to retry: the first request runs
// and its answer is kept; a retry with the same key and request gets that answer again
// (marked Idempotency-Replayed: true); the same key with another request is 422; a retry while
// the first still runs is 409. Keys are per client and acting user, and kept 24 hours. It runs
// after the validator, so a request refused as invalid does not use its key up, and neither do
// refusals by the handler, server failures, or answers that must not be stored
// (Cache-Control: no-store).
//
// Only the operations that declare the Idempotency-Key header in the spec honour it (the
// validator has checked its length there); elsewhere it is ignored like any unknown header.
// Every other request goes straight on: the check is made here, in Echo, so that they do not
// pay for Echo's wrapping of the net/http part (a response writer and closures each).
func (s *server) idempotency(spec *openapi3.T) echo.MiddlewareFunc {
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
	replayable := echo.WrapMiddleware(s.replayable)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		withKey := replayable(next)
		return func(c echo.Context) error {
			r := c.Request()
			if !honoured[r.Method+" "+c.Path()] || idempotencyKey(r) == "" || rapport.PrincipalFromContext(r.Context()) == nil {
				return next(c)
			}
			// The handler answers into a recorder; what reaches the caller is written to the
			// response Echo had, which the request log reads afterwards.
			res := c.Response()
			defer c.SetResponse(res)
			return withKey(c)
		}
	}
}

// idempotencyKey is the request's Idempotency-Key, quotes and spaces trimmed ("" when absent).
func idempotencyKey(r *http.Request) string {
	return strings.Trim(strings.TrimSpace(r.Header.Get("Idempotency-Key")), `"`)
}

// replayable is the part of idempotency that runs for a request with a key and a caller. The
// handler runs inside the store's transaction for the key, and its answer is held back until
// that transaction has committed: a caller never hears of a write that did not commit, and a
// write that committed always has its answer kept for the retry.
func (s *server) replayable(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := idempotencyKey(r)
		p := rapport.PrincipalFromContext(r.Context())
		owner := rapport.IdempotencyOwner{ClientUUID: p.ClientUUID, ActingUser: p.ActingUser}
		fingerprint, err := requestFingerprint(r)
		if err != nil {
			writeProblem(s.logger, w, r, err)
			return
		}
		outcome, res, err := s.store.RunIdempotent(r.Context(), owner, key, fingerprint,
			func(ctx context.Context) (rapport.StoredResponse, bool, error) {
				rec := &recorder{header: http.Header{}, status: http.StatusOK}
				next.ServeHTTP(rec, r.WithContext(ctx))
				res := rapport.StoredResponse{Status: rec.status, Header: map[string]string{}, Body: rec.body.Bytes()}
				for name := range rec.header {
					res.Header[name] = rec.header.Get(name)
				}
				// Refusals and failures are not kept, and neither is what must not be stored.
				keep := rec.status < 400 && !strings.Contains(rec.header.Get("Cache-Control"), "no-store")
				return res, keep, nil
			})
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
		}
		h := w.Header()
		for name, value := range res.Header {
			h.Set(name, value)
		}
		if outcome == rapport.ClaimedReplay {
			h.Set("Idempotency-Replayed", "true")
		}
		w.WriteHeader(res.Status)
		_, _ = w.Write(res.Body)
	})
}

// requestFingerprint identifies a request for its Idempotency-Key: the method, the path and
// query, and the body in canonical form (JSON parsed and written again with its members
// sorted and no insignificant space), so that the same JSON sent with other spacing or member
// order is the same request. A body that is not JSON counts byte for byte.
func requestFingerprint(r *http.Request) ([]byte, error) {
	h := sha256.New()
	io.WriteString(h, r.Method+" "+r.URL.RequestURI()+"\n")
	if up, ok := uploadFrom(r.Context()); ok {
		// A spooled upload was hashed once, from its file (bodyLimit), and is not read here.
		h.Write(up.digest)
		return h.Sum(nil), nil
	}
	body, err := requestBody(r)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil {
		if canonical, err := json.Marshal(v); err == nil { // maps marshal with sorted keys
			body = canonical
		}
	}
	h.Write(body)
	return h.Sum(nil), nil
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

// recorder holds a handler's answer back: its status, headers and body, to be sent once the
// transaction they belong to has committed.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	wrote  bool
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if !r.wrote {
		r.status, r.wrote = status, true
	}
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wrote = true
	return r.body.Write(b)
}
