package rapport

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
)

// InteractionKind is the kind of service an interaction was.
type InteractionKind string

// The kinds of service.
const (
	ServiceVisit           InteractionKind = "visit"
	ServiceReference       InteractionKind = "reference"
	ServiceReadersAdvisory InteractionKind = "readers_advisory"
	ServiceTechHelp        InteractionKind = "tech_help"
	ServiceResearchHelp    InteractionKind = "research_help"
	ServiceInstruction     InteractionKind = "instruction"
	ServiceClassVisit      InteractionKind = "class_visit"
	ServiceEvent           InteractionKind = "event"
	ServiceOther           InteractionKind = "other"
)

// InteractionKinds lists every kind of service, in the order the API documents them.
var InteractionKinds = []InteractionKind{
	ServiceVisit, ServiceReference, ServiceReadersAdvisory, ServiceTechHelp, ServiceResearchHelp,
	ServiceInstruction, ServiceClassVisit, ServiceEvent, ServiceOther,
}

// InteractionChannel is how the service was given.
type InteractionChannel string

// The channels of service.
const (
	ViaInPerson InteractionChannel = "in_person"
	ViaEmail    InteractionChannel = "email"
	ViaChat     InteractionChannel = "chat"
	ViaPhone    InteractionChannel = "phone"
	ViaLMS      InteractionChannel = "lms"
	ViaVideo    InteractionChannel = "video"
)

// InteractionChannels lists every channel, in the order the API documents them.
var InteractionChannels = []InteractionChannel{ViaInPerson, ViaEmail, ViaChat, ViaPhone, ViaLMS, ViaVideo}

// Outcome is how an interaction ended.
type Outcome string

// The outcomes of an interaction.
const (
	OutcomeAnswered   Outcome = "answered"
	OutcomeReferred   Outcome = "referred"   // the patron was pointed to someone; see Referral
	OutcomeFollowUp   Outcome = "follow_up"  // the library owes the patron more
	OutcomeUnresolved Outcome = "unresolved" // the need was not met
)

// Outcomes lists every outcome, in the order the API documents them.
var Outcomes = []Outcome{OutcomeAnswered, OutcomeReferred, OutcomeFollowUp, OutcomeUnresolved}

// ReferralState says whether the loop of a referral is closed.
type ReferralState string

// The states of a referral.
const (
	ReferralMade   ReferralState = "made"
	ReferralClosed ReferralState = "closed"
)

// Limits of an interaction's values.
const (
	MaxInteractionPatrons = 200    // a larger group is counted in HeadCount
	MaxHeadCount          = 10_000 // an assembly, not a stadium
	MinReadLevel          = 1      // READ scale: least effort, no resources, under five minutes
	MaxReadLevel          = 6      // READ scale: most effort, in-depth or multi-session research
	MaxDurationMinutes    = 24 * 60
	MaxSatisfaction       = 5
	// MaxClockSkew is how far in the future occurred_at may lie, for the clocks of the callers.
	MaxClockSkew = 5 * time.Minute
)

// earliestOccurredAt is the earliest occurred_at accepted: anything before it is a typing slip
// (year 0001, 1925 for 2025) that would spoil statistics.
var earliestOccurredAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Referral is the person in the librarian's network a patron was pointed to, and whether the
// loop closed.
type Referral struct {
	ToName     string // whom the patron was pointed to
	ToRole     string // what they are, e.g. "counselor", "public librarian"
	Contact    string // how to reach them; empty when not recorded
	State      ReferralState
	ClosedNote string    // how it ended; set exactly when closed
	ClosedAt   time.Time // zero while made
	ClosedBy   Actor
}

// Satisfaction is the patron's rating of the service, 1 to 5, with an optional comment.
type Satisfaction struct {
	Rating  int
	Comment string
}

