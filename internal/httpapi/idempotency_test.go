package httpapi_test

import (
	"context"
	"net/http"
	"slices"
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
	env.Call(http.MethodGet, "/v1/patrons/"+patronID+"/notes?limit=200", token, nil).Decode(t, &list)
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
		other := env.Token(tenant, []rapport.Scope{rapport.ScopeNotesWrite})
		res := env.Call(http.MethodPost, path, other, note, "Idempotency-Key", "key-1")
		if res.Status != http.StatusCreated || res.Header.Get("Idempotency-Replayed") != "" {
			t.Errorf("another client's key-1 = %d, replayed %q; want a new note", res.Status, res.Header.Get("Idempotency-Replayed"))
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
		writer := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsWrite})
		body := map[string]any{"school_id": tenant.Schools[0].ID, "role": "student", "given_name": "Sam", "family_name": "Lee"}
		a := env.Call(http.MethodPost, "/v1/patrons", writer, body, "Idempotency-Key", "patron-1")
		b := env.Call(http.MethodPost, "/v1/patrons", writer, body, "Idempotency-Key", "patron-1")
		if a.Status != http.StatusCreated || string(a.Body) != string(b.Body) || b.Header.Get("Idempotency-Replayed") != "true" {
			t.Errorf("patron create twice = %d / %d, same body %v", a.Status, b.Status, string(a.Body) == string(b.Body))
		}
	})
}
