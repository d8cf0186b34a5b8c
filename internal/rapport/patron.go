package rapport

import (
	"context"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// PatronRole is what a patron is to the school.
type PatronRole string

// The roles of a patron.
const (
	RoleStudent       PatronRole = "student"
	RoleTeacher       PatronRole = "teacher"
	RoleAdministrator PatronRole = "administrator"
	RoleStaff         PatronRole = "staff"
	RoleGuardian      PatronRole = "guardian"
	RoleOther         PatronRole = "other"
)

var patronRoles = []PatronRole{RoleStudent, RoleTeacher, RoleAdministrator, RoleStaff, RoleGuardian, RoleOther}

// PatronStatus says whether a patron is current.
type PatronStatus string

// The statuses of a patron.
const (
	PatronActive   PatronStatus = "active"
	PatronInactive PatronStatus = "inactive"
)

// Grades are the CEDS grade level codes a patron's grade may take.
var Grades = []string{"PK", "KG", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13"}

// Patron is a person a library serves: a student, teacher, member of staff, guardian or other.
// Optional text fields are empty when unknown.
type Patron struct {
	ID                uuid.UUID
	DistrictID        uuid.UUID
	SchoolID          uuid.UUID
	Role              PatronRole
	GivenName         string
	FamilyName        string
	PreferredName     string
	Pronouns          string
	NamePronunciation string
	Grade             string
	Homeroom          string
	Email             string
	SourcedID         string // OneRoster sourcedId; unique within the district
	SISID             string // unique within the district
	Barcode           string // unique within the district
	LMSID             string // unique within the district
	Status            PatronStatus
	Interests         []string
	ErasedAt          time.Time // zero unless the personal data was erased
	Version           int
	CreatedAt         time.Time
	CreatedBy         Actor
	UpdatedAt         time.Time
	UpdatedBy         Actor
}

// DisplayName is the name to greet the patron with: the preferred name, or else the given
// name, then the family name.
func (p Patron) DisplayName() string {
	first := p.PreferredName
	if first == "" {
		first = p.GivenName
	}
	return strings.TrimSpace(first + " " + p.FamilyName)
}

// ErasedText stands in for free text that an erasure removed where the record needs some text
// (a feedback item's summary, a decision, a referral's closing note).
const ErasedText = "(erased)"

// Erased reports whether the patron's personal data was erased.
func (p Patron) Erased() bool {
	return !p.ErasedAt.IsZero()
}

// PatronCreate is what it takes to add a patron. Optional fields are empty when absent.
type PatronCreate struct {
	SchoolID          uuid.UUID
	Role              PatronRole
	GivenName         string
	FamilyName        string
	PreferredName     string
	Pronouns          string
	NamePronunciation string
	Grade             string
	Homeroom          string
	Email             string
	SourcedID         string
	SISID             string
	Barcode           string
	LMSID             string
	Status            PatronStatus // defaults to active
	Interests         []string
}

// Patron returns the patron the request describes, with defaults filled in and its fields
// checked; the error is of kind Unprocessable and points at every field at fault.
func (in PatronCreate) Patron() (Patron, error) {
	p := Patron{
		SchoolID: in.SchoolID, Role: in.Role, GivenName: in.GivenName, FamilyName: in.FamilyName,
		PreferredName: in.PreferredName, Pronouns: in.Pronouns, NamePronunciation: in.NamePronunciation,
		Grade: in.Grade, Homeroom: in.Homeroom, Email: in.Email, SourcedID: in.SourcedID, SISID: in.SISID,
		Barcode: in.Barcode, LMSID: in.LMSID, Status: in.Status, Interests: in.Interests,
	}
	if p.Status == "" {
		p.Status = PatronActive
	}
	return p.normalized()
}

// PatronPatch is a merge patch of a patron: nil pointers and unset changes leave a field alone.
type PatronPatch struct {
	SchoolID          *uuid.UUID
	Role              *PatronRole
	GivenName         *string
	FamilyName        *string
	PreferredName     Change[string]
	Pronouns          Change[string]
	NamePronunciation Change[string]
	Grade             Change[string]
	Homeroom          Change[string]
	Email             Change[string]
	SourcedID         Change[string]
	SISID             Change[string]
	Barcode           Change[string]
	LMSID             Change[string]
	Status            *PatronStatus
	Interests         *[]string // replaces the list
}

// Apply returns the patron with the patch applied and its fields checked.
func (patch PatronPatch) Apply(p Patron) (Patron, error) {
	if patch.SchoolID != nil {
		p.SchoolID = *patch.SchoolID
	}
	if patch.Role != nil {
		p.Role = *patch.Role
	}
	if patch.GivenName != nil {
		p.GivenName = *patch.GivenName
	}
	if patch.FamilyName != nil {
		p.FamilyName = *patch.FamilyName
	}
	for _, c := range []struct {
		change Change[string]
		field  *string
	}{
		{patch.PreferredName, &p.PreferredName}, {patch.Pronouns, &p.Pronouns},
		{patch.NamePronunciation, &p.NamePronunciation}, {patch.Grade, &p.Grade},
		{patch.Homeroom, &p.Homeroom}, {patch.Email, &p.Email}, {patch.SourcedID, &p.SourcedID},
		{patch.SISID, &p.SISID}, {patch.Barcode, &p.Barcode}, {patch.LMSID, &p.LMSID},
	} {
		c.change.ApplyTo(c.field)
	}
	if patch.Status != nil {
		p.Status = *patch.Status
	}
	if patch.Interests != nil {
		p.Interests = *patch.Interests
	}
	return p.normalized()
}

// normalized trims the text fields, puts the names in Unicode normalization form C, tidies the
// interests (trimmed, lower case, no repeats) and checks every field.
func (p Patron) normalized() (Patron, error) {
	for _, f := range []*string{&p.Pronouns, &p.NamePronunciation, &p.Homeroom, &p.Email} {
		*f = strings.TrimSpace(*f)
	}
	for _, f := range []*string{&p.GivenName, &p.FamilyName, &p.PreferredName} {
		*f = normalizeName(*f)
	}
	var interests []string
	for _, s := range p.Interests {
		s = strings.ToLower(strings.TrimSpace(s))
		if !slices.Contains(interests, s) {
			interests = append(interests, s)
		}
	}
	p.Interests = interests
	if p.Interests == nil {
		p.Interests = []string{}
	}

	var pr Problems
	if p.SchoolID == uuid.Nil {
		pr.Add("#/school_id", "is required")
	}
	if !slices.Contains(patronRoles, p.Role) {
		pr.Add("#/role", "must be one of student, teacher, administrator, staff, guardian, other")
	}
	checkName(&pr, "#/given_name", p.GivenName, 100)
	checkName(&pr, "#/family_name", p.FamilyName, 100)
	if p.PreferredName != "" {
		checkName(&pr, "#/preferred_name", p.PreferredName, 100)
	}
	for _, f := range []struct {
		pointer, value string
		max            int
	}{
		{"#/pronouns", p.Pronouns, 40},
		{"#/name_pronunciation", p.NamePronunciation, 100}, {"#/homeroom", p.Homeroom, 50},
		{"#/sourced_id", p.SourcedID, 255}, {"#/sis_id", p.SISID, 255},
		{"#/barcode", p.Barcode, 255}, {"#/lms_id", p.LMSID, 255},
	} {
		if f.value != "" {
			checkLine(&pr, f.pointer, f.value, f.max)
		}
	}
	if p.Grade != "" && !slices.Contains(Grades, p.Grade) {
		pr.Add("#/grade", "must be a CEDS grade code: PK, KG or 01 to 13")
	}
	if p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email || len(p.Email) > 254 {
			pr.Add("#/email", "must be an email address such as name@school.org")
		}
	}
	if p.Status != PatronActive && p.Status != PatronInactive {
		pr.Add("#/status", "must be \"active\" or \"inactive\"")
	}
	if len(p.Interests) > 30 {
		pr.Add("#/interests", "must list at most 30 interests")
	}
	for i, s := range p.Interests {
		checkLine(&pr, pointerf("#/interests/%d", i), s, 50)
	}
	return p, pr.Err()
}

// PatronFilter narrows a list of patrons. Zero fields do not filter.
type PatronFilter struct {
	SchoolID     uuid.UUID
	Role         PatronRole
	Grade        string
	Status       PatronStatus
	UpdatedSince time.Time // also orders the list by update time
	SourcedID    string
	SISID        string
	Barcode      string
	LMSID        string
	Query        string // name search; the answer is ranked and has no further pages
}

// PatronStore keeps patrons. Every method sees only the patrons of its scope's schools.
type PatronStore interface {
	// ListPatrons returns one page of patrons: ordered by name, by update time when the filter
	// has UpdatedSince, or ranked by match when it has a Query (one page only).
	ListPatrons(ctx context.Context, scope TenantScope, filter PatronFilter, page PageRequest) (Page[Patron], error)
	// GetPatron returns the patron, or an error of kind NotFound.
	GetPatron(ctx context.Context, scope TenantScope, id uuid.UUID) (Patron, error)
	// CreatePatron adds a patron to a school of the scope: NotFound when the school is not in
	// scope, Conflict pointing at an identifier another patron of the district has.
	CreatePatron(ctx context.Context, scope TenantScope, by Actor, in PatronCreate) (Patron, error)
	// UpdatePatron applies a merge patch: NotFound, PreconditionFailed, Conflict (a taken
	// identifier, or an erased patron), Unprocessable.
	UpdatePatron(ctx context.Context, scope TenantScope, by Actor, id uuid.UUID, match Match, patch PatronPatch) (Patron, error)
	// DeactivatePatron makes the patron inactive: NotFound, PreconditionFailed.
	DeactivatePatron(ctx context.Context, scope TenantScope, by Actor, id uuid.UUID, match Match) (Patron, error)
	// ErasePatron removes the patron's personal data and notes, the free text written about
	// them alone (the summaries, comments and referral contact and closing note of their own
	// interactions; the summary, details and decision text of their feedback, which leaves the
	// public board, and the text of its history), and every stored answer to an
	// Idempotency-Key retry that holds their id. The records stay, for counts: NotFound,
	// PreconditionFailed. Erasing an erased patron changes nothing.
	ErasePatron(ctx context.Context, scope TenantScope, by Actor, id uuid.UUID, match Match) (Patron, error)
}
