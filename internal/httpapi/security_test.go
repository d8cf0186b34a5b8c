package httpapi_test

// The findings of the security review of issue 11, each as a test that failed on the code
// before it: privilege escalation through API clients, answers that showed a writer more than
// it may read, Acting-User taken as sent, patron details that followed a moved patron, edits of
// decided feedback without history, and conflicts that told one district about another.

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/rapport"
)

// narrowedToken asks the token endpoint for a token of the client holding only scopes.
func narrowedToken(t *testing.T, env *apitest.Env, c rapport.Client, secret string, scopes ...string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {strings.Join(scopes, " ")}}
	res := env.Do(tokenRequest(form, c.ClientID, secret))
	if res.Status != http.StatusOK {
		t.Fatalf("token with scope %v = %d: %s", scopes, res.Status, res.Body)
	}
	var tok api.Token
	res.Decode(t, &tok)
	return tok.AccessToken
}

func TestAdminsManageOnlyClientsThatHoldNoMore(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	lincoln, adams := tenant.Schools[0].ID, tenant.Schools[1].ID
	super, superSecret := env.Client(tenant, nil) // every scope, every school
	narrowed := narrowedToken(t, env, super, superSecret, "admin")
	lincolnAdmin := env.Token(tenant, []rapport.Scope{rapport.ScopeAdmin, rapport.ScopeNotesRead}, lincoln)

	// Targets: a client with every scope; one of Lincoln with a scope Lincoln's admin lacks; one
	// of Lincoln and Adams; one Lincoln's admin fully covers.
	everything, everythingSecret := env.Client(tenant, nil)
	moreScopes, _ := env.Client(tenant, []rapport.Scope{rapport.ScopeNotesRead, rapport.ScopeStatsRead}, lincoln)
	moreSchools, _ := env.Client(tenant, []rapport.Scope{rapport.ScopeNotesRead}, lincoln, adams)
	covered, _ := env.Client(tenant, []rapport.Scope{rapport.ScopeNotesRead}, lincoln)

	for _, tt := range []struct {
		name   string
		token  string
		target rapport.Client
		want   int
	}{
		{"an admin token narrowed to admin, a client with every scope", narrowed, everything, http.StatusForbidden},
		{"a school's admin, a client with a scope it lacks", lincolnAdmin, moreScopes, http.StatusForbidden},
		{"a school's admin, a client of more schools", lincolnAdmin, moreSchools, http.StatusNotFound}, // it cannot see it at all
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := "/v1/clients/" + tt.target.ID.String()
			for _, call := range []struct {
				method, path string
				body         any
			}{
				{http.MethodPost, path + "/secret", nil},
				{http.MethodPatch, path, map[string]any{"name": "Taken over"}},
				{http.MethodPost, path + "/revoke", nil},
			} {
				res := env.Call(call.method, call.path, tt.token, call.body)
				if res.Status != tt.want {
					t.Errorf("%s %s = %d, want %d: %s", call.method, call.path, res.Status, tt.want, res.Body)
				}
				if strings.Contains(string(res.Body), "client_secret") {
					t.Errorf("%s %s answered a secret: %s", call.method, call.path, res.Body)
				}
			}
		})
	}
	// The client kept its secret and is still active: nothing above took effect.
	if _, status := tokenFor(t, env, everything.ClientID, everythingSecret); status != http.StatusOK {
		t.Errorf("the target's own secret gets %d after the refused takeover, want 200", status)
	}

	t.Run("a school's admin manages a client it covers, and grants only what it holds", func(t *testing.T) {
		path := "/v1/clients/" + covered.ID.String()
		for _, tt := range []struct {
			body    map[string]any
			want    int
			pointer string
		}{
			{map[string]any{"scopes": []string{"notes:read", "stats:read"}}, http.StatusForbidden, "#/scopes/1"},
			{map[string]any{"school_ids": []string{lincoln.String(), adams.String()}}, http.StatusForbidden, "#/school_ids/1"},
			{map[string]any{"school_ids": []string{}}, http.StatusForbidden, "#/school_ids"},
			{map[string]any{"acting_users": []string{"Not a name!"}}, http.StatusUnprocessableEntity, "#/acting_users/0"},
			{map[string]any{"name": "Desk, renamed", "acting_users": []string{" MS.Lee@Lincoln.example.org ", "ms.lee@lincoln.example.org"}}, http.StatusOK, ""},
		} {
			res := env.Call(http.MethodPatch, path, lincolnAdmin, tt.body)
			if res.Status != tt.want {
				t.Fatalf("PATCH %v = %d, want %d: %s", tt.body, res.Status, tt.want, res.Body)
			}
			if tt.pointer != "" && !slices.Contains(res.Pointers(t), tt.pointer) {
				t.Errorf("PATCH %v blames %v, want %s", tt.body, res.Pointers(t), tt.pointer)
			}
			if tt.want == http.StatusOK {
				var c api.Client
				res.Decode(t, &c)
				if c.Name != "Desk, renamed" || !slices.Equal(c.ActingUsers, []string{"ms.lee@lincoln.example.org"}) || c.Scopes[0] != "notes:read" {
					t.Errorf("patched client = %+v; want the new name and one normalised acting user", c)
				}
			}
		}
		if res := env.Call(http.MethodPost, path+"/secret", lincolnAdmin, nil); res.Status != http.StatusOK {
			t.Errorf("rotating a covered client's secret = %d, want 200", res.Status)
		}
	})

	t.Run("narrowing a client ends its tokens", func(t *testing.T) {
		c, secret := env.Client(tenant, []rapport.Scope{rapport.ScopePatronsRead, rapport.ScopeNotesRead})
		token := env.TokenOf(c, secret)
		if res := env.Call(http.MethodGet, "/v1/patrons", token, nil); res.Status != http.StatusOK {
			t.Fatalf("before: GET /v1/patrons = %d", res.Status)
		}
		if res := env.Call(http.MethodPatch, "/v1/clients/"+c.ID.String(), narrowedToken(t, env, super, superSecret, "admin", "patrons:read", "notes:read"),
			map[string]any{"scopes": []string{"notes:read"}}); res.Status != http.StatusOK {
			t.Fatalf("narrow = %d: %s", res.Status, res.Body)
		}
		if res := env.Call(http.MethodGet, "/v1/patrons", token, nil); res.Status != http.StatusUnauthorized {
			t.Errorf("after: the old token on GET /v1/patrons = %d, want 401", res.Status)
		}
	})
}

