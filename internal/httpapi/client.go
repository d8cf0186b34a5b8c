package httpapi

import (
	"context"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/rapport"
)

// ListClients answers one page of the API clients the caller may see.
func (s *server) ListClients(ctx context.Context, req api.ListClientsRequestObject) (api.ListClientsResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.store.ListClients(ctx, p.Tenant, pageRequest(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return api.ListClients200JSONResponse{
		Body:    api.ClientList{Data: mapSlice(page.Items, toAPIClient), NextCursor: optional(page.NextCursor)},
		Headers: api.ListClients200ResponseHeaders{Link: nextLink(ctx, page.NextCursor)},
	}, nil
}

// GetClient answers one API client, without its secret.
func (s *server) GetClient(ctx context.Context, req api.GetClientRequestObject) (api.GetClientResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.store.GetClient(ctx, p.Tenant, req.Id)
	if err != nil {
		return nil, err
	}
	etag := etagOf(c.Version)
	if notModified(req.Params.IfNoneMatch, etag) {
		return api.GetClient304Response{Headers: api.NotModifiedResponseHeaders{ETag: &etag}}, nil
	}
	return api.GetClient200JSONResponse{Body: toAPIClient(c), Headers: api.GetClient200ResponseHeaders{ETag: &etag}}, nil
}

// CreateClient creates an API client and answers its secret, this once.
func (s *server) CreateClient(ctx context.Context, req api.CreateClientRequestObject) (api.CreateClientResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	in := rapport.ClientCreate{Name: b.Name, ClientID: deref(b.ClientId), SchoolIDs: deref(b.SchoolIds),
		Scopes: scopesOf(b.Scopes), ActingUsers: deref(b.ActingUsers),
		PhotoPurpose: rapport.PhotoPurpose(deref(b.PhotoPurpose)), PhotoDailyCap: int(deref(b.PhotoDailyCap))}
	c, secret, err := s.auth.CreateClient(ctx, p, in)
	if err != nil {
		return nil, err
	}
	etag, location, noStore := etagOf(c.Version), "/v1/clients/"+c.ID.String(), "no-store"
	return api.CreateClient201JSONResponse{
		Body:    withSecret(c, secret),
		Headers: api.CreateClient201ResponseHeaders{ETag: &etag, Location: &location, CacheControl: &noStore},
	}, nil
}

// UpdateClient applies a merge patch to an API client.
func (s *server) UpdateClient(ctx context.Context, req api.UpdateClientRequestObject) (api.UpdateClientResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	patch := rapport.ClientPatch{Name: b.Name, SchoolIDs: b.SchoolIds, ActingUsers: b.ActingUsers,
		PhotoPurpose:  changeWith(b.PhotoPurpose, func(p api.ClientPatchPhotoPurpose) rapport.PhotoPurpose { return rapport.PhotoPurpose(p) }),
		PhotoDailyCap: changeWith(b.PhotoDailyCap, func(n int32) int { return int(n) })}
	if b.Scopes != nil {
		scopes := scopesOf(*b.Scopes)
		patch.Scopes = &scopes
	}
	c, err := s.auth.UpdateClient(ctx, p, req.Id, parseIfMatch(req.Params.IfMatch), patch)
	if err != nil {
		return nil, err
	}
	etag := etagOf(c.Version)
	return api.UpdateClient200JSONResponse{Body: toAPIClient(c), Headers: api.UpdateClient200ResponseHeaders{ETag: &etag}}, nil
}

// RevokeClient revokes an API client.
func (s *server) RevokeClient(ctx context.Context, req api.RevokeClientRequestObject) (api.RevokeClientResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	c, err := s.auth.RevokeClient(ctx, p, req.Id, parseIfMatch(req.Params.IfMatch))
	if err != nil {
		return nil, err
	}
	etag := etagOf(c.Version)
	return api.RevokeClient200JSONResponse{Body: toAPIClient(c), Headers: api.RevokeClient200ResponseHeaders{ETag: &etag}}, nil
}

// RotateClientSecret gives an API client a new secret and answers it, this once.
func (s *server) RotateClientSecret(ctx context.Context, req api.RotateClientSecretRequestObject) (api.RotateClientSecretResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	c, secret, err := s.auth.RotateClientSecret(ctx, p, req.Id, parseIfMatch(req.Params.IfMatch))
	if err != nil {
		return nil, err
	}
	etag, noStore := etagOf(c.Version), "no-store"
	return api.RotateClientSecret200JSONResponse{
		Body:    withSecret(c, secret),
		Headers: api.RotateClientSecret200ResponseHeaders{ETag: &etag, CacheControl: &noStore},
	}, nil
}

func toAPIClient(c rapport.Client) api.Client {
	out := api.Client{
		Id:          c.ID,
		ClientId:    c.ClientID,
		Name:        c.Name,
		DistrictId:  c.DistrictID,
		SchoolIds:   c.SchoolIDs,
		Scopes:      mapSlice(c.Scopes, func(s rapport.Scope) api.Scope { return api.Scope(s) }),
		ActingUsers: c.ActingUsers,
		Status:      api.ClientStatus(c.Status),
		CreatedAt:   c.CreatedAt.UTC(),
		CreatedBy:   actorOf(c.CreatedBy),
		UpdatedAt:   c.UpdatedAt.UTC(),
		UpdatedBy:   actorOf(c.UpdatedBy),
	}
	if c.PhotoPurpose != "" {
		out.PhotoPurpose = optional(api.PhotoPurpose(c.PhotoPurpose))
	}
	if c.PhotoDailyCap != 0 {
		out.PhotoDailyCap = optional(int32(c.PhotoDailyCap))
	}
	if out.SchoolIds == nil {
		out.SchoolIds = []api.UUID{}
	}
	if out.ActingUsers == nil {
		out.ActingUsers = []string{}
	}
	if !c.RevokedAt.IsZero() {
		out.RevokedAt = optional(c.RevokedAt.UTC())
	}
	if !c.SecretRotatedAt.IsZero() {
		out.SecretRotatedAt = optional(c.SecretRotatedAt.UTC())
	}
	if !c.LastTokenAt.IsZero() {
		out.LastTokenAt = optional(c.LastTokenAt.UTC())
	}
	return out
}

func withSecret(c rapport.Client, secret string) api.ClientWithSecret {
	a := toAPIClient(c)
	return api.ClientWithSecret{
		Id: a.Id, ClientId: a.ClientId, Name: a.Name, DistrictId: a.DistrictId, SchoolIds: a.SchoolIds,
		Scopes: a.Scopes, ActingUsers: a.ActingUsers, PhotoPurpose: a.PhotoPurpose, PhotoDailyCap: a.PhotoDailyCap,
		Status: a.Status, RevokedAt: a.RevokedAt, SecretRotatedAt: a.SecretRotatedAt,
		LastTokenAt: a.LastTokenAt, CreatedAt: a.CreatedAt, CreatedBy: a.CreatedBy, UpdatedAt: a.UpdatedAt,
		UpdatedBy: a.UpdatedBy, ClientSecret: secret,
	}
}

func scopesOf(in []api.Scope) []rapport.Scope {
	return mapSlice(in, func(s api.Scope) rapport.Scope { return rapport.Scope(s) })
}
