package rapport

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// NoteKind says what a note is about.
type NoteKind string

// The kinds of note.
const (
	NoteInterest      NoteKind = "interest"
	NoteMention       NoteKind = "mention"
	NotePreference    NoteKind = "preference"
	NoteAccessibility NoteKind = "accessibility"
	NoteOther         NoteKind = "other"
)

// NoteVisibility says who may read a note.
type NoteVisibility string

// The visibilities of a note.
const (
	VisibleToAuthor  NoteVisibility = "author"  // its author only: the same client and Acting-User
	VisibleToLibrary NoteVisibility = "library" // clients with notes:read
	VisibleToSchool  NoteVisibility = "school"  // also clients with notes:school
)

// FollowUpState is where a follow-up stands.
type FollowUpState string

// The states of a follow-up.
const (
	FollowUpOpen    FollowUpState = "open"
	FollowUpDone    FollowUpState = "done"
	FollowUpDropped FollowUpState = "dropped"
)

// FollowUp is something to ask a patron about next time.
type FollowUp struct {
	Prompt   string
	State    FollowUpState
	DueOn    time.Time // a day (midnight UTC); zero when none
	ClosedAt time.Time // zero while open
	ClosedBy Actor
}

// Note is something the library learned about a patron.
type Note struct {
	ID         uuid.UUID
	DistrictID uuid.UUID
	SchoolID   uuid.UUID
	PatronID   uuid.UUID
	Body       string
	Kind       NoteKind
	Visibility NoteVisibility
	FollowUp   *FollowUp // nil when the note asks nothing
	Version    int
	CreatedAt  time.Time
	CreatedBy  Actor // the author
	UpdatedAt  time.Time
	UpdatedBy  Actor
}

// NoteCreate is what it takes to write a note.
type NoteCreate struct {
	Body       string
	Kind       NoteKind       // defaults to other
	Visibility NoteVisibility // defaults to library
	FollowUp   *FollowUpCreate
}

// FollowUpCreate asks for a follow-up on a new note.
type FollowUpCreate struct {
	Prompt string
	DueOn  time.Time // optional
}

// NotePatch is a merge patch of a note.
type NotePatch struct {
	Body       *string
	Kind       *NoteKind
	Visibility *NoteVisibility
	FollowUp   Change[FollowUpPatch] // null removes the follow-up
}

// FollowUpPatch changes a note's follow-up, or adds one (which needs a Prompt).
type FollowUpPatch struct {
	Prompt *string
	State  *FollowUpState
	DueOn  Change[time.Time]
}

// Note returns the note the request describes, with defaults filled in, or an error of kind
// Unprocessable pointing at every field at fault.
func (in NoteCreate) Note() (Note, error) {
	n := Note{Body: in.Body, Kind: in.Kind, Visibility: in.Visibility}
	if n.Kind == "" {
		n.Kind = NoteOther
	}
	if n.Visibility == "" {
		n.Visibility = VisibleToLibrary
	}
	if in.FollowUp != nil {
		n.FollowUp = &FollowUp{Prompt: in.FollowUp.Prompt, State: FollowUpOpen, DueOn: in.FollowUp.DueOn}
	}
	return n, n.validate()
}

// Apply returns the note with the patch applied: state changes of the follow-up record when
// and by whom it was closed (or clear that when it is reopened).
func (patch NotePatch) Apply(n Note, by Actor, now time.Time) (Note, error) {
	if patch.Body != nil {
		n.Body = *patch.Body
	}
	if patch.Kind != nil {
		n.Kind = *patch.Kind
	}
	if patch.Visibility != nil {
		n.Visibility = *patch.Visibility
	}
	if patch.FollowUp.Set {
		fp := patch.FollowUp.Value
		switch {
		case fp == nil:
			n.FollowUp = nil
		case n.FollowUp == nil:
			if fp.Prompt == nil {
				return n, FieldErrorf(Unprocessable, "#/follow_up/prompt", "is required to add a follow-up")
			}
			n.FollowUp = &FollowUp{State: FollowUpOpen}
			fallthrough
		default:
			f := *n.FollowUp
			if fp.Prompt != nil {
				f.Prompt = *fp.Prompt
			}
			fp.DueOn.ApplyTo(&f.DueOn)
			if fp.State != nil && *fp.State != f.State {
				f.State = *fp.State
				f.ClosedAt, f.ClosedBy = time.Time{}, Actor{}
				if f.State != FollowUpOpen {
					f.ClosedAt, f.ClosedBy = now, by
				}
			}
			n.FollowUp = &f
		}
	}
	return n, n.validate()
}

