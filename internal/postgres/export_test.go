package postgres

import (
	"context"

	"github.com/google/uuid"

	"github.com/rapportlib/rapport/internal/rapport"
)

// InterpretError exposes interpretError to the tests of the database's own rules.
var InterpretError = interpretError

// CreatePatronsDryRun creates the patrons in one unit of work, as an import's dry run would:
// every insert and check runs, then all of it is rolled back, and the patrons it would have
// created are the report.
func (s *Store) CreatePatronsDryRun(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, ins []rapport.PatronCreate) ([]rapport.Patron, error) {
	var report []rapport.Patron
	err := s.try(ctx, scope, by, "create patrons (dry run)", func(w *unit) error {
		for _, in := range ins {
			p, err := in.Patron()
			if err != nil {
				return err
			}
			args := append([]any{uuid.Must(uuid.NewV7()), scope.DistrictID}, patronValues(p)...)
			args = append(args, w.now, by.ClientID)
			patrons, err := queryRows(ctx, w.tx, "create patron", scanPatron, `
				INSERT INTO patrons AS p (id, district_id, `+patronWriteColumns+`, created_at, created_by_client, updated_at, updated_by_client)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $19, $20)
				RETURNING `+patronColumns, args)
			if err != nil {
				return err
			}
			report = append(report, patrons[0])
			w.record(rapport.ResourcePatron, patrons[0].ID, patrons[0].SchoolID, rapport.EventCreated)
		}
		return nil
	})
	return report, err
}
