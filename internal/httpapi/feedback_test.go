package httpapi_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/rapport"
)

var feedbackScopes = []rapport.Scope{rapport.ScopeFeedbackRead, rapport.ScopeFeedbackWrite}

// newFeedback records an item through the API and returns it.
func newFeedback(t *testing.T, env *apitest.Env, token string, body map[string]any, headers ...string) api.FeedbackItem {
	t.Helper()
	res := env.Call(http.MethodPost, "/v1/feedback", token, body, headers...)
	if res.Status != http.StatusCreated {
		t.Fatalf("create feedback = %d: %s", res.Status, res.Body)
	}
	var f api.FeedbackItem
	res.Decode(t, &f)
	return f
}

// transition asks to move an item; text "" sends none.
func transition(env *apitest.Env, token, id, to, text string, headers ...string) *apitest.Response {
	body := map[string]any{"to": to}
	if text != "" {
		body["text"] = text
	}
	return env.Call(http.MethodPost, "/v1/feedback/"+id+"/transitions", token, body, headers...)
}

// moveTo brings a received item to the status by allowed moves.
func moveTo(t *testing.T, env *apitest.Env, token, id, status string) {
	t.Helper()
	text := map[string]string{"under_review": "", "acted_on": "Ordered twelve new graphic novels", "explained_why_not": "The budget for this year is spent"}
	if status == "received" {
		return
	}
	if res := transition(env, token, id, status, text[status]); res.Status != http.StatusOK {
		t.Fatalf("move %s to %s = %d: %s", id, status, res.Status, res.Body)
	}
}

func getFeedback(t *testing.T, env *apitest.Env, token, id string) (api.FeedbackItem, string) {
	t.Helper()
	res := env.Call(http.MethodGet, "/v1/feedback/"+id, token, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("GET feedback %s = %d: %s", id, res.Status, res.Body)
	}
	var f api.FeedbackItem
	res.Decode(t, &f)
	return f, res.Header.Get("ETag")
}

func history(t *testing.T, env *apitest.Env, token, id string) []string {
	t.Helper()
	var h api.FeedbackHistory
	mustGet(t, env, token, "/v1/feedback/"+id+"/history", &h)
	var out []string
	for _, e := range h.Data {
		out = append(out, string(e.From)+"→"+string(e.To))
	}
	return out
}

func feedbackSummaries(items []api.FeedbackItem) []string {
	var out []string
	for _, f := range items {
		out = append(out, f.Summary)
	}
	return out
}

