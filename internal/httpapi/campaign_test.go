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

// newCampaign adds a campaign through the API and returns it.
func newCampaign(t *testing.T, env *apitest.Env, token string, body map[string]any) api.Campaign {
	t.Helper()
	res := env.Call(http.MethodPost, "/v1/campaigns", token, body)
	if res.Status != http.StatusCreated {
		t.Fatalf("create campaign = %d: %s", res.Status, res.Body)
	}
	var c api.Campaign
	res.Decode(t, &c)
	return c
}

func campaignTitles(list api.CampaignList) []string {
	var out []string
	for _, c := range list.Data {
		out = append(out, c.Title)
	}
	return out
}

func TestCampaigns(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	lincoln, adams := tenant.Schools[0], tenant.Schools[1]
	writer := env.Token(tenant, feedbackScopes)
	reader := env.Token(tenant, []rapport.Scope{rapport.ScopeFeedbackRead})

	res := env.Call(http.MethodPost, "/v1/campaigns", writer, map[string]any{"school_id": lincoln.ID, "kind": "focus_group",
		"title": "9th-grade focus group", "held_on": "2026-10-14", "participant_count": 11, "notes": "In the library, 3rd period"},
		"Acting-User", "ms.lee")
	var group api.Campaign
	res.Decode(t, &group)
	if res.Status != http.StatusCreated || res.Header.Get("Location") != "/v1/campaigns/"+group.Id.String() || res.Header.Get("ETag") == "" ||
		group.HeldOn.String() != "2026-10-14" || *group.ParticipantCount != 11 || group.Counts != (api.CampaignCounts{}) ||
		*group.CreatedBy.ActingUser != "ms.lee" {
		t.Fatalf("create = %d %s", res.Status, res.Body)
	}
	newCampaign(t, env, writer, map[string]any{"school_id": lincoln.ID, "kind": "survey", "title": "Spring survey", "held_on": "2026-04-01"})
	newCampaign(t, env, writer, map[string]any{"school_id": adams.ID, "kind": "other", "title": "Suggestion week", "held_on": "2026-11-01"})
	newCampaign(t, env, env.Token(other, feedbackScopes), map[string]any{"school_id": other.Schools[0].ID, "kind": "survey", "title": "Elsewhere", "held_on": "2026-11-01"})

	for _, tt := range []struct {
		name    string
		body    map[string]any
		status  int
		pointer string
	}{
		{"unknown kind", map[string]any{"school_id": lincoln.ID, "kind": "poll", "title": "x", "held_on": "2026-10-01"}, 422, "#/kind"},
		{"blank title", map[string]any{"school_id": lincoln.ID, "kind": "survey", "title": "  ", "held_on": "2026-10-01"}, 422, "#/title"},
		{"long title", map[string]any{"school_id": lincoln.ID, "kind": "survey", "title": strings.Repeat("t", 201), "held_on": "2026-10-01"}, 422, "#/title"},
		{"not a date", map[string]any{"school_id": lincoln.ID, "kind": "survey", "title": "x", "held_on": "October"}, 422, "#/held_on"},
		{"no date", map[string]any{"school_id": lincoln.ID, "kind": "survey", "title": "x"}, 422, "#/held_on"},
		{"negative participants", map[string]any{"school_id": lincoln.ID, "kind": "survey", "title": "x", "held_on": "2026-10-01", "participant_count": -1}, 422, "#/participant_count"},
		{"participants as text", map[string]any{"school_id": lincoln.ID, "kind": "survey", "title": "x", "held_on": "2026-10-01", "participant_count": "ten"}, 422, "#/participant_count"},
		{"unknown field", map[string]any{"school_id": lincoln.ID, "kind": "survey", "title": "x", "held_on": "2026-10-01", "budget": 5}, 422, "#/budget"},
		{"another district's school", map[string]any{"school_id": other.Schools[0].ID, "kind": "survey", "title": "x", "held_on": "2026-10-01"}, 422, "#/school_id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := env.Call(http.MethodPost, "/v1/campaigns", writer, tt.body)
			if res.Status != tt.status || !slices.Contains(res.Pointers(t), tt.pointer) {
				t.Errorf("got %d %v, want %d at %s: %s", res.Status, res.Pointers(t), tt.status, tt.pointer, res.Body)
			}
		})
	}
	if res := env.Call(http.MethodPost, "/v1/campaigns", reader, map[string]any{"school_id": lincoln.ID, "kind": "survey", "title": "x", "held_on": "2026-10-01"}); res.Status != http.StatusForbidden {
		t.Errorf("create with feedback:read = %d, want 403", res.Status)
	}

	t.Run("lists", func(t *testing.T) {
		for _, tt := range []struct {
			query string
			want  []string
		}{
			{"", []string{"Suggestion week", "9th-grade focus group", "Spring survey"}},
			{"?school_id=" + lincoln.ID.String(), []string{"9th-grade focus group", "Spring survey"}},
			{"?kind=survey", []string{"Spring survey"}},
		} {
			var list api.CampaignList
			mustGet(t, env, reader, "/v1/campaigns"+tt.query, &list)
			if diff := cmp.Diff(tt.want, campaignTitles(list)); diff != "" {
				t.Errorf("GET /v1/campaigns%s (-want +got):\n%s", tt.query, diff)
			}
		}
		var all []string
		next := "/v1/campaigns?limit=2"
		for next != "" {
			var page api.CampaignList
			res := mustGet(t, env, reader, next, &page)
			all = append(all, campaignTitles(page)...)
			next = strings.TrimSuffix(strings.TrimPrefix(res.Header.Get("Link"), "<"), `>; rel="next"`)
		}
		if diff := cmp.Diff([]string{"Suggestion week", "9th-grade focus group", "Spring survey"}, all); diff != "" {
			t.Errorf("every page (-want +got):\n%s", diff)
		}
	})

	path := "/v1/campaigns/" + group.Id.String()
	t.Run("counts follow the decisions and change the ETag", func(t *testing.T) {
		etag := mustGet(t, env, reader, path, &api.Campaign{}).Header.Get("ETag")
		if res := env.Call(http.MethodGet, path, reader, nil, "If-None-Match", etag); res.Status != http.StatusNotModified {
			t.Errorf("conditional GET = %d, want 304", res.Status)
		}
		var items []api.FeedbackItem
		for _, s := range []string{"a", "b", "c", "d"} {
			items = append(items, newFeedback(t, env, writer, map[string]any{"school_id": lincoln.ID, "campaign_id": group.Id, "summary": s}))
		}
		moveTo(t, env, writer, items[0].Id.String(), "acted_on")
		moveTo(t, env, writer, items[1].Id.String(), "explained_why_not")
		moveTo(t, env, writer, items[2].Id.String(), "under_review")
		res := env.Call(http.MethodGet, path, reader, nil, "If-None-Match", etag)
		var got api.Campaign
		res.Decode(t, &got)
		want := api.CampaignCounts{Total: 4, Open: 2, ActedOn: 1, ExplainedWhyNot: 1}
		if res.Status != http.StatusOK || got.Counts != want {
			t.Errorf("after decisions GET = %d, counts %+v; want 200 and %+v", res.Status, got.Counts, want)
		}
		// An item of another campaign, which the campaign filter must leave out.
		newFeedback(t, env, writer, map[string]any{"school_id": lincoln.ID, "source": "form", "summary": "not from the group"})
		var list api.FeedbackList
		mustGet(t, env, reader, "/v1/feedback?campaign_id="+group.Id.String(), &list)
		if diff := cmp.Diff([]string{"d", "c", "b", "a"}, feedbackSummaries(list.Data)); diff != "" {
			t.Errorf("the campaign's items (-want +got):\n%s", diff)
		}
		for _, it := range list.Data {
			if it.Source != api.FeedbackSourceFocusGroup {
				t.Errorf("item %s has source %s, want focus_group from the campaign", it.Summary, it.Source)
			}
		}
		// Moving an item out of the campaign changes its counts too.
		if res := env.Call(http.MethodPatch, "/v1/feedback/"+items[3].Id.String(), writer, map[string]any{"campaign_id": nil}); res.Status != http.StatusOK {
			t.Fatalf("PATCH the item out of the campaign = %d: %s", res.Status, res.Body)
		}
		var after api.Campaign
		mustGet(t, env, reader, path, &after)
		if after.Counts.Total != 3 || after.Counts.Open != 1 {
			t.Errorf("after moving an item out, counts = %+v", after.Counts)
		}
	})

	t.Run("patch", func(t *testing.T) {
		etag := mustGet(t, env, reader, path, &api.Campaign{}).Header.Get("ETag")
		res := env.Call(http.MethodPatch, path, writer, map[string]any{"title": "9th-grade focus group (1)", "notes": nil, "participant_count": nil}, "If-Match", etag)
		var got api.Campaign
		res.Decode(t, &got)
		if res.Status != http.StatusOK || got.Title != "9th-grade focus group (1)" || got.Notes != nil || got.ParticipantCount != nil ||
			got.Kind != api.CampaignKindFocusGroup || got.Counts.Total != 3 {
			t.Errorf("PATCH = %d %s", res.Status, res.Body)
		}
		if res := env.Call(http.MethodPatch, path, writer, map[string]any{"title": "stale"}, "If-Match", etag); res.Status != http.StatusPreconditionFailed {
			t.Errorf("stale If-Match = %d, want 412", res.Status)
		}
		for _, tt := range []struct {
			body    map[string]any
			pointer string
		}{
			{map[string]any{"school_id": adams.ID}, "#/school_id"},
			{map[string]any{"title": nil}, "#/title"},
			{map[string]any{"kind": "poll"}, "#/kind"},
			{map[string]any{"held_on": "soon"}, "#/held_on"},
			{map[string]any{"participant_count": 100001}, "#/participant_count"},
		} {
			if res := env.Call(http.MethodPatch, path, writer, tt.body); res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), tt.pointer) {
				t.Errorf("PATCH %v = %d %s, want 422 at %s", tt.body, res.Status, res.Body, tt.pointer)
			}
		}
	})

	t.Run("another district or school", func(t *testing.T) {
		var own api.CampaignList
		mustGet(t, env, reader, "/v1/campaigns", &own)
		if !slices.Contains(campaignTitles(own), "9th-grade focus group (1)") {
			t.Fatalf("the owner's list = %v, want the campaign in it", campaignTitles(own))
		}
		for _, c := range []struct {
			tok  string
			sees []string // its own campaigns
		}{
			{env.Token(other, nil), []string{"Elsewhere"}},
			{env.Token(tenant, nil, adams.ID), []string{"Suggestion week"}},
		} {
			tok := c.tok
			for _, call := range []struct {
				method, path string
				body         any
			}{
				{http.MethodGet, path, nil},
				{http.MethodPatch, path, map[string]any{"title": "x"}},
				{http.MethodPost, path + "/feedback", map[string]any{"items": []map[string]any{{"summary": "x"}}}},
			} {
				if res := env.Call(call.method, call.path, tok, call.body); res.Status != http.StatusNotFound {
					t.Errorf("%s %s = %d, want 404", call.method, call.path, res.Status)
				}
			}
			var list api.CampaignList
			mustGet(t, env, tok, "/v1/campaigns", &list)
			if slices.Contains(campaignTitles(list), group.Title) || slices.Contains(campaignTitles(list), "9th-grade focus group (1)") {
				t.Errorf("another tenant's list shows the campaign: %v", campaignTitles(list))
			}
			if diff := cmp.Diff(c.sees, campaignTitles(list)); diff != "" {
				t.Errorf("another tenant's list (-want +got):\n%s", diff)
			}
		}
	})
}

