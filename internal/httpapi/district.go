package httpapi

import (
	"context"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/rapport"
)

// GetDistrict answers the caller's own district.
func (s *server) GetDistrict(ctx context.Context, req api.GetDistrictRequestObject) (api.GetDistrictResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	d, err := s.store.GetDistrict(ctx, p.Tenant)
	if err != nil {
		return nil, err
	}
	etag := etagOf(d.Version)
	if notModified(req.Params.IfNoneMatch, etag) {
		return api.GetDistrict304Response{Headers: api.NotModifiedResponseHeaders{ETag: &etag}}, nil
	}
	return api.GetDistrict200JSONResponse{Body: toAPIDistrict(d), Headers: api.GetDistrict200ResponseHeaders{ETag: &etag}}, nil
}

func toAPIDistrict(d rapport.District) api.District {
	return api.District{
		Id:        d.ID,
		Name:      d.Name,
		Slug:      d.Slug,
		SourcedId: optional(d.SourcedID),
		CreatedAt: d.CreatedAt.UTC(),
		UpdatedAt: d.UpdatedAt.UTC(),
	}
}
