package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"go.yaml.in/yaml/v4"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/httpapi"
)

func TestBadInput(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *httpapi.Config) { c.BodyLimit = 4096 })
	tenant := env.NewTenant("Lincoln High")
	admin := env.Token(tenant, nil)
	school := "/v1/schools/" + tenant.Schools[0].ID.String()

	for _, tt := range []struct {
		name        string
		req         *http.Request
		wantStatus  int
		wantPointer string
	}{
		{"malformed JSON", apitest.Request("POST", "/v1/schools", admin, `{"name": "x",`, "Content-Type", "application/json"), 400, ""},
		{"JSON of the wrong shape", apitest.Request("POST", "/v1/schools", admin, `["a list"]`, "Content-Type", "application/json"), 422, ""},
		{"wrong type", apitest.Request("POST", "/v1/schools", admin, map[string]any{"name": 42, "slug": "forty-two"}), 422, "#/name"},
		{"missing field", apitest.Request("POST", "/v1/schools", admin, map[string]any{"slug": "no-name"}), 422, "#/name"},
		{"unknown field", apitest.Request("POST", "/v1/schools", admin, map[string]any{"name": "X", "slug": "xx-x", "mascot": "owl"}), 422, "#/mascot"},
		{"300-character name", apitest.Request("POST", "/v1/schools", admin, map[string]any{"name": strings.Repeat("n", 300), "slug": "long-name"}), 422, "#/name"},
		{"NUL byte", apitest.Request("POST", "/v1/schools", admin, map[string]any{"name": "Nul\x00School", "slug": "nul-school"}), 422, "#/name"},
		{"SQL-looking slug", apitest.Request("POST", "/v1/schools", admin, map[string]any{"name": "Bobby", "slug": "x'; DROP TABLE schools; --"}), 422, "#/slug"},
		{"unknown time zone", apitest.Request("POST", "/v1/schools", admin, map[string]any{"name": "Mars", "slug": "mars-base", "time_zone": "Mars/Olympus"}), 422, "#/time_zone"},
		{"empty body", apitest.Request("POST", "/v1/schools", admin, "", "Content-Type", "application/json"), 400, ""},
		{"wrong content type", apitest.Request("POST", "/v1/schools", admin, "name=x", "Content-Type", "application/x-www-form-urlencoded"), 415, ""},
		{"oversized body", apitest.Request("POST", "/v1/schools", admin, `{"name":"`+strings.Repeat("a", 5000)+`","slug":"big"}`, "Content-Type", "application/json"), 413, ""},
		{"unknown route", apitest.Request("GET", "/v1/nowhere", admin, nil), 404, ""},
		{"route outside /v1", apitest.Request("GET", "/admin.php", "", nil), 404, ""},
		{"wrong method", apitest.Request("DELETE", "/v1/schools", admin, nil), 405, ""},
		{"bad uuid in the path", apitest.Request("GET", "/v1/schools/not-a-uuid", admin, nil), 400, "#/path/school_id"},
		{"limit too large", apitest.Request("GET", "/v1/schools?limit=1000", admin, nil), 400, "#/query/limit"},
		{"limit not a number", apitest.Request("GET", "/v1/schools?limit=ten", admin, nil), 400, "#/query/limit"},
		{"unknown enum value", apitest.Request("GET", "/v1/schools?status=closed", admin, nil), 400, "#/query/status"},
		{"Acting-User too long", apitest.Request("GET", "/v1/schools", admin, nil, "Acting-User", strings.Repeat("u", 300)), 400, "#/header/Acting-User"},
		{"emoji slug", apitest.Request("PATCH", school, admin, map[string]any{"slug": "📚-library"}), 422, "#/slug"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := env.Do(tt.req)
			if res.Status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", res.Status, tt.wantStatus, res.Body)
			}
			p := res.Problem(t)
			if int(p.Status) != tt.wantStatus || p.Detail == nil || *p.Detail == "" || p.RequestId == nil || *p.RequestId != res.Header.Get("X-Request-Id") {
				t.Errorf("problem = %+v; want its status, a detail and the request id", p)
			}
			if strings.Contains(string(res.Body), "Schema:") || strings.Contains(string(res.Body), "goroutine") {
				t.Errorf("problem leaks internals: %s", res.Body)
			}
			if tt.wantPointer != "" && !contains(res.Pointers(t), tt.wantPointer) {
				t.Errorf("pointers = %v, want %s", res.Pointers(t), tt.wantPointer)
			}
		})
	}

	// None of the refused writes left anything behind.
	var list api.SchoolList
	mustGet(t, env, admin, "/v1/schools", &list)
	if len(list.Data) != 1 || list.Data[0].Name != "Lincoln High" {
		t.Errorf("after refused writes the schools are %v", schoolNames(list))
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *httpapi.Config) { c.RateLimit, c.RateBurst = 0.01, 2 })
	tenant := env.NewTenant("Lincoln High")
	token := env.Token(tenant, nil)
	other := env.Token(tenant, nil)

	for i, wantRemaining := range []string{"1", "0"} {
		res := env.Call(http.MethodGet, "/v1/schools", token, nil)
		if res.Status != http.StatusOK || res.Header.Get("RateLimit-Limit") != "2" || res.Header.Get("RateLimit-Remaining") != wantRemaining {
			t.Fatalf("request %d: %d, RateLimit-Limit %q, -Remaining %q", i, res.Status, res.Header.Get("RateLimit-Limit"), res.Header.Get("RateLimit-Remaining"))
		}
	}
	res := env.Call(http.MethodGet, "/v1/schools", token, nil)
	retry, _ := strconv.Atoi(res.Header.Get("Retry-After"))
	if res.Status != http.StatusTooManyRequests || retry < 1 || res.Header.Get("RateLimit-Reset") == "" {
		t.Errorf("third request: %d, Retry-After %q, RateLimit-Reset %q; want 429 with both", res.Status, res.Header.Get("Retry-After"), res.Header.Get("RateLimit-Reset"))
	}
	if res := env.Call(http.MethodGet, "/v1/schools", other, nil); res.Status != http.StatusOK {
		t.Errorf("another client's first request = %d, want 200: buckets are per client", res.Status)
	}
}