func TestWritesAnswerOnlyWhatTheCallerMayRead(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	other := env.NewTenant("Other Elementary")
	school := tenant.Schools[0].ID
	admin := env.Token(tenant, nil)
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez", func(in *rapport.PatronCreate) {
		in.Email, in.SISID, in.Barcode = "maya@example.org", "sis-77", "B-77"
	})
	patronPath := "/v1/patrons/" + patron.ID.String()

	// A library note by an admin, which a writer of notes may not read.
	res := env.Call(http.MethodPost, patronPath+"/notes", admin, map[string]any{"body": "Her brother is in hospital", "visibility": "library"})
	if res.Status != http.StatusCreated {
		t.Fatalf("create note = %d: %s", res.Status, res.Body)
	}
	var note api.Note
	res.Decode(t, &note)
	notePath := "/v1/notes/" + note.Id.String()
	var feedback api.FeedbackItem
	res = env.Call(http.MethodPost, "/v1/feedback", admin, map[string]any{"school_id": school, "source": "email", "summary": "Maya wants a quiet room"})
	if res.Status != http.StatusCreated {
		t.Fatalf("create feedback = %d: %s", res.Status, res.Body)
	}
	res.Decode(t, &feedback)
	var interaction api.Interaction
	res = env.Call(http.MethodPost, "/v1/interactions", admin, map[string]any{"school_id": school, "patron_ids": []uuid.UUID{patron.ID},
		"kind": "reference", "summary": "Asked about her brother's illness"})
	if res.Status != http.StatusCreated {
		t.Fatalf("create interaction = %d: %s", res.Status, res.Body)
	}
	res.Decode(t, &interaction)
	var campaign api.Campaign
	res = env.Call(http.MethodPost, "/v1/campaigns", admin, map[string]any{"school_id": school, "kind": "survey", "title": "Spring survey", "held_on": "2026-04-01"})
	if res.Status != http.StatusCreated {
		t.Fatalf("create campaign = %d: %s", res.Status, res.Body)
	}
	res.Decode(t, &campaign)

	notesWriter := env.Token(tenant, []rapport.Scope{rapport.ScopeNotesWrite})
	patronsWriter := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsWrite})
	interactionsWriter := env.Token(tenant, []rapport.Scope{rapport.ScopeInteractionsWrite})
	feedbackWriter := env.Token(tenant, []rapport.Scope{rapport.ScopeFeedbackWrite})
	otherWriter := env.Token(other, []rapport.Scope{rapport.ScopeNotesWrite, rapport.ScopePatronsWrite, rapport.ScopeInteractionsWrite, rapport.ScopeFeedbackWrite})
	for _, tt := range []struct {
		name, method, path, token string
		body                      any
		location                  bool // a create: the answer says where the record is
	}{
		{"PATCH {} a note", http.MethodPatch, notePath, notesWriter, map[string]any{}, false},
		{"create a note", http.MethodPost, patronPath + "/notes", notesWriter, map[string]any{"body": "Likes chess"}, true},
		{"PATCH {} a patron", http.MethodPatch, patronPath, patronsWriter, map[string]any{}, false},
		{"create a patron", http.MethodPost, "/v1/patrons", patronsWriter, map[string]any{"school_id": school, "role": "student", "given_name": "Sam", "family_name": "Lee"}, true},
		{"PATCH {} an interaction", http.MethodPatch, "/v1/interactions/" + interaction.Id.String(), interactionsWriter, map[string]any{}, false},
		{"check in", http.MethodPost, patronPath + "/visits", interactionsWriter, nil, true},
		{"PATCH {} a feedback item", http.MethodPatch, "/v1/feedback/" + feedback.Id.String(), feedbackWriter, map[string]any{}, false},
		{"me too", http.MethodPost, "/v1/feedback/" + feedback.Id.String() + "/supporters", feedbackWriter, nil, false},
		{"PATCH {} a campaign", http.MethodPatch, "/v1/campaigns/" + campaign.Id.String(), feedbackWriter, map[string]any{}, false},
		{"deactivate a patron", http.MethodDelete, patronPath, patronsWriter, nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Another district's writer does not find the record at all.
			if !tt.location {
				if res := env.Call(tt.method, tt.path, otherWriter, tt.body); res.Status != http.StatusNotFound {
					t.Errorf("another district: %s %s = %d, want 404", tt.method, tt.path, res.Status)
				}
			}
			res := env.Call(tt.method, tt.path, tt.token, tt.body)
			if res.Status != http.StatusNoContent || len(res.Body) != 0 || res.Header.Get("ETag") == "" {
				t.Fatalf("%s %s = %d, ETag %q: %s; want 204 with an ETag and no body", tt.method, tt.path, res.Status, res.Header.Get("ETag"), res.Body)
			}
			if got := res.Header.Get("Location"); tt.location != (got != "") {
				t.Errorf("Location = %q, want one only for a create", got)
			}
		})
	}

	// A reader of both is answered the record, and its read of the note is logged.
	desk := env.Token(tenant, []rapport.Scope{rapport.ScopeNotesRead, rapport.ScopeNotesWrite})
	res = env.Call(http.MethodPatch, "/v1/notes/"+note.Id.String(), desk, map[string]any{"kind": "mention"})
	var patched api.Note
	res.Decode(t, &patched)
	if res.Status != http.StatusOK || patched.Body != "Her brother is in hospital" {
		t.Errorf("PATCH by a reader = %d %+v, want 200 with the note", res.Status, patched)
	}
	var log api.AccessLogList
	mustGet(t, env, admin, patronPath+"/access-log", &log)
	deskID := clientIDOf(t, env, desk)
	if !slices.ContainsFunc(log.Data, func(e api.AccessLogEntry) bool { return e.Resource == "note" && e.AccessedBy.ClientId == deskID }) {
		t.Errorf("access log = %+v; want the note answered to the PATCH logged", log.Data)
	}
	if slices.ContainsFunc(log.Data, func(e api.AccessLogEntry) bool { return e.AccessedBy.ClientId == clientIDOf(t, env, notesWriter) }) {
		t.Errorf("access log = %+v; the blind writer read nothing", log.Data)
	}

	// Erasure needs admin, not patrons:read: an admin without it gets 204 too.
	eraser := env.Token(tenant, []rapport.Scope{rapport.ScopeAdmin})
	if res := env.Call(http.MethodPost, patronPath+"/erase", eraser, nil); res.Status != http.StatusNoContent || len(res.Body) != 0 {
		t.Errorf("erase by an admin without patrons:read = %d %s, want 204", res.Status, res.Body)
	}
}

