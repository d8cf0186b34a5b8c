package rapport

import (
	"slices"
	"testing"

	"github.com/google/uuid"
)

// TestClientCreateKeepsToTheContract: what the CLI sends is held to the API's bounds, so that a
// client it makes can be answered by the API (each scope once, at most 1000 schools).
func TestClientCreateKeepsToTheContract(t *testing.T) {
	in := ClientCreate{Name: "Desk", Scopes: []Scope{ScopePatronsRead, ScopeNotesRead, ScopePatronsRead}}
	if err := in.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if want := []Scope{ScopePatronsRead, ScopeNotesRead}; !slices.Equal(in.Scopes, want) {
		t.Errorf("scopes = %v, want %v: each once, in the order given", in.Scopes, want)
	}

	many := ClientCreate{Name: "Desk", Scopes: []Scope{ScopePatronsRead}, SchoolIDs: make([]uuid.UUID, maxClientSchools+1)}
	for i := range many.SchoolIDs {
		many.SchoolIDs[i] = uuid.New()
	}
	err := many.Validate()
	if e, ok := err.(*Error); !ok || len(e.Fields) != 1 || e.Fields[0].Pointer != "#/school_ids" {
		t.Errorf("Validate with %d schools = %v; want one problem at #/school_ids", len(many.SchoolIDs), err)
	}
	many.SchoolIDs = many.SchoolIDs[:maxClientSchools]
	if err := many.Validate(); err != nil {
		t.Errorf("Validate with %d schools = %v; want none", len(many.SchoolIDs), err)
	}
}
