package httpapi

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/rapportlib/rapport/internal/rapport"
	"github.com/rapportlib/rapport/internal/ratelimit"
)

// The middleware below is plain net/http wherever Echo adds nothing, so that moving to Echo v5
// stays a small change; the request log and the error renderer are Echo's because they need
// the matched route and the error a handler returned; the request id, and the check that lets
// requests without an Idempotency-Key past idempotency.go, are Echo's because they run on every
// request and Echo gives each net/http middleware a response writer of its own.

type requestKey struct{}
type requestIDKey struct{}
type authErrorKey struct{}

// requestIDFrom returns the id of the request ctx belongs to, or "".
func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// requestFrom returns the request ctx belongs to. Strict handlers see only a context; the few
// that need the request itself (its address for Link headers, its Basic credentials) read it
// from there.
func requestFrom(ctx context.Context) *http.Request {
	r, _ := ctx.Value(requestKey{}).(*http.Request)
	return r
}

// validRequestID reports whether a caller's X-Request-Id is a short, plain token: 1 to 128
// of A-Z a-z 0-9 . _ : -, so that it cannot forge log lines. (A loop, not a regular expression:
// it runs on every request.)
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		switch c := id[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}

// requestID accepts the caller's X-Request-Id when it is a short, plain token, makes one
// otherwise, and echoes it in the response.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = uuid.NewString()
		}
		c.Response().Header().Set("X-Request-Id", id)
		ctx := context.WithValue(r.Context(), requestIDKey{}, id)
		r = r.WithContext(ctx)
		r = r.WithContext(context.WithValue(ctx, requestKey{}, r))
		c.SetRequest(r)
		return next(c)
	}
}

// chain composes net/http middleware into one, the first outermost. Echo wraps each
// net/http middleware in a fresh response writer per request; wrapping a chain of them once
// saves that for all but one.
func chain(middleware ...func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		for i := len(middleware) - 1; i >= 0; i-- {
			next = middleware[i](next)
		}
		return next
	}
}

// deadline bounds the time a request may spend, so that a stuck database cannot hold a request
// (and its connection) forever. Storage turns the expiry into a 503. The bulk photo routes, an
// import (a school's photos through the image pipeline) and an export (a zip streamed out),
// have bulkTimeout, and the connection's own read and write deadlines are moved to match.
func deadline(d, bulkTimeout time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d := d
			if r.Method == http.MethodPost && (r.URL.Path == "/v1/imports/photos" || r.URL.Path == "/v1/exports/photos") {
				d = bulkTimeout
				rc := http.NewResponseController(w)
				// A server without deadlines, or a test's recorder, has none to move.
				_ = rc.SetReadDeadline(time.Now().Add(d))
				_ = rc.SetWriteDeadline(time.Now().Add(d + 10*time.Second))
			}
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// bodyLimit refuses bodies larger than the route's limit with 413 before any other work: at
// once when Content-Length says so, and otherwise (a chunked body) by reading it up to the
// limit first. The connection is closed after a 413, since the rest of the body is not read.
//
// A photo upload and a photo import have limits of their own (photoLimit, importLimit), and
// their body is spooled to a temporary file as it arrives, then hashed there for the
// Idempotency-Key fingerprint: a large body, or one sent in chunks, is never held in memory.
func (s *server) bodyLimit(limit, photoLimit, importLimit int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			limit := limit
			isUpload, isImport := isPhotoUpload(r), r.Method == http.MethodPost && r.URL.Path == "/v1/imports/photos"
			switch {
			case isUpload:
				limit = photoLimit
			case isImport:
				limit = importLimit
			}
			tooLarge := func() {
				w.Header().Set("Connection", "close")
				writeProblem(s.logger, w, r, rapport.Errorf(rapport.TooLarge, "the request body is larger than %d bytes", limit))
			}
			if r.ContentLength > limit {
				tooLarge()
				return
			}
			switch {
			case (isUpload || isImport) && r.Body != nil && r.Body != http.NoBody:
				file, size, err := spool(r.Body, limit)
				if errors.Is(err, errTooLarge) {
					tooLarge()
					return
				}
				if err != nil {
					writeProblem(s.logger, w, r, err)
					return
				}
				defer file.Close()
				digest, err := uploadDigest(file, r.Header.Get("Content-Type"))
				if err != nil {
					writeProblem(s.logger, w, r, err)
					return
				}
				r.Body, r.ContentLength = http.MaxBytesReader(w, file, limit), size
				r = r.WithContext(context.WithValue(r.Context(), uploadKey{}, upload{body: r.Body, file: file, size: size, digest: digest}))
				next.ServeHTTP(w, r)
				return
			case r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody:
				body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
				if err != nil {
					writeProblem(s.logger, w, r, rapport.Errorf(rapport.Invalid, "the request body could not be read"))
					return
				}
				if int64(len(body)) > limit {
					tooLarge()
					return
				}
				r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			next.ServeHTTP(w, r)
		})
	}
}

