package httpapi

import (
	"context"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/rapport"
)

// ListChanges answers one page of the change feed the caller may see.
func (s *server) ListChanges(ctx context.Context, req api.ListChangesRequestObject) (api.ListChangesResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	q := req.Params
	filter := rapport.EventFilter{Types: mapSlice(deref(q.Types), func(t api.ResourceType) rapport.ResourceType { return rapport.ResourceType(t) })}
	page, err := s.store.ListChanges(ctx, p, filter, pageRequest(q.Limit, q.Cursor))
	if err != nil {
		return nil, err
	}
	events := mapSlice(page.Items, func(e rapport.Event) api.ChangeEvent {
		return api.ChangeEvent{Cursor: e.Cursor, Type: api.ResourceType(e.Resource), Id: e.ID, SchoolId: optional(e.SchoolID),
			Event: api.ChangeEventEvent(e.Kind), At: e.At.UTC(), By: actorOf(e.By), Path: optional(e.Path())}
	})
	var link *string
	if page.More {
		link = nextLink(ctx, page.NextCursor)
	}
	return api.ListChanges200JSONResponse{
		Body:    api.ChangeList{Data: events, NextCursor: page.NextCursor, HasMore: page.More},
		Headers: api.ListChanges200ResponseHeaders{Link: link},
	}, nil
}
