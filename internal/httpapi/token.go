package httpapi

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/auth"
	"github.com/rapportlib/rapport/internal/rapport"
)

// CreateToken implements the client-credentials grant. Its failures are answered in the
// format of RFC 6749 §5.2, not as problems.
func (s *server) CreateToken(ctx context.Context, req api.CreateTokenRequestObject) (api.CreateTokenResponseObject, error) {
	var tr auth.TokenRequest
	if b := req.Body; b != nil {
		tr = auth.TokenRequest{GrantType: deref(b.GrantType), Scope: deref(b.Scope), ClientID: deref(b.ClientId), ClientSecret: deref(b.ClientSecret)}
	}
	if r := requestFrom(ctx); r != nil {
		if id, secret, ok := r.BasicAuth(); ok {
			if tr.ClientID != "" || tr.ClientSecret != "" {
				return oauthError(&auth.OAuthError{Code: "invalid_request", Description: "send the client credentials either by HTTP Basic or in the form, not both"}), nil
			}
			// RFC 6749 §2.3.1: the id and secret are form-encoded before Basic encoding.
			tr.ClientID, _ = url.QueryUnescape(id)
			tr.ClientSecret, _ = url.QueryUnescape(secret)
		}
	}
	token, err := s.auth.IssueToken(ctx, tr)
	if oe, ok := errors.AsType[*auth.OAuthError](err); ok {
		return oauthError(oe), nil
	}
	if err != nil {
		return nil, err
	}
	scopes := make([]string, len(token.Scopes))
	for i, sc := range token.Scopes {
		scopes[i] = string(sc)
	}
	noStore := "no-store"
	return api.CreateToken200JSONResponse{
		Body: api.Token{
			AccessToken: token.AccessToken,
			TokenType:   api.Bearer,
			ExpiresIn:   int64(token.ExpiresIn.Seconds()),
			Scope:       strings.Join(scopes, " "),
		},
		Headers: api.CreateToken200ResponseHeaders{CacheControl: &noStore},
	}, nil
}

func oauthError(e *auth.OAuthError) api.CreateTokenResponseObject {
	body := api.OAuthError{Error: api.OAuthErrorError(e.Code), ErrorDescription: &e.Description}
	if e.Code == "invalid_client" {
		challenge := `Basic realm="rapport"`
		return api.CreateToken401JSONResponse{Body: body, Headers: api.CreateToken401ResponseHeaders{WWWAuthenticate: &challenge}}
	}
	return api.CreateToken400JSONResponse{Body: body}
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// actorOf converts who made a change to its API form.
// actorOf renders who made a change. Records other than the audit rows do not store where the
// acting user's name came from; until staff sign in for themselves, every name is one a client
// asserted, and it is shown as such.
func actorOf(a rapport.Actor) api.Actor {
	out := api.Actor{ClientId: a.ClientID, ActingUser: optional(a.ActingUser)}
	if a.ActingUser != "" {
		source := a.ActingUserSource
		if source == "" {
			source = rapport.AssertedByClient
		}
		out.ActingUserSource = (*api.ActorActingUserSource)(&source)
	}
	return out
}
