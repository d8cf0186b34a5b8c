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

var _ rapport.SchoolStore = (*Store)(nil)

const schoolColumns = `id, district_id, name, slug, coalesce(sourced_id, ''), time_zone, status, version,
	created_at, created_by_client, coalesce(created_by_user, ''),
	updated_at, updated_by_client, coalesce(updated_by_user, '')`

func scanSchool(row pgx.CollectableRow) (rapport.School, error) {
	var s rapport.School
	err := row.Scan(&s.ID, &s.DistrictID, &s.Name, &s.Slug, &s.SourcedID, &s.TimeZone, &s.Status, &s.Version,
		&s.CreatedAt, &s.CreatedBy.ClientID, &s.CreatedBy.ActingUser,
		&s.UpdatedAt, &s.UpdatedBy.ClientID, &s.UpdatedBy.ActingUser)
	return s, err
}

// ListSchools returns one page of the scope's schools, ordered by name.
func (s *Store) ListSchools(ctx context.Context, scope rapport.TenantScope, filter rapport.SchoolFilter, page rapport.PageRequest) (rapport.Page[rapport.School], error) {
	cursors, err := s.listCursors(ctx, "schools", scope)
	if err != nil {
		return rapport.Page[rapport.School]{}, err
	}
	var afterName *string
	var afterID *uuid.UUID
	if page.Cursor != "" {
		var name string
		var id uuid.UUID
		if err := cursors.decode(page.Cursor, &name, &id); err != nil {
			return rapport.Page[rapport.School]{}, err
		}
		afterName, afterID = &name, &id
	}
	size := page.Size()
	schools, err := queryRows(ctx, s.pool, "list schools", scanSchool, `
		SELECT `+schoolColumns+`
		FROM schools
		WHERE district_id = $1
		  AND ($2::uuid[] IS NULL OR id = ANY($2))
		  AND ($3::text = '' OR status = $3)
		  AND ($4::text IS NULL OR (name, id) > ($4, $5))
		ORDER BY name, id
		LIMIT `+strconv.Itoa(size+1), []any{scope.DistrictID, scope.SchoolIDs, filter.Status, afterName, afterID})
	if err != nil {
		return rapport.Page[rapport.School]{}, err
	}
	return pageOf(schools, size, func(s rapport.School) string { return cursors.encode(s.Name, s.ID) }), nil
}

// pageOf cuts a list fetched with one item more than size into a page, with a cursor made from
// the last item kept when more items follow.
func pageOf[T any](items []T, size int, cursor func(T) string) rapport.Page[T] {
	if len(items) <= size {
		return rapport.Page[T]{Items: items}
	}
	items = items[:size]
	return rapport.Page[T]{Items: items, NextCursor: cursor(items[size-1])}
}

// GetSchool returns the school, or an error of kind NotFound when it is not in scope.
func (s *Store) GetSchool(ctx context.Context, scope rapport.TenantScope, id uuid.UUID) (rapport.School, error) {
	return getSchool(ctx, s.pool, scope, id, "")
}

// getSchool reads a school in scope; lock is "" or a locking clause such as "FOR UPDATE".
func getSchool(ctx context.Context, q querier, scope rapport.TenantScope, id uuid.UUID, lock string) (rapport.School, error) {
	if !scope.HasSchool(id) {
		return rapport.School{}, notFound("school")
	}
	rows, err := q.Query(ctx, `
		SELECT `+schoolColumns+`
		FROM schools
		WHERE id = $1 AND district_id = $2 `+lock, id, scope.DistrictID)
	if err != nil {
		return rapport.School{}, interpretError(fmt.Errorf("get school %s: %w", id, err))
	}
	school, err := pgx.CollectExactlyOneRow(rows, scanSchool)
	if errors.Is(err, pgx.ErrNoRows) {
		return rapport.School{}, notFound("school")
	}
	if err != nil {
		return rapport.School{}, interpretError(fmt.Errorf("get school %s: %w", id, err))
	}
	return school, nil
}

// CreateSchool adds a school to the scope's district. A caller limited to some schools cannot
// add one: that is an error of kind Forbidden.
func (s *Store) CreateSchool(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, in rapport.SchoolCreate) (rapport.School, error) {
	if !scope.AllSchools() {
		return rapport.School{}, rapport.Errorf(rapport.Forbidden, "a client limited to some schools cannot add a school")
	}
	if err := in.Normalize(); err != nil {
		return rapport.School{}, err
	}
	var school rapport.School
	err := s.writeOne(ctx, scope, by, "create school", func(q querier, w *unit) error {
		var c conditions
		now, client, user := c.arg(w.now), c.arg(by.ClientID), c.arg(nullIfEmpty(by.ActingUser))
		schools, err := queryRows(ctx, q, "create school", scanSchool, `
			WITH schools AS (
				INSERT INTO schools (id, district_id, name, slug, sourced_id, time_zone, status,
					created_at, created_by_client, created_by_user, updated_at, updated_by_client, updated_by_user)
				VALUES (`+c.arg(uuid.Must(uuid.NewV7()))+`, `+c.arg(scope.DistrictID)+`, `+c.arg(in.Name)+`, `+c.arg(in.Slug)+`, `+
			c.arg(nullIfEmpty(in.SourcedID))+`, `+c.arg(in.TimeZone)+`, `+c.arg(in.Status)+`, `+
			now+`, `+client+`, `+user+`, `+now+`, `+client+`, `+user+`)
				RETURNING *), `+w.changeFrom(&c, "schools", rapport.ResourceSchool, rapport.EventCreated)+`
			SELECT `+schoolColumns+` FROM schools`, c.args)
		if err != nil {
			return err
		}
		school = schools[0]
		return nil
	})
	return school, err
}

// UpdateSchool applies a merge patch to the school. A patch that changes nothing writes
// nothing.
func (s *Store) UpdateSchool(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, id uuid.UUID, match rapport.Match, patch rapport.SchoolPatch) (rapport.School, error) {
	if err := patch.Validate(); err != nil {
		return rapport.School{}, err
	}
	var school rapport.School
	err := s.write(ctx, scope, by, "update school "+id.String(), func(w *unit) error {
		current, err := lockVersioned(ctx, w, "school", match, func(s rapport.School) int { return s.Version },
			func(ctx context.Context, q querier, lock string) (rapport.School, error) {
				return getSchool(ctx, q, scope, id, lock)
			})
		if err != nil {
			return err
		}
		next := patch.Apply(current)
		if unchanged(current, next) {
			school = current
			return nil
		}
		schools, err := queryRows(ctx, w.tx, "update school", scanSchool, `
			UPDATE schools
			SET name = $2, slug = $3, sourced_id = $4, time_zone = $5, status = $6,
				version = version + 1, updated_at = $7, updated_by_client = $8, updated_by_user = $9
			WHERE id = $1
			RETURNING `+schoolColumns,
			[]any{id, next.Name, next.Slug, nullIfEmpty(next.SourcedID), next.TimeZone, next.Status,
				w.now, by.ClientID, nullIfEmpty(by.ActingUser)})
		if err != nil {
			return err
		}
		school = schools[0]
		w.record(rapport.ResourceSchool, id, id, rapport.EventUpdated)
		return nil
	})
	return school, err
}
