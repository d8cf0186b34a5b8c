package httpapi

import (
	"context"

	"github.com/google/uuid"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/rapport"
)

// ListPatrons lists, looks up or searches the patrons the caller may see.
func (s *server) ListPatrons(ctx context.Context, req api.ListPatronsRequestObject) (api.ListPatronsResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	q := req.Params
	filter := rapport.PatronFilter{
		SchoolID:  deref(q.SchoolId),
		Role:      rapport.PatronRole(deref(q.Role)),
		Grade:     string(deref(q.Grade)),
		Status:    rapport.PatronStatus(deref(q.Status)),
		SourcedID: deref(q.SourcedId),
		SISID:     deref(q.SisId),
		Barcode:   deref(q.Barcode),
		LMSID:     deref(q.LmsId),
		Query:     deref(q.Q),
	}
	if q.UpdatedSince != nil {
		filter.UpdatedSince = *q.UpdatedSince
	}
	page, err := s.store.ListPatrons(ctx, p.Tenant, filter, pageRequest(q.Limit, q.Cursor))
	if err != nil {
		return nil, err
	}
	return api.ListPatrons200JSONResponse{
		Body:    api.PatronList{Data: mapSlice(page.Items, toAPIPatron), NextCursor: optional(page.NextCursor)},
		Headers: api.ListPatrons200ResponseHeaders{Link: nextLink(ctx, page.NextCursor)},
	}, nil
}

// GetPatron answers one patron.
func (s *server) GetPatron(ctx context.Context, req api.GetPatronRequestObject) (api.GetPatronResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	patron, err := s.store.GetPatron(ctx, p.Tenant, req.PatronId)
	if err != nil {
		return nil, err
	}
	etag := etagOf(patron.Version)
	if notModified(req.Params.IfNoneMatch, etag) {
		return api.GetPatron304Response{Headers: api.NotModifiedResponseHeaders{ETag: &etag}}, nil
	}
	return api.GetPatron200JSONResponse{Body: toAPIPatron(patron), Headers: api.GetPatron200ResponseHeaders{ETag: &etag}}, nil
}

// CreatePatron adds a patron.
func (s *server) CreatePatron(ctx context.Context, req api.CreatePatronRequestObject) (api.CreatePatronResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := rapport.PatronCreate{
		SchoolID: b.SchoolId, Role: rapport.PatronRole(b.Role), GivenName: b.GivenName, FamilyName: b.FamilyName,
		PreferredName: deref(b.PreferredName), Pronouns: deref(b.Pronouns), NamePronunciation: deref(b.NamePronunciation),
		Grade: string(deref(b.Grade)), Homeroom: deref(b.Homeroom), Email: deref(b.Email),
		SourcedID: deref(b.SourcedId), SISID: deref(b.SisId), Barcode: deref(b.Barcode), LMSID: deref(b.LmsId),
		Status: rapport.PatronStatus(deref(b.Status)), Interests: deref(b.Interests),
	}
	patron, err := s.store.CreatePatron(ctx, p.Tenant, p.Actor(), in)
	if err != nil {
		return nil, err
	}
	etag, location := etagOf(patron.Version), "/v1/patrons/"+patron.ID.String()
	if !p.HasScope(rapport.ScopePatronsRead) {
		return writtenNotShown(etag, location), nil
	}
	return api.CreatePatron201JSONResponse{
		Body:    toAPIPatron(patron),
		Headers: api.CreatePatron201ResponseHeaders{ETag: &etag, Location: &location},
	}, nil
}

// UpdatePatron applies a merge patch to a patron.
func (s *server) UpdatePatron(ctx context.Context, req api.UpdatePatronRequestObject) (api.UpdatePatronResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	patch := rapport.PatronPatch{
		SchoolID: (*uuid.UUID)(b.SchoolId), Role: (*rapport.PatronRole)(b.Role),
		GivenName: b.GivenName, FamilyName: b.FamilyName,
		PreferredName: changeOf(b.PreferredName), Pronouns: changeOf(b.Pronouns),
		NamePronunciation: changeOf(b.NamePronunciation), Grade: stringChange(changeOf(b.Grade)),
		Homeroom: changeOf(b.Homeroom), Email: changeOf(b.Email), SourcedID: changeOf(b.SourcedId),
		SISID: changeOf(b.SisId), Barcode: changeOf(b.Barcode), LMSID: changeOf(b.LmsId),
		Status: (*rapport.PatronStatus)(b.Status), Interests: b.Interests,
	}
	patron, err := s.store.UpdatePatron(ctx, p.Tenant, p.Actor(), req.PatronId, parseIfMatch(req.Params.IfMatch), patch)
	if err != nil {
		return nil, err
	}
	if !p.HasScope(rapport.ScopePatronsRead) {
		return writtenNotShown(etagOf(patron.Version), ""), nil
	}
	etag := etagOf(patron.Version)
	return api.UpdatePatron200JSONResponse{Body: toAPIPatron(patron), Headers: api.UpdatePatron200ResponseHeaders{ETag: &etag}}, nil
}

