package photozip

import "strings"

// IDRules say how the ids of a map are compared with the ids of patrons. The district says which
// apply: its SIS and its photographer decide whether "000123" and "123" are one student.
type IDRules struct {
	// TrimLeadingZeros drops the zeros an id starts with ("000123" and "123" are one id; "000" is
	// "0"). Infinite Campus matches student numbers this way, and spreadsheets drop such zeros.
	TrimLeadingZeros bool
	// FoldCase makes ids that differ only in letter case one id, by writing them in lower case.
	FoldCase bool
}

// NormalizeID returns id in the form the rules compare: spaces around it always trimmed, then
// leading zeros trimmed and letter case folded when the rules say so. Apply it to both sides of a
// comparison.
func NormalizeID(id string, rules IDRules) string {
	id = strings.TrimSpace(id)
	if rules.TrimLeadingZeros {
		trimmed := strings.TrimLeft(id, "0")
		if trimmed == "" && id != "" {
			trimmed = "0"
		}
		id = trimmed
	}
	if rules.FoldCase {
		id = strings.ToLower(id)
	}
	return id
}