func TestCreateFeedback(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	lincoln, adams := tenant.Schools[0], tenant.Schools[1]
	maya := env.NewPatron(lincoln, "Maya", "Lopez", func(in *rapport.PatronCreate) { in.Role = rapport.RoleTeacher })
	ben := env.NewPatron(adams, "Ben", "Adams")
	eve := env.NewPatron(other.Schools[0], "Eve", "Abbot")
	writer := env.Token(tenant, feedbackScopes)
	campaignAtAdams := newCampaign(t, env, writer, map[string]any{"school_id": adams.ID, "kind": "survey", "title": "Adams survey", "held_on": "2026-10-01"})

	res := env.Call(http.MethodPost, "/v1/feedback", writer, map[string]any{
		"school_id": lincoln.ID, "patron_id": maya.ID, "source": "conversation", "category": " Collection ",
		"summary": "More graphic novels for the 9th grade", "details": "Her class is reading Maus.", "public": true,
		"received_at": "2026-11-02T09:30:00Z",
	}, "Acting-User", "ms.lee@lincoln.example.org")
	if res.Status != http.StatusCreated {
		t.Fatalf("create = %d: %s", res.Status, res.Body)
	}
	var f api.FeedbackItem
	res.Decode(t, &f)
	if res.Header.Get("Location") != "/v1/feedback/"+f.Id.String() || res.Header.Get("ETag") == "" {
		t.Errorf("Location %q, ETag %q", res.Header.Get("Location"), res.Header.Get("ETag"))
	}
	if f.Status != api.FeedbackStatusReceived || *f.PatronId != maya.ID || *f.SubmitterRole != api.PatronRoleTeacher ||
		*f.Category != "collection" || !f.Public || f.SupportersCount != 0 || f.Resolution != nil || f.Communication != nil ||
		f.ReceivedAt.Format(time.RFC3339) != "2026-11-02T09:30:00Z" || *f.CreatedBy.ActingUser != "ms.lee@lincoln.example.org" {
		t.Errorf("created = %+v", f)
	}
	anon := newFeedback(t, env, writer, map[string]any{"school_id": lincoln.ID, "source": "suggestion_box", "summary": "Open before school"})
	if anon.PatronId != nil || anon.SubmitterRole != nil || anon.Public || time.Since(anon.ReceivedAt) > time.Minute {
		t.Errorf("anonymous item = %+v", anon)
	}
	fromCampaign := newFeedback(t, env, writer, map[string]any{"school_id": adams.ID, "campaign_id": campaignAtAdams.Id, "summary": "Quieter corner"})
	if fromCampaign.Source != api.FeedbackSourceSurvey || *fromCampaign.CampaignId != campaignAtAdams.Id {
		t.Errorf("an item from a survey = %+v; want the source survey", fromCampaign)
	}

	ok := map[string]any{"school_id": lincoln.ID, "source": "form", "summary": "x"}
	with := func(changes map[string]any) map[string]any {
		body := map[string]any{}
		for k, v := range ok {
			body[k] = v
		}
		for k, v := range changes {
			if v == nil {
				delete(body, k)
			} else {
				body[k] = v
			}
		}
		return body
	}
	for _, tt := range []struct {
		name        string
		body        any
		wantStatus  int
		wantPointer string
	}{
		{"no source and no campaign", with(map[string]any{"source": nil}), 422, "#/source"},
		{"unknown source", with(map[string]any{"source": "pigeon"}), 422, "#/source"},
		{"unknown submitter role", with(map[string]any{"submitter_role": "wizard"}), 422, "#/submitter_role"},
		{"summary of the wrong type", with(map[string]any{"summary": 42}), 422, "#/summary"},
		{"public of the wrong type", with(map[string]any{"public": "yes"}), 422, "#/public"},
		{"blank summary", with(map[string]any{"summary": "   "}), 422, "#/summary"},
		{"501-character summary", with(map[string]any{"summary": strings.Repeat("s", 501)}), 422, "#/summary"},
		{"4001-character details", with(map[string]any{"details": strings.Repeat("d", 4001)}), 422, "#/details"},
		{"51-character category", with(map[string]any{"category": strings.Repeat("c", 51)}), 422, "#/category"},
		{"control characters", with(map[string]any{"summary": "bell\u0007"}), 422, "#/summary"},
		{"unknown field", with(map[string]any{"status": "acted_on"}), 422, "#/status"},
		{"received in the future", with(map[string]any{"received_at": time.Now().Add(48 * time.Hour).Format(time.RFC3339)}), 422, "#/received_at"},
		{"bad date-time", with(map[string]any{"received_at": "yesterday"}), 422, "#/received_at"},
		{"missing school", with(map[string]any{"school_id": nil}), 422, "#/school_id"},
		{"another district's school", with(map[string]any{"school_id": other.Schools[0].ID}), 422, "#/school_id"},
		{"a patron of another school", with(map[string]any{"patron_id": ben.ID}), 422, "#/patron_id"},
		{"a patron of another district", with(map[string]any{"patron_id": eve.ID}), 422, "#/patron_id"},
		{"a campaign of another school", with(map[string]any{"campaign_id": campaignAtAdams.Id}), 422, "#/campaign_id"},
		{"an unknown campaign", with(map[string]any{"campaign_id": "0193a3c4-0000-7000-8000-000000000000"}), 422, "#/campaign_id"},
		{"not JSON", `{"summary":`, 400, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := env.Call(http.MethodPost, "/v1/feedback", writer, tt.body, "Content-Type", "application/json")
			if res.Status != tt.wantStatus || (tt.wantPointer != "" && !slices.Contains(res.Pointers(t), tt.wantPointer)) {
				t.Errorf("got %d %v, want %d at %s: %s", res.Status, res.Pointers(t), tt.wantStatus, tt.wantPointer, res.Body)
			}
		})
	}
	t.Run("a client limited to another school", func(t *testing.T) {
		limited := env.Token(tenant, feedbackScopes, adams.ID)
		res := env.Call(http.MethodPost, "/v1/feedback", limited, ok)
		if res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), "#/school_id") {
			t.Errorf("got %d %s", res.Status, res.Body)
		}
	})
	t.Run("scopes", func(t *testing.T) {
		if res := env.Call(http.MethodPost, "/v1/feedback", env.Token(tenant, []rapport.Scope{rapport.ScopeFeedbackRead}), ok); res.Status != http.StatusForbidden {
			t.Errorf("create with feedback:read = %d, want 403", res.Status)
		}
		if res := env.Call(http.MethodPost, "/v1/feedback", "", ok); res.Status != http.StatusUnauthorized {
			t.Errorf("create without a token = %d, want 401", res.Status)
		}
	})

	// Only the three good items were written.
	var list api.FeedbackList
	mustGet(t, env, writer, "/v1/feedback", &list)
	if diff := cmp.Diff([]string{"Quieter corner", "Open before school", "More graphic novels for the 9th grade"}, feedbackSummaries(list.Data)); diff != "" {
		t.Errorf("items after refused writes (-want +got):\n%s", diff)
	}
}

