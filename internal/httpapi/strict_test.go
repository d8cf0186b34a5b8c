package httpapi_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/httpapi"
)

// TestStrictJSON: a body that is not exactly one strictly formed JSON value is refused with
// 400 naming where, and nothing is stored.
func TestStrictJSON(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	admin := env.Token(tenant, nil)
	school := tenant.Schools[0].ID.String()
	valid := `{"school_id":"` + school + `","role":"student","given_name":"Maya","family_name":"Lopez"}`
	for _, tt := range []struct {
		name, body, pointer string
	}{
		{"trailing garbage", valid + ` garbage`, "#"},
		{"two documents", valid + valid, "#"},
		{"a duplicate member", `{"school_id":"` + school + `","role":"student","given_name":"Maya","given_name":"Eve","family_name":"Lopez"}`, "#/given_name"},
		{"invalid UTF-8", `{"school_id":"` + school + `","role":"student","given_name":"Ma` + "\xff\xfe" + `ya","family_name":"Lopez"}`, "#/given_name"},
		{"a lone surrogate", `{"school_id":"` + school + `","role":"student","given_name":"Ma\ud800ya","family_name":"Lopez"}`, "#/given_name"},
		{"a lone low surrogate", `{"school_id":"` + school + `","role":"student","given_name":"\udc00","family_name":"Lopez"}`, "#/given_name"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := env.Call(http.MethodPost, "/v1/patrons", admin, tt.body, "Content-Type", "application/json")
			if res.Status != http.StatusBadRequest || !slices.Contains(res.Pointers(t), tt.pointer) {
				t.Errorf("POST %q = %d %v, want 400 pointing at %s: %s", tt.body, res.Status, res.Pointers(t), tt.pointer, res.Body)
			}
		})
	}
	// A merge patch is JSON too.
	res := env.Call(http.MethodPatch, "/v1/schools/"+school, admin, `{"name":"A","name":"B"}`, "Content-Type", "application/merge-patch+json")
	if res.Status != http.StatusBadRequest {
		t.Errorf("PATCH with a duplicate member = %d, want 400", res.Status)
	}
	var list api.PatronList
	mustGet(t, env, admin, "/v1/patrons", &list)
	if len(list.Data) != 0 {
		t.Errorf("the refused bodies stored %d patrons", len(list.Data))
	}
	// A surrogate pair is a character, and the valid body goes through.
	if res := env.Call(http.MethodPost, "/v1/patrons", admin, strings.Replace(valid, "Maya", `Maya \ud83d\udcda`, 1), "Content-Type", "application/json"); res.Status != http.StatusCreated && res.Status != http.StatusUnprocessableEntity {
		t.Errorf("a body with a surrogate pair = %d, want it past the JSON check: %s", res.Status, res.Body)
	}
}

// TestControlCharactersInParameters: a NUL byte, another control character or invalid UTF-8
// in any path or query parameter is a 400 naming it, never a 500, with a token or without.
func TestControlCharactersInParameters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	admin := env.Token(tenant, nil)
	for _, tt := range []struct {
		path, token, pointer string
	}{
		{"/v1/patrons?q=ma%00ya", admin, "#/query/q"},
		{"/v1/patrons?barcode=B%00", admin, "#/query/barcode"},
		{"/v1/patrons?sourced_id=s%00", admin, "#/query/sourced_id"},
		{"/v1/patrons?sis_id=%00", admin, "#/query/sis_id"},
		{"/v1/patrons?lms_id=l%00", admin, "#/query/lms_id"},
		{"/v1/patrons?q=%FF%FE", admin, "#/query/q"},
		{"/v1/patrons?q=%1B%5B31m", admin, "#/query/q"},
		{"/v1/feedback?category=books%00", admin, "#/query/category"},
		{"/v1/public/schools/lincoln%00/you-said-we-did", "", "#/path"},
		{"/v1/public/schools/lincoln%00/pledge", "", "#/path"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			res := env.Call(http.MethodGet, tt.path, tt.token, nil)
			if res.Status != http.StatusBadRequest || !slices.Contains(res.Pointers(t), tt.pointer) {
				t.Errorf("GET %s = %d %v, want 400 pointing at %s: %s", tt.path, res.Status, res.Pointers(t), tt.pointer, res.Body)
			}
		})
	}
	if strings.Contains(env.Logs.String(), "level=ERROR") {
		t.Errorf("a refused parameter was logged as a server error:\n%s", env.Logs.String())
	}
}

// TestOversizeBodies: a body over the limit is a 413 problem however it is sent, before any
// token is looked at.
func TestOversizeBodies(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *httpapi.Config) { c.BodyLimit = 4096 })
	tenant := env.NewTenant("Lincoln High")
	admin := env.Token(tenant, nil)
	big := `{"name":"` + strings.Repeat("a", 5000) + `","slug":"big"}`
	chunked := func(token string) *http.Request {
		req := apitest.Request(http.MethodPost, "/v1/schools", token, nil, "Content-Type", "application/json")
		req.Body, req.ContentLength = io.NopCloser(strings.NewReader(big)), -1 // no Content-Length: chunked
		return req
	}
	for _, tt := range []struct {
		name string
		req  *http.Request
	}{
		{"with Content-Length", apitest.Request(http.MethodPost, "/v1/schools", admin, big, "Content-Type", "application/json")},
		{"chunked", chunked(admin)},
		{"chunked, with a bad token", chunked("rpt_not-a-token")},
		{"chunked, to the token endpoint", func() *http.Request {
			req := apitest.Request(http.MethodPost, "/v1/oauth/token", "", nil, "Content-Type", "application/x-www-form-urlencoded")
			req.Body, req.ContentLength = io.NopCloser(strings.NewReader("grant_type="+strings.Repeat("x", 5000))), -1
			return req
		}()},
		{"chunked, to a path outside the API", func() *http.Request {
			req := apitest.Request(http.MethodPost, "/healthz", "", nil)
			req.Body, req.ContentLength = io.NopCloser(strings.NewReader(big)), -1
			return req
		}()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := serve(env, tt.req)
			if res.Status != http.StatusRequestEntityTooLarge || res.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("status %d, Content-Type %q, want a 413 problem: %s", res.Status, res.Header.Get("Content-Type"), res.Body)
			}
		})
	}
}

// TestMethodNotAllowedSaysWhatIs: a 405 names the methods the path takes in Allow.
func TestMethodNotAllowedSaysWhatIs(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	admin := env.Token(tenant, nil)
	for path, want := range map[string]string{
		"/v1/schools": "GET, POST",
		"/v1/notes/01a25254-b35e-75d9-a5a7-22ae2800c734": "DELETE, GET, PATCH",
		"/v1/changes": "GET",
	} {
		res := env.Call(http.MethodPut, path, admin, nil)
		if res.Status != http.StatusMethodNotAllowed || res.Header.Get("Allow") != want {
			t.Errorf("PUT %s = %d, Allow %q; want 405 and %q", path, res.Status, res.Header.Get("Allow"), want)
		}
	}
}
