package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/internal/rapport"
)

// Provisioning: the operations of the command line (and of tests) that set up tenants, which
// the API itself does not offer. Each is idempotent, keyed by slug or client_id.

// EnsureDistrict creates the district unless one with its slug exists, and returns the stored
// district either way. A zero id gets a new one.
func (s *Store) EnsureDistrict(ctx context.Context, id uuid.UUID, in rapport.DistrictCreate) (rapport.District, error) {
	if err := in.Validate(); err != nil {
		return rapport.District{}, err
	}
	if id == uuid.Nil {
		id = uuid.Must(uuid.NewV7())
	}
	err := s.writeOne(ctx, rapport.TenantScope{DistrictID: id}, rapport.Actor{ClientID: rapport.CLIClientID}, "ensure district "+in.Slug,
		func(q querier, w *unit) error {
			_, err := q.Exec(ctx, `
				INSERT INTO districts (id, name, slug, sourced_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
				ON CONFLICT (slug) DO NOTHING`, id, in.Name, in.Slug, nullIfEmpty(in.SourcedID), w.now)
			return err
		})
	if err != nil {
		return rapport.District{}, err
	}
	return s.GetDistrictBySlug(ctx, in.Slug)
}

// GetDistrictBySlug returns the district with the slug, or an error of kind NotFound.
func (s *Store) GetDistrictBySlug(ctx context.Context, slug string) (rapport.District, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+districtColumns+` FROM districts WHERE slug = $1`, slug)
	if err != nil {
		return rapport.District{}, interpretError(fmt.Errorf("get district %s: %w", slug, err))
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDistrict)
	if errors.Is(err, pgx.ErrNoRows) {
		return rapport.District{}, rapport.Errorf(rapport.NotFound, "no district has the slug %q", slug)
	}
	if err != nil {
		return rapport.District{}, interpretError(fmt.Errorf("get district %s: %w", slug, err))
	}
	return d, nil
}

// EnsureSchool creates the school in the district unless one with its slug exists, and returns
// the stored school either way. A zero ID gets a new one.
func (s *Store) EnsureSchool(ctx context.Context, districtID uuid.UUID, by rapport.Actor, id uuid.UUID, in rapport.SchoolCreate) (rapport.School, error) {
	if err := in.Normalize(); err != nil {
		return rapport.School{}, err
	}
	if id == uuid.Nil {
		id = uuid.Must(uuid.NewV7())
	}
	err := s.writeOne(ctx, rapport.TenantScope{DistrictID: districtID}, by, "ensure school "+in.Slug, func(q querier, w *unit) error {
		c := conditions{args: []any{id, districtID, in.Name, in.Slug, nullIfEmpty(in.SourcedID), in.TimeZone, in.Status,
			by.ClientID, nullIfEmpty(by.ActingUser), w.now}}
		_, err := q.Exec(ctx, `
			WITH inserted AS (
				INSERT INTO schools (id, district_id, name, slug, sourced_id, time_zone, status,
					created_at, created_by_client, created_by_user, updated_at, updated_by_client, updated_by_user)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $10, $8, $9, $10, $8, $9)
				ON CONFLICT (slug) DO NOTHING
				RETURNING *), `+w.changeFrom(&c, "inserted", rapport.ResourceSchool, rapport.EventCreated)+`
			SELECT 1`, c.args...)
		return err
	})
	if err != nil {
		return rapport.School{}, err
	}
	rows, err := s.pool.Query(ctx, `SELECT `+schoolColumns+` FROM schools WHERE slug = $1 AND district_id = $2`, in.Slug, districtID)
	if err != nil {
		return rapport.School{}, interpretError(fmt.Errorf("ensure school %s: %w", in.Slug, err))
	}
	school, err := pgx.CollectExactlyOneRow(rows, scanSchool)
	if errors.Is(err, pgx.ErrNoRows) {
		return rapport.School{}, rapport.FieldErrorf(rapport.Conflict, "#/slug", "the slug %q belongs to a school of another district", in.Slug)
	}
	if err != nil {
		return rapport.School{}, interpretError(fmt.Errorf("ensure school %s: %w", in.Slug, err))
	}
	return school, nil
}

// EnsureClient creates the API client with the given secret hash, or, when its client_id
// exists in the same district, restores it: the secret, scopes, schools and acting users are
// reset and a revocation lifted, so that demo credentials always work after seeding.
func (s *Store) EnsureClient(ctx context.Context, districtID uuid.UUID, by rapport.Actor, in rapport.ClientCreate, secretHash []byte) (rapport.Client, error) {
	if err := in.Validate(); err != nil {
		return rapport.Client{}, err
	}
	var c rapport.Client
	err := s.write(ctx, rapport.TenantScope{DistrictID: districtID}, by, "ensure client "+in.ClientID, func(w *unit) error {
		tx := w.tx
		var id uuid.UUID
		var created bool
		err := tx.QueryRow(ctx, `
			INSERT INTO api_clients (id, client_id, name, district_id, scopes, secret_hash,
				created_at, created_by_client, updated_at, updated_by_client)
			VALUES ($1, $2, $3, $4, $5, $6, $8, $7, $8, $7)
			ON CONFLICT (client_id) DO UPDATE
			SET secret_hash = EXCLUDED.secret_hash, scopes = EXCLUDED.scopes, revoked_at = NULL,
				version = api_clients.version + 1, updated_at = EXCLUDED.updated_at, updated_by_client = EXCLUDED.updated_by_client
			WHERE api_clients.district_id = EXCLUDED.district_id
			RETURNING id, xmax = 0`,
			uuid.Must(uuid.NewV7()), in.ClientID, in.Name, districtID, in.Scopes, secretHash, by.ClientID, w.now).Scan(&id, &created)
		if errors.Is(err, pgx.ErrNoRows) {
			return rapport.FieldErrorf(rapport.Conflict, "#/client_id", "the client_id %q belongs to another district", in.ClientID)
		}
		if err != nil {
			return fmt.Errorf("ensure client %s: %w", in.ClientID, err)
		}
		if err := writeClientLists(ctx, tx, districtID, id, in); err != nil {
			return err
		}
		kind := rapport.EventUpdated
		if created {
			kind = rapport.EventCreated
		}
		w.record(rapport.ResourceClient, id, uuid.Nil, kind)
		c, err = getClient(ctx, tx, rapport.TenantScope{DistrictID: districtID}, id, "")
		return err
	})
	return c, err
}
