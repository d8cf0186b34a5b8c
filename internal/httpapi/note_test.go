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

// followUps lists a to-do list as "patron: prompt".
func followUps(list api.FollowUpList) []string {
	var out []string
	for _, it := range list.Data {
		who := "(not shown)"
		if it.Patron != nil {
			who = it.Patron.DisplayName
		}
		out = append(out, who+": "+it.Note.FollowUp.Prompt)
	}
	return out
}

func accessLog(t *testing.T, env *apitest.Env, admin, patronID string) []string {
	t.Helper()
	var log api.AccessLogList
	mustGet(t, env, admin, "/v1/patrons/"+patronID+"/access-log", &log)
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
	deskToken := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsRead, rapport.ScopeNotesRead, rapport.ScopeNotesWrite})
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
		// Three reads above, each recorded with who read, after the four notes written, each
		// answered with its body and so logged as a read of it.
		log := accessLog(t, env, admin, patron.ID.String())
		desk := clientIDOf(t, env, deskToken)
		want := []string{"notes by " + clientIDOf(t, env, counselor), "notes by " + desk + "/mr.kim", "notes by " + desk + "/ms.lee",
			"note by " + desk + "/mr.kim", "note by " + desk + "/ms.lee", "note by " + desk + "/ms.lee", "note by " + desk + "/ms.lee"}
		if diff := cmp.Diff(want, log); diff != "" {
			t.Errorf("access log (-want +got):\n%s", diff)
		}
	})

	t.Run("filters and pages", func(t *testing.T) {
		// A follow-up already done, for the state filter to tell apart from the open one.
		res := env.Call(http.MethodPost, notesPath, deskToken, map[string]any{"body": "Borrowed the last atlas",
			"follow_up": map[string]any{"prompt": "Ask for the atlas back"}})
		if res.Status != http.StatusCreated {
			t.Fatalf("create note = %d: %s", res.Status, res.Body)
		}
		var atlas api.Note
		res.Decode(t, &atlas)
		if res := env.Call(http.MethodPatch, "/v1/notes/"+atlas.Id.String(), deskToken, map[string]any{"follow_up": map[string]any{"state": "done"}}); res.Status != http.StatusOK {
			t.Fatalf("close the atlas follow-up = %d: %s", res.Status, res.Body)
		}

		var byKind api.NoteList
		mustGet(t, env, deskToken, notesPath+"?kind=accessibility", &byKind)
		if diff := cmp.Diff([]string{"Prefers large-print books"}, noteBodies(byKind)); diff != "" {
			t.Errorf("kind filter (-want +got):\n%s", diff)
		}
		for _, tt := range []struct {
			state string
			want  []string
		}{
			{"open", []string{"Entering the science fair with a volcano"}},
			{"done", []string{"Borrowed the last atlas"}},
		} {
			var byState api.NoteList
			mustGet(t, env, deskToken, notesPath+"?follow_up_state="+tt.state, &byState)
			if diff := cmp.Diff(tt.want, noteBodies(byState)); diff != "" {
				t.Errorf("follow_up_state=%s (-want +got):\n%s", tt.state, diff)
			}
		}
		var list api.NoteList
		res = mustGet(t, env, deskToken, notesPath+"?limit=2", &list)
		if len(list.Data) != 2 || list.NextCursor == nil || !strings.Contains(res.Header.Get("Link"), "cursor=") {
			t.Errorf("first page = %v, Link %q", noteBodies(list), res.Header.Get("Link"))
		}
	})

	t.Run("the desk's to-do list", func(t *testing.T) {
		other := env.NewPatron(tenant.Schools[1], "Ben", "Adams")
		if res := env.Call(http.MethodPost, "/v1/patrons/"+other.ID.String()+"/notes", deskToken,
			map[string]any{"body": "Wants the next Wings of Fire", "follow_up": map[string]any{"prompt": "Tell him it arrived"}}); res.Status != http.StatusCreated {
			t.Fatalf("create Ben's note = %d: %s", res.Status, res.Body)
		}
		var list api.FollowUpList
		mustGet(t, env, deskToken, "/v1/follow-ups", &list)
		// Open ones only: the atlas, done, is not on it.
		want := []string{"Maya Lopez: Ask how the science fair went", "Ben Adams: Tell him it arrived"} // dated first
		if diff := cmp.Diff(want, followUps(list)); diff != "" {
			t.Errorf("follow-ups (-want +got):\n%s", diff)
		}
		var done api.FollowUpList
		mustGet(t, env, deskToken, "/v1/follow-ups?state=done", &done)
		if diff := cmp.Diff([]string{"Maya Lopez: Ask for the atlas back"}, followUps(done)); diff != "" {
			t.Errorf("state=done (-want +got):\n%s", diff)
		}
		var atAdams api.FollowUpList
		mustGet(t, env, deskToken, "/v1/follow-ups?school_id="+tenant.Schools[1].ID.String(), &atAdams)
		if len(atAdams.Data) != 1 || atAdams.Data[0].Patron.Id != other.ID {
			t.Errorf("school filter = %+v", atAdams.Data)
		}
		for _, tt := range []struct {
			day  string
			want []string
		}{
			{"2026-12-01", nil},
			{"2026-12-04", []string{"Maya Lopez: Ask how the science fair went"}}, // on the day is before
		} {
			var due api.FollowUpList
			mustGet(t, env, deskToken, "/v1/follow-ups?due_before="+tt.day, &due)
			if diff := cmp.Diff(tt.want, followUps(due)); diff != "" {
				t.Errorf("due_before=%s (-want +got):\n%s", tt.day, diff)
			}
		}
		if log := accessLog(t, env, admin, other.ID.String()); len(log) < 2 || log[0] != "follow_ups by "+clientIDOf(t, env, deskToken) {
			t.Errorf("the to-do list's reads of Ben are not logged: %v", log)
		}
	})

	notePath := "/v1/notes/" + science.Id.String()
	t.Run("close and reopen a follow-up", func(t *testing.T) {
		etag := mustGet(t, env, deskToken, notePath, &api.Note{}).Header.Get("ETag")
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
		res = env.Call(http.MethodPatch, notePath, deskToken, map[string]any{"follow_up": nil})
		if res.Status != http.StatusOK {
			t.Fatalf("remove the follow-up = %d %s", res.Status, res.Body)
		}
		res.Decode(t, &removed)
		if removed.FollowUp != nil {
			t.Errorf("removing the follow-up left %+v", removed.FollowUp)
		}
		res = env.Call(http.MethodPatch, notePath, deskToken, map[string]any{"follow_up": map[string]any{"state": "open"}})
		if res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), "#/follow_up/prompt") {
			t.Errorf("adding a follow-up without a prompt = %d %s", res.Status, res.Body)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, tt := range []struct {
			body    map[string]any
			pointer string
		}{
			{map[string]any{"body": ""}, "#/body"},
			{map[string]any{"body": strings.Repeat("x", 4001)}, "#/body"},
			{map[string]any{"body": "x", "kind": "gossip"}, "#/kind"},
			{map[string]any{"body": "x", "visibility": "everyone"}, "#/visibility"},
			{map[string]any{"body": "x", "follow_up": map[string]any{"prompt": "x", "due_on": "next tuesday"}}, "#/follow_up/due_on"},
			{map[string]any{"body": "x", "mood": "happy"}, "#/mood"},
			{map[string]any{"body": 42}, "#/body"},
		} {
			if res := env.Call(http.MethodPost, notesPath, deskToken, tt.body); res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), tt.pointer) {
				t.Errorf("create %v = %d %s, want 422 at %s", tt.body, res.Status, res.Body, tt.pointer)
			}
		}
	})

	t.Run("another district or school", func(t *testing.T) {
		otherToken := env.Token(other, nil)
		limited := env.Token(tenant, nil, tenant.Schools[1].ID)
		// An open follow-up of Maya's, which the owner's to-do list shows and the others' must not.
		if res := env.Call(http.MethodPost, notesPath, deskToken, map[string]any{"body": "Lost her library card",
			"follow_up": map[string]any{"prompt": "Give her the new card"}}); res.Status != http.StatusCreated {
			t.Fatalf("create note = %d: %s", res.Status, res.Body)
		}
		var own api.FollowUpList
		mustGet(t, env, deskToken, "/v1/follow-ups", &own)
		if !slices.Contains(followUps(own), "Maya Lopez: Give her the new card") {
			t.Fatalf("the owner's to-do list = %q, want Maya's follow-up", followUps(own))
		}
		for _, c := range []struct {
			tok  string
			want []string // the client's own follow-ups
		}{
			{otherToken, nil},
			{limited, []string{"Ben Adams: Tell him it arrived"}},
		} {
			tok := c.tok
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
			mustGet(t, env, tok, "/v1/follow-ups", &list)
			for _, it := range list.Data {
				if it.Patron != nil && it.Patron.Id == patron.ID {
					t.Errorf("another tenant's to-do list shows %s", it.Patron.DisplayName)
				}
			}
			if diff := cmp.Diff(c.want, followUps(list)); diff != "" {
				t.Errorf("another tenant's to-do list (-want +got):\n%s", diff)
			}
		}
	})

	t.Run("delete", func(t *testing.T) {
		// Only its author (or an admin) deletes a note: ms.lee wrote it.
		if res := env.Call(http.MethodDelete, notePath, deskToken, nil, "Acting-User", "mr.kim"); res.Status != http.StatusForbidden {
			t.Fatalf("delete by another librarian = %d, want 403", res.Status)
		}
		if res := env.Call(http.MethodDelete, notePath, deskToken, nil, "Acting-User", "ms.lee"); res.Status != http.StatusNoContent {
			t.Fatalf("delete by its author = %d", res.Status)
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
