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
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/rapport"
)

func patronNames(list api.PatronList) []string {
	var names []string
	for _, p := range list.Data {
		names = append(names, p.DisplayName)
	}
	return names
}

func TestCreatePatron(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	writer := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsRead, rapport.ScopePatronsWrite})
	school := tenant.Schools[0].ID.String()

	res := env.Call(http.MethodPost, "/v1/patrons", writer, map[string]any{
		"school_id": school, "role": "student", "given_name": " Zoë ", "family_name": "Okafor-Smith",
		"preferred_name": "Zo", "pronouns": "she/her", "name_pronunciation": "ZOH-ee", "grade": "07",
		"homeroom": "7B", "email": "zoe@lincoln.example.org", "sourced_id": "stu-1", "sis_id": "S1",
		"barcode": "B0001", "lms_id": "L1", "interests": []string{"Graphic Novels", "robotics", "graphic novels "},
	}, "Acting-User", "ms.lee@lincoln.example.org")
	if res.Status != http.StatusCreated {
		t.Fatalf("status = %d: %s", res.Status, res.Body)
	}
	var p api.Patron
	res.Decode(t, &p)
	if res.Header.Get("Location") != "/v1/patrons/"+p.Id.String() || res.Header.Get("ETag") == "" {
		t.Errorf("Location %q, ETag %q", res.Header.Get("Location"), res.Header.Get("ETag"))
	}
	if p.GivenName != "Zoë" || p.DisplayName != "Zo Okafor-Smith" || p.Status != api.PatronStatusActive ||
		!slices.Equal(p.Interests, []string{"graphic novels", "robotics"}) || *p.CreatedBy.ActingUser != "ms.lee@lincoln.example.org" {
		t.Errorf("patron = %+v", p)
	}

	for _, tt := range []struct {
		name        string
		body        map[string]any
		wantStatus  int
		wantPointer string
	}{
		{"taken sourced_id", map[string]any{"school_id": school, "role": "student", "given_name": "A", "family_name": "B", "sourced_id": "stu-1"}, 409, "#/sourced_id"},
		{"taken barcode", map[string]any{"school_id": tenant.Schools[1].ID, "role": "student", "given_name": "A", "family_name": "B", "barcode": "B0001"}, 409, "#/barcode"},
		{"another district's school", map[string]any{"school_id": other.Schools[0].ID, "role": "student", "given_name": "A", "family_name": "B"}, 422, "#/school_id"},
		{"wrong type", map[string]any{"school_id": school, "role": "student", "given_name": 7, "family_name": "B"}, 422, "#/given_name"},
		{"unknown field", map[string]any{"school_id": school, "role": "student", "given_name": "A", "family_name": "B", "birthday": "2010-01-01"}, 422, "#/birthday"},
		{"300-character name", map[string]any{"school_id": school, "role": "student", "given_name": strings.Repeat("a", 300), "family_name": "B"}, 422, "#/given_name"},
		{"bidi override in name", map[string]any{"school_id": school, "role": "student", "given_name": "\u202eanA", "family_name": "B"}, 422, "#/given_name"},
		{"NUL in name", map[string]any{"school_id": school, "role": "student", "given_name": "A\u0000", "family_name": "B"}, 422, "#/given_name"},
		{"invalid grade", map[string]any{"school_id": school, "role": "student", "given_name": "A", "family_name": "B", "grade": "7"}, 422, "#/grade"},
		{"invalid email", map[string]any{"school_id": school, "role": "student", "given_name": "A", "family_name": "B", "email": "not an email"}, 422, "#/email"},
		{"unknown role", map[string]any{"school_id": school, "role": "wizard", "given_name": "A", "family_name": "B"}, 422, "#/role"},
		{"bad school id", map[string]any{"school_id": "lincoln", "role": "student", "given_name": "A", "family_name": "B"}, 422, "#/school_id"},
		{"missing names", map[string]any{"school_id": school, "role": "student"}, 422, "#/given_name"},
		{"too many interests", map[string]any{"school_id": school, "role": "student", "given_name": "A", "family_name": "B", "interests": make([]string, 31)}, 422, "#/interests"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := env.Call(http.MethodPost, "/v1/patrons", writer, tt.body)
			if res.Status != tt.wantStatus || !slices.Contains(res.Pointers(t), tt.wantPointer) {
				t.Errorf("got %d %v, want %d pointing at %s: %s", res.Status, res.Pointers(t), tt.wantStatus, tt.wantPointer, res.Body)
			}
		})
	}

	t.Run("a client limited to another school", func(t *testing.T) {
		limited := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsWrite}, tenant.Schools[1].ID)
		res := env.Call(http.MethodPost, "/v1/patrons", limited, map[string]any{"school_id": school, "role": "student", "given_name": "A", "family_name": "B"})
		if res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), "#/school_id") {
			t.Errorf("got %d %s", res.Status, res.Body)
		}
	})
	t.Run("read-only token", func(t *testing.T) {
		reader := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsRead})
		res := env.Call(http.MethodPost, "/v1/patrons", reader, map[string]any{"school_id": school, "role": "student", "given_name": "A", "family_name": "B"})
		if res.Status != http.StatusForbidden {
			t.Errorf("status = %d, want 403", res.Status)
		}
	})

	// Only the first patron was written.
	var list api.PatronList
	mustGet(t, env, writer, "/v1/patrons", &list)
	if diff := cmp.Diff([]string{"Zo Okafor-Smith"}, patronNames(list)); diff != "" {
		t.Errorf("patrons after refused writes (-want +got):\n%s", diff)
	}
}

