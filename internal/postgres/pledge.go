package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/internal/rapport"
)

var _ rapport.PledgeStore = (*Store)(nil)

const pledgeColumns = `district_id, school_id, version, feel, know, access, text,
	published_at, published_by_client, coalesce(published_by_user, '')`

func scanPledge(row pgx.CollectableRow) (rapport.Pledge, error) {
	var p rapport.Pledge
	err := row.Scan(&p.DistrictID, &p.SchoolID, &p.Version, &p.Feel, &p.Know, &p.Access, &p.Text,
		&p.PublishedAt, &p.PublishedBy.ClientID, &p.PublishedBy.ActingUser)
	return p, err
}

// currentPledge returns the school's pledge of the highest version, or an error of kind
// NotFound when it has none.
func currentPledge(ctx context.Context, q querier, schoolID uuid.UUID) (rapport.Pledge, error) {
	rows, err := q.Query(ctx, `
		SELECT `+pledgeColumns+`
		FROM service_pledges
		WHERE school_id = $1
		ORDER BY version DESC
		LIMIT 1`, schoolID)
	if err != nil {
		return rapport.Pledge{}, interpretError(fmt.Errorf("get pledge of school %s: %w", schoolID, err))
	}
	p, err := pgx.CollectExactlyOneRow(rows, scanPledge)
	if errors.Is(err, pgx.ErrNoRows) {
		return rapport.Pledge{}, rapport.Errorf(rapport.NotFound, "the school has no service pledge yet")
	}
	if err != nil {
		return rapport.Pledge{}, interpretError(fmt.Errorf("get pledge of school %s: %w", schoolID, err))
	}
	return p, nil
}

// GetPledge returns the current pledge of a school in scope.
func (s *Store) GetPledge(ctx context.Context, scope rapport.TenantScope, schoolID uuid.UUID) (rapport.Pledge, error) {
	if _, err := getSchool(ctx, s.pool, scope, schoolID, ""); err != nil {
		return rapport.Pledge{}, err
	}
	return currentPledge(ctx, s.pool, schoolID)
}

// ListPledgeVersions returns one page of a school's pledges, newest first.
func (s *Store) ListPledgeVersions(ctx context.Context, scope rapport.TenantScope, schoolID uuid.UUID, page rapport.PageRequest) (rapport.Page[rapport.Pledge], error) {
	cursors, err := s.listCursors(ctx, "pledge versions "+schoolID.String(), scope)
	if err != nil {
		return rapport.Page[rapport.Pledge]{}, err
	}
	if _, err := getSchool(ctx, s.pool, scope, schoolID, ""); err != nil {
		return rapport.Page[rapport.Pledge]{}, err
	}
	var c conditions
	c.add("school_id = " + c.arg(schoolID))
	if page.Cursor != "" {
		var before int
		if err := cursors.decode(page.Cursor, &before); err != nil {
			return rapport.Page[rapport.Pledge]{}, err
		}
		c.add("version < " + c.arg(before))
	}
	size := page.Size()
	pledges, err := queryRows(ctx, s.pool, "list pledges", scanPledge, `
		SELECT `+pledgeColumns+`
		FROM service_pledges
		`+c.sql()+`
		ORDER BY version DESC
		LIMIT `+strconv.Itoa(size+1), c.args)
	if err != nil {
		return rapport.Page[rapport.Pledge]{}, err
	}
	return pageOf(pledges, size, func(p rapport.Pledge) string { return cursors.encode(p.Version) }), nil
}

// PublishPledge adds a version of a school's pledge unless the draft says what the current one
// says. The school's row is locked meanwhile, so that publishers take their turns and each new
// version is one more than the last.
func (s *Store) PublishPledge(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, schoolID uuid.UUID, match rapport.Match, d rapport.PledgeDraft) (rapport.Pledge, bool, error) {
	if err := d.Normalize(); err != nil {
		return rapport.Pledge{}, false, err
	}
	var out rapport.Pledge
	var created bool
	err := s.write(ctx, scope, by, "publish pledge of school "+schoolID.String(), func(w *unit) error {
		tx := w.tx
		school, err := getSchool(ctx, tx, scope, schoolID, "FOR NO KEY UPDATE")
		if err != nil {
			return err
		}
		current, err := currentPledge(ctx, tx, schoolID)
		if err != nil && rapport.ErrorKind(err) != rapport.NotFound {
			return err
		}
		if err := checkMatch("pledge", match, current.Version); err != nil {
			return err
		}
		if current.Version > 0 && current.Same(d) {
			out = current
			return nil
		}
		rows, err := tx.Query(ctx, `
			INSERT INTO service_pledges (district_id, school_id, version, feel, know, access, text,
				published_at, published_by_client, published_by_user)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $10, $8, $9)
			RETURNING `+pledgeColumns,
			school.DistrictID, schoolID, current.Version+1, d.Feel, d.Know, d.Access, d.Text, by.ClientID, nullIfEmpty(by.ActingUser), w.now)
		if err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		if out, err = pgx.CollectExactlyOneRow(rows, scanPledge); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		created = true
		kind := rapport.EventUpdated
		if current.Version == 0 {
			kind = rapport.EventCreated
		}
		w.record(rapport.ResourcePledge, schoolID, schoolID, kind)
		return nil
	})
	if err != nil {
		return rapport.Pledge{}, false, err
	}
	return out, created, nil
}

// GetPublicPledge returns the current pledge of the active school with the slug.
func (s *Store) GetPublicPledge(ctx context.Context, slug string) (rapport.PublicPledge, error) {
	school, err := publicSchool(ctx, s.pool, slug)
	if err != nil {
		return rapport.PublicPledge{}, err
	}
	p, err := currentPledge(ctx, s.pool, school.ID)
	if err != nil {
		return rapport.PublicPledge{}, err
	}
	p.PublishedBy = rapport.Actor{}
	return rapport.PublicPledge{School: rapport.PublicSchool{Name: school.Name, Slug: school.Slug}, Pledge: p}, nil
}
