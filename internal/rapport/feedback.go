package rapport

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// FeedbackSource says how a feedback item reached the library.
type FeedbackSource string

// The sources of feedback.
const (
	SourceConversation  FeedbackSource = "conversation"
	SourceSurvey        FeedbackSource = "survey"
	SourceFocusGroup    FeedbackSource = "focus_group"
	SourceSuggestionBox FeedbackSource = "suggestion_box"
	SourceEmail         FeedbackSource = "email"
	SourceForm          FeedbackSource = "form"
	SourceOther         FeedbackSource = "other"
)

var feedbackSources = []FeedbackSource{SourceConversation, SourceSurvey, SourceFocusGroup, SourceSuggestionBox,
	SourceEmail, SourceForm, SourceOther}

// FeedbackStatus is where a feedback item stands in the loop.
type FeedbackStatus string

// The statuses of a feedback item.
const (
	FeedbackReceived    FeedbackStatus = "received"
	FeedbackUnderReview FeedbackStatus = "under_review"
	FeedbackActedOn     FeedbackStatus = "acted_on"          // decided: something was done
	FeedbackExplained   FeedbackStatus = "explained_why_not" // decided: nothing was done, and why
)

var feedbackStatuses = []FeedbackStatus{FeedbackReceived, FeedbackUnderReview, FeedbackActedOn, FeedbackExplained}

// Decided reports whether the status is a decision: acted on, or explained why not.
func (s FeedbackStatus) Decided() bool {
	return s == FeedbackActedOn || s == FeedbackExplained
}

// CanTransition reports whether the status machine allows an item to go from one status to
// another:
//
//	received ──► under_review ──► acted_on | explained_why_not
//	    └──────────────────────► acted_on | explained_why_not
//	acted_on | explained_why_not ──► under_review   (reopen)
//
// The database enforces the same machine with a trigger.
func CanTransition(from, to FeedbackStatus) bool {
	switch from {
	case FeedbackReceived:
		return to == FeedbackUnderReview || to.Decided()
	case FeedbackUnderReview:
		return to.Decided()
	case FeedbackActedOn, FeedbackExplained:
		return to == FeedbackUnderReview
	}
	return false
}

// CommunicationChannel says how a decision was told to the people who gave the feedback.
type CommunicationChannel string

// The channels of a communication.
const (
	ChannelInPerson    CommunicationChannel = "in_person"
	ChannelEmail       CommunicationChannel = "email"
	ChannelPhone       CommunicationChannel = "phone"
	ChannelChat        CommunicationChannel = "chat"
	ChannelLMS         CommunicationChannel = "lms"
	ChannelLetter      CommunicationChannel = "letter"
	ChannelNewsletter  CommunicationChannel = "newsletter"
	ChannelPublicBoard CommunicationChannel = "public_board"
	ChannelOther       CommunicationChannel = "other"
)

var communicationChannels = []CommunicationChannel{ChannelInPerson, ChannelEmail, ChannelPhone, ChannelChat, ChannelLMS,
	ChannelLetter, ChannelNewsletter, ChannelPublicBoard, ChannelOther}

// Limits of the text of a feedback item.
const (
	maxCategory = 50
	maxSummary  = 500
	maxDetails  = 4000
	maxDecision = 4000
)

// clockSkew is how far in the future a time sent by a caller may be, for clocks that run fast.
const clockSkew = 5 * time.Minute

