package postgres

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/internal/rapport"
)

var _ rapport.InteractionStore = (*Store)(nil)

// interactionColumns are an interaction's columns but its patrons, which interactionPatronIDs
// adds where the rows of interaction_patrons are already written.
const interactionColumns = `i.id, i.district_id, i.school_id, i.head_count, i.kind, i.channel,
	coalesce(i.summary, ''), coalesce(i.outcome, ''), coalesce(i.read_level, 0), coalesce(i.duration_minutes, 0),
	i.occurred_at, i.referral_to_name, i.referral_to_role, coalesce(i.referral_contact, ''), i.referral_state,
	coalesce(i.referral_closed_note, ''), i.referral_closed_at, coalesce(i.referral_closed_by_client, ''),
	coalesce(i.referral_closed_by_user, ''), i.satisfaction_rating, coalesce(i.satisfaction_comment, ''),
	i.version, i.created_at, i.created_by_client, coalesce(i.created_by_user, ''),
	i.updated_at, i.updated_by_client, coalesce(i.updated_by_user, '')`

// interactionPatronIDs is the column of an interaction's patrons, in id order.
const interactionPatronIDs = `ARRAY(SELECT x.patron_id FROM interaction_patrons x WHERE x.interaction_id = i.id ORDER BY x.patron_id)`

// scanInteractionInto scans the interactionColumns of row into it, and any further columns
// into extra.
func scanInteractionInto(row pgx.Row, it *rapport.Interaction, extra ...any) error {
	var toName, toRole, state *string
	var contact, closedNote, comment string
	var closedAt *time.Time
	var closedBy rapport.Actor
	var rating *int
	dest := []any{&it.ID, &it.DistrictID, &it.SchoolID, &it.HeadCount, &it.Kind, &it.Channel,
		&it.Summary, &it.Outcome, &it.ReadLevel, &it.DurationMinutes,
		&it.OccurredAt, &toName, &toRole, &contact, &state,
		&closedNote, &closedAt, &closedBy.ClientID,
		&closedBy.ActingUser, &rating, &comment,
		&it.Version, &it.CreatedAt, &it.CreatedBy.ClientID, &it.CreatedBy.ActingUser,
		&it.UpdatedAt, &it.UpdatedBy.ClientID, &it.UpdatedBy.ActingUser}
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return err
	}
	if state != nil && toName != nil && toRole != nil {
		it.Referral = &rapport.Referral{ToName: *toName, ToRole: *toRole, Contact: contact,
			State: rapport.ReferralState(*state), ClosedNote: closedNote, ClosedBy: closedBy}
		if closedAt != nil {
			it.Referral.ClosedAt = *closedAt
		}
	}
	if rating != nil {
		it.Satisfaction = &rapport.Satisfaction{Rating: *rating, Comment: comment}
	}
	return nil
}

// scanInteraction scans the interactionColumns and then interactionPatronIDs.
func scanInteraction(row pgx.CollectableRow) (rapport.Interaction, error) {
	var it rapport.Interaction
	err := scanInteractionInto(row, &it, &it.PatronIDs)
	return it, err
}

// interactionWriteColumns are the columns a create or update writes beyond the school, in the
// order of interactionValues.
const interactionWriteColumns = `head_count, kind, channel, summary, outcome, read_level, duration_minutes,
	occurred_at, referral_to_name, referral_to_role, referral_contact, referral_state, referral_closed_note,
	referral_closed_at, referral_closed_by_client, referral_closed_by_user, satisfaction_rating, satisfaction_comment`

// interactionValues are the values of interactionWriteColumns. A zero OccurredAt is NULL, which
// a create turns into the time of the write.
func interactionValues(it rapport.Interaction) []any {
	var occurredAt *time.Time
	if !it.OccurredAt.IsZero() {
		occurredAt = &it.OccurredAt
	}
	var readLevel, duration, rating *int
	if it.ReadLevel != 0 {
		readLevel = &it.ReadLevel
	}
	if it.DurationMinutes != 0 {
		duration = &it.DurationMinutes
	}
	var toName, toRole, contact, state, closedNote, closedByClient, closedByUser, comment *string
	var closedAt *time.Time
	if r := it.Referral; r != nil {
		st := string(r.State)
		toName, toRole, contact, state, closedNote = &r.ToName, &r.ToRole, nullIfEmpty(r.Contact), &st, nullIfEmpty(r.ClosedNote)
		if !r.ClosedAt.IsZero() {
			closedAt, closedByClient, closedByUser = &r.ClosedAt, &r.ClosedBy.ClientID, nullIfEmpty(r.ClosedBy.ActingUser)
		}
	}
	if s := it.Satisfaction; s != nil {
		rating, comment = &s.Rating, nullIfEmpty(s.Comment)
	}
	return []any{it.HeadCount, it.Kind, it.Channel, nullIfEmpty(it.Summary), nullIfEmpty(string(it.Outcome)),
		readLevel, duration, occurredAt, toName, toRole, contact, state, closedNote,
		closedAt, closedByClient, closedByUser, rating, comment}
}

