-- The feedback loop: campaigns (surveys, focus groups), feedback items and the history of their
-- decisions, "me too" supporters, and each school's versioned service pledge.

-- Feedback items and supporters require that their patron belongs to their district through
-- patrons_district_id_id_key (000003), without tying them to the patron's current school:
-- feedback given at one school stays there when the patron moves to another.

CREATE TABLE campaigns (
    id                uuid PRIMARY KEY,
    district_id       uuid NOT NULL,
    school_id         uuid NOT NULL,
    kind              text NOT NULL CHECK (kind IN ('survey', 'focus_group', 'other')),
    title             text NOT NULL CHECK (title <> ''),
    held_on           date NOT NULL,
    participant_count integer CHECK (participant_count >= 0),
    notes             text,
    -- Rises with every change of the campaign and of the decisions of its items, whose counts
    -- are part of its representation (and so of its ETag).
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by_client text NOT NULL,
    created_by_user   text,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    updated_by_client text NOT NULL,
    updated_by_user   text,
    CONSTRAINT campaigns_school_fkey FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id),
    -- Lets feedback items require that their campaign belongs to their school.
    CONSTRAINT campaigns_district_school_id_key UNIQUE (district_id, school_id, id)
);
CREATE INDEX campaigns_district_held_idx ON campaigns (district_id, held_on DESC, id DESC);

CREATE TABLE feedback_items (
    id                      uuid PRIMARY KEY,
    district_id             uuid NOT NULL,
    school_id               uuid NOT NULL,
    patron_id               uuid,  -- NULL for anonymous feedback
    submitter_role          text CHECK (submitter_role IN ('student', 'teacher', 'administrator', 'staff', 'guardian', 'other')),
    source                  text NOT NULL CHECK (source IN ('conversation', 'survey', 'focus_group', 'suggestion_box', 'email', 'form', 'other')),
    campaign_id             uuid,
    category                text CHECK (category <> ''),
    summary                 text NOT NULL CHECK (summary <> ''),
    details                 text,
    supporters_count        integer NOT NULL DEFAULT 0 CHECK (supporters_count >= 0),
    public                  boolean NOT NULL DEFAULT false,
    status                  text NOT NULL DEFAULT 'received'
                                CHECK (status IN ('received', 'under_review', 'acted_on', 'explained_why_not')),
    -- What was done, or the explanation given: set exactly while the item is decided.
    resolution              text,
    decided_at              timestamptz,
    decided_by_client       text,
    decided_by_user         text,
    -- When and how the decision was told to the people who gave the feedback.
    communicated_at         timestamptz,
    communication_channel   text CHECK (communication_channel IN
                                ('in_person', 'email', 'phone', 'chat', 'lms', 'letter', 'newsletter', 'public_board', 'other')),
    communicated_by_client  text,
    communicated_by_user    text,
    received_at             timestamptz NOT NULL DEFAULT now(),
    version                 integer NOT NULL DEFAULT 1,
    created_at              timestamptz NOT NULL DEFAULT now(),
    created_by_client       text NOT NULL,
    created_by_user         text,
    updated_at              timestamptz NOT NULL DEFAULT now(),
    updated_by_client       text NOT NULL,
    updated_by_user         text,
    CONSTRAINT feedback_items_school_fkey FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id),
    CONSTRAINT feedback_items_patron_fkey FOREIGN KEY (district_id, patron_id) REFERENCES patrons (district_id, id),
    CONSTRAINT feedback_items_campaign_fkey FOREIGN KEY (district_id, school_id, campaign_id)
        REFERENCES campaigns (district_id, school_id, id),
    -- A decision carries its text and its time; an undecided item carries neither.
    CONSTRAINT feedback_items_decision_check CHECK (
        (status IN ('acted_on', 'explained_why_not')
            AND resolution IS NOT NULL AND resolution <> '' AND decided_at IS NOT NULL AND decided_by_client IS NOT NULL)
        OR (status IN ('received', 'under_review')
            AND resolution IS NULL AND decided_at IS NULL AND decided_by_client IS NULL AND decided_by_user IS NULL)),
    -- Only a decision can be communicated, and a communication says when and how.
    CONSTRAINT feedback_items_communication_check CHECK (
        (communicated_at IS NULL AND communication_channel IS NULL AND communicated_by_client IS NULL
            AND communicated_by_user IS NULL)
        OR (status IN ('acted_on', 'explained_why_not') AND communicated_at IS NOT NULL
            AND communication_channel IS NOT NULL AND communicated_by_client IS NOT NULL))
);
CREATE INDEX feedback_items_district_created_idx ON feedback_items (district_id, created_at DESC, id DESC);
CREATE INDEX feedback_items_district_updated_idx ON feedback_items (district_id, updated_at, id);
CREATE INDEX feedback_items_campaign_idx ON feedback_items (campaign_id) WHERE campaign_id IS NOT NULL;
CREATE INDEX feedback_items_patron_idx ON feedback_items (patron_id) WHERE patron_id IS NOT NULL;
-- The public board: a school's public decisions, newest decision first.
CREATE INDEX feedback_items_board_idx ON feedback_items (school_id, decided_at DESC, id DESC)
    WHERE public AND status IN ('acted_on', 'explained_why_not');

