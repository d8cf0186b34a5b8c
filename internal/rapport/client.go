package rapport

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ClientStatus says whether an API client may still get and use tokens.
type ClientStatus string

// The statuses of an API client.
const (
	ClientActive  ClientStatus = "active"
	ClientRevoked ClientStatus = "revoked"
)

// Client is an API client: a machine caller limited to one district, optionally to some of its
// schools, and to scopes. Its secret is kept only as a hash and never leaves storage.
type Client struct {
	ID              uuid.UUID
	ClientID        string // what the client sends to the token endpoint
	Name            string
	DistrictID      uuid.UUID
	SchoolIDs       []uuid.UUID // empty means every school of the district
	Scopes          []Scope
	ActingUsers     []string     // the staff it may name in Acting-User, normalised and sorted
	PhotoPurpose    PhotoPurpose // what it uses photos for; "" when it is no photo consumer
	PhotoDailyCap   int          // the most single photos it may read a day; 0 for the server's default
	Status          ClientStatus
	RevokedAt       time.Time // zero unless revoked
	SecretRotatedAt time.Time // zero until the first rotation
	LastTokenAt     time.Time // zero until the first token
	Version         int
	CreatedAt       time.Time
	CreatedBy       Actor
	UpdatedAt       time.Time
	UpdatedBy       Actor
}

// Tenant returns the scope of what the client may see.
func (c Client) Tenant() TenantScope {
	t := TenantScope{DistrictID: c.DistrictID}
	if len(c.SchoolIDs) > 0 {
		t.SchoolIDs = c.SchoolIDs
	}
	return t
}

// ClientCreate is what it takes to create an API client.
type ClientCreate struct {
	Name        string
	ClientID    string // optional; a random one is made when empty
	Scopes      []Scope
	SchoolIDs   []uuid.UUID // optional; empty means every school of the district
	ActingUsers []string    // optional; the staff it may name in Acting-User
	// PhotoPurpose and PhotoDailyCap are optional: they make the client a photo consumer.
	PhotoPurpose  PhotoPurpose
	PhotoDailyCap int
}

// ClientPatch is a merge patch of an API client: nil leaves a field alone. Its client_id, its
// district and its secret do not change this way.
type ClientPatch struct {
	Name        *string
	Scopes      *[]Scope
	SchoolIDs   *[]uuid.UUID // an empty list means every school of the district
	ActingUsers *[]string
	// PhotoPurpose and PhotoDailyCap may be cleared (null).
	PhotoPurpose  Change[PhotoPurpose]
	PhotoDailyCap Change[int]
}

// Apply returns what the client asks for once patched, as a ClientCreate, so that the same
// validation and the same CheckGrant apply to changing a client as to creating one.
func (patch ClientPatch) Apply(c Client) ClientCreate {
	next := ClientCreate{Name: c.Name, ClientID: c.ClientID, Scopes: c.Scopes, SchoolIDs: c.SchoolIDs, ActingUsers: c.ActingUsers,
		PhotoPurpose: c.PhotoPurpose, PhotoDailyCap: c.PhotoDailyCap}
	if patch.Name != nil {
		next.Name = *patch.Name
	}
	if patch.Scopes != nil {
		next.Scopes = *patch.Scopes
	}
	if patch.SchoolIDs != nil {
		next.SchoolIDs = *patch.SchoolIDs
	}
	if patch.ActingUsers != nil {
		next.ActingUsers = *patch.ActingUsers
	}
	patch.PhotoPurpose.ApplyTo(&next.PhotoPurpose)
	patch.PhotoDailyCap.ApplyTo(&next.PhotoDailyCap)
	return next
}

// ClientCredentials is what the token endpoint needs to know of a client.
type ClientCredentials struct {
	Client     Client
	SecretHash []byte
}

// TokenGrant is an access token as storage keeps it: only the hash of the token itself.
type TokenGrant struct {
	Hash      []byte
	ClientID  uuid.UUID
	Scopes    []Scope
	ExpiresAt time.Time
}