func TestOnlyTheAuthorOrAnAdminChangesWhoReadsANote(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	other := env.NewTenant("Other Elementary")
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez")
	desk := env.Token(tenant, []rapport.Scope{rapport.ScopeNotesRead, rapport.ScopeNotesWrite})
	colleague := env.Token(tenant, []rapport.Scope{rapport.ScopeNotesRead, rapport.ScopeNotesWrite})
	admin := env.Token(tenant, nil)
	write := func(visibility string) string {
		t.Helper()
		res := env.Call(http.MethodPost, "/v1/patrons/"+patron.ID.String()+"/notes", desk,
			map[string]any{"body": "Prefers graphic novels", "visibility": visibility}, "Acting-User", "ms.lee")
		if res.Status != http.StatusCreated {
			t.Fatalf("create note = %d: %s", res.Status, res.Body)
		}
		var n api.Note
		res.Decode(t, &n)
		return "/v1/notes/" + n.Id.String()
	}
	path := write("library")

	for _, tt := range []struct {
		name, token, actingUser string
		want                    int
	}{
		{"another client", colleague, "ms.lee", http.StatusForbidden},
		{"the same client for another librarian", desk, "mr.kim", http.StatusForbidden},
		{"the same client for nobody", desk, "", http.StatusForbidden},
		{"another district", env.Token(other, nil), "", http.StatusNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if res := env.Call(http.MethodPatch, path, tt.token, map[string]any{"visibility": "school"}, "Acting-User", tt.actingUser); res.Status != tt.want {
				t.Errorf("change visibility = %d, want %d: %s", res.Status, tt.want, res.Body)
			}
			if res := env.Call(http.MethodDelete, path, tt.token, nil, "Acting-User", tt.actingUser); res.Status != tt.want {
				t.Errorf("delete = %d, want %d: %s", res.Status, tt.want, res.Body)
			}
		})
	}
	// A colleague may still correct it or close its follow-up; only the visibility is hers.
	if res := env.Call(http.MethodPatch, path, colleague, map[string]any{"kind": "preference", "visibility": "library"}); res.Status != http.StatusOK {
		t.Errorf("a colleague's correction (visibility unchanged) = %d, want 200: %s", res.Status, res.Body)
	}
	if res := env.Call(http.MethodPatch, path, desk, map[string]any{"visibility": "author"}, "Acting-User", "ms.lee"); res.Status != http.StatusOK {
		t.Errorf("the author makes it hers alone = %d, want 200: %s", res.Status, res.Body)
	}
	if res := env.Call(http.MethodPatch, path, admin, map[string]any{"visibility": "library"}); res.Status != http.StatusNotFound {
		t.Errorf("an admin on someone's author-only note = %d, want 404: it cannot see it", res.Status)
	}
	adminPath := write("library")
	if res := env.Call(http.MethodPatch, adminPath, admin, map[string]any{"visibility": "school"}); res.Status != http.StatusOK {
		t.Errorf("an admin changes the visibility = %d, want 200: %s", res.Status, res.Body)
	}
	if res := env.Call(http.MethodDelete, adminPath, admin, nil); res.Status != http.StatusNoContent {
		t.Errorf("an admin deletes = %d, want 204: %s", res.Status, res.Body)
	}
}

