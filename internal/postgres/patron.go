package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"golang.org/x/text/unicode/norm"

	"github.com/rapportlib/rapport/internal/rapport"
)

var _ rapport.PatronStore = (*Store)(nil)

const patronColumns = `p.id, p.district_id, p.school_id, p.role, p.given_name, p.family_name,
	coalesce(p.preferred_name, ''), coalesce(p.pronouns, ''), coalesce(p.name_pronunciation, ''),
	coalesce(p.grade, ''), coalesce(p.homeroom, ''), coalesce(p.email, ''),
	coalesce(p.sourced_id, ''), coalesce(p.sis_id, ''), coalesce(p.barcode, ''), coalesce(p.lms_id, ''),
	p.status, p.interests, p.erased_at, p.version,
	p.created_at, p.created_by_client, coalesce(p.created_by_user, ''),
	p.updated_at, p.updated_by_client, coalesce(p.updated_by_user, '')`

func scanPatron(row pgx.CollectableRow) (rapport.Patron, error) {
	var p rapport.Patron
	var erasedAt *time.Time
	err := row.Scan(&p.ID, &p.DistrictID, &p.SchoolID, &p.Role, &p.GivenName, &p.FamilyName,
		&p.PreferredName, &p.Pronouns, &p.NamePronunciation, &p.Grade, &p.Homeroom, &p.Email,
		&p.SourcedID, &p.SISID, &p.Barcode, &p.LMSID, &p.Status, &p.Interests, &erasedAt, &p.Version,
		&p.CreatedAt, &p.CreatedBy.ClientID, &p.CreatedBy.ActingUser,
		&p.UpdatedAt, &p.UpdatedBy.ClientID, &p.UpdatedBy.ActingUser)
	if erasedAt != nil {
		p.ErasedAt = *erasedAt
	}
	return p, err
}

// ListPatrons returns one page of patrons in one of three orders: ranked by name match
// (Query), by update time (UpdatedSince: erased patrons included, so that a sync learns of
// erasures), or by name.
func (s *Store) ListPatrons(ctx context.Context, scope rapport.TenantScope, f rapport.PatronFilter, page rapport.PageRequest) (rapport.Page[rapport.Patron], error) {
	var c conditions
	c.tenant("p", scope)
	if f.SchoolID != uuid.Nil {
		c.add("p.school_id = " + c.arg(f.SchoolID))
	}
	if f.Role != "" {
		c.add("p.role = " + c.arg(f.Role))
	}
	if f.Grade != "" {
		c.add("p.grade = " + c.arg(f.Grade))
	}
	if f.Status != "" {
		c.add("p.status = " + c.arg(f.Status))
	}
	for _, id := range []struct{ column, value string }{
		{"sourced_id", f.SourcedID}, {"sis_id", f.SISID}, {"barcode", f.Barcode}, {"lms_id", f.LMSID},
	} {
		if id.value != "" {
			c.add("p." + id.column + " = " + c.arg(id.value))
		}
	}
	if f.Query != "" {
		if page.Cursor != "" {
			return rapport.Page[rapport.Patron]{}, rapport.FieldErrorf(rapport.Invalid, "#/query/cursor",
				"is not a cursor this list gave out: a search (q) answers one page of the best matches and gives out none")
		}
		return s.searchPatrons(ctx, scope, c, f.Query, page.Size())
	}
	if !f.UpdatedSince.IsZero() {
		cursors, err := s.listCursors(ctx, "patrons by update", scope)
		if err != nil {
			return rapport.Page[rapport.Patron]{}, err
		}
		return s.listPatronsByUpdate(ctx, cursors, c, f.UpdatedSince, page)
	}
	cursors, err := s.listCursors(ctx, "patrons by name", scope)
	if err != nil {
		return rapport.Page[rapport.Patron]{}, err
	}
	return s.listPatronsByName(ctx, cursors, c, page)
}

