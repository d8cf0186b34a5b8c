// Package apitest runs the API for tests: a server on a database of its own, fixtures for
// tenants and tokens, and calls whose every response is checked against openapi.yaml, error
// bodies included.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/auth"
	"github.com/rapportlib/rapport/internal/dbtest"
	"github.com/rapportlib/rapport/internal/httpapi"
	"github.com/rapportlib/rapport/internal/postgres"
	"github.com/rapportlib/rapport/internal/rapport"
)

// Env is an API server over a database of its own. The server runs as the application's
// role; DatabaseURL is the owner's, for tests that reach around it.
type Env struct {
	t           testing.TB
	Handler     http.Handler
	DatabaseURL string
	Store       *postgres.Store
	Auth        *auth.Service
	Logs        *syncBuffer // what the server logged

	storeURL string          // what the store connects to: the server's role, maybe through PgBouncer
	pgcfg    postgres.Config // how
}

// New starts an Env. Rate limits are high unless configure sets them; configure may change
// any part of the HTTP configuration.
func New(t testing.TB, configure ...func(*httpapi.Config)) *Env {
	t.Helper()
	dbURL := dbtest.NewDatabase(t)
	return open(t, dbURL, dbtest.AppURL(dbURL), postgres.Config{MaxConns: 8}, configure)
}

// NewThroughPgBouncer is New with the server's connections going through PgBouncer in
// transaction mode (dbtest.PgBouncer), as Config.Pooled describes.
func NewThroughPgBouncer(t testing.TB, configure ...func(*httpapi.Config)) *Env {
	t.Helper()
	dbURL := dbtest.NewDatabase(t)
	return open(t, dbURL, dbtest.PgBouncer(t, dbURL), postgres.Config{MaxConns: 8, Pooled: true}, configure)
}

func open(t testing.TB, dbURL, storeURL string, pgcfg postgres.Config, configure []func(*httpapi.Config)) *Env {
	t.Helper()
	store, err := postgres.Open(context.Background(), storeURL, pgcfg)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(store.Close)
	env := newEnv(t, dbURL, store, configure)
	env.storeURL, env.pgcfg = storeURL, pgcfg
	return env
}

