-- Names as schools have them (issue 13): names may now hold digits, punctuation, symbols and
-- emoji in any script ("Jennifer 8. Lee", "Smith (Jones)", "Al-Sayed / الصيد"), so search
-- folds them anew. A folded name is a string of words separated by single spaces:
--
--   * compatibility forms are the letters they stand for (NFKC: "ＡＢＣ" → "abc", "ｻｸﾗ" →
--     "さくら", "Ⅲ" → "iii"), and case is folded in every script ("Дмитрий" → "дмитрии"),
--     which lower() under the database's own collation ("C") did only for ASCII;
--   * accents go in every script that writes them as marks: Latin, Greek and Cyrillic
--     (unaccent, then the combining marks of the decomposed text: "Nguyễn" → "nguyen",
--     "Οδυσσέας" → "οδυσσεασ"), the points of Hebrew and the harakat of Arabic (whose hamza
--     forms of alef become plain alef). The vowel signs of Indic scripts are parts of letters,
--     not accents, and stay;
--   * letters that keyboards mix up are one: final sigma and sigma; Arabic and Persian yeh and
--     kaf, alef maksura and yeh, teh marbuta and heh; katakana and hiragana;
--   * apostrophes, periods and the invisible joiners join ("O'Brien" → "obrien", "Jr." → "jr");
--   * every other punctuation mark, space, symbol and emoji separates words ("Smith (Jones)"
--     → "smith jones", "Al-Sayed / الصيد" → "al sayed الصيد"); digits stay ("8", "2nd", "12").
--
-- Emoji are dropped from the folded names rather than kept as words: nobody types one at the
-- desk to find a student, the same emoji comes as several sequences of code points (variation
-- selectors, skin tones, joiners), and the look-ups that forgive typos would count their code
-- points as letters. A name that is only emoji folds to nothing; the patron is found by their
-- other names.
--
-- Case folding and telling punctuation apart use ICU's root locale ("und-x-icu"), so that
-- folding does not depend on the collation the database was created with. The folded names
-- are stored generated columns: they are dropped and added again, which folds every patron's
-- names anew, and the dictionary of name words is rebuilt from them.

ALTER TABLE patrons DROP COLUMN given_folded, DROP COLUMN family_folded, DROP COLUMN preferred_folded,
    DROP COLUMN search_name;

