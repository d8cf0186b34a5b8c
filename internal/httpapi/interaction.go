package httpapi

import (
	"context"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/rapport"
)

// ListInteractions answers one page of the interactions the caller may see.
func (s *server) ListInteractions(ctx context.Context, req api.ListInteractionsRequestObject) (api.ListInteractionsResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	q := req.Params
	filter := rapport.InteractionFilter{
		SchoolID:       deref(q.SchoolId),
		PatronID:       deref(q.PatronId),
		Kind:           rapport.InteractionKind(deref(q.Kind)),
		Channel:        rapport.InteractionChannel(deref(q.Channel)),
		Outcome:        rapport.Outcome(deref(q.Outcome)),
		OccurredSince:  deref(q.OccurredSince),
		OccurredBefore: deref(q.OccurredBefore),
		UpdatedSince:   deref(q.UpdatedSince),
	}
	page, err := s.store.ListInteractions(ctx, p.Tenant, filter, pageRequest(q.Limit, q.Cursor))
	if err != nil {
		return nil, err
	}
	return api.ListInteractions200JSONResponse{
		Body:    api.InteractionList{Data: mapSlice(page.Items, toAPIInteraction), NextCursor: optional(page.NextCursor)},
		Headers: api.ListInteractions200ResponseHeaders{Link: nextLink(ctx, page.NextCursor)},
	}, nil
}

// ListPatronInteractions answers one page of a patron's history of service.
func (s *server) ListPatronInteractions(ctx context.Context, req api.ListPatronInteractionsRequestObject) (api.ListPatronInteractionsResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	q := req.Params
	filter := rapport.InteractionFilter{
		Kind:           rapport.InteractionKind(deref(q.Kind)),
		OccurredSince:  deref(q.OccurredSince),
		OccurredBefore: deref(q.OccurredBefore),
	}
	page, err := s.store.ListPatronInteractions(ctx, p.Tenant, req.PatronId, filter, pageRequest(q.Limit, q.Cursor))
	if err != nil {
		return nil, err
	}
	return api.ListPatronInteractions200JSONResponse{
		Body:    api.InteractionList{Data: mapSlice(page.Items, toAPIInteraction), NextCursor: optional(page.NextCursor)},
		Headers: api.ListPatronInteractions200ResponseHeaders{Link: nextLink(ctx, page.NextCursor)},
	}, nil
}

// GetInteraction answers one interaction.
func (s *server) GetInteraction(ctx context.Context, req api.GetInteractionRequestObject) (api.GetInteractionResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	it, err := s.store.GetInteraction(ctx, p.Tenant, req.InteractionId)
	if err != nil {
		return nil, err
	}
	etag := etagOf(it.Version)
	if notModified(req.Params.IfNoneMatch, etag) {
		return api.GetInteraction304Response{Headers: api.NotModifiedResponseHeaders{ETag: &etag}}, nil
	}
	return api.GetInteraction200JSONResponse{Body: toAPIInteraction(it), Headers: api.GetInteraction200ResponseHeaders{ETag: &etag}}, nil
}

// CreateInteraction records an interaction.
func (s *server) CreateInteraction(ctx context.Context, req api.CreateInteractionRequestObject) (api.CreateInteractionResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := rapport.InteractionCreate{
		SchoolID: b.SchoolId, PatronIDs: deref(b.PatronIds), HeadCount: int(deref(b.HeadCount)),
		Kind: rapport.InteractionKind(b.Kind), Channel: rapport.InteractionChannel(deref(b.Channel)),
		Summary: deref(b.Summary), Outcome: rapport.Outcome(deref(b.Outcome)), ReadLevel: int(deref(b.ReadLevel)),
		DurationMinutes: int(deref(b.DurationMinutes)), OccurredAt: deref(b.OccurredAt),
	}
	if r := b.Referral; r != nil {
		in.Referral = &rapport.ReferralCreate{ToName: r.ToName, ToRole: r.ToRole, Contact: deref(r.Contact),
			State: rapport.ReferralState(deref(r.State)), ClosedNote: deref(r.ClosedNote)}
	}
	if sat := b.Satisfaction; sat != nil {
		in.Satisfaction = &rapport.Satisfaction{Rating: int(sat.Rating), Comment: deref(sat.Comment)}
	}
	it, err := s.store.CreateInteraction(ctx, p.Tenant, p.Actor(), in)
	if err != nil {
		return nil, err
	}
	etag, location := etagOf(it.Version), "/v1/interactions/"+it.ID.String()
	if !p.HasScope(rapport.ScopeInteractionsRead) {
		return writtenNotShown(etag, location), nil
	}
	return api.CreateInteraction201JSONResponse{
		Body:    toAPIInteraction(it),
		Headers: api.CreateInteraction201ResponseHeaders{ETag: &etag, Location: &location},
	}, nil
}

// CreateVisit checks a patron in: a plain visit, recorded in one call.
func (s *server) CreateVisit(ctx context.Context, req api.CreateVisitRequestObject) (api.CreateVisitResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	var in rapport.VisitCreate
	if b := req.Body; b != nil {
		in = rapport.VisitCreate{Channel: rapport.InteractionChannel(deref(b.Channel)), OccurredAt: deref(b.OccurredAt), Summary: deref(b.Summary)}
	}
	it, err := s.store.CreateVisit(ctx, p.Tenant, p.Actor(), req.PatronId, in)
	if err != nil {
		return nil, err
	}
	etag, location := etagOf(it.Version), "/v1/interactions/"+it.ID.String()
	if !p.HasScope(rapport.ScopeInteractionsRead) {
		return writtenNotShown(etag, location), nil
	}
	return api.CreateVisit201JSONResponse{
		Body:    toAPIInteraction(it),
		Headers: api.CreateVisit201ResponseHeaders{ETag: &etag, Location: &location},
	}, nil
}