// listPatronsByName answers a page of patrons by name. Its cursors hold names, which is why
// cursors are sealed (cursor.go).
func (s *Store) listPatronsByName(ctx context.Context, cursors listCursors, c conditions, page rapport.PageRequest) (rapport.Page[rapport.Patron], error) {
	c.add("p.erased_at IS NULL")
	if page.Cursor != "" {
		var family, given string
		var id uuid.UUID
		if err := cursors.decode(page.Cursor, &family, &given, &id); err != nil {
			return rapport.Page[rapport.Patron]{}, err
		}
		c.add(fmt.Sprintf("(p.family_name, p.given_name, p.id) > (%s, %s, %s)", c.arg(family), c.arg(given), c.arg(id)))
	}
	size := page.Size()
	patrons, err := queryRows(ctx, s.pool, "list patrons", scanPatron, `
		SELECT `+patronColumns+`
		FROM patrons p
		`+c.sql()+`
		ORDER BY p.family_name, p.given_name, p.id
		LIMIT `+strconv.Itoa(size+1), c.args)
	if err != nil {
		return rapport.Page[rapport.Patron]{}, err
	}
	return pageOf(patrons, size, func(p rapport.Patron) string { return cursors.encode(p.FamilyName, p.GivenName, p.ID) }), nil
}

func (s *Store) listPatronsByUpdate(ctx context.Context, cursors listCursors, c conditions, since time.Time, page rapport.PageRequest) (rapport.Page[rapport.Patron], error) {
	c.add("p.updated_at >= " + c.arg(since))
	if page.Cursor != "" {
		var at time.Time
		var id uuid.UUID
		if err := cursors.decode(page.Cursor, &at, &id); err != nil {
			return rapport.Page[rapport.Patron]{}, err
		}
		c.add(fmt.Sprintf("(p.updated_at, p.id) > (%s, %s)", c.arg(at), c.arg(id)))
	}
	size := page.Size()
	patrons, err := queryRows(ctx, s.pool, "list patrons", scanPatron, `
		SELECT `+patronColumns+`
		FROM patrons p
		`+c.sql()+`
		ORDER BY p.updated_at, p.id
		LIMIT `+strconv.Itoa(size+1), c.args)
	if err != nil {
		return rapport.Page[rapport.Patron]{}, err
	}
	return pageOf(patrons, size, func(p rapport.Patron) string { return cursors.encode(p.UpdatedAt, p.ID) }), nil
}

// searchPatrons answers the best matches for a typed name, ranked: exact names first, then
// names a typed word starts, then names with a word that a typed word starts further in ("8"
// of "Jennifer 8. Lee", "jones" of "Smith (Jones)", "王小明" of 王 小明), then near misses
// (typos, in words of three letters or more). Names are compared folded (see fold_name in the
// migrations).
//
// Typeahead must stay fast when one letter matches thousands of patrons, so no statement reads
// many more rows than it answers: searchByPrefix reads the three folded-name indexes in answer
// order and cuts them at the limit; only when that leaves room (a rare name, a later word, a
// typo) do two more, in searchByDictionary, fill the rest from the district's dictionary of
// name words.
func (s *Store) searchPatrons(ctx context.Context, scope rapport.TenantScope, filters conditions, query string, size int) (rapport.Page[rapport.Patron], error) {
	typed := typedWords(query)
	if len(typed) == 0 {
		return rapport.Page[rapport.Patron]{Items: []rapport.Patron{}}, nil
	}
	t := typedName{words: typed[:min(len(typed), 5)]}
	t.longest = t.words[0]
	for _, w := range t.words {
		t.escaped = append(t.escaped, likeEscape(w))
		if utf8.RuneCountInString(w) > utf8.RuneCountInString(t.longest) {
			t.longest = w
		}
	}
	filters.add("p.erased_at IS NULL")
	patrons, err := s.searchByPrefix(ctx, filters.clone(), t, size)
	if err != nil {
		return rapport.Page[rapport.Patron]{}, err
	}
	if len(patrons) < size {
		more, err := s.searchByDictionary(ctx, scope, filters.clone(), t, patrons, size-len(patrons))
		if err != nil {
			return rapport.Page[rapport.Patron]{}, err
		}
		patrons = append(patrons, more...)
	}
	return rapport.Page[rapport.Patron]{Items: patrons}, nil
}

