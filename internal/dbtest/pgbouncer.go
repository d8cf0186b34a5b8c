package dbtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PgBouncer starts PgBouncer in transaction mode in front of the database at databaseURL (one
// of NewDatabase), for the test's lifetime, and returns the URL through it for the server's
// role (AppURL). PgBouncer comes from the system (Debian's pgbouncer; `make test` installs it);
// without it the test fails saying so, or is skipped under -short.
func PgBouncer(t testing.TB, databaseURL string) string {
	t.Helper()
	bin := pgbouncerBinary()
	if bin == "" {
		if testing.Short() {
			t.Skip("pgbouncer is not installed")
		}
		t.Fatal("pgbouncer is not installed: run the tests with `make test`, which installs it, or apt-get install pgbouncer")
	}
	db, err := url.Parse(databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	// PgBouncer will not run as root; it runs as the postgres user then, who must be able to
	// read its files: a folder under /var/tmp rather than the test's own temporary folder.
	dir, err := os.MkdirTemp("/var/tmp", "rapport-pgbouncer-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	name := db.Path[1:]
	ini := fmt.Sprintf(`[databases]
%s = host=%s port=%s dbname=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
max_client_conn = 200
default_pool_size = 8
ignore_startup_parameters = extra_float_digits
logfile = %s
pidfile = %s
`, name, db.Hostname(), db.Port(), name, port, filepath.Join(dir, "users.txt"), filepath.Join(dir, "pgbouncer.log"), filepath.Join(dir, "pgbouncer.pid"))
	files := map[string]string{"pgbouncer.ini": ini, "users.txt": fmt.Sprintf("%q %q\n", AppRole, appPassword)}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := []string{filepath.Join(dir, "pgbouncer.ini")}
	if os.Geteuid() == 0 {
		args = append([]string{"-u", "postgres"}, args...)
		if u, err := user.Lookup("postgres"); err == nil {
			uid, _ := strconv.Atoi(u.Uid)
			gid, _ := strconv.Atoi(u.Gid)
			_ = os.Chown(dir, uid, gid)
		}
		_ = os.Chmod(dir, 0o755)
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start pgbouncer: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	pooled := *db
	pooled.Host = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	pooled.RawQuery = "sslmode=disable" // PgBouncer takes no session settings when connecting
	through := AppURL(pooled.String())
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		conn, err := pgx.Connect(context.Background(), through)
		if err == nil {
			conn.Close(context.Background())
			return through
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			t.Fatalf("pgbouncer does not answer: %v\n%s", err, log)
		}
	}
}

// pgbouncerBinary returns the path of the pgbouncer program, or "".
func pgbouncerBinary() string {
	if p, err := exec.LookPath("pgbouncer"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/pgbouncer"); err == nil {
		return "/usr/sbin/pgbouncer"
	}
	return ""
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
