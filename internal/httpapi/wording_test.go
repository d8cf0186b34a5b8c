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

// TestPublicWordingCannotNameThePatron: the public board shows only what staff wrote for it,
// and a write that would leave that text naming the patron the item is linked to is 422, naming
// the field, and changes nothing. Checked from the public side: whatever was tried, the board
// shows none of it.
func TestPublicWordingCannotNameThePatron(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	lincoln := tenant.Schools[0]
	zoe := env.NewPatron(lincoln, "Zoë", "Nguyễn-Okafor", func(in *rapport.PatronCreate) {
		in.PreferredName, in.Email = "Zo", "zoe.nguyen@lincoln.example.org"
		in.SourcedID, in.SISID, in.Barcode, in.LMSID = "stu-4471", "SIS-88213", "B-4471", "lms-zn-9"
	})
	kwame := env.NewPatron(lincoln, "Kwame", "Mensah")
	writer := env.Token(tenant, feedbackScopes)
	board := "/v1/public/schools/" + lincoln.Slug + "/you-said-we-did"
	boardBody := func() string {
		t.Helper()
		res := env.Call(http.MethodGet, board, "", nil)
		if res.Status != http.StatusOK {
			t.Fatalf("board = %d %s", res.Status, res.Body)
		}
		return string(res.Body)
	}
	refused := func(t *testing.T, res *apitest.Response, pointer string) {
		t.Helper()
		if res.Status != http.StatusUnprocessableEntity {
			t.Fatalf("status %d %s; want 422 at %s", res.Status, res.Body, pointer)
		}
		if got := res.Pointers(t); !slices.Equal(got, []string{pointer}) {
			t.Errorf("the problem points at %v, want [%s]: %s", got, pointer, res.Body)
		}
		for _, secret := range []string{"Zo", "Nguy", "zoe.nguyen", "4471", "88213"} {
			if strings.Contains(string(res.Body), secret) {
				t.Errorf("the refusal repeats %q: %s", secret, res.Body)
			}
		}
	}

	// Her item, public, worded without naming her, and decided.
	manga := newFeedback(t, env, writer, map[string]any{"school_id": lincoln.ID, "patron_id": zoe.ID, "source": "conversation",
		"summary": "Zoë asked for more manga", "public": true, "public_summary": "More manga, please", "category": "collection"})
	path := "/v1/feedback/" + manga.Id.String()

	t.Run("create", func(t *testing.T) {
		for _, summary := range []string{
			"Zoe asked for more manga",                // her given name, without its accent
			"ZOË'S REQUEST",                           // in capitals, with a possessive
			"From Nguyen: more manga",                 // a word of her family name, unaccented
			"Nguyễn-Okafor wants manga",               // her family name whole
			"For Zo",                                  // her preferred name
			"Write to zoe.nguyen@lincoln.example.org", // her e-mail
			"Asked by zoe.nguyen at the desk",         // the part of it before the @
			"Card B-4471 asked",                       // her barcode
			"Student stu-4471",                        // her sourced id
			"sis-88213",                               // her SIS id, in lower case
			"lms-zn-9",                                // her LMS id
			"Patron " + zoe.ID.String(),               // her id
		} {
			res := env.Call(http.MethodPost, "/v1/feedback", writer, map[string]any{"school_id": lincoln.ID, "patron_id": zoe.ID,
				"source": "conversation", "summary": "anything", "public_summary": summary})
			refused(t, res, "#/public_summary")
		}
		var list api.FeedbackList
		mustGet(t, env, writer, "/v1/feedback?patron_id="+zoe.ID.String(), &list)
		if len(list.Data) != 1 {
			t.Errorf("refused creates stored items: %d items of hers, want 1", len(list.Data))
		}
		// A category is shown too, once the item is public.
		res := env.Call(http.MethodPost, "/v1/feedback", writer, map[string]any{"school_id": lincoln.ID, "patron_id": zoe.ID,
			"source": "conversation", "summary": "anything", "public": true, "category": "zoe"})
		refused(t, res, "#/category")
	})

	t.Run("decide", func(t *testing.T) {
		res := env.Call(http.MethodPost, path+"/transitions", writer, map[string]any{"to": "acted_on",
			"text": "Ordered the series Zoë listed", "public_text": "We ordered the series Zoë listed"})
		refused(t, res, "#/public_text")
		var f api.FeedbackItem
		mustGet(t, env, writer, path, &f)
		if f.Status != api.FeedbackStatusReceived || f.Resolution != nil {
			t.Errorf("a refused decision was stored: %+v", f)
		}
		// Named in the internal text only, which the board never shows: fine.
		res = env.Call(http.MethodPost, path+"/transitions", writer, map[string]any{"to": "acted_on",
			"text": "Ordered the series Zoë listed", "public_text": "We ordered twelve new manga series"})
		if res.Status != http.StatusOK {
			t.Fatalf("decide with clean public wording = %d %s", res.Status, res.Body)
		}
		var decided api.FeedbackItem
		res.Decode(t, &decided)
		if !decided.OnPublicBoard || deref(decided.PublicDecision) != "We ordered twelve new manga series" {
			t.Errorf("after a clean decision: %+v", decided)
		}
	})

	t.Run("edit", func(t *testing.T) {
		for _, c := range []struct {
			patch   map[string]any
			pointer string
		}{
			{map[string]any{"public_decision": "Ordered for the Nguyen family"}, "#/public_decision"},
			{map[string]any{"public_summary": "Zoe's list"}, "#/public_summary"},
			{map[string]any{"category": "zo"}, "#/category"},
			{map[string]any{"public_summary": "More manga", "public_decision": "Done for B-4471"}, "#/public_decision"},
		} {
			res := env.Call(http.MethodPatch, path, writer, c.patch)
			refused(t, res, c.pointer)
		}
		// Words that only look like hers are not hers.
		res := env.Call(http.MethodPatch, path, writer, map[string]any{"public_summary": "Zebra books and zoology, please"})
		if res.Status != http.StatusOK {
			t.Errorf("a summary with no name of hers = %d %s", res.Status, res.Body)
		}
		// An item worded with Kwame's name may not be linked to Kwame.
		other := newFeedback(t, env, writer, map[string]any{"school_id": lincoln.ID, "source": "form", "summary": "chess",
			"public": true, "public_summary": "Kwame's chess club wants a table"})
		res = env.Call(http.MethodPatch, "/v1/feedback/"+other.Id.String(), writer, map[string]any{"patron_id": kwame.ID})
		refused(t, res, "#/public_summary")
		var f api.FeedbackItem
		mustGet(t, env, writer, "/v1/feedback/"+other.Id.String(), &f)
		if f.PatronId != nil {
			t.Errorf("a refused link was stored: %+v", f)
		}
		// Another district cannot see the item at all.
		outsider := env.Token(env.NewTenant("Elsewhere High"), feedbackScopes)
		if res := env.Call(http.MethodPatch, path, outsider, map[string]any{"public_summary": "hijacked"}); res.Status != http.StatusNotFound {
			t.Errorf("another district's PATCH = %d, want 404", res.Status)
		}
	})

	t.Run("campaign batch", func(t *testing.T) {
		var campaign api.Campaign
		res := env.Call(http.MethodPost, "/v1/campaigns", writer, map[string]any{"school_id": lincoln.ID, "kind": "survey",
			"title": "Spring survey", "held_on": "2026-11-01"})
		if res.Status != http.StatusCreated {
			t.Fatalf("create campaign = %d %s", res.Status, res.Body)
		}
		res.Decode(t, &campaign)
		res = env.Call(http.MethodPost, "/v1/campaigns/"+campaign.Id.String()+"/feedback", writer, map[string]any{"items": []any{
			map[string]any{"summary": "quiet space", "public_summary": "A quiet space"},
			map[string]any{"summary": "manga", "patron_id": zoe.ID, "public_summary": "Manga for Zoë"},
		}})
		refused(t, res, "#/items/1/public_summary")
	})

	t.Run("bidirectional overrides in what public pages show", func(t *testing.T) {
		admin := env.Token(tenant, nil)
		flipped := "More manga\u202E!sknahT"
		for _, c := range []struct {
			method, path string
			body         map[string]any
			pointer      string
		}{
			{http.MethodPatch, path, map[string]any{"public_summary": flipped}, "#/public_summary"},
			{http.MethodPatch, path, map[string]any{"public_decision": "Done \u2066isolated\u2069"}, "#/public_decision"},
			{http.MethodPatch, path, map[string]any{"category": "manga\u202D"}, "#/category"},
			{http.MethodPatch, "/v1/schools/" + lincoln.ID.String(), map[string]any{"name": "Lincoln \u202EhgiH"}, "#/name"},
			{http.MethodPut, "/v1/schools/" + lincoln.ID.String() + "/pledge", map[string]any{"feel": "Welcome", "know": "Known",
				"access": "Open", "text": "We promise\u202A to listen"}, "#/text"},
		} {
			res := env.Call(c.method, c.path, admin, c.body)
			if res.Status != http.StatusUnprocessableEntity || !slices.Equal(res.Pointers(t), []string{c.pointer}) {
				t.Errorf("%s %s %v = %d %s; want 422 at %s", c.method, c.path, c.body, res.Status, res.Body, c.pointer)
			}
		}
		// The item's own summary, which no public page shows, may hold what the patron wrote.
		if res := env.Call(http.MethodPatch, path, writer, map[string]any{"summary": "She wrote: \u202Eagnam"}); res.Status != http.StatusOK {
			t.Errorf("a bidi override in the private summary = %d %s; want 200", res.Status, res.Body)
		}
	})

	t.Run("the public side", func(t *testing.T) {
		body := boardBody()
		var got api.PublicBoard
		mustGet(t, env, "", board, &got)
		if diff := cmp.Diff([]string{"Zebra books and zoology, please"}, boardSummaries(got)); diff != "" {
			t.Errorf("the board (-want +got):\n%s", diff)
		}
		for _, secret := range []string{"Zoë", "Zoe", "Nguy", "Okafor", "zoe.nguyen", "4471", "88213", "lms-zn", zoe.ID.String(),
			"Kwame", "asked for more manga", "series Zoë listed"} {
			if strings.Contains(body, secret) {
				t.Errorf("the public board shows %q: %s", secret, body)
			}
		}
	})
}
