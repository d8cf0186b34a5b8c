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

// TestFoldName checks how search folds names (fold_name, 000009): case and accents of every
// script go, letters that keyboards mix up are one, apostrophes and periods join, and every
// other punctuation mark, symbol and emoji separates words, digits staying. A CJK name is also
// a word with the family name run into the given name.
func TestFoldName(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	for _, tt := range []struct{ name, want string }{
		{"Zoë Okafor-Smith", "zoe okafor smith"},
		{"O'Brien", "obrien"},
		{"O’Brien", "obrien"},
		{"O´Brien", "obrien"},
		{"Kaʻiulani", "kaiulani"},
		{"Jennifer 8. Lee", "jennifer 8 lee"},
		{"X Æ A-12", "x ae a 12"},
		{"Smith (Jones)", "smith jones"},
		{"Smith-Jones 2nd", "smith jones 2nd"},
		{"Marie, Jr.", "marie jr"},
		{"Al-Sayed / الصيد", "al sayed الصيد"},
		{"Zoë 🌟 👩🏽‍🚀 Okafor", "zoe okafor"},
		{"🦋", ""},
		{"Nguyễn Thị Minh Khai", "nguyen thi minh khai"},
		{"Đặng", "dang"},
		{"Søren Łukasz Straße", "soren lukasz strasse"},
		{"İlkay Gündoğan", "ilkay gundogan"},
		{"Дмитрий Ёлкин", "дмитрии елкин"},
		{"ΟΔΥΣΣΕΑΣ", "οδυσσεασ"},
		{"Οδυσσέας", "οδυσσεασ"},
		{"مُحَمَّد", "محمد"},
		{"إبراهيم أحمد", "ابراهيم احمد"},
		{"فاطمة", "فاطمه"},
		{"علی", "علي"},
		{"محمد\u200cرضا", "محمد رضا"},
		{"שָׂרָה", "שרה"},
		{"प्रिया शर्मा", "प्रिया शर्मा"},
		{"王小明", "王小明"},
		{"山田\u3000太郎", "山田 太郎"},
		{"サクラ", "さくら"},
		{"ｻｸﾗ", "さくら"},
		{"佐々木", "佐々木"},
		{"김민준", "김민준"},
		{"ＡＢＣ Ⅲ", "abc iii"},
		{"  Smith  ,  Jones  ", "smith jones"},
	} {
		var got string
		if err := conn.QueryRow(ctx, `SELECT fold_name($1)`, tt.name).Scan(&got); err != nil {
			t.Fatalf("fold_name(%q): %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("fold_name(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
	for _, tt := range []struct{ given, family, preferred, want string }{
		{"Zoë", "Okafor-Smith", "Zo", "zoe okafor smith zo"},
		{"小明", "王", "", "小明 王 王小明"},
		{"민준", "김", "Minjun", "민준 김 minjun 김민준"},
		{"さくら", "佐々木", "サク", "さくら 佐々木 さく 佐々木さくら 佐々木さく"},
		{"Xiaoming", "王", "", "xiaoming 王"},
		{"🦋", "Adeyemi", "", "adeyemi"},
	} {
		var got string
		if err := conn.QueryRow(ctx, `SELECT patron_search_name($1, $2, nullif($3, ''))`, tt.given, tt.family, tt.preferred).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("patron_search_name(%q, %q, %q) = %q, want %q", tt.given, tt.family, tt.preferred, got, tt.want)
		}
	}
}
