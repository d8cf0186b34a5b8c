package httpapi_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/rapport"
)

func boardSummaries(b api.PublicBoard) []string {
	var out []string
	for _, it := range b.Data {
		out = append(out, it.Summary)
	}
	return out
}

func TestYouSaidWeDid(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	lincoln, adams := tenant.Schools[0], tenant.Schools[1]
	admin := env.Token(tenant, nil)
	if res := env.Call(http.MethodPatch, "/v1/schools/"+lincoln.ID.String(), admin, map[string]any{"time_zone": "America/Chicago"}); res.Status != http.StatusOK {
		t.Fatalf("set the time zone = %d %s", res.Status, res.Body)
	}
	zeb := env.NewPatron(lincoln, "Zebediah", "Quattlebaum", func(in *rapport.PatronCreate) {
		in.PreferredName, in.Email, in.SourcedID, in.Barcode = "Zeb", "zeb.q@lincoln.example.org", "stu-zeb-77", "B-ZEB-77"
	})
	fan := env.NewPatron(lincoln, "Philippa", "Ostrowski-Vance")
	writer := env.Token(tenant, feedbackScopes)
	board := "/v1/public/schools/" + lincoln.Slug + "/you-said-we-did"
	// Each item is worded for the board: its summary as the patron put it ("As asked: …"), and
	// a public summary; each decision has an internal text ("Internal: …") and a public one.
	item := func(summary string, public bool, extra map[string]any) string {
		body := map[string]any{"school_id": lincoln.ID, "source": "conversation", "summary": "As asked: " + summary,
			"public_summary": summary, "public": public}
		for k, v := range extra {
			body[k] = v
			if v == nil {
				delete(body, k)
			}
		}
		return newFeedback(t, env, writer, body, "Acting-User", "ms.lee@lincoln.example.org").Id.String()
	}
	decide := func(id, to, text string) {
		t.Helper()
		body := map[string]any{"to": to}
		switch {
		case to == "acted_on" || to == "explained_why_not":
			body["text"], body["public_text"] = "Internal: "+text, text
		case text != "":
			body["text"] = text
		}
		if res := env.Call(http.MethodPost, "/v1/feedback/"+id+"/transitions", writer, body, "Acting-User", "ms.lee@lincoln.example.org"); res.Status != http.StatusOK {
			t.Fatalf("decide %s = %d %s", id, res.Status, res.Body)
		}
	}

	manga := item("More manga", true, map[string]any{"patron_id": zeb.ID, "category": "Collection",
		"details": "Zebediah Quattlebaum (Zeb) asked at the desk; email zeb.q@lincoln.example.org", "received_at": "2026-11-02T03:00:00Z"})
	for _, body := range []map[string]any{{"patron_id": fan.ID}, {}} {
		if res := env.Call(http.MethodPost, "/v1/feedback/"+manga+"/supporters", writer, body); res.Status != http.StatusCreated {
			t.Fatalf("support %v = %d %s", body, res.Status, res.Body)
		}
	}
	decide(manga, "acted_on", "We bought 40 new manga volumes")
	hours := item("Open on Saturdays", true, map[string]any{"source": "suggestion_box"})
	decide(hours, "under_review", "Asking the district")
	decide(hours, "explained_why_not", "The building is closed on weekends; we added evening hours instead")
	private := item("Private: a complaint about a classmate", false, nil)
	decide(private, "acted_on", "Talked to the counselor")
	item("Still received", true, nil)
	reviewing := item("Still under review", true, nil)
	decide(reviewing, "under_review", "")
	reopened := item("Reopened", true, nil)
	decide(reopened, "acted_on", "Done")
	decide(reopened, "under_review", "Not done after all")
	elsewhere := newFeedback(t, env, writer, map[string]any{"school_id": adams.ID, "source": "form", "summary": "Adams item",
		"public_summary": "Adams item", "public": true}).Id.String()
	decide(elsewhere, "acted_on", "Done at Adams")
	// Public and decided, but not worded for the board: off it, until staff word it.
	unworded := item("Unworded", true, map[string]any{"public_summary": nil})
	decide(unworded, "acted_on", "Done")
	undecidedInPublic := item("Decided without public words", true, nil)
	if res := transition(env, writer, undecidedInPublic, "acted_on", "Internal: done"); res.Status != http.StatusOK {
		t.Fatalf("decide without public_text = %d %s", res.Status, res.Body)
	}
	for _, id := range []string{unworded, undecidedInPublic} {
		var f api.FeedbackItem
		mustGet(t, env, writer, "/v1/feedback/"+id, &f)
		if f.OnPublicBoard {
			t.Errorf("%s without public wording has on_public_board true: %+v", id, f)
		}
	}

	res := env.Call(http.MethodGet, board, "", nil) // no token
	if res.Status != http.StatusOK {
		t.Fatalf("board = %d %s", res.Status, res.Body)
	}
	var got api.PublicBoard
	res.Decode(t, &got)
	if diff := cmp.Diff([]string{"Open on Saturdays", "More manga"}, boardSummaries(got)); diff != "" {
		t.Errorf("board: only public decisions worded for it, newest first (-want +got):\n%s", diff)
	}
	if got.School.Name != "Lincoln High" || got.School.Slug != lincoln.Slug {
		t.Errorf("school = %+v", got.School)
	}
	if len(got.Data) == 2 {
		m := got.Data[1]
		if m.Decision != api.PublicFeedbackItemDecisionActedOn || m.DecisionText != "We bought 40 new manga volumes" || *m.Category != "collection" ||
			m.Source != api.FeedbackSourceConversation || m.SupportersCount != 2 || m.ReceivedOn.String() != "2026-11-01" || m.DecidedOn.IsZero() {
			t.Errorf("the manga item = %+v; received on 2026-11-01 in Chicago", m)
		}
		if got.Data[0].Decision != api.PublicFeedbackItemDecisionExplainedWhyNot {
			t.Errorf("the hours item = %+v", got.Data[0])
		}
	}

	t.Run("anonymous: no patron, no names, no staff, no details", func(t *testing.T) {
		body := string(res.Body)
		for _, secret := range []string{
			zeb.ID.String(), fan.ID.String(), "Zebediah", "Quattlebaum", "Zeb ", "zeb.q@", "stu-zeb-77", "B-ZEB-77", "Philippa", "Ostrowski",
			"ms.lee", clientIDOf(t, env, writer), "asked at the desk", "classmate", "Adams item", "As asked", "Internal",
			"patron", "submitter", "details", "created_by", "decided_by", "updated_by", "acting_user", "client_id",
		} {
			if strings.Contains(body, secret) {
				t.Errorf("the public board shows %q:\n%s", secret, body)
			}
		}
		var raw struct {
			Data []map[string]json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(res.Body, &raw); err != nil {
			t.Fatal(err)
		}
		allowed := []string{"id", "summary", "category", "source", "decision", "decision_text", "received_on", "decided_on", "supporters_count"}
		for _, it := range raw.Data {
			for member := range it {
				if !slices.Contains(allowed, member) {
					t.Errorf("a board item has the member %q", member)
				}
			}
		}
	})

	t.Run("cacheable, with an ETag computed from the page", func(t *testing.T) {
		etag := res.Header.Get("ETag")
		if res.Header.Get("Cache-Control") != "public, max-age=60" || !strings.HasPrefix(etag, `"`) || strings.HasPrefix(etag, "W/") {
			t.Errorf("Cache-Control %q, ETag %q", res.Header.Get("Cache-Control"), etag)
		}
		again := env.Call(http.MethodGet, board, "", nil, "If-None-Match", etag)
		if again.Status != http.StatusNotModified || again.Header.Get("ETag") != etag || len(again.Body) != 0 {
			t.Errorf("conditional GET = %d, ETag %q", again.Status, again.Header.Get("ETag"))
		}
		decide(reviewing, "acted_on", "We moved the printers")
		res := env.Call(http.MethodGet, board, "", nil, "If-None-Match", etag)
		var changed api.PublicBoard
		res.Decode(t, &changed)
		if res.Status != http.StatusOK || res.Header.Get("ETag") == etag || boardSummaries(changed)[0] != "Still under review" {
			t.Errorf("after a new decision: %d, ETag %q, board %v", res.Status, res.Header.Get("ETag"), boardSummaries(changed))
		}
		// Making an item private takes it off the board.
		if res := env.Call(http.MethodPatch, "/v1/feedback/"+reviewing, writer, map[string]any{"public": false}); res.Status != http.StatusOK {
			t.Fatalf("make the item private = %d %s", res.Status, res.Body)
		}
		var private api.PublicBoard
		mustGet(t, env, "", board, &private)
		if slices.Contains(boardSummaries(private), "Still under review") {
			t.Errorf("a private item is on the board: %v", boardSummaries(private))
		}
		if diff := cmp.Diff([]string{"Open on Saturdays", "More manga"}, boardSummaries(private)); diff != "" {
			t.Errorf("the board after making an item private (-want +got):\n%s", diff)
		}
		// Wording a decided public item for the board puts it there; taking the wording away
		// takes it off again.
		var worded api.FeedbackItem
		if res := env.Call(http.MethodPatch, "/v1/feedback/"+undecidedInPublic, writer, map[string]any{"public_decision": "Done, at last"}); res.Status != http.StatusOK {
			t.Fatalf("word the decision = %d %s", res.Status, res.Body)
		} else if res.Decode(t, &worded); !worded.OnPublicBoard {
			t.Errorf("a worded public decision says on_public_board false: %+v", worded)
		}
		var now api.PublicBoard
		mustGet(t, env, "", board, &now)
		if len(now.Data) == 0 || now.Data[0].Summary != "Decided without public words" || now.Data[0].DecisionText != "Done, at last" {
			t.Errorf("the board after wording a decision = %+v", now.Data)
		}
		if res := env.Call(http.MethodPatch, "/v1/feedback/"+undecidedInPublic, writer, map[string]any{"public_summary": nil}); res.Status != http.StatusOK {
			t.Fatalf("take the public summary away = %d %s", res.Status, res.Body)
		}
		mustGet(t, env, "", board, &now)
		if diff := cmp.Diff([]string{"Open on Saturdays", "More manga"}, boardSummaries(now)); diff != "" {
			t.Errorf("the board after taking a public summary away (-want +got):\n%s", diff)
		}
	})

	t.Run("pages", func(t *testing.T) {
		var all []string
		next := board + "?limit=1"
		for next != "" {
			var page api.PublicBoard
			res := mustGet(t, env, "", next, &page)
			all = append(all, boardSummaries(page)...)
			next = strings.TrimSuffix(strings.TrimPrefix(res.Header.Get("Link"), "<"), `>; rel="next"`)
		}
		if diff := cmp.Diff([]string{"Open on Saturdays", "More manga"}, all); diff != "" {
			t.Errorf("every page (-want +got):\n%s", diff)
		}
		if res := env.Call(http.MethodGet, board+"?cursor=nonsense", "", nil); res.Status != http.StatusBadRequest {
			t.Errorf("a made-up cursor = %d, want 400", res.Status)
		}
	})

	t.Run("unknown and inactive schools", func(t *testing.T) {
		if res := env.Call(http.MethodGet, "/v1/public/schools/no-such-school/you-said-we-did", "", nil); res.Status != http.StatusNotFound {
			t.Errorf("unknown slug = %d, want 404", res.Status)
		}
		adamsBoard := "/v1/public/schools/" + adams.Slug + "/you-said-we-did"
		var page api.PublicBoard
		mustGet(t, env, "", adamsBoard, &page)
		if diff := cmp.Diff([]string{"Adams item"}, boardSummaries(page)); diff != "" {
			t.Errorf("Adams's board (-want +got):\n%s", diff)
		}
		if res := env.Call(http.MethodPatch, "/v1/schools/"+adams.ID.String(), admin, map[string]any{"status": "inactive"}); res.Status != http.StatusOK {
			t.Fatalf("deactivate Adams = %d %s", res.Status, res.Body)
		}
		if res := env.Call(http.MethodGet, adamsBoard, admin, nil); res.Status != http.StatusNotFound {
			t.Errorf("an inactive school's board = %d, want 404", res.Status)
		}
	})

	t.Run("a token is neither needed nor checked", func(t *testing.T) {
		if res := env.Call(http.MethodGet, board, "not-a-token", nil); res.Status != http.StatusOK {
			t.Errorf("with a bad token = %d, want 200", res.Status)
		}
	})
}
