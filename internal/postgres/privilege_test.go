package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rapportlib/rapport/internal/dbtest"
	"github.com/rapportlib/rapport/internal/postgres"
	"github.com/rapportlib/rapport/internal/rapport"
)

// TestServerRoleReadsAndWritesRowsOnly: the role the server runs as cannot alter the schema,
// truncate, disable triggers, or change what only grows; the database refuses what the
// application refuses even when SQL is written by hand.
func TestServerRoleReadsAndWritesRowsOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	owner := dbtest.NewDatabase(t)
	store, err := postgres.Open(ctx, dbtest.AppURL(owner), postgres.Config{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)

	// A decided feedback item, with a history.
	school, p := newDistrict(t, store)
	by := rapport.Actor{ClientID: "desk"}
	f, err := store.CreateFeedback(ctx, p.Tenant, by, rapport.FeedbackCreate{SchoolID: school.ID, Source: rapport.SourceEmail, Summary: "A quiet room"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.TransitionFeedback(ctx, p.Tenant, by, f.ID, nil, rapport.TransitionRequest{To: rapport.FeedbackActedOn, Text: "Room 12 at lunch"}); err != nil {
		t.Fatal(err)
	}

	app := connect(t, dbtest.AppURL(owner))
	for _, tt := range []struct {
		name, sql string
	}{
		{"truncate the history", `TRUNCATE feedback_transitions`},
		{"disable the status trigger", `ALTER TABLE feedback_items DISABLE TRIGGER feedback_items_status_transition`},
		{"drop a table", `DROP TABLE patrons`},
		{"add a column", `ALTER TABLE patrons ADD COLUMN ssn text`},
		{"delete the history", `DELETE FROM feedback_transitions`},
		{"rewrite the history", `UPDATE feedback_transitions SET to_status = 'explained_why_not'`},
		{"delete the access log", `DELETE FROM access_log`},
		{"rewrite the access log", `UPDATE access_log SET client_id = 'someone else'`},
		{"delete the change log", `DELETE FROM changes`},
		{"rewrite the change log", `UPDATE changes SET event = 'deleted'`},
		{"move the purge mark", `UPDATE changes_purged SET seq = 0`},
		{"rewrite the schema version", `UPDATE schema_migrations SET version = 1`},
		{"replace the cursor secret", `UPDATE cursor_secret SET secret = sha256('known'::bytea)`},
		{"add a second cursor secret", `INSERT INTO cursor_secret (only_row, secret) VALUES (true, sha256('known'::bytea))`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := app.Exec(ctx, tt.sql)
			if code := pgCode(err); code != "42501" { // insufficient_privilege
				t.Errorf("%s as the server's role: %v (code %q), want insufficient_privilege", tt.sql, err, code)
			}
		})
	}
	var canDelete bool
	if err := app.QueryRow(ctx, `SELECT has_table_privilege('changes', 'DELETE') OR has_table_privilege('access_log', 'UPDATE')`).Scan(&canDelete); err != nil || canDelete {
		t.Errorf("has_table_privilege says the server's role may change what only grows: %v %v", canDelete, err)
	}

	// What even the owner's hand-written SQL cannot do.
	ownerConn := connect(t, owner)
	for _, tt := range []struct {
		name, sql, constraint string
		args                  []any
	}{
		{"a blank decision", `UPDATE feedback_items SET resolution = E' \t\n' WHERE id = $1`, "feedback_items_resolution_text_check", []any{f.ID}},
		{"a blank reason in the history", `INSERT INTO feedback_transitions (district_id, feedback_id, from_status, to_status, text, by_client)
			SELECT district_id, id, 'acted_on', 'under_review', '   ', 'x' FROM feedback_items WHERE id = $1`, "feedback_transitions_text_check", []any{f.ID}},
		{"a move the machine forbids, in the history", `INSERT INTO feedback_transitions (district_id, feedback_id, from_status, to_status, by_client)
			SELECT district_id, id, 'acted_on', 'received', 'x' FROM feedback_items WHERE id = $1`, "feedback_transitions_move_check", []any{f.ID}},
		{"a decision rewritten without a history entry", `UPDATE feedback_items SET resolution = 'Something else' WHERE id = $1`, "feedback_items_resolution_history", []any{f.ID}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, conn := range []*pgx.Conn{app, ownerConn} {
				_, err := conn.Exec(ctx, tt.sql, tt.args...)
				var pgErr *pgconn.PgError
				if !errors.As(err, &pgErr) || pgErr.ConstraintName != tt.constraint {
					t.Errorf("%s: %v, want the constraint %s to refuse it", conn.Config().User, err, tt.constraint)
				}
			}
		})
	}
	// The one change an erasure may make to the history: redact its text.
	if _, err := app.Exec(ctx, `UPDATE feedback_transitions SET text = NULL WHERE feedback_id = $1`, f.ID); err != nil {
		t.Errorf("redacting the history's text as the server's role: %v", err)
	}
	if _, err := app.Exec(ctx, `UPDATE feedback_transitions SET text = 'Rewritten' WHERE feedback_id = $1`, f.ID); err == nil {
		t.Error("the server's role rewrote the history's text")
	}
	// Retention, through the owner's function.
	if _, err := store.PurgeChanges(ctx, f.CreatedAt.Add(-1)); err != nil {
		t.Errorf("PurgeChanges as the server's role: %v", err)
	}
}

func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func pgCode(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}