// TestAnonymousRateLimit runs with the anonymous limit the server has by default, per remote
// address: calls without a token, and bad tokens, are rationed before any database lookup;
// valid clients never pay for their address; health checks and docs are not rationed at all.
func TestAnonymousRateLimit(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *httpapi.Config) { c.AnonRateLimit, c.AnonRateBurst = 0.01, 3 })
	tenant := env.NewTenant("Lincoln High")
	token, fresh := env.Token(tenant, nil), env.Token(tenant, nil)
	from := func(req *http.Request, addr string) *http.Request {
		req.RemoteAddr = addr + ":41000"
		return req
	}
	// The desk's token is in use, and so known to this replica, before the flood starts.
	if res := env.Do(from(apitest.Request(http.MethodGet, "/v1/schools", token, nil), "198.51.100.7")); res.Status != http.StatusOK {
		t.Fatalf("a valid token = %d, want 200", res.Status)
	}

	// Health checks and the docs from one address, with a bad token even: never rationed,
	// and they do not spend the address's bucket.
	for i := range 30 {
		for _, path := range []string{"/healthz", "/openapi.json"} {
			req := from(apitest.Request(http.MethodGet, path, "rpt_bad-"+strconv.Itoa(i), nil), "198.51.100.7")
			if res := serve(env, req); res.Status != http.StatusOK {
				t.Fatalf("%s, call %d = %d, want 200: not rationed", path, i, res.Status)
			}
		}
	}

	// Bad tokens cost the address as calls without one do: three, then 429.
	for i, want := range []int{401, 401, 401, 429, 429} {
		req := from(apitest.Request(http.MethodGet, "/v1/schools", "rpt_bad-"+strconv.Itoa(i), nil), "198.51.100.7")
		res := env.Do(req)
		if res.Status != want {
			t.Fatalf("bad token %d = %d, want %d: %s", i, res.Status, want, res.Body)
		}
		if want == 429 && res.Header.Get("Retry-After") == "" {
			t.Errorf("bad token %d: 429 without Retry-After", i)
		}
	}
	if res := env.Do(from(apitest.Request(http.MethodGet, "/v1/public/schools/nowhere/pledge", "", nil), "198.51.100.7")); res.Status != http.StatusTooManyRequests {
		t.Errorf("a call without a token from the exhausted address = %d, want 429", res.Status)
	}
	// A valid client behind the same address, known to this replica, is not refused for it: it
	// spends from its own bucket. A token the replica has not seen yet costs a lookup like any
	// other, so it waits for the address's bucket (the price of rationing lookups at all).
	if res := env.Do(from(apitest.Request(http.MethodGet, "/v1/schools", token, nil), "198.51.100.7")); res.Status != http.StatusOK {
		t.Errorf("a known valid token from the exhausted address = %d, want 200: clients have buckets of their own", res.Status)
	}
	if res := env.Do(from(apitest.Request(http.MethodGet, "/v1/schools", fresh, nil), "198.51.100.7")); res.Status != http.StatusTooManyRequests {
		t.Errorf("an unseen token from the exhausted address = %d, want 429: its lookup is rationed", res.Status)
	}
	// Another address has a bucket of its own.
	if res := env.Do(from(apitest.Request(http.MethodGet, "/v1/schools", "rpt_bad-x", nil), "203.0.113.9")); res.Status != http.StatusUnauthorized {
		t.Errorf("a bad token from another address = %d, want 401", res.Status)
	}
}