// isPhotoUpload reports whether the request uploads a patron's photo
// (PUT /v1/patrons/{id}/photo).
func isPhotoUpload(r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1/patrons/")
	if !ok || r.Method != http.MethodPut {
		return false
	}
	id, ok := strings.CutSuffix(rest, "/photo")
	return ok && id != "" && !strings.Contains(id, "/")
}

type uploadKey struct{}

// signedURLKey marks a request whose principal signed its URL (a signed photo URL), rather than
// sent a token.
type signedURLKey struct{}

// upload is a spooled upload, as the context of its request carries it: the handler reads the
// body from here (the request it sees may predate the spooling), and Idempotency-Key
// fingerprints the digest.
type upload struct {
	body   io.Reader
	file   *os.File // the same bytes, to read at will (a zip's directory is at its end)
	size   int64
	digest []byte
}

// uploadFrom returns the spooled upload of the request ctx belongs to, or ok false.
func uploadFrom(ctx context.Context) (upload, bool) {
	u, ok := ctx.Value(uploadKey{}).(upload)
	return u, ok
}

var errTooLarge = errors.New("the body is over the limit")

// spool copies a body of at most limit bytes to a temporary file, which has no name (it goes
// when closed), and returns the file and the body's size. A longer body is errTooLarge.
func spool(body io.Reader, limit int64) (*os.File, int64, error) {
	file, err := os.CreateTemp("", "rapport-upload-*")
	if err != nil {
		return nil, 0, fmt.Errorf("spool the body: %w", err)
	}
	_ = os.Remove(file.Name()) // the open file stays readable; nothing is left behind
	n, err := io.Copy(file, io.LimitReader(body, limit+1))
	switch {
	case err != nil:
		file.Close()
		return nil, 0, rapport.Errorf(rapport.Invalid, "the request body could not be read")
	case n > limit:
		file.Close()
		return nil, 0, errTooLarge
	}
	return file, n, nil
}

// uploadDigest returns the SHA-256 of what a spooled upload sends, for its Idempotency-Key
// fingerprint, and leaves the file at its start: the body itself, or for a multipart form the
// names and contents of its parts, since a retry of the same form comes with another
// boundary. A form that does not parse is hashed as it is (the handler refuses it).
func uploadDigest(file *os.File, contentType string) ([]byte, error) {
	h := sha256.New()
	rewind := func() error {
		if _, err := file.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("rewind the spooled body: %w", err)
		}
		return nil
	}
	if err := rewind(); err != nil {
		return nil, err
	}
	mediaType, params, _ := mime.ParseMediaType(contentType)
	if mediaType == "multipart/form-data" && params["boundary"] != "" {
		form := multipart.NewReader(file, params["boundary"])
		for {
			part, err := form.NextPart()
			if errors.Is(err, io.EOF) {
				if err := rewind(); err != nil {
					return nil, err
				}
				return h.Sum(nil), nil
			}
			if err != nil {
				break // not a form after all: hash the bytes
			}
			fmt.Fprintf(h, "%q\n", part.FormName())
			if _, err := io.Copy(h, part); err != nil {
				break
			}
		}
		h.Reset()
		if err := rewind(); err != nil {
			return nil, err
		}
	}
	if _, err := io.Copy(h, file); err != nil {
		return nil, fmt.Errorf("hash the spooled body: %w", err)
	}
	if err := rewind(); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// admit decides who is calling and whether they may call now, before any other work is done
