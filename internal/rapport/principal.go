package rapport

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Scope is a permission an API client holds.
type Scope string

// The scopes of the API.
const (
	ScopeAdmin             Scope = "admin"
	ScopePatronsRead       Scope = "patrons:read"
	ScopePatronsWrite      Scope = "patrons:write"
	ScopePhotosRead        Scope = "photos:read"
	ScopePhotosWrite       Scope = "photos:write"
	ScopePhotosStaff       Scope = "photos:staff"
	ScopeNotesRead         Scope = "notes:read"
	ScopeNotesWrite        Scope = "notes:write"
	ScopeNotesSchool       Scope = "notes:school"
	ScopeInteractionsRead  Scope = "interactions:read"
	ScopeInteractionsWrite Scope = "interactions:write"
	ScopeFeedbackRead      Scope = "feedback:read"
	ScopeFeedbackWrite     Scope = "feedback:write"
	ScopeStatsRead         Scope = "stats:read"
	ScopeChangesRead       Scope = "changes:read"
	ScopeWebhooksManage    Scope = "webhooks:manage"
	ScopeImportsWrite      Scope = "imports:write"
)

// AllScopes lists every scope, in the order the API documents them.
var AllScopes = []Scope{
	ScopeAdmin, ScopePatronsRead, ScopePatronsWrite, ScopePhotosRead, ScopePhotosWrite,
	ScopePhotosStaff, ScopeNotesRead, ScopeNotesWrite, ScopeNotesSchool, ScopeInteractionsRead,
	ScopeInteractionsWrite, ScopeFeedbackRead, ScopeFeedbackWrite, ScopeStatsRead,
	ScopeChangesRead, ScopeWebhooksManage, ScopeImportsWrite,
}

// ValidScope reports whether s names a scope of the API.
func ValidScope(s Scope) bool {
	return slices.Contains(AllScopes, s)
}

// CLIClientID is the client id recorded for changes made from the command line.
const CLIClientID = "rapport-cli"

// ActingUserSource says how Rapport learned the member of staff an actor acted for.
type ActingUserSource string

// The sources of an acting user.
const (
	// AssertedByClient is an Acting-User header: the API client named the person, and Rapport
	// checked only that the client's admin registered that name for it.
	AssertedByClient ActingUserSource = "client_assertion"
)

// Actor is who made a change: an API client and, when a front end named one, the member of
// staff it acted for (the Acting-User header, normalised).
type Actor struct {
	ClientID         string           // the OAuth client_id, or CLIClientID
	ActingUser       string           // empty when none was named
	ActingUserSource ActingUserSource // how the acting user is known; empty when there is none
}

// Same reports whether a and b are the same client acting for the same person, whatever the
// source of the name: the test of authorship.
func (a Actor) Same(b Actor) bool {
	return a.ClientID == b.ClientID && a.ActingUser == b.ActingUser
}

// TenantScope limits what a caller can see: one district and, when SchoolIDs is not nil, only those
// schools of it. Records outside the scope do not exist as far as the caller can tell.
type TenantScope struct {
	DistrictID uuid.UUID
	SchoolIDs  []uuid.UUID // nil means every school of the district
}

// AllSchools reports whether the scope covers every school of its district.
func (s TenantScope) AllSchools() bool {
	return s.SchoolIDs == nil
}

// HasSchool reports whether the scope covers the school with the given id. It does not check
// that the school belongs to the district; storage does that.
func (s TenantScope) HasSchool(id uuid.UUID) bool {
	return s.SchoolIDs == nil || slices.Contains(s.SchoolIDs, id)
}

// Principal is an authenticated API client as a request sees it.
type Principal struct {
	ClientUUID uuid.UUID // the client's record id
	ClientID   string    // the OAuth client_id
	Tenant     TenantScope
	Scopes     []Scope   // what the token holds
	ExpiresAt  time.Time // when the token stops working
	// ActingUsers are the members of staff the client may name in Acting-User (normalised),
	// as an admin registered them on the client.
	ActingUsers []string
	ActingUser  string // the request's Acting-User, normalised and allowed; "" when none
	// PhotoPurpose is what the client uses photos for ("" when it is no photo consumer), and
	// PhotoDailyCap the most single photos it may read a day (0: the server's default).
	PhotoPurpose  PhotoPurpose
	PhotoDailyCap int
	RequestID     string // the id of the request, for the access log
}

// HasScope reports whether the principal holds scope s.
func (p *Principal) HasScope(s Scope) bool {
	return slices.Contains(p.Scopes, s)
}

// CanSeePatron reports whether the principal may see the details (name, grade, homeroom) of a
// patron whose current school is schoolID: it needs patrons:read and that school in its scope.
// Records that only refer to a patron, such as a referral or a follow-up, show the patron's
// details on this condition alone, so that a patron who moved away is not shown to the old
// school.
func (p *Principal) CanSeePatron(schoolID uuid.UUID) bool {
	return p.HasScope(ScopePatronsRead) && p.Tenant.HasSchool(schoolID)
}

// Actor returns who the principal's changes are recorded as.
func (p *Principal) Actor() Actor {
	a := Actor{ClientID: p.ClientID, ActingUser: p.ActingUser}
	if a.ActingUser != "" {
		a.ActingUserSource = AssertedByClient
	}
	return a
}

// ActFor sets the member of staff the principal acts for from an Acting-User header: the name
// is normalised (NormalizeActingUser) and must be one of the principal's ActingUsers. An
// empty header acts for nobody. Otherwise the error is of kind Forbidden, or Invalid for a
// value that cannot be a name at all.
func (p *Principal) ActFor(header string) error {
	if header == "" {
		p.ActingUser = ""
		return nil
	}
	name, err := NormalizeActingUser(header)
	if err != nil {
		return &Error{Kind: Invalid, Message: "Acting-User " + err.Error(),
			Fields: []FieldError{{Pointer: "#/header/Acting-User", Detail: err.Error()}}}
	}
	if !slices.Contains(p.ActingUsers, name) {
		return FieldErrorf(Forbidden, "#/header/Acting-User",
			"the client may not act for %q: an admin registers the staff a client may name in its acting_users", name)
	}
	p.ActingUser = name
	return nil
}

type principalKey struct{}

// NewContextWithPrincipal returns a copy of ctx that carries p.
func NewContextWithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFromContext returns the principal ctx carries, or nil.
func PrincipalFromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
