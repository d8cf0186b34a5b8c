package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/rapportlib/rapport/internal/rapport"
)

// interaction has the members of the Interaction schema, in the order Rapport writes them.
type interaction struct {
	Channel         string        `json:"channel"`
	CreatedAt       time.Time     `json:"created_at"`
	CreatedBy       actor         `json:"created_by"`
	DurationMinutes *int          `json:"duration_minutes,omitempty"`
	HeadCount       int           `json:"head_count"`
	ID              uuid.UUID     `json:"id"`
	Kind            string        `json:"kind"`
	OccurredAt      time.Time     `json:"occurred_at"`
	Outcome         *string       `json:"outcome,omitempty"`
	PatronIDs       []uuid.UUID   `json:"patron_ids"`
	ReadLevel       *int          `json:"read_level,omitempty"`
	Referral        *referral     `json:"referral,omitempty"`
	Satisfaction    *satisfaction `json:"satisfaction,omitempty"`
	SchoolID        uuid.UUID     `json:"school_id"`
	Summary         *string       `json:"summary,omitempty"`
	UpdatedAt       time.Time     `json:"updated_at"`
	UpdatedBy       actor         `json:"updated_by"`
}

type referral struct {
	ClosedAt   *time.Time `json:"closed_at,omitempty"`
	ClosedBy   *actor     `json:"closed_by,omitempty"`
	ClosedNote *string    `json:"closed_note,omitempty"`
	Contact    *string    `json:"contact,omitempty"`
	State      string     `json:"state"`
	ToName     string     `json:"to_name"`
	ToRole     string     `json:"to_role"`
}

type satisfaction struct {
	Comment *string `json:"comment,omitempty"`
	Rating  int     `json:"rating"`
}

type interactionList struct {
	Data       []interaction `json:"data"`
	NextCursor *string       `json:"next_cursor,omitempty"`
}