func TestActingUser(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez")
	notes := "/v1/patrons/" + patron.ID.String() + "/notes"
	desk, deskSecret := env.NewClient(tenant, rapport.ClientCreate{Name: "Desk", Scopes: rapport.AllScopes,
		ActingUsers: []string{"Ms.Lee@Lincoln.example.org"}})
	deskToken := env.TokenOf(desk, deskSecret)
	kiosk, kioskSecret := env.NewClient(tenant, rapport.ClientCreate{Name: "Kiosk", Scopes: rapport.AllScopes})
	kioskToken := env.TokenOf(kiosk, kioskSecret)

	res := env.Call(http.MethodPost, notes, deskToken, map[string]any{"body": "Seemed upset today", "visibility": "author"},
		"Acting-User", "  MS.LEE@lincoln.EXAMPLE.org")
	if res.Status != http.StatusCreated {
		t.Fatalf("create as ms.lee = %d: %s", res.Status, res.Body)
	}
	var n api.Note
	res.Decode(t, &n)
	if deref(n.CreatedBy.ActingUser) != "ms.lee@lincoln.example.org" || n.CreatedBy.ActingUserSource == nil ||
		*n.CreatedBy.ActingUserSource != api.ClientAssertion {
		t.Errorf("created_by = %+v; want the normalised name, asserted by the client", n.CreatedBy)
	}

	for _, tt := range []struct {
		name, token, actingUser string
		want                    int
	}{
		{"a name not registered on the client", deskToken, "mr.kim@lincoln.example.org", http.StatusForbidden},
		{"a client with no names registered", kioskToken, "ms.lee@lincoln.example.org", http.StatusForbidden},
		{"a name that cannot be one", deskToken, "ms.lee\u202e@lincoln.example.org", http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, call := range []struct{ method, path string }{{http.MethodGet, notes}, {http.MethodGet, "/v1/schools"}} {
				res := env.Call(call.method, call.path, tt.token, nil, "Acting-User", tt.actingUser)
				if res.Status != tt.want || !slices.Contains(res.Pointers(t), "#/header/Acting-User") {
					t.Errorf("%s %s = %d %v, want %d blaming the header", call.method, call.path, res.Status, res.Pointers(t), tt.want)
				}
			}
		})
	}

	// A public page needs no token: one sent with a name it may not use changes nothing.
	board := "/v1/public/schools/" + tenant.Schools[0].Slug + "/you-said-we-did"
	if res := env.Call(http.MethodGet, board, kioskToken, nil, "Acting-User", "ms.lee@lincoln.example.org"); res.Status != http.StatusOK {
		t.Errorf("the public board with a refused Acting-User = %d, want 200: %s", res.Status, res.Body)
	}

	// Her author-only note is hers through the desk alone: the kiosk cannot name her.
	var list api.NoteList
	mustGet(t, env, deskToken, notes, &list, "Acting-User", "ms.lee@lincoln.example.org")
	if len(list.Data) != 1 {
		t.Errorf("ms.lee through the desk sees %d notes, want her one", len(list.Data))
	}
	mustGet(t, env, kioskToken, notes, &list)
	if len(list.Data) != 0 {
		t.Errorf("the kiosk sees %d notes, want none", len(list.Data))
	}

	// The access log says the name was the client's assertion.
	var log api.AccessLogList
	mustGet(t, env, kioskToken, "/v1/patrons/"+patron.ID.String()+"/access-log", &log)
	var asserted int
	for _, e := range log.Data {
		if deref(e.AccessedBy.ActingUser) == "ms.lee@lincoln.example.org" {
			if e.AccessedBy.ActingUserSource == nil || *e.AccessedBy.ActingUserSource != api.ClientAssertion {
				t.Errorf("access log entry %+v does not say the name was asserted", e.AccessedBy)
			}
			asserted++
		}
	}
	if asserted != 2 { // the create, answered with the body, and the list
		t.Errorf("access log holds %d reads by ms.lee, want 2: %+v", asserted, log.Data)
	}
}

