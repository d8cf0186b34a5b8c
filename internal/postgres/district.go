package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/internal/rapport"
)

var _ rapport.DistrictStore = (*Store)(nil)

const districtColumns = `id, name, slug, coalesce(sourced_id, ''), version, created_at, updated_at`

func scanDistrict(row pgx.CollectableRow) (rapport.District, error) {
	var d rapport.District
	err := row.Scan(&d.ID, &d.Name, &d.Slug, &d.SourcedID, &d.Version, &d.CreatedAt, &d.UpdatedAt)
	return d, err
}

// GetDistrict returns the district of the scope, or an error of kind NotFound.
func (s *Store) GetDistrict(ctx context.Context, scope rapport.TenantScope) (rapport.District, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+districtColumns+` FROM districts WHERE id = $1`, scope.DistrictID)
	if err != nil {
		return rapport.District{}, interpretError(fmt.Errorf("get district %s: %w", scope.DistrictID, err))
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDistrict)
	if errors.Is(err, pgx.ErrNoRows) {
		return rapport.District{}, notFound("district")
	}
	if err != nil {
		return rapport.District{}, interpretError(fmt.Errorf("get district %s: %w", scope.DistrictID, err))
	}
	return d, nil
}
