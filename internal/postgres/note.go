package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/internal/rapport"
)

var _ rapport.NoteStore = (*Store)(nil)

const noteColumns = `n.id, n.district_id, n.school_id, n.patron_id, n.body, n.kind, n.visibility,
	n.follow_up_prompt, n.follow_up_state, n.follow_up_due_on, n.follow_up_closed_at,
	coalesce(n.follow_up_closed_by_client, ''), coalesce(n.follow_up_closed_by_user, ''),
	n.version, n.created_at, n.created_by_client, coalesce(n.created_by_user, ''),
	n.updated_at, n.updated_by_client, coalesce(n.updated_by_user, '')`

func scanNote(row pgx.CollectableRow) (rapport.Note, error) {
	var n rapport.Note
	err := scanNoteInto(row, &n)
	return n, err
}

// scanNoteInto scans the noteColumns of row into n, and any further columns into extra.
func scanNoteInto(row pgx.Row, n *rapport.Note, extra ...any) error {
	var prompt, state *string
	var dueOn, closedAt *time.Time
	var closedBy rapport.Actor
	dest := []any{&n.ID, &n.DistrictID, &n.SchoolID, &n.PatronID, &n.Body, &n.Kind, &n.Visibility,
		&prompt, &state, &dueOn, &closedAt, &closedBy.ClientID, &closedBy.ActingUser,
		&n.Version, &n.CreatedAt, &n.CreatedBy.ClientID, &n.CreatedBy.ActingUser,
		&n.UpdatedAt, &n.UpdatedBy.ClientID, &n.UpdatedBy.ActingUser}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return err
	}
	if prompt != nil && state != nil {
		f := &rapport.FollowUp{Prompt: *prompt, State: rapport.FollowUpState(*state), ClosedBy: closedBy}
		if dueOn != nil {
			f.DueOn = *dueOn
		}
		if closedAt != nil {
			f.ClosedAt = *closedAt
		}
		n.FollowUp = f
	}
	return nil
}

// readable adds the condition that the principal may read the note (aliased n): the SQL form
// of rapport.Principal.CanRead.
func readable(c *conditions, p *rapport.Principal) {
	var who []string
	switch {
	case p.HasScope(rapport.ScopeNotesRead):
		who = append(who, "n.visibility IN ('library', 'school')")
	case p.HasScope(rapport.ScopeNotesSchool):
		who = append(who, "n.visibility = 'school'")
	}
	who = append(who, authored(c, p))
	c.add("(" + strings.Join(who, " OR ") + ")")
}

// writable adds the condition that the principal may change the note: any note but another
// author's author-only one.
func writable(c *conditions, p *rapport.Principal) {
	c.add("(n.visibility <> 'author' OR " + authored(c, p) + ")")
}

func authored(c *conditions, p *rapport.Principal) string {
	return fmt.Sprintf("(n.visibility = 'author' AND n.created_by_client = %s AND coalesce(n.created_by_user, '') = %s)",
		c.arg(p.ClientID), c.arg(p.ActingUser))
}

// logAccess records that the principal read a resource about each of the patrons at the time.
func logAccess(ctx context.Context, q querier, p *rapport.Principal, resource string, patronIDs []uuid.UUID, at time.Time) error {
	return logAccessDetail(ctx, q, p, resource, "", patronIDs, at)
}

// logAccessDetail is logAccess with a detail of what was read (a photo's size), "" for none.
func logAccessDetail(ctx context.Context, q querier, p *rapport.Principal, resource, detail string, patronIDs []uuid.UUID, at time.Time) error {
	if len(patronIDs) == 0 {
		return nil
	}
	by := p.Actor()
	_, err := q.Exec(ctx, `
		INSERT INTO access_log (district_id, patron_id, resource, detail, client_id, acting_user, acting_user_source, request_id, accessed_at)
		SELECT $1, unnest($2::uuid[]), $3, $9, $4, $5, $6, $7, $8`,
		p.Tenant.DistrictID, patronIDs, resource, by.ClientID, nullIfEmpty(by.ActingUser),
		nullIfEmpty(string(by.ActingUserSource)), nullIfEmpty(p.RequestID), at, nullIfEmpty(detail))
	if err != nil {
		return fmt.Errorf("log access to %s: %w", resource, err)
	}
	return nil
}

