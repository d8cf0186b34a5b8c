package postgres_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/internal/dbtest"
	"github.com/rapportlib/rapport/internal/postgres"
	"github.com/rapportlib/rapport/internal/rapport"
)

// TestNameDictionary checks that the dictionary of name words that search uses for typos
// follows the patrons: words come with a patron, are counted once per patron, change with a
// rename, and leave with the last patron who has them, erasure included.
func TestNameDictionary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := dbtest.NewDatabase(t)
	store, err := postgres.Open(ctx, url, postgres.Config{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })

	cli := rapport.Actor{ClientID: rapport.CLIClientID}
	d, err := store.EnsureDistrict(ctx, uuid.Nil, rapport.DistrictCreate{Name: "District", Slug: "district-words"})
	if err != nil {
		t.Fatal(err)
	}
	school, err := store.EnsureSchool(ctx, d.ID, cli, uuid.Nil, rapport.SchoolCreate{Name: "Lincoln High", Slug: "lincoln-words"})
	if err != nil {
		t.Fatal(err)
	}
	scope := rapport.TenantScope{DistrictID: d.ID}
	add := func(given, family, preferred string) rapport.Patron {
		t.Helper()
		p, err := store.CreatePatron(ctx, scope, cli, rapport.PatronCreate{SchoolID: school.ID, Role: rapport.RoleStudent,
			GivenName: given, FamilyName: family, PreferredName: preferred})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	dictionary := func() map[string]int {
		t.Helper()
		rows, err := conn.Query(ctx, `SELECT word, patrons FROM patron_name_words WHERE district_id = $1`, d.ID)
		if err != nil {
			t.Fatalf("read the dictionary: %v", err)
		}
		out := map[string]int{}
		for rows.Next() {
			var w string
			var n int
			if err := rows.Scan(&w, &n); err != nil {
				t.Fatal(err)
			}
			out[w] = n
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("read the dictionary: %v", err)
		}
		return out
	}

	zoe := add("Zoë", "Okafor-Smith", "Zo")
	add("John", "Smith", "")
	if diff := cmp.Diff(map[string]int{"zoe": 1, "okafor": 1, "smith": 2, "zo": 1, "john": 1}, dictionary()); diff != "" {
		t.Fatalf("after two patrons (-want +got):\n%s", diff)
	}
	given := "Chloé"
	if _, err := store.UpdatePatron(ctx, scope, cli, zoe.ID, nil, rapport.PatronPatch{GivenName: &given}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"chloe": 1, "okafor": 1, "smith": 2, "zo": 1, "john": 1}, dictionary()); diff != "" {
		t.Errorf("after a rename (-want +got):\n%s", diff)
	}
	if _, err := store.ErasePatron(ctx, scope, cli, zoe.ID, nil); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"smith": 1, "john": 1}, dictionary()); diff != "" {
		t.Errorf("after erasing her, her words must be gone (-want +got):\n%s", diff)
	}
}