// Interaction is one act of service: the reference question answered, the student pointed to
// the right person, the class that visited. Optional text is empty and optional numbers are
// zero when absent.
type Interaction struct {
	ID              uuid.UUID
	DistrictID      uuid.UUID
	SchoolID        uuid.UUID
	PatronIDs       []uuid.UUID // the patrons served; none for an anonymous head count
	HeadCount       int         // the people served: at least one, and at least len(PatronIDs)
	Kind            InteractionKind
	Channel         InteractionChannel
	Summary         string
	Outcome         Outcome
	Referral        *Referral // set exactly when Outcome is OutcomeReferred
	ReadLevel       int       // effort on the READ scale, 1–6
	DurationMinutes int
	OccurredAt      time.Time // when it happened; on a new interaction, zero means when it is recorded
	Satisfaction    *Satisfaction
	Version         int
	CreatedAt       time.Time // when it was recorded
	CreatedBy       Actor     // who recorded it
	UpdatedAt       time.Time
	UpdatedBy       Actor
}

// InteractionCreate is what it takes to record an interaction.
type InteractionCreate struct {
	SchoolID        uuid.UUID
	PatronIDs       []uuid.UUID
	HeadCount       int                // defaults to the number of patrons; required without patrons
	Kind            InteractionKind    // required
	Channel         InteractionChannel // defaults to in_person
	Summary         string
	Outcome         Outcome
	Referral        *ReferralCreate // required exactly when Outcome is referred
	ReadLevel       int
	DurationMinutes int
	OccurredAt      time.Time // defaults to when it is recorded
	Satisfaction    *Satisfaction
}

// ReferralCreate is a referral recorded with its interaction. A referral recorded as closed
// needs its ClosedNote.
type ReferralCreate struct {
	ToName     string
	ToRole     string
	Contact    string
	State      ReferralState // defaults to made
	ClosedNote string
}

// VisitCreate is the quick check-in of one patron: a plain visit, logged as they walk in.
type VisitCreate struct {
	Channel    InteractionChannel // defaults to in_person
	OccurredAt time.Time          // defaults to when it is recorded
	Summary    string
}

// Interaction returns the interaction the request describes, with defaults filled in, or an
// error of kind Unprocessable pointing at every field at fault. A referral recorded as closed
// is closed by `by` at `now`.
func (in InteractionCreate) Interaction(by Actor, now time.Time) (Interaction, error) {
	it := Interaction{
		SchoolID: in.SchoolID, PatronIDs: in.PatronIDs, HeadCount: in.HeadCount, Kind: in.Kind,
		Channel: in.Channel, Summary: in.Summary, Outcome: in.Outcome, ReadLevel: in.ReadLevel,
		DurationMinutes: in.DurationMinutes, OccurredAt: in.OccurredAt, Satisfaction: in.Satisfaction,
	}
	if it.PatronIDs == nil {
		it.PatronIDs = []uuid.UUID{}
	}
	if it.Channel == "" {
		it.Channel = ViaInPerson
	}
	if it.HeadCount == 0 {
		it.HeadCount = len(it.PatronIDs)
	}
	if r := in.Referral; r != nil {
		it.Referral = &Referral{ToName: r.ToName, ToRole: r.ToRole, Contact: r.Contact, State: r.State, ClosedNote: r.ClosedNote}
		if it.Referral.State == "" {
			it.Referral.State = ReferralMade
		}
		if it.Referral.State == ReferralClosed {
			it.Referral.ClosedAt, it.Referral.ClosedBy = now, by
		}
	}
	var p Problems
	if it.SchoolID == uuid.Nil {
		p.Add("#/school_id", "is required")
	}
	it.check(&p, now)
	return it, p.Err()
}

// Interaction returns the visit of the patron as an interaction, or an error of kind
// Unprocessable. The school is the patron's, which storage fills in.
func (in VisitCreate) Interaction(patronID uuid.UUID, now time.Time) (Interaction, error) {
	it := Interaction{
		PatronIDs: []uuid.UUID{patronID}, HeadCount: 1, Kind: ServiceVisit, Channel: in.Channel,
		Summary: in.Summary, OccurredAt: in.OccurredAt,
	}
	if it.Channel == "" {
		it.Channel = ViaInPerson
	}
	var p Problems
	it.check(&p, now)
	return it, p.Err()
}