// FeedbackItem is something a patron (or someone anonymous) told the library, and what the
// library did with it. Optional fields are zero when unknown.
type FeedbackItem struct {
	ID              uuid.UUID
	DistrictID      uuid.UUID
	SchoolID        uuid.UUID
	PatronID        uuid.UUID  // zero for anonymous feedback
	SubmitterRole   PatronRole // empty when unknown
	Source          FeedbackSource
	CampaignID      uuid.UUID // zero when it came from no campaign
	Category        string    // trimmed and lower case, so that a filter finds every spelling
	Summary         string
	Details         string
	SupportersCount int    // the "me too"s, not counting whoever gave the feedback
	Public          bool   // shown on the school's public board once decided and worded (OnPublicBoard)
	PublicSummary   string // what the board says was asked, written by staff for it; empty until written
	PublicDecision  string // what the board says was done or why not; empty until written, cleared on reopening
	Status          FeedbackStatus
	Resolution      string    // what was done, or the explanation given; set while decided
	DecidedAt       time.Time // zero while undecided
	DecidedBy       Actor
	CommunicatedAt  time.Time // zero until the decision was told
	Channel         CommunicationChannel
	CommunicatedBy  Actor
	ReceivedAt      time.Time // when the feedback was given
	Version         int
	CreatedAt       time.Time
	CreatedBy       Actor
	UpdatedAt       time.Time
	UpdatedBy       Actor
}

// FeedbackCreate is what it takes to record a feedback item. Optional fields are zero when
// absent.
type FeedbackCreate struct {
	SchoolID      uuid.UUID      // required, except in a campaign's batch, which has the campaign's
	PatronID      uuid.UUID      // optional: anonymous feedback has none
	SubmitterRole PatronRole     // defaults to the patron's role
	Source        FeedbackSource // defaults to the kind of the campaign; required without one
	CampaignID    uuid.UUID
	Category      string
	Summary       string
	Details       string
	Public        bool
	PublicSummary string
	ReceivedAt    time.Time // defaults to now
}

// Normalize trims the text, fills in the defaults that need nothing from storage, and adds a
// problem for every field at fault, with pointers under at ("#" for a single item,
// "#/items/3" for the fourth of a batch). A missing source is left for storage to default
// from the campaign, or to refuse.
func (in *FeedbackCreate) Normalize(p *Problems, at string, now time.Time) {
	in.Category = NormalizeCategory(in.Category)
	in.Summary = strings.TrimSpace(in.Summary)
	in.Details = strings.TrimSpace(in.Details)
	if in.ReceivedAt.IsZero() {
		in.ReceivedAt = now
	}
	if in.SchoolID == uuid.Nil {
		p.Add(at+"/school_id", "is required")
	}
	if in.SubmitterRole != "" {
		checkPatronRole(p, at+"/submitter_role", in.SubmitterRole)
	}
	if in.Source == "" && in.CampaignID == uuid.Nil {
		p.Add(at+"/source", "is required for feedback that came from no campaign")
	} else if in.Source != "" {
		checkSource(p, at+"/source", in.Source)
	}
	if in.Category != "" {
		checkPublicLine(p, at+"/category", in.Category, maxCategory)
	}
	checkLine(p, at+"/summary", in.Summary, maxSummary)
	if in.Details != "" {
		checkText(p, at+"/details", in.Details, maxDetails)
	}
	if in.PublicSummary != "" {
		checkPublicLine(p, at+"/public_summary", in.PublicSummary, maxSummary)
	}
	checkNotFuture(p, at+"/received_at", in.ReceivedAt, now)
}

// Item returns the new item the request describes. Call it after Normalize and after storage
// filled in the defaults.
func (in FeedbackCreate) Item() FeedbackItem {
	return FeedbackItem{
		SchoolID: in.SchoolID, PatronID: in.PatronID, SubmitterRole: in.SubmitterRole, Source: in.Source,
		CampaignID: in.CampaignID, Category: in.Category, Summary: in.Summary, Details: in.Details,
		Public: in.Public, PublicSummary: in.PublicSummary, Status: FeedbackReceived, ReceivedAt: in.ReceivedAt,
	}
}

// NormalizeCategory is the stored form of a category: trimmed and in lower case.
func NormalizeCategory(s string) string {
	return strings.ToLower(strings.TrimSpace(s))
}

