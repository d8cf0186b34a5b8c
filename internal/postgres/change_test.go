package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportlib/rapport/internal/dbtest"
	"github.com/rapportlib/rapport/internal/postgres"
	"github.com/rapportlib/rapport/internal/rapport"
)

// letters spells n in letters (names hold no digits).
func letters(n int) string {
	s := string(rune('a' + n%26))
	for n /= 26; n > 0; n /= 26 {
		s = string(rune('a'+n%26)) + s
	}
	return s
}

// follow reads the feed from cursor to its end as the principal, adding every event's
// resource id to seen (failing on one seen before), and returns the cursor to resume from.
func follow(t *testing.T, store *postgres.Store, p *rapport.Principal, cursor string, seen map[uuid.UUID]int) string {
	t.Helper()
	for {
		page, err := store.ListChanges(context.Background(), p, rapport.EventFilter{Types: []rapport.ResourceType{rapport.ResourcePatron}},
			rapport.PageRequest{Limit: 200, Cursor: cursor})
		if err != nil {
			t.Fatalf("ListChanges: %v", err)
		}
		for _, e := range page.Items {
			seen[e.ID]++
			if seen[e.ID] > 1 {
				t.Errorf("event of %s seen %d times", e.ID, seen[e.ID])
			}
		}
		cursor = page.NextCursor
		if !page.More {
			return cursor
		}
	}
}

func newDistrict(t *testing.T, store *postgres.Store) (rapport.School, *rapport.Principal) {
	t.Helper()
	ctx := context.Background()
	d, err := store.EnsureDistrict(ctx, uuid.Nil, rapport.DistrictCreate{Name: "Feed District", Slug: "feed-district"})
	if err != nil {
		t.Fatal(err)
	}
	school, err := store.EnsureSchool(ctx, d.ID, rapport.Actor{ClientID: rapport.CLIClientID}, uuid.Nil,
		rapport.SchoolCreate{Name: "Feed High", Slug: "feed-high"})
	if err != nil {
		t.Fatal(err)
	}
	p := &rapport.Principal{ClientID: "reader", Tenant: rapport.TenantScope{DistrictID: d.ID},
		Scopes: []rapport.Scope{rapport.ScopeChangesRead, rapport.ScopePatronsRead}}
	return school, p
}

// TestChangeFeedUnderConcurrentWriters: 10,000 patrons created by 8 concurrent writers while a
// reader follows the feed; the reader sees each exactly once, none skipped.
func TestChangeFeedUnderConcurrentWriters(t *testing.T) {
	t.Parallel()
	store := dbtest.NewStore(t)
	school, reader := newDistrict(t, store)
	scope := reader.Tenant
	const writers, each = 8, 1250
	by := rapport.Actor{ClientID: "writer"}

	created := make(chan uuid.UUID, writers*each)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				p, err := store.CreatePatron(context.Background(), scope, by, rapport.PatronCreate{SchoolID: school.ID, Role: rapport.RoleStudent,
					GivenName: "Writer " + letters(w), FamilyName: "Number " + letters(i)})
				if err != nil {
					t.Errorf("CreatePatron: %v", err)
					return
				}
				created <- p.ID
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	seen := map[uuid.UUID]int{}
	cursor := ""
	for reading := true; reading; {
		select {
		case <-done:
			reading = false
		default:
		}
		cursor = follow(t, store, reader, cursor, seen) // once more after the writers end
	}
	// Other tests' transactions on the same cluster may hold the feed back a moment longer.
	for deadline := time.Now().Add(10 * time.Second); len(seen) < writers*each && time.Now().Before(deadline); {
		cursor = follow(t, store, reader, cursor, seen)
	}
	close(created)
	var missing int
	for id := range created {
		if seen[id] != 1 {
			missing++
		}
	}
	if missing > 0 || len(seen) != writers*each {
		t.Errorf("the reader saw %d events of %d writes; %d writes not seen exactly once", len(seen), writers*each, missing)
	}
}