func TestFeedbackTransitions(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	writer := env.Token(tenant, feedbackScopes)
	school := tenant.Schools[0].ID
	statuses := []string{"received", "under_review", "acted_on", "explained_why_not"}
	allowed := map[string][]string{
		"received":          {"under_review", "acted_on", "explained_why_not"},
		"under_review":      {"acted_on", "explained_why_not"},
		"acted_on":          {"under_review"},
		"explained_why_not": {"under_review"},
	}

	// Every pair of statuses, with a text each time: the machine alone decides.
	for _, from := range statuses {
		for _, to := range statuses {
			t.Run(from+" to "+to, func(t *testing.T) {
				f := newFeedback(t, env, writer, map[string]any{"school_id": school, "source": "form", "summary": from + " to " + to})
				id := f.Id.String()
				moveTo(t, env, writer, id, from)
				before, etag := getFeedback(t, env, writer, id)
				res := transition(env, writer, id, to, "Because "+to, "If-Match", etag, "Acting-User", "mr.kim")
				if !slices.Contains(allowed[from], to) {
					if res.Status != http.StatusConflict || !strings.Contains(*res.Problem(t).Detail, "the item is "+from) {
						t.Fatalf("got %d %s, want 409 naming %s", res.Status, res.Body, from)
					}
					if after, _ := getFeedback(t, env, writer, id); after.Status != before.Status || after.UpdatedAt != before.UpdatedAt {
						t.Errorf("a refused move changed the item: %+v", after)
					}
					return
				}
				if res.Status != http.StatusOK {
					t.Fatalf("got %d %s, want 200", res.Status, res.Body)
				}
				var got api.FeedbackItem
				res.Decode(t, &got)
				if string(got.Status) != to || res.Header.Get("ETag") == etag {
					t.Errorf("moved item = %+v, ETag %s (was %s)", got, res.Header.Get("ETag"), etag)
				}
				decided := to == "acted_on" || to == "explained_why_not"
				if decided != (got.Resolution != nil) {
					t.Errorf("resolution = %+v, want one exactly when decided", got.Resolution)
				}
				if decided && (got.Resolution.Text != "Because "+to || *got.Resolution.DecidedBy.ActingUser != "mr.kim") {
					t.Errorf("resolution = %+v", got.Resolution)
				}
				h := history(t, env, writer, id)
				if len(h) == 0 || h[len(h)-1] != from+"→"+to {
					t.Errorf("history = %v, want it to end with %s→%s", h, from, to)
				}
			})
		}
	}

	// A decision, or a reopening, without its text; starting review needs none.
	for _, tt := range []struct{ from, to string }{
		{"received", "acted_on"}, {"received", "explained_why_not"}, {"under_review", "acted_on"},
		{"under_review", "explained_why_not"}, {"acted_on", "under_review"}, {"explained_why_not", "under_review"},
	} {
		t.Run(tt.from+" to "+tt.to+" without text", func(t *testing.T) {
			f := newFeedback(t, env, writer, map[string]any{"school_id": school, "source": "form", "summary": "no text"})
			id := f.Id.String()
			moveTo(t, env, writer, id, tt.from)
			for _, body := range []map[string]any{{"to": tt.to}, {"to": tt.to, "text": "  \n "}} {
				res := env.Call(http.MethodPost, "/v1/feedback/"+id+"/transitions", writer, body)
				if res.Status != http.StatusUnprocessableEntity || !slices.Equal(res.Pointers(t), []string{"#/text"}) {
					t.Errorf("%v = %d %s, want 422 at #/text", body, res.Status, res.Body)
				}
			}
			if after, _ := getFeedback(t, env, writer, id); string(after.Status) != tt.from {
				t.Errorf("status = %s after a refused move, want %s", after.Status, tt.from)
			}
		})
	}
	t.Run("starting review needs no text", func(t *testing.T) {
		f := newFeedback(t, env, writer, map[string]any{"school_id": school, "source": "form", "summary": "review"})
		if res := transition(env, writer, f.Id.String(), "under_review", ""); res.Status != http.StatusOK {
			t.Errorf("got %d %s", res.Status, res.Body)
		}
	})

	t.Run("bad input and stale ETags", func(t *testing.T) {
		f := newFeedback(t, env, writer, map[string]any{"school_id": school, "source": "form", "summary": "bad input"})
		path := "/v1/feedback/" + f.Id.String() + "/transitions"
		for _, tt := range []struct {
			body    any
			status  int
			pointer string
		}{
			{map[string]any{"to": "closed", "text": "x"}, 422, "#/to"},
			{map[string]any{"text": "x"}, 422, "#/to"},
			{map[string]any{"to": "acted_on", "text": 7}, 422, "#/text"},
			{map[string]any{"to": "acted_on", "text": strings.Repeat("t", 4001)}, 422, "#/text"},
			{map[string]any{"to": "acted_on", "text": "x", "by": "me"}, 422, "#/by"},
			{`{"to":`, 400, ""},
		} {
			res := env.Call(http.MethodPost, path, writer, tt.body, "Content-Type", "application/json")
			if res.Status != tt.status || (tt.pointer != "" && !slices.Contains(res.Pointers(t), tt.pointer)) {
				t.Errorf("%v = %d %v, want %d at %s", tt.body, res.Status, res.Pointers(t), tt.status, tt.pointer)
			}
		}
		_, etag := getFeedback(t, env, writer, f.Id.String())
		moveTo(t, env, writer, f.Id.String(), "under_review")
		if res := transition(env, writer, f.Id.String(), "acted_on", "Done", "If-Match", etag); res.Status != http.StatusPreconditionFailed {
			t.Errorf("stale If-Match = %d, want 412", res.Status)
		}
		if res := transition(env, writer, f.Id.String(), "acted_on", "Done", "If-Match", "*"); res.Status != http.StatusOK {
			t.Errorf("If-Match: * = %d, want 200", res.Status)
		}
	})
}

