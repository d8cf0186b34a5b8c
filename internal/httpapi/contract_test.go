package httpapi_test

// The headers the server sends on its own, whatever the handler (the rate limit, CORS), are
// declared in openapi.yaml on every response that carries them, not only in its prose. The
// first test reads the contract; the second asks the real server and holds each answer's
// headers against the contract.

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/google/uuid"

	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/httpapi"
)

// rateLimitHeaders are set by the rate limiter on every /v1 request it counts.
var rateLimitHeaders = []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"}

// serverHeaders are the headers the middleware sets whatever the operation.
var serverHeaders = append(slices.Clone(rateLimitHeaders), "Retry-After", "Access-Control-Allow-Origin")

// loadContract reads openapi.yaml as it is in the repository.
func loadContract(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile("../../openapi.yaml")
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("openapi.yaml is not valid: %v", err)
	}
	return doc
}

// sentOn returns the headers of serverHeaders the server sends on an answer with the status
// to a request for path (ok) and those it never sends there (never). The rate limiter counts
// every /v1 request except one refused before it sees it, as a body over the limit (413) is
// always; a request refused there for other reasons (input that is not strictly formed, a
// failure while checking the token) answers without the RateLimit headers, so they are
// declared, as optional headers, but not always sent. Retry-After comes with every 429 and
// 503; CORS applies to every route.
func sentOn(path string, status int) (ok, never []string) {
	ok = []string{"Access-Control-Allow-Origin"}
	if strings.HasPrefix(path, "/v1/") && status != http.StatusRequestEntityTooLarge {
		ok = append(ok, rateLimitHeaders...)
	} else {
		never = append(never, rateLimitHeaders...)
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		ok = append(ok, "Retry-After")
	} else {
		never = append(never, "Retry-After")
	}
	return ok, never
}

func TestContractDeclaresServerHeaders(t *testing.T) {
	t.Parallel()
	doc := loadContract(t)
	operations := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			operations++
			name := method + " " + path
			if strings.HasPrefix(path, "/v1/") && op.Responses.Value("429") == nil {
				t.Errorf("%s: no 429; the rate limiter may refuse any /v1 request", name)
			}
			for code, res := range op.Responses.Map() {
				status, err := strconv.Atoi(code)
				if err != nil {
					t.Errorf("%s: response %q is not a status code", name, code)
					continue
				}
				want, never := sentOn(path, status)
				for _, h := range want {
					if _, ok := res.Value.Headers[h]; !ok {
						t.Errorf("%s: response %d does not declare %s, which the server sends on it", name, status, h)
					}
				}
				for _, h := range never {
					if _, ok := res.Value.Headers[h]; ok {
						t.Errorf("%s: response %d declares %s, which the server never sends on it", name, status, h)
					}
				}
				for _, h := range serverHeaders {
					if ref, ok := res.Value.Headers[h]; ok && ref.Value.Required {
						// The generated strict server would then always set it, overwriting the
						// middleware's value with the handler's zero value.
						t.Errorf("%s: response %d declares %s as required; the middleware sets it, not the handler", name, status, h)
					}
				}
			}
		}
	}
	if operations == 0 {
		t.Fatal("openapi.yaml has no operations")
	}
}

func TestServerSendsDeclaredHeaders(t *testing.T) {
	t.Parallel()
	const origin = "https://desk.example.org"
	env := apitest.New(t, func(c *httpapi.Config) {
		c.CORSOrigins = []string{origin}
		c.BodyLimit = 4096
		c.AnonRateLimit, c.AnonRateBurst = 0.001, 3 // without a token: three requests, then 429
	})
	tenant := env.NewTenant("Lincoln High")
	client, secret := env.Client(tenant, nil)
	token := env.TokenOf(client, secret)
	board := "/v1/public/schools/" + tenant.Schools[0].Slug + "/you-said-we-did"

	doc := loadContract(t)
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}

	for _, tt := range []struct {
		name       string
		req        *http.Request
		wantStatus int
		counted    bool // by the rate limiter: the RateLimit headers are there
	}{
		{"a list", apitest.Request("GET", "/v1/schools", token, nil), 200, true},
		{"a record that is not there", apitest.Request("GET", "/v1/schools/"+uuid.NewString(), token, nil), 404, true},
		{"a parameter the validator refuses", apitest.Request("GET", "/v1/schools?limit=1000", token, nil), 400, true},
		{"a parameter refused as input", apitest.Request("GET", "/v1/schools?status=%01", token, nil), 400, false},
		{"a body over the limit", apitest.Request("POST", "/v1/schools", token, `{"name":"`+strings.Repeat("a", 5000)+`"}`, "Content-Type", "application/json"), 413, false},
		{"the token endpoint", tokenRequest(url.Values{"grant_type": {"client_credentials"}}, client.ClientID, secret), 200, true},
		{"a public page", apitest.Request("GET", board, "", nil), 200, true},
		{"the health check", apitest.Request("GET", "/healthz", "", nil), 200, false},
		{"readiness, to a caller outside the operator's networks", apitest.Request("GET", "/readyz", "", nil), 404, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Header.Set("Origin", origin)
			res := env.Do(tt.req)
			if res.Status != tt.wantStatus {
				t.Fatalf("status = %d, want %d: %s", res.Status, tt.wantStatus, res.Body)
			}
			checkServerHeaders(t, router, tt.req, res, origin, tt.counted)
		})
	}

	t.Run("past the limit", func(t *testing.T) {
		// The token endpoint and the public page took two of the address's three requests.
		var res *apitest.Response
		var req *http.Request
		for range 3 {
			req = apitest.Request("GET", board, "", nil, "Origin", origin)
			if res = env.Do(req); res.Status == http.StatusTooManyRequests {
				break
			}
		}
		if res.Status != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Fatalf("status = %d, Retry-After %q; want 429 with Retry-After", res.Status, res.Header.Get("Retry-After"))
		}
		checkServerHeaders(t, router, req, res, origin, true)
	})
}

// checkServerHeaders fails t unless the answer carries the RateLimit headers exactly when the
// rate limiter counted the request and the allowed origin, and the contract declares every
// header of serverHeaders that the answer carries on the operation's response of its status.
func checkServerHeaders(t *testing.T, router routers.Router, req *http.Request, res *apitest.Response, origin string, counted bool) {
	t.Helper()
	if got := res.Header.Get("Access-Control-Allow-Origin"); got != origin {
		t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, origin)
	}
	for _, h := range rateLimitHeaders {
		if got := res.Header.Get(h); (got != "") != counted {
			t.Errorf("%s = %q; want it present: %t", h, got, counted)
		}
	}
	route, _, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s is not an operation of openapi.yaml: %v", req.Method, req.URL.Path, err)
	}
	declared := route.Operation.Responses.Status(res.Status)
	if declared == nil {
		t.Fatalf("%s %s: openapi.yaml declares no response %d", req.Method, route.Path, res.Status)
	}
	for _, h := range serverHeaders {
		if _, ok := declared.Value.Headers[h]; res.Header.Get(h) != "" && !ok {
			t.Errorf("%s %s answered %d with %s, which openapi.yaml does not declare there", req.Method, route.Path, res.Status, h)
		}
	}
}
