package rapport

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Pledge is one version of a school library's service pledge: what patrons should feel, know
// and have access to, and the text of the pledge.
type Pledge struct {
	DistrictID  uuid.UUID
	SchoolID    uuid.UUID
	Version     int // 1 for the first pledge, rising with each new one
	Feel        string
	Know        string
	Access      string
	Text        string
	PublishedAt time.Time
	PublishedBy Actor
}

// PledgeDraft is the content of a pledge to publish.
type PledgeDraft struct {
	Feel   string
	Know   string
	Access string
	Text   string
}

// Normalize trims the text and checks it, returning an error of kind Unprocessable that
// points at every field at fault.
func (d *PledgeDraft) Normalize() error {
	var p Problems
	for _, f := range []struct {
		pointer string
		value   *string
		max     int
	}{
		{"#/feel", &d.Feel, 2000}, {"#/know", &d.Know, 2000}, {"#/access", &d.Access, 2000}, {"#/text", &d.Text, 8000},
	} {
		*f.value = strings.TrimSpace(*f.value)
		checkPublicText(&p, f.pointer, *f.value, f.max)
	}
	return p.Err()
}

// Same reports whether the pledge says what the draft says.
func (pl Pledge) Same(d PledgeDraft) bool {
	return pl.Feel == d.Feel && pl.Know == d.Know && pl.Access == d.Access && pl.Text == d.Text
}

// PublicPledge is the current pledge of a school as the public page shows it: without who
// published it.
type PublicPledge struct {
	School PublicSchool
	Pledge Pledge // PublishedBy is not set
}

// PledgeStore keeps service pledges. Every method but GetPublicPledge sees only the schools of
// its scope.
type PledgeStore interface {
	// GetPledge returns the school's current pledge: NotFound when the school is not in scope
	// or has no pledge yet.
	GetPledge(ctx context.Context, scope TenantScope, schoolID uuid.UUID) (Pledge, error)
	// ListPledgeVersions returns one page of the school's pledges, newest first: NotFound.
	ListPledgeVersions(ctx context.Context, scope TenantScope, schoolID uuid.UUID, page PageRequest) (Page[Pledge], error)
	// PublishPledge makes the draft the school's pledge as a new version, and reports whether
	// it did: a draft that says what the current pledge says changes nothing. Match applies to
	// the current version (0 when there is none). NotFound, PreconditionFailed, Unprocessable.
	PublishPledge(ctx context.Context, scope TenantScope, by Actor, schoolID uuid.UUID, match Match, d PledgeDraft) (Pledge, bool, error)
	// GetPublicPledge returns the current pledge of the active school with the slug: NotFound
	// when there is no such school or it has no pledge. It needs no scope: pledges are public.
	GetPublicPledge(ctx context.Context, slug string) (PublicPledge, error)
}