// ListNotes returns one page of the patron's readable notes, newest first, and logs the read.
func (s *Store) ListNotes(ctx context.Context, p *rapport.Principal, patronID uuid.UUID, f rapport.NoteFilter, page rapport.PageRequest) (rapport.Page[rapport.Note], error) {
	cursors, err := s.listCursors(ctx, "notes "+patronID.String(), p.Tenant)
	if err != nil {
		return rapport.Page[rapport.Note]{}, err
	}
	var c conditions
	c.add("n.patron_id = " + c.arg(patronID))
	readable(&c, p)
	if f.Kind != "" {
		c.add("n.kind = " + c.arg(f.Kind))
	}
	if f.FollowUpState != "" {
		c.add("n.follow_up_state = " + c.arg(f.FollowUpState))
	}
	if page.Cursor != "" {
		var at time.Time
		var id uuid.UUID
		if err := cursors.decode(page.Cursor, &at, &id); err != nil {
			return rapport.Page[rapport.Note]{}, err
		}
		c.add(fmt.Sprintf("(n.created_at, n.id) < (%s, %s)", c.arg(at), c.arg(id)))
	}
	size := page.Size()
	var notes []rapport.Note
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := getPatron(ctx, tx, p.Tenant, patronID, "FOR SHARE"); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT `+noteColumns+`
			FROM notes n
			`+c.sql()+`
			ORDER BY n.created_at DESC, n.id DESC
			LIMIT `+strconv.Itoa(size+1), c.args...)
		if err != nil {
			return fmt.Errorf("list notes: %w", err)
		}
		if notes, err = pgx.CollectRows(rows, scanNote); err != nil {
			return fmt.Errorf("list notes: %w", err)
		}
		return logAccess(ctx, tx, p, "notes", []uuid.UUID{patronID}, s.clock())
	})
	if err != nil {
		return rapport.Page[rapport.Note]{}, err
	}
	return pageOf(notes, size, func(n rapport.Note) string { return cursors.encode(n.CreatedAt, n.ID) }), nil
}

// getNote reads a note in scope for which cond holds (readable or writable); lock is "" or a
// locking clause.
func getNote(ctx context.Context, q querier, p *rapport.Principal, id uuid.UUID, cond func(*conditions, *rapport.Principal), lock string) (rapport.Note, error) {
	var c conditions
	c.add("n.id = " + c.arg(id))
	c.tenant("n", p.Tenant)
	cond(&c, p)
	notes, err := queryRows(ctx, q, "get note", scanNote, `SELECT `+noteColumns+` FROM notes n `+c.sql()+` `+lock, c.args)
	if err != nil {
		return rapport.Note{}, err
	}
	if len(notes) == 0 {
		return rapport.Note{}, notFound("note")
	}
	return notes[0], nil
}

// GetNote returns a readable note and logs the read.
func (s *Store) GetNote(ctx context.Context, p *rapport.Principal, id uuid.UUID) (rapport.Note, error) {
	var n rapport.Note
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if n, err = getNote(ctx, tx, p, id, readable, ""); err != nil {
			return err
		}
		return logAccess(ctx, tx, p, "note", []uuid.UUID{n.PatronID}, s.clock())
	})
	return n, err
}

// CreateNote writes a note about a patron in scope, in one statement that takes the district
// and school from the patron and records the change; only when it writes nothing does a second
// query say why.
func (s *Store) CreateNote(ctx context.Context, p *rapport.Principal, patronID uuid.UUID, in rapport.NoteCreate) (rapport.Note, error) {
	n, err := in.Note()
	if err != nil {
		return rapport.Note{}, err
	}
	by := p.Actor()
	var notes []rapport.Note
	err = s.writeOne(ctx, p.Tenant, by, "create note", func(q querier, w *unit) error {
		prompt, state, dueOn := followUpValues(n.FollowUp)
		var c conditions
		now, client, user := c.arg(w.now), c.arg(by.ClientID), c.arg(nullIfEmpty(by.ActingUser))
		values := []string{c.arg(uuid.Must(uuid.NewV7())), c.arg(n.Body), c.arg(n.Kind), c.arg(n.Visibility),
			c.arg(prompt), c.arg(state), c.arg(dueOn), now, client, user, now, client, user}
		c.add("p.id = " + c.arg(patronID))
		c.tenant("p", p.Tenant)
		c.add("p.erased_at IS NULL")
		// The caller is answered the note's body when it may read it: that read is logged in the
		// same statement.
		logged := ""
		n.CreatedBy = by
		if p.CanRead(n) {
			logged = `, logged AS (
				INSERT INTO access_log (district_id, patron_id, resource, client_id, acting_user, acting_user_source, request_id, accessed_at)
				SELECT n.district_id, n.patron_id, 'note', ` + client + `, ` + user + `, ` +
				c.arg(nullIfEmpty(string(by.ActingUserSource))) + `, ` + c.arg(nullIfEmpty(p.RequestID)) + `, ` + now + ` FROM n)`
		}
		where := c.sql()
		changed := w.changeFrom(&c, "n", rapport.ResourceNote, rapport.EventCreated)
		notes, err = queryRows(ctx, q, "create note", scanNote, `
			WITH n AS (
				INSERT INTO notes (district_id, school_id, patron_id, id, body, kind, visibility,
					follow_up_prompt, follow_up_state, follow_up_due_on,
					created_at, created_by_client, created_by_user, updated_at, updated_by_client, updated_by_user)
				SELECT p.district_id, p.school_id, p.id, `+strings.Join(values, ", ")+`
				FROM patrons p
				`+where+`
				RETURNING *), `+changed+logged+`
			SELECT `+noteColumns+` FROM n`, c.args)
		return err
	})
	if err != nil {
		return rapport.Note{}, err
	}
	if len(notes) == 1 {
		return notes[0], nil
	}
	patron, err := s.GetPatron(ctx, p.Tenant, patronID)
	if err != nil {
		return rapport.Note{}, err
	}
	if patron.Erased() {
		return rapport.Note{}, rapport.Errorf(rapport.Conflict, "the patron's personal data was erased; no notes can be added")
	}
	return rapport.Note{}, fmt.Errorf("create note for patron %s: nothing written", patronID)
}

func followUpValues(f *rapport.FollowUp) (prompt, state *string, dueOn *time.Time) {
	if f == nil {
		return nil, nil, nil
	}
	st := string(f.State)
	if !f.DueOn.IsZero() {
		dueOn = &f.DueOn
	}
	return &f.Prompt, &st, dueOn
}

// UpdateNote applies a merge patch to a writable note. A patch that changes nothing writes
// nothing. A change of visibility is, in the change feed, a deletion where the note was
// visible and an update where it is visible now.
func (s *Store) UpdateNote(ctx context.Context, p *rapport.Principal, id uuid.UUID, match rapport.Match, patch rapport.NotePatch) (rapport.Note, error) {
	var out rapport.Note
	by := p.Actor()
	err := s.write(ctx, p.Tenant, by, "update note "+id.String(), func(w *unit) error {
		current, err := lockVersioned(ctx, w, "note", match, func(n rapport.Note) int { return n.Version },
			func(ctx context.Context, q querier, lock string) (rapport.Note, error) {
				return getNote(ctx, q, p, id, writable, lock)
			})
		if err != nil {
			return err
		}
		if patch.Visibility != nil && *patch.Visibility != current.Visibility {
			if err := p.CheckManage(current, "change who can read it"); err != nil {
				return err
			}
		}
		next, err := patch.Apply(current, by, w.now)
		if err != nil {
			return err
		}
		out = next
		if !unchanged(current, next) {
			prompt, state, dueOn := followUpValues(next.FollowUp)
			var closedAt *time.Time
			var closedByClient, closedByUser *string
			if f := next.FollowUp; f != nil && !f.ClosedAt.IsZero() {
				closedAt, closedByClient, closedByUser = &f.ClosedAt, &f.ClosedBy.ClientID, nullIfEmpty(f.ClosedBy.ActingUser)
			}
			notes, err := queryRows(ctx, w.tx, "update note", scanNote, `
				UPDATE notes AS n
				SET body = $2, kind = $3, visibility = $4, follow_up_prompt = $5, follow_up_state = $6,
					follow_up_due_on = $7, follow_up_closed_at = $8, follow_up_closed_by_client = $9,
					follow_up_closed_by_user = $10, version = version + 1, updated_at = $11,
					updated_by_client = $12, updated_by_user = $13
				WHERE n.id = $1
				RETURNING `+noteColumns,
				[]any{id, next.Body, next.Kind, next.Visibility, prompt, state, dueOn, closedAt, closedByClient, closedByUser,
					w.now, by.ClientID, nullIfEmpty(by.ActingUser)})
			if err != nil {
				return err
			}
			out = notes[0]
			if out.Visibility != current.Visibility {
				w.recordNote(current, rapport.EventDeleted)
			}
			w.recordNote(out, rapport.EventUpdated)
		}
		if p.CanRead(out) {
			return logAccess(ctx, w.tx, p, "note", []uuid.UUID{out.PatronID}, w.now)
		}
		return nil
	})
	return out, err
}

// DeleteNote removes a writable note.
func (s *Store) DeleteNote(ctx context.Context, p *rapport.Principal, id uuid.UUID, match rapport.Match) error {
	return s.write(ctx, p.Tenant, p.Actor(), "delete note "+id.String(), func(w *unit) error {
		current, err := lockVersioned(ctx, w, "note", match, func(n rapport.Note) int { return n.Version },
			func(ctx context.Context, q querier, lock string) (rapport.Note, error) {
				return getNote(ctx, q, p, id, writable, lock)
			})
		if err != nil {
			return err
		}
		if err := p.CheckManage(current, "delete it"); err != nil {
			return err
		}
		if _, err := w.tx.Exec(ctx, `DELETE FROM notes WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete note: %w", err)
		}
		w.recordNote(current, rapport.EventDeleted)
		return nil
	})
}