func TestFeedbackDecisionRace(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	lee, kim := env.Token(tenant, feedbackScopes), env.Token(tenant, feedbackScopes)
	school := tenant.Schools[0].ID

	t.Run("two librarians with the same ETag: one wins, one gets 412", func(t *testing.T) {
		for round := range 5 {
			f := newFeedback(t, env, lee, map[string]any{"school_id": school, "source": "form", "summary": "race"})
			id := f.Id.String()
			moveTo(t, env, lee, id, "under_review")
			_, etag := getFeedback(t, env, lee, id)
			var wg sync.WaitGroup
			statuses := make([]int, 2)
			for i, call := range []struct{ token, to, text string }{{lee, "acted_on", "Bought it"}, {kim, "explained_why_not", "No budget"}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses[i] = transition(env, call.token, id, call.to, call.text, "If-Match", etag).Status
				}()
			}
			wg.Wait()
			slices.Sort(statuses)
			if !slices.Equal(statuses, []int{http.StatusOK, http.StatusPreconditionFailed}) {
				t.Errorf("round %d: statuses = %v, want one 200 and one 412", round, statuses)
			}
			if h := history(t, env, lee, id); len(h) != 2 {
				t.Errorf("round %d: history = %v, want review and one decision", round, h)
			}
		}
	})
	t.Run("without If-Match the machine refuses the second decision", func(t *testing.T) {
		f := newFeedback(t, env, lee, map[string]any{"school_id": school, "source": "form", "summary": "race without ETags"})
		id := f.Id.String()
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i, token := range []string{lee, kim} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = transition(env, token, id, "acted_on", "Bought it").Status
			}()
		}
		wg.Wait()
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{http.StatusOK, http.StatusConflict}) {
			t.Errorf("statuses = %v, want one 200 and one 409", statuses)
		}
	})
}

func TestFeedbackHistory(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	other := env.NewTenant("Other Elementary")
	writer := env.Token(tenant, feedbackScopes)
	reader := env.Token(tenant, []rapport.Scope{rapport.ScopeFeedbackRead})
	f := newFeedback(t, env, writer, map[string]any{"school_id": tenant.Schools[0].ID, "source": "email", "summary": "A 3D printer"})
	id := f.Id.String()
	start := time.Now()
	for _, step := range []struct{ to, text, who string }{
		{"under_review", "Asking the district", "ms.lee"},
		{"acted_on", "Ordered a printer", "mr.kim"},
		{"under_review", "The order was cancelled", "ms.lee"},
		{"explained_why_not", "The district froze equipment budgets", "ms.lee"},
	} {
		res := transition(env, writer, id, step.to, step.text, "Acting-User", step.who)
		if res.Status != http.StatusOK {
			t.Fatalf("%s = %d %s", step.to, res.Status, res.Body)
		}
		if step.text == "The order was cancelled" {
			var reopened api.FeedbackItem
			res.Decode(t, &reopened)
			if reopened.Resolution != nil {
				t.Errorf("a reopened item keeps its resolution: %+v", reopened.Resolution)
			}
		}
	}

	res := env.Call(http.MethodGet, "/v1/feedback/"+id+"/history?limit=3", reader, nil)
	var page1, page2 api.FeedbackHistory
	res.Decode(t, &page1)
	if res.Status != http.StatusOK || len(page1.Data) != 3 || page1.NextCursor == nil || !strings.Contains(res.Header.Get("Link"), "cursor=") {
		t.Fatalf("first page = %d %s", res.Status, res.Body)
	}
	mustGet(t, env, reader, "/v1/feedback/"+id+"/history?limit=3&cursor="+url.QueryEscape(*page1.NextCursor), &page2)
	var got []string
	for _, e := range append(page1.Data, page2.Data...) {
		if e.FeedbackId != f.Id || e.At.Before(start.Add(-time.Second)) || e.By.ClientId == "" {
			t.Errorf("entry = %+v", e)
		}
		got = append(got, string(e.From)+"→"+string(e.To)+": "+deref(e.Text)+" ("+deref(e.By.ActingUser)+")")
	}
	want := []string{
		"received→under_review: Asking the district (ms.lee)",
		"under_review→acted_on: Ordered a printer (mr.kim)",
		"acted_on→under_review: The order was cancelled (ms.lee)",
		"under_review→explained_why_not: The district froze equipment budgets (ms.lee)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if res := env.Call(http.MethodGet, "/v1/feedback/"+id+"/history?cursor=nonsense", reader, nil); res.Status != http.StatusBadRequest {
		t.Errorf("a made-up cursor = %d, want 400", res.Status)
	}
	if res := env.Call(http.MethodGet, "/v1/feedback/"+id+"/history", env.Token(other, nil), nil); res.Status != http.StatusNotFound {
		t.Errorf("another district's history = %d, want 404", res.Status)
	}
}

