package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/rapport"
)

// interactionScopes are what a desk app that records service holds.
var interactionScopes = []rapport.Scope{rapport.ScopeInteractionsRead, rapport.ScopeInteractionsWrite}

// createInteraction records an interaction through the API and answers it.
func createInteraction(t *testing.T, env *apitest.Env, token string, body map[string]any, headers ...string) api.Interaction {
	t.Helper()
	res := env.Call(http.MethodPost, "/v1/interactions", token, body, headers...)
	if res.Status != http.StatusCreated {
		t.Fatalf("create interaction %v = %d: %s", body, res.Status, res.Body)
	}
	var it api.Interaction
	res.Decode(t, &it)
	return it
}

// summaries lists the summaries of a page of interactions, which the tests use as names.
func summaries(list api.InteractionList) []string {
	var out []string
	for _, it := range list.Data {
		out = append(out, deref(it.Summary))
	}
	return out
}

// at formats a time for a request.
func at(t time.Time) string {
	return t.UTC().Format(time.RFC3339Nano)
}

// sortedUUIDs sorts ids as the API answers patron_ids: bytewise, as PostgreSQL orders uuids.
func sortedUUIDs(ids ...uuid.UUID) []uuid.UUID {
	out := slices.Clone(ids)
	slices.SortFunc(out, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// nextPath is the address in a Link header, or "" on the last page.
func nextPath(res *apitest.Response) string {
	return strings.TrimSuffix(strings.TrimPrefix(res.Header.Get("Link"), "<"), `>; rel="next"`)
}

// mustGet GETs path and decodes the answer into v, failing the test unless it is 200: a 403 or
// a 500 must never pass for an empty list.
func mustGet(t *testing.T, env *apitest.Env, token, path string, v any, headers ...string) *apitest.Response {
	t.Helper()
	res := env.Call(http.MethodGet, path, token, nil, headers...)
	if res.Status != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200: %s", path, res.Status, res.Body)
	}
	res.Decode(t, v)
	return res
}

// allPages follows the Link headers from path and answers the summaries of every page, and
// how many pages there were.
func allPages(t *testing.T, env *apitest.Env, token, path string) ([]string, int) {
	t.Helper()
	var all []string
	pages := 0
	for path != "" {
		res := env.Call(http.MethodGet, path, token, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s = %d: %s", path, res.Status, res.Body)
		}
		var page api.InteractionList
		res.Decode(t, &page)
		all = append(all, summaries(page)...)
		pages++
		path = nextPath(res)
	}
	return all, pages
}

func erasePatron(t *testing.T, env *apitest.Env, p rapport.Patron) {
	t.Helper()
	scope := rapport.TenantScope{DistrictID: p.DistrictID}
	if _, err := env.Store.ErasePatron(context.Background(), scope, rapport.Actor{ClientID: rapport.CLIClientID}, p.ID, nil); err != nil {
		t.Fatalf("ErasePatron: %v", err)
	}
}

func TestCreateInteraction(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	lincoln, adams := tenant.Schools[0], tenant.Schools[1]
	maya := env.NewPatron(lincoln, "Maya", "Lopez")
	ben := env.NewPatron(lincoln, "Ben", "Adams")
	dee := env.NewPatron(adams, "Dee", "Cole")
	eve := env.NewPatron(other.Schools[0], "Eve", "Abbot")
	gone := env.NewPatron(lincoln, "Gone", "Away")
	erasePatron(t, env, gone)
	writer := env.Token(tenant, interactionScopes)
	school := lincoln.ID.String()

	res := env.Call(http.MethodPost, "/v1/interactions", writer, map[string]any{
		"school_id": school, "patron_ids": []uuid.UUID{maya.ID, ben.ID}, "kind": "research_help", "channel": "chat",
		"summary": "Sources for a paper on the 1918 flu\nFound three in the databases", "outcome": "referred",
		"referral":   map[string]any{"to_name": "Ms. Rivera", "to_role": "public librarian", "contact": "rivera@springfield.example.org"},
		"read_level": 4, "duration_minutes": 25, "satisfaction": map[string]any{"rating": 5, "comment": "So helpful!"},
	}, "Acting-User", "ms.lee@lincoln.example.org")
	if res.Status != http.StatusCreated {
		t.Fatalf("status = %d: %s", res.Status, res.Body)
	}
	var it api.Interaction
	res.Decode(t, &it)
	if res.Header.Get("Location") != "/v1/interactions/"+it.Id.String() || res.Header.Get("ETag") != `"1"` {
		t.Errorf("Location %q, ETag %q", res.Header.Get("Location"), res.Header.Get("ETag"))
	}
	want := api.Interaction{
		Id: it.Id, SchoolId: lincoln.ID, PatronIds: sortedUUIDs(maya.ID, ben.ID), HeadCount: 2,
		Kind: "research_help", Channel: "chat",
		Summary: it.Summary, Outcome: new(api.InteractionOutcome("referred")),
		Referral:  &api.Referral{ToName: "Ms. Rivera", ToRole: "public librarian", Contact: new("rivera@springfield.example.org"), State: "made"},
		ReadLevel: new(int32(4)), DurationMinutes: new(int32(25)), Satisfaction: &api.Satisfaction{Rating: 5, Comment: new("So helpful!")},
		OccurredAt: it.CreatedAt, CreatedAt: it.CreatedAt, UpdatedAt: it.CreatedAt,
		CreatedBy: it.CreatedBy, UpdatedBy: it.CreatedBy,
	}
	if diff := cmp.Diff(want, it); diff != "" {
		t.Errorf("created interaction (-want +got):\n%s", diff)
	}
	if deref(it.CreatedBy.ActingUser) != "ms.lee@lincoln.example.org" {
		t.Errorf("created_by = %+v, want the Acting-User recorded", it.CreatedBy)
	}
	if got := env.Call(http.MethodGet, res.Header.Get("Location"), writer, nil); string(got.Body) != string(res.Body) {
		t.Errorf("GET after create = %s\nwant the create's answer %s", got.Body, res.Body)
	}

	t.Run("back-dated", func(t *testing.T) {
		when := time.Now().Add(-72 * time.Hour).Truncate(time.Second)
		it := createInteraction(t, env, writer, map[string]any{"school_id": school, "patron_ids": []uuid.UUID{maya.ID},
			"kind": "readers_advisory", "occurred_at": at(when), "summary": "Books like Wings of Fire"})
		if !it.OccurredAt.Equal(when) || time.Since(it.CreatedAt) > time.Minute {
			t.Errorf("occurred_at %v, created_at %v; want %v and now", it.OccurredAt, it.CreatedAt, when)
		}
	})
	t.Run("a head count without patrons", func(t *testing.T) {
		it := createInteraction(t, env, writer, map[string]any{"school_id": school, "kind": "event", "head_count": 40, "summary": "Author visit"})
		if it.HeadCount != 40 || it.PatronIds == nil || len(it.PatronIds) != 0 {
			t.Errorf("head count %d, patrons %v; want 40 and []", it.HeadCount, it.PatronIds)
		}
	})
	t.Run("a class visit", func(t *testing.T) {
		var class []uuid.UUID
		for i := range 30 {
			class = append(class, env.NewPatron(lincoln, "Student", "Number "+string(rune('A'+i%26))+string(rune('a'+i/26))).ID)
		}
		it := createInteraction(t, env, writer, map[string]any{"school_id": school, "patron_ids": class, "head_count": 32,
			"kind": "class_visit", "summary": "Period 3 English", "read_level": 4, "duration_minutes": 50})
		if it.HeadCount != 32 || !slices.Equal(it.PatronIds, sortedUUIDs(class...)) {
			t.Errorf("head count %d, %d patrons; want 32 and the 30 named, in id order", it.HeadCount, len(it.PatronIds))
		}
		var history api.InteractionList
		mustGet(t, env, writer, "/v1/patrons/"+class[17].String()+"/interactions", &history)
		if diff := cmp.Diff([]string{"Period 3 English"}, summaries(history)); diff != "" {
			t.Errorf("a student's history (-want +got):\n%s", diff)
		}
	})
	t.Run("a referral closed as it is recorded", func(t *testing.T) {
		it := createInteraction(t, env, writer, map[string]any{"school_id": school, "patron_ids": []uuid.UUID{ben.ID},
			"kind": "reference", "outcome": "referred", "summary": "Needed a tutor",
			"referral": map[string]any{"to_name": "Mr. Okoro", "to_role": "math tutor", "state": "closed", "closed_note": "Met him at lunch"}},
			"Acting-User", "mr.kim")
		r := it.Referral
		if r == nil || r.State != "closed" || deref(r.ClosedNote) != "Met him at lunch" || r.ClosedAt == nil || deref(r.ClosedBy.ActingUser) != "mr.kim" {
			t.Errorf("referral = %+v", r)
		}
	})

	with := func(extra map[string]any) map[string]any {
		body := map[string]any{"school_id": school, "kind": "reference", "patron_ids": []uuid.UUID{maya.ID}}
		for k, v := range extra {
			body[k] = v
		}
		return body
	}
	referral := map[string]any{"to_name": "Ms. Rivera", "to_role": "counselor"}
	many := make([]uuid.UUID, 201)
	for i := range many {
		many[i] = uuid.New()
	}
	for _, tt := range []struct {
		name        string
		body        any
		wantStatus  int
		wantPointer string
	}{
		{"no patrons and no head count", map[string]any{"school_id": school, "kind": "event"}, 422, "#/head_count"},
		{"fewer heads than patrons", with(map[string]any{"patron_ids": []uuid.UUID{maya.ID, ben.ID}, "head_count": 1}), 422, "#/head_count"},
		{"a head count of 0", with(map[string]any{"head_count": 0}), 422, "#/head_count"},
		{"a head count of 10001", with(map[string]any{"head_count": 10001}), 422, "#/head_count"},
		{"a head count in words", with(map[string]any{"head_count": "forty"}), 422, "#/head_count"},
		{"referred without a referral", with(map[string]any{"outcome": "referred"}), 422, "#/referral"},
		{"a referral when answered", with(map[string]any{"outcome": "answered", "referral": referral}), 422, "#/referral"},
		{"a referral without an outcome", with(map[string]any{"referral": referral}), 422, "#/referral"},
		{"a referral without to_role", with(map[string]any{"outcome": "referred", "referral": map[string]any{"to_name": "Ms. Rivera"}}), 422, "#/referral/to_role"},
		{"a referral to a blank name", with(map[string]any{"outcome": "referred", "referral": map[string]any{"to_name": "  ", "to_role": "counselor"}}), 422, "#/referral/to_name"},
		{"a referral name of 201 characters", with(map[string]any{"outcome": "referred", "referral": map[string]any{"to_name": strings.Repeat("a", 201), "to_role": "counselor"}}), 422, "#/referral/to_name"},
		{"closed without a note", with(map[string]any{"outcome": "referred", "referral": map[string]any{"to_name": "X", "to_role": "Y", "state": "closed"}}), 422, "#/referral/closed_note"},
		{"a closing note on an open referral", with(map[string]any{"outcome": "referred", "referral": map[string]any{"to_name": "X", "to_role": "Y", "closed_note": "done"}}), 422, "#/referral/closed_note"},
		{"an unknown referral state", with(map[string]any{"outcome": "referred", "referral": map[string]any{"to_name": "X", "to_role": "Y", "state": "pending"}}), 422, "#/referral/state"},
		{"an unknown referral member", with(map[string]any{"outcome": "referred", "referral": map[string]any{"to_name": "X", "to_role": "Y", "phone": "555"}}), 422, "#/referral/phone"},
		{"READ level 0", with(map[string]any{"read_level": 0}), 422, "#/read_level"},
		{"READ level 7", with(map[string]any{"read_level": 7}), 422, "#/read_level"},
		{"READ level as text", with(map[string]any{"read_level": "3"}), 422, "#/read_level"},
		{"READ level 2.5", with(map[string]any{"read_level": 2.5}), 422, "#/read_level"},
		{"no duration", with(map[string]any{"duration_minutes": 0}), 422, "#/duration_minutes"},
		{"a day and a minute", with(map[string]any{"duration_minutes": 1441}), 422, "#/duration_minutes"},
		{"a rating of 6", with(map[string]any{"satisfaction": map[string]any{"rating": 6}}), 422, "#/satisfaction/rating"},
		{"a rating of 0", with(map[string]any{"satisfaction": map[string]any{"rating": 0}}), 422, "#/satisfaction/rating"},
		{"a comment without a rating", with(map[string]any{"satisfaction": map[string]any{"comment": "great"}}), 422, "#/satisfaction/rating"},
		{"a comment of 1001 characters", with(map[string]any{"satisfaction": map[string]any{"rating": 4, "comment": strings.Repeat("x", 1001)}}), 422, "#/satisfaction/comment"},
		{"ten minutes from now", with(map[string]any{"occurred_at": at(time.Now().Add(10 * time.Minute))}), 422, "#/occurred_at"},
		{"in 1999", with(map[string]any{"occurred_at": "1999-12-31T12:00:00Z"}), 422, "#/occurred_at"},
		{"not a time", with(map[string]any{"occurred_at": "yesterday"}), 422, "#/occurred_at"},
		{"no kind", map[string]any{"school_id": school, "head_count": 1}, 422, "#/kind"},
		{"an unknown kind", with(map[string]any{"kind": "gossip"}), 422, "#/kind"},
		{"an unknown channel", with(map[string]any{"channel": "pigeon"}), 422, "#/channel"},
		{"an unknown outcome", with(map[string]any{"outcome": "shrugged"}), 422, "#/outcome"},
		{"a summary of 2001 characters", with(map[string]any{"summary": strings.Repeat("x", 2001)}), 422, "#/summary"},
		{"a blank summary", with(map[string]any{"summary": "   "}), 422, "#/summary"},
		{"a NUL in the summary", with(map[string]any{"summary": "a\x00b"}), 422, "#/summary"},
		{"an unknown member", with(map[string]any{"mood": "happy"}), 422, "#/mood"},
		{"a repeated patron", with(map[string]any{"patron_ids": []uuid.UUID{maya.ID, maya.ID}}), 422, "#/patron_ids"},
		{"201 patrons", with(map[string]any{"patron_ids": many}), 422, "#/patron_ids"},
		{"a patron of another district", with(map[string]any{"patron_ids": []uuid.UUID{maya.ID, eve.ID}}), 422, "#/patron_ids/1"},
		{"a patron of another school", with(map[string]any{"patron_ids": []uuid.UUID{dee.ID}}), 422, "#/patron_ids/0"},
		{"an unknown patron", with(map[string]any{"patron_ids": []uuid.UUID{uuid.New()}}), 422, "#/patron_ids/0"},
		{"an erased patron", with(map[string]any{"patron_ids": []uuid.UUID{ben.ID, gone.ID}}), 422, "#/patron_ids/1"},
		{"a patron id that is not a uuid", with(map[string]any{"patron_ids": []string{"maya"}}), 422, "#/patron_ids/0"},
		{"patron_ids not a list", with(map[string]any{"patron_ids": maya.ID}), 422, "#/patron_ids"},
		{"another district's school", with(map[string]any{"school_id": other.Schools[0].ID}), 422, "#/school_id"},
		{"an unknown school", with(map[string]any{"school_id": uuid.New()}), 422, "#/school_id"},
		{"no school", map[string]any{"kind": "reference", "head_count": 1}, 422, "#/school_id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := env.Call(http.MethodPost, "/v1/interactions", writer, tt.body)
			if res.Status != tt.wantStatus || !slices.Contains(res.Pointers(t), tt.wantPointer) {
				t.Errorf("got %d %v, want %d pointing at %s: %s", res.Status, res.Pointers(t), tt.wantStatus, tt.wantPointer, res.Body)
			}
		})
	}
	t.Run("every patron at fault is named", func(t *testing.T) {
		res := env.Call(http.MethodPost, "/v1/interactions", writer, with(map[string]any{"patron_ids": []uuid.UUID{eve.ID, maya.ID, dee.ID, uuid.New()}}))
		if diff := cmp.Diff([]string{"#/patron_ids/0", "#/patron_ids/2", "#/patron_ids/3"}, res.Pointers(t)); res.Status != 422 || diff != "" {
			t.Errorf("got %d, pointers (-want +got):\n%s", res.Status, diff)
		}
	})
	t.Run("malformed JSON", func(t *testing.T) {
		res := env.Call(http.MethodPost, "/v1/interactions", writer, `{"school_id": `, "Content-Type", "application/json")
		if res.Status != http.StatusBadRequest {
			t.Errorf("status = %d, want 400: %s", res.Status, res.Body)
		}
	})
	t.Run("a client limited to another school", func(t *testing.T) {
		limited := env.Token(tenant, interactionScopes, adams.ID)
		res := env.Call(http.MethodPost, "/v1/interactions", limited, with(nil))
		if res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), "#/school_id") {
			t.Errorf("got %d %s", res.Status, res.Body)
		}
	})
	t.Run("without interactions:write", func(t *testing.T) {
		for _, scopes := range [][]rapport.Scope{{rapport.ScopeInteractionsRead}, {rapport.ScopePatronsWrite, rapport.ScopeNotesWrite}} {
			if res := env.Call(http.MethodPost, "/v1/interactions", env.Token(tenant, scopes), with(nil)); res.Status != http.StatusForbidden {
				t.Errorf("%v: status = %d, want 403", scopes, res.Status)
			}
		}
	})
	t.Run("Idempotency-Key", func(t *testing.T) {
		body := with(map[string]any{"summary": "Where are the atlases?", "read_level": 1})
		first := env.Call(http.MethodPost, "/v1/interactions", writer, body, "Idempotency-Key", "desk-1")
		again := env.Call(http.MethodPost, "/v1/interactions", writer, body, "Idempotency-Key", "desk-1")
		if first.Status != http.StatusCreated || string(again.Body) != string(first.Body) || again.Header.Get("Idempotency-Replayed") != "true" {
			t.Errorf("retry = %d %s, replayed %q", again.Status, again.Body, again.Header.Get("Idempotency-Replayed"))
		}
		other := env.Call(http.MethodPost, "/v1/interactions", writer, with(map[string]any{"summary": "Something else"}), "Idempotency-Key", "desk-1")
		if other.Status != http.StatusUnprocessableEntity || !slices.Contains(other.Pointers(t), "#/header/Idempotency-Key") {
			t.Errorf("same key, another body = %d %s", other.Status, other.Body)
		}
	})

	// Only the good interactions were written: the first, the four subtests' and the one
	// with an Idempotency-Key.
	got, _ := allPages(t, env, writer, "/v1/interactions?limit=200")
	if len(got) != 6 {
		t.Errorf("interactions after refused writes = %q, want 6", got)
	}
}

