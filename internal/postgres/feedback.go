package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/internal/rapport"
)

var _ rapport.FeedbackStore = (*Store)(nil)

const feedbackColumns = `f.id, f.district_id, f.school_id, f.patron_id, coalesce(f.submitter_role, ''), f.source,
	f.campaign_id, coalesce(f.category, ''), f.summary, coalesce(f.details, ''), f.supporters_count, f.public,
	coalesce(f.public_summary, ''), coalesce(f.public_decision, ''), f.status,
	coalesce(f.resolution, ''), f.decided_at, coalesce(f.decided_by_client, ''), coalesce(f.decided_by_user, ''),
	f.communicated_at, coalesce(f.communication_channel, ''), coalesce(f.communicated_by_client, ''),
	coalesce(f.communicated_by_user, ''), f.received_at, f.version,
	f.created_at, f.created_by_client, coalesce(f.created_by_user, ''),
	f.updated_at, f.updated_by_client, coalesce(f.updated_by_user, '')`

func scanFeedback(row pgx.CollectableRow) (rapport.FeedbackItem, error) {
	var f rapport.FeedbackItem
	var patronID, campaignID *uuid.UUID
	var decidedAt, communicatedAt *time.Time
	err := row.Scan(&f.ID, &f.DistrictID, &f.SchoolID, &patronID, &f.SubmitterRole, &f.Source,
		&campaignID, &f.Category, &f.Summary, &f.Details, &f.SupportersCount, &f.Public,
		&f.PublicSummary, &f.PublicDecision, &f.Status,
		&f.Resolution, &decidedAt, &f.DecidedBy.ClientID, &f.DecidedBy.ActingUser,
		&communicatedAt, &f.Channel, &f.CommunicatedBy.ClientID, &f.CommunicatedBy.ActingUser,
		&f.ReceivedAt, &f.Version, &f.CreatedAt, &f.CreatedBy.ClientID, &f.CreatedBy.ActingUser,
		&f.UpdatedAt, &f.UpdatedBy.ClientID, &f.UpdatedBy.ActingUser)
	if patronID != nil {
		f.PatronID = *patronID
	}
	if campaignID != nil {
		f.CampaignID = *campaignID
	}
	if decidedAt != nil {
		f.DecidedAt = *decidedAt
	}
	if communicatedAt != nil {
		f.CommunicatedAt = *communicatedAt
	}
	return f, err
}

// ListFeedback returns one page of the scope's feedback items: newest first, or by update time
// (oldest first) with UpdatedSince.
func (s *Store) ListFeedback(ctx context.Context, scope rapport.TenantScope, f rapport.FeedbackFilter, page rapport.PageRequest) (rapport.Page[rapport.FeedbackItem], error) {
	cursors, err := s.listCursors(ctx, "feedback", scope)
	if err != nil {
		return rapport.Page[rapport.FeedbackItem]{}, err
	}
	var c conditions
	c.tenant("f", scope)
	for _, eq := range []struct {
		column string
		value  any
		set    bool
	}{
		{"school_id", f.SchoolID, f.SchoolID != uuid.Nil},
		{"status", f.Status, f.Status != ""},
		{"source", f.Source, f.Source != ""},
		{"campaign_id", f.CampaignID, f.CampaignID != uuid.Nil},
		{"category", rapport.NormalizeCategory(f.Category), f.Category != ""},
		{"patron_id", f.PatronID, f.PatronID != uuid.Nil},
	} {
		if eq.set {
			c.add("f." + eq.column + " = " + c.arg(eq.value))
		}
	}
	if f.Public != nil {
		c.add("f.public = " + c.arg(*f.Public))
	}
	if f.Decided != nil {
		if *f.Decided {
			c.add("f.status IN ('acted_on', 'explained_why_not')")
		} else {
			c.add("f.status NOT IN ('acted_on', 'explained_why_not')")
		}
	}
	if f.Communicated != nil {
		if *f.Communicated {
			c.add("f.communicated_at IS NOT NULL")
		} else {
			c.add("f.communicated_at IS NULL")
		}
	}
	if !f.DecidedSince.IsZero() {
		c.add("f.decided_at >= " + c.arg(f.DecidedSince))
	}
	if !f.DecidedBefore.IsZero() {
		c.add("f.decided_at < " + c.arg(f.DecidedBefore))
	}

	order, key := "f.created_at DESC, f.id DESC", "(f.created_at, f.id) < (%s, %s)"
	cursorOf := func(f rapport.FeedbackItem) string { return cursors.encode(f.CreatedAt, f.ID) }
	if !f.UpdatedSince.IsZero() {
		c.add("f.updated_at >= " + c.arg(f.UpdatedSince))
		order, key = "f.updated_at, f.id", "(f.updated_at, f.id) > (%s, %s)"
		cursors.list += " by update"
		cursorOf = func(f rapport.FeedbackItem) string { return cursors.encode(f.UpdatedAt, f.ID) }
	}
	if page.Cursor != "" {
		var at time.Time
		var id uuid.UUID
		if err := cursors.decode(page.Cursor, &at, &id); err != nil {
			return rapport.Page[rapport.FeedbackItem]{}, err
		}
		c.add(fmt.Sprintf(key, c.arg(at), c.arg(id)))
	}
	size := page.Size()
	items, err := queryRows(ctx, s.pool, "query feedback", scanFeedback, `
		SELECT `+feedbackColumns+`
		FROM feedback_items f
		`+c.sql()+`
		ORDER BY `+order+`
		LIMIT `+strconv.Itoa(size+1), c.args)
	if err != nil {
		return rapport.Page[rapport.FeedbackItem]{}, err
	}
	return pageOf(items, size, cursorOf), nil
}

