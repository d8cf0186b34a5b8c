package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/auth"
	"github.com/rapportlib/rapport/internal/rapport"
)

func tokenRequest(form url.Values, basicID, basicSecret string) *http.Request {
	req := apitest.Request(http.MethodPost, "/v1/oauth/token", "", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
	if basicID != "" {
		req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
	}
	return req
}

func TestCreateToken(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	client, secret := env.Client(tenant, []rapport.Scope{rapport.ScopePatronsRead, rapport.ScopeAdmin})

	grant := url.Values{"grant_type": {"client_credentials"}}
	withForm := url.Values{"grant_type": {"client_credentials"}, "client_id": {client.ClientID}, "client_secret": {secret}}

	t.Run("basic credentials", func(t *testing.T) {
		res := env.Do(tokenRequest(grant, client.ClientID, secret))
		if res.Status != http.StatusOK {
			t.Fatalf("status = %d, want 200: %s", res.Status, res.Body)
		}
		var tok api.Token
		res.Decode(t, &tok)
		if tok.TokenType != api.Bearer || tok.ExpiresIn != 3600 || tok.Scope != "patrons:read admin" {
			t.Errorf("token = %+v, want Bearer, 3600 s, both scopes", tok)
		}
		if got := res.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", got)
		}
		if res := env.Call(http.MethodGet, "/v1/district", tok.AccessToken, nil); res.Status != http.StatusOK {
			t.Errorf("GET /v1/district with the token = %d, want 200", res.Status)
		}
	})

	t.Run("form credentials and a narrower scope", func(t *testing.T) {
		form := url.Values{"scope": {"patrons:read"}}
		for k, v := range withForm {
			form[k] = v
		}
		res := env.Do(tokenRequest(form, "", ""))
		var tok api.Token
		res.Decode(t, &tok)
		if res.Status != http.StatusOK || tok.Scope != "patrons:read" {
			t.Fatalf("status %d, scope %q; want 200 and patrons:read", res.Status, tok.Scope)
		}
		// The narrowed token has no admin scope.
		if res := env.Call(http.MethodGet, "/v1/clients", tok.AccessToken, nil); res.Status != http.StatusForbidden {
			t.Errorf("GET /v1/clients with a patrons:read token = %d, want 403", res.Status)
		}
	})

	for _, tt := range []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantError  api.OAuthErrorError
	}{
		{"wrong grant type", tokenRequest(url.Values{"grant_type": {"password"}}, client.ClientID, secret), 400, api.UnsupportedGrantType},
		{"no grant type", tokenRequest(url.Values{}, client.ClientID, secret), 400, api.InvalidRequest},
		{"wrong secret", tokenRequest(grant, client.ClientID, "rps_wrong"), 401, api.InvalidClient},
		{"unknown client", tokenRequest(grant, "nobody", secret), 401, api.InvalidClient},
		{"no credentials", tokenRequest(grant, "", ""), 401, api.InvalidClient},
		{"credentials twice", tokenRequest(withForm, client.ClientID, secret), 400, api.InvalidRequest},
		{"scope not held", tokenRequest(url.Values{"grant_type": {"client_credentials"}, "scope": {"stats:read"}}, client.ClientID, secret), 400, api.InvalidScope},
		{"unknown scope", tokenRequest(url.Values{"grant_type": {"client_credentials"}, "scope": {"everything"}}, client.ClientID, secret), 400, api.InvalidScope},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := env.Do(tt.req)
			var e api.OAuthError
			res.Decode(t, &e)
			if res.Status != tt.wantStatus || e.Error != tt.wantError {
				t.Errorf("got %d %q, want %d %q (%s)", res.Status, e.Error, tt.wantStatus, tt.wantError, res.Body)
			}
			if res.Status == http.StatusUnauthorized && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Basic") {
				t.Errorf("WWW-Authenticate = %q, want a Basic challenge", res.Header.Get("WWW-Authenticate"))
			}
		})
	}

	t.Run("JSON body is the wrong media type", func(t *testing.T) {
		res := env.Call(http.MethodPost, "/v1/oauth/token", "", map[string]string{"grant_type": "client_credentials"})
		if res.Status != http.StatusUnsupportedMediaType {
			t.Errorf("status = %d, want 415", res.Status)
		}
	})
}

func TestAuthentication(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	readOnly := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsRead})

	t.Run("missing token", func(t *testing.T) {
		res := env.Call(http.MethodGet, "/v1/schools", "", nil)
		if res.Status != http.StatusUnauthorized || res.Header.Get("WWW-Authenticate") != `Bearer realm="rapport"` {
			t.Errorf("got %d, WWW-Authenticate %q; want 401 with a Bearer challenge", res.Status, res.Header.Get("WWW-Authenticate"))
		}
	})
	t.Run("invalid token", func(t *testing.T) {
		res := env.Call(http.MethodGet, "/v1/schools", "rpt_forged", nil)
		if res.Status != http.StatusUnauthorized || !strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("got %d, WWW-Authenticate %q; want 401 invalid_token", res.Status, res.Header.Get("WWW-Authenticate"))
		}
	})
	t.Run("expired token", func(t *testing.T) {
		client, _ := env.Client(tenant, nil)
		token := "rpt_expired-" + client.ClientID
		err := env.Store.CreateToken(context.Background(), rapport.TokenGrant{
			Hash: auth.HashSecret(token), ClientID: client.ID, Scopes: rapport.AllScopes, ExpiresAt: time.Now().Add(-time.Minute),
		})
		if err != nil {
			t.Fatal(err)
		}
		if res := env.Call(http.MethodGet, "/v1/schools", token, nil); res.Status != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", res.Status)
		}
	})
	t.Run("missing scope", func(t *testing.T) {
		res := env.Call(http.MethodPost, "/v1/schools", readOnly, map[string]string{"name": "New", "slug": "new-school"})
		if res.Status != http.StatusForbidden {
			t.Fatalf("status = %d, want 403", res.Status)
		}
		if p := res.Problem(t); !strings.Contains(*p.Detail, `"admin"`) {
			t.Errorf("detail = %q, want it to name the admin scope", *p.Detail)
		}
	})
	t.Run("a refused token wins over a bad body", func(t *testing.T) {
		res := env.Call(http.MethodPost, "/v1/schools", "", "{not json")
		if res.Status != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", res.Status)
		}
	})
}
