// Package auth issues and checks credentials: API client secrets, OAuth 2.0 client-credentials
// tokens (RFC 6749 §4.4), and the principal a bearer token stands for. Secrets and tokens are
// random 256-bit strings kept only as SHA-256 hashes; a bounded cache keeps token checks off the
// database at steady state while still noticing expiry and revocation within seconds.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/rapportlib/rapport/internal/rapport"
)

// Config tunes the service.
type Config struct {
	// TokenTTL is how long an access token lives. Defaults to one hour.
	TokenTTL time.Duration
	// CacheTTL is how long a checked token is trusted before it is checked against the database
	// again; it bounds how long a revoked client's tokens keep working on other replicas.
	// Defaults to 5 seconds.
	CacheTTL time.Duration
	// CacheSize is the most tokens the cache holds. Defaults to 10,000.
	CacheSize int
	// MissTTL is how long a token that matched nothing is remembered as unknown, so that a
	// client retrying a bad token does not cost a database query each time. Defaults to 30
	// seconds; a new token is never in this cache, since tokens are random.
	MissTTL time.Duration
}

// Service issues tokens and authenticates requests.
type Service struct {
	store    rapport.ClientStore
	tokenTTL time.Duration
	now      func() time.Time
	cache    *expirable.LRU[string, rapport.Principal]
	misses   *expirable.LRU[string, struct{}]
	// photoURLs holds the consumers of signed photo URLs this replica checked recently, by
	// client_id, with their secrets.
	photoURLs *expirable.LRU[string, photoURLConsumer]
}

// photoURLConsumer is a client that signs photo URLs, as the cache keeps it.
type photoURLConsumer struct {
	principal rapport.Principal
	secret    []byte
}

// New returns a service that keeps clients and tokens in store.
func New(store rapport.ClientStore, cfg Config) *Service {
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = time.Hour
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 5 * time.Second
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 10_000
	}
	if cfg.MissTTL <= 0 {
		cfg.MissTTL = 30 * time.Second
	}
	return &Service{
		store:    store,
		tokenTTL: cfg.TokenTTL,
		now:      time.Now,
		cache:    expirable.NewLRU[string, rapport.Principal](cfg.CacheSize, nil, cfg.CacheTTL),
		misses:   expirable.NewLRU[string, struct{}](cfg.CacheSize, nil, cfg.MissTTL),
		// A consumer that is not one (a client_id that is unknown, revoked or has no secret)
		// is cached too, for CacheTTL, so that forged URLs cost no query each.
		photoURLs: expirable.NewLRU[string, photoURLConsumer](cfg.CacheSize, nil, cfg.CacheTTL),
	}
}

// OAuthError is a token-endpoint failure in the terms of RFC 6749 §5.2.
type OAuthError struct {
	Code        string // invalid_request, invalid_client, unsupported_grant_type, invalid_scope
	Description string
}

func (e *OAuthError) Error() string { return e.Code + ": " + e.Description }

// TokenRequest is a client-credentials grant as the token endpoint received it.
type TokenRequest struct {
	GrantType    string
	Scope        string // space-separated; empty for every scope of the client
	ClientID     string
	ClientSecret string
}

// Token is an issued access token.
type Token struct {
	AccessToken string
	ExpiresIn   time.Duration
	Scopes      []rapport.Scope
}

