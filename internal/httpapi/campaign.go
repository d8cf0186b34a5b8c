package httpapi

import (
	"context"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/rapport"
)

// ListCampaigns answers one page of the campaigns the caller may see.
func (s *server) ListCampaigns(ctx context.Context, req api.ListCampaignsRequestObject) (api.ListCampaignsResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	q := req.Params
	filter := rapport.CampaignFilter{SchoolID: deref(q.SchoolId), Kind: rapport.CampaignKind(deref(q.Kind))}
	page, err := s.store.ListCampaigns(ctx, p.Tenant, filter, pageRequest(q.Limit, q.Cursor))
	if err != nil {
		return nil, err
	}
	return api.ListCampaigns200JSONResponse{
		Body:    api.CampaignList{Data: mapSlice(page.Items, toAPICampaign), NextCursor: optional(page.NextCursor)},
		Headers: api.ListCampaigns200ResponseHeaders{Link: nextLink(ctx, page.NextCursor)},
	}, nil
}

// CreateCampaign adds a campaign.
func (s *server) CreateCampaign(ctx context.Context, req api.CreateCampaignRequestObject) (api.CreateCampaignResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := rapport.CampaignCreate{SchoolID: b.SchoolId, Kind: rapport.CampaignKind(b.Kind), Title: b.Title, HeldOn: b.HeldOn.Time,
		ParticipantCount: intOf(b.ParticipantCount), Notes: deref(b.Notes)}
	c, err := s.store.CreateCampaign(ctx, p.Tenant, p.Actor(), in)
	if err != nil {
		return nil, err
	}
	etag, location := etagOf(c.Version), "/v1/campaigns/"+c.ID.String()
	if !p.HasScope(rapport.ScopeFeedbackRead) {
		return writtenNotShown(etag, location), nil
	}
	return api.CreateCampaign201JSONResponse{Body: toAPICampaign(c), Headers: api.CreateCampaign201ResponseHeaders{ETag: &etag, Location: &location}}, nil
}

// GetCampaign answers one campaign with the counts of its items.
func (s *server) GetCampaign(ctx context.Context, req api.GetCampaignRequestObject) (api.GetCampaignResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.store.GetCampaign(ctx, p.Tenant, req.CampaignId)
	if err != nil {
		return nil, err
	}
	etag := etagOf(c.Version)
	if notModified(req.Params.IfNoneMatch, etag) {
		return api.GetCampaign304Response{Headers: api.NotModifiedResponseHeaders{ETag: &etag}}, nil
	}
	return api.GetCampaign200JSONResponse{Body: toAPICampaign(c), Headers: api.GetCampaign200ResponseHeaders{ETag: &etag}}, nil
}

// UpdateCampaign applies a merge patch to a campaign.
func (s *server) UpdateCampaign(ctx context.Context, req api.UpdateCampaignRequestObject) (api.UpdateCampaignResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	patch := rapport.CampaignPatch{Kind: (*rapport.CampaignKind)(b.Kind), Title: b.Title, Notes: changeOf(b.Notes)}
	if b.HeldOn != nil {
		patch.HeldOn = &b.HeldOn.Time
	}
	if n := changeOf(b.ParticipantCount); n.Set {
		patch.ParticipantCount = rapport.Change[int]{Set: true, Value: intOf(n.Value)}
	}
	c, err := s.store.UpdateCampaign(ctx, p.Tenant, p.Actor(), req.CampaignId, parseIfMatch(req.Params.IfMatch), patch)
	if err != nil {
		return nil, err
	}
	etag := etagOf(c.Version)
	if !p.HasScope(rapport.ScopeFeedbackRead) {
		return writtenNotShown(etag, ""), nil
	}
	return api.UpdateCampaign200JSONResponse{Body: toAPICampaign(c), Headers: api.UpdateCampaign200ResponseHeaders{ETag: &etag}}, nil
}

// CreateCampaignFeedback records a batch of feedback items from a campaign.
func (s *server) CreateCampaignFeedback(ctx context.Context, req api.CreateCampaignFeedbackRequestObject) (api.CreateCampaignFeedbackResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	ins := mapSlice(req.Body.Items, func(b api.CampaignFeedbackCreate) rapport.FeedbackCreate {
		return rapport.FeedbackCreate{
			PatronID: deref(b.PatronId), SubmitterRole: rapport.PatronRole(deref(b.SubmitterRole)),
			Source: rapport.FeedbackSource(deref(b.Source)), Category: deref(b.Category), Summary: b.Summary,
			Details: deref(b.Details), Public: deref(b.Public), PublicSummary: deref(b.PublicSummary), ReceivedAt: deref(b.ReceivedAt),
		}
	})
	items, err := s.store.CreateCampaignFeedback(ctx, p.Tenant, p.Actor(), req.CampaignId, ins)
	if err != nil {
		return nil, err
	}
	if !p.HasScope(rapport.ScopeFeedbackRead) {
		return writtenNotShown("", ""), nil
	}
	return api.CreateCampaignFeedback201JSONResponse{Body: api.FeedbackBatch{Data: mapSlice(items, toAPIFeedback)}}, nil
}

func toAPICampaign(c rapport.Campaign) api.Campaign {
	return api.Campaign{
		Id:               c.ID,
		SchoolId:         c.SchoolID,
		Kind:             api.CampaignKind(c.Kind),
		Title:            c.Title,
		HeldOn:           openapi_types.Date{Time: c.HeldOn},
		ParticipantCount: int32Of(c.ParticipantCount),
		Notes:            optional(c.Notes),
		Counts: api.CampaignCounts{Total: int64(c.Counts.Total), Open: int64(c.Counts.Open), ActedOn: int64(c.Counts.ActedOn),
			ExplainedWhyNot: int64(c.Counts.ExplainedWhyNot)},
		CreatedAt: c.CreatedAt.UTC(),
		CreatedBy: actorOf(c.CreatedBy),
		UpdatedAt: c.UpdatedAt.UTC(),
		UpdatedBy: actorOf(c.UpdatedBy),
	}
}

// intOf converts an optional API integer to an optional int.
func intOf(n *int32) *int {
	if n == nil {
		return nil
	}
	v := int(*n)
	return &v
}

// widen converts an API integer to an int, for changeWith.
func widen(n int32) int { return int(n) }

// int32Of converts an optional int to an optional API integer. The values are ones the
// domain bounds well within int32 (the spec's minimum and maximum say how).
func int32Of(n *int) *int32 {
	if n == nil {
		return nil
	}
	v := int32(*n)
	return &v
}