// typedName is a search query cut into words (lower case, at most five).
type typedName struct {
	words   []string
	escaped []string // the words, escaped for LIKE
	longest string   // the word most worth a look-up in the dictionary
}

// typedWords cuts a search query into lower-case words the way fold_name cuts names:
// apostrophes, periods and invisible joiners join ("o'brien" is one word), compatibility forms
// are what they stand for ("ｏ．ｂｒｉｅｎ" is "obrien"), and every other character that is not
// a letter, mark or digit separates ("al-sayed" is two words, "(jones)" is "jones"). Words
// without a letter or digit (an emoji, a lone accent) fold to nothing and are left out.
func typedWords(query string) []string {
	var words []string
	query = strings.Map(dropJoiner, norm.NFKC.String(strings.Map(dropJoiner, strings.ToLower(query))))
	separates := func(r rune) bool { return !unicode.In(r, unicode.L, unicode.M, unicode.N) }
	for _, w := range strings.FieldsFunc(query, separates) {
		if strings.ContainsFunc(w, func(r rune) bool { return unicode.In(r, unicode.L, unicode.N) }) {
			words = append(words, w)
		}
	}
	return words
}

// dropJoiner drops what fold_name drops from a name: apostrophes, periods, the Arabic tatweel
// and the invisible format characters, but for the zero-width space and non-joiner, which
// separate words.
func dropJoiner(r rune) rune {
	if strings.ContainsRune("'’‘‛′ʼʻ`´׳״.·\u0640", r) || unicode.Is(unicode.Cf, r) && r != '\u200b' && r != '\u200c' {
		return -1
	}
	return r
}

// searchByPrefix answers the patrons with a name that the first typed word starts (and every
// other typed word starts a word of), exact names first, then in the order of the name matched.
// Each branch reads its index in that order (the folded columns sort bytewise), index only, and
// stops at the limit, so that one typed letter costs no more than a full name; only the
// patrons answered are read from the table.
func (s *Store) searchByPrefix(ctx context.Context, c conditions, t typedName, size int) ([]rapport.Patron, error) {
	if len(t.words) > 1 {
		c.add(wordPrefixes(&c, t.escaped))
	}
	c.add("fold_name(" + c.arg(t.words[0]) + ") <> ''") // else the range below is every name
	first := `(fold_name(` + c.arg(t.words[0]) + `) COLLATE "C")`
	last := `((fold_name(` + c.arg(t.words[0]) + `) || chr(1114111)) COLLATE "C")` // the last code point ends the range
	limit := strconv.Itoa(size)
	branch := func(column, order string) string {
		return `(SELECT p.id, p.` + column + ` AS matched, p.given_folded, p.family_folded, p.preferred_folded
			FROM patrons p ` + c.sql() + `
			AND p.` + column + ` >= ` + first + ` AND p.` + column + ` < ` + last + `
			ORDER BY ` + order + ` LIMIT ` + limit + `)`
	}
	return queryRows(ctx, s.pool, "list patrons", scanPatron, `
		WITH typed AS (SELECT fold_name(`+c.arg(strings.Join(t.words, " "))+`) AS q),
		matches AS (
			SELECT DISTINCT ON (m.id) m.id, m.matched, m.family_folded, m.given_folded,
				(typed.q IN (m.given_folded, m.family_folded, m.preferred_folded,
					m.given_folded || ' ' || m.family_folded, m.preferred_folded || ' ' || m.family_folded)) IS TRUE AS exact
			FROM (`+branch("given_folded", "p.given_folded, p.family_folded, p.id")+`
				UNION ALL `+branch("family_folded", "p.family_folded, p.given_folded, p.id")+`
				UNION ALL `+branch("preferred_folded", "p.preferred_folded, p.family_folded, p.given_folded, p.id")+`) m, typed
			ORDER BY m.id, m.matched
		),
		best AS (
			SELECT * FROM matches
			ORDER BY exact DESC, matched, family_folded, given_folded, id
			LIMIT `+limit+`
		)
		SELECT `+patronColumns+`
		FROM best JOIN patrons p ON p.id = best.id
		ORDER BY best.exact DESC, best.matched, best.family_folded, best.given_folded, best.id`, c.args)
}

