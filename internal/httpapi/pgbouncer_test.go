package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
)

// TestTwoReplicasThroughPgBouncer: two servers whose connections go through PgBouncer in
// transaction mode (no prepared statements across transactions, no session settings) serve the
// API: creates with and without Idempotency-Key (a transaction with an advisory lock and
// savepoints), reads on the other replica, search, merge patches, a decision, an erasure, the
// change feed, and a revocation that the other replica learns of.
func TestTwoReplicasThroughPgBouncer(t *testing.T) {
	t.Parallel()
	a := apitest.NewThroughPgBouncer(t)
	b := a.Replica()
	tenant := a.NewTenant("Lincoln High")
	school := tenant.Schools[0].ID
	admin := a.Token(tenant, nil)
	call := func(env *apitest.Env, method, path string, body any, want int, v any, headers ...string) *apitest.Response {
		t.Helper()
		res := env.Call(method, path, admin, body, headers...)
		if res.Status != want {
			t.Fatalf("%s %s = %d, want %d: %s", method, path, res.Status, want, res.Body)
		}
		if v != nil {
			res.Decode(t, v)
		}
		return res
	}

	var maya api.Patron
	body := map[string]any{"school_id": school, "role": "student", "given_name": "Maya", "family_name": "Lopez"}
	first := call(a, http.MethodPost, "/v1/patrons", body, http.StatusCreated, &maya, "Idempotency-Key", "maya-1")
	again := call(b, http.MethodPost, "/v1/patrons", body, http.StatusCreated, nil, "Idempotency-Key", "maya-1")
	if string(again.Body) != string(first.Body) || again.Header.Get("Idempotency-Replayed") != "true" {
		t.Errorf("the retry on the other replica = %s, replayed %q; want the first answer", again.Body, again.Header.Get("Idempotency-Replayed"))
	}
	path := "/v1/patrons/" + maya.Id.String()
	call(b, http.MethodGet, path, nil, http.StatusOK, nil)
	var found api.PatronList
	call(b, http.MethodGet, "/v1/patrons?q=may", nil, http.StatusOK, &found)
	if len(found.Data) != 1 || found.Data[0].Id != maya.Id {
		t.Errorf("search for may = %+v", found.Data)
	}
	call(a, http.MethodPatch, path, map[string]any{"grade": "05"}, http.StatusOK, nil)
	call(b, http.MethodPost, path+"/notes", map[string]any{"body": "Horses"}, http.StatusCreated, nil)
	var visit api.Interaction
	call(a, http.MethodPost, path+"/visits", nil, http.StatusCreated, &visit)
	var item api.FeedbackItem
	call(b, http.MethodPost, "/v1/feedback", map[string]any{"school_id": school, "patron_id": maya.Id, "source": "email", "summary": "More horse books"},
		http.StatusCreated, &item)
	call(a, http.MethodPost, "/v1/feedback/"+item.Id.String()+"/transitions", map[string]any{"to": "acted_on", "text": "Bought them"}, http.StatusOK, nil)
	call(b, http.MethodPost, path+"/erase", nil, http.StatusOK, nil)

	labels := map[uuid.UUID]string{maya.Id: "maya", visit.Id: "visit", item.Id: "item"}
	want := []string{"patron created maya", "patron updated maya", "interaction created visit", "feedback_item created item",
		"feedback_item updated item", "feedback_item updated item", "patron deleted maya"}
	got := feedSoon(t, b, admin, "", "&types=patron,interaction,feedback_item", labels, want)
	if len(got) != len(want) {
		t.Errorf("the feed through PgBouncer = %v, want %v", got, want)
	}

	// A revocation through one replica holds on the other within a second.
	c, secret := a.Client(tenant, nil)
	token := a.TokenOf(c, secret)
	if res := b.Call(http.MethodGet, "/v1/schools", token, nil); res.Status != http.StatusOK {
		t.Fatalf("before: %d", res.Status)
	}
	call(a, http.MethodPost, "/v1/clients/"+c.ID.String()+"/revoke", nil, http.StatusOK, nil)
	for revoked := time.Now(); b.Call(http.MethodGet, "/v1/schools", token, nil).Status != http.StatusUnauthorized; time.Sleep(20 * time.Millisecond) {
		if time.Since(revoked) > time.Second {
			t.Fatalf("the other replica still accepts the revoked client's token after %s", time.Since(revoked))
		}
	}
}
