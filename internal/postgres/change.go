package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/rapportlib/rapport/internal/rapport"
)

var _ rapport.EventStore = (*Store)(nil)

// ListChanges returns the events after the cursor that the principal may see, ordered by
// (xid, seq): the transaction that wrote each, and its place in it. Only events of
// transactions below the xmin of the statement's snapshot are read: every transaction with a
// smaller id has ended, so an event that commits later has an xid at or above that xmin, and
// sorts after every cursor handed out so far. The page ends there; its NextCursor is its last
// event, or, when it holds all there is, (xmin, 0), the place where the next events will be.
//
// The cursor is opaque to callers: (xid, seq), sealed for the district's feed.
func (s *Store) ListChanges(ctx context.Context, p *rapport.Principal, f rapport.EventFilter, page rapport.PageRequest) (rapport.EventPage, error) {
	cursors, err := s.listCursors(ctx, "changes", p.Tenant)
	if err != nil {
		return rapport.EventPage{}, err
	}
	var afterXID, afterSeq int64
	if page.Cursor != "" {
		if err := cursors.decode(page.Cursor, &afterXID, &afterSeq); err != nil {
			return rapport.EventPage{}, err
		}
	}
	types := p.ReadableResources()
	if len(f.Types) > 0 {
		var asked []rapport.ResourceType
		for _, t := range f.Types {
			if slices.Contains(types, t) {
				asked = append(asked, t)
			}
		}
		types = asked
	}
	var c conditions
	c.add("c.district_id = " + c.arg(p.Tenant.DistrictID))
	c.add(fmt.Sprintf("(c.xid, c.seq) > (%s::xid8, %s)", c.arg(strconv.FormatInt(afterXID, 10)), c.arg(afterSeq)))
	c.add("c.xid < s.xmin")
	names := make([]string, len(types))
	for i, t := range types {
		names[i] = string(t)
	}
	c.add("c.resource = ANY(" + c.arg(names) + "::text[])")
	if !p.Tenant.AllSchools() {
		c.add("c.school_id = ANY(" + c.arg(p.Tenant.SchoolIDs) + ")")
	}
	// A note's change is shown where the note could be read: the SQL form of CanRead.
	var note []string
	switch {
	case p.HasScope(rapport.ScopeNotesRead):
		note = append(note, "c.note_visibility IN ('library', 'school')")
	case p.HasScope(rapport.ScopeNotesSchool):
		note = append(note, "c.note_visibility = 'school'")
	}
	by := p.Actor()
	note = append(note, fmt.Sprintf("(c.note_visibility = 'author' AND c.note_author_client = %s AND coalesce(c.note_author_user, '') = %s)",
		c.arg(by.ClientID), c.arg(by.ActingUser)))
	c.add("(c.resource <> 'note' OR " + strings.Join(note, " OR ") + ")")
	// A photo's change is shown to library staff, and to a consumer whose purpose was consented
	// when the change was made; a change of consent only to the consumers of its purpose.
	if p.HasScope(rapport.ScopePhotosStaff) {
		c.add("(c.resource <> 'photo' OR NOT c.photo_consent OR " + c.arg(string(p.PhotoPurpose)) + " = ANY(c.photo_purposes))")
	} else {
		c.add("(c.resource <> 'photo' OR " + c.arg(string(p.PhotoPurpose)) + " = ANY(c.photo_purposes))")
	}

	size := page.Size()
	purgedAfter := fmt.Sprintf("(p.xid, p.seq) > (%s::xid8, %s)", c.arg(strconv.FormatInt(afterXID, 10)), c.arg(afterSeq))
	rows, err := s.pool.Query(ctx, `
		WITH s AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
		SELECT s.xmin::text::bigint, coalesce((SELECT `+purgedAfter+` FROM changes_purged p), false),
			c.xid::text::bigint, c.seq, c.resource, c.resource_id, c.school_id, c.event, c.at,
			c.by_client, coalesce(c.by_user, ''), coalesce(c.by_user_source, '')
		FROM s
		LEFT JOIN LATERAL (
			SELECT c.xid, c.seq, c.resource, c.resource_id, c.school_id, c.event, c.at, c.by_client, c.by_user, c.by_user_source
			FROM changes c
			`+c.sql()+`
			ORDER BY c.xid, c.seq
			LIMIT `+strconv.Itoa(size+1)+`
		) c ON true`, c.args...)
	if err != nil {
		return rapport.EventPage{}, interpretError(fmt.Errorf("list changes: %w", err))
	}
	defer rows.Close()
	var xmin int64
	var gone bool
	var out rapport.EventPage
	for rows.Next() {
		var xid, seq *int64
		var e rapport.Event
		var resource, kind *string
		var id, school *uuid.UUID
		var at *time.Time
		var client *string
		if err := rows.Scan(&xmin, &gone, &xid, &seq, &resource, &id, &school, &kind, &at,
			&client, &e.By.ActingUser, &e.By.ActingUserSource); err != nil {
			return rapport.EventPage{}, interpretError(fmt.Errorf("list changes: %w", err))
		}
		if xid == nil { // no event after the cursor: the one row of the snapshot alone
			continue
		}
		e.Cursor = cursors.encode(*xid, *seq)
		e.Resource, e.ID, e.Kind, e.At, e.By.ClientID = rapport.ResourceType(*resource), *id, rapport.EventKind(*kind), *at, *client
		if school != nil {
			e.SchoolID = *school
		}
		out.Items = append(out.Items, e)
	}
	if err := rows.Err(); err != nil {
		return rapport.EventPage{}, interpretError(fmt.Errorf("list changes: %w", err))
	}
	if page.Cursor != "" && gone {
		return rapport.EventPage{}, rapport.Errorf(rapport.Gone,
			"the cursor is older than the changes kept; read the resources again (a full sync) and follow the feed from the cursor that read answers")
	}
	switch {
	case len(out.Items) > size:
		out.Items, out.More = out.Items[:size], true
		out.NextCursor = out.Items[size-1].Cursor
	case page.Cursor != "" && xmin <= afterXID:
		out.NextCursor = page.Cursor // nothing has ended since: stay where the reader was
	default:
		out.NextCursor = cursors.encode(xmin, int64(0))
	}
	return out, nil
}

// PurgeChanges deletes the events recorded before the time, in batches, and notes how far it
// got, so that a cursor from before is answered Gone rather than silently skipping events. The
// server's role may not delete from the change log: the function purge_changes, which runs as
// the owner of the tables, does it (migration 000007).
func (s *Store) PurgeChanges(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		var n int64
		if err := s.pool.QueryRow(ctx, `SELECT purge_changes($1, 10000)`, before).Scan(&n); err != nil {
			return total, interpretError(fmt.Errorf("purge changes: %w", err))
		}
		if n == 0 {
			return total, nil
		}
		total += n
	}
}
