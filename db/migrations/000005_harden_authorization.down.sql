DELETE FROM idempotency_keys WHERE acting_user <> '';
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_key_check;
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (client_uuid, key);
ALTER TABLE idempotency_keys DROP COLUMN acting_user;

DROP TRIGGER feedback_transitions_redact_only ON feedback_transitions;
DROP FUNCTION feedback_transitions_redact_only();
ALTER TABLE feedback_transitions DROP CONSTRAINT feedback_transitions_by_user_source_check,
    DROP CONSTRAINT feedback_transitions_changes_check, DROP CONSTRAINT feedback_transitions_kind_check;
DELETE FROM feedback_transitions WHERE kind = 'edit';
ALTER TABLE feedback_transitions DROP COLUMN by_user_source, DROP COLUMN changes, DROP COLUMN kind;
CREATE TRIGGER feedback_transitions_append_only BEFORE UPDATE OR DELETE ON feedback_transitions
    FOR EACH ROW EXECUTE FUNCTION append_only();

ALTER TABLE access_log DROP CONSTRAINT access_log_acting_user_source_check;
ALTER TABLE access_log DROP COLUMN acting_user_source;

DROP TABLE api_client_acting_users;