// InteractionPatch is a merge patch of an interaction: nil pointers and unset changes leave a
// field alone.
type InteractionPatch struct {
	SchoolID        *uuid.UUID
	PatronIDs       *[]uuid.UUID // replaces the list
	HeadCount       *int
	Kind            *InteractionKind
	Channel         *InteractionChannel
	Summary         Change[string]
	Outcome         Change[Outcome]
	Referral        Change[ReferralPatch] // null removes the referral
	ReadLevel       Change[int]
	DurationMinutes Change[int]
	OccurredAt      *time.Time
	Satisfaction    Change[SatisfactionPatch] // null removes the rating
}

// ReferralPatch changes an interaction's referral, or adds one (which needs ToName and
// ToRole). Setting State to closed needs a ClosedNote; setting it back to made clears the note.
type ReferralPatch struct {
	ToName     *string
	ToRole     *string
	Contact    Change[string]
	State      *ReferralState
	ClosedNote *string
}

// SatisfactionPatch changes a satisfaction rating, or adds one (which needs Rating).
type SatisfactionPatch struct {
	Rating  *int
	Comment Change[string]
}

// Apply returns the interaction with the patch applied and checked. When the patrons change
// and the patch does not set HeadCount, the head count rises to the number of patrons if it
// falls short. Closing the referral records `by` and `now`; reopening it clears them.
func (patch InteractionPatch) Apply(it Interaction, by Actor, now time.Time) (Interaction, error) {
	if patch.SchoolID != nil {
		it.SchoolID = *patch.SchoolID
	}
	if patch.HeadCount != nil {
		it.HeadCount = *patch.HeadCount
	}
	if patch.PatronIDs != nil {
		it.PatronIDs = *patch.PatronIDs
		if it.PatronIDs == nil {
			it.PatronIDs = []uuid.UUID{}
		}
		if patch.HeadCount == nil && it.HeadCount < len(it.PatronIDs) {
			it.HeadCount = len(it.PatronIDs)
		}
	}
	if patch.Kind != nil {
		it.Kind = *patch.Kind
	}
	if patch.Channel != nil {
		it.Channel = *patch.Channel
	}
	patch.Summary.ApplyTo(&it.Summary)
	patch.Outcome.ApplyTo(&it.Outcome)
	patch.ReadLevel.ApplyTo(&it.ReadLevel)
	patch.DurationMinutes.ApplyTo(&it.DurationMinutes)
	if patch.OccurredAt != nil {
		it.OccurredAt = *patch.OccurredAt
	}

	var p Problems
	if patch.Referral.Set {
		it.Referral = patch.Referral.Value.applyTo(&p, it.Referral, by, now)
	}
	if patch.Satisfaction.Set {
		it.Satisfaction = patch.Satisfaction.Value.applyTo(&p, it.Satisfaction)
	}
	it.check(&p, now)
	return it, p.Err()
}

// applyTo returns the referral r (nil when there is none) changed by the patch, or nil when
// the patch removes it. A problem is added when the patch cannot make a referral.
func (rp *ReferralPatch) applyTo(p *Problems, r *Referral, by Actor, now time.Time) *Referral {
	if rp == nil {
		return nil
	}
	var next Referral
	if r == nil {
		if rp.ToName == nil {
			p.Add("#/referral/to_name", "is required to add a referral")
		}
		if rp.ToRole == nil {
			p.Add("#/referral/to_role", "is required to add a referral")
		}
		next.State = ReferralMade
	} else {
		next = *r
	}
	if rp.ToName != nil {
		next.ToName = *rp.ToName
	}
	if rp.ToRole != nil {
		next.ToRole = *rp.ToRole
	}
	rp.Contact.ApplyTo(&next.Contact)
	if rp.State != nil && *rp.State != next.State {
		next.State = *rp.State
		next.ClosedNote, next.ClosedAt, next.ClosedBy = "", time.Time{}, Actor{}
		if next.State == ReferralClosed {
			next.ClosedAt, next.ClosedBy = now, by
		}
	}
	if rp.ClosedNote != nil {
		next.ClosedNote = *rp.ClosedNote
	}
	return &next
}