// for the request. Only API paths (/v1/) take part: health checks, docs and metrics are not
// rationed and never look a token up.
//
//   - A token this replica checked recently is the client's: one request from its bucket.
//   - Any other token costs a database lookup, so it is rationed per remote address like
//     calls without a token: refused with 429 while the address's bucket is empty, and paid
//     for from it when the token turns out to be bad (valid clients never pay for their
//     address). Bad tokens are remembered for a while (auth.Config.MissTTL).
//   - Without a token, one request from the address's bucket.
//
// A rejected token, or an Acting-User the client may not name, is remembered so that the 401 or
// 403 can say why; whether an operation needs a token at all, and which scopes, is the spec's to
// say, and the request validator enforces it (see authorize). An operation without security
// serves such a request as it serves any anonymous one.
func (s *server) admit(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/v1/") {
			next.ServeHTTP(w, r)
			return
		}
		now := time.Now()
		addr := "addr:" + remoteHost(r)
		var p *rapport.Principal
		var d ratelimit.Decision
		switch token, ok := bearerToken(r); {
		case !ok && strings.HasPrefix(r.URL.Path, "/v1/photos/"):
			// A signed photo URL: the consumer is who signed it. A consumer this replica
			// checked recently costs nothing to check again; any other costs a database
			// lookup, rationed per address like a token.
			q := r.URL.Query()
			clientID, sig := q.Get("client_id"), q.Get("sig")
			exp, err := strconv.ParseInt(q.Get("exp"), 10, 64)
			if err != nil || clientID == "" || sig == "" {
				d = s.anonLimiter.Allow(addr, now) // the validator says what is missing
				break
			}
			if !s.auth.PhotoURLCached(clientID) {
				if d = s.anonLimiter.Peek(addr, now); !d.Allowed {
					break
				}
			}
			// The path as sent (percent-encoding and all), which is what the consumer signed.
			p, err = s.auth.PhotoURLPrincipal(r.Context(), r.Method, r.URL.EscapedPath(), clientID, exp, sig)
			if err == nil {
				r = r.WithContext(context.WithValue(r.Context(), signedURLKey{}, true))
			}
			switch {
			case rapport.ErrorKind(err) == rapport.Unauthenticated:
				d = s.anonLimiter.Allow(addr, now)
				r = r.WithContext(context.WithValue(r.Context(), authErrorKey{}, err))
			case err != nil:
				writeProblem(s.logger, w, r, err)
				return
			}
		case !ok:
			d = s.anonLimiter.Allow(addr, now)
		default:
			if cached, ok := s.auth.Cached(token); ok {
				p = cached
				break
			}
			if d = s.anonLimiter.Peek(addr, now); !d.Allowed {
				break
			}
			var err error
			p, err = s.auth.Authenticate(r.Context(), token)
			switch {
			case rapport.ErrorKind(err) == rapport.Unauthenticated:
				d = s.anonLimiter.Allow(addr, now)
				r = r.WithContext(context.WithValue(r.Context(), authErrorKey{}, err))
			case err != nil:
				writeProblem(s.logger, w, r, err)
				return
			}
		}
		if p != nil {
			d = s.clientLimiter.Allow("client:"+p.ClientUUID.String(), now)
		}
		if !writeRateLimit(s.logger, w, r, d) {
			return
		}
		if p != nil {
			if err := p.ActFor(r.Header.Get("Acting-User")); err != nil {
				r = r.WithContext(context.WithValue(r.Context(), authErrorKey{}, err))
			} else {
				p.RequestID = requestIDFrom(r.Context())
				r = r.WithContext(rapport.NewContextWithPrincipal(r.Context(), p))
			}
		}
		next.ServeHTTP(w, r)
	})
}

// bearerToken returns the request's bearer token, if it sent one.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, found := strings.Cut(r.Header.Get("Authorization"), " ")
	if !found || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return strings.TrimSpace(token), true
}

// writeRateLimit sets the RateLimit headers of the decision and, past the limit, answers 429
// with Retry-After. It reports whether the request may go on.
func writeRateLimit(logger *slog.Logger, w http.ResponseWriter, r *http.Request, d ratelimit.Decision) bool {
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(ceilSeconds(d.Reset)))
	if d.Allowed {
		return true
	}
	wait := max(1, ceilSeconds(d.RetryAfter))
	h.Set("Retry-After", strconv.Itoa(wait))
	writeProblem(logger, w, r, rapport.Errorf(rapport.RateLimited, "too many requests; try again in %d seconds", wait))
	return false
}

// opsOnly answers /metrics and /readyz only to the operator's networks (Config.OpsNetworks), or
// not at all on this listener when they are served on one of their own (Config.OpsElsewhere):
// to anyone else they do not exist. They tell an attacker how the service is doing and, for
// /readyz, cost a database round trip each.
func (s *server) opsOnly(networks []netip.Prefix, elsewhere bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/metrics" || r.URL.Path == "/readyz" {
				if elsewhere || !fromNetworks(r, networks) {
					writeProblem(s.logger, w, r, rapport.Errorf(rapport.NotFound, "not found"))
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// fromNetworks reports whether the request's remote address is in one of the networks.
func fromNetworks(r *http.Request, networks []netip.Prefix) bool {
	addr, err := netip.ParseAddr(remoteHost(r))
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, n := range networks {
		if n.Contains(addr) {
			return true
		}
	}
	return false
}

func ceilSeconds(d time.Duration) int {
	return int(math.Ceil(d.Seconds()))
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// renderErrors renders a handler's error at once, innermost in the chain, so that the
// middleware around it sees the final status and body.
func renderErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if err := next(c); err != nil {
			c.Error(err)
		}
		return nil
	}
}

// accessLog writes one line per request and counts it in the metrics.
func (s *server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()
		if err := next(c); err != nil {
			c.Error(err)
		}
		elapsed := time.Since(start)
		req, res := c.Request(), c.Response()
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		status := strconv.Itoa(res.Status)
		s.metrics.requests.WithLabelValues(req.Method, route, status).Inc()
		s.metrics.duration.WithLabelValues(req.Method, route).Observe(elapsed.Seconds())

		attrs := []slog.Attr{
			slog.String("method", req.Method),
			slog.String("route", route),
			slog.String("path", req.URL.Path),
			slog.Int("status", res.Status),
			slog.Int64("bytes", res.Size),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.String("request_id", requestIDFrom(req.Context())),
		}
		if p := rapport.PrincipalFromContext(req.Context()); p != nil {
			attrs = append(attrs, slog.String("client_id", p.ClientID))
		}
		s.logger.LogAttrs(req.Context(), slog.LevelInfo, "request", attrs...)
		return nil
	}
}

// recoverer turns a panic into a 500 that is logged once, with its stack, by the error
// renderer.
func recoverer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				err = fmt.Errorf("panic: %v\n%s", v, debug.Stack())
			}
		}()
		return next(c)
	}
}
