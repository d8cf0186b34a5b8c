package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/rapport"
)

// statusByKind maps each kind of failure to its HTTP status: the one place where the domain's
// vocabulary meets HTTP's.
var statusByKind = map[rapport.Kind]int{
	rapport.Invalid:            http.StatusBadRequest,
	rapport.Unprocessable:      http.StatusUnprocessableEntity,
	rapport.Unauthenticated:    http.StatusUnauthorized,
	rapport.Forbidden:          http.StatusForbidden,
	rapport.NotFound:           http.StatusNotFound,
	rapport.MethodNotAllowed:   http.StatusMethodNotAllowed,
	rapport.Conflict:           http.StatusConflict,
	rapport.PreconditionFailed: http.StatusPreconditionFailed,
	rapport.Gone:               http.StatusGone,
	rapport.TooLarge:           http.StatusRequestEntityTooLarge,
	rapport.UnsupportedMedia:   http.StatusUnsupportedMediaType,
	rapport.RateLimited:        http.StatusTooManyRequests,
	rapport.Unavailable:        http.StatusServiceUnavailable,
	rapport.Canceled:           statusClientClosedRequest,
	rapport.Internal:           http.StatusInternalServerError,
}

// statusClientClosedRequest is what the request log records for a caller that went away
// before its answer (nginx's 499): nobody reads the answer, and it is not the server's failure.
const statusClientClosedRequest = 499

// kindByStatus is the reverse, for errors that arrive as bare HTTP statuses (Echo's router and
// binder).
var kindByStatus = func() map[int]rapport.Kind {
	m := make(map[int]rapport.Kind, len(statusByKind))
	for k, s := range statusByKind {
		m[s] = k
	}
	return m
}()

// asDomainError turns any error into a *rapport.Error. Echo's errors keep their status; errors
// of unknown origin become Internal, with the original kept for the log only.
func asDomainError(err error) *rapport.Error {
	if e, ok := errors.AsType[*rapport.Error](err); ok {
		return e
	}
	if he, ok := errors.AsType[*echo.HTTPError](err); ok {
		if inner, ok := errors.AsType[*rapport.Error](he.Internal); ok {
			return inner
		}
		kind, known := kindByStatus[he.Code]
		if !known || kind == rapport.Internal {
			return &rapport.Error{Kind: rapport.Internal, Message: "internal error"}
		}
		msg, _ := he.Message.(string)
		if msg == "" {
			msg = strings.ToLower(http.StatusText(he.Code))
		}
		return &rapport.Error{Kind: kind, Message: msg}
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return &rapport.Error{Kind: rapport.TooLarge, Message: "the request body is too large"}
	}
	return &rapport.Error{Kind: rapport.Internal, Message: "internal error"}
}

// problemFor renders err as an RFC 9457 problem for the request r.
func problemFor(r *http.Request, err error) api.Problem {
	e := asDomainError(err)
	status := statusByKind[e.Kind]
	title := http.StatusText(status)
	if status == statusClientClosedRequest {
		title = "Client Closed Request"
	}
	p := api.Problem{
		Type:     "/problems/" + strings.ReplaceAll(string(e.Kind), "_", "-"),
		Title:    title,
		Status:   int32(status),
		Detail:   &e.Message,
		Instance: &r.URL.Path,
	}
	if id := requestIDFrom(r.Context()); id != "" {
		p.RequestId = &id
	}
	if len(e.Fields) > 0 {
		fields := make([]api.FieldError, len(e.Fields))
		for i, f := range e.Fields {
			fields[i] = api.FieldError{Pointer: f.Pointer, Detail: f.Detail}
		}
		p.Errors = &fields
	}
	return p
}

// writeProblem writes err as problem+json: the one place every error response is rendered.
// Internal errors are logged once here, with the request id, and shown to the caller only as
// "internal error".
func writeProblem(logger *slog.Logger, w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(r, err)
	if p.Status >= 500 && p.Status != http.StatusServiceUnavailable {
		logger.ErrorContext(r.Context(), "request failed", "err", err, "request_id", requestIDFrom(r.Context()),
			"method", r.Method, "path", r.URL.Path)
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", bearerChallenge(r, *p.Detail))
	}
	if p.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1") // the database comes back, or the request was too slow: try again
	}
	body, mErr := json.Marshal(p)
	if mErr != nil {
		body = []byte(`{"type":"/problems/internal","title":"Internal Server Error","status":500}`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(int(p.Status))
	_, _ = w.Write(body)
}

// bearerChallenge is the RFC 6750 challenge of a 401: without credentials it names only the
// realm; with a rejected token it says why.
func bearerChallenge(r *http.Request, detail string) string {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		return `Bearer realm="rapport"`
	}
	return `Bearer realm="rapport", error="invalid_token", error_description="` + strings.ReplaceAll(detail, `"`, `'`) + `"`
}

// errorHandler is Echo's HTTPErrorHandler: it renders every error a handler, the router or the
// binder returns.
func errorHandler(logger *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		writeProblem(logger, c.Response(), c.Request(), err)
	}
}