// TestOpsEndpoints: /readyz and /metrics answer only to the operator's networks, or only on
// the operator's own listener; /healthz answers anyone.
func TestOpsEndpoints(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *httpapi.Config) { c.OpsNetworks = []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16")} })
	for _, tt := range []struct {
		path, addr string
		want       int
	}{
		{"/readyz", "10.1.2.3", 200},
		{"/metrics", "10.1.2.3", 200},
		{"/readyz", "198.51.100.7", 404},
		{"/metrics", "198.51.100.7", 404},
		{"/readyz", "127.0.0.1", 404}, // the configured networks replace the default
		{"/healthz", "198.51.100.7", 200},
	} {
		req := apitest.Request(http.MethodGet, tt.path, "", nil)
		req.RemoteAddr = tt.addr + ":41000"
		var res *apitest.Response
		if tt.path == "/metrics" {
			res = serve(env, req)
		} else {
			res = env.Do(req)
		}
		if res.Status != tt.want {
			t.Errorf("GET %s from %s = %d, want %d", tt.path, tt.addr, res.Status, tt.want)
		}
	}

	byDefault := apitest.New(t)
	for addr, want := range map[string]int{"127.0.0.1": 200, "[::1]": 200, "198.51.100.7": 404} {
		req := apitest.Request(http.MethodGet, "/readyz", "", nil)
		req.RemoteAddr = addr + ":41000"
		if res := byDefault.Do(req); res.Status != want {
			t.Errorf("by default, GET /readyz from %s = %d, want %d", addr, res.Status, want)
		}
	}

	elsewhere := apitest.New(t, func(c *httpapi.Config) { c.OpsElsewhere = true })
	for _, path := range []string{"/readyz", "/metrics"} {
		req := apitest.Request(http.MethodGet, path, "", nil)
		req.RemoteAddr = "127.0.0.1:41000"
		if res := serve(elsewhere, req); res.Status != http.StatusNotFound {
			t.Errorf("with an ops listener, GET %s on the API listener = %d, want 404", path, res.Status)
		}
	}
	ops := httpapi.NewOpsHandler(slog.New(slog.DiscardHandler), elsewhere.Store, prometheus.NewRegistry())
	for _, path := range []string{"/readyz", "/metrics", "/healthz"} {
		rec := httptest.NewRecorder()
		ops.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Errorf("ops listener: GET %s = %d, want 200", path, rec.Code)
		}
	}
}