func TestGetPatron(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez")
	path := "/v1/patrons/" + patron.ID.String()
	reader := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsRead})

	res := env.Call(http.MethodGet, path, reader, nil)
	var got api.Patron
	res.Decode(t, &got)
	if res.Status != http.StatusOK || got.Id != patron.ID || got.DisplayName != "Maya Lopez" {
		t.Fatalf("GET = %d %+v", res.Status, got)
	}
	if res := env.Call(http.MethodGet, path, reader, nil, "If-None-Match", res.Header.Get("ETag")); res.Status != http.StatusNotModified {
		t.Errorf("conditional GET = %d, want 304", res.Status)
	}
	for _, tt := range []struct{ name, token string }{
		{"another district", env.Token(other, nil)},
		{"a client limited to another school", env.Token(tenant, nil, tenant.Schools[1].ID)},
		{"no patrons:read", env.Token(tenant, []rapport.Scope{rapport.ScopeNotesRead})},
	} {
		t.Run(tt.name, func(t *testing.T) {
			want := http.StatusNotFound
			if tt.name == "no patrons:read" {
				want = http.StatusForbidden
			}
			if res := env.Call(http.MethodGet, path, tt.token, nil); res.Status != want {
				t.Errorf("status = %d, want %d", res.Status, want)
			}
		})
	}
}

