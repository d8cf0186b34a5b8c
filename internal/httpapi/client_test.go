package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/rapport"
)

// tokenFor asks the token endpoint for a token with the given credentials and returns it, or
// "" with the status when it is refused.
func tokenFor(t *testing.T, env *apitest.Env, clientID, secret string) (string, int) {
	t.Helper()
	res := env.Do(tokenRequest(url.Values{"grant_type": {"client_credentials"}}, clientID, secret))
	if res.Status != http.StatusOK {
		return "", res.Status
	}
	var tok api.Token
	res.Decode(t, &tok)
	return tok.AccessToken, res.Status
}

func TestClients(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	admin := env.Token(tenant, nil)

	res := env.Call(http.MethodPost, "/v1/clients", admin, map[string]any{
		"name": "Desk app", "client_id": "desk-app-" + tenant.District.Slug, "scopes": []string{"patrons:read", "notes:write"},
		"school_ids": []string{tenant.Schools[0].ID.String()},
	})
	if res.Status != http.StatusCreated {
		t.Fatalf("create client = %d: %s", res.Status, res.Body)
	}
	var created api.ClientWithSecret
	res.Decode(t, &created)
	if created.ClientSecret == "" || res.Header.Get("Cache-Control") != "no-store" || len(created.SchoolIds) != 1 {
		t.Fatalf("created = %+v, Cache-Control %q", created, res.Header.Get("Cache-Control"))
	}
	path := "/v1/clients/" + created.Id.String()

	deskToken, status := tokenFor(t, env, created.ClientId, created.ClientSecret)
	if status != http.StatusOK {
		t.Fatalf("the new client's secret does not get a token: %d", status)
	}
	var schools api.SchoolList
	mustGet(t, env, deskToken, "/v1/schools", &schools)
	if len(schools.Data) != 1 || schools.Data[0].Id != tenant.Schools[0].ID {
		t.Errorf("the limited client sees %v", schoolNames(schools))
	}

	t.Run("get and list never show a secret", func(t *testing.T) {
		res := env.Call(http.MethodGet, path, admin, nil)
		var c map[string]any
		res.Decode(t, &c)
		if _, ok := c["client_secret"]; ok || res.Status != http.StatusOK {
			t.Errorf("GET client = %d %v", res.Status, c)
		}
		var list api.ClientList
		mustGet(t, env, admin, "/v1/clients?limit=1", &list)
		if len(list.Data) != 1 || list.Data[0].Id != created.Id || list.NextCursor == nil {
			t.Errorf("newest client first, with more to follow; got %+v", list)
		}
	})

	t.Run("a client can grant only what it holds", func(t *testing.T) {
		limited := env.Token(tenant, []rapport.Scope{rapport.ScopeAdmin, rapport.ScopePatronsRead}, tenant.Schools[0].ID)
		for _, body := range []map[string]any{
			{"name": "Escalate", "scopes": []string{"stats:read"}, "school_ids": []string{tenant.Schools[0].ID.String()}},
			{"name": "Widen", "scopes": []string{"patrons:read"}},
			{"name": "Elsewhere", "scopes": []string{"patrons:read"}, "school_ids": []string{tenant.Schools[1].ID.String()}},
		} {
			if res := env.Call(http.MethodPost, "/v1/clients", limited, body); res.Status != http.StatusForbidden {
				t.Errorf("create %v = %d, want 403", body["name"], res.Status)
			}
		}
	})

	t.Run("a school of another district", func(t *testing.T) {
		res := env.Call(http.MethodPost, "/v1/clients", admin, map[string]any{
			"name": "Stray", "scopes": []string{"patrons:read"}, "school_ids": []string{other.Schools[0].ID.String()},
		})
		if res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), "#/school_ids") {
			t.Errorf("got %d %s, want 422 pointing at school_ids", res.Status, res.Body)
		}
	})

	t.Run("another district cannot see or touch it", func(t *testing.T) {
		otherAdmin := env.Token(other, nil)
		for _, call := range []struct{ method, path string }{
			{http.MethodGet, path}, {http.MethodPost, path + "/revoke"}, {http.MethodPost, path + "/secret"},
		} {
			if res := env.Call(call.method, call.path, otherAdmin, nil); res.Status != http.StatusNotFound {
				t.Errorf("%s %s = %d, want 404", call.method, call.path, res.Status)
			}
		}
	})

	t.Run("rotate the secret", func(t *testing.T) {
		res := env.Call(http.MethodPost, path+"/secret", admin, nil)
		var rotated api.ClientWithSecret
		res.Decode(t, &rotated)
		if res.Status != http.StatusOK || rotated.ClientSecret == created.ClientSecret || rotated.SecretRotatedAt == nil {
			t.Fatalf("rotate = %d %+v", res.Status, rotated)
		}
		if _, status := tokenFor(t, env, created.ClientId, created.ClientSecret); status != http.StatusUnauthorized {
			t.Errorf("the old secret gets %d, want 401", status)
		}
		if res := env.Call(http.MethodGet, "/v1/schools", deskToken, nil); res.Status != http.StatusUnauthorized {
			t.Errorf("a token of the old secret gets %d, want 401", res.Status)
		}
		deskToken, status = tokenFor(t, env, created.ClientId, rotated.ClientSecret)
		if status != http.StatusOK {
			t.Errorf("the new secret gets %d, want 200", status)
		}
	})

	t.Run("revoke", func(t *testing.T) {
		stale := env.Call(http.MethodGet, path, admin, nil).Header.Get("ETag")
		env.Call(http.MethodPost, path+"/secret", admin, nil) // moves the version on
		if res := env.Call(http.MethodPost, path+"/revoke", admin, nil, "If-Match", stale); res.Status != http.StatusPreconditionFailed {
			t.Errorf("revoke with a stale If-Match = %d, want 412", res.Status)
		}
		res := env.Call(http.MethodPost, path+"/revoke", admin, nil)
		var revoked api.Client
		res.Decode(t, &revoked)
		if res.Status != http.StatusOK || revoked.Status != api.ClientStatusRevoked || revoked.RevokedAt == nil {
			t.Fatalf("revoke = %d %+v", res.Status, revoked)
		}
		if res := env.Call(http.MethodGet, "/v1/schools", deskToken, nil); res.Status != http.StatusUnauthorized {
			t.Errorf("a revoked client's token gets %d, want 401", res.Status)
		}
		if res := env.Call(http.MethodPost, path+"/secret", admin, nil); res.Status != http.StatusConflict {
			t.Errorf("rotating a revoked client = %d, want 409", res.Status)
		}
	})

	t.Run("a client cannot revoke itself", func(t *testing.T) {
		self, secret := env.Client(tenant, nil)
		token, _ := tokenFor(t, env, self.ClientID, secret)
		if res := env.Call(http.MethodPost, "/v1/clients/"+self.ID.String()+"/revoke", token, nil); res.Status != http.StatusConflict {
			t.Errorf("self-revoke = %d, want 409", res.Status)
		}
	})
}