-- The status machine, enforced for every INSERT and UPDATE, including SQL written by hand:
--
--   received ──► under_review ──► acted_on | explained_why_not
--       └──────────────────────► acted_on | explained_why_not
--   acted_on | explained_why_not ──► under_review   (reopen)
--
-- An item starts received. A refused move raises check_violation naming the constraint
-- feedback_items_status_transition, which the application reports as a conflict with the
-- item's current status.
CREATE FUNCTION feedback_items_status_transition() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.status = 'received' THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION 'a feedback item starts received, not %', NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'feedback_items_status_transition',
                  TABLE = 'feedback_items', COLUMN = 'status';
    END IF;
    IF OLD.status = NEW.status OR (OLD.status, NEW.status) IN (
        ('received', 'under_review'), ('received', 'acted_on'), ('received', 'explained_why_not'),
        ('under_review', 'acted_on'), ('under_review', 'explained_why_not'),
        ('acted_on', 'under_review'), ('explained_why_not', 'under_review')) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the item is %; it cannot go from % to %', OLD.status, OLD.status, NEW.status
        USING ERRCODE = 'check_violation', CONSTRAINT = 'feedback_items_status_transition',
              TABLE = 'feedback_items', COLUMN = 'status';
END $$;
CREATE TRIGGER feedback_items_status_transition BEFORE INSERT OR UPDATE OF status ON feedback_items
    FOR EACH ROW EXECUTE FUNCTION feedback_items_status_transition();

-- Every move of an item through the machine: from, to, the text given, who and when.
-- Append-only.
CREATE TABLE feedback_transitions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    district_id uuid NOT NULL,
    feedback_id uuid NOT NULL REFERENCES feedback_items (id),
    from_status text NOT NULL,
    to_status   text NOT NULL,
    text        text,
    by_client   text NOT NULL,
    by_user     text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX feedback_transitions_item_idx ON feedback_transitions (feedback_id, id);

CREATE TRIGGER feedback_transitions_append_only BEFORE UPDATE OR DELETE ON feedback_transitions
    FOR EACH ROW EXECUTE FUNCTION append_only();

-- "Me too": each row is one supporter of an item. Anonymous supporters (no patron) each count;
-- a patron counts once per item.
CREATE TABLE feedback_supporters (
    id                uuid PRIMARY KEY,
    district_id       uuid NOT NULL,
    feedback_id       uuid NOT NULL REFERENCES feedback_items (id),
    patron_id         uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    created_by_client text NOT NULL,
    created_by_user   text,
    CONSTRAINT feedback_supporters_patron_fkey FOREIGN KEY (district_id, patron_id) REFERENCES patrons (district_id, id),
    CONSTRAINT feedback_supporters_patron_key UNIQUE (feedback_id, patron_id)
);

-- A school's service pledge: what patrons should feel, know and have access to, and the text of
-- the pledge. Publishing adds a version; the highest is the current one.
CREATE TABLE service_pledges (
    district_id         uuid NOT NULL,
    school_id           uuid NOT NULL,
    version             integer NOT NULL CHECK (version > 0),
    feel                text NOT NULL CHECK (feel <> ''),
    know                text NOT NULL CHECK (know <> ''),
    access              text NOT NULL CHECK (access <> ''),
    text                text NOT NULL CHECK (text <> ''),
    published_at        timestamptz NOT NULL DEFAULT now(),
    published_by_client text NOT NULL,
    published_by_user   text,
    PRIMARY KEY (school_id, version),
    CONSTRAINT service_pledges_school_fkey FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id)
);