// sortedIDs returns a sorted copy of ids, in the order PostgreSQL sorts uuids (bytewise), so
// that a new interaction lists its patrons as a read of it does.
func sortedIDs(ids []uuid.UUID) []uuid.UUID {
	out := slices.Clone(ids)
	if out == nil {
		out = []uuid.UUID{}
	}
	slices.SortFunc(out, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// insertInteraction writes a checked interaction and its patrons in one statement, so that a
// create is one round trip. The school is it.SchoolID or, when that is zero (a visit), the
// school of its first patron; it must be a school of the scope. The interaction is written
// only when every patron is a patron of that school who was not erased: otherwise nothing is
// written and ok is false, and the caller finds out why.
func insertInteraction(ctx context.Context, q querier, w *unit, it rapport.Interaction) (out rapport.Interaction, ok bool, err error) {
	scope, by := w.scope, w.by
	var school *uuid.UUID
	if it.SchoolID != uuid.Nil {
		school = &it.SchoolID
	}
	patronIDs := it.PatronIDs
	if patronIDs == nil {
		patronIDs = []uuid.UUID{}
	}
	args := []any{uuid.Must(uuid.NewV7()), scope.DistrictID, school, patronIDs, scope.SchoolIDs}
	args = append(args, interactionValues(it)...)
	args = append(args, by.ClientID, nullIfEmpty(by.ActingUser), w.now)
	c := conditions{args: args}
	changed := w.changeFrom(&c, "i", rapport.ResourceInteraction, rapport.EventCreated)
	rows, err := q.Query(ctx, `
		WITH target AS (
			SELECT s.id AS school_id
			FROM schools s
			WHERE s.district_id = $2
			  AND s.id = coalesce($3::uuid,
				(SELECT p.school_id FROM patrons p WHERE p.id = ($4::uuid[])[1] AND p.district_id = $2))
			  AND ($5::uuid[] IS NULL OR s.id = ANY($5::uuid[]))
		), i AS (
			INSERT INTO interactions (id, district_id, school_id, `+interactionWriteColumns+`,
				created_at, created_by_client, created_by_user, updated_at, updated_by_client, updated_by_user)
			SELECT $1::uuid, $2::uuid, t.school_id, $6::integer, $7::text, $8::text, $9::text, $10::text,
				$11::smallint, $12::integer, coalesce($13::timestamptz, $26::timestamptz), $14::text, $15::text, $16::text,
				$17::text, $18::text, $19::timestamptz, $20::text, $21::text, $22::smallint, $23::text,
				$26::timestamptz, $24::text, $25::text, $26::timestamptz, $24::text, $25::text
			FROM target t
			WHERE (SELECT count(*) FROM patrons p
				WHERE p.id = ANY($4::uuid[]) AND p.district_id = $2 AND p.school_id = t.school_id
				  AND p.erased_at IS NULL) = cardinality($4::uuid[])
			RETURNING *
		), linked AS (
			INSERT INTO interaction_patrons (interaction_id, patron_id, district_id, school_id, occurred_at)
			SELECT i.id, unnest($4::uuid[]), i.district_id, i.school_id, i.occurred_at
			FROM i
		), `+changed+`
		SELECT `+interactionColumns+` FROM i`, c.args...)
	if err != nil {
		return out, false, interpretError(fmt.Errorf("create interaction: %w", err))
	}
	created, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (rapport.Interaction, error) {
		var it rapport.Interaction
		err := scanInteractionInto(row, &it)
		return it, err
	})
	if err != nil {
		return out, false, interpretError(fmt.Errorf("create interaction: %w", err))
	}
	if len(created) == 0 {
		return out, false, nil
	}
	out = created[0]
	out.PatronIDs = sortedIDs(patronIDs)
	return out, true, nil
}

// CreateInteraction records an interaction at a school of the scope.
func (s *Store) CreateInteraction(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, in rapport.InteractionCreate) (rapport.Interaction, error) {
	it, err := in.Interaction(by, time.Now())
	if err != nil {
		return rapport.Interaction{}, err
	}
	if !scope.HasSchool(it.SchoolID) {
		return rapport.Interaction{}, errSchoolOutOfScope
	}
	var created rapport.Interaction
	var ok bool
	err = s.writeOne(ctx, scope, by, "create interaction", func(q querier, w *unit) error {
		created, ok, err = insertInteraction(ctx, q, w, it)
		return err
	})
	if err != nil || ok {
		return created, err
	}
	// Nothing was written: the school or a patron is not what the caller thinks.
	if _, err := getSchool(ctx, s.pool, scope, it.SchoolID, ""); err != nil {
		if rapport.ErrorKind(err) == rapport.NotFound {
			return rapport.Interaction{}, errSchoolOutOfScope
		}
		return rapport.Interaction{}, err
	}
	if err := checkInteractionPatrons(ctx, s.pool, scope.DistrictID, it.SchoolID, it.PatronIDs, nil); err != nil {
		return rapport.Interaction{}, err
	}
	return rapport.Interaction{}, rapport.Errorf(rapport.Conflict, "the patrons changed while the interaction was recorded; try again")
}

// CreateVisit records a plain visit of a patron of the scope at the patron's school.
func (s *Store) CreateVisit(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, patronID uuid.UUID, in rapport.VisitCreate) (rapport.Interaction, error) {
	it, err := in.Interaction(patronID, time.Now())
	if err != nil {
		return rapport.Interaction{}, err
	}
	var created rapport.Interaction
	var ok bool
	err = s.writeOne(ctx, scope, by, "record visit", func(q querier, w *unit) error {
		created, ok, err = insertInteraction(ctx, q, w, it)
		return err
	})
	if err != nil || ok {
		return created, err
	}
	// Nothing was written: the patron is out of scope, or erased.
	patron, err := getPatron(ctx, s.pool, scope, patronID, "")
	if err != nil {
		return rapport.Interaction{}, err
	}
	if patron.Erased() {
		return rapport.Interaction{}, rapport.Errorf(rapport.Conflict, "the patron's personal data was erased; no visits can be recorded")
	}
	return rapport.Interaction{}, rapport.Errorf(rapport.Conflict, "the patron changed while the visit was recorded; try again")
}

// checkInteractionPatrons returns an error of kind Unprocessable pointing at every patron of
// ids (those for which check holds, or all when check is nil) that is not a patron of the
// school of the district, or was erased.
func checkInteractionPatrons(ctx context.Context, q querier, districtID, schoolID uuid.UUID, ids []uuid.UUID, check func(uuid.UUID) bool) error {
	if len(ids) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `
		SELECT p.id IS NOT NULL, coalesce(p.erased_at IS NOT NULL, false)
		FROM unnest($1::uuid[]) WITH ORDINALITY AS w (id, ord)
		LEFT JOIN patrons p ON p.id = w.id AND p.district_id = $2 AND p.school_id = $3
		ORDER BY w.ord`, ids, districtID, schoolID)
	if err != nil {
		return interpretError(fmt.Errorf("check patrons of an interaction: %w", err))
	}
	type verdict struct{ found, erased bool }
	verdicts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (verdict, error) {
		var v verdict
		err := row.Scan(&v.found, &v.erased)
		return v, err
	})
	if err != nil {
		return interpretError(fmt.Errorf("check patrons of an interaction: %w", err))
	}
	var p rapport.Problems
	for i, v := range verdicts {
		if check != nil && !check(ids[i]) {
			continue
		}
		switch {
		case !v.found:
			p.Add(fmt.Sprintf("#/patron_ids/%d", i), "is not a patron of the interaction's school that the client can see")
		case v.erased:
			p.Add(fmt.Sprintf("#/patron_ids/%d", i), "is a patron whose personal data was erased")
		}
	}
	return p.Err()
}

