-- Patrons, the notes that remember what they told us, the access log of reads, and the keys
-- that make creates idempotent.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;

-- fold_name puts a name the way search compares it: lower case, no accents ("Zoë" → "zoe"),
-- hyphens as spaces ("Okafor-Smith" → "okafor smith"), no apostrophes or periods ("O'Brien" →
-- "obrien"). unaccent() is only STABLE because its dictionary could change; naming the
-- dictionary makes it safe to declare IMMUTABLE, which a generated column needs.
CREATE FUNCTION fold_name(name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN translate(lower(public.unaccent('public.unaccent'::regdictionary, name)), '-''’.', ' ');

CREATE TABLE patrons (
    id                 uuid PRIMARY KEY,
    district_id        uuid NOT NULL,
    school_id          uuid NOT NULL,
    role               text NOT NULL CHECK (role IN ('student', 'teacher', 'administrator', 'staff', 'guardian', 'other')),
    given_name         text NOT NULL,
    family_name        text NOT NULL,
    preferred_name     text,
    pronouns           text,
    name_pronunciation text,
    grade              text CHECK (grade IN ('PK', 'KG', '01', '02', '03', '04', '05', '06', '07', '08', '09', '10', '11', '12', '13')),
    homeroom           text,
    email              text,
    sourced_id         text,
    sis_id             text,
    barcode            text,
    lms_id             text,
    status             text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive')),
    interests          text[] NOT NULL DEFAULT '{}',
    erased_at          timestamptz,
    -- The names folded for search, kept so that a search never folds a row's names again. Byte
    -- order ("C") makes a typed prefix a plain index range, and the index order the answer order.
    given_folded       text COLLATE "C" GENERATED ALWAYS AS (fold_name(given_name)) STORED,
    family_folded      text COLLATE "C" GENERATED ALWAYS AS (fold_name(family_name)) STORED,
    preferred_folded   text COLLATE "C" GENERATED ALWAYS AS (fold_name(preferred_name)) STORED,
    -- Every name the patron answers to, folded, for trigram search.
    search_name        text GENERATED ALWAYS AS
                           (fold_name(given_name || ' ' || family_name || coalesce(' ' || preferred_name, ''))) STORED,
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    created_by_client  text NOT NULL,
    created_by_user    text,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    updated_by_client  text NOT NULL,
    updated_by_user    text,
    CONSTRAINT patrons_school_fkey FOREIGN KEY (district_id, school_id) REFERENCES schools (district_id, id),
    -- Identifiers are unique within the district when present.
    CONSTRAINT patrons_sourced_id_key UNIQUE (district_id, sourced_id),
    CONSTRAINT patrons_sis_id_key UNIQUE (district_id, sis_id),
    CONSTRAINT patrons_barcode_key UNIQUE (district_id, barcode),
    CONSTRAINT patrons_lms_id_key UNIQUE (district_id, lms_id),
    -- Names may be empty only once erased.
    CONSTRAINT patrons_names_check CHECK (erased_at IS NOT NULL OR (given_name <> '' AND family_name <> ''))
);
CREATE INDEX patrons_district_name_idx ON patrons (district_id, family_name, given_name, id);
CREATE INDEX patrons_school_name_idx ON patrons (school_id, family_name, given_name, id);
CREATE INDEX patrons_district_updated_idx ON patrons (district_id, updated_at, id);
-- Name search: each folded name in the order search answers in, so that the first matches of
-- a typed prefix come straight off an index and the scan stops at the limit.
-- Erased patrons are never searched; the other names, the school (for clients limited to some
-- schools) and the whole folded name (to check the other typed words) ride along, so that a
-- search ranks its matches from the index alone and reads only the rows it answers.
CREATE INDEX patrons_given_folded_idx ON patrons (district_id, given_folded, family_folded, id)
    INCLUDE (preferred_folded, school_id, search_name) WHERE erased_at IS NULL;
CREATE INDEX patrons_family_folded_idx ON patrons (district_id, family_folded, given_folded, id)
    INCLUDE (preferred_folded, school_id, search_name) WHERE erased_at IS NULL;
CREATE INDEX patrons_preferred_folded_idx ON patrons (district_id, preferred_folded, family_folded, given_folded, id)
    INCLUDE (school_id, search_name) WHERE erased_at IS NULL AND preferred_folded IS NOT NULL;
-- The words of the names, for patrons found through the dictionary below.
CREATE INDEX patrons_search_words_idx ON patrons USING gin (string_to_array(search_name, ' '));
-- The dictionary of every word in the district's patrons' names, with how many patrons have it.
-- It is small (a district's distinct names, not its patrons), so a mistyped word can be matched
-- against all of it at once, by trigrams and by edit distance; and it holds only the words of
-- patrons who still have them, so erasing a patron's names takes them out of it.
CREATE TABLE patron_name_words (
    district_id uuid NOT NULL,
    word        text COLLATE "C" NOT NULL,
    patrons     integer NOT NULL CHECK (patrons >= 0),
    PRIMARY KEY (district_id, word)
);
CREATE INDEX patron_name_words_trgm_idx ON patron_name_words USING gin (word gin_trgm_ops);

-- name_words lists the distinct words of a folded name.
CREATE FUNCTION name_words(search_name text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN ARRAY(SELECT DISTINCT w FROM unnest(string_to_array(search_name, ' ')) w WHERE w <> '');

-- count_name_words adds the words of the given names (patron by patron: district, folded name)
-- to the dictionary, all in one statement: a roster import of thousands of patrons is one
-- upsert. Rows are written in (district, word) order, so that concurrent writers cannot
-- deadlock.
CREATE FUNCTION count_name_words(districts uuid[], names text[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO patron_name_words AS d (district_id, word, patrons)
    SELECT r.district_id, w, count(*)
    FROM unnest(districts, names) AS r(district_id, search_name), unnest(name_words(r.search_name)) w
    GROUP BY 1, 2
    ORDER BY 1, 2
    ON CONFLICT (district_id, word) DO UPDATE SET patrons = d.patrons + EXCLUDED.patrons;
$$;

-- uncount_name_words takes the words of the given names out again, dropping the words no
-- patron has any more. It locks the rows in the same order as count_name_words.
CREATE FUNCTION uncount_name_words(districts uuid[], names text[]) RETURNS void LANGUAGE sql AS $$
    SELECT 1 FROM patron_name_words d
    WHERE (d.district_id, d.word) IN (
        SELECT r.district_id, w FROM unnest(districts, names) AS r(district_id, search_name), unnest(name_words(r.search_name)) w)
    ORDER BY d.district_id, d.word
    FOR UPDATE;
    UPDATE patron_name_words d SET patrons = d.patrons - g.n
    FROM (SELECT r.district_id, w AS word, count(*) AS n
          FROM unnest(districts, names) AS r(district_id, search_name), unnest(name_words(r.search_name)) w
          GROUP BY 1, 2) g
    WHERE d.district_id = g.district_id AND d.word = g.word;
    DELETE FROM patron_name_words d
    WHERE d.patrons = 0 AND (d.district_id, d.word) IN (
        SELECT r.district_id, w FROM unnest(districts, names) AS r(district_id, search_name), unnest(name_words(r.search_name)) w);
$$;

-- The dictionary follows every statement that adds, renames or removes patrons. Erasing a
-- patron empties the names, so their words leave with the last patron who had them.
CREATE FUNCTION patrons_insert_name_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM count_name_words(array_agg(district_id), array_agg(search_name)) FROM new_rows;
    RETURN NULL;
END $$;
CREATE FUNCTION patrons_update_name_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM uncount_name_words(array_agg(o.district_id), array_agg(o.search_name))
    FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.search_name IS DISTINCT FROM n.search_name;
    PERFORM count_name_words(array_agg(n.district_id), array_agg(n.search_name))
    FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE o.search_name IS DISTINCT FROM n.search_name;
    RETURN NULL;
END $$;
CREATE FUNCTION patrons_delete_name_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM uncount_name_words(array_agg(district_id), array_agg(search_name)) FROM old_rows;
    RETURN NULL;
END $$;
CREATE TRIGGER patrons_insert_name_words AFTER INSERT ON patrons
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION patrons_insert_name_words();
CREATE TRIGGER patrons_update_name_words AFTER UPDATE ON patrons
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION patrons_update_name_words();
CREATE TRIGGER patrons_delete_name_words AFTER DELETE ON patrons
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION patrons_delete_name_words();

-- Lets notes require that their patron belongs to their district and school.
ALTER TABLE patrons ADD CONSTRAINT patrons_district_school_id_key UNIQUE (district_id, school_id, id);

CREATE TABLE notes (
    id                 uuid PRIMARY KEY,
    district_id        uuid NOT NULL,
    school_id          uuid NOT NULL,
    patron_id          uuid NOT NULL,
    body               text NOT NULL CHECK (body <> ''),
    kind               text NOT NULL DEFAULT 'other' CHECK (kind IN ('interest', 'mention', 'preference', 'accessibility', 'other')),
    visibility         text NOT NULL DEFAULT 'library' CHECK (visibility IN ('author', 'library', 'school')),
    follow_up_prompt   text,
    follow_up_state    text CHECK (follow_up_state IN ('open', 'done', 'dropped')),
    follow_up_due_on   date,
    follow_up_closed_at timestamptz,
    follow_up_closed_by_client text,
    follow_up_closed_by_user   text,
    version            integer NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    created_by_client  text NOT NULL,
    created_by_user    text,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    updated_by_client  text NOT NULL,
    updated_by_user    text,
    CONSTRAINT notes_patron_fkey FOREIGN KEY (district_id, school_id, patron_id)
        REFERENCES patrons (district_id, school_id, id) ON UPDATE CASCADE,
    -- A follow-up has a prompt and a state, or neither; closed ones say when.
    CONSTRAINT notes_follow_up_check CHECK (
        (follow_up_prompt IS NULL AND follow_up_state IS NULL AND follow_up_due_on IS NULL AND follow_up_closed_at IS NULL)
        OR (follow_up_prompt IS NOT NULL AND follow_up_state IS NOT NULL
            AND (follow_up_state = 'open') = (follow_up_closed_at IS NULL)))
);
CREATE INDEX notes_patron_idx ON notes (patron_id, created_at DESC, id DESC);
CREATE INDEX notes_open_follow_ups_idx ON notes (district_id, follow_up_state, follow_up_due_on, created_at, id)
    WHERE follow_up_state IS NOT NULL;

-- Who read what about whom: every read of notes (and later photos). Append-only.
CREATE TABLE access_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    district_id uuid NOT NULL,
    patron_id   uuid NOT NULL,
    resource    text NOT NULL,
    client_id   text NOT NULL,
    acting_user text,
    request_id  text,
    accessed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX access_log_patron_idx ON access_log (patron_id, id DESC);

-- append_only refuses to change or remove rows of a record that must only grow.
CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION append_only();

-- The first answer to a create sent with an Idempotency-Key, kept 24 hours for retries.
CREATE TABLE idempotency_keys (
    client_uuid      uuid NOT NULL REFERENCES api_clients (id),
    key              text NOT NULL,
    fingerprint      bytea NOT NULL,
    status           integer,  -- NULL while the first request is still running
    response_headers jsonb,
    response_body    bytea,
    created_at       timestamptz NOT NULL DEFAULT now(),
    completed_at     timestamptz,
    PRIMARY KEY (client_uuid, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
