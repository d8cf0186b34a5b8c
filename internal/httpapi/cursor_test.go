package httpapi_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/rapport"
)

// TestCursorsAreOpaque: a cursor holds nothing a proxy's log could show (the patron list by name
// is ordered by names), and one that was changed, or that another list or district gave out,
// is a 400 at #/query/cursor, on every list, search included.
func TestCursorsAreOpaque(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Elsewhere High")
	school := tenant.Schools[0]
	for _, name := range [][2]string{{"Zoë", "Nguyễn-Okafor"}, {"Quentin", "Abernathy"}, {"Maya", "Brightwater"}} {
		env.NewPatron(school, name[0], name[1])
	}
	env.NewPatron(other.Schools[0], "Eve", "Elsewhere")
	token := env.Token(tenant, []rapport.Scope{rapport.ScopePatronsRead})
	outsider := env.Token(other, []rapport.Scope{rapport.ScopePatronsRead})

	cursorOf := func(path string) string {
		t.Helper()
		var list api.PatronList
		mustGet(t, env, token, path, &list)
		if list.NextCursor == nil {
			t.Fatalf("GET %s gave no next_cursor", path)
		}
		return *list.NextCursor
	}
	byName := cursorOf("/v1/patrons?limit=2")
	byUpdate := cursorOf("/v1/patrons?limit=2&updated_since=2000-01-01T00:00:00Z")
	raw, _ := base64.RawURLEncoding.DecodeString(byName)
	for _, secret := range []string{"Abernathy", "Brightwater", "Quentin", "Maya"} {
		if strings.Contains(byName, secret) || strings.Contains(string(raw), secret) {
			t.Errorf("the cursor %s shows %q", byName, secret)
		}
	}
	var page2 api.PatronList
	mustGet(t, env, token, "/v1/patrons?limit=2&cursor="+byName, &page2)
	if len(page2.Data) != 1 || page2.Data[0].FamilyName != "Nguyễn-Okafor" {
		t.Errorf("the page after the cursor = %v, want Zoë", patronNames(page2))
	}

	refused := func(what, token, path string) {
		t.Helper()
		res := env.Call(http.MethodGet, path, token, nil)
		if res.Status != http.StatusBadRequest || !slices.Equal(res.Pointers(t), []string{"#/query/cursor"}) {
			t.Errorf("%s: GET %s = %d %s; want 400 at #/query/cursor", what, path, res.Status, res.Body)
		}
	}
	flip := func(c string, i int) string {
		b := []byte(c)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	for i := range byName { // each character changed, one at a time
		refused(fmt.Sprintf("changed at %d", i), token, "/v1/patrons?limit=2&cursor="+url.QueryEscape(flip(byName, i)))
	}
	refused("cut short", token, "/v1/patrons?limit=2&cursor="+byName[:len(byName)-3])
	refused("made up", token, "/v1/patrons?cursor=eyJmYW1pbHkiOiJBIn0")
	refused("another district's", outsider, "/v1/patrons?limit=2&cursor="+byName)
	refused("of the other order", token, "/v1/patrons?limit=2&cursor="+byUpdate)
	refused("of the name order, by update", token, "/v1/patrons?limit=2&updated_since=2000-01-01T00:00:00Z&cursor="+byName)
	var schools api.SchoolList
	mustGet(t, env, env.Token(tenant, nil), "/v1/schools?limit=1", &schools)
	if schools.NextCursor == nil {
		t.Fatal("GET /v1/schools?limit=1 gave no next_cursor")
	}
	refused("of another list", token, "/v1/patrons?cursor="+*schools.NextCursor)
	for _, c := range []string{byName, flip(byName, 5), "nonsense", byUpdate} {
		refused("with a search", token, "/v1/patrons?q=maya&cursor="+url.QueryEscape(c))
	}
}
