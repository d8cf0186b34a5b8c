package rapport

import (
	"testing"

	"github.com/google/uuid"
)

func TestRevealsThePatron(t *testing.T) {
	id := uuid.MustParse("01934f6e-5a7b-7c3d-9e2f-0a1b2c3d4e5f")
	cases := []struct {
		patron Patron
		text   string
		want   string // what the text reveals; "" for nothing
	}{
		{Patron{GivenName: "Zoë", FamilyName: "Okafor"}, "zoe wants manga", "given name"},
		{Patron{GivenName: "Zoë", FamilyName: "Okafor"}, "ZOË's list", "given name"},
		{Patron{GivenName: "Zoë", FamilyName: "Okafor"}, "Zoology books", ""},
		{Patron{GivenName: "Zoë", FamilyName: "Okafor"}, "the okafors", ""}, // another word
		{Patron{GivenName: "Mary Ann", FamilyName: "Li"}, "Annual report", ""},
		{Patron{GivenName: "Mary Ann", FamilyName: "Li"}, "Library hours", ""},
		{Patron{GivenName: "Mary Ann", FamilyName: "Li"}, "Ann asked", "given name"},
		{Patron{GivenName: "Mary Ann", FamilyName: "Li"}, "Ms. Li's class", "family name"},
		{Patron{GivenName: "Omar", FamilyName: "Al-Sayed / الصيد"}, "al sayed asked", "family name"},
		{Patron{GivenName: "Omar", FamilyName: "Al-Sayed / الصيد"}, "طلب الصيد كتبا", "family name"},
		{Patron{GivenName: "Omar", FamilyName: "Al-Sayed / الصيد"}, "al-sayyid", ""},
		{Patron{GivenName: "小明", FamilyName: "王"}, "王小明同学的建议", "given name"},
		{Patron{GivenName: "明", FamilyName: "王"}, "王明同学的建议", "name"},
		{Patron{GivenName: "明", FamilyName: "王"}, "明天开门", ""}, // one character alone is too common to refuse
		{Patron{GivenName: "Дмитрий", FamilyName: "Орлов"}, "ДМИТРИЙ просил", "given name"},
		{Patron{GivenName: "Jennifer", FamilyName: "8. Lee"}, "8. lee", "family name"},
		{Patron{GivenName: "X Æ A-12", FamilyName: "Musk"}, "x æ a-12", "given name"},
		{Patron{GivenName: "Sam", FamilyName: "Ode", Barcode: "12"}, "120 new books", ""},
		{Patron{GivenName: "Sam", FamilyName: "Ode", Barcode: "12"}, "card 12 lost", "barcode"},
		{Patron{GivenName: "Sam", FamilyName: "Ode", Email: "reader42@example.org"}, "mail Reader42@Example.org", "e-mail address"},
		{Patron{GivenName: "Sam", FamilyName: "Ode", Email: "sode77@example.org"}, "from sode77", "e-mail address"},
		{Patron{GivenName: "Sam", FamilyName: "Ode", SISID: "S-900"}, "s-900", "sis_id"},
		{Patron{GivenName: "Sam", FamilyName: "Ode", ID: id}, "see " + id.String(), "id"},
		{Patron{GivenName: "Sam", FamilyName: "Ode", PreferredName: "Sammy"}, "sammy's idea", "preferred name"},
		{Patron{GivenName: "Sam", FamilyName: "Ode"}, "Samuel's idea", ""},
	}
	for _, c := range cases {
		got, ok := reveals(c.text, c.patron)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("reveals(%q, %s %s) = %q, %v; want %q", c.text, c.patron.GivenName, c.patron.FamilyName, got, ok, c.want)
		}
	}
}

func TestPublicTextRefusesBidiControls(t *testing.T) {
	for _, s := range []string{"More manga\u202Eagnam", "Quiet \u2066space\u2069"} {
		var p Problems
		checkPublicLine(&p, "#/public_summary", s, 500)
		if p.Err() == nil {
			t.Errorf("checkPublicLine(%q) passed; want a problem", s)
		}
	}
	var p Problems
	checkPublicText(&p, "#/public_decision", "Line one\n\tLine two, with an Arabic mark \u200F", 4000)
	if err := p.Err(); err != nil {
		t.Errorf("checkPublicText refused newlines, tabs and an implicit direction mark: %v", err)
	}
}