// ListFollowUps returns one page of readable notes with a follow-up in the given state, soonest
// due first (undated last), with their patrons, and logs a read for each patron listed.
func (s *Store) ListFollowUps(ctx context.Context, p *rapport.Principal, f rapport.FollowUpFilter, page rapport.PageRequest) (rapport.Page[rapport.FollowUpItem], error) {
	cursors, err := s.listCursors(ctx, "follow-ups", p.Tenant)
	if err != nil {
		return rapport.Page[rapport.FollowUpItem]{}, err
	}
	if f.State == "" {
		f.State = rapport.FollowUpOpen
	}
	var c conditions
	c.tenant("n", p.Tenant)
	readable(&c, p)
	c.add("n.follow_up_state = " + c.arg(f.State))
	if f.SchoolID != uuid.Nil {
		c.add("n.school_id = " + c.arg(f.SchoolID))
	}
	if !f.DueBefore.IsZero() {
		c.add("n.follow_up_due_on <= " + c.arg(f.DueBefore))
	}
	const due = "coalesce(n.follow_up_due_on, 'infinity'::date)"
	if page.Cursor != "" {
		var dueKey string
		var at time.Time
		var id uuid.UUID
		if err := cursors.decode(page.Cursor, &dueKey, &at, &id); err != nil {
			return rapport.Page[rapport.FollowUpItem]{}, err
		}
		c.add(fmt.Sprintf("(%s, n.created_at, n.id) > (%s::date, %s, %s)", due, c.arg(dueKey), c.arg(at), c.arg(id)))
	}
	size := page.Size()
	var items []rapport.FollowUpItem
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `
			SELECT `+noteColumns+`, p.school_id, p.given_name, p.family_name, coalesce(p.preferred_name, ''),
				coalesce(p.name_pronunciation, ''), coalesce(p.grade, ''), coalesce(p.homeroom, '')
			FROM notes n
			JOIN patrons p ON p.id = n.patron_id
			`+c.sql()+`
			ORDER BY `+due+`, n.created_at, n.id
			LIMIT `+strconv.Itoa(size+1), c.args...)
		if err != nil {
			return fmt.Errorf("list follow-ups: %w", err)
		}
		items, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (rapport.FollowUpItem, error) {
			var it rapport.FollowUpItem
			var pt rapport.Patron
			err := scanNoteInto(row, &it.Note, &pt.SchoolID, &pt.GivenName, &pt.FamilyName, &pt.PreferredName,
				&pt.NamePronunciation, &pt.Grade, &pt.Homeroom)
			pt.ID, pt.DistrictID = it.Note.PatronID, it.Note.DistrictID
			if p.CanSeePatron(pt.SchoolID) {
				it.Patron = &pt
			}
			return it, err
		})
		if err != nil {
			return fmt.Errorf("list follow-ups: %w", err)
		}
		var patronIDs []uuid.UUID
		for _, it := range items {
			patronIDs = append(patronIDs, it.Note.PatronID)
		}
		return logAccess(ctx, tx, p, "follow_ups", patronIDs, s.clock())
	})
	if err != nil {
		return rapport.Page[rapport.FollowUpItem]{}, err
	}
	return pageOf(items, size, func(it rapport.FollowUpItem) string {
		dueKey := "infinity"
		if f := it.Note.FollowUp; f != nil && !f.DueOn.IsZero() {
			dueKey = f.DueOn.Format(time.DateOnly)
		}
		return cursors.encode(dueKey, it.Note.CreatedAt, it.Note.ID)
	}), nil
}

