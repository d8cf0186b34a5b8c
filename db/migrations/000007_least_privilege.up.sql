-- Least privilege: the server runs as rapport_app, which reads and writes rows and nothing
-- more. Migrations run as the owner of the tables, who alone may ALTER, DROP or TRUNCATE them
-- or disable their triggers. The history, the access log and the change log only grow: the
-- app may add to them, not change or remove (erasure may redact the free text of the history;
-- retention removes old changes through a function that runs as the owner).
--
-- The role is made here, unable to log in, when the deployment has not made it yet; the
-- deployment gives it a login (scripts/localpg, docker-compose.yml, README "Configuration").
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'rapport_app') THEN
        CREATE ROLE rapport_app NOLOGIN;
    END IF;
END $$;

GRANT USAGE ON SCHEMA public TO rapport_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO rapport_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO rapport_app;
-- Tables of later migrations: the same, unless the migration says otherwise.
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO rapport_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO rapport_app;

REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM rapport_app;
REVOKE UPDATE, DELETE ON access_log, changes, changes_purged, feedback_transitions FROM rapport_app;
REVOKE INSERT ON changes_purged FROM rapport_app;
-- Erasure redacts the free text of a feedback item's history (the redact-only trigger checks
-- that nothing else changes).
GRANT UPDATE (text, changes) ON feedback_transitions TO rapport_app;

-- Retention of the change feed, as the owner: delete the changes recorded before the time, up
-- to batch rows at a time, note how far it got, and say how many went.
CREATE FUNCTION purge_changes(before timestamptz, batch integer) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    WITH gone AS (
        DELETE FROM changes
        WHERE ctid = ANY (ARRAY(SELECT c.ctid FROM changes c WHERE c.at < before LIMIT batch))
        RETURNING xid, seq
    ), last AS (
        SELECT g.xid, g.seq FROM gone g ORDER BY g.xid DESC, g.seq DESC LIMIT 1
    ), noted AS (
        INSERT INTO changes_purged (xid, seq, purged_at)
        SELECT l.xid, l.seq, now() FROM last l
        ON CONFLICT (only_row) DO UPDATE
        SET xid = EXCLUDED.xid, seq = EXCLUDED.seq, purged_at = EXCLUDED.purged_at
        WHERE (changes_purged.xid, changes_purged.seq) < (EXCLUDED.xid, EXCLUDED.seq)
    )
    SELECT count(*) INTO n FROM gone;
    RETURN n;
END $$;
REVOKE ALL ON FUNCTION purge_changes(timestamptz, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION purge_changes(timestamptz, integer) TO rapport_app;

-- What the application refuses, the database refuses too.
-- A decision, or a reason given in the history, is never blank.
ALTER TABLE feedback_items ADD CONSTRAINT feedback_items_resolution_text_check
    CHECK (resolution IS NULL OR resolution ~ '[^[:space:]]');
ALTER TABLE feedback_transitions ADD CONSTRAINT feedback_transitions_text_check
    CHECK (text IS NULL OR text ~ '[^[:space:]]');
-- The history holds only moves the status machine allows, and edits that leave the status.
ALTER TABLE feedback_transitions ADD CONSTRAINT feedback_transitions_move_check CHECK (
    kind = 'edit' AND from_status = to_status
    OR kind = 'transition' AND (from_status, to_status) IN (
        ('received', 'under_review'), ('received', 'acted_on'), ('received', 'explained_why_not'),
        ('under_review', 'acted_on'), ('under_review', 'explained_why_not'),
        ('acted_on', 'under_review'), ('explained_why_not', 'under_review')));
-- A decided item's text changes without a change of status only as an edit: a new updated_at
-- and an edit entry in its history at that time (the unit of work stamps both with one time),
-- checked at commit.
CREATE FUNCTION feedback_items_resolution_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at = OLD.updated_at OR NOT EXISTS (
        SELECT 1 FROM feedback_transitions t WHERE t.feedback_id = NEW.id AND t.kind = 'edit' AND t.at = NEW.updated_at) THEN
        RAISE EXCEPTION 'the decision on item % changed without an entry in its history', NEW.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'feedback_items_resolution_history',
                  TABLE = 'feedback_items', COLUMN = 'resolution';
    END IF;
    RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER feedback_items_resolution_history AFTER UPDATE OF resolution ON feedback_items
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
    WHEN (OLD.status = NEW.status AND OLD.resolution IS DISTINCT FROM NEW.resolution)
    EXECUTE FUNCTION feedback_items_resolution_history();