func TestFeedbackCommunications(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	writer := env.Token(tenant, feedbackScopes)
	school := tenant.Schools[0].ID
	f := newFeedback(t, env, writer, map[string]any{"school_id": school, "source": "conversation", "summary": "Longer hours"})
	id := f.Id.String()
	path := "/v1/feedback/" + id + "/communications"
	notTold := func() []string {
		t.Helper()
		var list api.FeedbackList
		mustGet(t, env, writer, "/v1/feedback?decided=true&communicated=false", &list)
		return feedbackSummaries(list.Data)
	}
	// An undecided item, which no list of decisions may show.
	newFeedback(t, env, writer, map[string]any{"school_id": school, "source": "form", "summary": "Undecided"})

	for _, status := range []string{"received", "under_review"} {
		moveTo(t, env, writer, id, status)
		res := env.Call(http.MethodPost, path, writer, map[string]any{"channel": "email"})
		if res.Status != http.StatusConflict || !strings.Contains(*res.Problem(t).Detail, "the item is "+status) {
			t.Errorf("communicating an item %s = %d %s, want 409", status, res.Status, res.Body)
		}
	}
	moveTo(t, env, writer, id, "acted_on")
	other := newFeedback(t, env, writer, map[string]any{"school_id": school, "source": "form", "summary": "Quiet room"})
	moveTo(t, env, writer, other.Id.String(), "explained_why_not")
	if diff := cmp.Diff([]string{"Quiet room", "Longer hours"}, notTold()); diff != "" {
		t.Errorf("decisions not yet told (-want +got):\n%s", diff)
	}

	for _, tt := range []struct {
		body    any
		pointer string
	}{
		{map[string]any{"channel": "pigeon"}, "#/channel"},
		{map[string]any{}, "#/channel"},
		{map[string]any{"channel": "email", "communicated_at": time.Now().Add(time.Hour).Format(time.RFC3339)}, "#/communicated_at"},
		{map[string]any{"channel": "email", "communicated_at": "last week"}, "#/communicated_at"},
		{map[string]any{"channel": "email", "note": "x"}, "#/note"},
	} {
		if res := env.Call(http.MethodPost, path, writer, tt.body); res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), tt.pointer) {
			t.Errorf("%v = %d %v, want 422 at %s", tt.body, res.Status, res.Pointers(t), tt.pointer)
		}
	}
	_, etag := getFeedback(t, env, writer, id)
	if res := env.Call(http.MethodPost, path, writer, map[string]any{"channel": "email"}, "If-Match", `"1"`); res.Status != http.StatusPreconditionFailed {
		t.Errorf("stale If-Match = %d, want 412", res.Status)
	}
	told := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	res := env.Call(http.MethodPost, path, writer, map[string]any{"channel": "in_person", "communicated_at": told.Format(time.RFC3339)},
		"If-Match", etag, "Acting-User", "ms.lee")
	var got api.FeedbackItem
	res.Decode(t, &got)
	if res.Status != http.StatusOK || got.Communication == nil || got.Communication.Channel != api.CommunicationChannelInPerson ||
		!got.Communication.CommunicatedAt.Equal(told) || *got.Communication.CommunicatedBy.ActingUser != "ms.lee" {
		t.Fatalf("communicate = %d %s", res.Status, res.Body)
	}
	if res := env.Call(http.MethodPost, path, writer, map[string]any{"channel": "email"}); res.Status != http.StatusConflict {
		t.Errorf("communicating twice = %d, want 409", res.Status)
	}
	if diff := cmp.Diff([]string{"Quiet room"}, notTold()); diff != "" {
		t.Errorf("decisions not yet told after telling one (-want +got):\n%s", diff)
	}
	var told1 api.FeedbackList
	mustGet(t, env, writer, "/v1/feedback?communicated=true", &told1)
	if diff := cmp.Diff([]string{"Longer hours"}, feedbackSummaries(told1.Data)); diff != "" {
		t.Errorf("communicated=true (-want +got):\n%s", diff)
	}

	// Reopening forgets the communication; the next decision must be told again.
	if res := transition(env, writer, id, "under_review", "The new schedule fell through"); res.Status != http.StatusOK {
		t.Fatalf("reopen = %d %s", res.Status, res.Body)
	}
	reopened, _ := getFeedback(t, env, writer, id)
	if reopened.Communication != nil || reopened.Resolution != nil {
		t.Errorf("reopened item = %+v", reopened)
	}
	moveTo(t, env, writer, id, "explained_why_not")
	if diff := cmp.Diff([]string{"Quiet room", "Longer hours"}, notTold()); diff != "" {
		t.Errorf("decisions not yet told after a new decision (-want +got):\n%s", diff)
	}
	if res := env.Call(http.MethodPost, path, writer, map[string]any{"channel": "newsletter"}); res.Status != http.StatusOK {
		t.Errorf("telling the new decision = %d %s", res.Status, res.Body)
	}
}