// UpdateInteraction applies a merge patch to an interaction.
func (s *server) UpdateInteraction(ctx context.Context, req api.UpdateInteractionRequestObject) (api.UpdateInteractionResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	patch := rapport.InteractionPatch{
		SchoolID: (*uuid.UUID)(b.SchoolId), PatronIDs: b.PatronIds, HeadCount: intOf(b.HeadCount),
		Kind: (*rapport.InteractionKind)(b.Kind), Channel: (*rapport.InteractionChannel)(b.Channel),
		Summary:         changeOf(b.Summary),
		Outcome:         changeWith(b.Outcome, func(o api.InteractionPatchOutcome) rapport.Outcome { return rapport.Outcome(o) }),
		ReadLevel:       changeWith(b.ReadLevel, widen),
		DurationMinutes: changeWith(b.DurationMinutes, widen),
		OccurredAt:      b.OccurredAt,
		Referral: changeWith(b.Referral, func(r api.ReferralPatch) rapport.ReferralPatch {
			return rapport.ReferralPatch{ToName: r.ToName, ToRole: r.ToRole, Contact: changeOf(r.Contact),
				State: (*rapport.ReferralState)(r.State), ClosedNote: r.ClosedNote}
		}),
		Satisfaction: changeWith(b.Satisfaction, func(sp api.SatisfactionPatch) rapport.SatisfactionPatch {
			return rapport.SatisfactionPatch{Rating: intOf(sp.Rating), Comment: changeOf(sp.Comment)}
		}),
	}
	it, err := s.store.UpdateInteraction(ctx, p.Tenant, p.Actor(), req.InteractionId, parseIfMatch(req.Params.IfMatch), patch)
	if err != nil {
		return nil, err
	}
	etag := etagOf(it.Version)
	if !p.HasScope(rapport.ScopeInteractionsRead) {
		return writtenNotShown(etag, ""), nil
	}
	return api.UpdateInteraction200JSONResponse{Body: toAPIInteraction(it), Headers: api.UpdateInteraction200ResponseHeaders{ETag: &etag}}, nil
}

// DeleteInteraction removes an interaction.
func (s *server) DeleteInteraction(ctx context.Context, req api.DeleteInteractionRequestObject) (api.DeleteInteractionResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteInteraction(ctx, p.Tenant, p.Actor(), req.InteractionId, parseIfMatch(req.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeleteInteraction204Response{}, nil
}

// ListReferrals answers one page of referrals with their patrons.
func (s *server) ListReferrals(ctx context.Context, req api.ListReferralsRequestObject) (api.ListReferralsResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	q := req.Params
	filter := rapport.ReferralFilter{SchoolID: deref(q.SchoolId), State: rapport.ReferralState(deref(q.State))}
	page, err := s.store.ListReferrals(ctx, p, filter, pageRequest(q.Limit, q.Cursor))
	if err != nil {
		return nil, err
	}
	items := mapSlice(page.Items, func(it rapport.ReferralItem) api.ReferralItem {
		return api.ReferralItem{Interaction: toAPIInteraction(it.Interaction), Patrons: mapSlice(it.Patrons, toAPIPatronSummary)}
	})
	return api.ListReferrals200JSONResponse{
		Body:    api.ReferralList{Data: items, NextCursor: optional(page.NextCursor)},
		Headers: api.ListReferrals200ResponseHeaders{Link: nextLink(ctx, page.NextCursor)},
	}, nil
}

func toAPIInteraction(it rapport.Interaction) api.Interaction {
	out := api.Interaction{
		Id:              it.ID,
		SchoolId:        it.SchoolID,
		PatronIds:       it.PatronIDs,
		HeadCount:       int32(it.HeadCount),
		Kind:            api.InteractionKind(it.Kind),
		Channel:         api.InteractionChannel(it.Channel),
		Summary:         optional(it.Summary),
		Outcome:         (*api.InteractionOutcome)(optional(it.Outcome)),
		ReadLevel:       optional(int32(it.ReadLevel)),
		DurationMinutes: optional(int32(it.DurationMinutes)),
		OccurredAt:      it.OccurredAt.UTC(),
		CreatedAt:       it.CreatedAt.UTC(),
		CreatedBy:       actorOf(it.CreatedBy),
		UpdatedAt:       it.UpdatedAt.UTC(),
		UpdatedBy:       actorOf(it.UpdatedBy),
	}
	if out.PatronIds == nil {
		out.PatronIds = []uuid.UUID{}
	}
	if r := it.Referral; r != nil {
		out.Referral = &api.Referral{ToName: r.ToName, ToRole: r.ToRole, Contact: optional(r.Contact),
			State: api.ReferralState(r.State), ClosedNote: optional(r.ClosedNote)}
		if !r.ClosedAt.IsZero() {
			closedBy := actorOf(r.ClosedBy)
			out.Referral.ClosedAt, out.Referral.ClosedBy = optional(r.ClosedAt.UTC()), &closedBy
		}
	}
	if sat := it.Satisfaction; sat != nil {
		out.Satisfaction = &api.Satisfaction{Rating: int32(sat.Rating), Comment: optional(sat.Comment)}
	}
	return out
}

// changeWith is changeOf for a member whose value needs converting to its domain form.
func changeWith[T, U any](n nullable.Nullable[T], convert func(T) U) rapport.Change[U] {
	c := changeOf(n)
	if c.Value == nil {
		return rapport.Change[U]{Set: c.Set}
	}
	v := convert(*c.Value)
	return rapport.Change[U]{Set: true, Value: &v}
}
