package httpapi

import (
	"context"
	"encoding/json"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/rapport"
)

// ListFeedback answers one page of the feedback items the caller may see.
func (s *server) ListFeedback(ctx context.Context, req api.ListFeedbackRequestObject) (api.ListFeedbackResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	q := req.Params
	filter := rapport.FeedbackFilter{
		SchoolID:      deref(q.SchoolId),
		Status:        rapport.FeedbackStatus(deref(q.Status)),
		Source:        rapport.FeedbackSource(deref(q.Source)),
		CampaignID:    deref(q.CampaignId),
		Category:      deref(q.Category),
		PatronID:      deref(q.PatronId),
		Public:        q.Public,
		Decided:       q.Decided,
		Communicated:  q.Communicated,
		DecidedSince:  deref(q.DecidedSince),
		DecidedBefore: deref(q.DecidedBefore),
		UpdatedSince:  deref(q.UpdatedSince),
	}
	page, err := s.store.ListFeedback(ctx, p.Tenant, filter, pageRequest(q.Limit, q.Cursor))
	if err != nil {
		return nil, err
	}
	return api.ListFeedback200JSONResponse{
		Body:    api.FeedbackList{Data: mapSlice(page.Items, toAPIFeedback), NextCursor: optional(page.NextCursor)},
		Headers: api.ListFeedback200ResponseHeaders{Link: nextLink(ctx, page.NextCursor)},
	}, nil
}

// CreateFeedback records a feedback item.
func (s *server) CreateFeedback(ctx context.Context, req api.CreateFeedbackRequestObject) (api.CreateFeedbackResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := rapport.FeedbackCreate{
		SchoolID: b.SchoolId, PatronID: deref(b.PatronId), SubmitterRole: rapport.PatronRole(deref(b.SubmitterRole)),
		Source: rapport.FeedbackSource(deref(b.Source)), CampaignID: deref(b.CampaignId), Category: deref(b.Category),
		Summary: b.Summary, Details: deref(b.Details), Public: deref(b.Public), PublicSummary: deref(b.PublicSummary),
		ReceivedAt: deref(b.ReceivedAt),
	}
	f, err := s.store.CreateFeedback(ctx, p.Tenant, p.Actor(), in)
	if err != nil {
		return nil, err
	}
	etag, location := etagOf(f.Version), "/v1/feedback/"+f.ID.String()
	if !p.HasScope(rapport.ScopeFeedbackRead) {
		return writtenNotShown(etag, location), nil
	}
	return api.CreateFeedback201JSONResponse{Body: toAPIFeedback(f), Headers: api.CreateFeedback201ResponseHeaders{ETag: &etag, Location: &location}}, nil
}

// GetFeedback answers one feedback item.
func (s *server) GetFeedback(ctx context.Context, req api.GetFeedbackRequestObject) (api.GetFeedbackResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	f, err := s.store.GetFeedback(ctx, p.Tenant, req.FeedbackId)
	if err != nil {
		return nil, err
	}
	etag := etagOf(f.Version)
	if notModified(req.Params.IfNoneMatch, etag) {
		return api.GetFeedback304Response{Headers: api.NotModifiedResponseHeaders{ETag: &etag}}, nil
	}
	return api.GetFeedback200JSONResponse{Body: toAPIFeedback(f), Headers: api.GetFeedback200ResponseHeaders{ETag: &etag}}, nil
}

// UpdateFeedback applies a merge patch to a feedback item.
func (s *server) UpdateFeedback(ctx context.Context, req api.UpdateFeedbackRequestObject) (api.UpdateFeedbackResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	patch := rapport.FeedbackPatch{
		PatronID:       changeOf(b.PatronId),
		SubmitterRole:  roleChange(changeOf(b.SubmitterRole)),
		Source:         (*rapport.FeedbackSource)(b.Source),
		CampaignID:     changeOf(b.CampaignId),
		Category:       changeOf(b.Category),
		Summary:        b.Summary,
		Details:        changeOf(b.Details),
		Public:         b.Public,
		PublicSummary:  changeOf(b.PublicSummary),
		PublicDecision: changeOf(b.PublicDecision),
		ReceivedAt:     b.ReceivedAt,
	}
	f, err := s.store.UpdateFeedback(ctx, p.Tenant, p.Actor(), req.FeedbackId, parseIfMatch(req.Params.IfMatch), patch)
	if err != nil {
		return nil, err
	}
	etag := etagOf(f.Version)
	if !p.HasScope(rapport.ScopeFeedbackRead) {
		return writtenNotShown(etag, ""), nil
	}
	return api.UpdateFeedback200JSONResponse{Body: toAPIFeedback(f), Headers: api.UpdateFeedback200ResponseHeaders{ETag: &etag}}, nil
}

