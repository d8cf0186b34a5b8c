package auth_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportlib/rapport/internal/auth"
	"github.com/rapportlib/rapport/internal/dbtest"
	"github.com/rapportlib/rapport/internal/postgres"
	"github.com/rapportlib/rapport/internal/rapport"
)

// countingStore is the real store, counting the token lookups that reach the database.
type countingStore struct {
	*postgres.Store
	lookups atomic.Int64
}

func (s *countingStore) GetTokenPrincipal(ctx context.Context, hash []byte) (rapport.Principal, error) {
	s.lookups.Add(1)
	return s.Store.GetTokenPrincipal(ctx, hash)
}

func setup(t *testing.T) (*countingStore, *rapport.Principal) {
	t.Helper()
	store := &countingStore{Store: dbtest.NewStore(t)}
	d, err := store.EnsureDistrict(context.Background(), uuid.Nil, rapport.DistrictCreate{Name: "Test District", Slug: "test-district"})
	if err != nil {
		t.Fatal(err)
	}
	return store, auth.CLIPrincipal(d.ID)
}

func issue(t *testing.T, svc *auth.Service, p *rapport.Principal) (rapport.Client, string) {
	t.Helper()
	ctx := context.Background()
	c, secret, err := svc.CreateClient(ctx, p, rapport.ClientCreate{Name: "app", Scopes: []rapport.Scope{rapport.ScopePatronsRead}})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := svc.IssueToken(ctx, auth.TokenRequest{GrantType: "client_credentials", ClientID: c.ClientID, ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return c, tok.AccessToken
}

func TestAuthenticateIsCached(t *testing.T) {
	t.Parallel()
	store, admin := setup(t)
	svc := auth.New(store, auth.Config{CacheTTL: time.Minute})
	_, token := issue(t, svc, admin)

	for range 100 {
		p, err := svc.Authenticate(context.Background(), token)
		if err != nil || !p.HasScope(rapport.ScopePatronsRead) {
			t.Fatalf("Authenticate = %v, %v", p, err)
		}
	}
	if n := store.lookups.Load(); n != 1 {
		t.Errorf("100 authentications made %d database lookups, want 1", n)
	}
}

func TestRevocationReachesOtherReplicas(t *testing.T) {
	t.Parallel()
	store, admin := setup(t)
	const cacheTTL = 300 * time.Millisecond
	replicaA := auth.New(store, auth.Config{CacheTTL: cacheTTL})
	replicaB := auth.New(store, auth.Config{CacheTTL: cacheTTL})
	client, token := issue(t, replicaA, admin)
	ctx := context.Background()
	for _, r := range []*auth.Service{replicaA, replicaB} {
		if _, err := r.Authenticate(ctx, token); err != nil {
			t.Fatalf("Authenticate before revocation: %v", err)
		}
	}

	if _, err := replicaA.RevokeClient(ctx, admin, client.ID, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := replicaA.Authenticate(ctx, token); rapport.ErrorKind(err) != rapport.Unauthenticated {
		t.Errorf("the revoking replica accepts the token: %v", err)
	}
	deadline := time.Now().Add(2 * cacheTTL)
	for {
		_, err := replicaB.Authenticate(ctx, token)
		if rapport.ErrorKind(err) == rapport.Unauthenticated {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("another replica still accepts the token %s after revocation", 2*cacheTTL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestExpiredTokenInCache(t *testing.T) {
	t.Parallel()
	store, admin := setup(t)
	svc := auth.New(store, auth.Config{TokenTTL: 200 * time.Millisecond, CacheTTL: time.Minute})
	_, token := issue(t, svc, admin)
	if _, err := svc.Authenticate(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	time.Sleep(250 * time.Millisecond)
	if _, err := svc.Authenticate(context.Background(), token); rapport.ErrorKind(err) != rapport.Unauthenticated {
		t.Errorf("a cached token past its expiry is accepted: %v", err)
	}
}

func TestCheckGrant(t *testing.T) {
	t.Parallel()
	school, otherSchool := uuid.New(), uuid.New()
	limited := &rapport.Principal{
		Tenant: rapport.TenantScope{DistrictID: uuid.New(), SchoolIDs: []uuid.UUID{school}},
		Scopes: []rapport.Scope{rapport.ScopeAdmin, rapport.ScopePatronsRead},
	}
	for _, tt := range []struct {
		name string
		in   rapport.ClientCreate
		want rapport.Kind
	}{
		{"subset", rapport.ClientCreate{Scopes: []rapport.Scope{rapport.ScopePatronsRead}, SchoolIDs: []uuid.UUID{school}}, ""},
		{"scope not held", rapport.ClientCreate{Scopes: []rapport.Scope{rapport.ScopeStatsRead}, SchoolIDs: []uuid.UUID{school}}, rapport.Forbidden},
		{"every school", rapport.ClientCreate{Scopes: []rapport.Scope{rapport.ScopePatronsRead}}, rapport.Forbidden},
		{"another school", rapport.ClientCreate{Scopes: []rapport.Scope{rapport.ScopePatronsRead}, SchoolIDs: []uuid.UUID{otherSchool}}, rapport.Forbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := limited.CheckGrant(tt.in)
			if got := kindOf(err); got != tt.want {
				t.Errorf("CheckGrant = %v, want kind %q", err, tt.want)
			}
		})
	}
}

func kindOf(err error) rapport.Kind {
	if err == nil {
		return ""
	}
	return rapport.ErrorKind(err)
}

func TestUnknownTokenIsRemembered(t *testing.T) {
	t.Parallel()
	store, admin := setup(t)
	svc := auth.New(store, auth.Config{MissTTL: time.Minute})
	for range 50 {
		if _, err := svc.Authenticate(context.Background(), "rpt_not-a-token"); rapport.ErrorKind(err) != rapport.Unauthenticated {
			t.Fatalf("Authenticate(unknown) = %v, want Unauthenticated", err)
		}
	}
	if n := store.lookups.Load(); n != 1 {
		t.Errorf("50 checks of one unknown token made %d database lookups, want 1", n)
	}
	if _, ok := svc.Cached("rpt_not-a-token"); ok {
		t.Error("Cached(unknown) = ok; an unknown token has no principal")
	}

	// A new token is never taken for a remembered miss.
	_, token := issue(t, svc, admin)
	if _, ok := svc.Cached(token); ok {
		t.Fatal("Cached(new token) = ok before any lookup")
	}
	if _, err := svc.Authenticate(context.Background(), token); err != nil {
		t.Fatalf("Authenticate(new token) = %v", err)
	}
	if p, ok := svc.Cached(token); !ok || !p.HasScope(rapport.ScopePatronsRead) {
		t.Errorf("Cached(new token) = %v, %v after a lookup; want its principal", p, ok)
	}
}

func TestCheckControl(t *testing.T) {
	t.Parallel()
	school, otherSchool := uuid.New(), uuid.New()
	narrowed := &rapport.Principal{ // an admin token asked for with scope=admin only
		Tenant: rapport.TenantScope{DistrictID: uuid.New()},
		Scopes: []rapport.Scope{rapport.ScopeAdmin},
	}
	limited := &rapport.Principal{
		Tenant: rapport.TenantScope{DistrictID: uuid.New(), SchoolIDs: []uuid.UUID{school}},
		Scopes: []rapport.Scope{rapport.ScopeAdmin, rapport.ScopePatronsRead},
	}
	for _, tt := range []struct {
		name string
		p    *rapport.Principal
		c    rapport.Client
		want rapport.Kind
	}{
		{"narrowed admin, client with more scopes", narrowed, rapport.Client{Scopes: []rapport.Scope{rapport.ScopeAdmin, rapport.ScopeNotesRead}}, rapport.Forbidden},
		{"narrowed admin, admin-only client", narrowed, rapport.Client{Scopes: []rapport.Scope{rapport.ScopeAdmin}}, ""},
		{"limited admin, client of its school", limited, rapport.Client{Scopes: []rapport.Scope{rapport.ScopePatronsRead}, SchoolIDs: []uuid.UUID{school}}, ""},
		{"limited admin, client of every school", limited, rapport.Client{Scopes: []rapport.Scope{rapport.ScopePatronsRead}}, rapport.Forbidden},
		{"limited admin, client of another school too", limited, rapport.Client{Scopes: []rapport.Scope{rapport.ScopePatronsRead}, SchoolIDs: []uuid.UUID{school, otherSchool}}, rapport.Forbidden},
		{"limited admin, client with a scope it lacks", limited, rapport.Client{Scopes: []rapport.Scope{rapport.ScopeStatsRead}, SchoolIDs: []uuid.UUID{school}}, rapport.Forbidden},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := kindOf(tt.p.CheckControl(tt.c)); got != tt.want {
				t.Errorf("CheckControl = %q, want kind %q", got, tt.want)
			}
		})
	}
}

func TestActFor(t *testing.T) {
	t.Parallel()
	p := &rapport.Principal{ClientID: "desk", ActingUsers: []string{"ms.lee@lincoln.example.org", "t1234"}}
	for _, tt := range []struct {
		header, want string
		kind         rapport.Kind
	}{
		{"", "", ""},
		{"ms.lee@lincoln.example.org", "ms.lee@lincoln.example.org", ""},
		{"  MS.Lee@Lincoln.Example.ORG ", "ms.lee@lincoln.example.org", ""},
		{"T1234", "t1234", ""},
		{"mr.kim@lincoln.example.org", "", rapport.Forbidden},
		{"ms.lee@lincoln.example.org\nforged log line", "", rapport.Invalid},
		{"ms.lee\u202e@lincoln.example.org", "", rapport.Invalid},
	} {
		err := p.ActFor(tt.header)
		if kindOf(err) != tt.kind || (err == nil && p.ActingUser != tt.want) {
			t.Errorf("ActFor(%q) = %v, acting user %q; want kind %q, %q", tt.header, err, p.ActingUser, tt.kind, tt.want)
		}
		if err == nil && tt.want != "" && p.Actor().ActingUserSource != rapport.AssertedByClient {
			t.Errorf("ActFor(%q): actor source = %q, want %q", tt.header, p.Actor().ActingUserSource, rapport.AssertedByClient)
		}
	}
}