func newEnv(t testing.TB, dbURL string, store *postgres.Store, configure []func(*httpapi.Config)) *Env {
	t.Helper()
	cfg := httpapi.Config{RateLimit: 10_000, RateBurst: 10_000, AnonRateLimit: 10_000, AnonRateBurst: 10_000}
	for _, f := range configure {
		f(&cfg)
	}
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	authn := auth.New(store, auth.Config{})
	h, err := httpapi.NewServer(logger, cfg, store, authn, prometheus.NewRegistry())
	if err != nil {
		t.Fatalf("NewServer: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &Env{t: t, Handler: h, DatabaseURL: dbURL, Store: store, Auth: authn, Logs: logs}
}

// Replica starts another server on the same database, with a pool, token cache and rate
// limits of its own, as a second replica behind a load balancer would be; both watch the
// change feed for changes of API clients (as serve does) until the test ends.
func (e *Env) Replica() *Env {
	e.t.Helper()
	replica := open(e.t, e.DatabaseURL, e.storeURL, e.pgcfg, nil)
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	for _, env := range []*Env{e, replica} {
		go env.Auth.WatchClients(ctx, 250*time.Millisecond, time.Minute, func(err error) {})
	}
	return replica
}

// Tenant is a district and its schools.
type Tenant struct {
	District rapport.District
	Schools  []rapport.School
}

// NewTenant creates a district with a school for each name given; slugs are made unique.
func (e *Env) NewTenant(schoolNames ...string) Tenant {
	e.t.Helper()
	ctx := context.Background()
	suffix := uuid.NewString()[:8]
	d, err := e.Store.EnsureDistrict(ctx, uuid.Nil, rapport.DistrictCreate{Name: "District " + suffix, Slug: "district-" + suffix})
	if err != nil {
		e.t.Fatalf("EnsureDistrict: %v", err)
	}
	tenant := Tenant{District: d}
	for i, name := range schoolNames {
		in := rapport.SchoolCreate{Name: name, Slug: slugify(name) + "-" + suffix, SourcedID: "org-" + suffix + "-" + string(rune('a'+i))}
		s, err := e.Store.EnsureSchool(ctx, d.ID, rapport.Actor{ClientID: rapport.CLIClientID}, uuid.Nil, in)
		if err != nil {
			e.t.Fatalf("EnsureSchool(%q): %v", name, err)
		}
		tenant.Schools = append(tenant.Schools, s)
	}
	return tenant
}

// Staff returns the members of staff every client made by Client may name in Acting-User.
func Staff() []string {
	return []string{"front-desk", "librarian@example.org", "mr.kim", "ms.lee", "ms.lee@lincoln.example.org"}
}

// Client creates an API client of the tenant holding scopes (every scope when none are
// given), limited to schoolIDs when any are given, that may act for Staff(), and returns it
// with its secret.
func (e *Env) Client(tenant Tenant, scopes []rapport.Scope, schoolIDs ...uuid.UUID) (rapport.Client, string) {
	e.t.Helper()
	if len(scopes) == 0 {
		scopes = rapport.AllScopes
	}
	return e.NewClient(tenant, rapport.ClientCreate{Name: "test client", Scopes: scopes, SchoolIDs: schoolIDs, ActingUsers: Staff()})
}

// NewClient creates the API client of the tenant that in describes, as the command line would,
// and returns it with its secret.
func (e *Env) NewClient(tenant Tenant, in rapport.ClientCreate) (rapport.Client, string) {
	e.t.Helper()
	c, secret, err := e.Auth.CreateClient(context.Background(), auth.CLIPrincipal(tenant.District.ID), in)
	if err != nil {
		e.t.Fatalf("CreateClient: %v", err)
	}
	return c, secret
}

// Token returns a bearer token of a new client; see Client.
func (e *Env) Token(tenant Tenant, scopes []rapport.Scope, schoolIDs ...uuid.UUID) string {
	e.t.Helper()
	return e.TokenOf(e.Client(tenant, scopes, schoolIDs...))
}

// TokenOf returns a bearer token holding every scope of the client with the secret.
func (e *Env) TokenOf(c rapport.Client, secret string) string {
	e.t.Helper()
	tok, err := e.Auth.IssueToken(context.Background(), auth.TokenRequest{GrantType: "client_credentials", ClientID: c.ClientID, ClientSecret: secret})
	if err != nil {
		e.t.Fatalf("IssueToken: %v", err)
	}
	return tok.AccessToken
}

// Request builds a request. A body that is a string or []byte is sent as it is; anything else
// is sent as JSON. JSON bodies are application/json, or application/merge-patch+json for PATCH.
// Headers come as name, value pairs; an empty value sends no header.
func Request(method, path, token string, body any, headers ...string) *http.Request {
	var r io.Reader
	contentType := ""
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			panic(err)
		}
		r = bytes.NewReader(data)
		contentType = "application/json"
		if method == http.MethodPatch {
			contentType = "application/merge-patch+json"
		}
	}
	req := httptest.NewRequest(method, path, r)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	return req
}

// Response is a response as the test sees it.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do serves the request and checks the response against the spec.
func (e *Env) Do(req *http.Request) *Response {
	e.t.Helper()
	rec := httptest.NewRecorder()
	e.Handler.ServeHTTP(rec, req)
	res := &Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
	CheckResponse(e.t, req, res)
	return res
}

// Call is Do(Request(…)).
func (e *Env) Call(method, path, token string, body any, headers ...string) *Response {
	e.t.Helper()
	return e.Do(Request(method, path, token, body, headers...))
}

