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