// GetFeedback returns the item, or an error of kind NotFound when it is not in scope.
func (s *Store) GetFeedback(ctx context.Context, scope rapport.TenantScope, id uuid.UUID) (rapport.FeedbackItem, error) {
	return getFeedback(ctx, s.pool, scope, id, "")
}

// getFeedback reads an item in scope; lock is "" or a locking clause such as "FOR UPDATE".
func getFeedback(ctx context.Context, q querier, scope rapport.TenantScope, id uuid.UUID, lock string) (rapport.FeedbackItem, error) {
	var c conditions
	c.add("f.id = " + c.arg(id))
	c.tenant("f", scope)
	items, err := queryRows(ctx, q, "query feedback", scanFeedback, `SELECT `+feedbackColumns+` FROM feedback_items f `+c.sql()+` `+lock, c.args)
	if err != nil {
		return rapport.FeedbackItem{}, err
	}
	if len(items) == 0 {
		return rapport.FeedbackItem{}, notFound("feedback item")
	}
	return items[0], nil
}

// CreateFeedback records a feedback item.
func (s *Store) CreateFeedback(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, in rapport.FeedbackCreate) (rapport.FeedbackItem, error) {
	var out rapport.FeedbackItem
	err := s.write(ctx, scope, by, "create feedback", func(w *unit) error {
		var p rapport.Problems
		in.Normalize(&p, "#", w.now)
		if err := p.Err(); err != nil {
			return err
		}
		tx := w.tx
		if _, err := getSchool(ctx, tx, scope, in.SchoolID, "FOR KEY SHARE"); rapport.ErrorKind(err) == rapport.NotFound {
			return errSchoolOutOfScope
		} else if err != nil {
			return err
		}
		var campaign *rapport.Campaign
		if in.CampaignID != uuid.Nil {
			c, err := getCampaign(ctx, tx, scope, in.CampaignID, "")
			switch {
			case rapport.ErrorKind(err) == rapport.NotFound:
				return rapport.FieldErrorf(rapport.Unprocessable, "#/campaign_id", "is not a campaign the client can see")
			case err != nil:
				return err
			case c.SchoolID != in.SchoolID:
				return rapport.FieldErrorf(rapport.Unprocessable, "#/campaign_id", "is a campaign of another school")
			}
			campaign = &c
		}
		items, err := insertFeedback(ctx, w, campaign, []rapport.FeedbackCreate{in}, func(int) string { return "#" })
		if err != nil {
			return err
		}
		out = items[0]
		return nil
	})
	return out, err
}