func TestUpdatePatron(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez", func(in *rapport.PatronCreate) {
		in.PreferredName, in.Grade, in.Barcode, in.Interests = "May", "05", "B1", []string{"horses"}
	})
	env.NewPatron(tenant.Schools[0], "Sam", "Taken", func(in *rapport.PatronCreate) { in.Barcode = "B2" })
	path := "/v1/patrons/" + patron.ID.String()
	writer := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsRead, rapport.ScopePatronsWrite})
	etag := mustGet(t, env, writer, path, &api.Patron{}).Header.Get("ETag")

	res := env.Call(http.MethodPatch, path, writer, map[string]any{"preferred_name": nil, "grade": "06", "interests": []string{"dragons"}}, "If-Match", etag)
	var got api.Patron
	res.Decode(t, &got)
	if res.Status != http.StatusOK || got.PreferredName != nil || string(*got.Grade) != "06" || got.FamilyName != "Lopez" ||
		*got.Barcode != "B1" || !slices.Equal(got.Interests, []string{"dragons"}) {
		t.Fatalf("PATCH = %d %+v", res.Status, got)
	}
	etag = res.Header.Get("ETag")

	t.Run("two writers with the same ETag: one wins", func(t *testing.T) {
		var wg sync.WaitGroup
		statuses := make([]int, 2)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i] = env.Call(http.MethodPatch, path, writer, map[string]any{"homeroom": "Room " + string(rune('A'+i))}, "If-Match", etag).Status
			}()
		}
		wg.Wait()
		slices.Sort(statuses)
		if !slices.Equal(statuses, []int{http.StatusOK, http.StatusPreconditionFailed}) {
			t.Errorf("statuses = %v, want one 200 and one 412", statuses)
		}
	})
	for _, tt := range []struct {
		name        string
		body        map[string]any
		wantStatus  int
		wantPointer string
	}{
		{"taken barcode", map[string]any{"barcode": "B2"}, 409, "#/barcode"},
		{"null for a required field", map[string]any{"family_name": nil}, 422, "#/family_name"},
		{"invalid grade", map[string]any{"grade": "K"}, 422, "#/grade"},
		{"another district's school", map[string]any{"school_id": other.Schools[0].ID}, 422, "#/school_id"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := env.Call(http.MethodPatch, path, writer, tt.body)
			if res.Status != tt.wantStatus || !slices.Contains(res.Pointers(t), tt.wantPointer) {
				t.Errorf("got %d %v, want %d at %s: %s", res.Status, res.Pointers(t), tt.wantStatus, tt.wantPointer, res.Body)
			}
		})
	}
	t.Run("another district", func(t *testing.T) {
		if res := env.Call(http.MethodPatch, path, env.Token(other, nil), map[string]any{"homeroom": "X"}); res.Status != http.StatusNotFound {
			t.Errorf("status = %d, want 404", res.Status)
		}
	})
	t.Run("move to another school of the district", func(t *testing.T) {
		res := env.Call(http.MethodPatch, path, writer, map[string]any{"school_id": tenant.Schools[1].ID})
		var moved api.Patron
		res.Decode(t, &moved)
		if res.Status != http.StatusOK || moved.SchoolId != tenant.Schools[1].ID {
			t.Errorf("move = %d %+v", res.Status, moved)
		}
	})
}

func TestDeletePatron(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	other := env.NewTenant("Other Elementary")
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez")
	path := "/v1/patrons/" + patron.ID.String()
	writer := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsRead, rapport.ScopePatronsWrite})

	if res := env.Call(http.MethodDelete, path, env.Token(other, nil), nil); res.Status != http.StatusNotFound {
		t.Errorf("another district's DELETE = %d, want 404", res.Status)
	}
	if res := env.Call(http.MethodDelete, path, writer, nil, "If-Match", `"99"`); res.Status != http.StatusPreconditionFailed {
		t.Errorf("stale DELETE = %d, want 412", res.Status)
	}
	res := env.Call(http.MethodDelete, path, writer, nil)
	var got api.Patron
	res.Decode(t, &got)
	if res.Status != http.StatusOK || got.Status != api.PatronStatusInactive {
		t.Fatalf("DELETE = %d %+v", res.Status, got)
	}
	got = api.Patron{}
	mustGet(t, env, writer, path, &got)
	if got.Status != api.PatronStatusInactive || got.GivenName != "Maya" {
		t.Errorf("after DELETE the patron is %+v; want it kept, inactive", got)
	}
}