// TestPhotoConsumersGrantOnlyTheirPurpose: a photo consumer that may manage clients can make
// clients of its own purpose and cap, never of another purpose or a larger cap, and cannot
// take over a client of another purpose; library staff (photos:staff) can. A change of purpose
// ends the client's tokens, since a token carries what it may see.
func TestPhotoConsumersGrantOnlyTheirPurpose(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	lmsAdmin, secret := env.NewClient(tenant, rapport.ClientCreate{Name: "LMS integration",
		Scopes:       []rapport.Scope{rapport.ScopeAdmin, rapport.ScopePhotosRead},
		PhotoPurpose: rapport.PurposeLMS, PhotoDailyCap: 5000})
	lms := env.TokenOf(lmsAdmin, secret)
	staff := env.Token(tenant, nil) // every scope, photos:staff among them

	create := func(token string, body map[string]any) *apitest.Response {
		return env.Call(http.MethodPost, "/v1/clients", token, body)
	}
	for _, tt := range []struct {
		name    string
		body    map[string]any
		status  int
		pointer string
	}{
		{"its own purpose and a smaller cap", map[string]any{"name": "LMS sync", "scopes": []string{"photos:read"}, "photo_purpose": "lms", "photo_daily_cap": 100}, http.StatusCreated, ""},
		{"another purpose", map[string]any{"name": "Desk", "scopes": []string{"photos:read"}, "photo_purpose": "desk"}, http.StatusForbidden, "#/photo_purpose"},
		{"a larger cap", map[string]any{"name": "LMS bulk", "scopes": []string{"photos:read"}, "photo_purpose": "lms", "photo_daily_cap": 6000}, http.StatusForbidden, "#/photo_purpose"},
		{"no cap, which is the server's", map[string]any{"name": "LMS bulk", "scopes": []string{"photos:read"}, "photo_purpose": "lms"}, http.StatusForbidden, "#/photo_purpose"},
		{"an unknown purpose", map[string]any{"name": "X", "scopes": []string{"photos:read"}, "photo_purpose": "yearbook"}, http.StatusUnprocessableEntity, "#/photo_purpose"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := create(lms, tt.body)
			if res.Status != tt.status {
				t.Fatalf("create = %d, want %d: %s", res.Status, tt.status, res.Body)
			}
			if tt.pointer != "" && !slices.Contains(res.Pointers(t), tt.pointer) {
				t.Errorf("pointers = %v, want %s", res.Pointers(t), tt.pointer)
			}
		})
	}

	// Staff make a desk client; the LMS admin may not change it, and does not learn more than
	// that it may not.
	res := create(staff, map[string]any{"name": "Desk", "scopes": []string{"photos:read"}, "photo_purpose": "desk"})
	if res.Status != http.StatusCreated {
		t.Fatalf("staff create desk client = %d: %s", res.Status, res.Body)
	}
	var desk api.ClientWithSecret
	res.Decode(t, &desk)
	if deref(desk.PhotoPurpose) != api.PhotoPurposeDesk || desk.PhotoDailyCap != nil {
		t.Errorf("desk client = purpose %v, cap %v", desk.PhotoPurpose, desk.PhotoDailyCap)
	}
	deskPath := "/v1/clients/" + desk.Id.String()
	if res := env.Call(http.MethodPatch, deskPath, lms, map[string]any{"photo_purpose": "lms"}); res.Status != http.StatusForbidden {
		t.Errorf("LMS admin changes the desk client = %d, want 403", res.Status)
	}
	deskToken, _ := tokenFor(t, env, desk.ClientId, desk.ClientSecret)
	if res := env.Call(http.MethodPatch, deskPath, staff, map[string]any{"photo_purpose": "mdm", "photo_daily_cap": 50}); res.Status != http.StatusOK {
		t.Fatalf("staff change the purpose = %d: %s", res.Status, res.Body)
	}
	if res := env.Call(http.MethodGet, "/v1/schools", deskToken, nil); res.Status != http.StatusUnauthorized {
		t.Errorf("a token from before the change of purpose = %d, want 401", res.Status)
	}
	var changed api.Client
	mustGet(t, env, staff, deskPath, &changed)
	if deref(changed.PhotoPurpose) != api.PhotoPurposeMdm || deref(changed.PhotoDailyCap) != 50 {
		t.Errorf("changed client = purpose %v, cap %v", changed.PhotoPurpose, changed.PhotoDailyCap)
	}
	if res := env.Call(http.MethodPatch, deskPath, staff, map[string]any{"photo_purpose": nil, "photo_daily_cap": nil}); res.Status != http.StatusOK {
		t.Fatalf("clear the purpose = %d: %s", res.Status, res.Body)
	}
	var cleared api.Client
	mustGet(t, env, staff, deskPath, &cleared)
	if cleared.PhotoPurpose != nil || cleared.PhotoDailyCap != nil {
		t.Errorf("cleared client = purpose %v, cap %v", *cleared.PhotoPurpose, *cleared.PhotoDailyCap)
	}
}
