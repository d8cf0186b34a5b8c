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

// Actor is who made a change: an API client and, when a front end named one, the member of
// staff it acted for (the Acting-User header).
type Actor struct {
	ClientID   string // the OAuth client_id, or CLIClientID
	ActingUser string // empty when none was named
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
	ActingUser string    // the Acting-User header of the request, if any
	RequestID  string    // the id of the request, for the access log
}

// HasScope reports whether the principal holds scope s.
func (p *Principal) HasScope(s Scope) bool {
	return slices.Contains(p.Scopes, s)
}

// Actor returns who the principal's changes are recorded as.
func (p *Principal) Actor() Actor {
	return Actor{ClientID: p.ClientID, ActingUser: p.ActingUser}
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
