package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/rapport"
)

func pledgeBody(version string) map[string]any {
	return map[string]any{
		"feel":   "Welcome, whoever you are, whenever you come " + version,
		"know":   "That we will find what you need, or find who has it",
		"access": "Books, devices and a quiet place from 7:30 to 4:30",
		"text":   "The Lincoln High library is yours. We listen, we act on what you tell us, and when we cannot, we tell you why.",
	}
}

func TestPledge(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	lincoln := tenant.Schools[0]
	path := "/v1/schools/" + lincoln.ID.String() + "/pledge"
	public := "/v1/public/schools/" + lincoln.Slug + "/pledge"
	writer := env.Token(tenant, feedbackScopes)
	reader := env.Token(tenant, []rapport.Scope{rapport.ScopeFeedbackRead})
	admin := env.Token(tenant, []rapport.Scope{rapport.ScopeAdmin})

	if res := env.Call(http.MethodGet, path, reader, nil); res.Status != http.StatusNotFound {
		t.Errorf("GET before any pledge = %d, want 404", res.Status)
	}
	if res := env.Call(http.MethodGet, public, "", nil); res.Status != http.StatusNotFound {
		t.Errorf("public GET before any pledge = %d, want 404", res.Status)
	}

	res := env.Call(http.MethodPut, path, writer, pledgeBody("v1"), "Acting-User", "ms.lee")
	var v1 api.Pledge
	res.Decode(t, &v1)
	if res.Status != http.StatusCreated || v1.Version != 1 || res.Header.Get("ETag") != `"1"` || res.Header.Get("Location") != path ||
		*v1.PublishedBy.ActingUser != "ms.lee" || v1.SchoolId != lincoln.ID {
		t.Fatalf("first PUT = %d %s", res.Status, res.Body)
	}
	same := pledgeBody("v1")
	same["feel"] = "  " + same["feel"].(string) + "\n"
	if res := env.Call(http.MethodPut, path, writer, same); res.Status != http.StatusOK || res.Header.Get("ETag") != `"1"` {
		t.Errorf("PUT of the same pledge = %d %s, want 200 and version 1", res.Status, res.Header.Get("ETag"))
	}
	if res := env.Call(http.MethodPut, path, writer, pledgeBody("v2"), "If-Match", `"1"`); res.Status != http.StatusCreated || res.Header.Get("ETag") != `"2"` {
		t.Errorf("second PUT = %d %s", res.Status, res.Body)
	}
	if res := env.Call(http.MethodPut, path, writer, pledgeBody("stale"), "If-Match", `"1"`); res.Status != http.StatusPreconditionFailed {
		t.Errorf("PUT on a stale version = %d, want 412", res.Status)
	}
	if res := env.Call(http.MethodPut, path, admin, pledgeBody("v3")); res.Status != http.StatusCreated || res.Header.Get("ETag") != `"3"` {
		t.Errorf("PUT with the admin scope = %d %s", res.Status, res.Body)
	}
	if res := env.Call(http.MethodPut, path, reader, pledgeBody("v4")); res.Status != http.StatusForbidden {
		t.Errorf("PUT with feedback:read = %d, want 403", res.Status)
	}
	for _, tt := range []struct {
		name    string
		change  map[string]any
		pointer string
	}{
		{"missing feel", map[string]any{"feel": nil}, "#/feel"},
		{"blank text", map[string]any{"text": " \n "}, "#/text"},
		{"long access", map[string]any{"access": strings.Repeat("a", 2001)}, "#/access"},
		{"know of the wrong type", map[string]any{"know": []string{"x"}}, "#/know"},
		{"unknown field", map[string]any{"version": 9}, "#/version"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := pledgeBody("bad")
			for k, v := range tt.change {
				if v == nil {
					delete(body, k)
				} else {
					body[k] = v
				}
			}
			res := env.Call(http.MethodPut, path, writer, body)
			if res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), tt.pointer) {
				t.Errorf("got %d %v, want 422 at %s", res.Status, res.Pointers(t), tt.pointer)
			}
		})
	}

	res = env.Call(http.MethodGet, path, reader, nil)
	var current api.Pledge
	res.Decode(t, &current)
	if res.Status != http.StatusOK || current.Version != 3 || !strings.HasSuffix(current.Feel, "v3") {
		t.Errorf("current = %d %+v", res.Status, current)
	}
	if res := env.Call(http.MethodGet, path, admin, nil, "If-None-Match", `"3"`); res.Status != http.StatusNotModified {
		t.Errorf("conditional GET = %d, want 304", res.Status)
	}
	var versions []int
	next := "/v1/schools/" + lincoln.ID.String() + "/pledge/versions?limit=2"
	for next != "" {
		var page api.PledgeList
		res := mustGet(t, env, reader, next, &page)
		for _, p := range page.Data {
			versions = append(versions, int(p.Version))
		}
		next = strings.TrimSuffix(strings.TrimPrefix(res.Header.Get("Link"), "<"), `>; rel="next"`)
	}
	if diff := cmp.Diff([]int{3, 2, 1}, versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}

	t.Run("the public page", func(t *testing.T) {
		res := env.Call(http.MethodGet, public, "", nil)
		if res.Status != http.StatusOK || res.Header.Get("Cache-Control") != "public, max-age=60" || res.Header.Get("ETag") == "" {
			t.Fatalf("public GET = %d %s (Cache-Control %q)", res.Status, res.Body, res.Header.Get("Cache-Control"))
		}
		var got api.PublicPledge
		res.Decode(t, &got)
		if got.Version != 3 || got.School.Slug != lincoln.Slug || got.School.Name != "Lincoln High" || got.Text != current.Text {
			t.Errorf("public pledge = %+v", got)
		}
		for _, secret := range []string{"published_by", "ms.lee", "client_id", lincoln.ID.String()} {
			if strings.Contains(string(res.Body), secret) {
				t.Errorf("the public pledge shows %q: %s", secret, res.Body)
			}
		}
		etag := res.Header.Get("ETag")
		res = env.Call(http.MethodGet, public, "", nil, "If-None-Match", etag)
		if res.Status != http.StatusNotModified || res.Header.Get("ETag") != etag || res.Header.Get("Cache-Control") != "public, max-age=60" {
			t.Errorf("conditional public GET = %d, headers %v", res.Status, res.Header)
		}
		if res := env.Call(http.MethodPut, path, writer, pledgeBody("v4")); res.Status != http.StatusCreated {
			t.Fatalf("PUT v4 = %d %s", res.Status, res.Body)
		}
		if res := env.Call(http.MethodGet, public, "", nil, "If-None-Match", etag); res.Status != http.StatusOK || res.Header.Get("ETag") == etag {
			t.Errorf("after a new version the old ETag gives %d, ETag %s", res.Status, res.Header.Get("ETag"))
		}
		if res := env.Call(http.MethodGet, "/v1/public/schools/no-such-school/pledge", "", nil); res.Status != http.StatusNotFound {
			t.Errorf("an unknown slug = %d, want 404", res.Status)
		}
	})

	t.Run("publishers take turns", func(t *testing.T) {
		race := func(name string, headers ...string) []*apitest.Response {
			var wg sync.WaitGroup
			out := make([]*apitest.Response, 2)
			for i := range out {
				wg.Add(1)
				go func() {
					defer wg.Done()
					out[i] = env.Call(http.MethodPut, path, writer, pledgeBody(name+" "+string(rune('a'+i))), headers...)
				}()
			}
			wg.Wait()
			return out
		}
		etag := mustGet(t, env, reader, path, &api.Pledge{}).Header.Get("ETag")
		var statuses []int
		for _, res := range race("conditional", "If-Match", etag) {
			statuses = append(statuses, res.Status)
		}
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{http.StatusCreated, http.StatusPreconditionFailed}) {
			t.Errorf("two publishers with the same ETag = %v, want one 201 and one 412", statuses)
		}
		free := race("unconditional")
		if free[0].Status != http.StatusCreated || free[1].Status != http.StatusCreated || free[0].Header.Get("ETag") == free[1].Header.Get("ETag") {
			t.Errorf("two publishers without If-Match = %d %s and %d %s, want two new versions",
				free[0].Status, free[0].Header.Get("ETag"), free[1].Status, free[1].Header.Get("ETag"))
		}
	})

	t.Run("another district or school", func(t *testing.T) {
		for _, tok := range []string{env.Token(other, nil), env.Token(tenant, nil, tenant.Schools[1].ID)} {
			for _, call := range []struct {
				method, path string
				body         any
			}{
				{http.MethodGet, path, nil},
				{http.MethodPut, path, pledgeBody("intruder")},
				{http.MethodGet, path + "/versions", nil},
			} {
				if res := env.Call(call.method, call.path, tok, call.body); res.Status != http.StatusNotFound {
					t.Errorf("%s %s = %d, want 404", call.method, call.path, res.Status)
				}
			}
		}
		var after api.PublicPledge
		mustGet(t, env, "", public, &after)
		if strings.Contains(after.Feel, "intruder") {
			t.Errorf("another tenant changed the pledge: %+v", after)
		}
	})

	t.Run("an inactive school has no public page", func(t *testing.T) {
		adams := tenant.Schools[1]
		adamsPath := "/v1/schools/" + adams.ID.String()
		if res := env.Call(http.MethodPut, adamsPath+"/pledge", writer, pledgeBody("adams")); res.Status != http.StatusCreated {
			t.Fatalf("PUT = %d", res.Status)
		}
		if res := env.Call(http.MethodPatch, adamsPath, env.Token(tenant, nil), map[string]any{"status": "inactive"}); res.Status != http.StatusOK {
			t.Fatalf("deactivate = %d %s", res.Status, res.Body)
		}
		if res := env.Call(http.MethodGet, "/v1/public/schools/"+adams.Slug+"/pledge", "", nil); res.Status != http.StatusNotFound {
			t.Errorf("the pledge of an inactive school = %d, want 404", res.Status)
		}
		if res := env.Call(http.MethodGet, adamsPath+"/pledge", reader, nil); res.Status != http.StatusOK {
			t.Errorf("staff still read it: got %d, want 200", res.Status)
		}
	})
}
