package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/rapport"
)

func noteBodies(list api.NoteList) []string {
	var out []string
	for _, n := range list.Data {
		out = append(out, n.Body)
	}
	return out
}

func accessLog(t *testing.T, env *apitest.Env, admin, patronID string) []string {
	t.Helper()
	var log api.AccessLogList
	env.Call(http.MethodGet, "/v1/patrons/"+patronID+"/access-log", admin, nil).Decode(t, &log)
	var out []string
	for _, e := range log.Data {
		who := e.AccessedBy.ClientId
		if e.AccessedBy.ActingUser != nil {
			who += "/" + *e.AccessedBy.ActingUser
		}
		out = append(out, e.Resource+" by "+who)
	}
	return out
}

func TestNotes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez")
	notesPath := "/v1/patrons/" + patron.ID.String() + "/notes"
	deskToken := env.Token(tenant, []rapport.Scope{rapport.ScopeNotesRead, rapport.ScopeNotesWrite})
	counselor := env.Token(tenant, []rapport.Scope{rapport.ScopeNotesSchool})
	admin := env.Token(tenant, nil)

	write := func(body map[string]any, actingUser string) api.Note {
		t.Helper()
		res := env.Call(http.MethodPost, notesPath, deskToken, body, "Acting-User", actingUser)
		if res.Status != http.StatusCreated {
			t.Fatalf("create note = %d: %s", res.Status, res.Body)
		}
		var n api.Note
		res.Decode(t, &n)
		return n
	}
	science := write(map[string]any{"body": "Entering the science fair with a volcano", "kind": "mention",
		"follow_up": map[string]any{"prompt": "Ask how the science fair went", "due_on": "2026-12-04"}}, "ms.lee")
	write(map[string]any{"body": "Prefers large-print books", "kind": "accessibility", "visibility": "school"}, "ms.lee")
	write(map[string]any{"body": "Seemed upset today", "visibility": "author"}, "ms.lee")
	write(map[string]any{"body": "Robert'); DROP TABLE notes;-- 📚", "kind": "other"}, "mr.kim")

	if science.FollowUp == nil || science.FollowUp.State != api.Open || science.Visibility != api.NoteVisibilityLibrary ||
		science.FollowUp.DueOn.String() != "2026-12-04" || *science.CreatedBy.ActingUser != "ms.lee" {
		t.Fatalf("created note = %+v", science)
	}

	t.Run("who reads what", func(t *testing.T) {
		for _, tt := range []struct {
			name, token, actingUser string
			want                    []string
		}{
			{"the author sees her own note", deskToken, "ms.lee", []string{"Robert'); DROP TABLE notes;-- 📚", "Seemed upset today", "Prefers large-print books", "Entering the science fair with a volcano"}},
			{"another librarian does not see it", deskToken, "mr.kim", []string{"Robert'); DROP TABLE notes;-- 📚", "Prefers large-print books", "Entering the science fair with a volcano"}},
			{"a counselor sees school notes only", counselor, "", []string{"Prefers large-print books"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				res := env.Call(http.MethodGet, notesPath, tt.token, nil, "Acting-User", tt.actingUser)
				if res.Status != http.StatusOK {
					t.Fatalf("list = %d %s", res.Status, res.Body)
				}
				var list api.NoteList
				res.Decode(t, &list)
				if diff := cmp.Diff(tt.want, noteBodies(list)); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
			})
		}
		// Three reads above, each recorded with who read.
		log := accessLog(t, env, admin, patron.ID.String())
		if len(log) != 3 || !slices.Contains(log, "notes by "+clientIDOf(t, env, counselor)) {
			t.Errorf("access log = %v, want the three reads", log)
		}
	})

	t.Run("filters and pages", func(t *testing.T) {
		var list api.NoteList
		env.Call(http.MethodGet, notesPath+"?kind=accessibility", deskToken, nil).Decode(t, &list)
		if diff := cmp.Diff([]string{"Prefers large-print books"}, noteBodies(list)); diff != "" {
			t.Errorf("kind filter (-want +got):\n%s", diff)
		}
		env.Call(http.MethodGet, notesPath+"?follow_up_state=open", deskToken, nil).Decode(t, &list)
		if diff := cmp.Diff([]string{"Entering the science fair with a volcano"}, noteBodies(list)); diff != "" {
			t.Errorf("follow-up filter (-want +got):\n%s", diff)
		}
		res := env.Call(http.MethodGet, notesPath+"?limit=2", deskToken, nil)
		res.Decode(t, &list)
		if len(list.Data) != 2 || list.NextCursor == nil || !strings.Contains(res.Header.Get("Link"), "cursor=") {
			t.Errorf("first page = %v, Link %q", noteBodies(list), res.Header.Get("Link"))
		}
	})

	t.Run("the desk's to-do list", func(t *testing.T) {
		other := env.NewPatron(tenant.Schools[1], "Ben", "Adams")
		env.Call(http.MethodPost, "/v1/patrons/"+other.ID.String()+"/notes", deskToken,
			map[string]any{"body": "Wants the next Wings of Fire", "follow_up": map[string]any{"prompt": "Tell him it arrived"}})
		var list api.FollowUpList
		env.Call(http.MethodGet, "/v1/follow-ups", deskToken, nil).Decode(t, &list)
		var got []string
		for _, it := range list.Data {
			got = append(got, it.Patron.DisplayName+": "+it.Note.FollowUp.Prompt)
		}
		want := []string{"Maya Lopez: Ask how the science fair went", "Ben Adams: Tell him it arrived"} // dated first
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("follow-ups (-want +got):\n%s", diff)
		}
		env.Call(http.MethodGet, "/v1/follow-ups?school_id="+tenant.Schools[1].ID.String(), deskToken, nil).Decode(t, &list)
		if len(list.Data) != 1 || list.Data[0].Patron.Id != other.ID {
			t.Errorf("school filter = %+v", list.Data)
		}
		env.Call(http.MethodGet, "/v1/follow-ups?due_before=2026-12-01", deskToken, nil).Decode(t, &list)
		if len(list.Data) != 0 {
			t.Errorf("due_before filter = %+v", list.Data)
		}
		if log := accessLog(t, env, admin, other.ID.String()); len(log) < 2 || log[0] != "follow_ups by "+clientIDOf(t, env, deskToken) {
			t.Errorf("the to-do list's reads of Ben are not logged: %v", log)
		}
	})

	notePath := "/v1/notes/" + science.Id.String()
	t.Run("close and reopen a follow-up", func(t *testing.T) {
		etag := env.Call(http.MethodGet, notePath, deskToken, nil).Header.Get("ETag")
		res := env.Call(http.MethodPatch, notePath, deskToken, map[string]any{"follow_up": map[string]any{"state": "done"}}, "If-Match", etag, "Acting-User", "mr.kim")
		var n api.Note
		res.Decode(t, &n)
		if res.Status != http.StatusOK || n.FollowUp.State != api.Done || n.FollowUp.ClosedAt == nil ||
			*n.FollowUp.ClosedBy.ActingUser != "mr.kim" || n.FollowUp.Prompt != "Ask how the science fair went" {
			t.Fatalf("close = %d %+v", res.Status, n.FollowUp)
		}
		if res := env.Call(http.MethodPatch, notePath, deskToken, map[string]any{"body": "stale"}, "If-Match", etag); res.Status != http.StatusPreconditionFailed {
			t.Errorf("stale If-Match = %d, want 412", res.Status)
		}
		res = env.Call(http.MethodPatch, notePath, deskToken, map[string]any{"follow_up": map[string]any{"state": "open", "due_on": nil}})
		if res.Status != http.StatusOK {
			t.Fatalf("reopen = %d %s", res.Status, res.Body)
		}
		var reopened, removed api.Note // fresh: decoding over n would keep members the answer omits
		res.Decode(t, &reopened)
		if reopened.FollowUp.State != api.Open || reopened.FollowUp.ClosedAt != nil || reopened.FollowUp.DueOn != nil {
			t.Errorf("reopen = %+v", reopened.FollowUp)
		}
		env.Call(http.MethodPatch, notePath, deskToken, map[string]any{"follow_up": nil}).Decode(t, &removed)
		if removed.FollowUp != nil {
			t.Errorf("removing the follow-up left %+v", removed.FollowUp)
		}
		res = env.Call(http.MethodPatch, notePath, deskToken, map[string]any{"follow_up": map[string]any{"state": "open"}})
		if res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), "#/follow_up/prompt") {
			t.Errorf("adding a follow-up without a prompt = %d %s", res.Status, res.Body)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, body := range []map[string]any{
			{"body": ""}, {"body": strings.Repeat("x", 4001)}, {"body": "x", "kind": "gossip"}, {"body": "x", "visibility": "everyone"},
			{"body": "x", "follow_up": map[string]any{"prompt": "x", "due_on": "next tuesday"}}, {"body": "x", "mood": "happy"}, {"body": 42},
		} {
			if res := env.Call(http.MethodPost, notesPath, deskToken, body); res.Status != http.StatusUnprocessableEntity {
				t.Errorf("create %v = %d, want 422", body, res.Status)
			}
		}
	})

	t.Run("another district or school", func(t *testing.T) {
		otherToken := env.Token(other, nil)
		limited := env.Token(tenant, nil, tenant.Schools[1].ID)
		for _, tok := range []string{otherToken, limited} {
			for _, call := range []struct {
				method, path string
				body         any
			}{
				{http.MethodGet, notesPath, nil},
				{http.MethodPost, notesPath, map[string]any{"body": "x"}},
				{http.MethodGet, notePath, nil},
				{http.MethodPatch, notePath, map[string]any{"body": "x"}},
				{http.MethodDelete, notePath, nil},
				{http.MethodGet, "/v1/patrons/" + patron.ID.String() + "/access-log", nil},
			} {
				if res := env.Call(call.method, call.path, tok, call.body); res.Status != http.StatusNotFound {
					t.Errorf("%s %s = %d, want 404", call.method, call.path, res.Status)
				}
			}
			var list api.FollowUpList
			env.Call(http.MethodGet, "/v1/follow-ups", tok, nil).Decode(t, &list)
			for _, it := range list.Data {
				if it.Patron.Id == patron.ID {
					t.Errorf("another tenant's to-do list shows %s", it.Patron.DisplayName)
				}
			}
		}
	})

	t.Run("delete", func(t *testing.T) {
		if res := env.Call(http.MethodDelete, notePath, deskToken, nil); res.Status != http.StatusNoContent {
			t.Fatalf("delete = %d", res.Status)
		}
		if res := env.Call(http.MethodGet, notePath, deskToken, nil); res.Status != http.StatusNotFound {
			t.Errorf("GET a deleted note = %d, want 404", res.Status)
		}
	})
}

// clientIDOf returns the OAuth client_id behind a token, as the access log records it.
func clientIDOf(t *testing.T, env *apitest.Env, token string) string {
	t.Helper()
	p, err := env.Auth.Authenticate(t.Context(), token)
	if err != nil {
		t.Fatal(err)
	}
	return p.ClientID
}
