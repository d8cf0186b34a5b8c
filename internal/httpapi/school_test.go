package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/rapport"
)

func schoolNames(list api.SchoolList) []string {
	var names []string
	for _, s := range list.Data {
		names = append(names, s.Name)
	}
	return names
}

func TestListSchools(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary", "Roosevelt Middle")
	other := env.NewTenant("Other Elementary")
	token := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsRead})
	// A closed school, for the status filter to leave out.
	if _, err := env.Store.EnsureSchool(context.Background(), tenant.District.ID, rapport.Actor{ClientID: rapport.CLIClientID}, uuid.Nil,
		rapport.SchoolCreate{Name: "Washington Annex", Slug: "washington-annex-" + tenant.District.Slug, Status: rapport.SchoolInactive}); err != nil {
		t.Fatalf("EnsureSchool(Washington Annex): %v", err)
	}

	t.Run("pages in name order", func(t *testing.T) {
		var page api.SchoolList
		res := mustGet(t, env, token, "/v1/schools?limit=2", &page)
		if diff := cmp.Diff([]string{"Adams Elementary", "Lincoln High"}, schoolNames(page)); diff != "" {
			t.Fatalf("first page mismatch (-want +got):\n%s", diff)
		}
		if page.NextCursor == nil {
			t.Fatal("first page has no next_cursor")
		}
		link := res.Header.Get("Link")
		if !strings.HasPrefix(link, "</v1/schools?") || !strings.HasSuffix(link, `>; rel="next"`) || !strings.Contains(link, "limit=2") {
			t.Errorf("Link = %q, want the next page with the same limit", link)
		}
		next := strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`)
		var page2 api.SchoolList
		res = mustGet(t, env, token, next, &page2)
		if diff := cmp.Diff([]string{"Roosevelt Middle", "Washington Annex"}, schoolNames(page2)); diff != "" {
			t.Errorf("second page mismatch (-want +got):\n%s", diff)
		}
		if page2.NextCursor != nil || res.Header.Get("Link") != "" {
			t.Errorf("last page has next_cursor %v, Link %q; want neither", page2.NextCursor, res.Header.Get("Link"))
		}
	})

	t.Run("another district sees only its own", func(t *testing.T) {
		var page api.SchoolList
		mustGet(t, env, env.Token(other, nil), "/v1/schools", &page)
		if diff := cmp.Diff([]string{"Other Elementary"}, schoolNames(page)); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("a client limited to a school sees that school", func(t *testing.T) {
		limited := env.Token(tenant, nil, tenant.Schools[1].ID)
		var page api.SchoolList
		mustGet(t, env, limited, "/v1/schools", &page)
		if diff := cmp.Diff([]string{"Adams Elementary"}, schoolNames(page)); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("status filter", func(t *testing.T) {
		for _, tt := range []struct {
			status string
			want   []string
		}{
			{"inactive", []string{"Washington Annex"}},
			{"active", []string{"Adams Elementary", "Lincoln High", "Roosevelt Middle"}},
		} {
			var page api.SchoolList
			mustGet(t, env, token, "/v1/schools?status="+tt.status, &page)
			if diff := cmp.Diff(tt.want, schoolNames(page)); diff != "" {
				t.Errorf("GET /v1/schools?status=%s (-want +got):\n%s", tt.status, diff)
			}
		}
	})

	t.Run("a cursor this list did not give out", func(t *testing.T) {
		res := env.Call(http.MethodGet, "/v1/schools?cursor=bm90LWEtY3Vyc29y", token, nil)
		if res.Status != http.StatusBadRequest || !slices.Contains(res.Pointers(t), "#/query/cursor") {
			t.Errorf("got %d %s, want 400 pointing at the cursor", res.Status, res.Body)
		}
	})
}

func TestGetSchool(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	token := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsRead})
	school := tenant.Schools[0]

	res := env.Call(http.MethodGet, "/v1/schools/"+school.ID.String(), token, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("GetSchool = %d, want 200: %s", res.Status, res.Body)
	}
	var got api.School
	res.Decode(t, &got)
	if res.Status != http.StatusOK || got.Id != school.ID || got.Name != "Lincoln High" || got.TimeZone != "UTC" {
		t.Fatalf("GetSchool = %d %+v", res.Status, got)
	}
	etag := res.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	res = env.Call(http.MethodGet, "/v1/schools/"+school.ID.String(), token, nil, "If-None-Match", etag)
	if res.Status != http.StatusNotModified || res.Header.Get("ETag") != etag || len(res.Body) != 0 {
		t.Errorf("conditional GET = %d (ETag %q, %d bytes), want 304 with the ETag and no body", res.Status, res.Header.Get("ETag"), len(res.Body))
	}

	for _, tt := range []struct {
		name, token, id string
	}{
		{"another district's client", env.Token(other, nil), school.ID.String()},
		{"a client limited to another school", env.Token(tenant, nil, tenant.Schools[1].ID), school.ID.String()},
		{"another district's school", token, other.Schools[0].ID.String()},
		{"no such school", token, "01929d5e-0000-7000-8000-000000000000"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if res := env.Call(http.MethodGet, "/v1/schools/"+tt.id, tt.token, nil); res.Status != http.StatusNotFound {
				t.Errorf("status = %d, want 404", res.Status)
			}
		})
	}
}

func TestCreateSchool(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	admin := env.Token(tenant, []rapport.Scope{rapport.ScopeAdmin})

	res := env.Call(http.MethodPost, "/v1/schools", admin,
		map[string]string{"name": "Washington Elementary", "slug": "washington-elem-" + tenant.District.Slug, "sourced_id": "org-77", "time_zone": "America/Denver"},
		"Acting-User", "librarian@example.org")
	if res.Status != http.StatusCreated {
		t.Fatalf("status = %d, want 201: %s", res.Status, res.Body)
	}
	var created api.School
	res.Decode(t, &created)
	if res.Header.Get("Location") != "/v1/schools/"+created.Id.String() || res.Header.Get("ETag") == "" {
		t.Errorf("Location %q, ETag %q", res.Header.Get("Location"), res.Header.Get("ETag"))
	}
	if created.CreatedBy.ActingUser == nil || *created.CreatedBy.ActingUser != "librarian@example.org" || created.Status != api.SchoolStatusActive {
		t.Errorf("created = %+v, want it active and made by the acting user", created)
	}
	if res := env.Call(http.MethodGet, "/v1/schools/"+created.Id.String(), admin, nil); res.Status != http.StatusOK {
		t.Errorf("GET the new school = %d", res.Status)
	}

	t.Run("taken slug", func(t *testing.T) {
		res := env.Call(http.MethodPost, "/v1/schools", admin, map[string]string{"name": "Copy", "slug": created.Slug})
		if res.Status != http.StatusConflict || !slices.Contains(res.Pointers(t), "#/slug") {
			t.Errorf("got %d %s, want 409 pointing at slug", res.Status, res.Body)
		}
	})
	t.Run("a client limited to some schools may not add one", func(t *testing.T) {
		limited := env.Token(tenant, []rapport.Scope{rapport.ScopeAdmin}, tenant.Schools[0].ID)
		res := env.Call(http.MethodPost, "/v1/schools", limited, map[string]string{"name": "Other", "slug": "other-" + tenant.District.Slug})
		if res.Status != http.StatusForbidden {
			t.Errorf("status = %d, want 403", res.Status)
		}
	})
}

func TestUpdateSchool(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	other := env.NewTenant("Other Elementary")
	admin := env.Token(tenant, []rapport.Scope{rapport.ScopeAdmin})
	path := "/v1/schools/" + tenant.Schools[0].ID.String()
	etag := mustGet(t, env, admin, path, &api.School{}).Header.Get("ETag")

	res := env.Call(http.MethodPatch, path, admin, map[string]any{"name": "Lincoln High School", "sourced_id": nil}, "If-Match", etag)
	if res.Status != http.StatusOK {
		t.Fatalf("PATCH = %d, want 200: %s", res.Status, res.Body)
	}
	var updated api.School
	res.Decode(t, &updated)
	if res.Status != http.StatusOK || updated.Name != "Lincoln High School" || updated.SourcedId != nil || updated.Slug != tenant.Schools[0].Slug {
		t.Fatalf("PATCH = %d %+v; want the name changed, sourced_id cleared, the slug kept", res.Status, updated)
	}
	newTag := res.Header.Get("ETag")
	if newTag == etag {
		t.Errorf("ETag did not change: %s", newTag)
	}

	t.Run("stale If-Match", func(t *testing.T) {
		res := env.Call(http.MethodPatch, path, admin, map[string]any{"name": "Stale"}, "If-Match", etag)
		if res.Status != http.StatusPreconditionFailed {
			t.Errorf("status = %d, want 412", res.Status)
		}
	})
	t.Run("another district", func(t *testing.T) {
		res := env.Call(http.MethodPatch, path, env.Token(other, nil), map[string]any{"name": "Taken over"})
		if res.Status != http.StatusNotFound {
			t.Errorf("status = %d, want 404", res.Status)
		}
	})
	t.Run("JSON instead of merge patch", func(t *testing.T) {
		res := env.Call(http.MethodPatch, path, admin, `{"name":"X"}`, "Content-Type", "application/json")
		if res.Status != http.StatusUnsupportedMediaType {
			t.Errorf("status = %d, want 415", res.Status)
		}
	})
	t.Run("null for a field that cannot be cleared", func(t *testing.T) {
		res := env.Call(http.MethodPatch, path, admin, map[string]any{"name": nil})
		if res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), "#/name") {
			t.Errorf("got %d %s, want 422 pointing at name", res.Status, res.Body)
		}
	})
	var after api.School
	mustGet(t, env, admin, path, &after)
	if after.Name != "Lincoln High School" {
		t.Errorf("after refused patches the name is %q", after.Name)
	}
}