func TestFeedbackSupporters(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	lincoln := tenant.Schools[0]
	maya := env.NewPatron(lincoln, "Maya", "Lopez")
	ben := env.NewPatron(lincoln, "Ben", "Adams")
	dee := env.NewPatron(tenant.Schools[1], "Dee", "Cole")
	eve := env.NewPatron(other.Schools[0], "Eve", "Abbot")
	writer := env.Token(tenant, feedbackScopes)
	f := newFeedback(t, env, writer, map[string]any{"school_id": lincoln.ID, "patron_id": maya.ID, "source": "conversation", "summary": "A chess club"})
	path := "/v1/feedback/" + f.Id.String() + "/supporters"
	support := func(body any, wantStatus, wantCount int, headers ...string) *apitest.Response {
		t.Helper()
		res := env.Call(http.MethodPost, path, writer, body, headers...)
		var got api.FeedbackItem
		res.Decode(t, &got)
		if res.Status != wantStatus || int(got.SupportersCount) != wantCount {
			t.Errorf("support %v = %d, count %d; want %d, count %d (%s)", body, res.Status, got.SupportersCount, wantStatus, wantCount, res.Body)
		}
		return res
	}

	_, etag := getFeedback(t, env, writer, f.Id.String())
	if res := support(map[string]any{}, http.StatusCreated, 1); res.Header.Get("ETag") == etag {
		t.Error("a supporter did not change the ETag")
	}
	support(nil, http.StatusCreated, 2) // anonymous supporters each count, with or without a body
	support(map[string]any{"patron_id": ben.ID}, http.StatusCreated, 3)
	support(map[string]any{"patron_id": ben.ID}, http.StatusOK, 3)  // the same patron counts once
	support(map[string]any{"patron_id": maya.ID}, http.StatusOK, 3) // whoever gave it counts already
	for _, tt := range []struct {
		name    string
		body    any
		pointer string
	}{
		{"a patron of another school", map[string]any{"patron_id": dee.ID}, "#/patron_id"},
		{"a patron of another district", map[string]any{"patron_id": eve.ID}, "#/patron_id"},
		{"not a UUID", map[string]any{"patron_id": "ben"}, "#/patron_id"},
		{"unknown field", map[string]any{"patron": ben.ID}, "#/patron"},
	} {
		if res := env.Call(http.MethodPost, path, writer, tt.body); res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), tt.pointer) {
			t.Errorf("%s = %d %s, want 422 at %s", tt.name, res.Status, res.Body, tt.pointer)
		}
	}

	t.Run("a retry with the same Idempotency-Key counts once", func(t *testing.T) {
		first := support(map[string]any{}, http.StatusCreated, 4, "Idempotency-Key", "me-too-1")
		again := env.Call(http.MethodPost, path, writer, map[string]any{}, "Idempotency-Key", "me-too-1")
		if again.Status != http.StatusCreated || string(again.Body) != string(first.Body) || again.Header.Get("Idempotency-Replayed") != "true" {
			t.Errorf("retry = %d %s", again.Status, again.Body)
		}
		if got, _ := getFeedback(t, env, writer, f.Id.String()); got.SupportersCount != 4 {
			t.Errorf("count = %d after a retry, want 4", got.SupportersCount)
		}
	})
	t.Run("concurrent supporters all count", func(t *testing.T) {
		var wg sync.WaitGroup
		statuses := make([]int, 10)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = env.Call(http.MethodPost, path, writer, map[string]any{}).Status
			}()
		}
		wg.Wait()
		if !slices.Equal(statuses, slices.Repeat([]int{http.StatusCreated}, 10)) {
			t.Errorf("statuses = %v, want ten 201s", statuses)
		}
		if got, _ := getFeedback(t, env, writer, f.Id.String()); got.SupportersCount != 14 {
			t.Errorf("count = %d, want 14", got.SupportersCount)
		}
	})
}