// insertFeedback records items that passed Normalize, all of one school and (when campaign is
// not nil) of one campaign. It checks their patrons, fills in the defaults that need the patron
// or the campaign, and fails with every problem found, each under the pointer at(i) of its
// item, before writing anything.
func insertFeedback(ctx context.Context, w *unit, campaign *rapport.Campaign, ins []rapport.FeedbackCreate, at func(int) string) ([]rapport.FeedbackItem, error) {
	tx, scope, by := w.tx, w.scope, w.by
	var patronIDs []uuid.UUID
	for _, in := range ins {
		if in.PatronID != uuid.Nil {
			patronIDs = append(patronIDs, in.PatronID)
		}
	}
	patrons, err := patronsByID(ctx, tx, scope, patronIDs)
	if err != nil {
		return nil, err
	}
	var p rapport.Problems
	for i := range ins {
		in := &ins[i]
		if in.PatronID != uuid.Nil {
			patron, ok := patrons[in.PatronID]
			if checkFeedbackPatron(&p, at(i)+"/patron_id", patron, ok, in.SchoolID) {
				if in.SubmitterRole == "" {
					in.SubmitterRole = patron.Role
				}
				rapport.CheckPublicWording(&p, in.Item(), patron, func(field string) string { return at(i) + "/" + field })
			}
		}
		if in.Source == "" && campaign != nil {
			in.Source = campaign.Kind.Source()
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	out := make([]rapport.FeedbackItem, 0, len(ins))
	for _, in := range ins {
		f := in.Item()
		items, err := queryRows(ctx, tx, "query feedback", scanFeedback, `
			INSERT INTO feedback_items AS f (id, district_id, school_id, patron_id, submitter_role, source, campaign_id,
				category, summary, details, public, public_summary, received_at,
				created_at, created_by_client, created_by_user, updated_at, updated_by_client, updated_by_user)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $16, $14, $15, $16, $14, $15)
			RETURNING `+feedbackColumns,
			[]any{uuid.Must(uuid.NewV7()), scope.DistrictID, f.SchoolID, nullUUID(f.PatronID), nullIfEmpty(string(f.SubmitterRole)),
				f.Source, nullUUID(f.CampaignID), nullIfEmpty(f.Category), f.Summary, nullIfEmpty(f.Details), f.Public,
				nullIfEmpty(f.PublicSummary), f.ReceivedAt, by.ClientID, nullIfEmpty(by.ActingUser), w.now})
		if err != nil {
			return nil, err
		}
		out = append(out, items[0])
		w.record(rapport.ResourceFeedbackItem, items[0].ID, items[0].SchoolID, rapport.EventCreated)
	}
	if campaign != nil {
		if err := bumpCampaigns(ctx, w, campaign.ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// patronsByID reads the patrons of the scope with the given ids, locked against changes until
// the transaction ends. Ids of patrons out of scope are simply absent from the answer.
func patronsByID(ctx context.Context, q querier, scope rapport.TenantScope, ids []uuid.UUID) (map[uuid.UUID]rapport.Patron, error) {
	out := map[uuid.UUID]rapport.Patron{}
	if len(ids) == 0 {
		return out, nil
	}
	var c conditions
	c.add("p.id = ANY(" + c.arg(ids) + ")")
	c.tenant("p", scope)
	patrons, err := queryRows(ctx, q, "list patrons", scanPatron, `SELECT `+patronColumns+` FROM patrons p `+c.sql()+` FOR SHARE`, c.args)
	if err != nil {
		return nil, err
	}
	for _, p := range patrons {
		out[p.ID] = p
	}
	return out, nil
}

// checkFeedbackPatron adds a problem at pointer unless the patron (found tells whether it is in
// scope at all) may be named on feedback of the school: a patron of that school whose personal
// data was not erased. It reports whether the patron may.
func checkFeedbackPatron(p *rapport.Problems, pointer string, patron rapport.Patron, found bool, schoolID uuid.UUID) bool {
	switch {
	case !found:
		p.Add(pointer, "is not a patron the client can see")
	case patron.SchoolID != schoolID:
		p.Add(pointer, "is a patron of another school")
	case patron.Erased():
		p.Add(pointer, "is a patron whose personal data was erased")
	default:
		return true
	}
	return false
}

// UpdateFeedback applies a merge patch to an item.
func (s *Store) UpdateFeedback(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, id uuid.UUID, match rapport.Match, patch rapport.FeedbackPatch) (rapport.FeedbackItem, error) {
	var out rapport.FeedbackItem
	err := s.write(ctx, scope, by, "update feedback "+id.String(), func(w *unit) error {
		tx := w.tx
		current, err := lockFeedback(ctx, w, id, match)
		if err != nil {
			return err
		}
		next, err := patch.Apply(current, w.now)
		if err != nil {
			return err
		}
		if unchanged(current, next) {
			out = current
			return nil
		}
		var p rapport.Problems
		inPatch := func(field string) string { return "#/" + field }
		if next.PatronID != uuid.Nil && next.PatronID != current.PatronID {
			patrons, err := patronsByID(ctx, tx, scope, []uuid.UUID{next.PatronID})
			if err != nil {
				return err
			}
			patron, ok := patrons[next.PatronID]
			if checkFeedbackPatron(&p, "#/patron_id", patron, ok, next.SchoolID) {
				if !patch.SubmitterRole.Set && next.SubmitterRole == "" {
					next.SubmitterRole = patron.Role
				}
				rapport.CheckPublicWording(&p, next, patron, inPatch)
			}
		} else if next.PatronID != uuid.Nil && next.HasPublicWording() {
			if err := checkWordingAgainstPatron(ctx, w, next, inPatch); err != nil {
				return err
			}
		}
		if next.CampaignID != uuid.Nil && next.CampaignID != current.CampaignID {
			c, err := getCampaign(ctx, tx, scope, next.CampaignID, "")
			switch {
			case rapport.ErrorKind(err) == rapport.NotFound:
				p.Add("#/campaign_id", "is not a campaign the client can see")
			case err != nil:
				return err
			case c.SchoolID != next.SchoolID:
				p.Add("#/campaign_id", "is a campaign of another school")
			}
		}
		if err := p.Err(); err != nil {
			return err
		}
		items, err := queryRows(ctx, tx, "query feedback", scanFeedback, `
			UPDATE feedback_items AS f
			SET patron_id = $2, submitter_role = $3, source = $4, campaign_id = $5, category = $6, summary = $7,
				details = $8, public = $9, public_summary = $10, public_decision = $11, received_at = $12,
				version = version + 1, updated_at = $15, updated_by_client = $13, updated_by_user = $14
			WHERE f.id = $1
			RETURNING `+feedbackColumns,
			[]any{id, nullUUID(next.PatronID), nullIfEmpty(string(next.SubmitterRole)), next.Source, nullUUID(next.CampaignID),
				nullIfEmpty(next.Category), next.Summary, nullIfEmpty(next.Details), next.Public,
				nullIfEmpty(next.PublicSummary), nullIfEmpty(next.PublicDecision), next.ReceivedAt,
				by.ClientID, nullIfEmpty(by.ActingUser), w.now})
		if err != nil {
			return err
		}
		out = items[0]
		w.record(rapport.ResourceFeedbackItem, id, out.SchoolID, rapport.EventUpdated)
		if changes := rapport.EditsOf(current, out); current.Status.Decided() && changes != nil {
			entry := rapport.FeedbackTransition{FeedbackID: id, Kind: rapport.HistoryEdit, From: current.Status, To: current.Status,
				Changes: changes, By: by, At: w.now}
			if err := addHistory(ctx, tx, current.DistrictID, entry); err != nil {
				return err
			}
		}
		if current.CampaignID != next.CampaignID {
			return bumpCampaigns(ctx, w, current.CampaignID, next.CampaignID)
		}
		return nil
	})
	return out, err
}

// TransitionFeedback moves an item through the status machine and records the move.
func (s *Store) TransitionFeedback(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, id uuid.UUID, match rapport.Match, t rapport.TransitionRequest) (rapport.FeedbackItem, error) {
	var out rapport.FeedbackItem
	err := s.write(ctx, scope, by, "move feedback "+id.String(), func(w *unit) error {
		current, err := lockFeedback(ctx, w, id, match)
		if err != nil {
			return err
		}
		next, entry, err := t.Apply(current, by, w.now)
		if err != nil {
			return err
		}
		if next.Status.Decided() && next.PatronID != uuid.Nil && next.HasPublicWording() { // a decision publishes
			if err := checkWordingAgainstPatron(ctx, w, next, func(field string) string {
				if field == "public_decision" {
					return "#/public_text" // the transition's name for it
				}
				return "#/" + field
			}); err != nil {
				return err
			}
		}
		if out, err = writeDecision(ctx, w, next); err != nil {
			return err
		}
		if err := addHistory(ctx, w.tx, current.DistrictID, entry); err != nil {
			return err
		}
		return bumpCampaigns(ctx, w, current.CampaignID)
	})
	return out, err
}

// checkWordingAgainstPatron fails when the public wording of the item names its patron; see
// rapport.CheckPublicWording. A patron the scope cannot see (a school scope's view of an item
// whose patron moved school) is read all the same: the board is public.
func checkWordingAgainstPatron(ctx context.Context, w *unit, f rapport.FeedbackItem, pointer func(string) string) error {
	patrons, err := patronsByID(ctx, w.tx, rapport.TenantScope{DistrictID: f.DistrictID}, []uuid.UUID{f.PatronID})
	if err != nil {
		return err
	}
	var p rapport.Problems
	if patron, ok := patrons[f.PatronID]; ok {
		rapport.CheckPublicWording(&p, f, patron, pointer)
	}
	return p.Err()
}

// lockFeedback reads an item of the unit's scope under a lock and checks If-Match.
func lockFeedback(ctx context.Context, w *unit, id uuid.UUID, match rapport.Match) (rapport.FeedbackItem, error) {
	return lockVersioned(ctx, w, "feedback item", match, func(f rapport.FeedbackItem) int { return f.Version },
		func(ctx context.Context, q querier, lock string) (rapport.FeedbackItem, error) {
			return getFeedback(ctx, q, w.scope, id, lock)
		})
}

// addHistory appends an entry to a feedback item's history.
func addHistory(ctx context.Context, tx pgx.Tx, districtID uuid.UUID, e rapport.FeedbackTransition) error {
	var changes *string // JSON as text, which every way of sending a statement casts to jsonb
	if e.Changes != nil {
		b, err := json.Marshal(e.Changes)
		if err != nil {
			return fmt.Errorf("record history of feedback %s: %w", e.FeedbackID, err)
		}
		text := string(b)
		changes = &text
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO feedback_transitions (district_id, feedback_id, kind, from_status, to_status, text, changes,
			by_client, by_user, by_user_source, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7::text::jsonb, $8, $9, $10, $11)`,
		districtID, e.FeedbackID, e.Kind, e.From, e.To, nullIfEmpty(e.Text), changes,
		e.By.ClientID, nullIfEmpty(e.By.ActingUser), nullIfEmpty(string(e.By.ActingUserSource)), e.At); err != nil {
		return fmt.Errorf("record history of feedback %s: %w", e.FeedbackID, err)
	}
	return nil
}

// writeDecision stores the status, decision and communication of an item.
func writeDecision(ctx context.Context, w *unit, f rapport.FeedbackItem) (rapport.FeedbackItem, error) {
	by := w.by
	var decidedAt, communicatedAt *time.Time
	var decidedByClient, communicatedByClient *string
	if !f.DecidedAt.IsZero() {
		decidedAt, decidedByClient = &f.DecidedAt, &f.DecidedBy.ClientID
	}
	if !f.CommunicatedAt.IsZero() {
		communicatedAt, communicatedByClient = &f.CommunicatedAt, &f.CommunicatedBy.ClientID
	}
	items, err := queryRows(ctx, w.tx, "write decision", scanFeedback, `
		UPDATE feedback_items AS f
		SET status = $2, resolution = $3, decided_at = $4, decided_by_client = $5, decided_by_user = $6,
			communicated_at = $7, communication_channel = $8, communicated_by_client = $9, communicated_by_user = $10,
			public_decision = $14,
			version = version + 1, updated_at = $13, updated_by_client = $11, updated_by_user = $12
		WHERE f.id = $1
		RETURNING `+feedbackColumns,
		[]any{f.ID, f.Status, nullIfEmpty(f.Resolution), decidedAt, decidedByClient, nullIfEmpty(f.DecidedBy.ActingUser),
			communicatedAt, nullIfEmpty(string(f.Channel)), communicatedByClient, nullIfEmpty(f.CommunicatedBy.ActingUser),
			by.ClientID, nullIfEmpty(by.ActingUser), w.now, nullIfEmpty(f.PublicDecision)})
	if err != nil {
		return rapport.FeedbackItem{}, err
	}
	w.record(rapport.ResourceFeedbackItem, f.ID, items[0].SchoolID, rapport.EventUpdated)
	return items[0], nil
}

// ListFeedbackHistory returns one page of an item's transitions, oldest first.
func (s *Store) ListFeedbackHistory(ctx context.Context, scope rapport.TenantScope, id uuid.UUID, page rapport.PageRequest) (rapport.Page[rapport.FeedbackTransition], error) {
	cursors, err := s.listCursors(ctx, "feedback history "+id.String(), scope)
	if err != nil {
		return rapport.Page[rapport.FeedbackTransition]{}, err
	}
	if _, err := getFeedback(ctx, s.pool, scope, id, ""); err != nil {
		return rapport.Page[rapport.FeedbackTransition]{}, err
	}
	var c conditions
	c.add("feedback_id = " + c.arg(id))
	if page.Cursor != "" {
		var after int64
		if err := cursors.decode(page.Cursor, &after); err != nil {
			return rapport.Page[rapport.FeedbackTransition]{}, err
		}
		c.add("id > " + c.arg(after))
	}
	size := page.Size()
	rows, err := s.pool.Query(ctx, `
		SELECT id, feedback_id, kind, from_status, to_status, coalesce(text, ''), changes,
			by_client, coalesce(by_user, ''), coalesce(by_user_source, ''), at
		FROM feedback_transitions
		`+c.sql()+`
		ORDER BY id
		LIMIT `+strconv.Itoa(size+1), c.args...)
	if err != nil {
		return rapport.Page[rapport.FeedbackTransition]{}, interpretError(fmt.Errorf("list history of feedback %s: %w", id, err))
	}
	entries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (rapport.FeedbackTransition, error) {
		var t rapport.FeedbackTransition
		var changes []byte
		err := row.Scan(&t.ID, &t.FeedbackID, &t.Kind, &t.From, &t.To, &t.Text, &changes,
			&t.By.ClientID, &t.By.ActingUser, &t.By.ActingUserSource, &t.At)
		if err == nil && changes != nil {
			err = json.Unmarshal(changes, &t.Changes)
		}
		return t, err
	})
	if err != nil {
		return rapport.Page[rapport.FeedbackTransition]{}, interpretError(fmt.Errorf("list history of feedback %s: %w", id, err))
	}
	return pageOf(entries, size, func(t rapport.FeedbackTransition) string { return cursors.encode(t.ID) }), nil
}

// RecordFeedbackCommunication records that an item's decision was told.
func (s *Store) RecordFeedbackCommunication(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, id uuid.UUID, match rapport.Match, c rapport.Communication) (rapport.FeedbackItem, error) {
	var out rapport.FeedbackItem
	err := s.write(ctx, scope, by, "record communication of feedback "+id.String(), func(w *unit) error {
		current, err := lockFeedback(ctx, w, id, match)
		if err != nil {
			return err
		}
		next, err := c.Apply(current, by, w.now)
		if err != nil {
			return err
		}
		out, err = writeDecision(ctx, w, next)
		return err
	})
	return out, err
}

// AddFeedbackSupporter adds a "me too" to an item. The item is locked while its count changes,
// so that concurrent supporters all count.
func (s *Store) AddFeedbackSupporter(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, id uuid.UUID, sup rapport.Supporter) (rapport.FeedbackItem, bool, error) {
	var out rapport.FeedbackItem
	var added bool
	err := s.write(ctx, scope, by, "add supporter to feedback "+id.String(), func(w *unit) error {
		tx := w.tx
		current, err := lockFeedback(ctx, w, id, nil)
		if err != nil {
			return err
		}
		out = current
		if sup.PatronID != uuid.Nil {
			patrons, err := patronsByID(ctx, tx, scope, []uuid.UUID{sup.PatronID})
			if err != nil {
				return err
			}
			var p rapport.Problems
			patron, ok := patrons[sup.PatronID]
			checkFeedbackPatron(&p, "#/patron_id", patron, ok, current.SchoolID)
			if err := p.Err(); err != nil {
				return err
			}
			if sup.PatronID == current.PatronID {
				return nil // whoever gave the feedback counts already
			}
		}
		tag, err := tx.Exec(ctx, `
			INSERT INTO feedback_supporters (id, district_id, feedback_id, patron_id, created_at, created_by_client, created_by_user)
			VALUES ($1, $2, $3, $4, $7, $5, $6)
			ON CONFLICT (feedback_id, patron_id) DO NOTHING`,
			uuid.Must(uuid.NewV7()), current.DistrictID, id, nullUUID(sup.PatronID), by.ClientID, nullIfEmpty(by.ActingUser), w.now)
		if err != nil {
			return fmt.Errorf("add supporter: %w", err)
		}
		if tag.RowsAffected() == 0 {
			return nil // the patron supports it already
		}
		items, err := queryRows(ctx, tx, "query feedback", scanFeedback, `
			UPDATE feedback_items AS f
			SET supporters_count = supporters_count + 1,
				version = version + 1, updated_at = $4, updated_by_client = $2, updated_by_user = $3
			WHERE f.id = $1
			RETURNING `+feedbackColumns, []any{id, by.ClientID, nullIfEmpty(by.ActingUser), w.now})
		if err != nil {
			return err
		}
		out, added = items[0], true
		w.record(rapport.ResourceFeedbackItem, id, out.SchoolID, rapport.EventUpdated)
		return nil
	})
	if err != nil {
		return rapport.FeedbackItem{}, false, err
	}
	return out, added, nil
}

// ListYouSaidWeDid returns one page of the public board of an active school: its public,
// decided items that staff worded for it, newest decision first. Only the columns the board
// shows are read, the public wording and never what the patron said or the internal
// resolution, so that nothing else can leak into it.
func (s *Store) ListYouSaidWeDid(ctx context.Context, slug string, page rapport.PageRequest) (rapport.PublicBoard, error) {
	school, err := publicSchool(ctx, s.pool, slug)
	if err != nil {
		return rapport.PublicBoard{}, err
	}
	cursors, err := s.listCursors(ctx, "board "+school.ID.String(), rapport.TenantScope{DistrictID: school.DistrictID})
	if err != nil {
		return rapport.PublicBoard{}, err
	}
	var c conditions
	c.add("f.school_id = " + c.arg(school.ID))
	c.add("f.public")
	c.add("f.status IN ('acted_on', 'explained_why_not')")
	c.add("f.public_summary IS NOT NULL AND f.public_decision IS NOT NULL")
	if page.Cursor != "" {
		var at time.Time
		var id uuid.UUID
		if err := cursors.decode(page.Cursor, &at, &id); err != nil {
			return rapport.PublicBoard{}, err
		}
		c.add(fmt.Sprintf("(f.decided_at, f.id) < (%s, %s)", c.arg(at), c.arg(id)))
	}
	zone := c.arg(school.TimeZone)
	size := page.Size()
	rows, err := s.pool.Query(ctx, `
		SELECT f.id, f.public_summary, coalesce(f.category, ''), f.source, f.status, f.public_decision,
			(f.received_at AT TIME ZONE `+zone+`)::date, (f.decided_at AT TIME ZONE `+zone+`)::date,
			f.decided_at, f.supporters_count
		FROM feedback_items f
		`+c.sql()+`
		ORDER BY f.decided_at DESC, f.id DESC
		LIMIT `+strconv.Itoa(size+1), c.args...)
	if err != nil {
		return rapport.PublicBoard{}, interpretError(fmt.Errorf("list the public board of %s: %w", slug, err))
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (rapport.PublicFeedbackItem, error) {
		var it rapport.PublicFeedbackItem
		err := row.Scan(&it.ID, &it.Summary, &it.Category, &it.Source, &it.Decision, &it.DecisionText,
			&it.ReceivedOn, &it.DecidedOn, &it.DecidedAt, &it.SupportersCount)
		return it, err
	})
	if err != nil {
		return rapport.PublicBoard{}, interpretError(fmt.Errorf("list the public board of %s: %w", slug, err))
	}
	board := rapport.PublicBoard{School: rapport.PublicSchool{Name: school.Name, Slug: school.Slug}}
	board.Page = pageOf(items, size, func(it rapport.PublicFeedbackItem) string { return cursors.encode(it.DecidedAt, it.ID) })
	return board, nil
}

// publicSchool returns the active school with the slug, or an error of kind NotFound: inactive
// schools have no public pages.
func publicSchool(ctx context.Context, q querier, slug string) (rapport.School, error) {
	rows, err := q.Query(ctx, `SELECT `+schoolColumns+` FROM schools WHERE slug = $1 AND status = 'active'`, slug)
	if err != nil {
		return rapport.School{}, interpretError(fmt.Errorf("get school %s: %w", slug, err))
	}
	school, err := pgx.CollectExactlyOneRow(rows, scanSchool)
	if errors.Is(err, pgx.ErrNoRows) {
		return rapport.School{}, notFound("school")
	}
	if err != nil {
		return rapport.School{}, interpretError(fmt.Errorf("get school %s: %w", slug, err))
	}
	return school, nil
}

// nullUUID returns nil for the zero id, so that an absent optional reference is stored as NULL.
func nullUUID(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}
