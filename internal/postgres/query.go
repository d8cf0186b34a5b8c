package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/internal/rapport"
)

// queryRows runs a query and scans every row it returns with scan. what names the operation
// in the error, which comes out of interpretError.
func queryRows[T any](ctx context.Context, q querier, what string, scan pgx.RowToFunc[T], sql string, args []any) ([]T, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, interpretError(fmt.Errorf("%s: %w", what, err))
	}
	items, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, interpretError(fmt.Errorf("%s: %w", what, err))
	}
	return items, nil
}

// conditions builds the WHERE clause of a list query from the filters a request sets, so that
// each query carries only its own conditions and the planner sees what it can use. Each
// condition is a literal SQL fragment; values go in as positional arguments.
type conditions struct {
	where []string
	args  []any
}

// arg adds a value and returns its placeholder.
func (c *conditions) arg(v any) string {
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
}

// add adds a condition.
func (c *conditions) add(cond string) {
	c.where = append(c.where, cond)
}

// tenant adds the conditions that keep rows (aliased alias) inside the scope: its district
// and, when the scope is limited, its schools.
func (c *conditions) tenant(alias string, scope rapport.TenantScope) {
	c.add(alias + ".district_id = " + c.arg(scope.DistrictID))
	if !scope.AllSchools() {
		c.add(alias + ".school_id = ANY(" + c.arg(scope.SchoolIDs) + ")")
	}
}

// clone returns a copy to add to without changing c.
func (c conditions) clone() conditions {
	return conditions{where: slices.Clone(c.where), args: slices.Clone(c.args)}
}

// sql returns "WHERE …" (or "" when there are no conditions).
func (c *conditions) sql() string {
	if len(c.where) == 0 {
		return ""
	}
	return "WHERE " + strings.Join(c.where, "\n  AND ")
}

// likeEscape escapes the wildcards of a LIKE pattern, so that user input matches literally.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
