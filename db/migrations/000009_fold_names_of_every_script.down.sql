-- Back to the folding of 000002: lower case under the database's collation, no accents, hyphens
-- as spaces, no apostrophes or periods. The folded names and the dictionary are made again.

ALTER TABLE patrons DROP COLUMN given_folded, DROP COLUMN family_folded, DROP COLUMN preferred_folded,
    DROP COLUMN search_name;
DROP FUNCTION patron_search_name(text, text, text);
DROP FUNCTION unspaced_name(text);

CREATE OR REPLACE FUNCTION fold_name(name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN translate(lower(public.unaccent('public.unaccent'::regdictionary, name)), '-''’.', ' ');

ALTER TABLE patrons
    ADD COLUMN given_folded text COLLATE "C" GENERATED ALWAYS AS (fold_name(given_name)) STORED,
    ADD COLUMN family_folded text COLLATE "C" GENERATED ALWAYS AS (fold_name(family_name)) STORED,
    ADD COLUMN preferred_folded text COLLATE "C" GENERATED ALWAYS AS (fold_name(preferred_name)) STORED,
    ADD COLUMN search_name text GENERATED ALWAYS AS
        (fold_name(given_name || ' ' || family_name || coalesce(' ' || preferred_name, ''))) STORED;

CREATE INDEX patrons_given_folded_idx ON patrons (district_id, given_folded, family_folded, id)
    INCLUDE (preferred_folded, school_id, search_name) WHERE erased_at IS NULL;
CREATE INDEX patrons_family_folded_idx ON patrons (district_id, family_folded, given_folded, id)
    INCLUDE (preferred_folded, school_id, search_name) WHERE erased_at IS NULL;
CREATE INDEX patrons_preferred_folded_idx ON patrons (district_id, preferred_folded, family_folded, given_folded, id)
    INCLUDE (school_id, search_name) WHERE erased_at IS NULL AND preferred_folded IS NOT NULL;
CREATE INDEX patrons_search_words_idx ON patrons USING gin (string_to_array(search_name, ' '));

DELETE FROM patron_name_words;
SELECT count_name_words(array_agg(district_id), array_agg(search_name)) FROM patrons;
