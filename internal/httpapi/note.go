package httpapi

import (
	"context"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/rapport"
)

// ListPatronNotes answers one page of a patron's readable notes.
func (s *server) ListPatronNotes(ctx context.Context, req api.ListPatronNotesRequestObject) (api.ListPatronNotesResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	filter := rapport.NoteFilter{Kind: rapport.NoteKind(deref(req.Params.Kind)), FollowUpState: rapport.FollowUpState(deref(req.Params.FollowUpState))}
	page, err := s.store.ListNotes(ctx, p, req.PatronId, filter, pageRequest(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return api.ListPatronNotes200JSONResponse{
		Body:    api.NoteList{Data: mapSlice(page.Items, toAPINote), NextCursor: optional(page.NextCursor)},
		Headers: api.ListPatronNotes200ResponseHeaders{Link: nextLink(ctx, page.NextCursor)},
	}, nil
}

// CreateNote writes a note about a patron.
func (s *server) CreateNote(ctx context.Context, req api.CreateNoteRequestObject) (api.CreateNoteResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := rapport.NoteCreate{Body: b.Body, Kind: rapport.NoteKind(deref(b.Kind)), Visibility: rapport.NoteVisibility(deref(b.Visibility))}
	if f := b.FollowUp; f != nil {
		in.FollowUp = &rapport.FollowUpCreate{Prompt: f.Prompt, DueOn: dateOf(f.DueOn)}
	}
	n, err := s.store.CreateNote(ctx, p, req.PatronId, in)
	if err != nil {
		return nil, err
	}
	etag, location := etagOf(n.Version), "/v1/notes/"+n.ID.String()
	if !p.CanRead(n) {
		return writtenNotShown(etag, location), nil
	}
	return api.CreateNote201JSONResponse{Body: toAPINote(n), Headers: api.CreateNote201ResponseHeaders{ETag: &etag, Location: &location}}, nil
}

// GetNote answers one note.
func (s *server) GetNote(ctx context.Context, req api.GetNoteRequestObject) (api.GetNoteResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	n, err := s.store.GetNote(ctx, p, req.NoteId)
	if err != nil {
		return nil, err
	}
	etag := etagOf(n.Version)
	if notModified(req.Params.IfNoneMatch, etag) {
		return api.GetNote304Response{Headers: api.NotModifiedResponseHeaders{ETag: &etag}}, nil
	}
	return api.GetNote200JSONResponse{Body: toAPINote(n), Headers: api.GetNote200ResponseHeaders{ETag: &etag}}, nil
}

// UpdateNote applies a merge patch to a note.
func (s *server) UpdateNote(ctx context.Context, req api.UpdateNoteRequestObject) (api.UpdateNoteResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	patch := rapport.NotePatch{Body: b.Body, Kind: (*rapport.NoteKind)(b.Kind), Visibility: (*rapport.NoteVisibility)(b.Visibility)}
	if b.FollowUp.IsSpecified() {
		patch.FollowUp.Set = true
		if !b.FollowUp.IsNull() {
			f := b.FollowUp.MustGet()
			fp := rapport.FollowUpPatch{Prompt: f.Prompt, State: (*rapport.FollowUpState)(f.State)}
			if d := changeOf(f.DueOn); d.Set {
				fp.DueOn.Set = true
				if d.Value != nil {
					t := d.Value.Time
					fp.DueOn.Value = &t
				}
			}
			patch.FollowUp.Value = &fp
		}
	}
	n, err := s.store.UpdateNote(ctx, p, req.NoteId, parseIfMatch(req.Params.IfMatch), patch)
	if err != nil {
		return nil, err
	}
	if !p.CanRead(n) {
		return writtenNotShown(etagOf(n.Version), ""), nil
	}
	etag := etagOf(n.Version)
	return api.UpdateNote200JSONResponse{Body: toAPINote(n), Headers: api.UpdateNote200ResponseHeaders{ETag: &etag}}, nil
}

// DeleteNote removes a note.
func (s *server) DeleteNote(ctx context.Context, req api.DeleteNoteRequestObject) (api.DeleteNoteResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteNote(ctx, p, req.NoteId, parseIfMatch(req.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteNote204Response{}, nil
}

// ListFollowUps answers the desk's to-do list.
func (s *server) ListFollowUps(ctx context.Context, req api.ListFollowUpsRequestObject) (api.ListFollowUpsResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	q := req.Params
	filter := rapport.FollowUpFilter{SchoolID: deref(q.SchoolId), State: rapport.FollowUpState(deref(q.State)), DueBefore: dateOf(q.DueBefore)}
	page, err := s.store.ListFollowUps(ctx, p, filter, pageRequest(q.Limit, q.Cursor))
	if err != nil {
		return nil, err
	}
	items := mapSlice(page.Items, func(it rapport.FollowUpItem) api.FollowUpItem {
		item := api.FollowUpItem{Note: toAPINote(it.Note)}
		if it.Patron != nil {
			summary := toAPIPatronSummary(*it.Patron)
			item.Patron = &summary
		}
		return item
	})
	return api.ListFollowUps200JSONResponse{
		Body:    api.FollowUpList{Data: items, NextCursor: optional(page.NextCursor)},
		Headers: api.ListFollowUps200ResponseHeaders{Link: nextLink(ctx, page.NextCursor)},
	}, nil
}

// ListPatronAccessLog answers who read what about a patron.
func (s *server) ListPatronAccessLog(ctx context.Context, req api.ListPatronAccessLogRequestObject) (api.ListPatronAccessLogResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.store.ListAccessLog(ctx, p.Tenant, rapport.AccessFilter{PatronID: req.PatronId}, pageRequest(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return api.ListPatronAccessLog200JSONResponse{
		Body:    api.AccessLogList{Data: mapSlice(page.Items, toAPIAccessLogEntry), NextCursor: optional(page.NextCursor)},
		Headers: api.ListPatronAccessLog200ResponseHeaders{Link: nextLink(ctx, page.NextCursor)},
	}, nil
}

// ListAccessLog answers who read what across the caller's district or schools.
func (s *server) ListAccessLog(ctx context.Context, req api.ListAccessLogRequestObject) (api.ListAccessLogResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	q := req.Params
	f := rapport.AccessFilter{PatronID: deref(q.PatronId), ClientID: deref(q.ClientId), Resource: deref(q.Resource),
		From: deref(q.From), To: deref(q.To)}
	page, err := s.store.ListAccessLog(ctx, p.Tenant, f, pageRequest(q.Limit, q.Cursor))
	if err != nil {
		return nil, err
	}
	return api.ListAccessLog200JSONResponse{
		Body:    api.AccessLogList{Data: mapSlice(page.Items, toAPIAccessLogEntry), NextCursor: optional(page.NextCursor)},
		Headers: api.ListAccessLog200ResponseHeaders{Link: nextLink(ctx, page.NextCursor)},
	}, nil
}

func toAPIAccessLogEntry(r rapport.AccessRecord) api.AccessLogEntry {
	return api.AccessLogEntry{Id: r.ID, PatronId: r.PatronID, Resource: r.Resource, Detail: optional(r.Detail),
		AccessedBy: actorOf(r.AccessedBy), RequestId: optional(r.RequestID), AccessedAt: r.AccessedAt.UTC()}
}

func toAPINote(n rapport.Note) api.Note {
	out := api.Note{
		Id:         n.ID,
		PatronId:   n.PatronID,
		SchoolId:   n.SchoolID,
		Body:       n.Body,
		Kind:       api.NoteKind(n.Kind),
		Visibility: api.NoteVisibility(n.Visibility),
		CreatedAt:  n.CreatedAt.UTC(),
		CreatedBy:  actorOf(n.CreatedBy),
		UpdatedAt:  n.UpdatedAt.UTC(),
		UpdatedBy:  actorOf(n.UpdatedBy),
	}
	if f := n.FollowUp; f != nil {
		af := &api.FollowUp{Prompt: f.Prompt, State: api.FollowUpState(f.State)}
		if !f.DueOn.IsZero() {
			af.DueOn = &openapi_types.Date{Time: f.DueOn}
		}
		if !f.ClosedAt.IsZero() {
			closedBy := actorOf(f.ClosedBy)
			af.ClosedAt, af.ClosedBy = optional(f.ClosedAt.UTC()), &closedBy
		}
		out.FollowUp = af
	}
	return out
}

// dateOf converts an optional API date to a day, zero when absent.
func dateOf(d *openapi_types.Date) time.Time {
	if d == nil {
		return time.Time{}
	}
	return d.Time
}