// GetInteraction returns the interaction, or an error of kind NotFound when it is not in scope.
func (s *Store) GetInteraction(ctx context.Context, scope rapport.TenantScope, id uuid.UUID) (rapport.Interaction, error) {
	return getInteraction(ctx, s.pool, scope, id, "")
}

// getInteraction reads an interaction in scope; lock is "" or a locking clause such as
// "FOR UPDATE".
func getInteraction(ctx context.Context, q querier, scope rapport.TenantScope, id uuid.UUID, lock string) (rapport.Interaction, error) {
	var c conditions
	c.add("i.id = " + c.arg(id))
	c.tenant("i", scope)
	items, err := queryRows(ctx, q, "list interactions", scanInteraction, `SELECT `+interactionColumns+`, `+interactionPatronIDs+` FROM interactions i `+c.sql()+` `+lock, c.args)
	if err != nil {
		return rapport.Interaction{}, err
	}
	if len(items) == 0 {
		return rapport.Interaction{}, notFound("interaction")
	}
	return items[0], nil
}

// UpdateInteraction applies a merge patch to an interaction. Patrons it adds, or all of its
// patrons when it moves the interaction to another school, must be patrons of the school.
func (s *Store) UpdateInteraction(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, id uuid.UUID, match rapport.Match, patch rapport.InteractionPatch) (rapport.Interaction, error) {
	var out rapport.Interaction
	err := s.write(ctx, scope, by, "update interaction "+id.String(), func(w *unit) error {
		tx := w.tx
		current, err := lockVersioned(ctx, w, "interaction", match, func(it rapport.Interaction) int { return it.Version },
			func(ctx context.Context, q querier, lock string) (rapport.Interaction, error) {
				return getInteraction(ctx, q, scope, id, lock)
			})
		if err != nil {
			return err
		}
		next, err := patch.Apply(current, by, w.now)
		if err != nil {
			return err
		}
		if unchanged(current, next) {
			out = current
			return nil
		}
		moved := next.SchoolID != current.SchoolID
		if moved {
			if _, err := getSchool(ctx, tx, scope, next.SchoolID, ""); err != nil {
				if rapport.ErrorKind(err) == rapport.NotFound {
					return errSchoolOutOfScope
				}
				return err
			}
		}
		isNew := func(p uuid.UUID) bool { return moved || !slices.Contains(current.PatronIDs, p) }
		if err := checkInteractionPatrons(ctx, tx, scope.DistrictID, next.SchoolID, next.PatronIDs, isNew); err != nil {
			return err
		}
		// The interaction first: its foreign key carries a new school or time to the patrons'
		// rows already there.
		args := append([]any{id, next.SchoolID}, interactionValues(next)...)
		args = append(args, by.ClientID, nullIfEmpty(by.ActingUser), w.now)
		rows, err := tx.Query(ctx, `
			UPDATE interactions AS i
			SET (school_id, `+interactionWriteColumns+`) =
				($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20),
				version = version + 1, updated_at = $23, updated_by_client = $21, updated_by_user = $22
			WHERE i.id = $1
			RETURNING `+interactionColumns, args...)
		if err != nil {
			return err
		}
		updated, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (rapport.Interaction, error) {
			var it rapport.Interaction
			err := scanInteractionInto(row, &it)
			return it, err
		})
		if err != nil {
			return err
		}
		var added, removed []uuid.UUID
		for _, p := range next.PatronIDs {
			if !slices.Contains(current.PatronIDs, p) {
				added = append(added, p)
			}
		}
		for _, p := range current.PatronIDs {
			if !slices.Contains(next.PatronIDs, p) {
				removed = append(removed, p)
			}
		}
		if len(removed) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM interaction_patrons WHERE interaction_id = $1 AND patron_id = ANY($2)`, id, removed); err != nil {
				return fmt.Errorf("remove patrons: %w", err)
			}
		}
		if len(added) > 0 {
			if _, err := tx.Exec(ctx, `
				INSERT INTO interaction_patrons (interaction_id, patron_id, district_id, school_id, occurred_at)
				SELECT $1, unnest($2::uuid[]), $3, $4, $5`,
				id, added, updated.DistrictID, updated.SchoolID, updated.OccurredAt); err != nil {
				return fmt.Errorf("add patrons: %w", err)
			}
		}
		out = updated
		out.PatronIDs = sortedIDs(next.PatronIDs)
		if moved {
			w.record(rapport.ResourceInteraction, id, current.SchoolID, rapport.EventDeleted)
		}
		w.record(rapport.ResourceInteraction, id, out.SchoolID, rapport.EventUpdated)
		return nil
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return rapport.Interaction{}, notFound("interaction")
	}
	return out, err
}

// DeleteInteraction removes an interaction and its patrons' rows.
func (s *Store) DeleteInteraction(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, id uuid.UUID, match rapport.Match) error {
	return s.write(ctx, scope, by, "delete interaction "+id.String(), func(w *unit) error {
		current, err := lockVersioned(ctx, w, "interaction", match, func(it rapport.Interaction) int { return it.Version },
			func(ctx context.Context, q querier, lock string) (rapport.Interaction, error) {
				return getInteraction(ctx, q, scope, id, lock)
			})
		if err != nil {
			return err
		}
		if _, err := w.tx.Exec(ctx, `DELETE FROM interactions WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete: %w", err)
		}
		w.record(rapport.ResourceInteraction, id, current.SchoolID, rapport.EventDeleted)
		return nil
	})
}