// Decode decodes the body into v, failing the test when it does not decode.
func (r *Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Problem decodes a problem+json body.
func (r *Response) Problem(t testing.TB) api.Problem {
	t.Helper()
	var p api.Problem
	r.Decode(t, &p)
	return p
}

var (
	specOnce   sync.Once
	spec       *openapi3.T
	specRouter routers.Router
	specErr    error
)

func loadSpec() (*openapi3.T, routers.Router, error) {
	specOnce.Do(func() {
		spec, specErr = api.GetSpec()
		if specErr != nil {
			return
		}
		spec.Servers = nil
		specRouter, specErr = gorillamux.NewRouter(spec)
	})
	return spec, specRouter, specErr
}

// CheckResponse fails t unless the response is what openapi.yaml says the operation answers:
// a declared status, content type, headers and body. A response for a path or method the spec
// does not have must be a problem. Every response must carry X-Request-Id.
func CheckResponse(t testing.TB, req *http.Request, res *Response) {
	t.Helper()
	doc, router, err := loadSpec()
	if err != nil {
		t.Fatalf("load spec: %v", err)
	}
	if res.Header.Get("X-Request-Id") == "" {
		t.Errorf("%s %s: response has no X-Request-Id", req.Method, req.URL)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		checkProblem(t, doc, req, res)
		return
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 res.Status,
		Header:                 res.Header,
		Body:                   io.NopCloser(bytes.NewReader(res.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if ct := res.Header.Get("Content-Type"); ct == "image/jpeg" {
		// kin-openapi decodes JSON-like bodies only: the status, media type and headers are
		// checked against the spec, and the bytes must be a JPEG.
		input.Options.ExcludeResponseBody = true
		if !bytes.HasPrefix(res.Body, []byte{0xFF, 0xD8, 0xFF}) {
			t.Errorf("%s %s: response %d says %s but its body is not a JPEG", req.Method, req.URL, res.Status, ct)
		}
		if cl := res.Header.Get("Content-Length"); cl != strconv.Itoa(len(res.Body)) {
			t.Errorf("%s %s: Content-Length %q, but the body has %d bytes", req.Method, req.URL, cl, len(res.Body))
		}
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		t.Errorf("%s %s: response %d does not match the spec: %v\nbody: %s", req.Method, req.URL, res.Status, err, res.Body)
	}
	if res.Status >= 400 && route.Operation.OperationID != "CreateToken" {
		if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s %s: error response %d has Content-Type %q, want application/problem+json", req.Method, req.URL, res.Status, ct)
		}
	}
}

func checkProblem(t testing.TB, doc *openapi3.T, req *http.Request, res *Response) {
	t.Helper()
	if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s %s: response for a path outside the spec has Content-Type %q, want application/problem+json", req.Method, req.URL, ct)
		return
	}
	var v any
	if err := json.Unmarshal(res.Body, &v); err != nil {
		t.Errorf("%s %s: problem body does not decode: %v", req.Method, req.URL, err)
		return
	}
	if err := doc.Components.Schemas["Problem"].Value.VisitJSON(v); err != nil {
		t.Errorf("%s %s: body is not a Problem: %v", req.Method, req.URL, err)
	}
}

func slugify(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.Trim(b.String(), "-")
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent log writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Pointers lists the pointers of a problem's errors.
func (r *Response) Pointers(t testing.TB) []string {
	t.Helper()
	p := r.Problem(t)
	if p.Errors == nil {
		return nil
	}
	var out []string
	for _, e := range *p.Errors {
		out = append(out, e.Pointer)
	}
	return out
}

// NewPatron adds a patron to the school through the store.
func (e *Env) NewPatron(school rapport.School, given, family string, configure ...func(*rapport.PatronCreate)) rapport.Patron {
	e.t.Helper()
	in := rapport.PatronCreate{SchoolID: school.ID, Role: rapport.RoleStudent, GivenName: given, FamilyName: family}
	for _, f := range configure {
		f(&in)
	}
	scope := rapport.TenantScope{DistrictID: school.DistrictID}
	p, err := e.Store.CreatePatron(context.Background(), scope, rapport.Actor{ClientID: rapport.CLIClientID}, in)
	if err != nil {
		e.t.Fatalf("CreatePatron(%s %s): %v", given, family, err)
	}
	return p
}