// ClientStore keeps API clients and their tokens. Methods taking a scope or a principal see only
// the clients of its district and, when it is limited to some schools, only clients limited to
// some of those schools.
type ClientStore interface {
	// ListClients returns one page of clients, newest first.
	ListClients(ctx context.Context, scope TenantScope, page PageRequest) (Page[Client], error)
	// GetClient returns the client, or an error of kind NotFound.
	GetClient(ctx context.Context, scope TenantScope, id uuid.UUID) (Client, error)
	// CreateClient stores a new client with the given secret hash. A client_id already taken
	// is Conflict; a school outside the district is Unprocessable. The caller has checked the
	// grant (CheckGrant).
	CreateClient(ctx context.Context, scope TenantScope, by Actor, in ClientCreate, secretHash []byte) (Client, error)
	// UpdateClient applies a merge patch: NotFound, PreconditionFailed, Forbidden unless the
	// principal controls the client (CheckControl) and may grant what it asks for (CheckGrant),
	// Unprocessable, Conflict when the client is revoked. Changing its scopes or schools
	// deletes its tokens.
	UpdateClient(ctx context.Context, p *Principal, id uuid.UUID, match Match, patch ClientPatch) (Client, error)
	// RevokeClient marks the client revoked and deletes its tokens: NotFound,
	// PreconditionFailed, Forbidden unless the principal controls the client.
	RevokeClient(ctx context.Context, p *Principal, id uuid.UUID, match Match) (Client, error)
	// RotateClientSecret replaces the secret hash and deletes the client's tokens: NotFound,
	// PreconditionFailed, Forbidden unless the principal controls the client, or Conflict when
	// the client is revoked.
	RotateClientSecret(ctx context.Context, p *Principal, id uuid.UUID, match Match, secretHash []byte) (Client, error)

	// GetClientCredentials returns the client with the OAuth client_id, revoked or not, or an
	// error of kind NotFound.
	GetClientCredentials(ctx context.Context, clientID string) (ClientCredentials, error)
	// CreateToken stores a token grant and notes the time on the client.
	CreateToken(ctx context.Context, grant TokenGrant) error
	// GetPhotoURLPrincipal returns the principal of the active client with the OAuth client_id
	// and the secret of its signed photo URLs: NotFound when there is no such client, it is
	// revoked, or it has no such secret.
	GetPhotoURLPrincipal(ctx context.Context, clientID string) (Principal, []byte, error)
	// SetPhotoURLSecret gives the client a new secret for its signed photo URLs: NotFound,
	// PreconditionFailed, Forbidden unless the principal controls the client, Conflict when
	// the client is revoked or reads no photos.
	SetPhotoURLSecret(ctx context.Context, p *Principal, id uuid.UUID, match Match, secret []byte) (Client, error)
	// GetTokenPrincipal returns the principal of the token with the given hash, with the staff
	// its client may act for, or an error of kind NotFound when the token is unknown, expired,
	// or its client is revoked.
	GetTokenPrincipal(ctx context.Context, tokenHash []byte) (Principal, error)
	// DeleteExpiredTokens removes tokens that expired before the given time.
	DeleteExpiredTokens(ctx context.Context, before time.Time) (int64, error)
	// ListClientChanges returns the changes of API clients (of every district) recorded after
	// the given time, oldest first.
	ListClientChanges(ctx context.Context, since time.Time) ([]ClientChange, error)
}

// ClientChange is a change of an API client in the change feed, as the replicas that cache
// its tokens learn of it.
type ClientChange struct {
	Event    string // the event's cursor: the same change read twice has the same
	ClientID uuid.UUID
	At       time.Time
}

var clientIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{3,64}$`)

// actingUserPattern is what a normalised acting user looks like: an e-mail address or a staff
// id in lower case, nothing that could forge a log line or hide a character.
var actingUserPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._%+'@-]{0,253}$`)

// NormalizeActingUser returns the canonical form of a member of staff's e-mail or staff id:
// trimmed and in lower case, so that "Ms.Garcia@School.org" and "ms.garcia@school.org" are one
// person. A value that is not 1 to 254 letters, digits and . _ % + ' @ - is an error.
func NormalizeActingUser(s string) (string, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if !actingUserPattern.MatchString(name) {
		return "", errors.New("must be an e-mail address or staff id: 1 to 254 letters, digits and . _ % + ' @ -, starting with a letter or digit")
	}
	return name, nil
}

// The most acting users and schools a client may list (openapi.yaml says the same).
const (
	maxActingUsers   = 1000
	maxClientSchools = 1000
	maxPhotoDailyCap = 10_000_000
)

