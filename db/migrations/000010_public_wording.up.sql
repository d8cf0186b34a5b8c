-- The public board shows what staff wrote for it (issue 13): a public summary of what was asked
-- and a public decision, instead of the patron's own words and the internal resolution, which
-- may name people. Items that were on the board leave it until staff word them.
ALTER TABLE feedback_items
    ADD COLUMN public_summary text CHECK (public_summary <> ''),
    -- Like the resolution it speaks for, the public decision exists only while decided.
    ADD COLUMN public_decision text CHECK (public_decision <> ''),
    ADD CONSTRAINT feedback_items_public_decision_decided_check
        CHECK (public_decision IS NULL OR status IN ('acted_on', 'explained_why_not'));

DROP INDEX feedback_items_board_idx;
CREATE INDEX feedback_items_board_idx ON feedback_items (school_id, decided_at DESC, id DESC)
    WHERE public AND status IN ('acted_on', 'explained_why_not')
      AND public_summary IS NOT NULL AND public_decision IS NOT NULL;

-- A transition that sets or clears the public decision says so in its changes, as an edit does.
ALTER TABLE feedback_transitions
    DROP CONSTRAINT feedback_transitions_changes_check,
    ADD CONSTRAINT feedback_transitions_changes_check CHECK (kind = 'transition' OR changes IS NOT NULL);