func TestErasePatron(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	other := env.NewTenant("Other Elementary")
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez", func(in *rapport.PatronCreate) {
		in.SourcedID, in.Email, in.Grade, in.Interests = "stu-9", "maya@example.org", "05", []string{"horses"}
	})
	path := "/v1/patrons/" + patron.ID.String()
	admin := env.Token(tenant, nil)
	writer := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsWrite, rapport.ScopeNotesWrite})
	// Another Maya, and a note of another patron: what erasure must leave alone.
	otherMaya := env.NewPatron(tenant.Schools[0], "Maya", "Sato")
	other2 := env.NewPatron(tenant.Schools[0], "Sam", "Lee")
	for _, p := range []rapport.Patron{patron, other2} {
		// The writer may not read notes, so it is answered 204 without the note.
		if res := env.Call(http.MethodPost, "/v1/patrons/"+p.ID.String()+"/notes", writer, map[string]any{"body": "Loves horse stories"}); res.Status != http.StatusNoContent {
			t.Fatalf("create note for %s = %d: %s", p.GivenName, res.Status, res.Body)
		}
	}
	school := tenant.Schools[0].ID.String()
	post := func(to string, body map[string]any, v any, headers ...string) *apitest.Response {
		t.Helper()
		res := env.Call(http.MethodPost, to, admin, body, headers...)
		if res.Status != http.StatusCreated {
			t.Fatalf("POST %s = %d, want 201: %s", to, res.Status, res.Body)
		}
		res.Decode(t, v)
		return res
	}
	var alone, together api.Interaction
	post("/v1/interactions", map[string]any{"school_id": school, "patron_ids": []string{patron.ID.String()},
		"kind": "reference", "summary": "Maya asked about horse books", "satisfaction": map[string]any{"rating": 5, "comment": "Maya loved it"},
		"outcome": "referred", "referral": map[string]any{"to_name": "Riding club", "to_role": "club", "contact": "Maya's mother, 555-0100",
			"state": "closed", "closed_note": "Maya joined the riding club"}}, &alone)
	post("/v1/interactions", map[string]any{"school_id": school, "patron_ids": []string{patron.ID.String(), other2.ID.String()},
		"kind": "class_visit", "summary": "Fourth-grade class visit"}, &together)
	// Her feedback, created with an Idempotency-Key (its answer is kept for retries), decided
	// and on the public board.
	var feedback api.FeedbackItem
	feedbackBody := map[string]any{"school_id": school, "patron_id": patron.ID.String(),
		"source": "conversation", "summary": "Maya wants more horse books", "details": "Maya says the horse shelf is empty", "public": true,
		"public_summary": "More horse books"}
	post("/v1/feedback", feedbackBody, &feedback, "Idempotency-Key", "maya-feedback")
	if res := env.Call(http.MethodPost, "/v1/feedback/"+feedback.Id.String()+"/transitions", admin,
		map[string]any{"to": "acted_on", "text": "Bought twenty horse books for Maya", "public_text": "Bought twenty horse books"}); res.Status != http.StatusOK {
		t.Fatalf("decide her feedback = %d: %s", res.Status, res.Body)
	}
	board := func() string {
		t.Helper()
		res := env.Call(http.MethodGet, "/v1/public/schools/"+tenant.Schools[0].Slug+"/you-said-we-did", "", nil)
		if res.Status != http.StatusOK {
			t.Fatalf("public board = %d: %s", res.Status, res.Body)
		}
		return string(res.Body)
	}
	if !strings.Contains(board(), "More horse books") {
		t.Fatalf("her decided feedback is not on the public board before erasure: %s", board())
	}
	ids := func(list api.PatronList) []string {
		var out []string
		for _, p := range list.Data {
			out = append(out, p.Id.String())
		}
		return out
	}
	searches := []struct {
		query string
		want  []string // besides her
	}{
		{"?q=maya", []string{otherMaya.ID.String()}},
		{"?sourced_id=stu-9", nil},
	}
	// Before: search finds her, and her notes are there.
	for _, q := range searches {
		var list api.PatronList
		mustGet(t, env, admin, "/v1/patrons"+q.query, &list)
		if !slices.Contains(ids(list), patron.ID.String()) {
			t.Fatalf("before erasure GET /v1/patrons%s = %v, want her among them", q.query, patronNames(list))
		}
	}
	var before api.NoteList
	mustGet(t, env, admin, path+"/notes", &before)
	if diff := cmp.Diff([]string{"Loves horse stories"}, noteBodies(before)); diff != "" {
		t.Fatalf("her notes before erasure (-want +got):\n%s", diff)
	}

	if res := env.Call(http.MethodPost, path+"/erase", writer, nil); res.Status != http.StatusForbidden {
		t.Errorf("erase without admin = %d, want 403", res.Status)
	}
	if res := env.Call(http.MethodPost, path+"/erase", env.Token(other, nil), nil); res.Status != http.StatusNotFound {
		t.Errorf("erase from another district = %d, want 404", res.Status)
	}
	res := env.Call(http.MethodPost, path+"/erase", admin, nil)
	var got api.Patron
	res.Decode(t, &got)
	if res.Status != http.StatusOK || got.ErasedAt == nil || got.GivenName != "" || got.SourcedId != nil || got.Email != nil ||
		len(got.Interests) != 0 || got.Status != api.PatronStatusInactive || got.Grade == nil || *got.Grade != "05" {
		t.Fatalf("erase = %d %+v; want the personal data gone, the grade kept", res.Status, got)
	}
	var notes api.NoteList
	mustGet(t, env, admin, path+"/notes", &notes)
	if len(notes.Data) != 0 {
		t.Errorf("an erased patron still has notes: %+v", notes.Data)
	}
	var kept api.NoteList
	mustGet(t, env, admin, "/v1/patrons/"+other2.ID.String()+"/notes", &kept)
	if diff := cmp.Diff([]string{"Loves horse stories"}, noteBodies(kept)); diff != "" {
		t.Errorf("another patron's notes after the erasure (-want +got):\n%s", diff)
	}
	for _, q := range searches {
		var list api.PatronList
		mustGet(t, env, admin, "/v1/patrons"+q.query, &list)
		if diff := cmp.Diff(q.want, ids(list)); diff != "" {
			t.Errorf("GET /v1/patrons%s after erasure, want her gone and the others found (-want +got):\n%s", q.query, diff)
		}
	}
	var aloneAfter, togetherAfter api.Interaction
	mustGet(t, env, admin, "/v1/interactions/"+alone.Id.String(), &aloneAfter)
	mustGet(t, env, admin, "/v1/interactions/"+together.Id.String(), &togetherAfter)
	if aloneAfter.Summary != nil || aloneAfter.Satisfaction == nil || aloneAfter.Satisfaction.Comment != nil || aloneAfter.Satisfaction.Rating != 5 {
		t.Errorf("her own interaction after erasure = %+v; want the summary and comment gone, the rating kept", aloneAfter)
	}
	if togetherAfter.Summary == nil || *togetherAfter.Summary != "Fourth-grade class visit" {
		t.Errorf("a class visit lost its summary: %+v", togetherAfter)
	}
	if r := aloneAfter.Referral; r == nil || r.Contact != nil || deref(r.ClosedNote) != rapport.ErasedText || r.ToName != "Riding club" {
		t.Errorf("her referral after erasure = %+v; want the contact and closing note gone, whom she was referred to kept", r)
	}
	var feedbackAfter api.FeedbackItem
	mustGet(t, env, admin, "/v1/feedback/"+feedback.Id.String(), &feedbackAfter)
	if feedbackAfter.Details != nil || feedbackAfter.Summary != rapport.ErasedText || feedbackAfter.Public || feedbackAfter.OnPublicBoard ||
		feedbackAfter.PublicSummary != nil || feedbackAfter.PublicDecision != nil ||
		feedbackAfter.Resolution == nil || feedbackAfter.Resolution.Text != rapport.ErasedText || feedbackAfter.Status != api.FeedbackStatusActedOn {
		t.Errorf("her feedback after erasure = %+v; want what it said and what was said back gone, off the board, its status kept", feedbackAfter)
	}
	if b := board(); strings.Contains(b, "horse") || strings.Contains(b, "Maya") {
		t.Errorf("the public board still speaks of her: %s", b)
	}
	var hist api.FeedbackHistory
	mustGet(t, env, admin, "/v1/feedback/"+feedback.Id.String()+"/history", &hist)
	if len(hist.Data) != 2 || hist.Data[0].To != api.FeedbackStatusActedOn || hist.Data[0].Text != nil ||
		hist.Data[1].Kind != api.Edit || hist.Data[1].Changes == nil || (*hist.Data[1].Changes)["summary"] != nil {
		t.Errorf("her feedback's history after erasure = %+v; want the decision kept without its text, then the erasure's edit without values", hist.Data)
	}
	// A retry of the create that made her feedback still writes nothing new, and its answer no
	// longer holds what she said.
	replay := env.Call(http.MethodPost, "/v1/feedback", admin, feedbackBody, "Idempotency-Key", "maya-feedback")
	if replay.Status != http.StatusNoContent || replay.Header.Get("Idempotency-Replayed") != "true" ||
		replay.Header.Get("Location") != "/v1/feedback/"+feedback.Id.String() || len(replay.Body) != 0 {
		t.Errorf("replay after erasure = %d, replayed %q, Location %q, body %q; want 204 with the Location and no body",
			replay.Status, replay.Header.Get("Idempotency-Replayed"), replay.Header.Get("Location"), replay.Body)
	}
	if res := env.Call(http.MethodPatch, path, admin, map[string]any{"given_name": "Back"}); res.Status != http.StatusConflict {
		t.Errorf("changing an erased patron = %d, want 409", res.Status)
	}
	if res := env.Call(http.MethodPost, path+"/erase", admin, nil); res.Status != http.StatusOK {
		t.Errorf("erasing again = %d, want 200", res.Status)
	}
}