func TestGetInteraction(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	maya := env.NewPatron(tenant.Schools[0], "Maya", "Lopez")
	writer := env.Token(tenant, interactionScopes)
	it := createInteraction(t, env, writer, map[string]any{"school_id": tenant.Schools[0].ID, "patron_ids": []uuid.UUID{maya.ID}, "kind": "tech_help", "summary": "Printer jam"})
	path := "/v1/interactions/" + it.Id.String()
	reader := env.Token(tenant, []rapport.Scope{rapport.ScopeInteractionsRead})

	res := env.Call(http.MethodGet, path, reader, nil)
	var got api.Interaction
	res.Decode(t, &got)
	if res.Status != http.StatusOK || got.Id != it.Id || deref(got.Summary) != "Printer jam" || res.Header.Get("ETag") != `"1"` {
		t.Fatalf("GET = %d %+v (ETag %q)", res.Status, got, res.Header.Get("ETag"))
	}
	if res := env.Call(http.MethodGet, path, reader, nil, "If-None-Match", `"1"`); res.Status != http.StatusNotModified || res.Header.Get("ETag") != `"1"` {
		t.Errorf("conditional GET = %d (ETag %q), want 304", res.Status, res.Header.Get("ETag"))
	}
	if res := env.Call(http.MethodGet, path, reader, nil, "If-None-Match", `"7"`); res.Status != http.StatusOK {
		t.Errorf("GET with a stale If-None-Match = %d, want 200", res.Status)
	}
	for _, tt := range []struct {
		name, path, token string
		want              int
	}{
		{"another district", path, env.Token(other, nil), http.StatusNotFound},
		{"a client limited to another school", path, env.Token(tenant, nil, tenant.Schools[1].ID), http.StatusNotFound},
		{"an unknown id", "/v1/interactions/" + uuid.NewString(), reader, http.StatusNotFound},
		{"not an id", "/v1/interactions/printer-jam", reader, http.StatusBadRequest},
		{"no interactions:read", path, env.Token(tenant, []rapport.Scope{rapport.ScopeInteractionsWrite, rapport.ScopePatronsRead}), http.StatusForbidden},
		{"no token", path, "", http.StatusUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if res := env.Call(http.MethodGet, tt.path, tt.token, nil); res.Status != tt.want {
				t.Errorf("status = %d, want %d: %s", res.Status, tt.want, res.Body)
			}
		})
	}
}

