package rapport

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
)

// TestPatronNames checks the rule for given, family and preferred names: any text a school may
// have for a name is kept (trimmed, in normalization form C), and each kind of text that cannot
// be a name is refused, blaming the field that holds it.
func TestPatronNames(t *testing.T) {
	t.Parallel()
	school := uuid.MustParse("0197a3c2-0000-7000-8000-000000000001")
	type names struct{ given, family, preferred string }
	for _, tt := range []struct {
		name string
		in   names
		want names  // the names kept, when accepted
		bad  string // the pointer blamed, when refused
		says string // part of the problem's detail
	}{
		// Names as schools have them.
		{name: "digit", in: names{"Jennifer 8.", "Lee", ""}},
		{name: "ligature, digits and hyphen", in: names{"X Æ A-12", "Musk", ""}},
		{name: "parentheses", in: names{"Ana", "Smith (Jones)", ""}},
		{name: "ordinal suffix", in: names{"Henry", "Smith-Jones 2nd", ""}},
		{name: "comma and suffix", in: names{"Marie, Jr.", "Dupont", ""}},
		{name: "slash between scripts", in: names{"Omar", "Al-Sayed / الصيد", ""}},
		{name: "emoji", in: names{"Zoë 🌟", "Okafor", ""}},
		{name: "emoji only", in: names{"📚📚", "B", ""}},
		{name: "emoji with joiners and skin tone", in: names{"Sam", "Lee", "👩🏽‍🚀"}},
		{name: "flag with tag characters", in: names{"Iain", "Campbell 🏴󠁧󠁢󠁳󠁣󠁴󠁿", ""}},
		{name: "code point newer than Go's Unicode tables", in: names{"Ana \U0001FAE9", "Silva", ""}},
		{name: "private use (a gaiji kanji)", in: names{"\ue000子", "山田", ""}},
		{name: "text that looks like SQL", in: names{"Robert'); DROP TABLE patrons;--", "Tables", ""}},
		{name: "Vietnamese", in: names{"Thị Minh Khai", "Nguyễn", ""}},
		{name: "Persian with a zero-width non-joiner", in: names{"محمد\u200cرضا", "رضایی", ""}},
		{name: "right-to-left mark", in: names{"שרה\u200f", "כהן", ""}},
		{name: "ideographic space", in: names{"太郎", "山田\u3000", "山田\u3000太郎"}, want: names{"太郎", "山田", "山田\u3000太郎"}},
		{name: "single period", in: names{".", "Nguyen", ""}},
		{name: "trimmed", in: names{"  Zoë ", "\tOkafor\n", " Zo "}, want: names{"Zoë", "Okafor", "Zo"}},
		{name: "combining accents composed", in: names{"Zoe\u0308", "Mu\u0308ller", "Jose\u0301"}, want: names{"Zoë", "Müller", "José"}},
		{name: "Hangul jamo composed", in: names{"\u1106\u1175\u11ab\u110c\u116e\u11ab", "김", ""}, want: names{"민준", "김", ""}},
		{name: "100 characters once composed", in: names{strings.Repeat("e\u0301", 100), "B", ""}, want: names{strings.Repeat("é", 100), "B", ""}},
		{name: "blank preferred name is no preferred name", in: names{"Ana", "Silva", "   "}, want: names{"Ana", "Silva", ""}},

		// What cannot be a name.
		{name: "empty", in: names{"", "Lee", ""}, bad: "#/given_name", says: "must not be blank"},
		{name: "spaces", in: names{"Ana", " \u3000 ", ""}, bad: "#/family_name", says: "must not be blank"},
		{name: "zero-width space only", in: names{"\u200b", "Lee", ""}, bad: "#/given_name", says: "must not be blank"},
		{name: "combining mark only", in: names{"Ana", "\u0301", ""}, bad: "#/family_name", says: "must not be blank"},
		{name: "NUL", in: names{"Ana\x00", "Lee", ""}, bad: "#/given_name", says: "NUL (U+0000)"},
		{name: "tab", in: names{"Ana", "Lee\tKim", ""}, bad: "#/family_name", says: "found U+0009 at character 4"},
		{name: "line break", in: names{"Ana", "Lee", "Al\nLee"}, bad: "#/preferred_name", says: "control characters"},
		{name: "delete", in: names{"Ana\x7fLee", "Lee", ""}, bad: "#/given_name", says: "found U+007F"},
		{name: "C1 control", in: names{"Ana", "Lee\u0085Kim", ""}, bad: "#/family_name", says: "found U+0085"},
		{name: "line separator", in: names{"Ana\u2028Lee", "Lee", ""}, bad: "#/given_name", says: "found U+2028"},
		{name: "paragraph separator", in: names{"Ana", "Lee", "Al\u2029Lee"}, bad: "#/preferred_name", says: "found U+2029"},
		{name: "invalid UTF-8", in: names{"Ana\xff", "Lee", ""}, bad: "#/given_name", says: "valid UTF-8"},
		{name: "surrogate encoded in UTF-8", in: names{"Ana", "\xed\xa0\x80Lee", ""}, bad: "#/family_name", says: "valid UTF-8"},
		{name: "replacement character (an unpaired surrogate decoded)", in: names{"Ana", "Lee", "Zo\ufffd"}, bad: "#/preferred_name", says: "U+FFFD"},
		{name: "left-to-right embedding", in: names{"\u202aAna", "Lee", ""}, bad: "#/given_name", says: "found U+202A"},
		{name: "right-to-left embedding", in: names{"Ana", "\u202bLee", ""}, bad: "#/family_name", says: "found U+202B"},
		{name: "pop directional formatting", in: names{"Ana", "Lee", "Al\u202c"}, bad: "#/preferred_name", says: "found U+202C"},
		{name: "left-to-right override", in: names{"Ana\u202dx", "Lee", ""}, bad: "#/given_name", says: "found U+202D"},
		{name: "right-to-left override", in: names{"Ana", "\u202eeeL", ""}, bad: "#/family_name", says: "bidirectional override or isolate"},
		{name: "left-to-right isolate", in: names{"Ana", "Lee", "\u2066Al"}, bad: "#/preferred_name", says: "found U+2066"},
		{name: "right-to-left isolate", in: names{"\u2067Ana", "Lee", ""}, bad: "#/given_name", says: "found U+2067"},
		{name: "first strong isolate", in: names{"Ana", "Lee\u2068", ""}, bad: "#/family_name", says: "found U+2068"},
		{name: "pop directional isolate", in: names{"Ana", "Lee", "Al\u2069x"}, bad: "#/preferred_name", says: "found U+2069"},
		{name: "101 characters", in: names{strings.Repeat("a", 101), "Lee", ""}, bad: "#/given_name", says: "at most 100 characters"},
		{name: "101 emoji", in: names{"Ana", strings.Repeat("🌟", 101), ""}, bad: "#/family_name", says: "at most 100 characters"},
		{name: "101 characters preferred", in: names{"Ana", "Lee", strings.Repeat("é", 101)}, bad: "#/preferred_name", says: "at most 100 characters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := PatronCreate{SchoolID: school, Role: RoleStudent,
				GivenName: tt.in.given, FamilyName: tt.in.family, PreferredName: tt.in.preferred}.Patron()
			if tt.bad == "" {
				if err != nil {
					t.Fatalf("Patron() = %v, want the names accepted", err)
				}
				want := tt.want
				if want == (names{}) {
					want = tt.in
				}
				if diff := cmp.Diff(want, names{p.GivenName, p.FamilyName, p.PreferredName}, cmp.AllowUnexported(names{})); diff != "" {
					t.Errorf("names kept (-want +got):\n%s", diff)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Kind != Unprocessable {
				t.Fatalf("Patron() = %v, want a problem with %s", err, tt.bad)
			}
			if diff := cmp.Diff([]string{tt.bad}, pointersOf(err)); diff != "" {
				t.Fatalf("pointers (-want +got):\n%s\n%v", diff, e.Fields)
			}
			if !strings.Contains(e.Fields[0].Detail, tt.says) {
				t.Errorf("%s: %q, want it to say %q", tt.bad, e.Fields[0].Detail, tt.says)
			}
		})
	}

	// A merge patch is held to the same rule.
	p, err := PatronCreate{SchoolID: school, Role: RoleStudent, GivenName: "Ana", FamilyName: "Lee"}.Patron()
	if err != nil {
		t.Fatal(err)
	}
	for value, pointer := range map[string]string{"Smith (Jones) 2nd": "", "Lee\u202e": "#/family_name", "Lee\x00": "#/family_name"} {
		_, err := PatronPatch{FamilyName: &value}.Apply(p)
		if got := strings.Join(pointersOf(err), ","); got != pointer {
			t.Errorf("Apply(family_name %q) blames %q, want %q (%v)", value, got, pointer, err)
		}
	}
}
