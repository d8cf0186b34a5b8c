package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/rapport"
)

// feed follows the change feed from cursor to its end and answers the events as
// "type event id-label" lines (labels name the ids the test knows) and the cursor to resume from.
func feed(t *testing.T, env *apitest.Env, token, cursor, query string, labels map[uuid.UUID]string) ([]string, string) {
	t.Helper()
	var out []string
	for range 1000 {
		path := "/v1/changes?limit=7" + query
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		var page api.ChangeList
		mustGet(t, env, token, path, &page)
		for _, e := range page.Data {
			label, ok := labels[e.Id]
			if !ok {
				label = e.Id.String()
			}
			line := string(e.Type) + " " + string(e.Event) + " " + label
			if gone := e.Event == "deleted" || e.Event == "removed"; (e.Path == nil) != gone {
				t.Errorf("%s: path %v; want one exactly when not deleted or removed", line, e.Path)
			}
			out = append(out, line)
		}
		if page.NextCursor == "" {
			t.Fatalf("GET %s: no next_cursor", path)
		}
		cursor = page.NextCursor
		if !page.HasMore {
			return out, cursor
		}
	}
	t.Fatal("the feed does not end")
	return nil, ""
}

// feedSoon is feed from cursor, read again until it answers want or ten seconds pass: the feed
// shows a change once every transaction of the cluster that began before it has ended, and
// other tests' transactions on the same cluster hold it back a moment.
func feedSoon(t *testing.T, env *apitest.Env, token, cursor, query string, labels map[uuid.UUID]string, want []string) []string {
	t.Helper()
	var got []string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		got, _ = feed(t, env, token, cursor, query, labels)
		if cmp.Equal(want, got) || time.Now().After(deadline) {
			return got
		}
	}
}

func TestChangeFeed(t *testing.T) {
	t.Parallel()
	t.Run("direct", func(t *testing.T) {
		t.Parallel()
		testChangeFeed(t, apitest.New(t))
	})
	t.Run("through PgBouncer", func(t *testing.T) {
		t.Parallel()
		testChangeFeed(t, apitest.NewThroughPgBouncer(t))
	})
}