// DeletePatron deactivates a patron.
func (s *server) DeletePatron(ctx context.Context, req api.DeletePatronRequestObject) (api.DeletePatronResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	patron, err := s.store.DeactivatePatron(ctx, p.Tenant, p.Actor(), req.PatronId, parseIfMatch(req.Params.IfMatch))
	if err != nil {
		return nil, err
	}
	if !p.HasScope(rapport.ScopePatronsRead) {
		return writtenNotShown(etagOf(patron.Version), ""), nil
	}
	etag := etagOf(patron.Version)
	return api.DeletePatron200JSONResponse{Body: toAPIPatron(patron), Headers: api.DeletePatron200ResponseHeaders{ETag: &etag}}, nil
}

// ErasePatron removes a patron's personal data.
func (s *server) ErasePatron(ctx context.Context, req api.ErasePatronRequestObject) (api.ErasePatronResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	patron, err := s.store.ErasePatron(ctx, p.Tenant, p.Actor(), req.PatronId, parseIfMatch(req.Params.IfMatch))
	if err != nil {
		return nil, err
	}
	if !p.HasScope(rapport.ScopePatronsRead) {
		return writtenNotShown(etagOf(patron.Version), ""), nil
	}
	etag := etagOf(patron.Version)
	return api.ErasePatron200JSONResponse{Body: toAPIPatron(patron), Headers: api.ErasePatron200ResponseHeaders{ETag: &etag}}, nil
}

func toAPIPatron(p rapport.Patron) api.Patron {
	out := api.Patron{
		Id:                p.ID,
		SchoolId:          p.SchoolID,
		Role:              api.PatronRole(p.Role),
		GivenName:         p.GivenName,
		FamilyName:        p.FamilyName,
		PreferredName:     optional(p.PreferredName),
		DisplayName:       p.DisplayName(),
		Pronouns:          optional(p.Pronouns),
		NamePronunciation: optional(p.NamePronunciation),
		Grade:             (*api.Grade)(optional(p.Grade)),
		Homeroom:          optional(p.Homeroom),
		Email:             optional(p.Email),
		SourcedId:         optional(p.SourcedID),
		SisId:             optional(p.SISID),
		Barcode:           optional(p.Barcode),
		LmsId:             optional(p.LMSID),
		Status:            api.PatronStatus(p.Status),
		Interests:         p.Interests,
		CreatedAt:         p.CreatedAt.UTC(),
		CreatedBy:         actorOf(p.CreatedBy),
		UpdatedAt:         p.UpdatedAt.UTC(),
		UpdatedBy:         actorOf(p.UpdatedBy),
	}
	if out.Interests == nil {
		out.Interests = []string{}
	}
	if p.Erased() {
		out.ErasedAt = optional(p.ErasedAt.UTC())
	}
	return out
}

func toAPIPatronSummary(p rapport.Patron) api.PatronSummary {
	return api.PatronSummary{
		Id:                p.ID,
		SchoolId:          p.SchoolID,
		DisplayName:       p.DisplayName(),
		NamePronunciation: optional(p.NamePronunciation),
		Grade:             (*api.Grade)(optional(p.Grade)),
		Homeroom:          optional(p.Homeroom),
	}
}

// stringChange converts a change of a string-like enum to a change of a string.
func stringChange[T ~string](c rapport.Change[T]) rapport.Change[string] {
	if c.Value == nil {
		return rapport.Change[string]{Set: c.Set}
	}
	v := string(*c.Value)
	return rapport.Change[string]{Set: c.Set, Value: &v}
}