// FeedbackPatch is a merge patch of a feedback item. Its status and decision change only
// through transitions, and its school never changes.
type FeedbackPatch struct {
	PatronID       Change[uuid.UUID]
	SubmitterRole  Change[PatronRole]
	Source         *FeedbackSource
	CampaignID     Change[uuid.UUID]
	Category       Change[string]
	Summary        *string
	Details        Change[string]
	Public         *bool
	PublicSummary  Change[string]
	PublicDecision Change[string] // only while the item is decided
	ReceivedAt     *time.Time
}

// Apply returns the item with the patch applied and its fields checked.
func (patch FeedbackPatch) Apply(f FeedbackItem, now time.Time) (FeedbackItem, error) {
	patch.PatronID.ApplyTo(&f.PatronID)
	patch.SubmitterRole.ApplyTo(&f.SubmitterRole)
	if patch.Source != nil {
		f.Source = *patch.Source
	}
	patch.CampaignID.ApplyTo(&f.CampaignID)
	patch.Category.ApplyTo(&f.Category)
	if patch.Summary != nil {
		f.Summary = *patch.Summary
	}
	patch.Details.ApplyTo(&f.Details)
	if patch.Public != nil {
		f.Public = *patch.Public
	}
	patch.PublicSummary.ApplyTo(&f.PublicSummary)
	patch.PublicDecision.ApplyTo(&f.PublicDecision)
	if patch.ReceivedAt != nil {
		f.ReceivedAt = *patch.ReceivedAt
	}
	f.Category = NormalizeCategory(f.Category)
	f.Summary = strings.TrimSpace(f.Summary)
	f.Details = strings.TrimSpace(f.Details)

	var p Problems
	if f.SubmitterRole != "" {
		checkPatronRole(&p, "#/submitter_role", f.SubmitterRole)
	}
	checkSource(&p, "#/source", f.Source)
	if patch.Category.Value != nil {
		checkPublicLine(&p, "#/category", f.Category, maxCategory)
	}
	checkLine(&p, "#/summary", f.Summary, maxSummary)
	if patch.Details.Value != nil {
		checkText(&p, "#/details", f.Details, maxDetails)
	}
	if patch.PublicSummary.Value != nil {
		f.PublicSummary = strings.TrimSpace(f.PublicSummary)
		checkPublicLine(&p, "#/public_summary", f.PublicSummary, maxSummary)
	}
	if patch.PublicDecision.Value != nil {
		f.PublicDecision = strings.TrimSpace(f.PublicDecision)
		if f.Status.Decided() {
			checkPublicText(&p, "#/public_decision", f.PublicDecision, maxDecision)
		} else {
			p.Add("#/public_decision", "can be written only for a decision; the item is %s", f.Status)
		}
	}
	if patch.ReceivedAt != nil {
		checkNotFuture(&p, "#/received_at", f.ReceivedAt, now)
		if f.Status.Decided() && f.ReceivedAt.After(f.DecidedAt) {
			p.Add("#/received_at", "must not be after the decision on the item (%s)", f.DecidedAt.UTC().Format(time.RFC3339))
		}
	}
	return f, p.Err()
}

// TransitionRequest asks to move an item through the status machine. Text is what was done
// (to acted_on), the explanation given (to explained_why_not) or the reason for reopening (to
// under_review from a decision); it is optional only when review starts.
type TransitionRequest struct {
	To         FeedbackStatus
	Text       string
	PublicText string // the decision as the public board says it; optional, only with a decision
}

// FeedbackTransition is one move of an item through the status machine, as its history keeps
// it.
//
// The history also keeps every change made to an item after its decision (Kind HistoryEdit,
// From = To = the item's status), so that what the community was told cannot be rewritten
// unseen.
type FeedbackTransition struct {
	ID         int64
	FeedbackID uuid.UUID
	Kind       HistoryKind
	From       FeedbackStatus
	To         FeedbackStatus
	Text       string                 // empty when none was given
	Changes    map[string]FieldChange // for an edit: each field changed, by its name in the API
	By         Actor
	At         time.Time
}

// HistoryKind says what an entry of a feedback item's history records.
type HistoryKind string

