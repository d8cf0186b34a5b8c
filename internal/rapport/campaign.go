package rapport

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// CampaignKind says what sort of gathering of feedback a campaign was.
type CampaignKind string

// The kinds of campaign.
const (
	CampaignSurvey     CampaignKind = "survey"
	CampaignFocusGroup CampaignKind = "focus_group"
	CampaignOther      CampaignKind = "other"
)

var campaignKinds = []CampaignKind{CampaignSurvey, CampaignFocusGroup, CampaignOther}

// Source is the source of the feedback a campaign of this kind gathers.
func (k CampaignKind) Source() FeedbackSource {
	switch k {
	case CampaignSurvey:
		return SourceSurvey
	case CampaignFocusGroup:
		return SourceFocusGroup
	}
	return SourceOther
}

// MaxBatch is the most feedback items one batch of a campaign may hold.
const MaxBatch = 200

// Campaign is a survey, focus group or other session that gathered feedback at a school.
type Campaign struct {
	ID               uuid.UUID
	DistrictID       uuid.UUID
	SchoolID         uuid.UUID
	Kind             CampaignKind
	Title            string
	HeldOn           time.Time // a day (midnight UTC)
	ParticipantCount *int      // nil when unknown
	Notes            string
	Counts           CampaignCounts
	Version          int // rises with changes of the campaign and of its items' decisions
	CreatedAt        time.Time
	CreatedBy        Actor
	UpdatedAt        time.Time
	UpdatedBy        Actor
}

// CampaignCounts says how far a campaign's items have come.
type CampaignCounts struct {
	Total           int
	Open            int // received or under review
	ActedOn         int
	ExplainedWhyNot int
}

// CampaignCreate is what it takes to add a campaign.
type CampaignCreate struct {
	SchoolID         uuid.UUID
	Kind             CampaignKind
	Title            string
	HeldOn           time.Time
	ParticipantCount *int
	Notes            string
}

// Campaign returns the campaign the request describes, with its fields checked; the error is
// of kind Unprocessable and points at every field at fault.
func (in CampaignCreate) Campaign() (Campaign, error) {
	c := Campaign{SchoolID: in.SchoolID, Kind: in.Kind, Title: in.Title, HeldOn: in.HeldOn,
		ParticipantCount: in.ParticipantCount, Notes: in.Notes}
	var p Problems
	if c.SchoolID == uuid.Nil {
		p.Add("#/school_id", "is required")
	}
	if c.HeldOn.IsZero() {
		p.Add("#/held_on", "is required")
	}
	return c.normalized(&p)
}

// CampaignPatch is a merge patch of a campaign. Its school never changes.
type CampaignPatch struct {
	Kind             *CampaignKind
	Title            *string
	HeldOn           *time.Time
	ParticipantCount Change[int]
	Notes            Change[string]
}

// Apply returns the campaign with the patch applied and its fields checked.
func (patch CampaignPatch) Apply(c Campaign) (Campaign, error) {
	if patch.Kind != nil {
		c.Kind = *patch.Kind
	}
	if patch.Title != nil {
		c.Title = *patch.Title
	}
	if patch.HeldOn != nil {
		c.HeldOn = *patch.HeldOn
	}
	if patch.ParticipantCount.Set {
		c.ParticipantCount = patch.ParticipantCount.Value
	}
	patch.Notes.ApplyTo(&c.Notes)
	var p Problems
	return c.normalized(&p)
}

func (c Campaign) normalized(p *Problems) (Campaign, error) {
	c.Title = strings.TrimSpace(c.Title)
	c.Notes = strings.TrimSpace(c.Notes)
	if !slices.Contains(campaignKinds, c.Kind) {
		p.Add("#/kind", "must be one of survey, focus_group, other")
	}
	checkLine(p, "#/title", c.Title, 200)
	if c.ParticipantCount != nil && (*c.ParticipantCount < 0 || *c.ParticipantCount > 100_000) {
		p.Add("#/participant_count", "must be between 0 and 100000")
	}
	if c.Notes != "" {
		checkText(p, "#/notes", c.Notes, 4000)
	}
	return c, p.Err()
}

// CampaignFilter narrows a list of campaigns. Zero fields do not filter.
type CampaignFilter struct {
	SchoolID uuid.UUID
	Kind     CampaignKind
}

// CampaignStore keeps campaigns. Every method sees only the campaigns of its scope's schools.
type CampaignStore interface {
	// ListCampaigns returns one page of campaigns, the most recently held first.
	ListCampaigns(ctx context.Context, scope TenantScope, filter CampaignFilter, page PageRequest) (Page[Campaign], error)
	// GetCampaign returns the campaign with the counts of its items, or an error of kind
	// NotFound.
	GetCampaign(ctx context.Context, scope TenantScope, id uuid.UUID) (Campaign, error)
	// CreateCampaign adds a campaign to a school of the scope: Unprocessable.
	CreateCampaign(ctx context.Context, scope TenantScope, by Actor, in CampaignCreate) (Campaign, error)
	// UpdateCampaign applies a merge patch: NotFound, PreconditionFailed, Unprocessable.
	UpdateCampaign(ctx context.Context, scope TenantScope, by Actor, id uuid.UUID, match Match, patch CampaignPatch) (Campaign, error)
	// CreateCampaignFeedback records a batch of items from the campaign, all or nothing: an
	// error of kind Unprocessable points at every field at fault as #/items/<i>/<field>.
	// The items take the campaign's school and, unless they say otherwise, its kind as their
	// source.
	CreateCampaignFeedback(ctx context.Context, scope TenantScope, by Actor, id uuid.UUID, items []FeedbackCreate) ([]FeedbackItem, error)
}