// searchByDictionary answers up to size more patrons, none of those found already, through the
// district's dictionary of name words (closeNameWords): the words the longest typed word
// starts, then (for a word of three letters or more) the words it may have been meant to be,
// best first. Patrons with such a word as a whole name are read word by word from the
// folded-name indexes, in name order and cut at the limit; patrons with such a word inside a
// name ("Kate" of "Mary Kate", "García" of "López García", "王小明" of 王 小明) come from the
// index of name words: for the words the typed word starts, up to 500 at once; for each word it
// may have been meant to be, up to the limit. The other typed words must still start words of
// the name: a typo is forgiven in one word.
func (s *Store) searchByDictionary(ctx context.Context, scope rapport.TenantScope, c conditions, t typedName, found []rapport.Patron, size int) ([]rapport.Patron, error) {
	words, prefixes, err := s.closeNameWords(ctx, scope.DistrictID, t.longest, utf8.RuneCountInString(t.longest) >= 3)
	if err != nil || len(words) == 0 {
		return nil, err
	}
	var started []string // the words the typed word starts
	for i, w := range words {
		if prefixes[i] {
			started = append(started, w)
		}
	}
	ids := make([]uuid.UUID, len(found))
	for i, p := range found {
		ids[i] = p.ID
	}
	c.add("NOT (p.id = ANY(" + c.arg(ids) + "))")
	var others []string
	for i, w := range t.words {
		if w != t.longest {
			others = append(others, t.escaped[i])
		}
	}
	if len(others) > 0 {
		c.add(wordPrefixes(&c, others))
	}
	limit := strconv.Itoa(size)
	where := c.sql()
	byWord := func(column, order string) string {
		return `(SELECT p.id FROM patrons p ` + where + ` AND p.` + column + ` = w.word COLLATE "C" ORDER BY ` + order + ` LIMIT ` + limit + `)`
	}
	return queryRows(ctx, s.pool, "list patrons", scanPatron, `
		WITH matches AS (
			SELECT DISTINCT ON (m.id) m.id, m.ord
			FROM (
				SELECT m.id, w.ord
				FROM unnest(`+c.arg(words)+`::text[], `+c.arg(prefixes)+`::boolean[]) WITH ORDINALITY AS w(word, prefix, ord)
				CROSS JOIN LATERAL (
					`+byWord("family_folded", "p.family_folded, p.given_folded, p.id")+`
					UNION ALL `+byWord("given_folded", "p.given_folded, p.family_folded, p.id")+`
					UNION ALL `+byWord("preferred_folded", "p.preferred_folded, p.family_folded, p.given_folded, p.id")+`
					UNION ALL (SELECT p.id FROM patrons p `+where+` AND NOT w.prefix
						AND string_to_array(p.search_name, ' ') @> ARRAY[w.word] LIMIT `+limit+`)
				) m
				UNION ALL
				(SELECT p.id, 0 FROM patrons p `+where+` AND string_to_array(p.search_name, ' ') && `+c.arg(started)+`::text[]
					LIMIT 500)
			) m
			ORDER BY m.id, m.ord
		)
		SELECT `+patronColumns+`
		FROM matches JOIN patrons p ON p.id = matches.id
		ORDER BY CASE WHEN `+wordPrefixes(&c, t.escaped)+` THEN 1 ELSE 2 END, matches.ord, p.family_folded, p.given_folded, p.id
		LIMIT `+limit, c.args)
}