func TestUpdateFeedback(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	lincoln := tenant.Schools[0]
	maya := env.NewPatron(lincoln, "Maya", "Lopez", func(in *rapport.PatronCreate) { in.Role = rapport.RoleGuardian })
	dee := env.NewPatron(tenant.Schools[1], "Dee", "Cole")
	writer := env.Token(tenant, feedbackScopes)
	survey := newCampaign(t, env, writer, map[string]any{"school_id": lincoln.ID, "kind": "survey", "title": "Fall survey", "held_on": "2026-10-01"})
	elsewhere := newCampaign(t, env, writer, map[string]any{"school_id": tenant.Schools[1].ID, "kind": "survey", "title": "Adams survey", "held_on": "2026-10-01"})
	f := newFeedback(t, env, writer, map[string]any{"school_id": lincoln.ID, "source": "form", "summary": "Longer hours",
		"category": "hours", "details": "On Fridays"})
	path := "/v1/feedback/" + f.Id.String()
	_, etag := getFeedback(t, env, writer, f.Id.String())

	res := env.Call(http.MethodPatch, path, writer, map[string]any{"patron_id": maya.ID, "details": nil, "category": "Opening Hours",
		"public": true, "campaign_id": survey.Id}, "If-Match", etag)
	var got api.FeedbackItem
	res.Decode(t, &got)
	if res.Status != http.StatusOK || *got.PatronId != maya.ID || *got.SubmitterRole != api.PatronRoleGuardian || got.Details != nil ||
		*got.Category != "opening hours" || !got.Public || *got.CampaignId != survey.Id || got.Summary != "Longer hours" {
		t.Fatalf("PATCH = %d %s", res.Status, res.Body)
	}
	if res := env.Call(http.MethodPatch, path, writer, map[string]any{"summary": "stale"}, "If-Match", etag); res.Status != http.StatusPreconditionFailed {
		t.Errorf("stale If-Match = %d, want 412", res.Status)
	}
	res = env.Call(http.MethodPatch, path, writer, map[string]any{"patron_id": nil, "submitter_role": nil, "campaign_id": nil, "category": nil})
	if res.Status != http.StatusOK {
		t.Fatalf("PATCH clearing = %d, want 200: %s", res.Status, res.Body)
	}
	var cleared api.FeedbackItem
	res.Decode(t, &cleared)
	if cleared.PatronId != nil || cleared.SubmitterRole != nil || cleared.CampaignId != nil || cleared.Category != nil {
		t.Errorf("clearing = %+v", cleared)
	}
	for _, tt := range []struct {
		name    string
		body    map[string]any
		pointer string
	}{
		{"status is not patched", map[string]any{"status": "acted_on"}, "#/status"},
		{"resolution is not patched", map[string]any{"resolution": map[string]any{"text": "x"}}, "#/resolution"},
		{"school never changes", map[string]any{"school_id": tenant.Schools[1].ID}, "#/school_id"},
		{"null summary", map[string]any{"summary": nil}, "#/summary"},
		{"null source", map[string]any{"source": nil}, "#/source"},
		{"blank summary", map[string]any{"summary": " "}, "#/summary"},
		{"a patron of another school", map[string]any{"patron_id": dee.ID}, "#/patron_id"},
		{"a campaign of another school", map[string]any{"campaign_id": elsewhere.Id}, "#/campaign_id"},
		{"unknown submitter role", map[string]any{"submitter_role": "wizard"}, "#/submitter_role"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := env.Call(http.MethodPatch, path, writer, tt.body)
			if res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), tt.pointer) {
				t.Errorf("got %d %v, want 422 at %s: %s", res.Status, res.Pointers(t), tt.pointer, res.Body)
			}
		})
	}
	if res := env.Call(http.MethodPatch, path, writer, `{"summary":"x"}`, "Content-Type", "application/json"); res.Status != http.StatusUnsupportedMediaType {
		t.Errorf("a PATCH sent as application/json = %d, want 415", res.Status)
	}
}