// createInteraction is the minimal INSERT handler of an interaction: decode the JSON, write the
// interaction and its rows in interaction_patrons in one statement, answer the row. It takes the
// members of the benchmark's requests (no referral, no rating) and checks nothing PostgreSQL
// does not: the foreign key of interaction_patrons refuses a patron of another district, but a
// patron of another school of the district, or an erased one, passes. Rapport writes the same
// two tables in one statement too (internal/postgres, insertInteraction), and checks those in it.
func (a *api) createInteraction(w http.ResponseWriter, r *http.Request) {
	var in struct {
		SchoolID        uuid.UUID   `json:"school_id"`
		PatronIDs       []uuid.UUID `json:"patron_ids"`
		HeadCount       int         `json:"head_count"`
		Kind            string      `json:"kind"`
		Channel         string      `json:"channel"`
		Summary         string      `json:"summary"`
		Outcome         string      `json:"outcome"`
		ReadLevel       int         `json:"read_level"`
		DurationMinutes int         `json:"duration_minutes"`
		OccurredAt      *time.Time  `json:"occurred_at"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	if in.PatronIDs == nil {
		in.PatronIDs = []uuid.UUID{}
	}
	it := interaction{
		SchoolID: in.SchoolID, PatronIDs: in.PatronIDs, HeadCount: max(in.HeadCount, len(in.PatronIDs)),
		Kind: in.Kind, Channel: cmpOr(in.Channel, "in_person"), Summary: optional(in.Summary),
		Outcome: optional(in.Outcome), ReadLevel: optionalInt(in.ReadLevel), DurationMinutes: optionalInt(in.DurationMinutes),
	}
	err := a.db.QueryRow(r.Context(), `
		WITH i AS (
			INSERT INTO interactions (id, district_id, school_id, head_count, kind, channel, summary, outcome,
				read_level, duration_minutes, occurred_at, created_by_client, updated_by_client)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, coalesce($11, now()), 'bench', 'bench')
			RETURNING id, district_id, school_id, occurred_at, created_at, created_by_client, updated_at, updated_by_client
		), linked AS (
			INSERT INTO interaction_patrons (interaction_id, patron_id, district_id, school_id, occurred_at)
			SELECT i.id, unnest($12::uuid[]), i.district_id, i.school_id, i.occurred_at
			FROM i
		)
		SELECT id, occurred_at, created_at, created_by_client, updated_at, updated_by_client FROM i`,
		uuid.Must(uuid.NewV7()), a.district, it.SchoolID, it.HeadCount, it.Kind, it.Channel, it.Summary, it.Outcome,
		it.ReadLevel, it.DurationMinutes, in.OccurredAt, it.PatronIDs).
		Scan(&it.ID, &it.OccurredAt, &it.CreatedAt, &it.CreatedBy.ClientID, &it.UpdatedAt, &it.UpdatedBy.ClientID)
	if err != nil {
		fail(w, err)
		return
	}
	it.OccurredAt, it.CreatedAt, it.UpdatedAt = it.OccurredAt.UTC(), it.CreatedAt.UTC(), it.UpdatedAt.UTC()
	// Rapport lists the patrons in id order, as PostgreSQL sorts uuids.
	it.PatronIDs = slices.Clone(it.PatronIDs)
	slices.SortFunc(it.PatronIDs, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	w.Header().Set("Location", "/interactions/"+it.ID.String())
	writeJSON(w, http.StatusCreated, it)
}

// listPatronInteractions answers a page of a patron's history with Rapport's own query
// (internal/postgres, ListPatronInteractions: the patron's scope check, then the page), so
// that the ratio shows what Rapport's HTTP layer adds around the same database work.
func (a *api) listPatronInteractions(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	page := rapport.PageRequest{Cursor: r.URL.Query().Get("cursor")}
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n >= 1 && n <= 200 {
		page.Limit = n
	}
	got, err := a.store.ListPatronInteractions(r.Context(), rapport.TenantScope{DistrictID: a.district}, id,
		rapport.InteractionFilter{}, page)
	if rapport.ErrorKind(err) == rapport.NotFound {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err != nil {
		fail(w, err)
		return
	}
	out := interactionList{Data: make([]interaction, len(got.Items)), NextCursor: optional(got.NextCursor)}
	for i, it := range got.Items {
		out.Data[i] = toInteraction(it)
	}
	writeJSON(w, http.StatusOK, out)
}

// toInteraction renders an interaction of the store as Rapport does.
func toInteraction(it rapport.Interaction) interaction {
	out := interaction{
		ID: it.ID, SchoolID: it.SchoolID, PatronIDs: it.PatronIDs, HeadCount: it.HeadCount,
		Kind: string(it.Kind), Channel: string(it.Channel), Summary: optional(it.Summary),
		Outcome: optional(string(it.Outcome)), ReadLevel: optionalInt(it.ReadLevel),
		DurationMinutes: optionalInt(it.DurationMinutes), OccurredAt: it.OccurredAt.UTC(),
		CreatedAt: it.CreatedAt.UTC(), CreatedBy: newActor(it.CreatedBy.ClientID, it.CreatedBy.ActingUser),
		UpdatedAt: it.UpdatedAt.UTC(), UpdatedBy: newActor(it.UpdatedBy.ClientID, it.UpdatedBy.ActingUser),
	}
	if out.PatronIDs == nil {
		out.PatronIDs = []uuid.UUID{}
	}
	if r := it.Referral; r != nil {
		out.Referral = &referral{ToName: r.ToName, ToRole: r.ToRole, Contact: optional(r.Contact),
			State: string(r.State), ClosedNote: optional(r.ClosedNote)}
		if !r.ClosedAt.IsZero() {
			closedAt := r.ClosedAt.UTC()
			out.Referral.ClosedAt = &closedAt
			closedBy := newActor(r.ClosedBy.ClientID, r.ClosedBy.ActingUser)
			out.Referral.ClosedBy = &closedBy
		}
	}
	if s := it.Satisfaction; s != nil {
		out.Satisfaction = &satisfaction{Rating: s.Rating, Comment: optional(s.Comment)}
	}
	return out
}

func optionalInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}