func TestMovedPatronIsNotShownToTheOldSchool(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	lincoln, adams := tenant.Schools[0], tenant.Schools[1]
	admin := env.Token(tenant, nil)
	patron := env.NewPatron(lincoln, "Maya", "Lopez")
	// A referral and a follow-up at Lincoln, then Maya moves to Adams.
	if res := env.Call(http.MethodPost, "/v1/interactions", admin, map[string]any{"school_id": lincoln.ID, "patron_ids": []uuid.UUID{patron.ID},
		"kind": "reference", "outcome": "referred", "referral": map[string]any{"to_name": "Ms. Rivera", "to_role": "counselor"}}); res.Status != http.StatusCreated {
		t.Fatalf("create referral = %d: %s", res.Status, res.Body)
	}
	if res := env.Call(http.MethodPost, "/v1/patrons/"+patron.ID.String()+"/notes", admin,
		map[string]any{"body": "Science fair", "follow_up": map[string]any{"prompt": "Ask how it went"}}); res.Status != http.StatusCreated {
		t.Fatalf("create note = %d: %s", res.Status, res.Body)
	}
	// shown answers the patron details the token sees in the referral and in the follow-up; a
	// follow-up moves with its patron's notes, so the old school no longer lists it at all.
	shown := func(token string) (referral, followUp string) {
		t.Helper()
		var refs api.ReferralList
		mustGet(t, env, token, "/v1/referrals", &refs)
		var todo api.FollowUpList
		mustGet(t, env, token, "/v1/follow-ups", &todo)
		if len(refs.Data) != 1 || len(todo.Data) > 1 {
			t.Fatalf("%d referrals and %d follow-ups, want one and at most one", len(refs.Data), len(todo.Data))
		}
		for _, p := range refs.Data[0].Patrons {
			referral += p.DisplayName + " " + string(deref(p.Grade))
		}
		if len(todo.Data) == 1 {
			followUp = "(a follow-up)"
			if p := todo.Data[0].Patron; p != nil {
				followUp = p.DisplayName
			}
		}
		return referral, followUp
	}
	lincolnDesk := env.Token(tenant, []rapport.Scope{rapport.ScopeInteractionsRead, rapport.ScopeNotesRead, rapport.ScopePatronsRead}, lincoln.ID)
	if r, f := shown(lincolnDesk); r == "" || f != "Maya Lopez" {
		t.Fatalf("before the move Lincoln's desk sees %q and %q, want Maya in both", r, f)
	}
	if res := env.Call(http.MethodPatch, "/v1/patrons/"+patron.ID.String(), admin, map[string]any{"school_id": adams.ID, "grade": "07"}); res.Status != http.StatusOK {
		t.Fatalf("move = %d: %s", res.Status, res.Body)
	}
	if r, f := shown(lincolnDesk); r != "" || f != "" {
		t.Errorf("after the move Lincoln's desk sees %q and %q, want neither her name nor her new grade", r, f)
	}
	// Without patrons:read, no one sees patron details there.
	blind := env.Token(tenant, []rapport.Scope{rapport.ScopeInteractionsRead, rapport.ScopeNotesRead})
	if r, f := shown(blind); r != "" || f != "(a follow-up)" {
		t.Errorf("without patrons:read: %q and %q, want the follow-up without her details", r, f)
	}
	if r, f := shown(admin); r != "Maya Lopez 07" || f != "Maya Lopez" {
		t.Errorf("the district's admin sees %q and %q, want Maya in both", r, f)
	}
}