-- fold_name puts a name the way search compares it (see above). unaccent() is only STABLE
-- because its dictionary could change; naming the dictionary makes it safe to declare
-- IMMUTABLE, which a generated column needs. Innermost first: apostrophes and periods out;
-- NFKC; unaccent; lower case; marks of accents and invisible joiners out (in NFD, then back to
-- NFC); letters mixed up made one, and apostrophes and periods that NFKC or unaccent made,
-- out; runs of separators to one space.
CREATE OR REPLACE FUNCTION fold_name(name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN btrim(regexp_replace(
        translate(
            normalize(regexp_replace(
                normalize(lower(public.unaccent('public.unaccent'::regdictionary,
                    normalize(translate(name, '''’‘‛′ʼʻ`´׳״.·', ''), NFKC)) COLLATE "und-x-icu"), NFD),
                '[\u0300-\u036F\u0483-\u0489\u0591-\u05BD\u05BF\u05C1\u05C2\u05C4\u05C5\u05C7\u0610-\u061A\u061C'
                '\u0640\u064B-\u065F\u0670\u06D6-\u06DC\u06DF-\u06E4\u06E7\u06E8\u06EA-\u06ED\u00AD\u034F'
                '\u1AB0-\u1AFF\u1DC0-\u1DFF\u200D-\u200F\u202A-\u202E\u2060-\u2069\u20D0-\u20FF\uFE00-\uFE0F'
                '\uFE20-\uFE2F\uFEFF\U000E0000-\U000E007F\U000E0100-\U000E01EF]',
                '', 'g'), NFC),
            'ςىیکةァアィイゥウェエォオカガキギクグケゲコゴサザシジスズセゼソゾタダチヂッツヅテデトドナニヌネノハバパヒビピフブプヘベペホボポマミムメモャヤュユョヨラリルレロヮワヰヱヲンヴヵヶ''.',
            'σييكهぁあぃいぅうぇえぉおかがきぎくぐけげこごさざしじすずせぜそぞただちぢっつづてでとどなにぬねのはばぱひびぴふぶぷへべぺほぼぽまみむめもゃやゅゆょよらりるれろゎわゐゑをんゔゕゖ') COLLATE "und-x-icu",
        '[[:punct:][:space:][:cntrl:]$+<=>^|~\u00A2-\u00A9\u00AC\u00AE-\u00B1\u00B4\u00B8\u00D7\u00F7'
        '\u02C2-\u02C5\u02D2-\u02DF\u02E5-\u02EB\u02ED\u02EF-\u02FF\u0375\u0384\u0385\u200B\u200C\u2044'
        '\u2052\u207A-\u207C\u208A-\u208C\u20A0-\u20CF\u2190-\u2BFF\u2FF0-\u2FFF\u3004\u3012\u3013\u3020'
        '\u3036\u3037\u303E\u303F\u4DC0-\u4DFF\uFFFC\uFFFD\U0001D000-\U0001D24F\U0001F000-\U0001FAFF]+',
        ' ', 'g'));

-- unspaced_name reports whether a folded name is one word of a script written without spaces
-- between a family name and a given name: Chinese, Japanese or Korean.
CREATE FUNCTION unspaced_name(folded text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    RETURN folded ~ ('^[\u1100-\u11FF\u3005-\u3007\u3021-\u3029\u3031-\u3035\u303B\u303C\u3041-\u3096'
        '\u309D-\u309F\u30A1-\u30FA\u30FC-\u30FF\u3400-\u4DBF\u4E00-\u9FFF\uA960-\uA97F\uAC00-\uD7FF'
        '\uF900-\uFAFF\U00020000-\U0003FFFF]+$');

-- patron_search_name is every name the patron answers to, folded, as words: the given, family
-- and preferred names and, for names written without spaces (unspaced_name), the family name
-- run into the given name and into the preferred name, as such a name is written and typed in
-- full ("王" and "小明" → "王小明"). It folds each name once (a generated column is computed
-- on every insert and update of the row).
CREATE FUNCTION patron_search_name(given text, family text, preferred text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    g text := fold_name(given);
    f text := fold_name(family);
    p text := fold_name(preferred);
BEGIN
    RETURN concat_ws(' ', nullif(g, ''), nullif(f, ''), nullif(p, ''),
        CASE WHEN unspaced_name(f) AND unspaced_name(g) THEN f || g END,
        CASE WHEN unspaced_name(f) AND unspaced_name(p) THEN f || p END);
END $$;

ALTER TABLE patrons
    ADD COLUMN given_folded text COLLATE "C" GENERATED ALWAYS AS (fold_name(given_name)) STORED,
    ADD COLUMN family_folded text COLLATE "C" GENERATED ALWAYS AS (fold_name(family_name)) STORED,
    ADD COLUMN preferred_folded text COLLATE "C" GENERATED ALWAYS AS (fold_name(preferred_name)) STORED,
    ADD COLUMN search_name text GENERATED ALWAYS AS (patron_search_name(given_name, family_name, preferred_name)) STORED;

-- The indexes of 000002, on the columns added again.
CREATE INDEX patrons_given_folded_idx ON patrons (district_id, given_folded, family_folded, id)
    INCLUDE (preferred_folded, school_id, search_name) WHERE erased_at IS NULL;
CREATE INDEX patrons_family_folded_idx ON patrons (district_id, family_folded, given_folded, id)
    INCLUDE (preferred_folded, school_id, search_name) WHERE erased_at IS NULL;
CREATE INDEX patrons_preferred_folded_idx ON patrons (district_id, preferred_folded, family_folded, given_folded, id)
    INCLUDE (school_id, search_name) WHERE erased_at IS NULL AND preferred_folded IS NOT NULL;
CREATE INDEX patrons_search_words_idx ON patrons USING gin (string_to_array(search_name, ' '));

-- The dictionary of name words, from the names folded anew.
DELETE FROM patron_name_words;
SELECT count_name_words(array_agg(district_id), array_agg(search_name)) FROM patrons;
