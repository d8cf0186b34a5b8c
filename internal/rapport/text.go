package rapport

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
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

// checkName adds a problem unless s is a fit personal name: a line of letters (any script),
// combining marks, spaces, apostrophes, hyphens and periods, with at least one letter. Digits,
// emoji and punctuation such as ";" or ")" are refused: they are typing slips or attacks, not
// names.
func checkName(p *Problems, pointer, s string, max int) {
	before := len(p.fields)
	checkLine(p, pointer, s, max)
	if len(p.fields) > before {
		return
	}
	letters := 0
	for _, r := range s {
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.IsMark(r), r == ' ', r == '\'', r == '’', r == 'ʼ', r == '-', r == '.':
		default:
			p.Add(pointer, "may hold only letters, spaces, apostrophes, hyphens and periods")
			return
		}
	}
	if letters == 0 {
		p.Add(pointer, "must contain a letter")
	}
}