// TransitionFeedback moves a feedback item through its status machine.
func (s *server) TransitionFeedback(ctx context.Context, req api.TransitionFeedbackRequestObject) (api.TransitionFeedbackResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	t := rapport.TransitionRequest{To: rapport.FeedbackStatus(req.Body.To), Text: deref(req.Body.Text), PublicText: deref(req.Body.PublicText)}
	f, err := s.store.TransitionFeedback(ctx, p.Tenant, p.Actor(), req.FeedbackId, parseIfMatch(req.Params.IfMatch), t)
	if err != nil {
		return nil, err
	}
	etag := etagOf(f.Version)
	if !p.HasScope(rapport.ScopeFeedbackRead) {
		return writtenNotShown(etag, ""), nil
	}
	return api.TransitionFeedback200JSONResponse{Body: toAPIFeedback(f), Headers: api.TransitionFeedback200ResponseHeaders{ETag: &etag}}, nil
}

// ListFeedbackHistory answers one page of a feedback item's transitions.
func (s *server) ListFeedbackHistory(ctx context.Context, req api.ListFeedbackHistoryRequestObject) (api.ListFeedbackHistoryResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.store.ListFeedbackHistory(ctx, p.Tenant, req.FeedbackId, pageRequest(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	entries := mapSlice(page.Items, toAPIFeedbackTransition)
	return api.ListFeedbackHistory200JSONResponse{
		Body:    api.FeedbackHistory{Data: entries, NextCursor: optional(page.NextCursor)},
		Headers: api.ListFeedbackHistory200ResponseHeaders{Link: nextLink(ctx, page.NextCursor)},
	}, nil
}

// RecordFeedbackCommunication records that a decision was told back.
func (s *server) RecordFeedbackCommunication(ctx context.Context, req api.RecordFeedbackCommunicationRequestObject) (api.RecordFeedbackCommunicationResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	c := rapport.Communication{Channel: rapport.CommunicationChannel(req.Body.Channel), CommunicatedAt: deref(req.Body.CommunicatedAt)}
	f, err := s.store.RecordFeedbackCommunication(ctx, p.Tenant, p.Actor(), req.FeedbackId, parseIfMatch(req.Params.IfMatch), c)
	if err != nil {
		return nil, err
	}
	etag := etagOf(f.Version)
	if !p.HasScope(rapport.ScopeFeedbackRead) {
		return writtenNotShown(etag, ""), nil
	}
	return api.RecordFeedbackCommunication200JSONResponse{Body: toAPIFeedback(f), Headers: api.RecordFeedbackCommunication200ResponseHeaders{ETag: &etag}}, nil
}

// AddFeedbackSupporter adds a "me too" to a feedback item.
func (s *server) AddFeedbackSupporter(ctx context.Context, req api.AddFeedbackSupporterRequestObject) (api.AddFeedbackSupporterResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	var sup rapport.Supporter
	if req.Body != nil {
		sup.PatronID = deref(req.Body.PatronId)
	}
	f, added, err := s.store.AddFeedbackSupporter(ctx, p.Tenant, p.Actor(), req.FeedbackId, sup)
	if err != nil {
		return nil, err
	}
	etag := etagOf(f.Version)
	if !p.HasScope(rapport.ScopeFeedbackRead) {
		return writtenNotShown(etag, ""), nil
	}
	if !added {
		return api.AddFeedbackSupporter200JSONResponse{Body: toAPIFeedback(f), Headers: api.AddFeedbackSupporter200ResponseHeaders{ETag: &etag}}, nil
	}
	return api.AddFeedbackSupporter201JSONResponse{Body: toAPIFeedback(f), Headers: api.AddFeedbackSupporter201ResponseHeaders{ETag: &etag}}, nil
}

// ListYouSaidWeDid answers one page of a school's public board. It needs no token; the answer
// may be cached publicly for a minute, and its ETag is computed from the page itself.
func (s *server) ListYouSaidWeDid(ctx context.Context, req api.ListYouSaidWeDidRequestObject) (api.ListYouSaidWeDidResponseObject, error) {
	board, err := s.store.ListYouSaidWeDid(ctx, req.Slug, pageRequest(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	body := api.PublicBoard{
		School:     api.PublicSchool{Name: board.School.Name, Slug: board.School.Slug},
		Data:       mapSlice(board.Items, toAPIPublicFeedback),
		NextCursor: optional(board.NextCursor),
	}
	etag, err := etagOfBody(body)
	if err != nil {
		return nil, err
	}
	cache := publicCacheControl
	if notModified(req.Params.IfNoneMatch, etag) {
		return api.ListYouSaidWeDid304Response{Headers: api.ListYouSaidWeDid304ResponseHeaders{CacheControl: &cache, ETag: &etag}}, nil
	}
	return api.ListYouSaidWeDid200JSONResponse{
		Body:    body,
		Headers: api.ListYouSaidWeDid200ResponseHeaders{CacheControl: &cache, ETag: &etag, Link: nextLink(ctx, board.NextCursor)},
	}, nil
}

func toAPIFeedbackTransition(t rapport.FeedbackTransition) api.FeedbackTransition {
	out := api.FeedbackTransition{Id: t.ID, FeedbackId: t.FeedbackID, Kind: api.FeedbackTransitionKind(t.Kind),
		From: api.FeedbackStatus(t.From), To: api.FeedbackStatus(t.To), Text: optional(t.Text), By: actorOf(t.By), At: t.At.UTC()}
	if t.Changes != nil {
		changes := make(map[string]*api.FieldChange, len(t.Changes))
		for name, c := range t.Changes {
			if c.From == nil && c.To == nil {
				changes[name] = nil // redacted by an erasure
				continue
			}
			changes[name] = &api.FieldChange{From: fieldValueOf(c.From), To: fieldValueOf(c.To)}
		}
		out.Changes = &changes
	}
	return out
}

// fieldValueOf is a value of an item's history as the API's FieldValue: the JSON value the
// history holds (text, true or false, or null for none), as it is.
func fieldValueOf(v any) api.FieldValue {
	var out api.FieldValue
	if b, err := json.Marshal(v); err == nil { // values decoded from JSON always marshal
		_ = out.UnmarshalJSON(b)
	}
	return out
}

func toAPIFeedback(f rapport.FeedbackItem) api.FeedbackItem {
	out := api.FeedbackItem{
		Id:              f.ID,
		SchoolId:        f.SchoolID,
		PatronId:        optional(f.PatronID),
		SubmitterRole:   (*api.PatronRole)(optional(f.SubmitterRole)),
		Source:          api.FeedbackSource(f.Source),
		CampaignId:      optional(f.CampaignID),
		Category:        optional(f.Category),
		Summary:         f.Summary,
		Details:         optional(f.Details),
		SupportersCount: int32(f.SupportersCount),
		Public:          f.Public,
		PublicSummary:   optional(f.PublicSummary),
		PublicDecision:  optional(f.PublicDecision),
		OnPublicBoard:   f.OnPublicBoard(),
		Status:          api.FeedbackStatus(f.Status),
		ReceivedAt:      f.ReceivedAt.UTC(),
		CreatedAt:       f.CreatedAt.UTC(),
		CreatedBy:       actorOf(f.CreatedBy),
		UpdatedAt:       f.UpdatedAt.UTC(),
		UpdatedBy:       actorOf(f.UpdatedBy),
	}
	if f.Status.Decided() {
		out.Resolution = &api.FeedbackResolution{Text: f.Resolution, DecidedAt: f.DecidedAt.UTC(), DecidedBy: actorOf(f.DecidedBy)}
	}
	if !f.CommunicatedAt.IsZero() {
		out.Communication = &api.FeedbackCommunication{Channel: api.CommunicationChannel(f.Channel),
			CommunicatedAt: f.CommunicatedAt.UTC(), CommunicatedBy: actorOf(f.CommunicatedBy)}
	}
	return out
}

// toAPIPublicFeedback is the anonymised form of a decided public item: it is built from a
// rapport.PublicFeedbackItem, which holds nothing about who gave the feedback or decided on it.
func toAPIPublicFeedback(it rapport.PublicFeedbackItem) api.PublicFeedbackItem {
	return api.PublicFeedbackItem{
		Id:              it.ID,
		Summary:         it.Summary,
		Category:        optional(it.Category),
		Source:          api.FeedbackSource(it.Source),
		Decision:        api.PublicFeedbackItemDecision(it.Decision),
		DecisionText:    it.DecisionText,
		ReceivedOn:      openapi_types.Date{Time: it.ReceivedOn},
		DecidedOn:       openapi_types.Date{Time: it.DecidedOn},
		SupportersCount: int32(it.SupportersCount),
	}
}

// roleChange converts a change of the submitter role in a patch to a change of a patron role.
func roleChange(c rapport.Change[api.FeedbackPatchSubmitterRole]) rapport.Change[rapport.PatronRole] {
	if c.Value == nil {
		return rapport.Change[rapport.PatronRole]{Set: c.Set}
	}
	r := rapport.PatronRole(*c.Value)
	return rapport.Change[rapport.PatronRole]{Set: true, Value: &r}
}