func TestUpdateInteraction(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	lincoln, adams := tenant.Schools[0], tenant.Schools[1]
	maya := env.NewPatron(lincoln, "Maya", "Lopez")
	ben := env.NewPatron(lincoln, "Ben", "Adams")
	cy := env.NewPatron(lincoln, "Cy", "Baker")
	dee := env.NewPatron(adams, "Dee", "Cole")
	writer := env.Token(tenant, interactionScopes)
	it := createInteraction(t, env, writer, map[string]any{"school_id": lincoln.ID, "patron_ids": []uuid.UUID{maya.ID},
		"kind": "reference", "summary": "Civil war sources", "read_level": 2, "duration_minutes": 10,
		"occurred_at": at(time.Now().Add(-2 * time.Hour))})
	path := "/v1/interactions/" + it.Id.String()

	// patch sends a merge patch and answers the result, failing unless it is 200.
	patch := func(t *testing.T, body map[string]any, headers ...string) api.Interaction {
		t.Helper()
		res := env.Call(http.MethodPatch, path, writer, body, headers...)
		if res.Status != http.StatusOK {
			t.Fatalf("PATCH %v = %d: %s", body, res.Status, res.Body)
		}
		var got api.Interaction
		res.Decode(t, &got)
		return got
	}
	// refused sends a merge patch that must be refused with status, pointing at pointer.
	refused := func(t *testing.T, body map[string]any, status int, pointer string) {
		t.Helper()
		res := env.Call(http.MethodPatch, path, writer, body)
		if res.Status != status || (pointer != "" && !slices.Contains(res.Pointers(t), pointer)) {
			t.Errorf("PATCH %v = %d %v, want %d at %s: %s", body, res.Status, res.Pointers(t), status, pointer, res.Body)
		}
	}

	t.Run("merge patch", func(t *testing.T) {
		got := patch(t, map[string]any{"summary": nil, "read_level": 3, "duration_minutes": nil, "outcome": "answered", "channel": "phone"},
			"If-Match", `"1"`, "Acting-User", "mr.kim")
		if got.Summary != nil || deref(got.ReadLevel) != 3 || got.DurationMinutes != nil || deref(got.Outcome) != "answered" ||
			got.Channel != "phone" || got.Kind != "reference" || !got.OccurredAt.Equal(it.OccurredAt) ||
			deref(got.UpdatedBy.ActingUser) != "mr.kim" || got.CreatedBy.ActingUser != nil || !got.UpdatedAt.After(got.CreatedAt) {
			t.Errorf("PATCH = %+v", got)
		}
		if res := env.Call(http.MethodPatch, path, writer, map[string]any{"summary": "stale"}, "If-Match", `"1"`); res.Status != http.StatusPreconditionFailed {
			t.Errorf("stale If-Match = %d, want 412", res.Status)
		}
	})
	t.Run("two writers with the same ETag: one wins", func(t *testing.T) {
		etag := mustGet(t, env, writer, path, &api.Interaction{}).Header.Get("ETag")
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = env.Call(http.MethodPatch, path, writer, map[string]any{"duration_minutes": 10 + i}, "If-Match", etag).Status
			}()
		}
		wg.Wait()
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{http.StatusOK, http.StatusPreconditionFailed}) {
			t.Errorf("statuses = %v, want one 200 and one 412", statuses)
		}
	})
	t.Run("refer, close the loop, reopen, take back", func(t *testing.T) {
		refused(t, map[string]any{"outcome": "referred"}, 422, "#/referral")
		refused(t, map[string]any{"outcome": "referred", "referral": map[string]any{"to_name": "Ms. Rivera"}}, 422, "#/referral/to_role")
		refused(t, map[string]any{"referral": map[string]any{"to_name": "Ms. Rivera", "to_role": "counselor"}}, 422, "#/referral")
		got := patch(t, map[string]any{"outcome": "referred", "referral": map[string]any{"to_name": "Ms. Rivera", "to_role": "counselor"}})
		if r := got.Referral; r == nil || r.State != "made" || r.ToName != "Ms. Rivera" || r.ClosedAt != nil {
			t.Fatalf("referral = %+v", r)
		}
		refused(t, map[string]any{"outcome": "answered"}, 422, "#/referral")
		refused(t, map[string]any{"outcome": nil}, 422, "#/referral")
		refused(t, map[string]any{"referral": map[string]any{"state": "closed"}}, 422, "#/referral/closed_note")
		refused(t, map[string]any{"referral": map[string]any{"closed_note": "early"}}, 422, "#/referral/closed_note")
		refused(t, map[string]any{"referral": map[string]any{"to_name": nil}}, 422, "#/referral/to_name")
		refused(t, map[string]any{"referral": map[string]any{"state": "closed", "closed_note": strings.Repeat("x", 2001)}}, 422, "#/referral/closed_note")

		closed := patch(t, map[string]any{"referral": map[string]any{"state": "closed", "closed_note": "She met the counselor on Tuesday", "contact": "rivera@lincoln.example.org"}},
			"Acting-User", "ms.lee")
		if r := closed.Referral; r.State != "closed" || deref(r.ClosedNote) != "She met the counselor on Tuesday" || r.ClosedAt == nil ||
			deref(r.ClosedBy.ActingUser) != "ms.lee" || r.ToName != "Ms. Rivera" || deref(r.Contact) != "rivera@lincoln.example.org" {
			t.Fatalf("closed referral = %+v", r)
		}
		reopened := patch(t, map[string]any{"referral": map[string]any{"state": "made", "contact": nil}})
		if r := reopened.Referral; r.State != "made" || r.ClosedNote != nil || r.ClosedAt != nil || r.ClosedBy != nil || r.Contact != nil {
			t.Errorf("reopened referral = %+v, want the closing and the contact cleared", r)
		}
		answered := patch(t, map[string]any{"outcome": "answered", "referral": nil})
		if answered.Referral != nil || deref(answered.Outcome) != "answered" {
			t.Errorf("after taking the referral back: %+v", answered)
		}
	})
	t.Run("satisfaction", func(t *testing.T) {
		refused(t, map[string]any{"satisfaction": map[string]any{"comment": "Thanks"}}, 422, "#/satisfaction/rating")
		refused(t, map[string]any{"satisfaction": map[string]any{"rating": 9}}, 422, "#/satisfaction/rating")
		rated := patch(t, map[string]any{"satisfaction": map[string]any{"rating": 3, "comment": "OK"}})
		commented := patch(t, map[string]any{"satisfaction": map[string]any{"comment": "Better than OK"}})
		uncommented := patch(t, map[string]any{"satisfaction": map[string]any{"comment": nil}})
		removed := patch(t, map[string]any{"satisfaction": nil})
		if rated.Satisfaction.Rating != 3 || commented.Satisfaction.Rating != 3 || deref(commented.Satisfaction.Comment) != "Better than OK" ||
			uncommented.Satisfaction.Comment != nil || removed.Satisfaction != nil {
			t.Errorf("ratings: %+v, %+v, %+v, %+v", rated.Satisfaction, commented.Satisfaction, uncommented.Satisfaction, removed.Satisfaction)
		}
	})
	t.Run("patrons and head count", func(t *testing.T) {
		grown := patch(t, map[string]any{"patron_ids": []uuid.UUID{maya.ID, ben.ID, cy.ID}})
		if grown.HeadCount != 3 || !slices.Equal(grown.PatronIds, sortedUUIDs(maya.ID, ben.ID, cy.ID)) {
			t.Errorf("grown = %d %v; want 3 patrons and a head count of 3", grown.HeadCount, grown.PatronIds)
		}
		shrunk := patch(t, map[string]any{"patron_ids": []uuid.UUID{ben.ID}})
		if shrunk.HeadCount != 3 || !slices.Equal(shrunk.PatronIds, []uuid.UUID{ben.ID}) {
			t.Errorf("shrunk = %d %v; want Ben and the head count kept", shrunk.HeadCount, shrunk.PatronIds)
		}
		refused(t, map[string]any{"patron_ids": []uuid.UUID{ben.ID, maya.ID}, "head_count": 1}, 422, "#/head_count")
		refused(t, map[string]any{"patron_ids": []uuid.UUID{ben.ID, dee.ID}}, 422, "#/patron_ids/1")
		refused(t, map[string]any{"patron_ids": []uuid.UUID{ben.ID, ben.ID}}, 422, "#/patron_ids")
		refused(t, map[string]any{"head_count": nil}, 422, "#/head_count")
		refused(t, map[string]any{"head_count": 0}, 422, "#/head_count")
		if got := patch(t, map[string]any{"head_count": 1}); got.HeadCount != 1 {
			t.Errorf("head count = %d, want 1", got.HeadCount)
		}
		var history api.InteractionList
		mustGet(t, env, writer, "/v1/patrons/"+maya.ID.String()+"/interactions", &history)
		if len(history.Data) != 0 {
			t.Errorf("Maya's history still lists the interaction she was taken off: %v", summaries(history))
		}
		var kept api.InteractionList
		mustGet(t, env, writer, "/v1/patrons/"+ben.ID.String()+"/interactions", &kept)
		if len(kept.Data) != 1 || kept.Data[0].Id != it.Id {
			t.Errorf("Ben's history = %+v, want the interaction he is still on", kept.Data)
		}
	})
	t.Run("move to another school", func(t *testing.T) {
		refused(t, map[string]any{"school_id": adams.ID}, 422, "#/patron_ids/0") // Ben is a patron of Lincoln
		refused(t, map[string]any{"school_id": other.Schools[0].ID, "patron_ids": []uuid.UUID{}}, 422, "#/school_id")
		limited := env.Token(tenant, interactionScopes, lincoln.ID)
		if res := env.Call(http.MethodPatch, path, limited, map[string]any{"school_id": adams.ID, "patron_ids": []uuid.UUID{dee.ID}}); res.Status != 422 ||
			!slices.Contains(res.Pointers(t), "#/school_id") {
			t.Errorf("moving out of a limited client's schools = %d %s", res.Status, res.Body)
		}
		moved := patch(t, map[string]any{"school_id": adams.ID, "patron_ids": []uuid.UUID{dee.ID}})
		if moved.SchoolId != adams.ID || !slices.Equal(moved.PatronIds, []uuid.UUID{dee.ID}) {
			t.Errorf("moved = %+v", moved)
		}
		var list api.InteractionList
		mustGet(t, env, writer, "/v1/interactions?patron_id="+dee.ID.String()+"&school_id="+adams.ID.String(), &list)
		if len(list.Data) != 1 || list.Data[0].Id != it.Id {
			t.Errorf("Dee's interactions at Adams = %+v", list.Data)
		}
		if res := env.Call(http.MethodGet, path, limited, nil); res.Status != http.StatusNotFound {
			t.Errorf("a client of Lincoln still sees the interaction moved to Adams: %d", res.Status)
		}
	})
	t.Run("occurred_at", func(t *testing.T) {
		refused(t, map[string]any{"occurred_at": at(time.Now().Add(time.Hour))}, 422, "#/occurred_at")
		refused(t, map[string]any{"occurred_at": nil}, 422, "#/occurred_at")
		// A newer interaction of Dee's, then this one moved later than it: the history's order
		// follows, which shows the patrons' rows took the new time.
		newer := createInteraction(t, env, writer, map[string]any{"school_id": adams.ID, "patron_ids": []uuid.UUID{dee.ID}, "kind": "visit",
			"occurred_at": at(time.Now().Add(-time.Hour))})
		history := func() []uuid.UUID {
			var list api.InteractionList
			mustGet(t, env, writer, "/v1/patrons/"+dee.ID.String()+"/interactions", &list)
			var ids []uuid.UUID
			for _, x := range list.Data {
				ids = append(ids, x.Id)
			}
			return ids
		}
		if diff := cmp.Diff([]uuid.UUID{newer.Id, it.Id}, history()); diff != "" {
			t.Errorf("history before (-want +got):\n%s", diff)
		}
		patch(t, map[string]any{"occurred_at": at(time.Now().Add(-time.Minute))})
		if diff := cmp.Diff([]uuid.UUID{it.Id, newer.Id}, history()); diff != "" {
			t.Errorf("history after moving the interaction later (-want +got):\n%s", diff)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for _, tt := range []struct {
			body    map[string]any
			pointer string
		}{
			{map[string]any{"kind": nil}, "#/kind"},
			{map[string]any{"kind": "gossip"}, "#/kind"},
			{map[string]any{"channel": "pigeon"}, "#/channel"},
			{map[string]any{"outcome": "shrugged"}, "#/outcome"},
			{map[string]any{"read_level": 0}, "#/read_level"},
			{map[string]any{"summary": ""}, "#/summary"},
			{map[string]any{"school_id": nil}, "#/school_id"},
			{map[string]any{"created_at": at(time.Now())}, "#/created_at"},
			{map[string]any{"referral": map[string]any{"to_name": "X", "to_role": "Y", "state": "lost"}}, "#/referral/state"},
		} {
			refused(t, tt.body, 422, tt.pointer)
		}
		res := env.Call(http.MethodPatch, path, writer, `{"summary": "x"}`, "Content-Type", "application/json")
		if res.Status != http.StatusUnsupportedMediaType {
			t.Errorf("PATCH as application/json = %d, want 415", res.Status)
		}
	})
	t.Run("another district or school", func(t *testing.T) {
		etag := mustGet(t, env, writer, path, &api.Interaction{}).Header.Get("ETag")
		for _, tok := range []string{env.Token(other, nil), env.Token(tenant, nil, lincoln.ID)} {
			if res := env.Call(http.MethodPatch, path, tok, map[string]any{"summary": "mine now"}); res.Status != http.StatusNotFound {
				t.Errorf("PATCH = %d, want 404", res.Status)
			}
		}
		if now := mustGet(t, env, writer, path, &api.Interaction{}).Header.Get("ETag"); now != etag {
			t.Errorf("a refused PATCH changed the interaction: ETag %s, was %s", now, etag)
		}
	})
}

