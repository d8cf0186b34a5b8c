// Package dbtest gives each test its own PostgreSQL database, cloned from a template that is
// migrated once per schema version, so that tests commit freely and run in parallel.
//
// The cluster comes from RAPPORT_TEST_DATABASE_URL (set by `make test`, which starts the
// project's own PostgreSQL). Without it, a test that needs a database fails, saying how to get
// one, so that a plain `go test ./...` cannot pass having tested nothing; under `go test -short`
// such tests are skipped instead.
package dbtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/db"
	"github.com/rapportlib/rapport/internal/postgres"
)

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// noDatabase says how to get a database for the tests.
const noDatabase = "RAPPORT_TEST_DATABASE_URL is not set: run the tests with `make test`, which starts " +
	"the project's own PostgreSQL, or set RAPPORT_TEST_DATABASE_URL to a cluster where the tests may " +
	"create databases (or run `go test -short` to skip the tests that need one)"

// clusterURL returns the URL of the test cluster. When it is not set, t fails saying how to get
// one, or is skipped under -short.
func clusterURL(t testing.TB) *url.URL {
	t.Helper()
	raw := os.Getenv("RAPPORT_TEST_DATABASE_URL")
	if raw == "" {
		if testing.Short() {
			t.Skip("RAPPORT_TEST_DATABASE_URL is not set; skipped under -short")
		}
		t.Fatal(noDatabase)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("RAPPORT_TEST_DATABASE_URL: %v", err)
	}
	return u
}

// withDatabase returns u naming another database.
func withDatabase(u *url.URL, name string) string {
	c := *u
	c.Path = "/" + name
	return c.String()
}

// NewDatabase creates an empty, fully migrated database for the test and returns its URL. The
// database is dropped when the test ends; one left behind by a test process that was killed is
// dropped by a later run (sweepAbandoned).
func NewDatabase(t testing.TB) string {
	t.Helper()
	cluster := clusterURL(t)
	templateOnce.Do(func() { templateName, templateErr = ensureTemplate(cluster) })
	if templateErr != nil {
		t.Fatalf("prepare template database: %v", templateErr)
	}
	name := testDatabaseName(time.Now())
	admin := adminConn(t, cluster)
	if _, err := admin.Exec(context.Background(), fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, templateName)); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, withDatabase(cluster, "postgres"))
		if err != nil {
			t.Logf("drop test database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, name)); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
	})
	u := *cluster
	u.Path = "/" + name
	q := u.Query()
	q.Set("synchronous_commit", "off") // a test database need not survive a crash
	u.RawQuery = q.Encode()
	return u.String()
}

// AppRole and appPassword are the role the server runs as, which may read and write rows and
// nothing more (migration 000007), and the password tests give it (a cluster that trusts
// local connections ignores it).
const (
	AppRole     = "rapport_app"
	appPassword = "rapport-app-test"
)

// AppURL returns the URL of the database at databaseURL (one of NewDatabase) for the role the
// server runs as.
func AppURL(databaseURL string) string {
	u, err := url.Parse(databaseURL)
	if err != nil {
		panic(fmt.Sprintf("dbtest.AppURL(%q): %v", databaseURL, err)) // NewDatabase's URLs parse
	}
	u.User = url.UserPassword(AppRole, appPassword)
	return u.String()
}

// NewStore returns a store on a new database of its own, connected as the server's role; see
// NewDatabase and AppURL.
func NewStore(t testing.TB) *postgres.Store {
	t.Helper()
	store, err := postgres.Open(context.Background(), AppURL(NewDatabase(t)), postgres.Config{MaxConns: 8})
	if err != nil {
		t.Fatalf("open test store: %v", err)
	}
	t.Cleanup(store.Close)
	return store
}

func adminConn(t testing.TB, cluster *url.URL) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, withDatabase(cluster, "postgres"))
	if err != nil {
		t.Fatalf("connect to the test cluster: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// ensureTemplate creates, once per schema version, a migrated template database named after a
// hash of the migrations. Test processes of several packages start at once: an advisory lock
// makes one of them build it while the others wait, and the template gets its final name only
// once it is complete.
func ensureTemplate(cluster *url.URL) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	hash, err := migrationsHash()
	if err != nil {
		return "", err
	}
	name := "rapport_template_" + hash
	conn, err := pgx.Connect(ctx, withDatabase(cluster, "postgres"))
	if err != nil {
		return "", fmt.Errorf("connect to the test cluster: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(hashtext('rapport_test_template'))`); err != nil {
		return "", err
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock(hashtext('rapport_test_template'))`)

	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return "", err
	}
	sweepAbandoned(ctx, conn, time.Now())
	if exists {
		dropStaleTemplates(ctx, conn, name)
		return name, appLogin(ctx, conn)
	}
	building := name + "_building"
	if _, err := conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s WITH (FORCE)`, building)); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, building)); err != nil {
		return "", err
	}
	if err := db.Migrate(withDatabase(cluster, building), "up"); err != nil {
		return "", err
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER DATABASE %s RENAME TO %s`, building, name)); err != nil {
		return "", err
	}
	dropStaleTemplates(ctx, conn, name)
	return name, appLogin(ctx, conn)
}

// appLogin lets the server's role, which the migrations make, log in with the tests' password.
func appLogin(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, fmt.Sprintf(`ALTER ROLE %s LOGIN PASSWORD '%s'`, AppRole, appPassword)); err != nil {
		return fmt.Errorf("let %s log in: %w", AppRole, err)
	}
	return nil
}

// dropStaleTemplates removes the templates of earlier schema versions, which would otherwise pile
// up on a developer's cluster with every edit of a migration. Without FORCE: a template that a
// test run of another checkout is cloning right now stays, and goes next time.
func dropStaleTemplates(ctx context.Context, conn *pgx.Conn, current string) {
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'rapport\_template\_%' AND datname <> $1`, current)
	if err != nil {
		return
	}
	stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, name := range stale {
		_, _ = conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s`, pgx.Identifier{name}.Sanitize()))
	}
}

// testDatabaseName names a test's database after the time it is made, so that a later run can
// tell an abandoned one from one in use: test_<unix seconds>_<random>.
func testDatabaseName(now time.Time) string {
	return fmt.Sprintf("test_%d_%s", now.Unix(), randomHex(6))
}

// abandonedAfter is how old a test database must be for a later run to drop it: far longer than
// any test, so that a run of another checkout on the same cluster keeps its databases.
const abandonedAfter = time.Hour

// sweepAbandoned drops the test databases that a killed test process (a timeout, ^C) could not
// drop itself: those made more than abandonedAfter before now. Without FORCE: one still in use
// stays.
func sweepAbandoned(ctx context.Context, conn *pgx.Conn, now time.Time) {
	rows, err := conn.Query(ctx, `
		SELECT datname FROM pg_database
		WHERE CASE WHEN datname ~ '^test_[0-9]{1,18}_[0-9a-f]+$' -- (AND would not guard the cast)
		           THEN split_part(datname, '_', 2)::bigint < $1 END`, now.Add(-abandonedAfter).Unix())
	if err != nil {
		return
	}
	abandoned, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return
	}
	for _, name := range abandoned {
		_, _ = conn.Exec(ctx, fmt.Sprintf(`DROP DATABASE IF EXISTS %s`, pgx.Identifier{name}.Sanitize()))
	}
}

// migrationsHash names the schema: it changes whenever a migration is added or edited.
func migrationsHash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(db.Migrations(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(db.Migrations(), path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
