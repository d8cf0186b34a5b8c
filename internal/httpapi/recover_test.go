package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/rapportlib/rapport/api"
)

// TestPanicIsA500LoggedOnce drives the recoverer and the error renderer with a handler that
// panics: the caller gets a plain problem, the log gets one line with the stack.
func TestPanicIsA500LoggedOnce(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(logger)
	e.Use(requestID, recoverer)
	e.GET("/boom", func(echo.Context) error { panic("secret internals") })

	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))

	var p api.Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || rec.Code != 500 || p.Status != 500 {
		t.Fatalf("got %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(rec.Body.String(), "secret internals") {
		t.Errorf("the problem leaks the panic: %s", rec.Body)
	}
	if n := strings.Count(logs.String(), "request failed"); n != 1 || !strings.Contains(logs.String(), "secret internals") {
		t.Errorf("log has %d failure lines, want 1 naming the panic:\n%s", n, logs.String())
	}
}
