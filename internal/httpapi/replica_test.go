package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/rapport"
)

// TestTwoReplicas: two servers on one database. A client revoked, given a new secret or
// narrowed through one replica stops being trusted by the other within a second, though the
// other had its token cached.
func TestTwoReplicas(t *testing.T) {
	t.Parallel()
	a := apitest.New(t)
	b := a.Replica()
	tenant := a.NewTenant("Lincoln High")
	admin := a.Token(tenant, nil)

	for _, tt := range []struct {
		name   string
		change func(id string) *apitest.Response
	}{
		{"revoked", func(id string) *apitest.Response {
			return a.Call(http.MethodPost, "/v1/clients/"+id+"/revoke", admin, nil)
		}},
		{"a new secret", func(id string) *apitest.Response {
			return a.Call(http.MethodPost, "/v1/clients/"+id+"/secret", admin, nil)
		}},
		{"narrowed", func(id string) *apitest.Response {
			return a.Call(http.MethodPatch, "/v1/clients/"+id, admin, map[string]any{"scopes": []string{"notes:read"}})
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, secret := a.Client(tenant, []rapport.Scope{rapport.ScopePatronsRead, rapport.ScopeNotesRead})
			token := a.TokenOf(c, secret)
			for _, env := range []*apitest.Env{a, b} { // both replicas have the token cached
				if res := env.Call(http.MethodGet, "/v1/patrons", token, nil); res.Status != http.StatusOK {
					t.Fatalf("before: GET /v1/patrons = %d", res.Status)
				}
			}
			if res := tt.change(c.ID.String()); res.Status != http.StatusOK {
				t.Fatalf("change = %d: %s", res.Status, res.Body)
			}
			changed := time.Now()
			if res := a.Call(http.MethodGet, "/v1/patrons", token, nil); res.Status != http.StatusUnauthorized {
				t.Errorf("the replica that made the change: %d, want 401 at once", res.Status)
			}
			for {
				res := b.Call(http.MethodGet, "/v1/patrons", token, nil)
				if res.Status == http.StatusUnauthorized {
					break
				}
				if time.Since(changed) > time.Second {
					t.Fatalf("the other replica still answers %d %s after the change", res.Status, time.Since(changed))
				}
				time.Sleep(20 * time.Millisecond)
			}
			t.Logf("the other replica stopped trusting the token %s after the change", time.Since(changed).Round(time.Millisecond))
		})
	}
}