// applyTo returns the rating s (nil when there is none) changed by the patch, or nil when the
// patch removes it.
func (sp *SatisfactionPatch) applyTo(p *Problems, s *Satisfaction) *Satisfaction {
	if sp == nil {
		return nil
	}
	var next Satisfaction
	if s != nil {
		next = *s
	} else if sp.Rating == nil {
		p.Add("#/satisfaction/rating", "is required to add a satisfaction rating")
	}
	if sp.Rating != nil {
		next.Rating = *sp.Rating
	}
	sp.Comment.ApplyTo(&next.Comment)
	return &next
}

// check adds a problem for every field that breaks a rule. It does not check SchoolID, which a
// visit leaves to storage.
func (it Interaction) check(p *Problems, now time.Time) {
	n := len(it.PatronIDs)
	if n > MaxInteractionPatrons {
		p.Add("#/patron_ids", "must list at most %d patrons; count the others in head_count", MaxInteractionPatrons)
	} else {
		for i, id := range it.PatronIDs {
			switch {
			case id == uuid.Nil:
				p.Add(pointerf("#/patron_ids/%d", i), "is not a patron id")
			case slices.Contains(it.PatronIDs[:i], id):
				p.Add(pointerf("#/patron_ids/%d", i), "repeats a patron listed before")
			}
		}
	}
	switch {
	case it.HeadCount == 0 && n == 0:
		p.Add("#/head_count", "is required when no patron is named: say how many people were served")
	case it.HeadCount < 1 || it.HeadCount > MaxHeadCount:
		p.Add("#/head_count", "must be between 1 and %d", MaxHeadCount)
	case it.HeadCount < n:
		p.Add("#/head_count", "must be at least the number of patrons (%d)", n)
	}
	if !slices.Contains(InteractionKinds, it.Kind) {
		p.Add("#/kind", "must be one of visit, reference, readers_advisory, tech_help, research_help, instruction, class_visit, event, other")
	}
	if !slices.Contains(InteractionChannels, it.Channel) {
		p.Add("#/channel", "must be one of in_person, email, chat, phone, lms, video")
	}
	if it.Summary != "" {
		checkText(p, "#/summary", it.Summary, 2000)
	}
	if it.Outcome != "" && !slices.Contains(Outcomes, it.Outcome) {
		p.Add("#/outcome", "must be one of answered, referred, follow_up, unresolved")
	}
	if it.ReadLevel != 0 && (it.ReadLevel < MinReadLevel || it.ReadLevel > MaxReadLevel) {
		p.Add("#/read_level", "must be a READ scale level from %d to %d", MinReadLevel, MaxReadLevel)
	}
	if it.DurationMinutes < 0 || it.DurationMinutes > MaxDurationMinutes {
		p.Add("#/duration_minutes", "must be between 1 and %d minutes", MaxDurationMinutes)
	}
	if !it.OccurredAt.IsZero() {
		switch {
		case it.OccurredAt.After(now.Add(MaxClockSkew)):
			p.Add("#/occurred_at", "must not be in the future (more than %d minutes ahead)", int(MaxClockSkew.Minutes()))
		case it.OccurredAt.Before(earliestOccurredAt):
			p.Add("#/occurred_at", "must be in the year 2000 or later")
		}
	}
	switch {
	case it.Outcome == OutcomeReferred && it.Referral == nil:
		p.Add("#/referral", "is required when the outcome is referred: say whom the patron was pointed to")
	case it.Outcome != OutcomeReferred && it.Referral != nil:
		p.Add("#/referral", "is only for an interaction whose outcome is referred")
	}
	if r := it.Referral; r != nil {
		if !p.has("#/referral/to_name") {
			checkLine(p, "#/referral/to_name", r.ToName, 200)
		}
		if !p.has("#/referral/to_role") {
			checkLine(p, "#/referral/to_role", r.ToRole, 100)
		}
		if r.Contact != "" {
			checkLine(p, "#/referral/contact", r.Contact, 254)
		}
		switch r.State {
		case ReferralMade:
			if r.ClosedNote != "" {
				p.Add("#/referral/closed_note", "is only for a closed referral")
			}
		case ReferralClosed:
			if r.ClosedNote == "" {
				p.Add("#/referral/closed_note", "is required to close a referral: say how it ended")
			} else {
				checkText(p, "#/referral/closed_note", r.ClosedNote, 2000)
			}
		default:
			p.Add("#/referral/state", "must be \"made\" or \"closed\"")
		}
	}
	if s := it.Satisfaction; s != nil {
		if (s.Rating < 1 || s.Rating > MaxSatisfaction) && !p.has("#/satisfaction/rating") {
			p.Add("#/satisfaction/rating", "must be from 1 to %d", MaxSatisfaction)
		}
		if s.Comment != "" {
			checkText(p, "#/satisfaction/comment", s.Comment, 1000)
		}
	}
}

