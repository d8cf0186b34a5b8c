package postgres

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/internal/rapport"
)

var _ rapport.CampaignStore = (*Store)(nil)

// campaignColumns are read FROM campaignFrom, which counts each campaign's items by status.
const campaignColumns = `c.id, c.district_id, c.school_id, c.kind, c.title, c.held_on, c.participant_count,
	coalesce(c.notes, ''), c.version, c.created_at, c.created_by_client, coalesce(c.created_by_user, ''),
	c.updated_at, c.updated_by_client, coalesce(c.updated_by_user, ''),
	n.total, n.open, n.acted_on, n.explained_why_not`

const campaignFrom = `campaigns c
	CROSS JOIN LATERAL (
		SELECT count(*) AS total,
			count(*) FILTER (WHERE f.status IN ('received', 'under_review')) AS open,
			count(*) FILTER (WHERE f.status = 'acted_on') AS acted_on,
			count(*) FILTER (WHERE f.status = 'explained_why_not') AS explained_why_not
		FROM feedback_items f
		WHERE f.campaign_id = c.id) n`

func scanCampaign(row pgx.CollectableRow) (rapport.Campaign, error) {
	var c rapport.Campaign
	err := row.Scan(&c.ID, &c.DistrictID, &c.SchoolID, &c.Kind, &c.Title, &c.HeldOn, &c.ParticipantCount,
		&c.Notes, &c.Version, &c.CreatedAt, &c.CreatedBy.ClientID, &c.CreatedBy.ActingUser,
		&c.UpdatedAt, &c.UpdatedBy.ClientID, &c.UpdatedBy.ActingUser,
		&c.Counts.Total, &c.Counts.Open, &c.Counts.ActedOn, &c.Counts.ExplainedWhyNot)
	return c, err
}

// ListCampaigns returns one page of the scope's campaigns, the most recently held first.
func (s *Store) ListCampaigns(ctx context.Context, scope rapport.TenantScope, f rapport.CampaignFilter, page rapport.PageRequest) (rapport.Page[rapport.Campaign], error) {
	cursors, err := s.listCursors(ctx, "campaigns", scope)
	if err != nil {
		return rapport.Page[rapport.Campaign]{}, err
	}
	var c conditions
	c.tenant("c", scope)
	if f.SchoolID != uuid.Nil {
		c.add("c.school_id = " + c.arg(f.SchoolID))
	}
	if f.Kind != "" {
		c.add("c.kind = " + c.arg(f.Kind))
	}
	if page.Cursor != "" {
		var heldOn string
		var id uuid.UUID
		if err := cursors.decode(page.Cursor, &heldOn, &id); err != nil {
			return rapport.Page[rapport.Campaign]{}, err
		}
		c.add(fmt.Sprintf("(c.held_on, c.id) < (%s::date, %s)", c.arg(heldOn), c.arg(id)))
	}
	size := page.Size()
	campaigns, err := queryRows(ctx, s.pool, "query campaigns", scanCampaign, `
		SELECT `+campaignColumns+`
		FROM `+campaignFrom+`
		`+c.sql()+`
		ORDER BY c.held_on DESC, c.id DESC
		LIMIT `+strconv.Itoa(size+1), c.args)
	if err != nil {
		return rapport.Page[rapport.Campaign]{}, err
	}
	return pageOf(campaigns, size, func(c rapport.Campaign) string {
		return cursors.encode(c.HeldOn.Format(time.DateOnly), c.ID)
	}), nil
}

// GetCampaign returns the campaign, or an error of kind NotFound when it is not in scope.
func (s *Store) GetCampaign(ctx context.Context, scope rapport.TenantScope, id uuid.UUID) (rapport.Campaign, error) {
	return getCampaign(ctx, s.pool, scope, id, "")
}

// getCampaign reads a campaign in scope; lock is "" or a locking clause of the campaign row
// such as "FOR UPDATE OF c".
func getCampaign(ctx context.Context, q querier, scope rapport.TenantScope, id uuid.UUID, lock string) (rapport.Campaign, error) {
	var c conditions
	c.add("c.id = " + c.arg(id))
	c.tenant("c", scope)
	campaigns, err := queryRows(ctx, q, "query campaigns", scanCampaign, `SELECT `+campaignColumns+` FROM `+campaignFrom+` `+c.sql()+` `+lock, c.args)
	if err != nil {
		return rapport.Campaign{}, err
	}
	if len(campaigns) == 0 {
		return rapport.Campaign{}, notFound("campaign")
	}
	return campaigns[0], nil
}