func TestListFeedback(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	lincoln, adams := tenant.Schools[0], tenant.Schools[1]
	maya := env.NewPatron(lincoln, "Maya", "Lopez")
	writer := env.Token(tenant, feedbackScopes)
	reader := env.Token(tenant, []rapport.Scope{rapport.ScopeFeedbackRead})
	survey := newCampaign(t, env, writer, map[string]any{"school_id": lincoln.ID, "kind": "survey", "title": "Fall survey", "held_on": "2026-10-01"})

	a := newFeedback(t, env, writer, map[string]any{"school_id": lincoln.ID, "patron_id": maya.ID, "source": "conversation", "summary": "A", "category": "Hours"})
	b := newFeedback(t, env, writer, map[string]any{"school_id": lincoln.ID, "campaign_id": survey.Id, "summary": "B", "public": true})
	newFeedback(t, env, writer, map[string]any{"school_id": adams.ID, "source": "email", "summary": "C"})
	newFeedback(t, env, env.Token(other, feedbackScopes), map[string]any{"school_id": other.Schools[0].ID, "source": "email", "summary": "elsewhere"})
	moveTo(t, env, writer, a.Id.String(), "acted_on")
	between := time.Now()
	time.Sleep(10 * time.Millisecond)
	moveTo(t, env, writer, b.Id.String(), "under_review")
	moveTo(t, env, writer, b.Id.String(), "explained_why_not")
	at := func(ts time.Time) string { return url.QueryEscape(ts.UTC().Format(time.RFC3339Nano)) }

	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"", []string{"C", "B", "A"}},
		{"school_id=" + adams.ID.String(), []string{"C"}},
		{"status=acted_on", []string{"A"}},
		{"status=received", []string{"C"}},
		{"source=survey", []string{"B"}},
		{"campaign_id=" + survey.Id.String(), []string{"B"}},
		{"category=hours", []string{"A"}},
		{"category=HOURS", []string{"A"}},
		{"patron_id=" + maya.ID.String(), []string{"A"}},
		{"public=true", []string{"B"}},
		{"public=false", []string{"C", "A"}},
		{"decided=true", []string{"B", "A"}},
		{"decided=false", []string{"C"}},
		{"decided_since=" + at(between), []string{"B"}},
		{"decided_before=" + at(between), []string{"A"}},
		{"updated_since=" + at(between), []string{"B"}}, // by update time, oldest first
		{"updated_since=" + at(time.Now().Add(-time.Hour)), []string{"C", "A", "B"}},
		{"school_id=" + other.Schools[0].ID.String(), nil},
	} {
		t.Run(tt.query, func(t *testing.T) {
			res := env.Call(http.MethodGet, "/v1/feedback?"+tt.query, reader, nil)
			var page api.FeedbackList
			res.Decode(t, &page)
			if res.Status != http.StatusOK {
				t.Fatalf("status = %d %s", res.Status, res.Body)
			}
			if diff := cmp.Diff(tt.want, feedbackSummaries(page.Data)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("every page", func(t *testing.T) {
		var all []string
		next := "/v1/feedback?limit=2"
		for next != "" {
			var page api.FeedbackList
			res := mustGet(t, env, reader, next, &page)
			all = append(all, feedbackSummaries(page.Data)...)
			next = strings.TrimSuffix(strings.TrimPrefix(res.Header.Get("Link"), "<"), `>; rel="next"`)
		}
		if diff := cmp.Diff([]string{"C", "B", "A"}, all); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
	for _, q := range []string{"status=closed", "decided=maybe", "decided_since=yesterday", "limit=0", "cursor=nonsense", "school_id=lincoln"} {
		if res := env.Call(http.MethodGet, "/v1/feedback?"+q, reader, nil); res.Status != http.StatusBadRequest {
			t.Errorf("?%s = %d, want 400", q, res.Status)
		}
	}
	t.Run("a client limited to a school", func(t *testing.T) {
		var page api.FeedbackList
		mustGet(t, env, env.Token(tenant, feedbackScopes, adams.ID), "/v1/feedback", &page)
		if diff := cmp.Diff([]string{"C"}, feedbackSummaries(page.Data)); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
	if res := env.Call(http.MethodGet, "/v1/feedback", env.Token(tenant, []rapport.Scope{rapport.ScopePatronsRead}), nil); res.Status != http.StatusForbidden {
		t.Errorf("listing without feedback:read = %d, want 403", res.Status)
	}
}

// TestFeedbackTenancy calls every feedback operation as a client of another district and as a
// client limited to another school: each is 404, and lists do not show the item.
func TestFeedbackTenancy(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	writer := env.Token(tenant, feedbackScopes)
	lincoln := tenant.Schools[0]
	f := newFeedback(t, env, writer, map[string]any{"school_id": lincoln.ID, "source": "form", "summary": "Lincoln's own"})
	decided := newFeedback(t, env, writer, map[string]any{"school_id": lincoln.ID, "source": "form", "summary": "Decided"})
	moveTo(t, env, writer, decided.Id.String(), "acted_on")
	path, decidedPath := "/v1/feedback/"+f.Id.String(), "/v1/feedback/"+decided.Id.String()
	lists := []string{"", "?school_id=" + lincoln.ID.String(), "?decided=true"}
	for _, q := range lists {
		var list api.FeedbackList
		mustGet(t, env, writer, "/v1/feedback"+q, &list)
		if len(list.Data) == 0 {
			t.Fatalf("GET /v1/feedback%s shows the owner nothing; the other tenants' view of it proves nothing", q)
		}
	}

	for name, token := range map[string]string{
		"another district":                   env.Token(other, nil),
		"a client limited to another school": env.Token(tenant, nil, tenant.Schools[1].ID),
	} {
		t.Run(name, func(t *testing.T) {
			for _, call := range []struct {
				method, path string
				body         any
			}{
				{http.MethodGet, path, nil},
				{http.MethodPatch, path, map[string]any{"summary": "x"}},
				{http.MethodPost, path + "/transitions", map[string]any{"to": "under_review"}},
				{http.MethodGet, path + "/history", nil},
				{http.MethodPost, decidedPath + "/communications", map[string]any{"channel": "email"}},
				{http.MethodPost, path + "/supporters", map[string]any{}},
			} {
				if res := env.Call(call.method, call.path, token, call.body); res.Status != http.StatusNotFound {
					t.Errorf("%s %s = %d, want 404", call.method, call.path, res.Status)
				}
			}
			for _, q := range lists {
				var list api.FeedbackList
				mustGet(t, env, token, "/v1/feedback"+q, &list)
				if len(list.Data) != 0 {
					t.Errorf("GET /v1/feedback%s shows %v", q, feedbackSummaries(list.Data))
				}
			}
		})
	}
	// Nothing changed.
	if got, _ := getFeedback(t, env, writer, f.Id.String()); got.Summary != "Lincoln's own" || got.Status != api.FeedbackStatusReceived || got.SupportersCount != 0 {
		t.Errorf("after other tenants' calls the item is %+v", got)
	}
	if got, _ := getFeedback(t, env, writer, decided.Id.String()); got.Communication != nil {
		t.Errorf("another tenant recorded a communication: %+v", got.Communication)
	}
}