// TestChangeFeedWaitsForLateCommits: a transaction that began first and commits last is not
// skipped by a reader that read the feed meanwhile.
func TestChangeFeedWaitsForLateCommits(t *testing.T) {
	t.Parallel()
	store := dbtest.NewStore(t)
	school, reader := newDistrict(t, store)
	ctx := context.Background()
	seen := map[uuid.UUID]int{}
	cursor := follow(t, store, reader, "", seen)

	// A slow writer: its transaction has written its change and has not committed.
	slow := uuid.Must(uuid.NewV7())
	tx, err := store.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `
		INSERT INTO changes (district_id, resource, resource_id, school_id, event, at, by_client)
		VALUES ($1, 'patron', $2, $3, 'created', now(), 'slow')`, reader.Tenant.DistrictID, slow, school.ID); err != nil {
		t.Fatal(err)
	}
	// A fast writer commits after it.
	fast, err := store.CreatePatron(ctx, reader.Tenant, rapport.Actor{ClientID: "fast"},
		rapport.PatronCreate{SchoolID: school.ID, Role: rapport.RoleStudent, GivenName: "Fast", FamilyName: "Writer"})
	if err != nil {
		t.Fatal(err)
	}
	cursor = follow(t, store, reader, cursor, seen)
	if seen[fast.ID] != 0 {
		t.Fatalf("the feed showed a change committed after one still running began; the cursor would skip the older one")
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	// Other tests' transactions on the same cluster may hold the feed back a moment longer.
	for deadline := time.Now().Add(10 * time.Second); seen[slow]+seen[fast.ID] < 2 && time.Now().Before(deadline); {
		cursor = follow(t, store, reader, cursor, seen)
	}
	if seen[slow] != 1 || seen[fast.ID] != 1 {
		t.Errorf("after the slow commit: slow seen %d, fast seen %d; want each once", seen[slow], seen[fast.ID])
	}
}

// TestDryRunWritesNothing: a unit of work run as a dry run does every write and check, returns
// its report, and leaves neither the records nor their changes behind; a refusal in it is still
// the refusal.
func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	store := dbtest.NewStore(t)
	school, reader := newDistrict(t, store)
	ctx := context.Background()
	seen := map[uuid.UUID]int{}
	cursor := follow(t, store, reader, "", seen)
	by := rapport.Actor{ClientID: "importer"}
	ins := []rapport.PatronCreate{
		{SchoolID: school.ID, Role: rapport.RoleStudent, GivenName: "Maya", FamilyName: "Lopez", SourcedID: "stu-1"},
		{SchoolID: school.ID, Role: rapport.RoleStudent, GivenName: "Ben", FamilyName: "Adams", SourcedID: "stu-2"},
	}
	report, err := store.CreatePatronsDryRun(ctx, reader.Tenant, by, ins)
	if err != nil || len(report) != 2 || report[1].SourcedID != "stu-2" {
		t.Fatalf("dry run = %v, %v; want a report of two patrons", report, err)
	}
	list, err := store.ListPatrons(ctx, reader.Tenant, rapport.PatronFilter{}, rapport.PageRequest{})
	if err != nil || len(list.Items) != 0 {
		t.Errorf("after the dry run: %v patrons, %v; want none", len(list.Items), err)
	}
	if _, err := store.CreatePatron(ctx, reader.Tenant, by, ins[0]); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); len(seen) < 1 && time.Now().Before(deadline); {
		cursor = follow(t, store, reader, cursor, seen)
	}
	if len(seen) != 1 {
		t.Errorf("the feed holds %d patron events after a dry run and one create, want 1", len(seen))
	}
	// stu-1 is taken now: the dry run refuses as the real one would.
	if _, err := store.CreatePatronsDryRun(ctx, reader.Tenant, by, ins); rapport.ErrorKind(err) != rapport.Conflict {
		t.Errorf("dry run of a taken sourced_id = %v, want a conflict", err)
	}
}