// closeNameWords returns the words of the district's names that a typed word may have meant,
// best first, each with whether the typed word starts it: first the words it starts, then,
// when fuzzy, words at an edit distance of one or two (two only for words of four letters or
// more; among words with the same first letter, which a typo seldom changes) or with similar
// trigrams (which catch the rest). pg_trgm sees only the ASCII letters and digits of a word in
// a database of the "C" locale, so the trigram look-up is skipped for a word folded to none
// (Cyrillic, Greek, Arabic, CJK, …): its index would be read whole for nothing. The ranges
// are on fold_name($2) itself, not on the CTE's column, so that they bound the index scan
// instead of filtering the district's whole dictionary.
func (s *Store) closeNameWords(ctx context.Context, districtID uuid.UUID, typed string, fuzzy bool) (words []string, prefixes []bool, err error) {
	maxEdits := 1
	if utf8.RuneCountInString(typed) >= 4 {
		maxEdits = 2
	}
	rows, err := s.pool.Query(ctx, `
		WITH typed AS (SELECT fold_name($2) COLLATE "C" AS w)
		SELECT word, min(distance) = 0
		FROM (
			(SELECT d.word, 0 AS distance, 1::real AS similarity FROM patron_name_words d
				WHERE d.district_id = $1 AND d.word >= fold_name($2) COLLATE "C" AND d.word < (fold_name($2) || chr(1114111)) COLLATE "C"
				ORDER BY d.word LIMIT 20)
			UNION ALL
			(SELECT d.word, greatest(levenshtein_less_equal(d.word, typed.w, 3), 1), similarity(d.word, typed.w)
				FROM patron_name_words d, typed
				WHERE $4 AND cardinality(show_trgm(fold_name($2))) > 0 AND d.district_id = $1 AND d.word % typed.w
				ORDER BY similarity(d.word, typed.w) DESC LIMIT 10)
			UNION ALL
			(SELECT d.word, levenshtein_less_equal(d.word, typed.w, $3), similarity(d.word, typed.w)
				FROM patron_name_words d, typed
				WHERE $4 AND d.district_id = $1
					AND d.word >= left(fold_name($2), 1) COLLATE "C" AND d.word < (left(fold_name($2), 1) || chr(1114111)) COLLATE "C"
					AND levenshtein_less_equal(d.word, typed.w, $3) BETWEEN 1 AND $3
				ORDER BY 2, d.word LIMIT 10)
		) candidates
		GROUP BY word
		ORDER BY min(distance), max(similarity) DESC, word`, districtID, typed, maxEdits, fuzzy)
	if err != nil {
		return nil, nil, interpretError(fmt.Errorf("look up name words: %w", err))
	}
	defer rows.Close()
	for rows.Next() {
		var w string
		var prefix bool
		if err := rows.Scan(&w, &prefix); err != nil {
			return nil, nil, interpretError(fmt.Errorf("look up name words: %w", err))
		}
		words, prefixes = append(words, w), append(prefixes, prefix)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, interpretError(fmt.Errorf("look up name words: %w", err))
	}
	return words, prefixes, nil
}

// wordPrefixes is the condition that every typed word (LIKE-escaped) starts a word of the
// patron's names.
func wordPrefixes(c *conditions, escaped []string) string {
	return "(' ' || p.search_name) LIKE ALL (ARRAY(SELECT '% ' || fold_name(w) || '%' FROM unnest(" +
		c.arg(escaped) + "::text[]) w))"
}

// GetPatron returns the patron, or an error of kind NotFound when it is not in scope.
func (s *Store) GetPatron(ctx context.Context, scope rapport.TenantScope, id uuid.UUID) (rapport.Patron, error) {
	return getPatron(ctx, s.pool, scope, id, "")
}

// getPatron reads a patron in scope; lock is "" or a locking clause such as "FOR UPDATE".
func getPatron(ctx context.Context, q querier, scope rapport.TenantScope, id uuid.UUID, lock string) (rapport.Patron, error) {
	var c conditions
	c.add("p.id = " + c.arg(id))
	c.tenant("p", scope)
	patrons, err := queryRows(ctx, q, "list patrons", scanPatron, `SELECT `+patronColumns+` FROM patrons p `+c.sql()+` `+lock, c.args)
	if err != nil {
		return rapport.Patron{}, err
	}
	if len(patrons) == 0 {
		return rapport.Patron{}, notFound("patron")
	}
	return patrons[0], nil
}