// has reports whether a problem with the field at pointer was added already, so that a field
// missing from a patch is not also reported as blank.
func (p *Problems) has(pointer string) bool {
	return slices.ContainsFunc(p.fields, func(f FieldError) bool { return f.Pointer == pointer })
}

// InteractionFilter narrows a list of interactions. Zero fields do not filter.
type InteractionFilter struct {
	SchoolID       uuid.UUID
	PatronID       uuid.UUID
	Kind           InteractionKind
	Channel        InteractionChannel
	Outcome        Outcome
	OccurredSince  time.Time // at or after
	OccurredBefore time.Time // strictly before
	UpdatedSince   time.Time // also orders the list by update time
}

// Validate returns an error of kind Invalid when the filter's range is empty by construction.
func (f InteractionFilter) Validate() error {
	if !f.OccurredSince.IsZero() && !f.OccurredBefore.IsZero() && !f.OccurredBefore.After(f.OccurredSince) {
		return FieldErrorf(Invalid, "#/query/occurred_before", "must be later than occurred_since")
	}
	return nil
}

// ReferralFilter narrows the list of referrals.
type ReferralFilter struct {
	SchoolID uuid.UUID     // zero for every school in scope
	State    ReferralState // defaults to made: the open ones
}

// ReferralItem is an interaction with a referral, with enough of its patrons to greet them.
type ReferralItem struct {
	Interaction Interaction
	// Patrons are those of the interaction's patrons the principal may see
	// (Principal.CanSeePatron), with only the fields of a summary set.
	Patrons []Patron
}

// InteractionStore keeps interactions. Every method sees only the interactions of its scope's
// schools.
type InteractionStore interface {
	// ListInteractions returns one page of interactions, newest (by occurred_at) first, or by
	// update time, oldest first, when the filter has UpdatedSince.
	ListInteractions(ctx context.Context, scope TenantScope, filter InteractionFilter, page PageRequest) (Page[Interaction], error)
	// ListPatronInteractions is ListInteractions for one patron's history: NotFound when the
	// patron is not in scope.
	ListPatronInteractions(ctx context.Context, scope TenantScope, patronID uuid.UUID, filter InteractionFilter, page PageRequest) (Page[Interaction], error)
	// GetInteraction returns the interaction, or an error of kind NotFound.
	GetInteraction(ctx context.Context, scope TenantScope, id uuid.UUID) (Interaction, error)
	// CreateInteraction records an interaction at a school of the scope: Unprocessable, pointing
	// at the school or at each patron that is not one of the school's (or was erased).
	CreateInteraction(ctx context.Context, scope TenantScope, by Actor, in InteractionCreate) (Interaction, error)
	// CreateVisit records a plain visit of the patron at the patron's school: NotFound when the
	// patron is not in scope, Conflict when the patron was erased, Unprocessable.
	CreateVisit(ctx context.Context, scope TenantScope, by Actor, patronID uuid.UUID, in VisitCreate) (Interaction, error)
	// UpdateInteraction applies a merge patch: NotFound, PreconditionFailed, Unprocessable.
	UpdateInteraction(ctx context.Context, scope TenantScope, by Actor, id uuid.UUID, match Match, patch InteractionPatch) (Interaction, error)
	// DeleteInteraction removes the interaction: NotFound, PreconditionFailed.
	DeleteInteraction(ctx context.Context, scope TenantScope, by Actor, id uuid.UUID, match Match) error
	// ListReferrals returns one page of the interactions with a referral in the filter's state,
	// newest first, with their patrons.
	ListReferrals(ctx context.Context, p *Principal, filter ReferralFilter, page PageRequest) (Page[ReferralItem], error)
}
