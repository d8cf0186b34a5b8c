package httpapi

import (
	"context"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/rapport"
)

// GetSchoolPledge answers a school's current service pledge.
func (s *server) GetSchoolPledge(ctx context.Context, req api.GetSchoolPledgeRequestObject) (api.GetSchoolPledgeResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	pl, err := s.store.GetPledge(ctx, p.Tenant, req.SchoolId)
	if err != nil {
		return nil, err
	}
	etag := etagOf(pl.Version)
	if notModified(req.Params.IfNoneMatch, etag) {
		return api.GetSchoolPledge304Response{Headers: api.NotModifiedResponseHeaders{ETag: &etag}}, nil
	}
	return api.GetSchoolPledge200JSONResponse{Body: toAPIPledge(pl), Headers: api.GetSchoolPledge200ResponseHeaders{ETag: &etag}}, nil
}

// PublishSchoolPledge publishes a new version of a school's service pledge, unless it says
// what the current one says.
func (s *server) PublishSchoolPledge(ctx context.Context, req api.PublishSchoolPledgeRequestObject) (api.PublishSchoolPledgeResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	d := rapport.PledgeDraft{Feel: b.Feel, Know: b.Know, Access: b.Access, Text: b.Text}
	pl, created, err := s.store.PublishPledge(ctx, p.Tenant, p.Actor(), req.SchoolId, parseIfMatch(req.Params.IfMatch), d)
	if err != nil {
		return nil, err
	}
	etag := etagOf(pl.Version)
	if !p.HasScope(rapport.ScopeFeedbackRead) && !p.HasScope(rapport.ScopeAdmin) {
		return writtenNotShown(etag, ""), nil
	}
	if !created {
		return api.PublishSchoolPledge200JSONResponse{Body: toAPIPledge(pl), Headers: api.PublishSchoolPledge200ResponseHeaders{ETag: &etag}}, nil
	}
	location := "/v1/schools/" + req.SchoolId.String() + "/pledge"
	return api.PublishSchoolPledge201JSONResponse{Body: toAPIPledge(pl), Headers: api.PublishSchoolPledge201ResponseHeaders{ETag: &etag, Location: &location}}, nil
}

// ListSchoolPledgeVersions answers one page of a school's pledges, newest first.
func (s *server) ListSchoolPledgeVersions(ctx context.Context, req api.ListSchoolPledgeVersionsRequestObject) (api.ListSchoolPledgeVersionsResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.store.ListPledgeVersions(ctx, p.Tenant, req.SchoolId, pageRequest(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return api.ListSchoolPledgeVersions200JSONResponse{
		Body:    api.PledgeList{Data: mapSlice(page.Items, toAPIPledge), NextCursor: optional(page.NextCursor)},
		Headers: api.ListSchoolPledgeVersions200ResponseHeaders{Link: nextLink(ctx, page.NextCursor)},
	}, nil
}

// GetPublicPledge answers a school's current pledge to anyone. It may be cached publicly for a
// minute, and its ETag is computed from the body, which also names the school.
func (s *server) GetPublicPledge(ctx context.Context, req api.GetPublicPledgeRequestObject) (api.GetPublicPledgeResponseObject, error) {
	pp, err := s.store.GetPublicPledge(ctx, req.Slug)
	if err != nil {
		return nil, err
	}
	pl := pp.Pledge
	body := api.PublicPledge{
		School:  api.PublicSchool{Name: pp.School.Name, Slug: pp.School.Slug},
		Version: int32(pl.Version), Feel: pl.Feel, Know: pl.Know, Access: pl.Access, Text: pl.Text, PublishedAt: pl.PublishedAt.UTC(),
	}
	etag, err := etagOfBody(body)
	if err != nil {
		return nil, err
	}
	cache := publicCacheControl
	if notModified(req.Params.IfNoneMatch, etag) {
		return api.GetPublicPledge304Response{Headers: api.GetPublicPledge304ResponseHeaders{CacheControl: &cache, ETag: &etag}}, nil
	}
	return api.GetPublicPledge200JSONResponse{Body: body, Headers: api.GetPublicPledge200ResponseHeaders{CacheControl: &cache, ETag: &etag}}, nil
}

func toAPIPledge(p rapport.Pledge) api.Pledge {
	return api.Pledge{
		SchoolId:    p.SchoolID,
		Version:     int32(p.Version),
		Feel:        p.Feel,
		Know:        p.Know,
		Access:      p.Access,
		Text:        p.Text,
		PublishedAt: p.PublishedAt.UTC(),
		PublishedBy: actorOf(p.PublishedBy),
	}
}