func (n Note) validate() error {
	var p Problems
	checkText(&p, "#/body", n.Body, 4000)
	switch n.Kind {
	case NoteInterest, NoteMention, NotePreference, NoteAccessibility, NoteOther:
	default:
		p.Add("#/kind", "must be one of interest, mention, preference, accessibility, other")
	}
	switch n.Visibility {
	case VisibleToAuthor, VisibleToLibrary, VisibleToSchool:
	default:
		p.Add("#/visibility", "must be one of author, library, school")
	}
	if f := n.FollowUp; f != nil {
		checkLine(&p, "#/follow_up/prompt", f.Prompt, 500)
		switch f.State {
		case FollowUpOpen, FollowUpDone, FollowUpDropped:
		default:
			p.Add("#/follow_up/state", "must be one of open, done, dropped")
		}
	}
	return p.Err()
}

// CanRead reports whether the principal may read a note of the given visibility and author.
// The storage filter in SQL says the same; this is its statement in Go.
func (p *Principal) CanRead(n Note) bool {
	switch n.Visibility {
	case VisibleToAuthor:
		return p.IsAuthor(n)
	case VisibleToLibrary:
		return p.HasScope(ScopeNotesRead)
	case VisibleToSchool:
		return p.HasScope(ScopeNotesRead) || p.HasScope(ScopeNotesSchool)
	}
	return false
}

// IsAuthor reports whether the principal wrote the note: the same client acting for the same
// member of staff.
func (p *Principal) IsAuthor(n Note) bool {
	return n.CreatedBy.Same(p.Actor())
}

// CheckManage returns an error of kind Forbidden unless the principal may change who can read
// the note or delete it: only its author, or an admin, may. Anyone who may write notes may
// still correct it or close its follow-up.
func (p *Principal) CheckManage(n Note, what string) error {
	if p.IsAuthor(n) || p.HasScope(ScopeAdmin) {
		return nil
	}
	return Errorf(Forbidden, "only the note's author or an admin may %s", what)
}

// NoteFilter narrows a patron's notes.
type NoteFilter struct {
	Kind          NoteKind      // empty for any
	FollowUpState FollowUpState // empty for any (with or without a follow-up)
}

// FollowUpFilter narrows the to-do list of follow-ups.
type FollowUpFilter struct {
	SchoolID  uuid.UUID     // zero for every school in scope
	State     FollowUpState // defaults to open
	DueBefore time.Time     // zero for any
}

// FollowUpItem is a note with a follow-up, with enough of its patron to greet them.
type FollowUpItem struct {
	Note Note
	// Patron has only the fields of a summary set; it is nil unless the principal may see the
	// patron (Principal.CanSeePatron).
	Patron *Patron
}

// AccessRecord is one read of personal data about a patron.
type AccessRecord struct {
	ID         int64
	PatronID   uuid.UUID
	Resource   string
	Detail     string // which part, where it matters: a photo's size
	AccessedBy Actor
	RequestID  string
	AccessedAt time.Time
}

// AccessFilter narrows the access log; zero fields do not.
type AccessFilter struct {
	PatronID uuid.UUID
	ClientID string
	Resource string
	From, To time.Time // reads at or after From, before To
}

// NoteStore keeps notes. Reads see only the notes the principal may read (CanRead) of patrons
// in its scope, and every read is written to the access log in the same transaction.
type NoteStore interface {
	// ListNotes returns one page of the patron's notes, newest first: NotFound when the patron
	// is not in scope.
	ListNotes(ctx context.Context, p *Principal, patronID uuid.UUID, filter NoteFilter, page PageRequest) (Page[Note], error)
	// GetNote returns the note: NotFound when it is not in scope or not readable.
	GetNote(ctx context.Context, p *Principal, id uuid.UUID) (Note, error)
	// CreateNote writes a note about the patron: NotFound, Unprocessable.
	CreateNote(ctx context.Context, p *Principal, patronID uuid.UUID, in NoteCreate) (Note, error)
	// UpdateNote applies a merge patch: NotFound (also for another author's author-only note),
	// PreconditionFailed, Unprocessable, Forbidden for a change of visibility by someone else
	// than its author or an admin (CheckManage). When the principal may read the note that
	// results (CanRead), the read is logged, since the caller is answered its body.
	UpdateNote(ctx context.Context, p *Principal, id uuid.UUID, match Match, patch NotePatch) (Note, error)
	// DeleteNote removes the note: NotFound, PreconditionFailed, Forbidden (CheckManage).
	DeleteNote(ctx context.Context, p *Principal, id uuid.UUID, match Match) error
	// ListFollowUps returns one page of the follow-ups of the scope's patrons, soonest due first.
	ListFollowUps(ctx context.Context, p *Principal, filter FollowUpFilter, page PageRequest) (Page[FollowUpItem], error)
	// ListAccessLog returns one page of the reads of patrons' data in the scope, newest first;
	// with a PatronID, NotFound when the patron is not in scope.
	ListAccessLog(ctx context.Context, scope TenantScope, filter AccessFilter, page PageRequest) (Page[AccessRecord], error)
}
