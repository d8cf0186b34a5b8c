package rapport

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
)

// ResourceType names a kind of resource in the change feed.
type ResourceType string

// The resources whose changes the feed tells.
const (
	ResourceSchool       ResourceType = "school"
	ResourcePatron       ResourceType = "patron"
	ResourceNote         ResourceType = "note"
	ResourceInteraction  ResourceType = "interaction"
	ResourceFeedbackItem ResourceType = "feedback_item"
	ResourceCampaign     ResourceType = "campaign"
	ResourcePledge       ResourceType = "pledge"
	ResourceClient       ResourceType = "client"
	ResourcePhoto        ResourceType = "photo" // a patron's photo: the event's ID is the patron's
)

// ResourceTypes lists every resource type, in the order the API documents them.
var ResourceTypes = []ResourceType{ResourceSchool, ResourcePatron, ResourceNote, ResourceInteraction,
	ResourceFeedbackItem, ResourceCampaign, ResourcePledge, ResourceClient, ResourcePhoto}

// EventKind is what happened to a resource.
type EventKind string

// The kinds of event.
const (
	EventCreated EventKind = "created"
	EventUpdated EventKind = "updated"
	EventDeleted EventKind = "deleted" // a tombstone: the resource, or its personal data, is gone
	// A patron's photo is created (it had none, or the consumer's purpose was just consented),
	// replaced (by another, or cropped again), or removed (deleted, erased, or consent
	// withdrawn for the consumer's purpose).
	EventReplaced EventKind = "replaced"
	EventRemoved  EventKind = "removed"
)

// Event is one change to a resource, as the change feed tells it: what changed and who changed
// it, never the resource's content (a reader fetches it by Path).
type Event struct {
	Cursor   string // where a reader resumes to get the events after this one
	Resource ResourceType
	ID       uuid.UUID
	SchoolID uuid.UUID // zero for a district-wide resource (an API client)
	Kind     EventKind
	At       time.Time
	By       Actor
}

// Path returns the API path of the resource the event is about, or "" for a deletion.
func (e Event) Path() string {
	if e.Kind == EventDeleted || e.Kind == EventRemoved {
		return ""
	}
	switch e.Resource {
	case ResourceSchool:
		return "/v1/schools/" + e.ID.String()
	case ResourcePatron:
		return "/v1/patrons/" + e.ID.String()
	case ResourceNote:
		return "/v1/notes/" + e.ID.String()
	case ResourceInteraction:
		return "/v1/interactions/" + e.ID.String()
	case ResourceFeedbackItem:
		return "/v1/feedback/" + e.ID.String()
	case ResourceCampaign:
		return "/v1/campaigns/" + e.ID.String()
	case ResourcePledge:
		return "/v1/schools/" + e.ID.String() + "/pledge"
	case ResourceClient:
		return "/v1/clients/" + e.ID.String()
	case ResourcePhoto:
		return "/v1/patrons/" + e.ID.String() + "/photo"
	}
	return ""
}

// ReadableResources returns the resource types whose events the principal may see: those it
// may read. (Notes are further narrowed to those it may read, by their visibility; an API
// client's events only to an admin of every school.)
func (p *Principal) ReadableResources() []ResourceType {
	out := []ResourceType{ResourceSchool}
	for _, r := range []struct {
		resource ResourceType
		ok       bool
	}{
		{ResourcePatron, p.HasScope(ScopePatronsRead)},
		{ResourceNote, p.HasScope(ScopeNotesRead) || p.HasScope(ScopeNotesSchool)},
		{ResourceInteraction, p.HasScope(ScopeInteractionsRead)},
		{ResourceFeedbackItem, p.HasScope(ScopeFeedbackRead)},
		{ResourceCampaign, p.HasScope(ScopeFeedbackRead)},
		{ResourcePledge, p.HasScope(ScopeFeedbackRead) || p.HasScope(ScopeAdmin)},
		{ResourceClient, p.HasScope(ScopeAdmin) && p.Tenant.AllSchools()},
		{ResourcePhoto, p.CanReadPhotos()},
	} {
		if r.ok {
			out = append(out, r.resource)
		}
	}
	return out
}

// EventFilter narrows the change feed.
type EventFilter struct {
	Types []ResourceType // empty for every type the principal may read
}

// EventPage is one page of the change feed. Unlike other lists, it always has a NextCursor:
// at the end of the feed, the place to resume from when more changes come.
type EventPage struct {
	Items      []Event
	NextCursor string
	More       bool // whether more events follow now
}

// DefaultChangeRetention is how long the change feed keeps events by default.
const DefaultChangeRetention = 30 * 24 * time.Hour

// EventStore keeps the change feed.
type EventStore interface {
	// ListChanges returns the events after the cursor ("" for the oldest kept) that the
	// principal may see, in the order they were committed; an event committed later by a
	// transaction that was running meanwhile comes after the cursor, never before it. A cursor
	// older than what is kept is an error of kind Gone; one that does not decode is Invalid.
	ListChanges(ctx context.Context, p *Principal, filter EventFilter, page PageRequest) (EventPage, error)
	// PurgeChanges deletes the events recorded before the given time, and returns how many.
	PurgeChanges(ctx context.Context, before time.Time) (int64, error)
}

// ValidResourceType reports whether t names a resource of the feed.
func ValidResourceType(t ResourceType) bool {
	return slices.Contains(ResourceTypes, t)
}