// ListAccessLog returns one page of the reads of patrons' data in the scope, newest first. A
// scope limited to some schools sees the reads about the patrons now at those schools.
func (s *Store) ListAccessLog(ctx context.Context, scope rapport.TenantScope, f rapport.AccessFilter, page rapport.PageRequest) (rapport.Page[rapport.AccessRecord], error) {
	list := "access log"
	if f.PatronID != uuid.Nil {
		list += " " + f.PatronID.String()
		if _, err := s.GetPatron(ctx, scope, f.PatronID); err != nil {
			return rapport.Page[rapport.AccessRecord]{}, err
		}
	}
	cursors, err := s.listCursors(ctx, list, scope)
	if err != nil {
		return rapport.Page[rapport.AccessRecord]{}, err
	}
	var c conditions
	c.add("a.district_id = " + c.arg(scope.DistrictID))
	if !scope.AllSchools() {
		c.add("a.patron_id IN (SELECT p.id FROM patrons p WHERE p.district_id = a.district_id AND p.school_id = ANY(" + c.arg(scope.SchoolIDs) + "))")
	}
	if f.PatronID != uuid.Nil {
		c.add("a.patron_id = " + c.arg(f.PatronID))
	}
	if f.ClientID != "" {
		c.add("a.client_id = " + c.arg(f.ClientID))
	}
	if f.Resource != "" {
		c.add("a.resource = " + c.arg(f.Resource))
	}
	if !f.From.IsZero() {
		c.add("a.accessed_at >= " + c.arg(f.From))
	}
	if !f.To.IsZero() {
		c.add("a.accessed_at < " + c.arg(f.To))
	}
	if page.Cursor != "" {
		var id int64
		if err := cursors.decode(page.Cursor, &id); err != nil {
			return rapport.Page[rapport.AccessRecord]{}, err
		}
		c.add("a.id < " + c.arg(id))
	}
	size := page.Size()
	records, err := queryRows(ctx, s.pool, "list access log", func(row pgx.CollectableRow) (rapport.AccessRecord, error) {
		var r rapport.AccessRecord
		err := row.Scan(&r.ID, &r.PatronID, &r.Resource, &r.Detail, &r.AccessedBy.ClientID, &r.AccessedBy.ActingUser,
			&r.AccessedBy.ActingUserSource, &r.RequestID, &r.AccessedAt)
		return r, err
	}, `
		SELECT a.id, a.patron_id, a.resource, coalesce(a.detail, ''), a.client_id, coalesce(a.acting_user, ''),
			coalesce(a.acting_user_source, ''), coalesce(a.request_id, ''), a.accessed_at
		FROM access_log a
		`+c.sql()+`
		ORDER BY a.id DESC
		LIMIT `+strconv.Itoa(size+1), c.args)
	if err != nil {
		return rapport.Page[rapport.AccessRecord]{}, err
	}
	return pageOf(records, size, func(r rapport.AccessRecord) string { return cursors.encode(r.ID) }), nil
}