// CreateCampaign adds a campaign to a school of the scope.
func (s *Store) CreateCampaign(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, in rapport.CampaignCreate) (rapport.Campaign, error) {
	c, err := in.Campaign()
	if err != nil {
		return rapport.Campaign{}, err
	}
	if !scope.HasSchool(c.SchoolID) {
		return rapport.Campaign{}, errSchoolOutOfScope
	}
	var out rapport.Campaign
	err = s.write(ctx, scope, by, "create campaign", func(w *unit) error {
		id := uuid.Must(uuid.NewV7())
		if _, err := w.tx.Exec(ctx, `
			INSERT INTO campaigns (id, district_id, school_id, kind, title, held_on, participant_count, notes,
				created_at, created_by_client, created_by_user, updated_at, updated_by_client, updated_by_user)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $11, $9, $10, $11, $9, $10)`,
			id, scope.DistrictID, c.SchoolID, c.Kind, c.Title, c.HeldOn, c.ParticipantCount, nullIfEmpty(c.Notes),
			by.ClientID, nullIfEmpty(by.ActingUser), w.now); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		out, err = getCampaign(ctx, w.tx, scope, id, "")
		w.record(rapport.ResourceCampaign, id, c.SchoolID, rapport.EventCreated)
		return err
	})
	return out, err
}

// UpdateCampaign applies a merge patch to a campaign.
func (s *Store) UpdateCampaign(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, id uuid.UUID, match rapport.Match, patch rapport.CampaignPatch) (rapport.Campaign, error) {
	var out rapport.Campaign
	err := s.write(ctx, scope, by, "update campaign "+id.String(), func(w *unit) error {
		current, err := lockVersioned(ctx, w, "campaign", match, func(c rapport.Campaign) int { return c.Version },
			func(ctx context.Context, q querier, lock string) (rapport.Campaign, error) {
				return getCampaign(ctx, q, scope, id, lock+" OF c")
			})
		if err != nil {
			return err
		}
		next, err := patch.Apply(current)
		if err != nil {
			return err
		}
		if unchanged(current, next) {
			out = current
			return nil
		}
		if _, err := w.tx.Exec(ctx, `
			UPDATE campaigns
			SET kind = $2, title = $3, held_on = $4, participant_count = $5, notes = $6,
				version = version + 1, updated_at = $9, updated_by_client = $7, updated_by_user = $8
			WHERE id = $1`,
			id, next.Kind, next.Title, next.HeldOn, next.ParticipantCount, nullIfEmpty(next.Notes),
			by.ClientID, nullIfEmpty(by.ActingUser), w.now); err != nil {
			return fmt.Errorf("update: %w", err)
		}
		out, err = getCampaign(ctx, w.tx, scope, id, "")
		w.record(rapport.ResourceCampaign, id, out.SchoolID, rapport.EventUpdated)
		return err
	})
	return out, err
}

// CreateCampaignFeedback records a batch of items from a campaign, all or nothing.
func (s *Store) CreateCampaignFeedback(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, id uuid.UUID, ins []rapport.FeedbackCreate) ([]rapport.FeedbackItem, error) {
	var out []rapport.FeedbackItem
	err := s.write(ctx, scope, by, "record feedback of campaign "+id.String(), func(w *unit) error {
		campaign, err := getCampaign(ctx, w.tx, scope, id, "")
		if err != nil {
			return err
		}
		if len(ins) == 0 || len(ins) > rapport.MaxBatch {
			return rapport.FieldErrorf(rapport.Unprocessable, "#/items", "must hold 1 to %d items", rapport.MaxBatch)
		}
		var p rapport.Problems
		for i := range ins {
			ins[i].SchoolID, ins[i].CampaignID = campaign.SchoolID, campaign.ID
			ins[i].Normalize(&p, rapport.ItemPointer(i), w.now)
		}
		if err := p.Err(); err != nil {
			return err
		}
		out, err = insertFeedback(ctx, w, &campaign, ins, rapport.ItemPointer)
		return err
	})
	return out, err
}

// bumpCampaigns raises the version of the campaigns with the given ids (zero ids are skipped):
// their counts are part of them, so a change of their items' decisions or membership changes
// their ETag, and the change feed tells of it.
func bumpCampaigns(ctx context.Context, w *unit, ids ...uuid.UUID) error {
	var set []uuid.UUID
	for _, id := range ids {
		if id != uuid.Nil {
			set = append(set, id)
		}
	}
	if len(set) == 0 {
		return nil
	}
	return recordRows(ctx, w, rapport.ResourceCampaign, "bump campaigns",
		`UPDATE campaigns SET version = version + 1 WHERE id = ANY($1) RETURNING id, school_id`, set)
}
