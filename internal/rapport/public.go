package rapport

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The public board shows what staff wrote for it, never what the patron said: an item's public
// wording (PublicSummary and PublicDecision) and its category. A write that would leave that
// text naming the patron the item is linked to is refused, whatever else it changes, so that
// nothing typed into it can make a student recognisable on a public page.

// OnPublicBoard reports whether the school's public board shows the item: it is public, decided,
// and staff have written both its public summary and its public decision.
func (f FeedbackItem) OnPublicBoard() bool {
	return f.Public && f.Status.Decided() && f.PublicSummary != "" && f.PublicDecision != ""
}

// CheckPublicWording adds a problem for each text of the item that the public board would show
// and that names the patron it is linked to (their names, e-mail or ids): the public summary
// and decision always, the category when the item is public. The problem is added at
// pointer(field), field being the name of the item's field in the API; it says what of the
// patron the text holds, but does not repeat it.
func CheckPublicWording(p *Problems, f FeedbackItem, patron Patron, pointer func(field string) string) {
	fields := []struct{ name, text string }{
		{"public_summary", f.PublicSummary},
		{"public_decision", f.PublicDecision},
	}
	if f.Public {
		fields = append(fields, struct{ name, text string }{"category", f.Category})
	}
	for _, field := range fields {
		if field.text == "" {
			continue
		}
		if what, ok := reveals(field.text, patron); ok {
			p.Add(pointer(field.name), "names the patron the item is linked to (it holds their %s): the public board shows it, so write it so that nobody can be recognised", what)
		}
	}
}

// HasPublicWording reports whether the item holds text that CheckPublicWording checks.
func (f FeedbackItem) HasPublicWording() bool {
	return f.PublicSummary != "" || f.PublicDecision != "" || f.Public && f.Category != ""
}

// reveals reports whether text holds something that identifies the patron, and what it is.
// Names are compared as whole words, ignoring case and accents ("zoe" finds "Zoë"); so are
// ids and the e-mail address, so that a barcode "12" does not match "120 new books".
func reveals(text string, patron Patron) (string, bool) {
	folded := foldText(text)
	for _, term := range identifying(patron) {
		if containsWord(folded, foldText(term.value)) {
			return term.what, true
		}
	}
	return "", false
}

type identifyingTerm struct{ what, value string }

// identifying lists what identifies a patron in free text: each name whole and each of its
// words (but for one- and two-letter words such as "de" or "Li", which ordinary text is full
// of, and which the whole name covers when it is that short), the e-mail address and the part
// before its @, and every id.
func identifying(patron Patron) []identifyingTerm {
	var terms []identifyingTerm
	add := func(what, value string, minRunes int) {
		if utf8.RuneCountInString(strings.TrimSpace(value)) >= minRunes {
			terms = append(terms, identifyingTerm{what, strings.TrimSpace(value)})
		}
	}
	for _, name := range []struct{ what, value string }{
		{"given name", patron.GivenName}, {"family name", patron.FamilyName}, {"preferred name", patron.PreferredName},
	} {
		add(name.what, name.value, 2)
		for _, word := range strings.FieldsFunc(name.value, func(r rune) bool { return !wordRune(r) }) {
			add(name.what, word, 3)
		}
	}
	// Family name first and run together is how names are written in Chinese, Japanese and
	// Korean ("王小明"), where each part alone may be a single character.
	add("name", patron.FamilyName+patron.GivenName, 2)
	add("e-mail address", patron.Email, 1)
	if local, _, ok := strings.Cut(patron.Email, "@"); ok {
		add("e-mail address", local, 3)
	}
	add("id", patron.ID.String(), 1)
	add("sourced_id", patron.SourcedID, 1)
	add("sis_id", patron.SISID, 1)
	add("barcode", patron.Barcode, 1)
	add("lms_id", patron.LMSID, 1)
	return terms
}

// foldText is s as compared: decomposed, without its accents and other marks, in lower case.
func foldText(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// containsWord reports whether term occurs in text as a whole word: with no letter or digit
// right before or after it. Scripts written without spaces between words (Chinese, Japanese,
// Thai and the like) have no such edge, so there any occurrence counts.
func containsWord(text, term string) bool {
	if term == "" {
		return false
	}
	for from := 0; ; {
		i := strings.Index(text[from:], term)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(term)
		first, _ := utf8.DecodeRuneInString(term)
		last, _ := utf8.DecodeLastRuneInString(term)
		before, _ := utf8.DecodeLastRuneInString(text[:start])
		after, _ := utf8.DecodeRuneInString(text[end:])
		edgeBefore := start == 0 || !wordRune(before) || unspaced(first)
		edgeAfter := end == len(text) || !wordRune(after) || unspaced(last)
		if edgeBefore && edgeAfter {
			return true
		}
		_, size := utf8.DecodeRuneInString(text[start:])
		from = start + size
	}
}

// wordRune reports whether r is part of a word: a letter, a digit or a mark.
func wordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r)
}

// unspaced reports whether r belongs to a script that does not put spaces between words.
func unspaced(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao,
		unicode.Khmer, unicode.Myanmar, unicode.Tibetan)
}

// checkPublicLine is checkLine for a line that public pages show: it also refuses the
// bidirectional overrides and isolates, with which a line can be made to read differently from
// what is stored (and from what staff saw when they wrote it).
func checkPublicLine(p *Problems, pointer, s string, max int) {
	checkLine(p, pointer, s, max)
	checkNoBidiControl(p, pointer, s)
}

// checkPublicText is checkText for text that public pages show; see checkPublicLine.
func checkPublicText(p *Problems, pointer, s string, max int) {
	checkText(p, pointer, s, max)
	checkNoBidiControl(p, pointer, s)
}

func checkNoBidiControl(p *Problems, pointer, s string) {
	if i := strings.IndexFunc(s, bidiControl); i >= 0 {
		r, _ := utf8.DecodeRuneInString(s[i:])
		p.Add(pointer, "must not contain bidirectional override or isolate characters (U+202A to U+202E, U+2066 to U+2069); found U+%04X at character %d", r, utf8.RuneCountInString(s[:i])+1)
	}
}