func TestListPatrons(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	lincoln, adams := tenant.Schools[0], tenant.Schools[1]
	env.NewPatron(lincoln, "Ada", "Baker", func(in *rapport.PatronCreate) { in.Grade, in.SourcedID, in.SISID = "09", "s-ada", "sis-ada" })
	env.NewPatron(lincoln, "Ben", "Adams", func(in *rapport.PatronCreate) { in.Grade, in.Barcode = "10", "B-ben" })
	env.NewPatron(lincoln, "Cy", "Adams", func(in *rapport.PatronCreate) { in.Role, in.LMSID = rapport.RoleTeacher, "lms-cy" })
	env.NewPatron(adams, "Dee", "Cole", func(in *rapport.PatronCreate) { in.Grade, in.Status = "02", rapport.PatronInactive })
	env.NewPatron(other.Schools[0], "Eve", "Abbot")
	reader := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsRead})

	t.Run("every page, by name", func(t *testing.T) {
		var all []string
		next := "/v1/patrons?limit=2"
		for next != "" {
			var page api.PatronList
			res := mustGet(t, env, reader, next, &page)
			all = append(all, patronNames(page)...)
			next = strings.TrimSuffix(strings.TrimPrefix(res.Header.Get("Link"), "<"), `>; rel="next"`)
		}
		if diff := cmp.Diff([]string{"Ben Adams", "Cy Adams", "Ada Baker", "Dee Cole"}, all); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})

	since := url.QueryEscape(time.Now().Add(-time.Hour).Format(time.RFC3339))
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"school_id=" + adams.ID.String(), []string{"Dee Cole"}},
		{"role=teacher", []string{"Cy Adams"}},
		{"grade=09", []string{"Ada Baker"}},
		{"status=inactive", []string{"Dee Cole"}},
		{"sourced_id=s-ada", []string{"Ada Baker"}},
		{"sis_id=sis-ada", []string{"Ada Baker"}},
		{"barcode=B-ben", []string{"Ben Adams"}},
		{"lms_id=lms-cy", []string{"Cy Adams"}},
		{"sourced_id=nobody", nil},
		{"updated_since=" + since, []string{"Ada Baker", "Ben Adams", "Cy Adams", "Dee Cole"}},
		{"updated_since=" + url.QueryEscape(time.Now().Add(time.Hour).Format(time.RFC3339)), nil},
		{"school_id=" + other.Schools[0].ID.String(), nil},
	} {
		t.Run(tt.query, func(t *testing.T) {
			var page api.PatronList
			mustGet(t, env, reader, "/v1/patrons?"+tt.query, &page)
			if diff := cmp.Diff(tt.want, patronNames(page)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("a client limited to a school", func(t *testing.T) {
		var page api.PatronList
		mustGet(t, env, env.Token(tenant, nil, adams.ID), "/v1/patrons", &page)
		if diff := cmp.Diff([]string{"Dee Cole"}, patronNames(page)); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("another district sees none of these", func(t *testing.T) {
		var own api.PatronList
		mustGet(t, env, reader, "/v1/patrons?barcode=B-ben", &own)
		if diff := cmp.Diff([]string{"Ben Adams"}, patronNames(own)); diff != "" {
			t.Fatalf("the owner's GET /v1/patrons?barcode=B-ben (-want +got):\n%s", diff)
		}
		for _, tt := range []struct {
			query string
			want  []string // the other district's own
		}{
			{"?barcode=B-ben", nil},
			{"", []string{"Eve Abbot"}},
		} {
			var page api.PatronList
			mustGet(t, env, env.Token(other, nil), "/v1/patrons"+tt.query, &page)
			if diff := cmp.Diff(tt.want, patronNames(page)); diff != "" {
				t.Errorf("another district's GET /v1/patrons%s (-want +got):\n%s", tt.query, diff)
			}
		}
	})
}

func TestSearchPatrons(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	lincoln := tenant.Schools[0]
	env.NewPatron(lincoln, "Zoë", "Okafor")
	env.NewPatron(lincoln, "Zoey", "Smith")
	env.NewPatron(lincoln, "Zora", "Neale")
	env.NewPatron(lincoln, "John", "Smithers")
	env.NewPatron(lincoln, "Jonathan", "Zoeller")
	env.NewPatron(lincoln, "Elizabeth", "Müller", func(in *rapport.PatronCreate) { in.PreferredName = "Liz" })
	env.NewPatron(lincoln, "Mary Kate", "Walsh")
	env.NewPatron(lincoln, "Ana", "Lopez-Garcia")
	env.NewPatron(lincoln, "Sean", "O'Brien")
	env.NewPatron(tenant.Schools[1], "Zoe", "Adams")
	env.NewPatron(other.Schools[0], "Zoe", "Elsewhere")
	reader := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsRead})

	// want is how the answer starts: the exact and prefix matches, in order. also lists fuzzy
	// matches that must follow somewhere; only says nothing else may.
	for _, tt := range []struct {
		q     string
		token string
		want  []string
		also  []string
		only  bool
	}{
		// Exact names first ("Zoe" is Zoë folded), then names a typed word starts, in the
		// order of the name matched; then names with the word further in, then near misses.
		{"Zoe", reader, []string{"Zoe Adams", "Zoë Okafor", "Jonathan Zoeller", "Zoey Smith"}, nil, true},
		{"zoë", reader, []string{"Zoe Adams", "Zoë Okafor", "Jonathan Zoeller", "Zoey Smith"}, nil, true},
		{"z", reader, []string{"Zoe Adams", "Zoë Okafor", "Jonathan Zoeller", "Zoey Smith", "Zora Neale"}, nil, true},
		{"zo sm", reader, []string{"Zoey Smith"}, nil, true},
		{"smith", reader, []string{"Zoey Smith", "John Smithers"}, nil, false},
		{"jonh", reader, nil, []string{"John Smithers"}, false},
		{"jhon", reader, nil, []string{"John Smithers"}, false},
		{"zoey smiht", reader, []string{"Zoey Smith"}, nil, false},
		{"garcia", reader, []string{"Ana Lopez-Garcia"}, nil, true},
		{"lopez garc", reader, []string{"Ana Lopez-Garcia"}, nil, true},
		{"obrien", reader, []string{"Sean O'Brien"}, nil, true},
		{"o'brien", reader, []string{"Sean O'Brien"}, nil, true},
		{"muller", reader, []string{"Liz Müller"}, nil, false},
		{"liz", reader, []string{"Liz Müller"}, nil, false},
		{"elizabeth muller", reader, []string{"Liz Müller"}, nil, false},
		{"100%_", reader, nil, nil, true},
		{"Zoe", env.Token(tenant, nil, lincoln.ID), []string{"Zoë Okafor", "Jonathan Zoeller", "Zoey Smith"}, nil, true},
		{"mary kate", reader, []string{"Mary Kate Walsh"}, nil, true},
		{"kate", reader, []string{"Mary Kate Walsh"}, nil, true},
		{"Zoe", env.Token(other, nil), []string{"Zoe Elsewhere"}, nil, true},
	} {
		t.Run(tt.q, func(t *testing.T) {
			var page api.PatronList
			mustGet(t, env, tt.token, "/v1/patrons?q="+url.QueryEscape(tt.q), &page)
			got := patronNames(page)
			head := got[:min(len(tt.want), len(got))]
			if diff := cmp.Diff(tt.want, head, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("search %q starts wrong (-want +got):\n%s\nall: %v", tt.q, diff, got)
			}
			for _, name := range tt.also {
				if !slices.Contains(got[len(head):], name) {
					t.Errorf("search %q = %v, want %s among the rest", tt.q, got, name)
				}
			}
			if tt.only && len(got) > len(tt.want) {
				t.Errorf("search %q = %v, want only %v", tt.q, got, tt.want)
			}
			if page.NextCursor != nil {
				t.Errorf("a search has a next_cursor")
			}
		})
	}
	t.Run("limit", func(t *testing.T) {
		var page api.PatronList
		mustGet(t, env, reader, "/v1/patrons?q=zo&limit=2", &page)
		if diff := cmp.Diff([]string{"Zoe Adams", "Zoë Okafor"}, patronNames(page)); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestPatronTenantIsolation sends every patron operation from a client of another district
// and from a client limited to another school of the same district: each gets 404, and the
// patron is unchanged.
func TestPatronTenantIsolation(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other Elementary")
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez", func(in *rapport.PatronCreate) { in.Barcode = "B-maya" })
	path := "/v1/patrons/" + patron.ID.String()
	owner := env.Token(tenant, nil)
	etag := mustGet(t, env, owner, path, &api.Patron{}).Header.Get("ETag")
	lists := []string{"?q=maya", "?barcode=B-maya", ""}
	shows := func(list api.PatronList) bool {
		return slices.ContainsFunc(list.Data, func(p api.Patron) bool { return p.Id == patron.ID })
	}
	for _, q := range lists {
		var list api.PatronList
		mustGet(t, env, owner, "/v1/patrons"+q, &list)
		if !shows(list) {
			t.Fatalf("the owner's GET /v1/patrons%s = %v, want the patron in it", q, patronNames(list))
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
				{http.MethodPatch, path, map[string]any{"given_name": "Taken"}},
				{http.MethodDelete, path, nil},
				{http.MethodPost, path + "/erase", nil},
				{http.MethodGet, path + "/notes", nil},
				{http.MethodPost, path + "/notes", map[string]any{"body": "x"}},
				{http.MethodGet, path + "/access-log", nil},
			} {
				if res := env.Call(call.method, call.path, token, call.body); res.Status != http.StatusNotFound {
					t.Errorf("%s %s = %d, want 404", call.method, call.path, res.Status)
				}
			}
			for _, q := range lists {
				var list api.PatronList
				mustGet(t, env, token, "/v1/patrons"+q, &list)
				if shows(list) {
					t.Errorf("GET /v1/patrons%s shows the patron", q)
				}
			}
		})
	}
	if res := env.Call(http.MethodGet, path, owner, nil, "If-None-Match", etag); res.Status != http.StatusNotModified {
		t.Errorf("the patron changed under the refused calls: %d", res.Status)
	}
}