// The kinds of history entry.
const (
	HistoryTransition HistoryKind = "transition" // a move through the status machine
	HistoryEdit       HistoryKind = "edit"       // a change to a decided item
)

// FieldChange is a field's value before and after an edit, as JSON values: nil for none, and
// both nil once an erasure redacted them.
type FieldChange struct {
	From any `json:"from"`
	To   any `json:"to"`
}

// EditsOf returns the changes from f to next of the fields a merge patch may change, by their
// names in the API, or nil when nothing changed.
func EditsOf(f, next FeedbackItem) map[string]FieldChange {
	changes := map[string]FieldChange{}
	add := func(name string, from, to any, differ bool) {
		if differ {
			changes[name] = FieldChange{From: from, To: to}
		}
	}
	text := nullIfEmptyText
	id := func(v uuid.UUID) any {
		if v == uuid.Nil {
			return nil
		}
		return v.String()
	}
	add("patron_id", id(f.PatronID), id(next.PatronID), f.PatronID != next.PatronID)
	add("submitter_role", text(string(f.SubmitterRole)), text(string(next.SubmitterRole)), f.SubmitterRole != next.SubmitterRole)
	add("source", string(f.Source), string(next.Source), f.Source != next.Source)
	add("campaign_id", id(f.CampaignID), id(next.CampaignID), f.CampaignID != next.CampaignID)
	add("category", text(f.Category), text(next.Category), f.Category != next.Category)
	add("summary", f.Summary, next.Summary, f.Summary != next.Summary)
	add("details", text(f.Details), text(next.Details), f.Details != next.Details)
	add("public", f.Public, next.Public, f.Public != next.Public)
	add("public_summary", text(f.PublicSummary), text(next.PublicSummary), f.PublicSummary != next.PublicSummary)
	add("public_decision", text(f.PublicDecision), text(next.PublicDecision), f.PublicDecision != next.PublicDecision)
	add("received_at", f.ReceivedAt.UTC().Format(time.RFC3339Nano), next.ReceivedAt.UTC().Format(time.RFC3339Nano),
		!f.ReceivedAt.Equal(next.ReceivedAt))
	if len(changes) == 0 {
		return nil
	}
	return changes
}

// nullIfEmptyText is s as the value of a FieldChange: nil for no text.
func nullIfEmptyText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Apply returns the item after the transition, and the entry for its history. A move the
// machine does not allow is an error of kind Conflict that names the current status; a decision
// or a reopening without its text is Unprocessable, pointing at #/text. A decision records its
// text as the item's resolution, and its public text, if any, as the public decision;
// reopening clears the resolution, the public decision and the communication (the history
// keeps them), so that the next decision must be worded and told again.
func (t TransitionRequest) Apply(f FeedbackItem, by Actor, now time.Time) (FeedbackItem, FeedbackTransition, error) {
	text, publicText := strings.TrimSpace(t.Text), strings.TrimSpace(t.PublicText)
	if !slices.Contains(feedbackStatuses, t.To) {
		return f, FeedbackTransition{}, FieldErrorf(Unprocessable, "#/to", "must be one of received, under_review, acted_on, explained_why_not")
	}
	if !CanTransition(f.Status, t.To) {
		return f, FeedbackTransition{}, Errorf(Conflict, "the item is %s; it cannot go from %s to %s%s", f.Status, f.Status, t.To, nextMoves(f.Status))
	}
	var p Problems
	switch {
	case text != "":
		checkText(&p, "#/text", text, maxDecision)
	case t.To == FeedbackActedOn:
		p.Add("#/text", "is required: say what was done")
	case t.To == FeedbackExplained:
		p.Add("#/text", "is required: give the explanation")
	case f.Status.Decided():
		p.Add("#/text", "is required: give the reason for reopening")
	}
	switch {
	case t.PublicText == "":
	case !t.To.Decided():
		p.Add("#/public_text", "goes only with a decision (to acted_on or explained_why_not)")
	default:
		checkPublicText(&p, "#/public_text", publicText, maxDecision)
	}
	if err := p.Err(); err != nil {
		return f, FeedbackTransition{}, err
	}
	entry := FeedbackTransition{FeedbackID: f.ID, Kind: HistoryTransition, From: f.Status, To: t.To, Text: text, By: by, At: now}
	before := f
	if t.To.Decided() {
		f.Resolution, f.DecidedAt, f.DecidedBy, f.PublicDecision = text, now, by, publicText
	} else {
		f.Resolution, f.DecidedAt, f.DecidedBy, f.PublicDecision = "", time.Time{}, Actor{}, ""
	}
	f.Status = t.To
	f.CommunicatedAt, f.Channel, f.CommunicatedBy = time.Time{}, "", Actor{}
	if before.PublicDecision != f.PublicDecision {
		entry.Changes = map[string]FieldChange{"public_decision": {From: nullIfEmptyText(before.PublicDecision), To: nullIfEmptyText(f.PublicDecision)}}
	}
	return f, entry, nil
}