func testChangeFeed(t *testing.T, env *apitest.Env) {
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	lincoln, adams := tenant.Schools[0], tenant.Schools[1]
	admin := env.Token(tenant, nil)
	labels := map[uuid.UUID]string{lincoln.ID: "lincoln", adams.ID: "adams"}

	// Where the feed stands once the tenant is set up: the schools and the admin's client.
	if got := feedSoon(t, env, admin, "", "&types=school", labels, []string{"school created lincoln", "school created adams"}); len(got) != 2 {
		t.Fatalf("the schools' events = %v", got)
	}
	if got := feedSoon(t, env, admin, "", "&types=client", labels, []string{"client created " + clientUUIDOf(t, env, admin)}); len(got) != 1 {
		t.Fatalf("the admin client's events = %v", got)
	}
	_, start := feed(t, env, admin, "", "", labels)
	otherAdmin := env.Token(other, nil)
	_, otherStart := feed(t, env, otherAdmin, "", "", labels) // the same moment in the other district's feed

	post := func(path string, body map[string]any, label string, headers ...string) uuid.UUID {
		t.Helper()
		res := env.Call(http.MethodPost, path, admin, body, headers...)
		if res.Status != http.StatusCreated {
			t.Fatalf("POST %s = %d: %s", path, res.Status, res.Body)
		}
		var v struct{ Id uuid.UUID }
		res.Decode(t, &v)
		labels[v.Id] = label
		return v.Id
	}
	patch := func(path string, body map[string]any) *apitest.Response {
		t.Helper()
		res := env.Call(http.MethodPatch, path, admin, body)
		if res.Status != http.StatusOK {
			t.Fatalf("PATCH %s = %d: %s", path, res.Status, res.Body)
		}
		return res
	}
	maya := post("/v1/patrons", map[string]any{"school_id": lincoln.ID, "role": "student", "given_name": "Maya", "family_name": "Lopez"}, "maya")
	dee := post("/v1/patrons", map[string]any{"school_id": adams.ID, "role": "student", "given_name": "Dee", "family_name": "Cole"}, "dee")
	note := post("/v1/patrons/"+maya.String()+"/notes", map[string]any{"body": "Horses"}, "note")
	post("/v1/patrons/"+maya.String()+"/notes", map[string]any{"body": "Sad today", "visibility": "author"}, "private-note", "Acting-User", "ms.lee")
	post("/v1/patrons/"+dee.String()+"/visits", map[string]any{}, "visit")
	item := post("/v1/feedback", map[string]any{"school_id": lincoln.ID, "source": "email", "summary": "Quiet room"}, "item")
	if res := env.Call(http.MethodPost, "/v1/feedback/"+item.String()+"/transitions", admin, map[string]any{"to": "acted_on", "text": "Room 12 at lunch"}); res.Status != http.StatusOK {
		t.Fatalf("decide = %d: %s", res.Status, res.Body)
	}
	patch("/v1/patrons/"+maya.String(), map[string]any{"grade": "05"})
	// A patch that changes nothing is no change: no event, no new version or time.
	before := patch("/v1/patrons/"+maya.String(), map[string]any{"grade": "05"})
	again := patch("/v1/patrons/"+maya.String(), map[string]any{})
	var b, a api.Patron
	before.Decode(t, &b)
	again.Decode(t, &a)
	if before.Header.Get("ETag") != again.Header.Get("ETag") || !a.UpdatedAt.Equal(b.UpdatedAt) {
		t.Errorf("an empty patch moved the patron: ETag %s → %s, updated_at %s → %s", before.Header.Get("ETag"), again.Header.Get("ETag"), b.UpdatedAt, a.UpdatedAt)
	}
	if res := env.Call(http.MethodDelete, "/v1/notes/"+note.String(), admin, nil); res.Status != http.StatusNoContent {
		t.Fatalf("delete note = %d", res.Status)
	}
	patch("/v1/patrons/"+dee.String(), map[string]any{"school_id": lincoln.ID}) // Dee moves to Lincoln
	if res := env.Call(http.MethodPost, "/v1/patrons/"+maya.String()+"/erase", admin, nil); res.Status != http.StatusOK {
		t.Fatalf("erase = %d", res.Status)
	}
	// Another district's writes, which no one here sees.
	if res := env.Call(http.MethodPost, "/v1/patrons", otherAdmin, map[string]any{"school_id": other.Schools[0].ID, "role": "student", "given_name": "Eve", "family_name": "Abbot"}); res.Status != http.StatusCreated {
		t.Fatalf("other district's patron = %d", res.Status)
	}

	everything := []string{
		"patron created maya", "patron created dee", "note created note", "interaction created visit",
		"feedback_item created item", "feedback_item updated item", "patron updated maya",
		"note deleted note", "patron deleted dee", "patron updated dee", "patron deleted maya",
	}
	for _, tt := range []struct {
		name, token, query string
		want               []string
	}{
		// (The tokens of this table are clients created meanwhile: their events are left out.)
		{"an admin of the district", admin, "&types=school,patron,note,interaction,feedback_item,campaign,pledge", everything},
		{"notes", admin, "&types=note", []string{"note created note", "note deleted note"}},
		{"types", admin, "&types=patron,feedback_item", []string{"patron created maya", "patron created dee", "feedback_item created item",
			"feedback_item updated item", "patron updated maya", "patron deleted dee", "patron updated dee", "patron deleted maya"}},
		{"a client of Adams", env.Token(tenant, nil, adams.ID), "", []string{"patron created dee", "interaction created visit", "patron deleted dee"}},
		{"without notes scopes", env.Token(tenant, []rapport.Scope{rapport.ScopeChangesRead, rapport.ScopePatronsRead}), "", []string{
			"patron created maya", "patron created dee", "patron updated maya", "patron deleted dee", "patron updated dee", "patron deleted maya"}},
		{"another district", otherAdmin, "&types=note,interaction,feedback_item", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			from := start
			if tt.token == otherAdmin {
				from = otherStart // a cursor of this district's feed does not open in another's
			}
			got := feedSoon(t, env, tt.token, from, tt.query, labels, tt.want)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("feed (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("another district's cursor", func(t *testing.T) {
		res := env.Call(http.MethodGet, "/v1/changes?cursor="+start, otherAdmin, nil)
		if res.Status != http.StatusBadRequest || !slices.Equal(res.Pointers(t), []string{"#/query/cursor"}) {
			t.Errorf("a cursor of another district's feed = %d %s; want 400 at #/query/cursor", res.Status, res.Body)
		}
	})
	t.Run("the author's note, through the client and name that wrote it", func(t *testing.T) {
		if notes, _ := feed(t, env, admin, start, "&types=note", labels); len(notes) != 2 {
			t.Fatalf("without Acting-User: %v; want the library note's two events", notes)
		}
		var page api.ChangeList
		mustGet(t, env, admin, "/v1/changes?types=note&cursor="+start, &page, "Acting-User", "ms.lee")
		var got []string
		for _, e := range page.Data {
			got = append(got, string(e.Event)+" "+labels[e.Id])
		}
		want := []string{"created note", "created private-note", "deleted note", "deleted private-note"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("as ms.lee, her author-only note among the notes (-want +got):\n%s", diff)
		}
	})
	t.Run("no changes:read", func(t *testing.T) {
		if res := env.Call(http.MethodGet, "/v1/changes", env.Token(tenant, []rapport.Scope{rapport.ScopePatronsRead}), nil); res.Status != http.StatusForbidden {
			t.Errorf("GET /v1/changes without changes:read = %d, want 403", res.Status)
		}
	})
	t.Run("an empty feed answers where to resume", func(t *testing.T) {
		patrons := []string{"patron created maya", "patron created dee", "patron updated maya", "patron deleted dee", "patron updated dee", "patron deleted maya"}
		feedSoon(t, env, admin, start, "&types=patron", labels, patrons) // everything written so far has landed
		_, end := feed(t, env, admin, start, "&types=patron", labels)
		var page api.ChangeList
		mustGet(t, env, admin, "/v1/changes?types=patron&cursor="+end, &page)
		if len(page.Data) != 0 || page.HasMore || page.NextCursor == "" {
			t.Fatalf("at the end: %+v; want no events, no more, a cursor", page)
		}
		post("/v1/patrons", map[string]any{"school_id": lincoln.ID, "role": "student", "given_name": "Ben", "family_name": "Adams"}, "ben")
		got := feedSoon(t, env, admin, page.NextCursor, "&types=patron", labels, []string{"patron created ben"})
		if diff := cmp.Diff([]string{"patron created ben"}, got); diff != "" {
			t.Errorf("after the end (-want +got):\n%s", diff)
		}
	})
	t.Run("the events say nothing personal", func(t *testing.T) {
		res := env.Call(http.MethodGet, "/v1/changes?cursor="+start, admin, nil)
		if res.Status != http.StatusOK || strings.Contains(string(res.Body), "Maya") || strings.Contains(string(res.Body), "Horses") {
			t.Errorf("feed = %d %s", res.Status, res.Body)
		}
	})
	t.Run("a cursor older than what is kept", func(t *testing.T) {
		if _, err := env.Store.PurgeChanges(context.Background(), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		res := env.Call(http.MethodGet, "/v1/changes?cursor="+start, admin, nil)
		if res.Status != http.StatusGone || !strings.Contains(deref(res.Problem(t).Detail), "full sync") {
			t.Errorf("GET with a purged cursor = %d %s, want 410 saying to resync", res.Status, res.Body)
		}
		var page api.ChangeList
		mustGet(t, env, admin, "/v1/changes", &page)
		if len(page.Data) != 0 || page.NextCursor == "" {
			t.Errorf("from the start after the purge: %+v, want nothing and a cursor", page)
		}
		if res := env.Call(http.MethodGet, "/v1/changes?cursor=not-a-cursor", admin, nil); res.Status != http.StatusBadRequest {
			t.Errorf("a cursor that is none = %d, want 400", res.Status)
		}
	})
}

// clientUUIDOf returns the record id of the client a token belongs to.
func clientUUIDOf(t *testing.T, env *apitest.Env, token string) string {
	t.Helper()
	p, err := env.Auth.Authenticate(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	return p.ClientUUID.String()
}

// TestNoOpPatchIsNoWrite: a merge patch that changes nothing leaves the record's version,
// updated_at and the change feed alone, for every resource a patch changes.
func TestNoOpPatchIsNoWrite(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	admin := env.Token(tenant, nil)
	school := tenant.Schools[0].ID
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez")
	created := func(path string, body map[string]any) string {
		t.Helper()
		res := env.Call(http.MethodPost, path, admin, body)
		if res.Status != http.StatusCreated {
			t.Fatalf("POST %s = %d: %s", path, res.Status, res.Body)
		}
		return res.Header.Get("Location")
	}
	for _, tt := range []struct {
		name, path string
		patch      map[string]any
	}{
		{"school", "/v1/schools/" + school.String(), map[string]any{"name": tenant.Schools[0].Name}},
		{"patron", "/v1/patrons/" + patron.ID.String(), map[string]any{"given_name": "Maya"}},
		{"note", created("/v1/patrons/"+patron.ID.String()+"/notes", map[string]any{"body": "Horses", "follow_up": map[string]any{"prompt": "Ask"}}),
			map[string]any{"body": "Horses", "follow_up": map[string]any{"state": "open"}}},
		{"interaction", created("/v1/interactions", map[string]any{"school_id": school, "kind": "reference", "summary": "Atlas", "head_count": 1}), map[string]any{"summary": "Atlas"}},
		{"feedback", created("/v1/feedback", map[string]any{"school_id": school, "source": "email", "summary": "Quiet"}), map[string]any{"summary": "Quiet"}},
		{"campaign", created("/v1/campaigns", map[string]any{"school_id": school, "kind": "survey", "title": "Spring", "held_on": "2026-04-01"}),
			map[string]any{"title": "Spring"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := mustGet(t, env, admin, tt.path, &map[string]any{})
			target := uuid.MustParse(tt.path[strings.LastIndex(tt.path, "/")+1:])
			_, start := feed(t, env, admin, "", "", nil)
			for _, body := range []map[string]any{{}, tt.patch} {
				res := env.Call(http.MethodPatch, tt.path, admin, body)
				if res.Status != http.StatusOK || res.Header.Get("ETag") != before.Header.Get("ETag") {
					t.Errorf("PATCH %v = %d, ETag %s; want 200 and the ETag before, %s", body, res.Status, res.Header.Get("ETag"), before.Header.Get("ETag"))
				}
			}
			var b, a map[string]any
			before.Decode(t, &b)
			mustGet(t, env, admin, tt.path, &a)
			if a["updated_at"] != b["updated_at"] {
				t.Errorf("updated_at %v → %v after patches that change nothing", b["updated_at"], a["updated_at"])
			}
			// A write after the patches, to wait for in the feed: once it shows, so would any
			// event of the patches (the feed may lag behind other tests' transactions on the
			// cluster, so an event written before the start may show after it; only an update
			// of the patched record counts).
			sentinel := env.NewPatron(tenant.Schools[0], "Sentinel", tt.name)
			labels := map[uuid.UUID]string{target: "target", sentinel.ID: "sentinel"}
			var lines []string
			for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if lines, _ = feed(t, env, admin, start, "", labels); slices.Contains(lines, "patron created sentinel") {
					break
				}
			}
			if !slices.Contains(lines, "patron created sentinel") {
				t.Fatalf("the sentinel never showed in the feed: %v", lines)
			}
			for _, line := range lines {
				if strings.HasSuffix(line, " target") && !strings.Contains(line, " created ") {
					t.Errorf("the feed holds %q after patches that change nothing", line)
				}
			}
		})
	}
}