// TestCORS: no CORS headers at all unless origins are configured, and then only for those
// origins, matched exactly.
func TestCORS(t *testing.T) {
	t.Parallel()
	preflight := func(env *apitest.Env, origin string) http.Header {
		req := apitest.Request(http.MethodOptions, "/v1/schools", "", nil, "Origin", origin, "Access-Control-Request-Method", "GET")
		return serve(env, req).Header
	}
	get := func(env *apitest.Env, origin string) http.Header {
		return serve(env, apitest.Request(http.MethodGet, "/healthz", "", nil, "Origin", origin)).Header
	}

	none := apitest.New(t)
	for _, h := range []http.Header{preflight(none, "https://evil.example"), get(none, "https://evil.example")} {
		for name := range h {
			if strings.HasPrefix(name, "Access-Control-") {
				t.Errorf("without configured origins the answer carries %s: %q", name, h.Get(name))
			}
		}
	}

	desk := apitest.New(t, func(c *httpapi.Config) { c.CORSOrigins = []string{"https://desk.example.org"} })
	if got := preflight(desk, "https://desk.example.org").Get("Access-Control-Allow-Origin"); got != "https://desk.example.org" {
		t.Errorf("preflight from the configured origin: Allow-Origin %q", got)
	}
	for _, origin := range []string{"https://desk.example.org.evil.example", "http://desk.example.org", "https://evil.example", "null"} {
		if got := preflight(desk, origin).Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("preflight from %s: Allow-Origin %q, want none", origin, got)
		}
		if got := get(desk, origin).Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("GET from %s: Allow-Origin %q, want none", origin, got)
		}
	}

	for _, bad := range []string{"*", "https://*.example.org", "https://desk.example.org/", "desk.example.org"} {
		_, err := httpapi.NewServer(slog.New(slog.DiscardHandler), httpapi.Config{CORSOrigins: []string{bad}}, none.Store, none.Auth, prometheus.NewRegistry())
		if err == nil {
			t.Errorf("NewServer with CORS origin %q = nil error, want it refused", bad)
		}
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	for _, tt := range []struct{ sent, want string }{
		{"abc-123.DEF:9", "abc-123.DEF:9"},
		{"snake_case", "snake_case"},
		{strings.Repeat("x", 128), strings.Repeat("x", 128)},
		{strings.Repeat("x", 129), ""},
		{"has space", ""},
		{"forged\",\"level\":\"ERROR", ""},
		{"café", ""},
		{strings.Repeat("x", 200), ""},
	} {
		res := env.Call(http.MethodGet, "/v1/schools", "", nil, "X-Request-Id", tt.sent)
		got := res.Header.Get("X-Request-Id")
		if tt.want != "" && got != tt.want || tt.want == "" && (got == tt.sent || got == "") {
			t.Errorf("sent X-Request-Id %q, got %q", tt.sent, got)
		}
		if p := res.Problem(t); *p.RequestId != got {
			t.Errorf("problem request_id %q, header %q", *p.RequestId, got)
		}
	}
}