func TestDeleteInteraction(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	maya := env.NewPatron(tenant.Schools[0], "Maya", "Lopez")
	writer := env.Token(tenant, interactionScopes)
	it := createInteraction(t, env, writer, map[string]any{"school_id": tenant.Schools[0].ID, "patron_ids": []uuid.UUID{maya.ID}, "kind": "visit", "summary": "Logged twice by mistake"})
	createInteraction(t, env, writer, map[string]any{"school_id": tenant.Schools[0].ID, "patron_ids": []uuid.UUID{maya.ID}, "kind": "visit", "summary": "Logged once"})
	path := "/v1/interactions/" + it.Id.String()

	for _, tt := range []struct {
		name, token string
		headers     []string
		want        int
	}{
		{"another district", env.Token(other, nil), nil, http.StatusNotFound},
		{"a client limited to another school", env.Token(tenant, nil, tenant.Schools[1].ID), nil, http.StatusNotFound},
		{"read only", env.Token(tenant, []rapport.Scope{rapport.ScopeInteractionsRead}), nil, http.StatusForbidden},
		{"a stale ETag", writer, []string{"If-Match", `"2"`}, http.StatusPreconditionFailed},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if res := env.Call(http.MethodDelete, path, tt.token, nil, tt.headers...); res.Status != tt.want {
				t.Errorf("DELETE = %d, want %d", res.Status, tt.want)
			}
		})
	}
	if res := env.Call(http.MethodDelete, path, writer, nil, "If-Match", `"1"`); res.Status != http.StatusNoContent {
		t.Fatalf("DELETE = %d, want 204", res.Status)
	}
	if res := env.Call(http.MethodGet, path, writer, nil); res.Status != http.StatusNotFound {
		t.Errorf("GET a deleted interaction = %d, want 404", res.Status)
	}
	if res := env.Call(http.MethodDelete, path, writer, nil); res.Status != http.StatusNotFound {
		t.Errorf("DELETE again = %d, want 404", res.Status)
	}
	var history api.InteractionList
	mustGet(t, env, writer, "/v1/patrons/"+maya.ID.String()+"/interactions", &history)
	if diff := cmp.Diff([]string{"Logged once"}, summaries(history)); diff != "" {
		t.Errorf("the patron's history after the delete, want the deleted interaction gone and the other kept (-want +got):\n%s", diff)
	}
}

