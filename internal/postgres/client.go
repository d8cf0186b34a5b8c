package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/internal/rapport"
)

var _ rapport.ClientStore = (*Store)(nil)

const clientColumns = `c.id, c.client_id, c.name, c.district_id,
	ARRAY(SELECT cs.school_id FROM api_client_schools cs WHERE cs.client_uuid = c.id ORDER BY cs.school_id),
	c.scopes,
	ARRAY(SELECT au.acting_user FROM api_client_acting_users au WHERE au.client_uuid = c.id ORDER BY au.acting_user),
	coalesce(c.photo_purpose, ''), coalesce(c.photo_daily_cap, 0),
	c.revoked_at, c.secret_rotated_at, c.last_token_at, c.version,
	c.created_at, c.created_by_client, coalesce(c.created_by_user, ''),
	c.updated_at, c.updated_by_client, coalesce(c.updated_by_user, '')`

func scanClient(row pgx.CollectableRow) (rapport.Client, error) {
	var c rapport.Client
	err := scanClientInto(row, &c)
	return c, err
}

// scanClientInto scans the clientColumns of row into c, and any further columns into extra.
func scanClientInto(row pgx.Row, c *rapport.Client, extra ...any) error {
	var revokedAt, rotatedAt, lastTokenAt *time.Time
	dest := []any{&c.ID, &c.ClientID, &c.Name, &c.DistrictID, &c.SchoolIDs, &c.Scopes, &c.ActingUsers,
		&c.PhotoPurpose, &c.PhotoDailyCap, &revokedAt, &rotatedAt, &lastTokenAt, &c.Version,
		&c.CreatedAt, &c.CreatedBy.ClientID, &c.CreatedBy.ActingUser,
		&c.UpdatedAt, &c.UpdatedBy.ClientID, &c.UpdatedBy.ActingUser}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return err
	}
	c.Status = rapport.ClientActive
	if revokedAt != nil {
		c.Status, c.RevokedAt = rapport.ClientRevoked, *revokedAt
	}
	if rotatedAt != nil {
		c.SecretRotatedAt = *rotatedAt
	}
	if lastTokenAt != nil {
		c.LastTokenAt = *lastTokenAt
	}
	return nil
}

// clientInScope is the condition that a client (aliased c) is visible to a scope whose
// district is $1 and schools $2: for a scope limited to some schools, the client must be
// limited to some of those schools too.
const clientInScope = `c.district_id = $1 AND ($2::uuid[] IS NULL OR (
		EXISTS (SELECT 1 FROM api_client_schools cs WHERE cs.client_uuid = c.id)
		AND NOT EXISTS (SELECT 1 FROM api_client_schools cs WHERE cs.client_uuid = c.id AND NOT cs.school_id = ANY($2))))`

// ListClients returns one page of the scope's clients, newest first.
func (s *Store) ListClients(ctx context.Context, scope rapport.TenantScope, page rapport.PageRequest) (rapport.Page[rapport.Client], error) {
	cursors, err := s.listCursors(ctx, "clients", scope)
	if err != nil {
		return rapport.Page[rapport.Client]{}, err
	}
	var afterAt *time.Time
	var afterID *uuid.UUID
	if page.Cursor != "" {
		var at time.Time
		var id uuid.UUID
		if err := cursors.decode(page.Cursor, &at, &id); err != nil {
			return rapport.Page[rapport.Client]{}, err
		}
		afterAt, afterID = &at, &id
	}
	size := page.Size()
	clients, err := queryRows(ctx, s.pool, "list clients", scanClient, `
		SELECT `+clientColumns+`
		FROM api_clients c
		WHERE `+clientInScope+`
		  AND ($3::timestamptz IS NULL OR (c.created_at, c.id) < ($3, $4))
		ORDER BY c.created_at DESC, c.id DESC
		LIMIT `+strconv.Itoa(size+1), []any{scope.DistrictID, scope.SchoolIDs, afterAt, afterID})
	if err != nil {
		return rapport.Page[rapport.Client]{}, err
	}
	return pageOf(clients, size, func(c rapport.Client) string { return cursors.encode(c.CreatedAt, c.ID) }), nil
}

