package httpapi_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/rapport"
)

func countNotes(t *testing.T, env *apitest.Env, token, patronID string) int {
	t.Helper()
	var list api.NoteList
	mustGet(t, env, token, "/v1/patrons/"+patronID+"/notes?limit=200", &list)
	return len(list.Data)
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez")
	path := "/v1/patrons/" + patron.ID.String() + "/notes"
	token := env.Token(tenant, []rapport.Scope{rapport.ScopeNotesRead, rapport.ScopeNotesWrite})
	note := map[string]any{"body": "Loves horse stories", "kind": "interest"}

	first := env.Call(http.MethodPost, path, token, note, "Idempotency-Key", "key-1")
	if first.Status != http.StatusCreated || first.Header.Get("Idempotency-Replayed") != "" {
		t.Fatalf("first = %d, replayed %q", first.Status, first.Header.Get("Idempotency-Replayed"))
	}

	t.Run("a retry replays the first answer", func(t *testing.T) {
		again := env.Call(http.MethodPost, path, token, note, "Idempotency-Key", `"key-1"`) // quoted is the same key
		if again.Status != http.StatusCreated || string(again.Body) != string(first.Body) ||
			again.Header.Get("Location") != first.Header.Get("Location") || again.Header.Get("Idempotency-Replayed") != "true" {
			t.Errorf("retry = %d %s (Location %q, replayed %q)", again.Status, again.Body, again.Header.Get("Location"), again.Header.Get("Idempotency-Replayed"))
		}
		if n := countNotes(t, env, token, patron.ID.String()); n != 1 {
			t.Errorf("%d notes after a retry, want 1", n)
		}
	})

	t.Run("the same JSON spelled differently is the same request", func(t *testing.T) {
		spelled := "{\n  \"kind\" : \"interest\",\n  \"body\":\"Loves horse stories\"\n}"
		again := env.Call(http.MethodPost, path, token, spelled, "Idempotency-Key", "key-1", "Content-Type", "application/json")
		if again.Status != http.StatusCreated || string(again.Body) != string(first.Body) || again.Header.Get("Idempotency-Replayed") != "true" {
			t.Errorf("members reordered, spaces added = %d %s (replayed %q), want the first answer replayed",
				again.Status, again.Body, again.Header.Get("Idempotency-Replayed"))
		}
	})

	t.Run("the same key for another request", func(t *testing.T) {
		res := env.Call(http.MethodPost, path, token, map[string]any{"body": "Something else"}, "Idempotency-Key", "key-1")
		if res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), "#/header/Idempotency-Key") {
			t.Errorf("got %d %s, want 422 pointing at the header", res.Status, res.Body)
		}
	})

	t.Run("concurrent identical requests create one note", func(t *testing.T) {
		before := countNotes(t, env, token, patron.ID.String())
		const n = 12
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = env.Call(http.MethodPost, path, token, map[string]any{"body": "Asked about chess club"}, "Idempotency-Key", "key-race").Status
			}()
		}
		wg.Wait()
		for _, s := range statuses {
			if s != http.StatusCreated && s != http.StatusConflict {
				t.Errorf("statuses = %v, want only 201 (first or replayed) and 409 (still running)", statuses)
				break
			}
		}
		if !slices.Contains(statuses, http.StatusCreated) {
			t.Errorf("statuses = %v, want at least one 201", statuses)
		}
		if got := countNotes(t, env, token, patron.ID.String()); got != before+1 {
			t.Errorf("%d concurrent requests made %d notes, want 1", n, got-before)
		}
	})

	t.Run("keys are per client", func(t *testing.T) {
		other := env.Token(tenant, []rapport.Scope{rapport.ScopeNotesRead, rapport.ScopeNotesWrite})
		res := env.Call(http.MethodPost, path, other, note, "Idempotency-Key", "key-1")
		if res.Status != http.StatusCreated || res.Header.Get("Idempotency-Replayed") != "" || string(res.Body) == string(first.Body) {
			t.Errorf("another client's key-1 = %d, replayed %q; want a new note", res.Status, res.Header.Get("Idempotency-Replayed"))
		}
	})

	t.Run("keys are per acting user", func(t *testing.T) {
		// The first was sent for nobody; the same key and body for ms.lee is another request,
		// and its replay answers ms.lee only.
		asLee := env.Call(http.MethodPost, path, token, note, "Idempotency-Key", "key-1", "Acting-User", "ms.lee")
		if asLee.Status != http.StatusCreated || asLee.Header.Get("Idempotency-Replayed") != "" {
			t.Fatalf("key-1 for ms.lee = %d, replayed %q; want a new note", asLee.Status, asLee.Header.Get("Idempotency-Replayed"))
		}
		asKim := env.Call(http.MethodPost, path, token, note, "Idempotency-Key", "key-1", "Acting-User", "mr.kim")
		if asKim.Status != http.StatusCreated || asKim.Header.Get("Idempotency-Replayed") != "" || string(asKim.Body) == string(asLee.Body) {
			t.Errorf("key-1 for mr.kim = %d, replayed %q; want a note of his own, not ms.lee's answer", asKim.Status, asKim.Header.Get("Idempotency-Replayed"))
		}
		again := env.Call(http.MethodPost, path, token, note, "Idempotency-Key", "key-1", "Acting-User", "MS.LEE")
		if again.Header.Get("Idempotency-Replayed") != "true" || string(again.Body) != string(asLee.Body) {
			t.Errorf("key-1 for MS.LEE = %d, replayed %q; want ms.lee's answer replayed (names are normalised)", again.Status, again.Header.Get("Idempotency-Replayed"))
		}
	})

	t.Run("honoured only where the spec declares it", func(t *testing.T) {
		// A transition takes If-Match, not Idempotency-Key: the key is ignored, so a second
		// identical request is judged afresh (409: the item is decided already), not replayed.
		admin := env.Token(tenant, nil)
		var f api.FeedbackItem
		res := env.Call(http.MethodPost, "/v1/feedback", admin, map[string]any{"school_id": tenant.Schools[0].ID, "source": "email", "summary": "A quiet room"})
		if res.Status != http.StatusCreated {
			t.Fatalf("create feedback = %d: %s", res.Status, res.Body)
		}
		res.Decode(t, &f)
		decide := map[string]any{"to": "acted_on", "text": "Opened room 12 at lunch"}
		to := "/v1/feedback/" + f.Id.String() + "/transitions"
		if res := env.Call(http.MethodPost, to, admin, decide, "Idempotency-Key", "decide-1"); res.Status != http.StatusOK {
			t.Fatalf("first transition = %d: %s", res.Status, res.Body)
		}
		if res := env.Call(http.MethodPost, to, admin, decide, "Idempotency-Key", "decide-1"); res.Status != http.StatusConflict || res.Header.Get("Idempotency-Replayed") != "" {
			t.Errorf("second transition with the same key = %d, replayed %q; want 409, judged afresh", res.Status, res.Header.Get("Idempotency-Replayed"))
		}
	})

	t.Run("a key longer than 255 characters", func(t *testing.T) {
		res := env.Call(http.MethodPost, path, token, note, "Idempotency-Key", strings.Repeat("k", 40_000))
		if res.Status != http.StatusBadRequest || !slices.Contains(res.Pointers(t), "#/header/Idempotency-Key") {
			t.Errorf("a 40,000-character key = %d %s, want 400 pointing at the header", res.Status, res.Body)
		}
	})

	t.Run("a refused request does not use the key up", func(t *testing.T) {
		if res := env.Call(http.MethodPost, path, token, map[string]any{"body": ""}, "Idempotency-Key", "key-2"); res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("invalid request = %d, want 422", res.Status)
		}
		if res := env.Call(http.MethodPost, path, token, map[string]any{"body": "Fixed"}, "Idempotency-Key", "key-2"); res.Status != http.StatusCreated {
			t.Errorf("the corrected request = %d, want 201", res.Status)
		}
	})

	t.Run("keys expire after 24 hours", func(t *testing.T) {
		conn, err := pgx.Connect(context.Background(), env.DatabaseURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), `UPDATE idempotency_keys SET created_at = now() - interval '25 hours' WHERE key = 'key-1'`); err != nil {
			t.Fatal(err)
		}
		res := env.Call(http.MethodPost, path, token, map[string]any{"body": "A new day"}, "Idempotency-Key", "key-1")
		if res.Status != http.StatusCreated || res.Header.Get("Idempotency-Replayed") != "" {
			t.Errorf("an expired key = %d, replayed %q; want a new note", res.Status, res.Header.Get("Idempotency-Replayed"))
		}
	})

	t.Run("every create takes one", func(t *testing.T) {
		writer := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsWrite, rapport.ScopePatronsRead})
		body := map[string]any{"school_id": tenant.Schools[0].ID, "role": "student", "given_name": "Sam", "family_name": "Lee"}
		a := env.Call(http.MethodPost, "/v1/patrons", writer, body, "Idempotency-Key", "patron-1")
		b := env.Call(http.MethodPost, "/v1/patrons", writer, body, "Idempotency-Key", "patron-1")
		if a.Status != http.StatusCreated || string(a.Body) != string(b.Body) || b.Header.Get("Idempotency-Replayed") != "true" {
			t.Errorf("patron create twice = %d / %d, same body %v", a.Status, b.Status, string(a.Body) == string(b.Body))
		}
		// A writer that may not read patrons gets 204 and the address, first and replayed.
		blind := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsWrite})
		body["given_name"] = "Ana"
		c := env.Call(http.MethodPost, "/v1/patrons", blind, body, "Idempotency-Key", "patron-2")
		d := env.Call(http.MethodPost, "/v1/patrons", blind, body, "Idempotency-Key", "patron-2")
		if c.Status != http.StatusNoContent || d.Status != http.StatusNoContent || c.Header.Get("Location") == "" ||
			d.Header.Get("Location") != c.Header.Get("Location") || d.Header.Get("Idempotency-Replayed") != "true" {
			t.Errorf("blind patron create twice = %d (%q) / %d (%q); want 204 with one Location, replayed", c.Status, c.Header.Get("Location"), d.Status, d.Header.Get("Location"))
		}
	})
}