// serviceFixture is a district with interactions to list: at Lincoln, A (Maya, 5 days ago),
// B (Maya and Ben, 4 days), C (Ben, 3 days) and E (a head count, 1 day); at Adams, D (Dee,
// 2 days); and F in another district.
type serviceFixture struct {
	env              *apitest.Env
	tenant, other    apitest.Tenant
	lincoln, adams   rapport.School
	maya, ben, dee   rapport.Patron
	eve              rapport.Patron
	writer, otherTok string
	now              time.Time
}

func newServiceFixture(t *testing.T) serviceFixture {
	t.Helper()
	env := apitest.New(t)
	f := serviceFixture{env: env, tenant: env.NewTenant("Lincoln High", "Adams Elementary"), other: env.NewTenant("Other Elementary"), now: time.Now()}
	f.lincoln, f.adams = f.tenant.Schools[0], f.tenant.Schools[1]
	f.maya = env.NewPatron(f.lincoln, "Maya", "Lopez")
	f.ben = env.NewPatron(f.lincoln, "Ben", "Adams")
	f.dee = env.NewPatron(f.adams, "Dee", "Cole")
	f.eve = env.NewPatron(f.other.Schools[0], "Eve", "Abbot")
	f.writer, f.otherTok = env.Token(f.tenant, interactionScopes), env.Token(f.other, interactionScopes)
	day := 24 * time.Hour
	for _, body := range []map[string]any{
		{"summary": "A", "school_id": f.lincoln.ID, "patron_ids": []uuid.UUID{f.maya.ID}, "kind": "reference", "outcome": "answered", "occurred_at": at(f.now.Add(-5 * day))},
		{"summary": "B", "school_id": f.lincoln.ID, "patron_ids": []uuid.UUID{f.maya.ID, f.ben.ID}, "kind": "class_visit", "occurred_at": at(f.now.Add(-4 * day))},
		{"summary": "C", "school_id": f.lincoln.ID, "patron_ids": []uuid.UUID{f.ben.ID}, "kind": "tech_help", "channel": "email", "outcome": "unresolved", "occurred_at": at(f.now.Add(-3 * day))},
		{"summary": "D", "school_id": f.adams.ID, "patron_ids": []uuid.UUID{f.dee.ID}, "kind": "reference", "channel": "chat", "outcome": "referred",
			"referral": map[string]any{"to_name": "Ms. Rivera", "to_role": "counselor"}, "occurred_at": at(f.now.Add(-2 * day))},
		{"summary": "E", "school_id": f.lincoln.ID, "head_count": 30, "kind": "event", "occurred_at": at(f.now.Add(-1 * day))},
	} {
		createInteraction(t, env, f.writer, body)
	}
	createInteraction(t, env, f.otherTok, map[string]any{"summary": "F", "school_id": f.other.Schools[0].ID, "patron_ids": []uuid.UUID{f.eve.ID}, "kind": "visit"})
	return f
}