// IssueToken checks a client-credentials grant and issues a token. Failures the caller made
// are *OAuthError; an unreachable database is a *rapport.Error of kind Unavailable.
func (s *Service) IssueToken(ctx context.Context, req TokenRequest) (Token, error) {
	if req.GrantType == "" {
		return Token{}, &OAuthError{"invalid_request", "grant_type is required"}
	}
	if req.GrantType != "client_credentials" {
		return Token{}, &OAuthError{"unsupported_grant_type", "only the client_credentials grant is supported"}
	}
	if req.ClientID == "" || req.ClientSecret == "" {
		return Token{}, &OAuthError{"invalid_client", "client authentication is required: HTTP Basic, or client_id and client_secret in the form"}
	}
	cred, err := s.store.GetClientCredentials(ctx, req.ClientID)
	if rapport.ErrorKind(err) == rapport.NotFound {
		// Spend the same work as for a known client, so timing does not tell which ids exist.
		_ = subtle.ConstantTimeCompare(hashSecret(req.ClientSecret), make([]byte, sha256.Size))
		return Token{}, &OAuthError{"invalid_client", "unknown client or wrong secret"}
	}
	if err != nil {
		return Token{}, err
	}
	if subtle.ConstantTimeCompare(hashSecret(req.ClientSecret), cred.SecretHash) != 1 {
		return Token{}, &OAuthError{"invalid_client", "unknown client or wrong secret"}
	}
	if cred.Client.Status != rapport.ClientActive {
		return Token{}, &OAuthError{"invalid_client", "the client is revoked"}
	}
	scopes := cred.Client.Scopes
	if req.Scope != "" {
		scopes = nil
		for _, s := range strings.Fields(req.Scope) {
			if !slices.Contains(cred.Client.Scopes, rapport.Scope(s)) {
				return Token{}, &OAuthError{"invalid_scope", fmt.Sprintf("the client does not hold the scope %q", s)}
			}
			if !slices.Contains(scopes, rapport.Scope(s)) {
				scopes = append(scopes, rapport.Scope(s))
			}
		}
	}
	token := "rpt_" + randomString()
	grant := rapport.TokenGrant{
		Hash:      hashSecret(token),
		ClientID:  cred.Client.ID,
		Scopes:    scopes,
		ExpiresAt: s.now().Add(s.tokenTTL),
	}
	if err := s.store.CreateToken(ctx, grant); err != nil {
		return Token{}, err
	}
	return Token{AccessToken: token, ExpiresIn: s.tokenTTL, Scopes: scopes}, nil
}

// Cached returns the principal of a token this replica checked recently, or ok false when
// Authenticate would have to ask the database. It never does itself, so the HTTP layer can
// ration lookups before it pays for one.
func (s *Service) Cached(token string) (p *rapport.Principal, ok bool) {
	key := tokenKey(token)
	if cached, ok := s.cache.Get(key); ok && s.now().Before(cached.ExpiresAt) {
		return &cached, true
	}
	return nil, false
}

// Authenticate returns the principal the bearer token stands for, or an error of kind
// Unauthenticated when the token is unknown, expired or its client revoked. At steady state it
// answers from the cache without a database round trip, and a token found unknown is not
// looked up again for MissTTL. The principal is a copy the caller may change.
func (s *Service) Authenticate(ctx context.Context, token string) (*rapport.Principal, error) {
	key := tokenKey(token)
	p, ok := s.cache.Get(key)
	if !ok {
		if _, miss := s.misses.Get(key); miss {
			return nil, rapport.Errorf(rapport.Unauthenticated, "the access token is invalid, expired or revoked")
		}
		var err error
		p, err = s.store.GetTokenPrincipal(ctx, hashSecret(token))
		if rapport.ErrorKind(err) == rapport.NotFound {
			s.misses.Add(key, struct{}{})
			return nil, rapport.Errorf(rapport.Unauthenticated, "the access token is invalid, expired or revoked")
		}
		if err != nil {
			return nil, err
		}
		s.cache.Add(key, p)
	}
	if !s.now().Before(p.ExpiresAt) {
		s.cache.Remove(key)
		return nil, rapport.Errorf(rapport.Unauthenticated, "the access token has expired")
	}
	return &p, nil
}

func tokenKey(token string) string {
	return hex.EncodeToString(hashSecret(token))
}

