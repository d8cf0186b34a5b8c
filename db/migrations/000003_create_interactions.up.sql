-- Interactions: the service given, to whom, how well, and the referrals into the librarian's
-- network. Sized for millions of rows: a create is one statement, one patron's history and one
-- school's date range are index range scans, and the statistics read covering indexes.

-- Lets interaction_patrons require that a patron belongs to their district, whichever school
-- the patron is in now: a patron who moves keeps the history of the school they left.
ALTER TABLE patrons ADD CONSTRAINT patrons_district_id_id_key UNIQUE (district_id, id);

CREATE TABLE interactions (
    id                        uuid PRIMARY KEY,
    district_id               uuid NOT NULL,
    school_id                 uuid NOT NULL,
    -- The people served: at least one, and at least the number of patrons named (checked by
    -- the application, which knows the patrons).
    head_count                integer NOT NULL CHECK (head_count BETWEEN 1 AND 10000),
    kind                      text NOT NULL CHECK (kind IN ('visit', 'reference', 'readers_advisory', 'tech_help',
                                  'research_help', 'instruction', 'class_visit', 'event', 'other')),
    channel                   text NOT NULL CHECK (channel IN ('in_person', 'email', 'chat', 'phone', 'lms', 'video')),
    summary                   text CHECK (summary <> ''),
    outcome                   text CHECK (outcome IN ('answered', 'referred', 'follow_up', 'unresolved')),
    -- Effort on the READ scale (Reference Effort Assessment Data), 1 to 6.
    read_level                smallint CHECK (read_level BETWEEN 1 AND 6),
    duration_minutes          integer CHECK (duration_minutes BETWEEN 1 AND 1440),
    -- When the service happened, which may be earlier than when it was recorded (created_at).
    occurred_at               timestamptz NOT NULL,
    referral_to_name          text,
    referral_to_role          text,
    referral_contact          text,
    referral_state            text CHECK (referral_state IN ('made', 'closed')),
    referral_closed_note      text,
    referral_closed_at        timestamptz,
    referral_closed_by_client text,
    referral_closed_by_user   text,
    satisfaction_rating       smallint CHECK (satisfaction_rating BETWEEN 1 AND 5),
    satisfaction_comment      text,
    version                   integer NOT NULL DEFAULT 1,
    created_at                timestamptz NOT NULL DEFAULT now(),
    created_by_client         text NOT NULL,
    created_by_user           text,
    updated_at                timestamptz NOT NULL DEFAULT now(),
    updated_by_client         text NOT NULL,
    updated_by_user           text,
    CONSTRAINT interactions_school_fkey FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id),
    -- An outcome of referred has a referral, and no other outcome has one.
    CONSTRAINT interactions_referral_check CHECK ((outcome IS NOT DISTINCT FROM 'referred') = (referral_state IS NOT NULL)),
    -- A referral names whom and what they are; a closed one says how it ended, when and by whom.
    CONSTRAINT interactions_referral_fields_check CHECK (
        (referral_state IS NULL AND referral_to_name IS NULL AND referral_to_role IS NULL AND referral_contact IS NULL
            AND referral_closed_note IS NULL AND referral_closed_at IS NULL AND referral_closed_by_client IS NULL
            AND referral_closed_by_user IS NULL)
        OR (referral_state IS NOT NULL AND coalesce(referral_to_name, '') <> '' AND coalesce(referral_to_role, '') <> ''
            AND (referral_state = 'closed') = (coalesce(referral_closed_note, '') <> '')
            AND (referral_state = 'closed') = (referral_closed_at IS NOT NULL)
            AND (referral_state = 'closed') = (referral_closed_by_client IS NOT NULL))),
    CONSTRAINT interactions_satisfaction_check CHECK (satisfaction_comment IS NULL OR satisfaction_rating IS NOT NULL),
    -- The target of interaction_patrons' foreign key, which keeps a patron's row in the same
    -- district, school and time as its interaction, and follows it when those change.
    CONSTRAINT interactions_patrons_target_key UNIQUE (id, district_id, school_id, occurred_at)
);
-- Lists: the district's newest first, and a sync's changes by update time.
CREATE INDEX interactions_district_time_idx ON interactions (district_id, occurred_at, id);
CREATE INDEX interactions_district_updated_idx ON interactions (district_id, updated_at, id);
-- A school's interactions by time: its list pages, and its statistics over a date range
-- (counts by kind, channel, outcome, READ level and week) from the index alone.
CREATE INDEX interactions_school_time_idx ON interactions (school_id, occurred_at, id)
    INCLUDE (kind, channel, outcome, read_level, head_count);
-- Referrals, open and closed, of the district and of one school: few of all interactions, so
-- partial indexes.
CREATE INDEX interactions_referrals_idx ON interactions (district_id, referral_state, occurred_at, id)
    WHERE referral_state IS NOT NULL;
CREATE INDEX interactions_school_referrals_idx ON interactions (school_id, referral_state, occurred_at, id)
    WHERE referral_state IS NOT NULL;

-- The patrons of each interaction. school_id and occurred_at are the interaction's, copied here
-- so that one patron's history, newest first, and the patrons a school served in a date range
-- (unique patrons, repeat visits) are index range scans without visiting the interactions.
CREATE TABLE interaction_patrons (
    interaction_id uuid NOT NULL,
    patron_id      uuid NOT NULL,
    district_id    uuid NOT NULL,
    school_id      uuid NOT NULL,
    occurred_at    timestamptz NOT NULL,
    PRIMARY KEY (interaction_id, patron_id),
    CONSTRAINT interaction_patrons_interaction_fkey FOREIGN KEY (interaction_id, district_id, school_id, occurred_at)
        REFERENCES interactions (id, district_id, school_id, occurred_at) ON UPDATE CASCADE ON DELETE CASCADE,
    CONSTRAINT interaction_patrons_patron_fkey FOREIGN KEY (district_id, patron_id) REFERENCES patrons (district_id, id)
);
CREATE INDEX interaction_patrons_history_idx ON interaction_patrons (patron_id, occurred_at, interaction_id) INCLUDE (school_id);
CREATE INDEX interaction_patrons_school_time_idx ON interaction_patrons (school_id, occurred_at) INCLUDE (patron_id);