// patronWriteColumns are the columns a create or update writes, in the order of patronValues.
const patronWriteColumns = `school_id, role, given_name, family_name, preferred_name, pronouns,
	name_pronunciation, grade, homeroom, email, sourced_id, sis_id, barcode, lms_id, status, interests`

func patronValues(p rapport.Patron) []any {
	return []any{p.SchoolID, p.Role, p.GivenName, p.FamilyName, nullIfEmpty(p.PreferredName), nullIfEmpty(p.Pronouns),
		nullIfEmpty(p.NamePronunciation), nullIfEmpty(p.Grade), nullIfEmpty(p.Homeroom), nullIfEmpty(p.Email),
		nullIfEmpty(p.SourcedID), nullIfEmpty(p.SISID), nullIfEmpty(p.Barcode), nullIfEmpty(p.LMSID), p.Status, p.Interests}
}

// errSchoolOutOfScope is the answer for a school_id the caller cannot see, whether it exists
// or not.
var errSchoolOutOfScope = rapport.FieldErrorf(rapport.Unprocessable, "#/school_id", "is not a school the client can see")

// CreatePatron adds a patron, in one statement that also records the change.
func (s *Store) CreatePatron(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, in rapport.PatronCreate) (rapport.Patron, error) {
	p, err := in.Patron()
	if err != nil {
		return rapport.Patron{}, err
	}
	if !scope.HasSchool(p.SchoolID) {
		return rapport.Patron{}, errSchoolOutOfScope
	}
	var out rapport.Patron
	err = s.writeOne(ctx, scope, by, "create patron", func(q querier, w *unit) error {
		var c conditions
		values := []string{c.arg(uuid.Must(uuid.NewV7())), c.arg(scope.DistrictID)}
		for _, v := range patronValues(p) {
			values = append(values, c.arg(v))
		}
		now, client, user := c.arg(w.now), c.arg(by.ClientID), c.arg(nullIfEmpty(by.ActingUser))
		patrons, err := queryRows(ctx, q, "create patron", scanPatron, `
			WITH p AS (
				INSERT INTO patrons (id, district_id, `+patronWriteColumns+`,
					created_at, created_by_client, created_by_user, updated_at, updated_by_client, updated_by_user)
				VALUES (`+strings.Join(values, ", ")+`, `+now+`, `+client+`, `+user+`, `+now+`, `+client+`, `+user+`)
				RETURNING *), `+w.changeFrom(&c, "p", rapport.ResourcePatron, rapport.EventCreated)+`
			SELECT `+patronColumns+` FROM p`, c.args)
		if err != nil {
			return err
		}
		out = patrons[0]
		return nil
	})
	return out, err
}

// UpdatePatron applies a merge patch to a patron.
func (s *Store) UpdatePatron(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, id uuid.UUID, match rapport.Match, patch rapport.PatronPatch) (rapport.Patron, error) {
	return s.changePatron(ctx, scope, by, "update patron", id, match, func(current rapport.Patron) (rapport.Patron, error) {
		if current.Erased() {
			return current, rapport.Errorf(rapport.Conflict, "the patron's personal data was erased; it cannot be changed")
		}
		next, err := patch.Apply(current)
		if err != nil {
			return current, err
		}
		if !scope.HasSchool(next.SchoolID) {
			return current, errSchoolOutOfScope
		}
		return next, nil
	})
}

// DeactivatePatron makes the patron inactive.
func (s *Store) DeactivatePatron(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, id uuid.UUID, match rapport.Match) (rapport.Patron, error) {
	return s.changePatron(ctx, scope, by, "deactivate patron", id, match, func(current rapport.Patron) (rapport.Patron, error) {
		current.Status = rapport.PatronInactive
		return current, nil
	})
}