// GetClient returns the client, or an error of kind NotFound when it is not in scope.
func (s *Store) GetClient(ctx context.Context, scope rapport.TenantScope, id uuid.UUID) (rapport.Client, error) {
	return getClient(ctx, s.pool, scope, id, "")
}

func getClient(ctx context.Context, q querier, scope rapport.TenantScope, id uuid.UUID, lock string) (rapport.Client, error) {
	rows, err := q.Query(ctx, `
		SELECT `+clientColumns+`
		FROM api_clients c
		WHERE `+clientInScope+` AND c.id = $3 `+lock,
		scope.DistrictID, scope.SchoolIDs, id)
	if err != nil {
		return rapport.Client{}, interpretError(fmt.Errorf("get client %s: %w", id, err))
	}
	c, err := pgx.CollectExactlyOneRow(rows, scanClient)
	if errors.Is(err, pgx.ErrNoRows) {
		return rapport.Client{}, notFound("client")
	}
	if err != nil {
		return rapport.Client{}, interpretError(fmt.Errorf("get client %s: %w", id, err))
	}
	return c, nil
}

// CreateClient stores a new client of the scope's district.
func (s *Store) CreateClient(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, in rapport.ClientCreate, secretHash []byte) (rapport.Client, error) {
	if err := in.Validate(); err != nil {
		return rapport.Client{}, err
	}
	id := uuid.Must(uuid.NewV7())
	var c rapport.Client
	err := s.write(ctx, scope, by, "create client", func(w *unit) error {
		_, err := w.tx.Exec(ctx, `
			INSERT INTO api_clients (id, client_id, name, district_id, scopes, secret_hash, photo_purpose, photo_daily_cap,
				created_at, created_by_client, created_by_user, updated_at, updated_by_client, updated_by_user)
			VALUES ($1, $2, $3, $4, $5, $6, $10, $11, $9, $7, $8, $9, $7, $8)`,
			id, in.ClientID, in.Name, scope.DistrictID, in.Scopes, secretHash, by.ClientID, nullIfEmpty(by.ActingUser), w.now,
			nullIfEmpty(string(in.PhotoPurpose)), nullIfZero(in.PhotoDailyCap))
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		if err := writeClientLists(ctx, w.tx, scope.DistrictID, id, in); err != nil {
			return err
		}
		w.record(rapport.ResourceClient, id, uuid.Nil, rapport.EventCreated)
		c, err = getClient(ctx, w.tx, rapport.TenantScope{DistrictID: scope.DistrictID}, id, "")
		return err
	})
	return c, err
}

