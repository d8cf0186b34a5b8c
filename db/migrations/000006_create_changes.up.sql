-- The change feed: one row per change to a resource, written in the same transaction as the
-- change itself (internal/postgres/write.go), read by GET /v1/changes.
--
-- Order: a row's xid is the id of the transaction that wrote it and seq its place among the
-- rows written, so (xid, seq) orders every change. A reader takes only rows whose xid is below
-- the xmin of its snapshot: every transaction with a smaller id has ended, so no row can later
-- commit before the cursor it was given. See the README, "The change feed".
CREATE TABLE changes (
    seq                bigint GENERATED ALWAYS AS IDENTITY,
    xid                xid8 NOT NULL DEFAULT pg_current_xact_id(),
    district_id        uuid NOT NULL,
    -- The school the resource belongs to, NULL for a district-wide one (an API client).
    school_id          uuid,
    resource           text NOT NULL,
    resource_id        uuid NOT NULL,
    event              text NOT NULL,
    -- For a note, who may read it when the change was made: the feed shows a note's change
    -- only where the note itself could be read.
    note_visibility    text,
    note_author_client text,
    note_author_user   text,
    at                 timestamptz NOT NULL,
    by_client          text NOT NULL,
    by_user            text,
    by_user_source     text,
    -- A district's reader follows its cursor through this key. It is the table's only B-tree:
    -- every write adds a row, always at the right edge of the indexes, and each index more is
    -- a page more that all writers contend for.
    PRIMARY KEY (district_id, xid, seq),
    CONSTRAINT changes_resource_check CHECK (resource IN
        ('school', 'patron', 'note', 'interaction', 'feedback_item', 'campaign', 'pledge', 'client')),
    CONSTRAINT changes_event_check CHECK (event IN ('created', 'updated', 'deleted')),
    CONSTRAINT changes_note_check CHECK ((resource = 'note') = (note_visibility IS NOT NULL)),
    CONSTRAINT changes_by_user_source_check CHECK ((by_user IS NULL) = (by_user_source IS NULL))
);
-- Retention deletes the oldest rows by time: rows come in time order, which a BRIN index
-- summarises in a few pages and costs a write almost nothing.
CREATE INDEX changes_at_idx ON changes USING brin (at);

CREATE TRIGGER changes_append_only BEFORE UPDATE ON changes
    FOR EACH ROW EXECUTE FUNCTION append_only();

-- How far retention has deleted: a cursor at or below this position is too old to follow (410).
CREATE TABLE changes_purged (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    xid       xid8 NOT NULL,
    seq       bigint NOT NULL,
    purged_at timestamptz NOT NULL
);