// changePatron reads the patron under a lock, checks the If-Match condition, lets change
// decide the new state, and writes it when it differs. A patron who moves to another school is
// gone from the old one as far as the change feed tells it there: a deletion there, then the
// update at the new school.
func (s *Store) changePatron(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, what string, id uuid.UUID, match rapport.Match,
	change func(rapport.Patron) (rapport.Patron, error)) (rapport.Patron, error) {
	var out rapport.Patron
	err := s.write(ctx, scope, by, what+" "+id.String(), func(w *unit) error {
		current, err := lockVersioned(ctx, w, "patron", match, func(p rapport.Patron) int { return p.Version },
			func(ctx context.Context, q querier, lock string) (rapport.Patron, error) {
				return getPatron(ctx, q, scope, id, lock)
			})
		if err != nil {
			return err
		}
		next, err := change(current)
		if err != nil {
			return err
		}
		if unchanged(current, next) {
			out = current
			return nil
		}
		args := append([]any{id}, patronValues(next)...)
		args = append(args, w.now, by.ClientID, nullIfEmpty(by.ActingUser))
		patrons, err := queryRows(ctx, w.tx, "update patron", scanPatron, `
			UPDATE patrons AS p
			SET (`+patronWriteColumns+`) = ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17),
				version = version + 1, updated_at = $18, updated_by_client = $19, updated_by_user = $20
			WHERE p.id = $1
			RETURNING `+patronColumns, args)
		if err != nil {
			return err
		}
		out = patrons[0]
		if out.SchoolID != current.SchoolID {
			w.record(rapport.ResourcePatron, id, current.SchoolID, rapport.EventDeleted)
		}
		w.record(rapport.ResourcePatron, id, out.SchoolID, rapport.EventUpdated)
		return nil
	})
	return out, err
}

