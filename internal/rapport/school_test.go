package rapport

import (
	"slices"
	"strings"
	"testing"
)

func pointersOf(err error) []string {
	e, ok := err.(*Error)
	if !ok {
		return nil
	}
	var out []string
	for _, f := range e.Fields {
		out = append(out, f.Pointer)
	}
	return out
}

func TestSchoolCreateNormalize(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		in   SchoolCreate
		want []string // pointers at fault
	}{
		{"minimal", SchoolCreate{Name: "Lincoln High", Slug: "lincoln-high"}, nil},
		{"blank name", SchoolCreate{Name: "  ", Slug: "lincoln-high"}, []string{"#/name"}},
		{"long name", SchoolCreate{Name: strings.Repeat("é", 201), Slug: "lincoln-high"}, []string{"#/name"}},
		{"control character", SchoolCreate{Name: "Lincoln\x07High", Slug: "lincoln-high"}, []string{"#/name"}},
		{"slug with capitals", SchoolCreate{Name: "X", Slug: "Lincoln"}, []string{"#/slug"}},
		{"slug with double hyphen", SchoolCreate{Name: "X", Slug: "lincoln--high"}, []string{"#/slug"}},
		{"unknown time zone", SchoolCreate{Name: "X", Slug: "xyz", TimeZone: "Nowhere/Land"}, []string{"#/time_zone"}},
		{"Local is not a zone", SchoolCreate{Name: "X", Slug: "xyz", TimeZone: "Local"}, []string{"#/time_zone"}},
		{"bad status", SchoolCreate{Name: "X", Slug: "xyz", Status: "closed"}, []string{"#/status"}},
		{"everything wrong", SchoolCreate{Slug: "-"}, []string{"#/name", "#/slug"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			err := in.Normalize()
			if tt.want == nil && err != nil {
				t.Fatalf("Normalize(%+v) = %v, want no error", tt.in, err)
			}
			if tt.want != nil && ErrorKind(err) != Unprocessable {
				t.Fatalf("Normalize(%+v) = %v, want Unprocessable at %v", tt.in, err, tt.want)
			}
			if got := pointersOf(err); !slices.Equal(got, tt.want) {
				t.Errorf("Normalize(%+v) pointers = %v, want %v (%v)", tt.in, got, tt.want, err)
			}
			if err == nil && (in.TimeZone == "" || in.Status == "") {
				t.Errorf("Normalize left defaults unset: %+v", in)
			}
		})
	}
}

func TestChangeApplyTo(t *testing.T) {
	t.Parallel()
	v := "new"
	for _, tt := range []struct {
		name   string
		change Change[string]
		want   string
	}{
		{"absent leaves", Change[string]{}, "old"},
		{"null clears", Change[string]{Set: true}, ""},
		{"value sets", Change[string]{Set: true, Value: &v}, "new"},
	} {
		field := "old"
		tt.change.ApplyTo(&field)
		if field != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, field, tt.want)
		}
	}
}
