package postgres

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/internal/rapport"
)

// unit is one unit of work: every change to the store is made through one. It carries the
// transaction, the time of the change (read once, so that every row the unit writes carries
// the same time), who makes it and within what tenant, and the changes to record in the change
// feed, which it writes in the same transaction just before the commit. A caller cannot write
// without a unit, so it cannot forget any of these.
type unit struct {
	tx      pgx.Tx
	now     time.Time
	scope   rapport.TenantScope
	by      rapport.Actor
	changes []change
}

// change is one row of the change feed, before it is written.
type change struct {
	resource rapport.ResourceType
	id       uuid.UUID
	schoolID uuid.UUID // uuid.Nil for a district-wide resource
	kind     rapport.EventKind
	note     *rapport.Note // for a note: who may read it
	// For a photo (id is the patron's): the purposes whose consumers may see it, as consented
	// when the change is made, and whether it is a change of that consent rather than of the
	// photo (shown to those consumers only, not to library staff).
	photoPurposes []rapport.PhotoPurpose
	photoConsent  bool
}

// write runs fn as one unit of work in a transaction (or, inside a transaction the request
// already holds, as a savepoint of it: see RunIdempotent), records the changes fn noted, and
// commits. what names the operation in errors; errors come out interpreted.
func (s *Store) write(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, what string, fn func(w *unit) error) error {
	return s.writeOrTry(ctx, scope, by, what, false, fn)
}

// try is write for a dry run: fn does all its work, every check of the database included, and
// then everything is rolled back; what fn found (a report it builds) is all that remains.
func (s *Store) try(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, what string, fn func(w *unit) error) error {
	return s.writeOrTry(ctx, scope, by, what, true, fn)
}

// errDryRun rolls back a dry run that went through.
var errDryRun = errors.New("dry run")

func (s *Store) writeOrTry(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, what string, dryRun bool, fn func(w *unit) error) error {
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		w := s.newUnit(ctx, scope, by)
		w.tx = tx
		if err := fn(w); err != nil {
			return err
		}
		if err := w.flush(ctx); err != nil {
			return err
		}
		if dryRun {
			return errDryRun
		}
		return nil
	})
	if dryRun && errors.Is(err, errDryRun) {
		return nil
	}
	if err != nil {
		return interpretError(fmt.Errorf("%s: %w", what, err))
	}
	return nil
}

// writeOne is write for a unit of work that is a single statement, which records its change
// itself (changeFrom): a statement is atomic on its own, so it needs no explicit transaction
// and costs one round trip. fn gets the querier to send the statement through and the unit for
// its time and actor; it must not note changes with record.
func (s *Store) writeOne(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, what string, fn func(q querier, w *unit) error) error {
	w := s.newUnit(ctx, scope, by)
	if err := fn(s.querier(ctx), w); err != nil {
		return interpretError(fmt.Errorf("%s: %w", what, err))
	}
	return nil
}

// newUnit starts a unit of work. An actor that names a member of staff without saying how
// Rapport knows them (the command line's, which sets the name itself) is taken as asserted.
func (s *Store) newUnit(ctx context.Context, scope rapport.TenantScope, by rapport.Actor) *unit {
	if by.ActingUser != "" && by.ActingUserSource == "" {
		by.ActingUserSource = rapport.AssertedByClient
	}
	return &unit{now: s.now(ctx), scope: scope, by: by}
}

// record notes a change to a resource of the unit's district, for the change feed.
func (w *unit) record(resource rapport.ResourceType, id, schoolID uuid.UUID, kind rapport.EventKind) {
	w.changes = append(w.changes, change{resource: resource, id: id, schoolID: schoolID, kind: kind})
}

// recordNote notes a change to a note, which the feed shows only where the note may be read.
func (w *unit) recordNote(n rapport.Note, kind rapport.EventKind) {
	w.changes = append(w.changes, change{resource: rapport.ResourceNote, id: n.ID, schoolID: n.SchoolID, kind: kind, note: &n})
}

// recordPhoto notes a change to a patron's photo, which the feed shows to library staff and to
// the consumers of the purposes given (those consented at the time).
func (w *unit) recordPhoto(patronID, schoolID uuid.UUID, kind rapport.EventKind, purposes []rapport.PhotoPurpose) {
	w.changes = append(w.changes, change{resource: rapport.ResourcePhoto, id: patronID, schoolID: schoolID, kind: kind,
		photoPurposes: purposes})
}

// recordPhotoConsent notes that the consumers of a purpose may now hold the patron's photo
// (created) or must drop it (removed): a change of consent, shown to them alone.
func (w *unit) recordPhotoConsent(patronID, schoolID uuid.UUID, kind rapport.EventKind, purpose rapport.PhotoPurpose) {
	w.changes = append(w.changes, change{resource: rapport.ResourcePhoto, id: patronID, schoolID: schoolID, kind: kind,
		photoPurposes: []rapport.PhotoPurpose{purpose}, photoConsent: true})
}

