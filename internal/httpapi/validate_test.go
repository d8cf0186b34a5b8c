package httpapi

import (
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"
)

// TestCheckUUIDAgreesWithKinOpenAPI checks the loop that validates format: uuid against the
// regular expression it replaces, on valid ids of every version and on near misses.
func TestCheckUUIDAgreesWithKinOpenAPI(t *testing.T) {
	pattern := regexp.MustCompile(openapi3.FormatOfStringForUUIDOfRFC9562)
	inputs := []string{
		"", "not-a-uuid", uuid.NewString(), uuid.Must(uuid.NewV7()).String(),
		strings.ToUpper(uuid.NewString()),
		"00000000-0000-0000-0000-000000000000", "FFFFFFFF-ffff-FFFF-ffff-FFFFFFFFFFFF",
		"00000000-0000-0000-0000-000000000001", // nil but for one digit: version 0
		"6ba7b810-9dad-11d1-80b4-00c04fd430c8", // version 1
		"6ba7b810-9dad-91d1-80b4-00c04fd430c8", // version 9
		"6ba7b810-9dad-41d1-c0b4-00c04fd430c8", // variant c
		"6ba7b810-9dad-41d1-70b4-00c04fd430c8", // variant 7
		"6ba7b8109dad41d180b400c04fd430c8",     // no hyphens
		"6ba7b810-9dad-41d1-80b4-00c04fd430c8 ", "{6ba7b810-9dad-41d1-80b4-00c04fd430c8}",
		"6ba7b810-9dad-41d1-80b4-00c04fd430cg", "6ba7b810_9dad-41d1-80b4-00c04fd430c8",
		"6ba7b810-9dad-41d1-80b4-00c04fd430c", "6ba7b810-9dad-41d1-80b4-00c04fd430c8a",
		"6ba7b810-9dad-41d1-80b4-00c04fd430c\u00e9",
	}
	for _, in := range inputs {
		if got, want := checkUUID(in) == nil, pattern.MatchString(in); got != want {
			t.Errorf("checkUUID(%q) accepts = %v, the pattern accepts = %v", in, got, want)
		}
	}
}
