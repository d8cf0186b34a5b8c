package rapport

import (
	"context"
	"regexp"
	"time"

	"github.com/google/uuid"
)

// SchoolStatus says whether a school is in use.
type SchoolStatus string

// The statuses of a school.
const (
	SchoolActive   SchoolStatus = "active"
	SchoolInactive SchoolStatus = "inactive"
)

// School is a school of a district, with its own library.
type School struct {
	ID         uuid.UUID
	DistrictID uuid.UUID
	Name       string
	Slug       string // unique across Rapport; names the school in public addresses
	SourcedID  string // OneRoster sourcedId, unique within the district; empty when unknown
	TimeZone   string // IANA name
	Status     SchoolStatus
	Version    int
	CreatedAt  time.Time
	CreatedBy  Actor
	UpdatedAt  time.Time
	UpdatedBy  Actor
}

// SchoolFilter narrows a list of schools.
type SchoolFilter struct {
	Status SchoolStatus // empty for any
}

// SchoolCreate is what it takes to add a school.
type SchoolCreate struct {
	Name      string
	Slug      string
	SourcedID string       // optional
	TimeZone  string       // defaults to UTC
	Status    SchoolStatus // defaults to active
}

// SchoolPatch is a merge patch of a school: nil members are left alone.
type SchoolPatch struct {
	Name      *string
	Slug      *string
	SourcedID Change[string]
	TimeZone  *string
	Status    *SchoolStatus
}

// SchoolStore keeps schools. Every method sees only the schools of its scope.
type SchoolStore interface {
	// ListSchools returns one page of schools, ordered by name.
	ListSchools(ctx context.Context, scope TenantScope, filter SchoolFilter, page PageRequest) (Page[School], error)
	// GetSchool returns the school, or an error of kind NotFound.
	GetSchool(ctx context.Context, scope TenantScope, id uuid.UUID) (School, error)
	// CreateSchool adds a school to the scope's district. A slug or sourced id already taken is
	// an error of kind Conflict pointing at the field.
	CreateSchool(ctx context.Context, scope TenantScope, by Actor, in SchoolCreate) (School, error)
	// UpdateSchool applies patch to the school: NotFound when it is not in scope,
	// PreconditionFailed when match does not hold, Conflict on a taken slug or sourced id.
	UpdateSchool(ctx context.Context, scope TenantScope, by Actor, id uuid.UUID, match Match, patch SchoolPatch) (School, error)
}

var slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// Normalize fills in defaults and checks the fields, returning an error of kind Unprocessable
// that points at every field at fault.
func (in *SchoolCreate) Normalize() error {
	if in.TimeZone == "" {
		in.TimeZone = "UTC"
	}
	if in.Status == "" {
		in.Status = SchoolActive
	}
	var p Problems
	checkPublicLine(&p, "#/name", in.Name, 200)
	checkSlug(&p, "#/slug", in.Slug)
	if in.SourcedID != "" {
		checkLine(&p, "#/sourced_id", in.SourcedID, 255)
	}
	checkTimeZone(&p, "#/time_zone", in.TimeZone)
	checkSchoolStatus(&p, "#/status", in.Status)
	return p.Err()
}

// Validate checks the members the patch sets.
func (patch SchoolPatch) Validate() error {
	var p Problems
	if patch.Name != nil {
		checkPublicLine(&p, "#/name", *patch.Name, 200)
	}
	if patch.Slug != nil {
		checkSlug(&p, "#/slug", *patch.Slug)
	}
	if v := patch.SourcedID.Value; v != nil {
		checkLine(&p, "#/sourced_id", *v, 255)
	}
	if patch.TimeZone != nil {
		checkTimeZone(&p, "#/time_zone", *patch.TimeZone)
	}
	if patch.Status != nil {
		checkSchoolStatus(&p, "#/status", *patch.Status)
	}
	return p.Err()
}

// Apply returns the school with the patch applied.
func (patch SchoolPatch) Apply(s School) School {
	if patch.Name != nil {
		s.Name = *patch.Name
	}
	if patch.Slug != nil {
		s.Slug = *patch.Slug
	}
	patch.SourcedID.ApplyTo(&s.SourcedID)
	if patch.TimeZone != nil {
		s.TimeZone = *patch.TimeZone
	}
	if patch.Status != nil {
		s.Status = *patch.Status
	}
	return s
}

func checkSlug(p *Problems, pointer, s string) {
	if len(s) < 3 || len(s) > 63 || !slugPattern.MatchString(s) {
		p.Add(pointer, "must be 3 to 63 lower-case letters, digits and single hyphens, like \"lincoln-high\"")
	}
}

func checkTimeZone(p *Problems, pointer, tz string) {
	if tz == "" || tz == "Local" || len(tz) > 64 {
		p.Add(pointer, "must be an IANA time zone such as \"America/Chicago\"")
		return
	}
	if _, err := time.LoadLocation(tz); err != nil {
		p.Add(pointer, "must be an IANA time zone such as \"America/Chicago\"")
	}
}

func checkSchoolStatus(p *Problems, pointer string, s SchoolStatus) {
	if s != SchoolActive && s != SchoolInactive {
		p.Add(pointer, "must be \"active\" or \"inactive\"")
	}
}