// forget drops every cached token of the client, and its photo URL secret, so that this
// replica stops accepting them at once; other replicas follow within CacheTTL.
func (s *Service) forget(clientID uuid.UUID) {
	for _, key := range s.cache.Keys() {
		if p, ok := s.cache.Peek(key); ok && p.ClientUUID == clientID {
			s.cache.Remove(key)
		}
	}
	for _, key := range s.photoURLs.Keys() {
		if c, ok := s.photoURLs.Peek(key); ok && c.principal.ClientUUID == clientID {
			s.photoURLs.Remove(key)
		}
	}
}

// RotatePhotoURLSecret gives a photo consumer the principal controls a new secret for its
// signed photo URLs and returns it, base64url without padding; URLs signed before stop
// working on this replica at once, on the others within CacheTTL.
func (s *Service) RotatePhotoURLSecret(ctx context.Context, p *rapport.Principal, id uuid.UUID, match rapport.Match) (rapport.Client, string, error) {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret) // crypto/rand.Read never fails
	c, err := s.store.SetPhotoURLSecret(ctx, p, id, match, secret)
	if err != nil {
		return rapport.Client{}, "", err
	}
	s.forget(id)
	return c, base64.RawURLEncoding.EncodeToString(secret), nil
}

// SignPhotoURL returns the signature of a photo URL: the unpadded base64url HMAC-SHA256, keyed
// with the consumer's secret as it was given to it (the 43 characters, so that any tool, a
// shell's openssl included, signs with it as it is), of the method, the path (without its
// query), the consumer's client_id and the expiry in Unix seconds, one per line. What a
// consumer computes to make its URLs, and what PhotoURLPrincipal checks.
func SignPhotoURL(secret, method, path, clientID string, exp int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%s\n%s\n%s\n%d", method, path, clientID, exp)
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// PhotoURLCached reports whether PhotoURLPrincipal would check a URL of the consumer without
// asking the database, so that the HTTP layer can ration lookups before it pays for one.
func (s *Service) PhotoURLCached(clientID string) bool {
	_, ok := s.photoURLs.Peek(clientID)
	return ok
}

// PhotoURLPrincipal returns the principal of a signed photo URL: the consumer clientID names,
// when sig is its signature of the request (SignPhotoURL) and exp has not passed. Otherwise
// the error is of kind Unauthenticated, the same whether the client is unknown or the
// signature wrong, so that a URL tells nothing of which clients exist.
func (s *Service) PhotoURLPrincipal(ctx context.Context, method, path, clientID string, exp int64, sig string) (*rapport.Principal, error) {
	if s.now().Unix() >= exp {
		return nil, rapport.Errorf(rapport.Unauthenticated, "the signed URL has expired; sign a new one")
	}
	consumer, ok := s.photoURLs.Get(clientID)
	if !ok {
		p, secret, err := s.store.GetPhotoURLPrincipal(ctx, clientID)
		if err != nil && rapport.ErrorKind(err) != rapport.NotFound {
			return nil, err
		}
		consumer = photoURLConsumer{principal: p, secret: secret}
		s.photoURLs.Add(clientID, consumer)
	}
	want := SignPhotoURL(base64.RawURLEncoding.EncodeToString(consumer.secret), method, path, clientID, exp)
	if consumer.secret == nil || subtle.ConstantTimeCompare([]byte(sig), []byte(want)) != 1 {
		return nil, rapport.Errorf(rapport.Unauthenticated, "the signature does not match the URL, or the client signs no photo URLs")
	}
	p := consumer.principal
	p.ExpiresAt = time.Unix(exp, 0)
	return &p, nil
}

// CreateClient creates an API client for the principal's district and returns it with its
// secret, which is not kept anywhere and cannot be shown again. The principal may grant only
// what it holds (see rapport.Principal.CheckGrant).
func (s *Service) CreateClient(ctx context.Context, p *rapport.Principal, in rapport.ClientCreate) (rapport.Client, string, error) {
	if err := in.Validate(); err != nil {
		return rapport.Client{}, "", err
	}
	if err := p.CheckGrant(in); err != nil {
		return rapport.Client{}, "", err
	}
	if in.ClientID == "" {
		in.ClientID = "rc_" + randomString()[:16]
	}
	secret := NewSecret()
	c, err := s.store.CreateClient(ctx, p.Tenant, p.Actor(), in, HashSecret(secret))
	if err != nil {
		return rapport.Client{}, "", err
	}
	return c, secret, nil
}

// UpdateClient changes a client the principal controls (rapport.Principal.CheckControl) into
// one it could have created (CheckGrant). This replica stops using the client's cached
// tokens at once; a change of scopes or schools also deletes them.
func (s *Service) UpdateClient(ctx context.Context, p *rapport.Principal, id uuid.UUID, match rapport.Match, patch rapport.ClientPatch) (rapport.Client, error) {
	c, err := s.store.UpdateClient(ctx, p, id, match, patch)
	if err != nil {
		return rapport.Client{}, err
	}
	s.forget(id)
	return c, nil
}

// RotateClientSecret gives a client the principal controls a new secret and returns it; the
// old secret and the tokens issued with it stop working.
func (s *Service) RotateClientSecret(ctx context.Context, p *rapport.Principal, id uuid.UUID, match rapport.Match) (rapport.Client, string, error) {
	secret := NewSecret()
	c, err := s.store.RotateClientSecret(ctx, p, id, match, HashSecret(secret))
	if err != nil {
		return rapport.Client{}, "", err
	}
	s.forget(id)
	return c, secret, nil
}

// RevokeClient revokes a client the principal controls; its tokens stop working. A principal
// cannot revoke the client it authenticates as: that is an error of kind Conflict.
func (s *Service) RevokeClient(ctx context.Context, p *rapport.Principal, id uuid.UUID, match rapport.Match) (rapport.Client, error) {
	if id == p.ClientUUID {
		return rapport.Client{}, rapport.Errorf(rapport.Conflict, "a client cannot revoke itself; revoke it with another admin client")
	}
	c, err := s.store.RevokeClient(ctx, p, id, match)
	if err != nil {
		return rapport.Client{}, err
	}
	s.forget(id)
	return c, nil
}

// WatchClients makes this replica stop trusting the cached tokens of an API client within
// about interval of a change to it on any replica (a revocation, a new secret, new scopes), until
// ctx ends: it reads the change feed's client changes every interval. Changes are read again
// for a while after they were recorded (lookback), since the time of a change is when its
// transaction began, which may be a little before it committed, and replicas' clocks differ a
// little; each change is acted on once.
func (s *Service) WatchClients(ctx context.Context, interval, lookback time.Duration, onError func(error)) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	seen := map[string]time.Time{} // events acted on, by cursor, with their time
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		since := s.now().Add(-lookback)
		changes, err := s.store.ListClientChanges(ctx, since)
		if err != nil {
			if ctx.Err() == nil {
				onError(err)
			}
			continue
		}
		for _, c := range changes {
			if _, ok := seen[c.Event]; !ok {
				seen[c.Event] = c.At
				s.forget(c.ClientID)
			}
		}
		for event, at := range seen {
			if at.Before(since) {
				delete(seen, event)
			}
		}
	}
}

// NewSecret returns a new random client secret.
func NewSecret() string {
	return "rps_" + randomString()
}

// HashSecret returns the hash under which a secret or token is stored.
func HashSecret(secret string) []byte {
	return hashSecret(secret)
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// randomString returns 256 random bits, base64url-encoded.
func randomString() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// CLIPrincipal is the principal of the command line: every scope over the whole district.
func CLIPrincipal(districtID uuid.UUID) *rapport.Principal {
	return &rapport.Principal{
		ClientID: rapport.CLIClientID,
		Tenant:   rapport.TenantScope{DistrictID: districtID},
		Scopes:   slices.Clone(rapport.AllScopes),
	}
}