func TestCampaignFeedbackBatch(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	lincoln := tenant.Schools[0]
	maya := env.NewPatron(lincoln, "Maya", "Lopez")
	dee := env.NewPatron(tenant.Schools[1], "Dee", "Cole")
	writer := env.Token(tenant, feedbackScopes)
	group := newCampaign(t, env, writer, map[string]any{"school_id": lincoln.ID, "kind": "focus_group", "title": "Focus group", "held_on": "2026-10-14"})
	path := "/v1/campaigns/" + group.Id.String() + "/feedback"
	count := func(t *testing.T) int {
		t.Helper()
		var c api.Campaign
		mustGet(t, env, writer, "/v1/campaigns/"+group.Id.String(), &c)
		return int(c.Counts.Total)
	}

	res := env.Call(http.MethodPost, path, writer, map[string]any{"items": []map[string]any{
		{"summary": "More seats near outlets", "category": "space"},
		{"summary": "A manga section", "patron_id": maya.ID, "public": true},
		{"summary": "Emailed later: longer hours", "source": "email", "received_at": "2026-10-15T08:00:00Z"},
	}}, "Idempotency-Key", "focus-group-1", "Acting-User", "ms.lee")
	if res.Status != http.StatusCreated {
		t.Fatalf("batch = %d %s", res.Status, res.Body)
	}
	var batch api.FeedbackBatch
	res.Decode(t, &batch)
	if len(batch.Data) != 3 || batch.Data[0].Summary != "More seats near outlets" || batch.Data[2].Summary != "Emailed later: longer hours" {
		t.Fatalf("batch = %+v; want the three items in the order sent", feedbackSummaries(batch.Data))
	}
	for i, f := range batch.Data {
		if f.SchoolId != lincoln.ID || *f.CampaignId != group.Id || f.Status != api.FeedbackStatusReceived || *f.CreatedBy.ActingUser != "ms.lee" {
			t.Errorf("item %d = %+v", i, f)
		}
	}
	if batch.Data[0].Source != api.FeedbackSourceFocusGroup || batch.Data[2].Source != api.FeedbackSourceEmail ||
		*batch.Data[1].SubmitterRole != api.PatronRoleStudent || !batch.Data[1].Public {
		t.Errorf("defaults: %+v", batch.Data)
	}
	again := env.Call(http.MethodPost, path, writer, map[string]any{"items": []map[string]any{
		{"summary": "More seats near outlets", "category": "space"},
		{"summary": "A manga section", "patron_id": maya.ID, "public": true},
		{"summary": "Emailed later: longer hours", "source": "email", "received_at": "2026-10-15T08:00:00Z"},
	}}, "Idempotency-Key", "focus-group-1", "Acting-User", "ms.lee")
	if again.Status != http.StatusCreated || again.Header.Get("Idempotency-Replayed") != "true" || count(t) != 3 {
		t.Errorf("a retry = %d (replayed %q), %d items; want the first answer and still 3", again.Status, again.Header.Get("Idempotency-Replayed"), count(t))
	}

	for _, tt := range []struct {
		name     string
		items    any
		status   int
		pointers []string
	}{
		{"every item at fault is named, and nothing is written", []map[string]any{
			{"summary": "fine"},
			{"summary": "   "},
			{"summary": "fine", "patron_id": dee.ID},
			{"summary": "fine", "received_at": "2099-01-01T00:00:00Z"},
		}, 422, []string{"#/items/1/summary", "#/items/3/received_at"}},
		{"the contract is checked first", []map[string]any{{"summary": "fine"}, {"summary": "fine", "source": "pigeon"}}, 422, []string{"#/items/1/source"}},
		{"patrons are checked once the fields are right", []map[string]any{{"summary": "fine"}, {"summary": "fine", "patron_id": dee.ID}}, 422, []string{"#/items/1/patron_id"}},
		{"wrong types", []map[string]any{{"summary": "fine"}, {"summary": 42}}, 422, []string{"#/items/1/summary"}},
		{"an item names its own school", []map[string]any{{"summary": "fine", "school_id": lincoln.ID}}, 422, []string{"#/items/0/school_id"}},
		{"no items", []map[string]any{}, 422, []string{"#/items"}},
		{"too many items", slices.Repeat([]map[string]any{{"summary": "x"}}, 201), 422, []string{"#/items"}},
		{"items is not a list", "all of them", 422, []string{"#/items"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := env.Call(http.MethodPost, path, writer, map[string]any{"items": tt.items})
			if res.Status != tt.status {
				t.Fatalf("got %d %s, want %d", res.Status, res.Body, tt.status)
			}
			for _, p := range tt.pointers {
				if !slices.Contains(res.Pointers(t), p) {
					t.Errorf("pointers = %v, want %s among them", res.Pointers(t), p)
				}
			}
			if n := count(t); n != 3 {
				t.Errorf("%d items after a refused batch, want 3", n)
			}
		})
	}
	if res := env.Call(http.MethodPost, path, env.Token(tenant, []rapport.Scope{rapport.ScopeFeedbackRead}), map[string]any{"items": []map[string]any{{"summary": "x"}}}); res.Status != http.StatusForbidden {
		t.Errorf("batch with feedback:read = %d, want 403", res.Status)
	}
	if res := env.Call(http.MethodPost, "/v1/campaigns/0193a3c4-0000-7000-8000-000000000000/feedback", writer, map[string]any{"items": []map[string]any{{"summary": "x"}}}); res.Status != http.StatusNotFound {
		t.Errorf("batch for an unknown campaign = %d, want 404", res.Status)
	}
}