// flush writes the noted changes, in the order they were noted, in one statement.
func (w *unit) flush(ctx context.Context) error {
	if len(w.changes) == 0 {
		return nil
	}
	n := len(w.changes)
	resources, kinds := make([]string, n), make([]string, n)
	ids, schools := make([]uuid.UUID, n), make([]*uuid.UUID, n)
	visibility, authorClient, authorUser := make([]*string, n), make([]*string, n), make([]*string, n)
	purposes := make([]*string, n) // comma-separated: an array of arrays would not unnest row by row
	consent := make([]bool, n)
	for i, c := range w.changes {
		resources[i], kinds[i], ids[i], schools[i] = string(c.resource), string(c.kind), c.id, nullUUID(c.schoolID)
		if c.note != nil {
			v := string(c.note.Visibility)
			visibility[i], authorClient[i], authorUser[i] = &v, &c.note.CreatedBy.ClientID, nullIfEmpty(c.note.CreatedBy.ActingUser)
		}
		if c.resource == rapport.ResourcePhoto {
			list := make([]string, len(c.photoPurposes))
			for j, p := range c.photoPurposes {
				list[j] = string(p)
			}
			joined := strings.Join(list, ",")
			purposes[i], consent[i] = &joined, c.photoConsent
		}
	}
	_, err := w.tx.Exec(ctx, `
		INSERT INTO changes (district_id, resource, resource_id, school_id, event,
			note_visibility, note_author_client, note_author_user, photo_purposes, photo_consent, at, by_client, by_user, by_user_source)
		SELECT $1, u.resource, u.id, u.school_id, u.event, u.visibility, u.author_client, u.author_user,
			string_to_array(u.purposes, ','), u.consent, $9, $10, $11, $12
		FROM unnest($2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $13::text[], $14::boolean[])
			WITH ORDINALITY AS u(resource, id, school_id, event, visibility, author_client, author_user, purposes, consent, n)
		ORDER BY u.n`,
		w.scope.DistrictID, resources, ids, schools, kinds, visibility, authorClient, authorUser,
		w.now, w.by.ClientID, nullIfEmpty(w.by.ActingUser), nullIfEmpty(string(w.by.ActingUserSource)), purposes, consent)
	if err != nil {
		return fmt.Errorf("record %d changes: %w", n, err)
	}
	w.changes = nil
	return nil
}

// changeFrom returns the SQL of a common table expression that records a change of each row of
// the named one, for a statement that writes and records in one:
//
//	WITH n AS (INSERT INTO notes … RETURNING *), <changeFrom(&c, "n", …)> SELECT <columns> FROM n
//
// The written rows come back whole (RETURNING *: the expression is a row of the table) and
// the final SELECT names the columns it reads. Its values go into c.
func (w *unit) changeFrom(c *conditions, alias string, resource rapport.ResourceType, kind rapport.EventKind) string {
	note, school := "NULL, NULL, NULL", alias+".school_id"
	switch resource {
	case rapport.ResourceNote:
		note = alias + ".visibility, " + alias + ".created_by_client, " + alias + ".created_by_user"
	case rapport.ResourceSchool:
		school = alias + ".id"
	}
	return `changed AS (
			INSERT INTO changes (district_id, resource, resource_id, school_id, event,
				note_visibility, note_author_client, note_author_user, at, by_client, by_user, by_user_source)
			SELECT ` + alias + `.district_id, ` + c.arg(string(resource)) + `, ` + alias + `.id, ` + school + `, ` +
		c.arg(string(kind)) + `, ` + note + `, ` + c.arg(w.now) + `, ` + c.arg(w.by.ClientID) + `, ` +
		c.arg(nullIfEmpty(w.by.ActingUser)) + `, ` + c.arg(nullIfEmpty(string(w.by.ActingUserSource))) + `
			FROM ` + alias + `)`
}

// lockVersioned reads a record of the unit's scope under a row lock with get, and checks the
// If-Match condition against its version: the generic start of every change to an existing
// record. what names the record in the PreconditionFailed message.
func lockVersioned[T any](ctx context.Context, w *unit, what string, match rapport.Match, version func(T) int,
	get func(ctx context.Context, q querier, lock string) (T, error)) (T, error) {
	current, err := get(ctx, w.tx, "FOR UPDATE")
	if err != nil {
		return current, err
	}
	return current, checkMatch(what, match, version(current))
}

// unchanged reports whether a patch left a record as it was: then the write is no write at
// all, with no new version, no new updated_at and no change event. Records hold plain values,
// so a deep comparison of the record before and after the patch says it.
func unchanged[T any](current, next T) bool {
	return reflect.DeepEqual(current, next)
}

// recordRows runs a statement that changes rows of the resource and returns the id and school
// of each (RETURNING id, school_id), and records an update of each.
func recordRows(ctx context.Context, w *unit, resource rapport.ResourceType, what, sql string, args ...any) error {
	rows, err := w.tx.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	changed, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (change, error) {
		c := change{resource: resource, kind: rapport.EventUpdated}
		err := row.Scan(&c.id, &c.schoolID)
		return c, err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	w.changes = append(w.changes, changed...)
	return nil
}