// Validate normalises the acting users (NormalizeActingUser: sorted, without duplicates) and
// checks the request on its own terms, pointing at every field at fault.
func (in *ClientCreate) Validate() error {
	var p Problems
	checkLine(&p, "#/name", in.Name, 200)
	if in.ClientID != "" && !clientIDPattern.MatchString(in.ClientID) {
		p.Add("#/client_id", "must be 3 to 64 letters, digits, dots, hyphens or underscores")
	}
	if in.ClientID == CLIClientID {
		p.Add("#/client_id", "%q is reserved", CLIClientID)
	}
	if len(in.Scopes) == 0 {
		p.Add("#/scopes", "must name at least one scope")
	}
	for i, s := range in.Scopes {
		if !ValidScope(s) {
			p.Add(pointerf("#/scopes/%d", i), "%q is not a scope", s)
		}
	}
	// Each scope once, in the order given: the API's schema says so, and the CLI may repeat one.
	scopes := make([]Scope, 0, len(in.Scopes))
	for _, s := range in.Scopes {
		if !slices.Contains(scopes, s) {
			scopes = append(scopes, s)
		}
	}
	in.Scopes = scopes
	if len(in.SchoolIDs) > maxClientSchools {
		p.Add("#/school_ids", "must list at most %d schools", maxClientSchools)
	}
	names := make([]string, 0, len(in.ActingUsers))
	for i, s := range in.ActingUsers {
		name, err := NormalizeActingUser(s)
		if err != nil {
			p.Add(pointerf("#/acting_users/%d", i), "%s", err.Error())
			continue
		}
		names = append(names, name)
	}
	if len(names) > maxActingUsers {
		p.Add("#/acting_users", "must list at most %d people", maxActingUsers)
	}
	slices.Sort(names)
	in.ActingUsers = slices.Compact(names)
	if in.PhotoPurpose != "" && !ValidPhotoPurpose(in.PhotoPurpose) {
		p.Add("#/photo_purpose", "%q is not a photo purpose", in.PhotoPurpose)
	}
	if in.PhotoDailyCap < 0 || in.PhotoDailyCap > maxPhotoDailyCap {
		p.Add("#/photo_daily_cap", "must be from 1 to %d photos a day", maxPhotoDailyCap)
	}
	return p.Err()
}

// CheckControl returns an error of kind Forbidden unless the principal may change, revoke or
// rotate the secret of the client: a principal controls only clients that hold no scope it
// lacks and, when it is limited to some schools, only clients limited to some of those (storage
// shows it no others). Otherwise an admin token narrowed to fewer scopes, or a school-limited
// admin, could take over a client that holds more.
func (p *Principal) CheckControl(c Client) error {
	for _, s := range c.Scopes {
		if !p.HasScope(s) {
			return Errorf(Forbidden, "the client holds %s, which the caller does not: only a client holding every scope of another may change it", s)
		}
	}
	if err := p.checkPhotoGrant(c.PhotoPurpose, c.PhotoDailyCap, ""); err != nil {
		return err
	}
	if p.Tenant.AllSchools() {
		return nil
	}
	if len(c.SchoolIDs) == 0 {
		return Errorf(Forbidden, "the client may see every school of the district; a client limited to some schools cannot change it")
	}
	for _, id := range c.SchoolIDs {
		if !slices.Contains(p.Tenant.SchoolIDs, id) {
			return Errorf(Forbidden, "the client may see a school the caller may not; only a client allowed all of its schools may change it")
		}
	}
	return nil
}

// CheckGrant returns an error of kind Forbidden when the principal may not create the client:
// it can grant only scopes it holds, and when it is limited to some schools, it can create only
// clients limited to some of those schools.
func (p *Principal) CheckGrant(in ClientCreate) error {
	for i, s := range in.Scopes {
		if !p.HasScope(s) {
			return &Error{Kind: Forbidden, Message: "a client can grant only scopes it holds",
				Fields: []FieldError{{Pointer: pointerf("#/scopes/%d", i), Detail: "the caller does not hold " + string(s)}}}
		}
	}
	if err := p.checkPhotoGrant(in.PhotoPurpose, in.PhotoDailyCap, "#/photo_purpose"); err != nil {
		return err
	}
	if p.Tenant.AllSchools() {
		return nil
	}
	if len(in.SchoolIDs) == 0 {
		return FieldErrorf(Forbidden, "#/school_ids", "a client limited to some schools can create only clients limited to some of them")
	}
	for i, id := range in.SchoolIDs {
		if !slices.Contains(p.Tenant.SchoolIDs, id) {
			return FieldErrorf(Forbidden, pointerf("#/school_ids/%d", i), "the caller is not allowed this school")
		}
	}
	return nil
}

// checkPhotoGrant returns an error of kind Forbidden when the principal may not give a client
// the photo purpose and daily cap (or, with pointer "", may not control a client that has
// them): library staff (photos:staff) may give any; a consumer only its own purpose, with no
// larger cap than its own. Otherwise a consumer of photos consented for the LMS could make
// itself a client that reads those consented for the desk.
func (p *Principal) checkPhotoGrant(purpose PhotoPurpose, dailyCap int, pointer string) error {
	if purpose == "" || p.HasScope(ScopePhotosStaff) {
		return nil
	}
	fail := func(msg string) error {
		if pointer == "" {
			return Errorf(Forbidden, "%s; only a caller with photos:staff may change it", msg)
		}
		return FieldErrorf(Forbidden, pointer, "%s; only a caller with photos:staff may give it", msg)
	}
	if purpose != p.PhotoPurpose {
		return fail(fmt.Sprintf("the client uses photos for %s, which the caller does not", purpose))
	}
	if p.PhotoDailyCap > 0 && (dailyCap == 0 || dailyCap > p.PhotoDailyCap) {
		return fail(fmt.Sprintf("the client may read more photos a day than the caller (%d)", p.PhotoDailyCap))
	}
	return nil
}