// nextMoves says where an item in the status can go, for the message of a refused move.
func nextMoves(s FeedbackStatus) string {
	var to []string
	for _, next := range feedbackStatuses {
		if CanTransition(s, next) {
			to = append(to, string(next))
		}
	}
	if len(to) == 0 {
		return ""
	}
	return "; it can go to " + strings.Join(to, " or ")
}

// Communication records that an item's decision was told to the people who gave it.
type Communication struct {
	Channel        CommunicationChannel
	CommunicatedAt time.Time // defaults to now
}

// Apply returns the item with the communication recorded. Only a decided item can be
// communicated, once per decision: otherwise the error is of kind Conflict.
func (c Communication) Apply(f FeedbackItem, by Actor, now time.Time) (FeedbackItem, error) {
	if c.CommunicatedAt.IsZero() {
		c.CommunicatedAt = now
	}
	var p Problems
	if !slices.Contains(communicationChannels, c.Channel) {
		p.Add("#/channel", "must be one of in_person, email, phone, chat, lms, letter, newsletter, public_board, other")
	}
	checkNotFuture(&p, "#/communicated_at", c.CommunicatedAt, now)
	if err := p.Err(); err != nil {
		return f, err
	}
	if !f.Status.Decided() {
		return f, Errorf(Conflict, "the item is %s; only a decision (acted_on or explained_why_not) can be communicated", f.Status)
	}
	if !f.CommunicatedAt.IsZero() {
		return f, Errorf(Conflict, "the decision was already communicated (%s, %s)", f.Channel, f.CommunicatedAt.UTC().Format(time.RFC3339))
	}
	f.CommunicatedAt, f.Channel, f.CommunicatedBy = c.CommunicatedAt, c.Channel, by
	return f, nil
}

// FeedbackFilter narrows a list of feedback items. Zero fields do not filter.
type FeedbackFilter struct {
	SchoolID      uuid.UUID
	Status        FeedbackStatus
	Source        FeedbackSource
	CampaignID    uuid.UUID
	Category      string
	PatronID      uuid.UUID
	Public        *bool
	Decided       *bool     // decided (acted_on or explained_why_not), or not
	Communicated  *bool     // decision communicated, or not
	DecidedSince  time.Time // decided at or after
	DecidedBefore time.Time // decided before
	UpdatedSince  time.Time // also orders the list by update time
}

// Supporter is one "me too" for a feedback item.
type Supporter struct {
	PatronID uuid.UUID // zero for an anonymous supporter
}

// PublicFeedbackItem is a decided public item as the school's public board shows it:
// anonymised, with no patron, no submitter, no details and nobody's name.
type PublicFeedbackItem struct {
	ID              uuid.UUID
	Summary         string
	Category        string
	Source          FeedbackSource
	Decision        FeedbackStatus // acted_on or explained_why_not
	DecisionText    string
	ReceivedOn      time.Time // a day in the school's time zone (midnight UTC)
	DecidedOn       time.Time // likewise
	DecidedAt       time.Time // for ordering; not shown
	SupportersCount int
}

