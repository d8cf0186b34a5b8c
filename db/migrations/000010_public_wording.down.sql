ALTER TABLE feedback_transitions
    DROP CONSTRAINT feedback_transitions_changes_check,
    ADD CONSTRAINT feedback_transitions_changes_check CHECK ((kind = 'edit') = (changes IS NOT NULL)) NOT VALID;
DROP INDEX feedback_items_board_idx;
ALTER TABLE feedback_items
    DROP CONSTRAINT feedback_items_public_decision_decided_check,
    DROP COLUMN public_decision,
    DROP COLUMN public_summary;
CREATE INDEX feedback_items_board_idx ON feedback_items (school_id, decided_at DESC, id DESC)
    WHERE public AND status IN ('acted_on', 'explained_why_not');
