-- The security review of issue 11: the staff a client may name in Acting-User, audit rows that
-- say a name was asserted by the client, edits of decided feedback kept in its history, history
-- whose free text an erasure may redact, and Idempotency-Keys per client and acting user.

-- The members of staff (e-mail or staff id, normalised to lower case) a client may act for. A
-- client without rows here may not send Acting-User at all.
CREATE TABLE api_client_acting_users (
    client_uuid uuid NOT NULL REFERENCES api_clients (id),
    acting_user text NOT NULL,
    PRIMARY KEY (client_uuid, acting_user),
    CONSTRAINT api_client_acting_users_acting_user_check
        CHECK (acting_user ~ '^[a-z0-9][a-z0-9._%+''@-]{0,253}$')
);

-- Where the name in acting_user comes from: 'client_assertion' is an Acting-User header the API
-- client sent, which Rapport checked against the client's list but cannot verify further.
ALTER TABLE access_log ADD COLUMN acting_user_source text;
ALTER TABLE access_log DISABLE TRIGGER access_log_append_only;
UPDATE access_log SET acting_user_source = 'client_assertion' WHERE acting_user IS NOT NULL;
ALTER TABLE access_log ENABLE TRIGGER access_log_append_only;
ALTER TABLE access_log ADD CONSTRAINT access_log_acting_user_source_check
    CHECK (acting_user_source IN ('client_assertion') AND acting_user IS NOT NULL
        OR acting_user_source IS NULL AND acting_user IS NULL);

-- The history of a feedback item keeps, besides the moves through the status machine, every
-- change made to an item after its decision ('edit'): changes maps each field changed to its
-- value before and after, {"summary": {"from": "…", "to": "…"}}.
ALTER TABLE feedback_transitions
    ADD COLUMN kind text NOT NULL DEFAULT 'transition',
    ADD COLUMN changes jsonb,
    ADD COLUMN by_user_source text;
ALTER TABLE feedback_transitions DISABLE TRIGGER feedback_transitions_append_only;
UPDATE feedback_transitions SET by_user_source = 'client_assertion' WHERE by_user IS NOT NULL;
ALTER TABLE feedback_transitions ENABLE TRIGGER feedback_transitions_append_only;
ALTER TABLE feedback_transitions
    ADD CONSTRAINT feedback_transitions_kind_check CHECK (kind IN ('transition', 'edit')),
    ADD CONSTRAINT feedback_transitions_changes_check CHECK ((kind = 'edit') = (changes IS NOT NULL)),
    ADD CONSTRAINT feedback_transitions_by_user_source_check
        CHECK (by_user_source IN ('client_assertion') AND by_user IS NOT NULL
            OR by_user_source IS NULL AND by_user IS NULL);

-- The history stays append-only, with one exception: erasing a patron's personal data may
-- redact the free text of the history of their feedback (text to NULL, the values in changes to
-- NULL) while the record of what happened, by whom and when, stays as it was.
CREATE FUNCTION feedback_transitions_redact_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (NEW.id, NEW.district_id, NEW.feedback_id, NEW.from_status, NEW.to_status, NEW.by_client,
            NEW.by_user, NEW.by_user_source, NEW.at, NEW.kind)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.district_id, OLD.feedback_id, OLD.from_status, OLD.to_status, OLD.by_client,
            OLD.by_user, OLD.by_user_source, OLD.at, OLD.kind)
       AND NEW.text IS NULL
       AND (NEW.changes IS NULL AND OLD.changes IS NULL
            OR NEW.changes = (SELECT jsonb_object_agg(k, NULL) FROM jsonb_object_keys(OLD.changes) k)) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'feedback_transitions is append-only; an erasure may only redact its text';
END $$;
DROP TRIGGER feedback_transitions_append_only ON feedback_transitions;
CREATE TRIGGER feedback_transitions_redact_only BEFORE UPDATE OR DELETE ON feedback_transitions
    FOR EACH ROW EXECUTE FUNCTION feedback_transitions_redact_only();

-- Idempotency-Keys belong to a client and the member of staff it acts for ('' for none), so a
-- replay never answers one person what another sent.
ALTER TABLE idempotency_keys ADD COLUMN acting_user text NOT NULL DEFAULT '';
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_pkey;
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_pkey PRIMARY KEY (client_uuid, acting_user, key);
ALTER TABLE idempotency_keys ADD CONSTRAINT idempotency_keys_key_check CHECK (length(key) BETWEEN 1 AND 255);