// PublicSchool is what the public pages say about a school.
type PublicSchool struct {
	Name string
	Slug string
}

// PublicBoard is one page of a school's "you said, we did" board.
type PublicBoard struct {
	School PublicSchool
	Page[PublicFeedbackItem]
}

// FeedbackStore keeps feedback items. Every method but ListYouSaidWeDid sees only the items of
// its scope's schools.
type FeedbackStore interface {
	// ListFeedback returns one page of items, newest first, or by update time (oldest first)
	// when the filter has UpdatedSince.
	ListFeedback(ctx context.Context, scope TenantScope, filter FeedbackFilter, page PageRequest) (Page[FeedbackItem], error)
	// GetFeedback returns the item, or an error of kind NotFound.
	GetFeedback(ctx context.Context, scope TenantScope, id uuid.UUID) (FeedbackItem, error)
	// CreateFeedback records an item, status received: Unprocessable pointing at a school,
	// patron or campaign the caller cannot see or that do not go together.
	CreateFeedback(ctx context.Context, scope TenantScope, by Actor, in FeedbackCreate) (FeedbackItem, error)
	// UpdateFeedback applies a merge patch: NotFound, PreconditionFailed, Unprocessable. A
	// change to a decided item is added to its history (EditsOf).
	UpdateFeedback(ctx context.Context, scope TenantScope, by Actor, id uuid.UUID, match Match, patch FeedbackPatch) (FeedbackItem, error)
	// TransitionFeedback moves the item through the status machine and adds the move to its
	// history: NotFound, PreconditionFailed, Conflict (a move the machine refuses),
	// Unprocessable (a decision without its text).
	TransitionFeedback(ctx context.Context, scope TenantScope, by Actor, id uuid.UUID, match Match, t TransitionRequest) (FeedbackItem, error)
	// ListFeedbackHistory returns one page of the item's history (transitions and edits),
	// oldest first: NotFound.
	ListFeedbackHistory(ctx context.Context, scope TenantScope, id uuid.UUID, page PageRequest) (Page[FeedbackTransition], error)
	// RecordFeedbackCommunication records that the item's decision was told: NotFound,
	// PreconditionFailed, Conflict (undecided, or told already), Unprocessable.
	RecordFeedbackCommunication(ctx context.Context, scope TenantScope, by Actor, id uuid.UUID, match Match, c Communication) (FeedbackItem, error)
	// AddFeedbackSupporter adds a "me too" and reports whether it counted: a patron who
	// supports the item already (or gave it) counts once. NotFound, Unprocessable.
	AddFeedbackSupporter(ctx context.Context, scope TenantScope, by Actor, id uuid.UUID, s Supporter) (FeedbackItem, bool, error)
	// ListYouSaidWeDid returns one page of the public board of the active school with the
	// slug, newest decision first; NotFound when there is no such school. It needs no scope:
	// the board is public.
	ListYouSaidWeDid(ctx context.Context, slug string, page PageRequest) (PublicBoard, error)
}

func checkSource(p *Problems, pointer string, s FeedbackSource) {
	if !slices.Contains(feedbackSources, s) {
		p.Add(pointer, "must be one of conversation, survey, focus_group, suggestion_box, email, form, other")
	}
}

func checkPatronRole(p *Problems, pointer string, r PatronRole) {
	if !slices.Contains(patronRoles, r) {
		p.Add(pointer, "must be one of student, teacher, administrator, staff, guardian, other")
	}
}

// checkNotFuture adds a problem when t is later than now (give or take a clock's skew).
func checkNotFuture(p *Problems, pointer string, t, now time.Time) {
	if t.After(now.Add(clockSkew)) {
		p.Add(pointer, "must not be in the future")
	}
}

// ItemPointer is the pointer of the i-th item of a batch, under which its problems are told.
func ItemPointer(i int) string {
	return fmt.Sprintf("#/items/%d", i)
}