// writeClientLists replaces the schools and the acting users of a client with those of in.
func writeClientLists(ctx context.Context, tx pgx.Tx, districtID, id uuid.UUID, in rapport.ClientCreate) error {
	if _, err := tx.Exec(ctx, `DELETE FROM api_client_schools WHERE client_uuid = $1`, id); err != nil {
		return fmt.Errorf("write client %s schools: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO api_client_schools (client_uuid, district_id, school_id)
		SELECT $1, $2, unnest($3::uuid[])`, id, districtID, in.SchoolIDs); err != nil {
		return fmt.Errorf("write client %s schools: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM api_client_acting_users WHERE client_uuid = $1`, id); err != nil {
		return fmt.Errorf("write client %s acting users: %w", id, err)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO api_client_acting_users (client_uuid, acting_user)
		SELECT $1, unnest($2::text[])`, id, in.ActingUsers); err != nil {
		return fmt.Errorf("write client %s acting users: %w", id, err)
	}
	return nil
}

// changeClient reads the client under a lock, checks the If-Match condition and that the
// principal controls the client, and then lets change write to it; a change that wrote
// (changed true) is in the change feed, where the other replicas learn to forget the client's
// cached tokens.
func (s *Store) changeClient(ctx context.Context, p *rapport.Principal, what string, id uuid.UUID, match rapport.Match,
	change func(w *unit, current rapport.Client) (changed bool, err error)) (rapport.Client, error) {
	var c rapport.Client
	err := s.write(ctx, p.Tenant, p.Actor(), what+" "+id.String(), func(w *unit) error {
		current, err := lockVersioned(ctx, w, "client", match, func(c rapport.Client) int { return c.Version },
			func(ctx context.Context, q querier, lock string) (rapport.Client, error) {
				return getClient(ctx, q, p.Tenant, id, lock+" OF c")
			})
		if err != nil {
			return err
		}
		if err := p.CheckControl(current); err != nil {
			return err
		}
		changed, err := change(w, current)
		if err != nil {
			return err
		}
		if changed {
			w.record(rapport.ResourceClient, id, uuid.Nil, rapport.EventUpdated)
		}
		c, err = getClient(ctx, w.tx, p.Tenant, id, "")
		return err
	})
	return c, err
}

// UpdateClient applies a merge patch to a client the principal controls. A change of its
// scopes, schools, photo purpose or daily cap deletes its tokens, so that the change holds at
// once (tokens carry them).
func (s *Store) UpdateClient(ctx context.Context, p *rapport.Principal, id uuid.UUID, match rapport.Match, patch rapport.ClientPatch) (rapport.Client, error) {
	by := p.Actor()
	return s.changeClient(ctx, p, "update client", id, match, func(w *unit, current rapport.Client) (bool, error) {
		if current.Status == rapport.ClientRevoked {
			return false, rapport.Errorf(rapport.Conflict, "the client is revoked; create a new one instead")
		}
		next := patch.Apply(current)
		if err := next.Validate(); err != nil {
			return false, err
		}
		if err := p.CheckGrant(next); err != nil {
			return false, err
		}
		newScopes := !slices.Equal(sortedScopes(current.Scopes), sortedScopes(next.Scopes)) || !sameIDs(current.SchoolIDs, next.SchoolIDs) ||
			next.PhotoPurpose != current.PhotoPurpose || next.PhotoDailyCap != current.PhotoDailyCap
		if !newScopes && next.Name == current.Name && slices.Equal(next.ActingUsers, current.ActingUsers) {
			return false, nil
		}
		if _, err := w.tx.Exec(ctx, `
			UPDATE api_clients
			SET name = $2, scopes = $3, photo_purpose = $7, photo_daily_cap = $8, version = version + 1,
				updated_at = $6, updated_by_client = $4, updated_by_user = $5
			WHERE id = $1`, id, next.Name, next.Scopes, by.ClientID, nullIfEmpty(by.ActingUser), w.now,
			nullIfEmpty(string(next.PhotoPurpose)), nullIfZero(next.PhotoDailyCap)); err != nil {
			return false, fmt.Errorf("update: %w", err)
		}
		if err := writeClientLists(ctx, w.tx, current.DistrictID, id, next); err != nil {
			return false, err
		}
		if newScopes {
			if _, err := w.tx.Exec(ctx, `DELETE FROM access_tokens WHERE client_uuid = $1`, id); err != nil {
				return false, fmt.Errorf("delete tokens: %w", err)
			}
		}
		return true, nil
	})
}

func sortedScopes(scopes []rapport.Scope) []rapport.Scope {
	out := slices.Clone(scopes)
	slices.Sort(out)
	return slices.Compact(out)
}

// sameIDs reports whether a and b hold the same ids, in any order.
func sameIDs(a, b []uuid.UUID) bool {
	cmp := func(x, y uuid.UUID) int { return bytes.Compare(x[:], y[:]) }
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, cmp)
	slices.SortFunc(b, cmp)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// RevokeClient marks a client the principal controls revoked and deletes its tokens.
func (s *Store) RevokeClient(ctx context.Context, p *rapport.Principal, id uuid.UUID, match rapport.Match) (rapport.Client, error) {
	by := p.Actor()
	return s.changeClient(ctx, p, "revoke client", id, match, func(w *unit, current rapport.Client) (bool, error) {
		if current.Status == rapport.ClientRevoked {
			return false, nil
		}
		if _, err := w.tx.Exec(ctx, `
			UPDATE api_clients
			SET revoked_at = $4, version = version + 1,
				updated_at = $4, updated_by_client = $2, updated_by_user = $3
			WHERE id = $1`, id, by.ClientID, nullIfEmpty(by.ActingUser), w.now); err != nil {
			return false, fmt.Errorf("revoke: %w", err)
		}
		if _, err := w.tx.Exec(ctx, `DELETE FROM access_tokens WHERE client_uuid = $1`, id); err != nil {
			return false, fmt.Errorf("delete tokens: %w", err)
		}
		return true, nil
	})
}

// RotateClientSecret gives a client the principal controls a new secret hash and deletes its
// tokens.
func (s *Store) RotateClientSecret(ctx context.Context, p *rapport.Principal, id uuid.UUID, match rapport.Match, secretHash []byte) (rapport.Client, error) {
	by := p.Actor()
	return s.changeClient(ctx, p, "rotate secret of client", id, match, func(w *unit, current rapport.Client) (bool, error) {
		if current.Status == rapport.ClientRevoked {
			return false, rapport.Errorf(rapport.Conflict, "the client is revoked; create a new one instead")
		}
		if _, err := w.tx.Exec(ctx, `
			UPDATE api_clients
			SET secret_hash = $2, secret_rotated_at = $5, version = version + 1,
				updated_at = $5, updated_by_client = $3, updated_by_user = $4
			WHERE id = $1`, id, secretHash, by.ClientID, nullIfEmpty(by.ActingUser), w.now); err != nil {
			return false, fmt.Errorf("rotate: %w", err)
		}
		if _, err := w.tx.Exec(ctx, `DELETE FROM access_tokens WHERE client_uuid = $1`, id); err != nil {
			return false, fmt.Errorf("delete tokens: %w", err)
		}
		return true, nil
	})
}

// SetPhotoURLSecret gives a photo consumer the principal controls a new secret for its signed
// photo URLs.
func (s *Store) SetPhotoURLSecret(ctx context.Context, p *rapport.Principal, id uuid.UUID, match rapport.Match, secret []byte) (rapport.Client, error) {
	by := p.Actor()
	return s.changeClient(ctx, p, "set photo URL secret of client", id, match, func(w *unit, current rapport.Client) (bool, error) {
		if current.Status == rapport.ClientRevoked {
			return false, rapport.Errorf(rapport.Conflict, "the client is revoked; create a new one instead")
		}
		consumer := rapport.Principal{Scopes: current.Scopes, PhotoPurpose: current.PhotoPurpose}
		if !consumer.CanReadPhotos() {
			return false, rapport.Errorf(rapport.Conflict,
				"the client reads no photos: give it photos:read and a photo_purpose (or photos:staff) first")
		}
		if _, err := w.tx.Exec(ctx, `
			UPDATE api_clients
			SET photo_url_secret = $2, version = version + 1, updated_at = $5, updated_by_client = $3, updated_by_user = $4
			WHERE id = $1`, id, secret, by.ClientID, nullIfEmpty(by.ActingUser), w.now); err != nil {
			return false, fmt.Errorf("set photo URL secret: %w", err)
		}
		return true, nil
	})
}

// GetPhotoURLPrincipal returns the principal of an active client with the secret of its signed
// photo URLs.
func (s *Store) GetPhotoURLPrincipal(ctx context.Context, clientID string) (rapport.Principal, []byte, error) {
	var p rapport.Principal
	var schoolIDs []uuid.UUID
	var secret []byte
	err := s.pool.QueryRow(ctx, `
		SELECT c.id, c.client_id, c.district_id,
			ARRAY(SELECT cs.school_id FROM api_client_schools cs WHERE cs.client_uuid = c.id ORDER BY cs.school_id),
			c.scopes, coalesce(c.photo_purpose, ''), coalesce(c.photo_daily_cap, 0), c.photo_url_secret
		FROM api_clients c
		WHERE c.client_id = $1 AND c.revoked_at IS NULL AND c.photo_url_secret IS NOT NULL`, clientID,
	).Scan(&p.ClientUUID, &p.ClientID, &p.Tenant.DistrictID, &schoolIDs, &p.Scopes, &p.PhotoPurpose, &p.PhotoDailyCap, &secret)
	if errors.Is(err, pgx.ErrNoRows) {
		return rapport.Principal{}, nil, notFound("client")
	}
	if err != nil {
		return rapport.Principal{}, nil, interpretError(fmt.Errorf("get photo URL principal: %w", err))
	}
	if len(schoolIDs) > 0 {
		p.Tenant.SchoolIDs = schoolIDs
	}
	return p, secret, nil
}

// GetClientCredentials returns the client with the OAuth client_id and its secret hash.
func (s *Store) GetClientCredentials(ctx context.Context, clientID string) (rapport.ClientCredentials, error) {
	var cred rapport.ClientCredentials
	err := scanClientInto(s.pool.QueryRow(ctx, `
		SELECT `+clientColumns+`, c.secret_hash
		FROM api_clients c
		WHERE c.client_id = $1`, clientID), &cred.Client, &cred.SecretHash)
	if errors.Is(err, pgx.ErrNoRows) {
		return rapport.ClientCredentials{}, notFound("client")
	}
	if err != nil {
		return rapport.ClientCredentials{}, interpretError(fmt.Errorf("get client credentials: %w", err))
	}
	return cred, nil
}

// CreateToken stores a token grant and notes the time on its client.
func (s *Store) CreateToken(ctx context.Context, grant rapport.TokenGrant) error {
	// A token is no change to a resource: the unit records nothing.
	return s.write(ctx, rapport.TenantScope{}, rapport.Actor{}, "create token", func(w *unit) error {
		if _, err := w.tx.Exec(ctx, `
			INSERT INTO access_tokens (token_hash, client_uuid, scopes, expires_at, created_at)
			VALUES ($1, $2, $3, $4, $5)`, grant.Hash, grant.ClientID, grant.Scopes, grant.ExpiresAt, w.now); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		if _, err := w.tx.Exec(ctx, `UPDATE api_clients SET last_token_at = $2 WHERE id = $1`, grant.ClientID, w.now); err != nil {
			return fmt.Errorf("note token time: %w", err)
		}
		return nil
	})
}

// GetTokenPrincipal returns the principal of a live token of an active client.
func (s *Store) GetTokenPrincipal(ctx context.Context, tokenHash []byte) (rapport.Principal, error) {
	var p rapport.Principal
	var schoolIDs []uuid.UUID
	err := s.pool.QueryRow(ctx, `
		SELECT c.id, c.client_id, c.district_id,
			ARRAY(SELECT cs.school_id FROM api_client_schools cs WHERE cs.client_uuid = c.id ORDER BY cs.school_id),
			ARRAY(SELECT au.acting_user FROM api_client_acting_users au WHERE au.client_uuid = c.id ORDER BY au.acting_user),
			t.scopes, t.expires_at, coalesce(c.photo_purpose, ''), coalesce(c.photo_daily_cap, 0)
		FROM access_tokens t
		JOIN api_clients c ON c.id = t.client_uuid
		WHERE t.token_hash = $1 AND t.expires_at > now() AND c.revoked_at IS NULL`, tokenHash,
	).Scan(&p.ClientUUID, &p.ClientID, &p.Tenant.DistrictID, &schoolIDs, &p.ActingUsers, &p.Scopes, &p.ExpiresAt,
		&p.PhotoPurpose, &p.PhotoDailyCap)
	if errors.Is(err, pgx.ErrNoRows) {
		return rapport.Principal{}, notFound("token")
	}
	if err != nil {
		return rapport.Principal{}, interpretError(fmt.Errorf("get token: %w", err))
	}
	if len(schoolIDs) > 0 {
		p.Tenant.SchoolIDs = schoolIDs
	}
	return p, nil
}

// DeleteExpiredTokens removes tokens that expired before the given time.
func (s *Store) DeleteExpiredTokens(ctx context.Context, before time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM access_tokens WHERE expires_at < $1`, before)
	if err != nil {
		return 0, interpretError(fmt.Errorf("delete expired tokens: %w", err))
	}
	return tag.RowsAffected(), nil
}

// ListClientChanges returns the changes of API clients recorded after the time, oldest first
// (the partial index changes_clients_idx).
func (s *Store) ListClientChanges(ctx context.Context, since time.Time) ([]rapport.ClientChange, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT xid::text::bigint, seq, resource_id, at FROM changes
		WHERE resource = 'client' AND at > $1
		ORDER BY at`, since)
	if err != nil {
		return nil, interpretError(fmt.Errorf("list client changes: %w", err))
	}
	changes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (rapport.ClientChange, error) {
		var xid, seq int64
		var c rapport.ClientChange
		err := row.Scan(&xid, &seq, &c.ClientID, &c.At)
		c.Event = fmt.Sprintf("%d/%d", xid, seq)
		return c, err
	})
	if err != nil {
		return nil, interpretError(fmt.Errorf("list client changes: %w", err))
	}
	return changes, nil
}
