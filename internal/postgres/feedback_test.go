package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/rapportlib/rapport/internal/dbtest"
	"github.com/rapportlib/rapport/internal/postgres"
	"github.com/rapportlib/rapport/internal/rapport"
)

// TestFeedbackStatusMachineInTheDatabase checks that the database keeps the status machine and
// the decision rules for SQL written by hand, and that storage reports a refusal as a conflict
// naming the current status.
func TestFeedbackStatusMachineInTheDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.NewDatabase(t)
	store, err := postgres.Open(ctx, url, postgres.Config{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	cli := rapport.Actor{ClientID: rapport.CLIClientID}
	d, err := store.EnsureDistrict(ctx, uuid.Nil, rapport.DistrictCreate{Name: "District", Slug: "district-db-rules"})
	if err != nil {
		t.Fatal(err)
	}
	school, err := store.EnsureSchool(ctx, d.ID, cli, uuid.Nil, rapport.SchoolCreate{Name: "Lincoln High", Slug: "lincoln-db-rules"})
	if err != nil {
		t.Fatal(err)
	}
	scope := rapport.TenantScope{DistrictID: d.ID}
	item, err := store.CreateFeedback(ctx, scope, cli, rapport.FeedbackCreate{SchoolID: school.ID, Source: rapport.SourceConversation, Summary: "More manga"})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	exec := func(sql string, args ...any) error {
		_, err := conn.Exec(ctx, sql, args...)
		return err
	}
	setStatus := func(status string, resolved bool) error {
		if resolved {
			return exec(`UPDATE feedback_items SET status = $2, resolution = 'Ordered twelve', decided_at = now(),
				decided_by_client = 'hand' WHERE id = $1`, item.ID, status)
		}
		return exec(`UPDATE feedback_items SET status = $2, resolution = NULL, decided_at = NULL, decided_by_client = NULL,
			communicated_at = NULL, communication_channel = NULL, communicated_by_client = NULL WHERE id = $1`, item.ID, status)
	}
	refused := func(t *testing.T, err error, constraint string, kind rapport.Kind, words string) {
		t.Helper()
		pgErr, ok := errors.AsType[*pgconn.PgError](err)
		if !ok || pgErr.ConstraintName != constraint {
			t.Fatalf("err = %v, want a violation of %s", err, constraint)
		}
		got := postgres.InterpretError(err)
		if rapport.ErrorKind(got) != kind || !strings.Contains(got.Error(), words) {
			t.Errorf("InterpretError = %v, want kind %s saying %q", got, kind, words)
		}
	}
	// appendOnly checks that err is the refusal of the table's append-only trigger, which raises
	// an exception of its own rather than violating a named constraint.
	appendOnly := func(t *testing.T, err error, table string) {
		t.Helper()
		pgErr, ok := errors.AsType[*pgconn.PgError](err)
		if !ok || pgErr.Code != pgerrcode.RaiseException || !strings.HasPrefix(pgErr.Message, table+" is append-only") {
			t.Errorf("err = %v, want the append_only trigger of %s", err, table)
		}
	}

	if err := setStatus("acted_on", false); err == nil {
		t.Fatal("a decision without its text was stored")
	} else {
		refused(t, err, "feedback_items_decision_check", rapport.Unprocessable, "#/text")
	}
	if err := exec(`UPDATE feedback_items SET resolution = 'sneaked in' WHERE id = $1`, item.ID); err == nil {
		t.Error("an undecided item took a resolution")
	} else {
		refused(t, err, "feedback_items_decision_check", rapport.Unprocessable, "#/text")
	}
	if err := setStatus("under_review", false); err != nil {
		t.Fatalf("received → under_review: %v", err)
	}
	if err := setStatus("received", false); err == nil {
		t.Fatal("under_review → received was stored")
	} else {
		refused(t, err, "feedback_items_status_transition", rapport.Conflict, "the item is under_review")
	}
	if err := exec(`UPDATE feedback_items SET communicated_at = now(), communication_channel = 'email',
		communicated_by_client = 'hand' WHERE id = $1`, item.ID); err == nil {
		t.Error("an undecided item was communicated")
	} else {
		refused(t, err, "feedback_items_communication_check", rapport.Unprocessable, "breaks a rule of the data")
	}
	if err := setStatus("acted_on", true); err != nil {
		t.Fatalf("under_review → acted_on: %v", err)
	}
	if err := setStatus("explained_why_not", true); err == nil {
		t.Fatal("acted_on → explained_why_not, skipping the reopening, was stored")
	} else {
		refused(t, err, "feedback_items_status_transition", rapport.Conflict, "cannot go from acted_on to explained_why_not")
	}
	if err := setStatus("received", false); err == nil {
		t.Error("acted_on → received was stored")
	} else {
		refused(t, err, "feedback_items_status_transition", rapport.Conflict, "cannot go from acted_on to received")
	}
	if err := setStatus("under_review", false); err != nil {
		t.Errorf("acted_on → under_review (reopen): %v", err)
	}
	// Changing other columns of an item leaves the machine alone.
	if err := exec(`UPDATE feedback_items SET summary = 'More manga, please', status = status WHERE id = $1`, item.ID); err != nil {
		t.Errorf("an update that keeps the status: %v", err)
	}
	// An item cannot be born decided.
	err = exec(`INSERT INTO feedback_items (id, district_id, school_id, source, summary, status, resolution, decided_at,
		decided_by_client, created_by_client, updated_by_client)
		VALUES ($1, $2, $3, 'form', 'x', 'acted_on', 'done', now(), 'hand', 'hand', 'hand')`, uuid.New(), d.ID, school.ID)
	if err == nil {
		t.Error("an item was inserted already decided")
	} else {
		refused(t, err, "feedback_items_status_transition", rapport.Conflict, "starts received")
	}
	// The history is append-only.
	if _, err := store.TransitionFeedback(ctx, scope, cli, item.ID, nil, rapport.TransitionRequest{To: rapport.FeedbackExplained, Text: "No budget"}); err != nil {
		t.Fatal(err)
	}
	if err := exec(`UPDATE feedback_transitions SET text = 'rewritten'`); err == nil {
		t.Error("the history was rewritten")
	} else {
		appendOnly(t, err, "feedback_transitions")
	}
	if err := exec(`DELETE FROM feedback_transitions`); err == nil {
		t.Error("the history was deleted")
	} else {
		appendOnly(t, err, "feedback_transitions")
	}
}