func TestChangesToDecidedFeedbackAreInItsHistory(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	writer := env.Token(tenant, nil)
	f := newFeedback(t, env, writer, map[string]any{"school_id": tenant.Schools[0].ID, "source": "email", "summary": "A 3D printer", "public": false})
	id := f.Id.String()
	if res := env.Call(http.MethodPatch, "/v1/feedback/"+id, writer, map[string]any{"category": "equipment"}); res.Status != http.StatusOK {
		t.Fatalf("an edit before the decision = %d: %s", res.Status, res.Body)
	}
	moveTo(t, env, writer, id, "acted_on")
	decided := time.Now().UTC()

	res := env.Call(http.MethodPatch, "/v1/feedback/"+id, writer, map[string]any{"summary": "A laser cutter", "public": true}, "Acting-User", "ms.lee")
	if res.Status != http.StatusOK {
		t.Fatalf("edit after the decision = %d: %s", res.Status, res.Body)
	}
	res = env.Call(http.MethodPatch, "/v1/feedback/"+id, writer, map[string]any{"received_at": decided.Add(time.Minute).Format(time.RFC3339Nano)})
	if res.Status != http.StatusUnprocessableEntity || !slices.Contains(res.Pointers(t), "#/received_at") {
		t.Errorf("received after the decision = %d %v, want 422 blaming received_at", res.Status, res.Pointers(t))
	}
	backDated := decided.Add(-30 * 24 * time.Hour).Truncate(time.Second)
	if res := env.Call(http.MethodPatch, "/v1/feedback/"+id, writer, map[string]any{"received_at": backDated.Format(time.RFC3339)}); res.Status != http.StatusOK {
		t.Fatalf("back-dating = %d: %s", res.Status, res.Body)
	}

	var h api.FeedbackHistory
	mustGet(t, env, writer, "/v1/feedback/"+id+"/history", &h)
	var edits []api.FeedbackTransition
	for _, e := range h.Data {
		if e.Kind == api.Edit {
			edits = append(edits, e)
		}
	}
	if len(edits) != 2 {
		t.Fatalf("history = %+v; want two edits, both after the decision (the one before is not history)", h.Data)
	}
	first := *edits[0].Changes
	jsonOf := func(v api.FieldValue) string { b, _ := v.MarshalJSON(); return string(b) }
	if first["summary"] == nil || jsonOf(first["summary"].From) != `"A 3D printer"` || jsonOf(first["summary"].To) != `"A laser cutter"` ||
		first["public"] == nil || jsonOf(first["public"].From) != "false" || jsonOf(first["public"].To) != "true" || len(first) != 2 {
		t.Errorf("first edit = %+v; want summary and public, before and after", first)
	}
	if edits[0].From != api.FeedbackStatusActedOn || edits[0].To != api.FeedbackStatusActedOn || deref(edits[0].By.ActingUser) != "ms.lee" {
		t.Errorf("first edit = %+v; want it at acted_on, by ms.lee", edits[0])
	}
	if c := (*edits[1].Changes)["received_at"]; c == nil || len(*edits[1].Changes) != 1 {
		t.Errorf("second edit = %+v; want received_at only", *edits[1].Changes)
	}
}

