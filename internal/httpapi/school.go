package httpapi

import (
	"context"

	"github.com/oapi-codegen/nullable"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/rapport"
)

// ListSchools answers one page of the schools the caller may see.
func (s *server) ListSchools(ctx context.Context, req api.ListSchoolsRequestObject) (api.ListSchoolsResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	filter := rapport.SchoolFilter{Status: rapport.SchoolStatus(deref(req.Params.Status))}
	page, err := s.store.ListSchools(ctx, p.Tenant, filter, pageRequest(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return api.ListSchools200JSONResponse{
		Body:    api.SchoolList{Data: mapSlice(page.Items, toAPISchool), NextCursor: optional(page.NextCursor)},
		Headers: api.ListSchools200ResponseHeaders{Link: nextLink(ctx, page.NextCursor)},
	}, nil
}

// GetSchool answers one school.
func (s *server) GetSchool(ctx context.Context, req api.GetSchoolRequestObject) (api.GetSchoolResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	school, err := s.store.GetSchool(ctx, p.Tenant, req.SchoolId)
	if err != nil {
		return nil, err
	}
	etag := etagOf(school.Version)
	if notModified(req.Params.IfNoneMatch, etag) {
		return api.GetSchool304Response{Headers: api.NotModifiedResponseHeaders{ETag: &etag}}, nil
	}
	return api.GetSchool200JSONResponse{Body: toAPISchool(school), Headers: api.GetSchool200ResponseHeaders{ETag: &etag}}, nil
}

// CreateSchool adds a school to the caller's district.
func (s *server) CreateSchool(ctx context.Context, req api.CreateSchoolRequestObject) (api.CreateSchoolResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := rapport.SchoolCreate{
		Name:      b.Name,
		Slug:      b.Slug,
		SourcedID: deref(b.SourcedId),
		TimeZone:  deref(b.TimeZone),
		Status:    rapport.SchoolStatus(deref(b.Status)),
	}
	school, err := s.store.CreateSchool(ctx, p.Tenant, p.Actor(), in)
	if err != nil {
		return nil, err
	}
	etag, location := etagOf(school.Version), "/v1/schools/"+school.ID.String()
	return api.CreateSchool201JSONResponse{
		Body:    toAPISchool(school),
		Headers: api.CreateSchool201ResponseHeaders{ETag: &etag, Location: &location},
	}, nil
}

// UpdateSchool applies a merge patch to a school.
func (s *server) UpdateSchool(ctx context.Context, req api.UpdateSchoolRequestObject) (api.UpdateSchoolResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	patch := rapport.SchoolPatch{
		Name:      b.Name,
		Slug:      b.Slug,
		SourcedID: changeOf(b.SourcedId),
		TimeZone:  b.TimeZone,
		Status:    (*rapport.SchoolStatus)(b.Status),
	}
	school, err := s.store.UpdateSchool(ctx, p.Tenant, p.Actor(), req.SchoolId, parseIfMatch(req.Params.IfMatch), patch)
	if err != nil {
		return nil, err
	}
	etag := etagOf(school.Version)
	return api.UpdateSchool200JSONResponse{Body: toAPISchool(school), Headers: api.UpdateSchool200ResponseHeaders{ETag: &etag}}, nil
}

func toAPISchool(s rapport.School) api.School {
	return api.School{
		Id:         s.ID,
		DistrictId: s.DistrictID,
		Name:       s.Name,
		Slug:       s.Slug,
		SourcedId:  optional(s.SourcedID),
		TimeZone:   s.TimeZone,
		Status:     api.SchoolStatus(s.Status),
		CreatedAt:  s.CreatedAt.UTC(),
		CreatedBy:  actorOf(s.CreatedBy),
		UpdatedAt:  s.UpdatedAt.UTC(),
		UpdatedBy:  actorOf(s.UpdatedBy),
	}
}

// changeOf converts a nullable member of a merge patch to a domain change.
func changeOf[T any](n nullable.Nullable[T]) rapport.Change[T] {
	switch {
	case !n.IsSpecified():
		return rapport.Change[T]{}
	case n.IsNull():
		return rapport.Change[T]{Set: true}
	}
	v := n.MustGet()
	return rapport.Change[T]{Set: true, Value: &v}
}