func TestListInteractions(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	env := f.env
	reader := env.Token(f.tenant, []rapport.Scope{rapport.ScopeInteractionsRead})
	day := 24 * time.Hour
	q := func(t time.Time) string { return url.QueryEscape(at(t)) }

	t.Run("every page, newest first", func(t *testing.T) {
		got, pages := allPages(t, env, reader, "/v1/interactions?limit=2")
		if diff := cmp.Diff([]string{"E", "D", "C", "B", "A"}, got); diff != "" || pages != 3 {
			t.Errorf("%d pages (-want +got):\n%s", pages, diff)
		}
	})
	t.Run("one patron's, page by page", func(t *testing.T) {
		got, pages := allPages(t, env, reader, "/v1/interactions?limit=1&patron_id="+f.maya.ID.String())
		if diff := cmp.Diff([]string{"B", "A"}, got); diff != "" || pages != 2 {
			t.Errorf("%d pages (-want +got):\n%s", pages, diff)
		}
	})
	t.Run("by update time, page by page", func(t *testing.T) {
		got, pages := allPages(t, env, reader, "/v1/interactions?limit=2&updated_since="+q(f.now.Add(-time.Hour)))
		if diff := cmp.Diff([]string{"A", "B", "C", "D", "E"}, got); diff != "" || pages != 3 {
			t.Errorf("%d pages (-want +got):\n%s", pages, diff)
		}
	})
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"school_id=" + f.adams.ID.String(), []string{"D"}},
		{"school_id=" + f.lincoln.ID.String(), []string{"E", "C", "B", "A"}},
		{"patron_id=" + f.maya.ID.String(), []string{"B", "A"}},
		{"patron_id=" + f.ben.ID.String() + "&kind=tech_help", []string{"C"}},
		{"patron_id=" + f.ben.ID.String() + "&school_id=" + f.adams.ID.String(), nil},
		{"kind=reference", []string{"D", "A"}},
		{"channel=email", []string{"C"}},
		{"outcome=referred", []string{"D"}},
		{"outcome=answered&kind=reference", []string{"A"}},
		{"occurred_since=" + q(f.now.Add(-3*day-time.Hour)), []string{"E", "D", "C"}},
		{"occurred_before=" + q(f.now.Add(-3*day-time.Hour)), []string{"B", "A"}},
		{"occurred_since=" + q(f.now.Add(-4*day-time.Hour)) + "&occurred_before=" + q(f.now.Add(-3*day+time.Hour)), []string{"C", "B"}},
		{"patron_id=" + f.maya.ID.String() + "&occurred_since=" + q(f.now.Add(-4*day-time.Hour)), []string{"B"}},
		{"updated_since=" + q(f.now.Add(time.Hour)), nil},
		{"school_id=" + f.other.Schools[0].ID.String(), nil},
		{"patron_id=" + f.eve.ID.String(), nil},
		{"patron_id=" + uuid.NewString(), nil},
	} {
		t.Run(tt.query, func(t *testing.T) {
			res := env.Call(http.MethodGet, "/v1/interactions?"+tt.query, reader, nil)
			var page api.InteractionList
			res.Decode(t, &page)
			if diff := cmp.Diff(tt.want, summaries(page)); res.Status != http.StatusOK || diff != "" {
				t.Errorf("status %d, mismatch (-want +got):\n%s", res.Status, diff)
			}
		})
	}
	t.Run("a client limited to a school", func(t *testing.T) {
		got, _ := allPages(t, env, env.Token(f.tenant, nil, f.adams.ID), "/v1/interactions")
		if diff := cmp.Diff([]string{"D"}, got); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("another district", func(t *testing.T) {
		got, _ := allPages(t, env, f.otherTok, "/v1/interactions")
		if diff := cmp.Diff([]string{"F"}, got); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
	for _, tt := range []struct {
		query, pointer string
	}{
		{"occurred_since=" + q(f.now) + "&occurred_before=" + q(f.now), "#/query/occurred_before"},
		{"occurred_since=" + q(f.now) + "&occurred_before=" + q(f.now.Add(-day)), "#/query/occurred_before"},
		{"occurred_since=yesterday", "#/query/occurred_since"},
		{"cursor=not-a-cursor", "#/query/cursor"},
		{"kind=gossip", "#/query/kind"},
		{"channel=pigeon", "#/query/channel"},
		{"outcome=shrugged", "#/query/outcome"},
		{"patron_id=maya", "#/query/patron_id"},
		{"limit=0", "#/query/limit"},
		{"limit=201", "#/query/limit"},
	} {
		t.Run("bad "+tt.query, func(t *testing.T) {
			res := env.Call(http.MethodGet, "/v1/interactions?"+tt.query, reader, nil)
			if res.Status != http.StatusBadRequest || !slices.Contains(res.Pointers(t), tt.pointer) {
				t.Errorf("got %d %v, want 400 at %s: %s", res.Status, res.Pointers(t), tt.pointer, res.Body)
			}
		})
	}
	t.Run("without interactions:read", func(t *testing.T) {
		if res := env.Call(http.MethodGet, "/v1/interactions", env.Token(f.tenant, []rapport.Scope{rapport.ScopePatronsRead}), nil); res.Status != http.StatusForbidden {
			t.Errorf("status = %d, want 403", res.Status)
		}
	})
}

func TestListPatronInteractions(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	env := f.env
	reader := env.Token(f.tenant, []rapport.Scope{rapport.ScopeInteractionsRead})
	history := func(t *testing.T, token string, p rapport.Patron, query string) []string {
		t.Helper()
		got, _ := allPages(t, env, token, "/v1/patrons/"+p.ID.String()+"/interactions?"+query)
		return got
	}

	for _, tt := range []struct {
		name   string
		patron rapport.Patron
		query  string
		want   []string
	}{
		{"Maya, newest first", f.maya, "", []string{"B", "A"}},
		{"Ben, a page at a time", f.ben, "limit=1", []string{"C", "B"}},
		{"Ben's class visits", f.ben, "kind=class_visit", []string{"B"}},
		{"Ben, before 3½ days ago", f.ben, "occurred_before=" + url.QueryEscape(at(f.now.Add(-84*time.Hour))), []string{"B"}},
		{"Ben, since 3½ days ago", f.ben, "occurred_since=" + url.QueryEscape(at(f.now.Add(-84*time.Hour))), []string{"C"}},
		{"Dee", f.dee, "", []string{"D"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, history(t, reader, tt.patron, tt.query), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	for _, tt := range []struct {
		name, path, token string
		want              int
	}{
		{"another district", "/v1/patrons/" + f.maya.ID.String() + "/interactions", f.otherTok, http.StatusNotFound},
		{"a client limited to another school", "/v1/patrons/" + f.maya.ID.String() + "/interactions", env.Token(f.tenant, nil, f.adams.ID), http.StatusNotFound},
		{"an unknown patron", "/v1/patrons/" + uuid.NewString() + "/interactions", reader, http.StatusNotFound},
		{"no interactions:read", "/v1/patrons/" + f.maya.ID.String() + "/interactions", env.Token(f.tenant, []rapport.Scope{rapport.ScopePatronsRead}), http.StatusForbidden},
		{"an empty range", "/v1/patrons/" + f.maya.ID.String() + "/interactions?occurred_since=" + url.QueryEscape(at(f.now)) + "&occurred_before=" + url.QueryEscape(at(f.now)), reader, http.StatusBadRequest},
		{"a bad cursor", "/v1/patrons/" + f.maya.ID.String() + "/interactions?cursor=abc", reader, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if res := env.Call(http.MethodGet, tt.path, tt.token, nil); res.Status != tt.want {
				t.Errorf("status = %d, want %d: %s", res.Status, tt.want, res.Body)
			}
		})
	}
	t.Run("a patron who changed schools keeps the history of the school they left", func(t *testing.T) {
		scope := rapport.TenantScope{DistrictID: f.tenant.District.ID}
		if _, err := env.Store.UpdatePatron(context.Background(), scope, rapport.Actor{ClientID: rapport.CLIClientID}, f.maya.ID, nil,
			rapport.PatronPatch{SchoolID: &f.adams.ID}); err != nil {
			t.Fatalf("move Maya to Adams: %v", err)
		}
		adamsDesk := env.Token(f.tenant, interactionScopes, f.adams.ID)
		res := env.Call(http.MethodPost, "/v1/patrons/"+f.maya.ID.String()+"/visits", adamsDesk, map[string]any{"summary": "First day at Adams"})
		if res.Status != http.StatusCreated {
			t.Fatalf("check-in at Adams = %d %s", res.Status, res.Body)
		}
		if diff := cmp.Diff([]string{"First day at Adams", "B", "A"}, history(t, reader, f.maya, "")); diff != "" {
			t.Errorf("the whole district sees (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{"First day at Adams"}, history(t, adamsDesk, f.maya, "")); diff != "" {
			t.Errorf("Adams sees (-want +got):\n%s", diff)
		}
		var b api.InteractionList
		mustGet(t, env, reader, "/v1/interactions?kind=class_visit", &b)
		if len(b.Data) != 1 || b.Data[0].SchoolId != f.lincoln.ID || !slices.Contains(b.Data[0].PatronIds, f.maya.ID) {
			t.Errorf("the class visit at Lincoln = %+v, want it still at Lincoln with Maya", b.Data)
		}
	})
}

func TestCreateVisit(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	maya := env.NewPatron(tenant.Schools[1], "Maya", "Lopez")
	gone := env.NewPatron(tenant.Schools[1], "Gone", "Away")
	erasePatron(t, env, gone)
	desk := env.Token(tenant, interactionScopes, tenant.Schools[1].ID)
	path := "/v1/patrons/" + maya.ID.String() + "/visits"
	// Not a visit: the list of her visits below must leave it out.
	createInteraction(t, env, desk, map[string]any{"school_id": tenant.Schools[1].ID, "patron_ids": []uuid.UUID{maya.ID}, "kind": "reference", "summary": "Not a visit"})

	res := env.Call(http.MethodPost, path, desk, nil, "Acting-User", "front-desk")
	if res.Status != http.StatusCreated {
		t.Fatalf("check-in = %d %s", res.Status, res.Body)
	}
	var visit api.Interaction
	res.Decode(t, &visit)
	if visit.Kind != "visit" || visit.Channel != "in_person" || visit.HeadCount != 1 ||
		visit.SchoolId != tenant.Schools[1].ID || !slices.Equal(visit.PatronIds, []uuid.UUID{maya.ID}) ||
		!visit.OccurredAt.Equal(visit.CreatedAt) || visit.Outcome != nil || deref(visit.CreatedBy.ActingUser) != "front-desk" ||
		res.Header.Get("Location") != "/v1/interactions/"+visit.Id.String() || res.Header.Get("ETag") != `"1"` {
		t.Errorf("visit = %+v (Location %q, ETag %q)", visit, res.Header.Get("Location"), res.Header.Get("ETag"))
	}

	when := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	var late api.Interaction
	res = env.Call(http.MethodPost, path, desk, map[string]any{"channel": "video", "occurred_at": at(when), "summary": "Study hall on video"})
	res.Decode(t, &late)
	if res.Status != http.StatusCreated || late.Channel != "video" || !late.OccurredAt.Equal(when) || deref(late.Summary) != "Study hall on video" {
		t.Errorf("visit with a body = %d %+v", res.Status, late)
	}
	if res := env.Call(http.MethodPost, path, desk, `{}`, "Content-Type", "application/json"); res.Status != http.StatusCreated {
		t.Errorf("visit with an empty object = %d %s", res.Status, res.Body)
	}

	for _, tt := range []struct {
		name    string
		body    any
		status  int
		pointer string
	}{
		{"an unknown channel", map[string]any{"channel": "pigeon"}, 422, "#/channel"},
		{"an hour from now", map[string]any{"occurred_at": at(time.Now().Add(time.Hour))}, 422, "#/occurred_at"},
		{"a kind", map[string]any{"kind": "reference"}, 422, "#/kind"},
		{"a summary of 2001 characters", map[string]any{"summary": strings.Repeat("x", 2001)}, 422, "#/summary"},
		{"a blank summary", map[string]any{"summary": "\t"}, 422, "#/summary"},
		{"a list", []any{}, 422, "#/"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := env.Call(http.MethodPost, path, desk, tt.body)
			if res.Status != tt.status || !slices.Contains(res.Pointers(t), tt.pointer) {
				t.Errorf("got %d %v, want %d at %s: %s", res.Status, res.Pointers(t), tt.status, tt.pointer, res.Body)
			}
		})
	}
	for _, tt := range []struct {
		name, path, token string
		want              int
	}{
		{"malformed JSON", path, desk, http.StatusBadRequest},
		{"another district", path, env.Token(other, nil), http.StatusNotFound},
		{"a client limited to another school", path, env.Token(tenant, nil, tenant.Schools[0].ID), http.StatusNotFound},
		{"an unknown patron", "/v1/patrons/" + uuid.NewString() + "/visits", desk, http.StatusNotFound},
		{"an erased patron", "/v1/patrons/" + gone.ID.String() + "/visits", desk, http.StatusConflict},
		{"read only", path, env.Token(tenant, []rapport.Scope{rapport.ScopeInteractionsRead}), http.StatusForbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var body any
			var headers []string
			if tt.name == "malformed JSON" {
				body, headers = `{"channel":`, []string{"Content-Type", "application/json"}
			}
			if res := env.Call(http.MethodPost, tt.path, tt.token, body, headers...); res.Status != tt.want {
				t.Errorf("status = %d, want %d: %s", res.Status, tt.want, res.Body)
			}
		})
	}
	t.Run("a retry with the same Idempotency-Key checks in once", func(t *testing.T) {
		first := env.Call(http.MethodPost, path, desk, nil, "Idempotency-Key", "walk-in-7")
		again := env.Call(http.MethodPost, path, desk, nil, "Idempotency-Key", "walk-in-7")
		if first.Status != http.StatusCreated || string(again.Body) != string(first.Body) || again.Header.Get("Idempotency-Replayed") != "true" {
			t.Errorf("retry = %d, replayed %q", again.Status, again.Header.Get("Idempotency-Replayed"))
		}
	})

	var history api.InteractionList
	mustGet(t, env, desk, "/v1/patrons/"+maya.ID.String()+"/interactions?kind=visit", &history)
	if slices.Contains(summaries(history), "Not a visit") {
		t.Errorf("the kind=visit filter let through another kind: %q", summaries(history))
	}
	if len(history.Data) != 4 || deref(history.Data[len(history.Data)-1].Summary) != "Study hall on video" {
		t.Errorf("visits = %d, oldest %q; want 4 (three check-ins and one retried), the back-dated one last", len(history.Data), summaries(history))
	}
}

func TestListReferrals(t *testing.T) {
	t.Parallel()
	f := newServiceFixture(t)
	env := f.env
	reader := env.Token(f.tenant, []rapport.Scope{rapport.ScopeInteractionsRead, rapport.ScopePatronsRead})
	// D, from the fixture, is open at Adams. Add an open one with two patrons and a closed one
	// at Lincoln, and one in the other district.
	open := createInteraction(t, env, f.writer, map[string]any{"summary": "G", "school_id": f.lincoln.ID, "patron_ids": []uuid.UUID{f.maya.ID, f.ben.ID},
		"kind": "research_help", "outcome": "referred", "referral": map[string]any{"to_name": "Springfield Public Library", "to_role": "public library"},
		"occurred_at": at(f.now.Add(-6 * 24 * time.Hour))})
	createInteraction(t, env, f.writer, map[string]any{"summary": "H", "school_id": f.lincoln.ID, "patron_ids": []uuid.UUID{f.ben.ID},
		"kind": "reference", "outcome": "referred", "referral": map[string]any{"to_name": "Mr. Okoro", "to_role": "tutor", "state": "closed", "closed_note": "Weekly sessions"}})
	createInteraction(t, env, f.otherTok, map[string]any{"summary": "I", "school_id": f.other.Schools[0].ID, "patron_ids": []uuid.UUID{f.eve.ID},
		"kind": "reference", "outcome": "referred", "referral": map[string]any{"to_name": "Nurse Joy", "to_role": "school nurse"}})

	referrals := func(t *testing.T, token, query string) []string {
		t.Helper()
		var out []string
		path := "/v1/referrals?" + query
		for path != "" {
			res := env.Call(http.MethodGet, path, token, nil)
			if res.Status != http.StatusOK {
				t.Fatalf("GET %s = %d %s", path, res.Status, res.Body)
			}
			var page api.ReferralList
			res.Decode(t, &page)
			for _, item := range page.Data {
				var names []string
				for _, p := range item.Patrons {
					names = append(names, p.DisplayName)
				}
				slices.Sort(names)
				out = append(out, deref(item.Interaction.Summary)+": "+item.Interaction.Referral.ToName+" for "+strings.Join(names, ", "))
			}
			path = nextPath(res)
		}
		return out
	}
	for _, tt := range []struct {
		name, token, query string
		want               []string
	}{
		{"open, newest first, a page at a time", reader, "limit=1", []string{"D: Ms. Rivera for Dee Cole", "G: Springfield Public Library for Ben Adams, Maya Lopez"}},
		{"closed", reader, "state=closed", []string{"H: Mr. Okoro for Ben Adams"}},
		{"one school's", reader, "school_id=" + f.lincoln.ID.String(), []string{"G: Springfield Public Library for Ben Adams, Maya Lopez"}},
		{"a client limited to a school", env.Token(f.tenant, nil, f.adams.ID), "", []string{"D: Ms. Rivera for Dee Cole"}},
		{"another district", env.Token(f.other, []rapport.Scope{rapport.ScopeInteractionsRead, rapport.ScopePatronsRead}), "", []string{"I: Nurse Joy for Eve Abbot"}},
		{"another district's school", reader, "school_id=" + f.other.Schools[0].ID.String(), nil},
		{"without patrons:read, no patron details", env.Token(f.tenant, []rapport.Scope{rapport.ScopeInteractionsRead}), "", []string{"D: Ms. Rivera for ", "G: Springfield Public Library for "}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, referrals(t, tt.token, tt.query)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("closing the loop takes it off the open list", func(t *testing.T) {
		res := env.Call(http.MethodPatch, "/v1/interactions/"+open.Id.String(), f.writer,
			map[string]any{"referral": map[string]any{"state": "closed", "closed_note": "Both got library cards"}})
		if res.Status != http.StatusOK {
			t.Fatalf("close = %d %s", res.Status, res.Body)
		}
		if diff := cmp.Diff([]string{"D: Ms. Rivera for Dee Cole"}, referrals(t, reader, "state=made")); diff != "" {
			t.Errorf("open (-want +got):\n%s", diff)
		}
		if got := referrals(t, reader, "state=closed"); len(got) != 2 {
			t.Errorf("closed = %v, want 2", got)
		}
	})
	for _, tt := range []struct{ query, pointer string }{
		{"state=lost", "#/query/state"},
		{"cursor=abc", "#/query/cursor"},
		{"school_id=lincoln", "#/query/school_id"},
	} {
		if res := env.Call(http.MethodGet, "/v1/referrals?"+tt.query, reader, nil); res.Status != http.StatusBadRequest || !slices.Contains(res.Pointers(t), tt.pointer) {
			t.Errorf("GET /v1/referrals?%s = %d %s", tt.query, res.Status, res.Body)
		}
	}
	if res := env.Call(http.MethodGet, "/v1/referrals", env.Token(f.tenant, []rapport.Scope{rapport.ScopeNotesRead}), nil); res.Status != http.StatusForbidden {
		t.Errorf("without interactions:read = %d, want 403", res.Status)
	}
}

// TestInteractionTenantIsolation tries every operation on one interaction and its patron as a
// client of another district and as a client limited to another school: each is 404 (or, for
// a create naming them, 422 at the field), no list shows them, and nothing changes.
func TestInteractionTenantIsolation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	lincoln, adams := tenant.Schools[0], tenant.Schools[1]
	maya := env.NewPatron(lincoln, "Maya", "Lopez")
	owner := env.Token(tenant, interactionScopes)
	it := createInteraction(t, env, owner, map[string]any{"school_id": lincoln.ID, "patron_ids": []uuid.UUID{maya.ID}, "kind": "reference",
		"summary": "Secret", "outcome": "referred", "referral": map[string]any{"to_name": "Ms. Rivera", "to_role": "counselor"}})
	path := "/v1/interactions/" + it.Id.String()
	patronPath := "/v1/patrons/" + maya.ID.String()
	lists := []string{
		"/v1/interactions", "/v1/interactions?patron_id=" + maya.ID.String(), "/v1/interactions?school_id=" + lincoln.ID.String(),
		"/v1/interactions?kind=reference", "/v1/interactions?updated_since=" + url.QueryEscape(at(time.Now().Add(-time.Hour))),
	}
	referralLists := []string{"/v1/referrals", "/v1/referrals?school_id=" + lincoln.ID.String()}
	// The owner sees the interaction in every list, so that the other tenants' empty views of
	// them mean something.
	for _, list := range lists {
		if got, _ := allPages(t, env, owner, list); !slices.Contains(got, "Secret") {
			t.Fatalf("GET %s = %q for the owner, want the interaction in it", list, got)
		}
	}
	for _, list := range referralLists {
		var refs api.ReferralList
		mustGet(t, env, owner, list, &refs)
		if len(refs.Data) != 1 || refs.Data[0].Interaction.Id != it.Id {
			t.Fatalf("GET %s = %+v for the owner, want the referral in it", list, refs.Data)
		}
	}

	for _, c := range []struct {
		name, token string
		ownSchool   uuid.UUID
	}{
		{"another district", env.Token(other, nil), other.Schools[0].ID},
		{"a client limited to another school", env.Token(tenant, nil, adams.ID), adams.ID},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, call := range []struct {
				method, path string
				body         any
				headers      []string
			}{
				{http.MethodGet, path, nil, nil},
				{http.MethodGet, path, nil, []string{"If-None-Match", `"1"`}},
				{http.MethodPatch, path, map[string]any{"summary": "mine"}, nil},
				{http.MethodPatch, path, map[string]any{"referral": map[string]any{"state": "closed", "closed_note": "x"}}, []string{"If-Match", `"1"`}},
				{http.MethodDelete, path, nil, nil},
				{http.MethodDelete, path, nil, []string{"If-Match", `"1"`}},
				{http.MethodGet, patronPath + "/interactions", nil, nil},
				{http.MethodPost, patronPath + "/visits", nil, nil},
				{http.MethodPost, patronPath + "/visits", map[string]any{"summary": "x"}, []string{"Idempotency-Key", "k-" + c.name}},
			} {
				if res := env.Call(call.method, call.path, c.token, call.body, call.headers...); res.Status != http.StatusNotFound {
					t.Errorf("%s %s %v = %d, want 404: %s", call.method, call.path, call.headers, res.Status, res.Body)
				}
			}
			for _, tt := range []struct {
				body    map[string]any
				pointer string
			}{
				{map[string]any{"school_id": lincoln.ID, "kind": "visit", "head_count": 1}, "#/school_id"},
				{map[string]any{"school_id": c.ownSchool, "kind": "visit", "patron_ids": []uuid.UUID{maya.ID}}, "#/patron_ids/0"},
			} {
				res := env.Call(http.MethodPost, "/v1/interactions", c.token, tt.body)
				if res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), tt.pointer) {
					t.Errorf("create %v = %d %s, want 422 at %s", tt.body, res.Status, res.Body, tt.pointer)
				}
			}
			if own := env.Call(http.MethodPost, "/v1/interactions", c.token, map[string]any{"school_id": c.ownSchool, "kind": "event", "head_count": 3}); own.Status != http.StatusCreated {
				t.Errorf("a create at the client's own school = %d %s", own.Status, own.Body)
			}
			for _, list := range lists {
				got, _ := allPages(t, env, c.token, list)
				if slices.Contains(got, "Secret") {
					t.Errorf("GET %s shows the other tenant's interaction", list)
				}
			}
			for _, list := range referralLists {
				var refs api.ReferralList
				mustGet(t, env, c.token, list, &refs)
				if len(refs.Data) != 0 {
					t.Errorf("GET %s shows %d referrals, want none: the client has none, and the other tenant's are not its to see", list, len(refs.Data))
				}
			}
		})
	}
	var after api.Interaction
	res := mustGet(t, env, owner, path, &after)
	if res.Header.Get("ETag") != `"1"` || deref(after.Summary) != "Secret" || after.Referral.State != "made" {
		t.Errorf("after the other tenants' tries: ETag %s, %+v", res.Header.Get("ETag"), after)
	}
	var history api.InteractionList
	mustGet(t, env, owner, patronPath+"/interactions", &history)
	if diff := cmp.Diff([]string{"Secret"}, summaries(history)); diff != "" {
		t.Errorf("Maya's history (-want +got):\n%s", diff)
	}
}

// TestInteractionConstraints checks that the database keeps the rules too, for writes that do
// not come through the API.
func TestInteractionConstraints(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	lincoln, adams := tenant.Schools[0], tenant.Schools[1]
	maya := env.NewPatron(lincoln, "Maya", "Lopez")
	eve := env.NewPatron(other.Schools[0], "Eve", "Abbot")
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, env.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	id := uuid.New()
	if _, err := conn.Exec(ctx, `
		INSERT INTO interactions (id, district_id, school_id, head_count, kind, channel, occurred_at, created_by_client, updated_by_client)
		VALUES ($1, $2, $3, 1, 'visit', 'in_person', now(), 'test', 'test')`, id, tenant.District.ID, lincoln.ID); err != nil {
		t.Fatalf("a valid interaction: %v", err)
	}
	insert := `INSERT INTO interactions (id, district_id, school_id, head_count, kind, channel, occurred_at, created_by_client, updated_by_client`
	for _, tt := range []struct {
		name, sql  string
		args       []any
		constraint string
	}{
		{"referred without a referral", insert + `, outcome) VALUES ($1, $2, $3, 1, 'reference', 'in_person', now(), 't', 't', 'referred')`,
			[]any{uuid.New(), tenant.District.ID, lincoln.ID}, "interactions_referral_check"},
		{"a referral without the outcome", insert + `, referral_state, referral_to_name, referral_to_role) VALUES ($1, $2, $3, 1, 'reference', 'in_person', now(), 't', 't', 'made', 'X', 'Y')`,
			[]any{uuid.New(), tenant.District.ID, lincoln.ID}, "interactions_referral_check"},
		{"closed without a note", insert + `, outcome, referral_state, referral_to_name, referral_to_role, referral_closed_at, referral_closed_by_client)
			VALUES ($1, $2, $3, 1, 'reference', 'in_person', now(), 't', 't', 'referred', 'closed', 'X', 'Y', now(), 't')`,
			[]any{uuid.New(), tenant.District.ID, lincoln.ID}, "interactions_referral_fields_check"},
		{"READ level 7", insert + `, read_level) VALUES ($1, $2, $3, 1, 'reference', 'in_person', now(), 't', 't', 7)`,
			[]any{uuid.New(), tenant.District.ID, lincoln.ID}, "interactions_read_level_check"},
		{"a rating of 6", insert + `, satisfaction_rating) VALUES ($1, $2, $3, 1, 'reference', 'in_person', now(), 't', 't', 6)`,
			[]any{uuid.New(), tenant.District.ID, lincoln.ID}, "interactions_satisfaction_rating_check"},
		{"no heads", insert + `) VALUES ($1, $2, $3, 0, 'event', 'in_person', now(), 't', 't')`,
			[]any{uuid.New(), tenant.District.ID, lincoln.ID}, "interactions_head_count_check"},
		{"an unknown kind", insert + `) VALUES ($1, $2, $3, 1, 'gossip', 'in_person', now(), 't', 't')`,
			[]any{uuid.New(), tenant.District.ID, lincoln.ID}, "interactions_kind_check"},
		{"another district's school", insert + `) VALUES ($1, $2, $3, 1, 'visit', 'in_person', now(), 't', 't')`,
			[]any{uuid.New(), tenant.District.ID, other.Schools[0].ID}, "interactions_school_fkey"},
		{"a patron of another district", `INSERT INTO interaction_patrons (interaction_id, patron_id, district_id, school_id, occurred_at)
			SELECT id, $2, district_id, school_id, occurred_at FROM interactions WHERE id = $1`, []any{id, eve.ID}, "interaction_patrons_patron_fkey"},
		{"another school than the interaction's", `INSERT INTO interaction_patrons (interaction_id, patron_id, district_id, school_id, occurred_at)
			SELECT id, $2, district_id, $3, occurred_at FROM interactions WHERE id = $1`, []any{id, maya.ID, adams.ID}, "interaction_patrons_interaction_fkey"},
		{"another time than the interaction's", `INSERT INTO interaction_patrons (interaction_id, patron_id, district_id, school_id, occurred_at)
			SELECT id, $2, district_id, school_id, occurred_at - interval '1 day' FROM interactions WHERE id = $1`, []any{id, maya.ID}, "interaction_patrons_interaction_fkey"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := conn.Exec(ctx, tt.sql, tt.args...)
			if pgErr, ok := errors.AsType[*pgconn.PgError](err); !ok || pgErr.ConstraintName != tt.constraint {
				t.Errorf("err = %v, want a violation of %s", err, tt.constraint)
			}
		})
	}
	t.Run("the patrons' rows follow their interaction", func(t *testing.T) {
		if _, err := conn.Exec(ctx, `INSERT INTO interaction_patrons (interaction_id, patron_id, district_id, school_id, occurred_at)
			SELECT id, $2, district_id, school_id, occurred_at FROM interactions WHERE id = $1`, id, maya.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `UPDATE interactions SET occurred_at = occurred_at - interval '3 days' WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		var same bool
		if err := conn.QueryRow(ctx, `SELECT ip.occurred_at = i.occurred_at FROM interaction_patrons ip JOIN interactions i ON i.id = ip.interaction_id WHERE i.id = $1`, id).Scan(&same); err != nil || !same {
			t.Errorf("after moving the interaction's time, the patron's row has the same time: %v (%v)", same, err)
		}
		if _, err := conn.Exec(ctx, `DELETE FROM interactions WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM interaction_patrons WHERE interaction_id = $1`, id).Scan(&n); err != nil || n != 0 {
			t.Errorf("rows left after deleting the interaction: %d (%v)", n, err)
		}
	})
}