func TestConflictsDoNotTellOneDistrictAboutAnother(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	other := env.NewTenant("Other Elementary")
	admin, otherAdmin := env.Token(tenant, nil), env.Token(other, nil)
	if res := env.Call(http.MethodPost, "/v1/clients", admin, map[string]any{"name": "Desk", "client_id": "desk-app", "scopes": []string{"patrons:read"}}); res.Status != http.StatusCreated {
		t.Fatalf("create client = %d: %s", res.Status, res.Body)
	}
	taken := func(token, path string, body map[string]any) api.Problem {
		t.Helper()
		res := env.Call(http.MethodPost, path, token, body)
		if res.Status != http.StatusConflict {
			t.Fatalf("POST %s %v = %d, want 409: %s", path, body, res.Status, res.Body)
		}
		return res.Problem(t)
	}
	for _, tt := range []struct {
		path string
		body map[string]any
	}{
		{"/v1/schools", map[string]any{"name": "Lincoln again", "slug": tenant.Schools[0].Slug}},
		{"/v1/clients", map[string]any{"name": "Desk again", "client_id": "desk-app", "scopes": []string{"patrons:read"}}},
	} {
		// The value is unique across districts (public addresses and the token endpoint carry
		// none), so the clash itself cannot be hidden; what is said about it can: not who holds
		// it, not that it is another school or client, the same words in either district.
		own, foreign := taken(admin, tt.path, tt.body), taken(otherAdmin, tt.path, tt.body)
		detail := deref(foreign.Detail)
		if detail != deref(own.Detail) || !strings.Contains(detail, "is not available") ||
			strings.Contains(detail, "another school") || strings.Contains(detail, "another client") || strings.Contains(detail, "district") || strings.Contains(detail, "taken") {
			t.Errorf("POST %s: the same district hears %q, another hears %q; want one \"is not available\" that says nothing of who holds it",
				tt.path, deref(own.Detail), detail)
		}
	}
}