// ErasePatron removes the patron's personal data, photos and notes, and what was written about them
// alone. The change feed gets a tombstone for the patron and their notes, and an update of each
// interaction and feedback item whose text went.
func (s *Store) ErasePatron(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, id uuid.UUID, match rapport.Match) (rapport.Patron, error) {
	var out rapport.Patron
	err := s.write(ctx, scope, by, "erase patron "+id.String(), func(w *unit) error {
		current, err := lockVersioned(ctx, w, "patron", match, func(p rapport.Patron) int { return p.Version },
			func(ctx context.Context, q querier, lock string) (rapport.Patron, error) {
				return getPatron(ctx, q, scope, id, lock)
			})
		if err != nil {
			return err
		}
		if current.Erased() {
			out = current
			return nil
		}
		if err := erasePhotos(ctx, w, current); err != nil {
			return err
		}
		notes, err := queryRows(ctx, w.tx, "erase notes", scanNote, `DELETE FROM notes n WHERE n.patron_id = $1 RETURNING `+noteColumns, []any{id})
		if err != nil {
			return err
		}
		for _, n := range notes {
			w.recordNote(n, rapport.EventDeleted)
		}
		// What was written about the patron in free text goes too; the records stay, for the
		// counts. An interaction with other patrons as well (a class visit) is about them all and
		// keeps its summary.
		if err := recordRows(ctx, w, rapport.ResourceInteraction, "erase interactions", `
			UPDATE interactions i
			SET summary = NULL, satisfaction_comment = NULL, referral_contact = NULL,
				referral_closed_note = CASE WHEN referral_closed_note IS NULL THEN NULL ELSE $5 END,
				version = version + 1, updated_at = $2, updated_by_client = $3, updated_by_user = $4
			WHERE i.id IN (SELECT ip.interaction_id FROM interaction_patrons ip WHERE ip.patron_id = $1)
			  AND NOT EXISTS (SELECT 1 FROM interaction_patrons ip WHERE ip.interaction_id = i.id AND ip.patron_id <> $1)
			  AND (i.summary IS NOT NULL OR i.satisfaction_comment IS NOT NULL OR i.referral_contact IS NOT NULL
			       OR i.referral_closed_note IS NOT NULL)
			RETURNING i.id, i.school_id`,
			id, w.now, by.ClientID, nullIfEmpty(by.ActingUser), rapport.ErasedText); err != nil {
			return err
		}
		// Their feedback keeps its status and dates for the counts, but nothing it said, nor
		// what was said back, and it leaves the public board. Its history says that the text
		// went, when and by whom, without the text.
		if _, err := w.tx.Exec(ctx, `
			INSERT INTO feedback_transitions (district_id, feedback_id, kind, from_status, to_status, changes,
				by_client, by_user, by_user_source, at)
			SELECT f.district_id, f.id, 'edit', f.status, f.status,
				'{"summary": null, "details": null, "resolution": null, "public": null, "public_summary": null, "public_decision": null}'::jsonb,
				$2, $3, $4, $5
			FROM feedback_items f
			WHERE f.patron_id = $1`,
			id, by.ClientID, nullIfEmpty(by.ActingUser), nullIfEmpty(string(w.by.ActingUserSource)), w.now); err != nil {
			return fmt.Errorf("erase feedback: %w", err)
		}
		if err := recordRows(ctx, w, rapport.ResourceFeedbackItem, "erase feedback", `
			UPDATE feedback_items
			SET summary = $5, details = NULL, public = false, public_summary = NULL, public_decision = NULL,
				resolution = CASE WHEN resolution IS NULL THEN NULL ELSE $5 END,
				version = version + 1, updated_at = $2, updated_by_client = $3, updated_by_user = $4
			WHERE patron_id = $1
			RETURNING id, school_id`,
			id, w.now, by.ClientID, nullIfEmpty(by.ActingUser), rapport.ErasedText); err != nil {
			return err
		}
		if _, err := w.tx.Exec(ctx, `
			UPDATE feedback_transitions t
			SET text = NULL,
				changes = (SELECT jsonb_object_agg(k, NULL) FROM jsonb_object_keys(t.changes) k)
			WHERE t.feedback_id IN (SELECT f.id FROM feedback_items f WHERE f.patron_id = $1)
			  AND (t.text IS NOT NULL OR t.changes IS NOT NULL)`, id); err != nil {
			return fmt.Errorf("erase feedback history: %w", err)
		}
		// An answer kept for an Idempotency-Key retry may hold their record (a patron, a note,
		// an interaction naming them). It becomes the answer to a write whose record is not
		// shown (204, with its ETag and Location), so that a retry still does not write twice.
		// Keys live a day, so this reads little.
		if _, err := w.tx.Exec(ctx, `
			UPDATE idempotency_keys k
			SET status = 204, response_body = ''::bytea, response_headers = k.response_headers - 'Content-Type'
			FROM api_clients c
			WHERE c.id = k.client_uuid AND c.district_id = $1 AND k.status BETWEEN 200 AND 299
			  AND position(convert_to($2::text, 'UTF8') IN k.response_body) > 0`,
			current.DistrictID, id.String()); err != nil {
			return fmt.Errorf("erase stored answers: %w", err)
		}
		patrons, err := queryRows(ctx, w.tx, "erase patron", scanPatron, `
			UPDATE patrons AS p
			SET given_name = '', family_name = '', preferred_name = NULL, pronouns = NULL,
				name_pronunciation = NULL, homeroom = NULL, email = NULL, sourced_id = NULL, sis_id = NULL,
				barcode = NULL, lms_id = NULL, interests = '{}', status = 'inactive', erased_at = $2,
				version = version + 1, updated_at = $2, updated_by_client = $3, updated_by_user = $4
			WHERE p.id = $1
			RETURNING `+patronColumns, []any{id, w.now, by.ClientID, nullIfEmpty(by.ActingUser)})
		if err != nil {
			return err
		}
		out = patrons[0]
		w.record(rapport.ResourcePatron, id, out.SchoolID, rapport.EventDeleted)
		return nil
	})
	return out, err
}