// ListInteractions returns one page of the scope's interactions.
func (s *Store) ListInteractions(ctx context.Context, scope rapport.TenantScope, f rapport.InteractionFilter, page rapport.PageRequest) (rapport.Page[rapport.Interaction], error) {
	if err := f.Validate(); err != nil {
		return rapport.Page[rapport.Interaction]{}, err
	}
	cursors, err := s.listCursors(ctx, "interactions", scope)
	if err != nil {
		return rapport.Page[rapport.Interaction]{}, err
	}
	return listInteractions(ctx, s.pool, cursors, scope, f, page)
}

// ListPatronInteractions returns one page of a patron's interactions in scope.
func (s *Store) ListPatronInteractions(ctx context.Context, scope rapport.TenantScope, patronID uuid.UUID, f rapport.InteractionFilter, page rapport.PageRequest) (rapport.Page[rapport.Interaction], error) {
	if err := f.Validate(); err != nil {
		return rapport.Page[rapport.Interaction]{}, err
	}
	if _, err := getPatron(ctx, s.pool, scope, patronID, ""); err != nil {
		return rapport.Page[rapport.Interaction]{}, err
	}
	f.PatronID = patronID
	cursors, err := s.listCursors(ctx, "interactions of "+patronID.String(), scope)
	if err != nil {
		return rapport.Page[rapport.Interaction]{}, err
	}
	return listInteractions(ctx, s.pool, cursors, scope, f, page)
}