func TestSpecAndDocs(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	for _, path := range []string{"/openapi.json", "/openapi.yaml"} {
		req := apitest.Request(http.MethodGet, path, "", nil)
		rec := serve(env, req)
		var doc map[string]any
		var err error
		if strings.HasSuffix(path, "json") {
			err = json.Unmarshal(rec.Body, &doc)
		} else {
			err = yaml.Unmarshal(rec.Body, &doc)
		}
		if rec.Status != http.StatusOK || err != nil || doc["openapi"] != "3.0.3" {
			t.Errorf("%s = %d, err %v, openapi %v", path, rec.Status, err, doc["openapi"])
		}
	}
	written, err := os.ReadFile("../../openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if rec := serve(env, apitest.Request(http.MethodGet, "/openapi.yaml", "", nil)); string(rec.Body) != string(written) {
		t.Errorf("/openapi.yaml is not the contract as written: %d bytes served, %d in the repository", len(rec.Body), len(written))
	}
	for _, path := range []string{"/docs/", "/docs/init.js", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css"} {
		rec := serve(env, apitest.Request(http.MethodGet, path, "", nil))
		if rec.Status != http.StatusOK || len(rec.Body) == 0 {
			t.Errorf("%s = %d (%d bytes)", path, rec.Status, len(rec.Body))
		}
		if strings.Contains(string(rec.Body), "https://") && path != "/docs/swagger-ui-bundle.js" {
			t.Errorf("%s refers to an outside address", path)
		}
	}
	if rec := serve(env, apitest.Request(http.MethodGet, "/docs", "", nil)); rec.Status != http.StatusMovedPermanently {
		t.Errorf("/docs = %d, want a redirect to /docs/", rec.Status)
	}
	if rec := serve(env, apitest.Request(http.MethodGet, "/docs/missing.js", "", nil)); rec.Status != http.StatusNotFound {
		t.Errorf("/docs/missing.js = %d, want 404", rec.Status)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	env.Call(http.MethodGet, "/v1/schools", "", nil)
	req := apitest.Request(http.MethodGet, "/metrics", "", nil)
	req.RemoteAddr = "127.0.0.1:41000" // the operator's network
	rec := serve(env, req)
	want := `rapport_http_requests_total{method="GET",route="/v1/schools",status="401"} 1`
	if !strings.Contains(string(rec.Body), want) {
		t.Errorf("/metrics lacks %s", want)
	}
}

// serve runs a request outside the spec's operations (docs, metrics) without contract checks.
func serve(env *apitest.Env, req *http.Request) *apitest.Response {
	rec := httptest.NewRecorder()
	env.Handler.ServeHTTP(rec, req)
	return &apitest.Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	token := env.Token(tenant, nil)
	readyz := func() *apitest.Response {
		req := apitest.Request(http.MethodGet, "/readyz", "", nil)
		req.RemoteAddr = "127.0.0.1:41000" // the operator's network
		return env.Do(req)
	}
	if res := readyz(); res.Status != http.StatusOK {
		t.Fatalf("readyz before the outage = %d", res.Status)
	}

	u, _ := url.Parse(env.DatabaseURL)
	name := strings.TrimPrefix(u.Path, "/")
	takeDatabaseAway(t, u, name, name+"_away")

	start := time.Now()
	if res := readyz(); res.Status != http.StatusServiceUnavailable {
		t.Errorf("GET /readyz during the outage = %d, want 503: %s", res.Status, res.Body)
	}
	if res := env.Call(http.MethodGet, "/v1/schools", token, nil); res.Status != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
		t.Errorf("GET /v1/schools during the outage = %d (Retry-After %q), want 503 with Retry-After: %s", res.Status, res.Header.Get("Retry-After"), res.Body)
	}
	if res := env.Call(http.MethodGet, "/healthz", "", nil); res.Status != http.StatusOK {
		t.Errorf("healthz during the outage = %d, want 200: the process is alive", res.Status)
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("answering during the outage took %s", elapsed)
	}

	takeDatabaseAway(t, u, name+"_away", name)
	if res := env.Call(http.MethodGet, "/v1/schools", token, nil); res.Status != http.StatusOK {
		t.Errorf("GET /v1/schools after the outage = %d, want 200", res.Status)
	}
	if res := readyz(); res.Status != http.StatusOK {
		t.Errorf("readyz after the outage = %d, want 200", res.Status)
	}
}

// takeDatabaseAway renames a database, closing its connections first, so that the server's
// pool can reach it no longer (or again, renamed back).
func takeDatabaseAway(t *testing.T, u *url.URL, from, to string) {
	t.Helper()
	admin := *u
	admin.Path, admin.RawQuery = "/postgres", ""
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for attempt := 0; ; attempt++ {
		_, _ = conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, from)
		_, err = conn.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, from, to))
		if err == nil {
			return
		}
		if attempt == 20 {
			t.Fatalf("rename database %s: %v", from, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestClientGoneAway: a caller that gives up before its answer is neither a 503 nor an error
// in the log; the request log records 499.
func TestClientGoneAway(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	token := env.Token(tenant, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res := serve(env, apitest.Request(http.MethodGet, "/v1/patrons", token, nil).WithContext(ctx))
	if res.Status != 499 {
		t.Errorf("a canceled request = %d, want 499", res.Status)
	}
	if strings.Contains(env.Logs.String(), "level=ERROR") {
		t.Errorf("a canceled request was logged as an error:\n%s", env.Logs.String())
	}
	if !strings.Contains(env.Logs.String(), "status=499") {
		t.Errorf("the request log lacks the 499:\n%s", env.Logs.String())
	}
}
