package rapport

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// District is a school district: the unit of tenancy. Every record belongs to one district.
type District struct {
	ID        uuid.UUID
	Name      string
	Slug      string
	SourcedID string // OneRoster sourcedId of the district org; empty when unknown
	Version   int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// DistrictStore keeps districts.
type DistrictStore interface {
	// GetDistrict returns the district of the scope.
	GetDistrict(ctx context.Context, scope TenantScope) (District, error)
}

// DistrictCreate is what it takes to add a district.
type DistrictCreate struct {
	Name      string
	Slug      string
	SourcedID string // optional
}

// Validate checks the fields, pointing at every field at fault.
func (in DistrictCreate) Validate() error {
	var p Problems
	checkLine(&p, "#/name", in.Name, 200)
	checkSlug(&p, "#/slug", in.Slug)
	if in.SourcedID != "" {
		checkLine(&p, "#/sourced_id", in.SourcedID, 255)
	}
	return p.Err()
}