// listInteractions answers one page of interactions, newest first by occurred_at, or by update
// time when the filter has UpdatedSince. For one patron's interactions it walks the patron's
// rows of interaction_patrons, whose history index holds them in order with their school, so
// that the conditions on school and time and the order apply to those rows (the same values
// as the interaction's, which the foreign key keeps in step). The scope is checked on the
// interaction, whose row is read anyway.
func listInteractions(ctx context.Context, q querier, cursors listCursors, scope rapport.TenantScope, f rapport.InteractionFilter, page rapport.PageRequest) (rapport.Page[rapport.Interaction], error) {
	var c conditions
	from, at, idColumn := "interactions i", "i", "i.id"
	if f.PatronID != uuid.Nil {
		from, at, idColumn = "interaction_patrons ip JOIN interactions i ON i.id = ip.interaction_id", "ip", "ip.interaction_id"
		c.add("ip.patron_id = " + c.arg(f.PatronID))
	}
	c.tenant("i", scope)
	if f.SchoolID != uuid.Nil {
		c.add(at + ".school_id = " + c.arg(f.SchoolID))
	}
	if f.Kind != "" {
		c.add("i.kind = " + c.arg(f.Kind))
	}
	if f.Channel != "" {
		c.add("i.channel = " + c.arg(f.Channel))
	}
	if f.Outcome != "" {
		c.add("i.outcome = " + c.arg(f.Outcome))
	}
	if !f.OccurredSince.IsZero() {
		c.add(at + ".occurred_at >= " + c.arg(f.OccurredSince))
	}
	if !f.OccurredBefore.IsZero() {
		c.add(at + ".occurred_at < " + c.arg(f.OccurredBefore))
	}
	var order string
	var cursorOf func(rapport.Interaction) string
	if !f.UpdatedSince.IsZero() {
		c.add("i.updated_at >= " + c.arg(f.UpdatedSince))
		order = "i.updated_at, i.id"
		cursors.list += " by update"
		cursorOf = func(it rapport.Interaction) string { return cursors.encode(it.UpdatedAt, it.ID) }
	} else {
		order = at + ".occurred_at DESC, " + idColumn + " DESC"
		cursorOf = func(it rapport.Interaction) string { return cursors.encode(it.OccurredAt, it.ID) }
	}
	if page.Cursor != "" {
		var t time.Time
		var id uuid.UUID
		if err := cursors.decode(page.Cursor, &t, &id); err != nil {
			return rapport.Page[rapport.Interaction]{}, err
		}
		if !f.UpdatedSince.IsZero() {
			c.add(fmt.Sprintf("(i.updated_at, i.id) > (%s, %s)", c.arg(t), c.arg(id)))
		} else {
			c.add(fmt.Sprintf("(%s.occurred_at, %s) < (%s, %s)", at, idColumn, c.arg(t), c.arg(id)))
		}
	}
	size := page.Size()
	items, err := queryRows(ctx, q, "list interactions", scanInteraction, `
		SELECT `+interactionColumns+`, `+interactionPatronIDs+`
		FROM `+from+`
		`+c.sql()+`
		ORDER BY `+order+`
		LIMIT `+strconv.Itoa(size+1), c.args)
	if err != nil {
		return rapport.Page[rapport.Interaction]{}, err
	}
	return pageOf(items, size, cursorOf), nil
}

