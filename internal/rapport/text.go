package rapport

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// checkLine adds a problem when s is not a fit single line of text: blank, longer than max
// characters, or holding control characters (a NUL byte, say, which PostgreSQL refuses).
func checkLine(p *Problems, pointer, s string, max int) {
	switch {
	case strings.TrimSpace(s) == "":
		p.Add(pointer, "must not be blank")
	case utf8.RuneCountInString(s) > max:
		p.Add(pointer, "must be at most %d characters", max)
	case strings.ContainsFunc(s, unicode.IsControl):
		p.Add(pointer, "must not contain control characters")
	}
}

// checkText is checkLine for text that may span lines: it allows newlines and tabs.
func checkText(p *Problems, pointer, s string, max int) {
	switch {
	case strings.TrimSpace(s) == "":
		p.Add(pointer, "must not be blank")
	case utf8.RuneCountInString(s) > max:
		p.Add(pointer, "must be at most %d characters", max)
	case strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }):
		p.Add(pointer, "must not contain control characters other than line breaks and tabs")
	}
}

// pointerf formats a JSON pointer.
func pointerf(format string, args ...any) string {
	return fmt.Sprintf(format, args...)
}

// normalizeName trims a name and puts it in Unicode normalization form C, so that a name sent
// with combining accents ("Zoe" and U+0308) is stored as the same text as one sent with
// precomposed letters ("Zoë"). Text that is not valid UTF-8 is left for checkName to refuse.
func normalizeName(s string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		return s
	}
	return norm.NFC.String(s)
}

// checkName adds a problem unless s is a fit personal name. Names are taken as schools have
// them: letters of any script, digits ("Jennifer 8. Lee", "X Æ A-12"), punctuation ("Smith
// (Jones)", "Marie, Jr.", "Al-Sayed / الصيد"), symbols and emoji, and code points newer than
// this program's Unicode tables (the latest emoji). Refused is only what cannot be part of a
// name: text that is not valid UTF-8, or that holds U+FFFD, what a decoder leaves of invalid
// text such as an unpaired surrogate; a name with nothing visible in it; more than max
// characters; control characters (NUL, tab, line breaks, U+2028 and U+2029); and the
// bidirectional overrides and isolates (U+202A to U+202E, U+2066 to U+2069), which make text
// display in another order than it is stored, so that a name could pass for another.
func checkName(p *Problems, pointer, s string, max int) {
	if !utf8.ValidString(s) {
		p.Add(pointer, "must be valid UTF-8 text")
		return
	}
	for i, r := range []rune(s) {
		switch {
		case r == utf8.RuneError:
			p.Add(pointer, "must not contain U+FFFD, the replacement character, which stands for text that was not valid UTF-8 (an unpaired surrogate, say); found at character %d", i+1)
		case r == 0:
			p.Add(pointer, "must not contain NUL (U+0000); found at character %d", i+1)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			p.Add(pointer, "must be one line without control characters; found U+%04X at character %d", r, i+1)
		case bidiControl(r):
			p.Add(pointer, "must not contain bidirectional override or isolate characters (U+202A to U+202E, U+2066 to U+2069); found U+%04X at character %d", r, i+1)
		default:
			continue
		}
		return
	}
	if !strings.ContainsFunc(s, visible) {
		p.Add(pointer, "must not be blank")
		return
	}
	if n := utf8.RuneCountInString(s); n > max {
		p.Add(pointer, "must be at most %d characters (it has %d)", max, n)
	}
}

// visible reports whether r shows as something of its own: not a space, a control or format
// character, nor a mark, which only changes the character before it.
func visible(r rune) bool {
	return !unicode.IsSpace(r) && !unicode.In(r, unicode.Cc, unicode.Cf, unicode.M)
}

// bidiControl reports whether r is one of the explicit bidirectional embeddings, overrides or
// isolates. The implicit marks (U+200E, U+200F, U+061C) only settle the direction of
// neutral characters next to them, and are allowed.
func bidiControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
}