// ListReferrals returns one page of the scope's interactions with a referral in the filter's
// state (made by default), newest first, each with its patrons.
func (s *Store) ListReferrals(ctx context.Context, p *rapport.Principal, f rapport.ReferralFilter, page rapport.PageRequest) (rapport.Page[rapport.ReferralItem], error) {
	cursors, err := s.listCursors(ctx, "referrals", p.Tenant)
	if err != nil {
		return rapport.Page[rapport.ReferralItem]{}, err
	}
	scope := p.Tenant
	if f.State == "" {
		f.State = rapport.ReferralMade
	}
	var c conditions
	c.tenant("i", scope)
	c.add("i.referral_state = " + c.arg(f.State))
	if f.SchoolID != uuid.Nil {
		c.add("i.school_id = " + c.arg(f.SchoolID))
	}
	if page.Cursor != "" {
		var t time.Time
		var id uuid.UUID
		if err := cursors.decode(page.Cursor, &t, &id); err != nil {
			return rapport.Page[rapport.ReferralItem]{}, err
		}
		c.add(fmt.Sprintf("(i.occurred_at, i.id) < (%s, %s)", c.arg(t), c.arg(id)))
	}
	size := page.Size()
	var items []rapport.ReferralItem
	err = s.inTx(ctx, func(tx pgx.Tx) error {
		interactions, err := queryRows(ctx, tx, "list interactions", scanInteraction, `
			SELECT `+interactionColumns+`, `+interactionPatronIDs+`
			FROM interactions i
			`+c.sql()+`
			ORDER BY i.occurred_at DESC, i.id DESC
			LIMIT `+strconv.Itoa(size+1), c.args)
		if err != nil {
			return err
		}
		var patronIDs []uuid.UUID
		if p.HasScope(rapport.ScopePatronsRead) {
			for _, it := range interactions {
				patronIDs = append(patronIDs, it.PatronIDs...)
			}
		}
		patrons, err := patronSummaries(ctx, tx, scope.DistrictID, patronIDs)
		if err != nil {
			return err
		}
		for _, it := range interactions {
			item := rapport.ReferralItem{Interaction: it, Patrons: []rapport.Patron{}}
			for _, id := range it.PatronIDs {
				if patron, ok := patrons[id]; ok && p.CanSeePatron(patron.SchoolID) {
					item.Patrons = append(item.Patrons, patron)
				}
			}
			items = append(items, item)
		}
		return nil
	})
	if err != nil {
		return rapport.Page[rapport.ReferralItem]{}, err
	}
	return pageOf(items, size, func(it rapport.ReferralItem) string {
		return cursors.encode(it.Interaction.OccurredAt, it.Interaction.ID)
	}), nil
}

// patronSummaries reads the fields of a summary of the district's patrons with the given ids.
func patronSummaries(ctx context.Context, q querier, districtID uuid.UUID, ids []uuid.UUID) (map[uuid.UUID]rapport.Patron, error) {
	out := map[uuid.UUID]rapport.Patron{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := q.Query(ctx, `
		SELECT p.id, p.district_id, p.school_id, p.given_name, p.family_name, coalesce(p.preferred_name, ''),
			coalesce(p.name_pronunciation, ''), coalesce(p.grade, ''), coalesce(p.homeroom, '')
		FROM patrons p
		WHERE p.id = ANY($1) AND p.district_id = $2`, ids, districtID)
	if err != nil {
		return nil, fmt.Errorf("read patron summaries: %w", err)
	}
	patrons, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (rapport.Patron, error) {
		var p rapport.Patron
		err := row.Scan(&p.ID, &p.DistrictID, &p.SchoolID, &p.GivenName, &p.FamilyName, &p.PreferredName,
			&p.NamePronunciation, &p.Grade, &p.Homeroom)
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("read patron summaries: %w", err)
	}
	for _, p := range patrons {
		out[p.ID] = p
	}
	return out, nil
}
