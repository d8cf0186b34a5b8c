//go:build faults

package main

// The fault tests prove that a create sent with an Idempotency-Key happens exactly once when
// PostgreSQL or the server dies, or the server freezes, at any instant. Clients retry every
// create with its key and body until they get a 2xx; afterwards the database holds each patron
// once, every patron a client was told of exists, and the change feed has one created event for
// each. A 409 (the key's first request still running) never lasts longer than the request timeout.
//
// Each test starts a PostgreSQL cluster of its own (scripts/localpg on a free port, in a folder
// under /var/tmp that the postgres user can enter), builds the server and runs it as a child
// process, so that it can be killed. `make faults` runs them; `make test` does not (build tag).

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/internal/apitest"
)

const (
	faultClients         = 8
	faultWritesPerClient = 40
	faultRequestTimeout  = 5 * time.Second
	// faultConflictMargin is how much longer than the request timeout a run of 409s may last:
	// the time a timed-out request's transaction takes to end, and the clients' back-off.
	faultConflictMargin = 2 * time.Second
	// faultDeadline bounds the workload; a key not resolved by then is a failure.
	faultDeadline = 3 * time.Minute
	// faultFreezeClientTimeout is how long a client waits for an answer before it moves to the
	// other server when one freezes: well under the request timeout, so that the clients reach
	// the other server while the frozen one's transactions still hold their keys.
	faultFreezeClientTimeout = 2 * time.Second
	// faultFreezeMargin is how much longer than the request timeout after a freeze the frozen
	// server's transactions may still hold the change feed back: PostgreSQL's timer, the end of
	// their backends, and a reader's polling.
	faultFreezeMargin = 3 * time.Second
)

// TestFaultsPostgresCrash crashes PostgreSQL four times while the clients write (an immediate stop:
// no checkpoint, every connection cut), and starts it again a second later.
func TestFaultsPostgresCrash(t *testing.T) {
	h := newFaultHarness(t)
	h.workload(t, faultWorkload{family: "Crashpg", faults: 4, what: "crash PostgreSQL", fault: func() error {
		if _, err := h.localpg("crash"); err != nil {
			return err
		}
		time.Sleep(time.Second)
		_, err := h.localpg("start")
		return err
	}})
}

// TestFaultsServerKill kills the server with SIGKILL five times while the clients write, and
// starts a new one on the same address half a second later.
func TestFaultsServerKill(t *testing.T) {
	h := newFaultHarness(t)
	h.workload(t, faultWorkload{family: "Killsrv", faults: 5, what: "kill the server", fault: func() error {
		if err := h.srv.kill(); err != nil {
			return err
		}
		time.Sleep(500 * time.Millisecond)
		return h.srv.start()
	}})
}

// TestFaultsServerFreeze freezes the server (SIGSTOP) halfway through the clients' writes, as a
// stalled host or a long pause would: its connections stay up and its transactions stay open,
// holding their Idempotency-Keys and holding back the change feed. A second server on the same
// database starts as the clients begin; each client, its request unanswered, retries the same
// key and body there. PostgreSQL ends the frozen server's transactions once they have been idle
// for the request timeout (idle_in_transaction_session_timeout), so no key answers 409 for
// longer than that, and a write committed through the second server shows in the change feed
// within it. The frozen server is continued and stopped once the clients are done, before the
// checks.
func TestFaultsServerFreeze(t *testing.T) {
	h := newFaultHarness(t)
	a, b := h.srv, h.newServer(t)
	bStarted := make(chan error, 1)
	go func() { bStarted <- b.start() }()
	var watch *faultFreezeWatch
	h.workload(t, faultWorkload{
		family: "Freezesrv", faults: 1, what: "freeze server A",
		failover: b, clientTimeout: faultFreezeClientTimeout,
		fault: func() error {
			if err := <-bStarted; err != nil {
				return fmt.Errorf("server B: %w", err)
			}
			if err := a.pause(); err != nil {
				return err
			}
			watch = h.watchFreeze(b)
			return nil
		},
		clientsDone: func() {
			if watch != nil {
				watch.check(t)
				t.Logf("freeze: server A continued and stopped %.1f s after it, the clients done", time.Since(watch.frozeAt).Seconds())
			}
			if err := a.resume(); err != nil {
				t.Error(err)
			}
			if err := a.stop(); err != nil {
				t.Error(err)
			}
		},
	})
}

// faultHarness is one test's cluster, server and demo credentials.
type faultHarness struct {
	t        *testing.T
	work     string   // the server binary and its log
	pgDir    string   // the cluster's data folder, under /var/tmp
	pgEnv    []string // the environment scripts/localpg runs with
	script   string   // scripts/localpg
	dbURL    string   // the cluster's superuser URL: migrations, and the checks
	appURL   string   // the URL of the role the server runs as (rapport_app: rows only)
	bin      string   // the server binary
	log      *os.File // the servers' log, one for all of them
	base     string   // http://127.0.0.1:port
	srv      *faultServer
	token    string
	schoolID string
}

// newFaultHarness starts a cluster, builds and seeds, serves, and gets a token and a school.
// As with `make run`, migrations run as the owner of the tables and the server as rapport_app.
// Everything it starts is stopped and removed when the test ends, however it ends.
func newFaultHarness(t *testing.T) *faultHarness {
	t.Helper()
	if testing.Short() {
		t.Skip("fault tests start a cluster and a server of their own")
	}
	h := &faultHarness{t: t}
	var err error
	if h.script, err = filepath.Abs("../../scripts/localpg"); err != nil {
		t.Fatal(err)
	}
	if h.work, err = os.MkdirTemp("", "rapport-faults-work-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			os.Remove(filepath.Join(h.work, "rapport"))
			t.Logf("the server's log is kept in %s", h.work)
			return
		}
		os.RemoveAll(h.work)
	})

	// The cluster's folder must be reachable by the postgres user when we are root (localpg runs
	// the server as that user); /var/tmp is world-traversable, a mode-700 temp folder is not.
	pgRoot, err := os.MkdirTemp("/var/tmp", "rapport-faults-pg-")
	if err != nil {
		t.Fatal(err)
	}
	h.pgDir = filepath.Join(pgRoot, "pg")
	port := faultFreePort(t)
	h.pgEnv = append(os.Environ(), "RAPPORT_PG_PORT="+strconv.Itoa(port), "RAPPORT_PG_DIR="+h.pgDir, "RAPPORT_PG_DB=rapport")
	t.Cleanup(func() {
		if _, err := h.localpg("stop"); err != nil {
			t.Errorf("stop the cluster: %v", err)
		}
		if t.Failed() {
			if log, err := os.ReadFile(filepath.Join(pgRoot, "postgresql.log")); err == nil {
				t.Logf("PostgreSQL's log, last lines:\n%s", faultTail(log, 30))
			}
		}
		os.RemoveAll(pgRoot)
	})
	if h.dbURL, err = h.localpg("start"); err != nil {
		t.Fatal(err)
	}
	h.checkOwnCluster(t)
	if h.appURL, err = h.localpg("app-url"); err != nil {
		t.Fatal(err)
	}

	h.bin = filepath.Join(h.work, "rapport")
	if out, err := exec.Command("go", "build", "-o", h.bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	seed := exec.Command(h.bin, "seed")
	seed.Env = []string{"PATH=" + os.Getenv("PATH"), "DATABASE_URL=" + h.appURL, "RAPPORT_MIGRATE_DATABASE_URL=" + h.dbURL}
	if out, err := seed.CombinedOutput(); err != nil {
		t.Fatalf("rapport seed: %v\n%s", err, out)
	}

	if h.log, err = os.OpenFile(filepath.Join(h.work, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // after the servers' own (Cleanup runs last in, first out): they are gone
		h.log.Close()
		if t.Failed() {
			if log, err := os.ReadFile(h.log.Name()); err == nil {
				t.Logf("the server's log, last lines:\n%s", faultTail(log, 30))
			}
		}
	})
	h.srv = h.newServer(t)
	h.base = h.srv.base
	if err := h.srv.start(); err != nil {
		t.Fatal(err)
	}

	h.token = h.getToken(t)
	req, _ := http.NewRequest(http.MethodGet, h.base+"/v1/schools", nil)
	req.Header.Set("Authorization", "Bearer "+h.token)
	res := h.send(t, req)
	var schools struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(res.Body, &schools); err != nil || res.Status != http.StatusOK || len(schools.Data) == 0 {
		t.Fatalf("GET /v1/schools = %d %s; want the demo district's schools", res.Status, res.Body)
	}
	h.schoolID = schools.Data[0].ID
	return h
}

// newServer returns a server, not yet started, on an address of its own, on the test's
// database, writing to the test's server log. However the test ends, it is continued if it is
// frozen, and killed.
func (h *faultHarness) newServer(t *testing.T) *faultServer {
	t.Helper()
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(faultFreePort(t)))
	s := &faultServer{bin: h.bin, base: "http://" + addr, log: h.log, env: []string{
		"PATH=" + os.Getenv("PATH"),
		"DATABASE_URL=" + h.appURL,
		"RAPPORT_MIGRATE_DATABASE_URL=" + h.dbURL,
		"RAPPORT_ADDR=" + addr,
		"RAPPORT_LOG_FORMAT=json",
		"RAPPORT_REQUEST_TIMEOUT=" + faultRequestTimeout.String(),
		"RAPPORT_RATE_LIMIT=100000",
		"RAPPORT_RATE_BURST=100000",
		"RAPPORT_ANON_RATE_LIMIT=100000",
		"RAPPORT_ANON_RATE_BURST=100000",
	}}
	t.Cleanup(func() {
		if err := s.resume(); err != nil {
			t.Errorf("continue the server on %s: %v", addr, err)
		}
		if err := s.kill(); err != nil {
			t.Errorf("stop the server on %s: %v", addr, err)
		}
	})
	return s
}

// localpg runs scripts/localpg on this test's cluster and returns what it printed on stdout.
func (h *faultHarness) localpg(command string) (string, error) {
	cmd := exec.Command(h.script, command)
	cmd.Env = h.pgEnv
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("scripts/localpg %s: %v: %s", command, err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(out)), nil
}

// checkOwnCluster stops the test unless the cluster answering is the one in its own folder
// (scripts/localpg refuses another folder's cluster on the port too; this says so in the test).
func (h *faultHarness) checkOwnCluster(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, h.dbURL)
	if err != nil {
		t.Fatalf("connect to %s: %v", h.dbURL, err)
	}
	defer conn.Close(ctx)
	var dir string
	if err := conn.QueryRow(ctx, `SHOW data_directory`).Scan(&dir); err != nil {
		t.Fatal(err)
	}
	if dir != h.pgDir {
		t.Fatalf("the cluster on %s keeps its data in %s, not in this test's %s: another cluster holds the port", h.dbURL, dir, h.pgDir)
	}
}

// send makes one request from the test's goroutine and checks the answer against the spec.
func (h *faultHarness) send(t *testing.T, req *http.Request) *apitest.Response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	out := &apitest.Response{Status: res.StatusCode, Header: res.Header, Body: body}
	apitest.CheckResponse(t, req, out)
	return out
}

func (h *faultHarness) getToken(t *testing.T) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, h.base+"/v1/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth("demo", "demo-secret")
	res := h.send(t, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(res.Body, &tok); err != nil || res.Status != http.StatusOK {
		t.Fatalf("token for demo: %d %s", res.Status, res.Body)
	}
	return tok.AccessToken
}

// faultKey is what one create, retried under one Idempotency-Key, came to.
type faultKey struct {
	key, given, family string
	body               []byte

	resolved    bool          // a 2xx came
	status      int           // its status
	id          string        // the patron it named
	replayed    bool          // an answer carried Idempotency-Replayed: true
	attempts    int           // requests sent
	transport   int           // answers that never came (refused, reset, timed out)
	conflicts   int           // 409s
	throttled   int           // 429s
	unavailable map[int]int   // 5xx, by status
	unexpected  []string      // any other answer
	longest409  time.Duration // the longest run of consecutive 409s, first sent to last answered
}

// faultWorkload is what the clients of a workload meet, and how they meet it.
type faultWorkload struct {
	family string // every patron's family name is family and a letter for its client
	faults int    // how many times fault is called
	what   string // what fault does, for the log
	fault  func() error
	// failover is a second server: a client moves to it for good when a request to the first
	// gets no answer, as a load balancer would, and the change feed is read through it. Nil:
	// the clients retry the one server.
	failover *faultServer
	// clientTimeout is how long a client waits for an answer. Defaults to twice the request timeout.
	clientTimeout time.Duration
	// clientsDone, if set, runs once the clients have finished and the faults are over, before
	// the checks.
	clientsDone func()
}

// workload runs the clients, calls w.fault w.faults times as the acknowledged writes pass even
// fractions of the total, and then checks the database and the change feed.
//
// The family names differ by client so that the clients' writes do not queue for one another on
// a shared word of the name dictionary, and the faults find several transactions in flight.
func (h *faultHarness) workload(t *testing.T, w faultWorkload) {
	t.Helper()
	total := faultClients * faultWritesPerClient
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	keys := make([][]*faultKey, faultClients)
	for c := range keys {
		keys[c] = make([]*faultKey, faultWritesPerClient)
		for i := range keys[c] {
			k := &faultKey{key: fmt.Sprintf("faults-%s-%d-%d", run, c, i), given: faultName(c, i), family: w.family + faultLetter(c)}
			k.body, _ = json.Marshal(map[string]string{
				"school_id": h.schoolID, "role": "student", "given_name": k.given, "family_name": k.family,
			})
			keys[c][i] = k
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), faultDeadline)
	defer cancel()
	var acked atomic.Int64
	start := time.Now()

	// The faults: each once the acknowledged writes pass k/(w.faults+1) of the total, so that
	// every one lands while the clients are writing.
	faultErr := make(chan error, 1)
	var faultLog []string
	go func() {
		defer close(faultErr)
		for k := 1; k <= w.faults; k++ {
			at := int64(total * k / (w.faults + 1))
			for acked.Load() < at {
				if ctx.Err() != nil {
					faultErr <- fmt.Errorf("fault %d of %d: the clients stopped at %d writes", k, w.faults, acked.Load())
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
			before, began := acked.Load(), time.Now()
			if err := w.fault(); err != nil {
				faultErr <- fmt.Errorf("fault %d of %d (%s): %w", k, w.faults, w.what, err)
				cancel() // the clients would wait for a server or a cluster that will not come back
				return
			}
			faultLog = append(faultLog, fmt.Sprintf("%s at %d/%d writes (%.1f s), took %.1f s",
				w.what, before, total, began.Sub(start).Seconds(), time.Since(began).Seconds()))
		}
	}()

	client := &http.Client{Timeout: cmp.Or(w.clientTimeout, 2*faultRequestTimeout)}
	servers := []*faultServer{h.srv}
	if w.failover != nil {
		servers = append(servers, w.failover)
	}
	var wg sync.WaitGroup
	for c := range keys {
		wg.Go(func() {
			route := &faultRoute{base: h.base}
			if w.failover != nil {
				route.failover = w.failover.base
			}
			for _, k := range keys[c] {
				h.create(ctx, client, route, k)
				if !k.resolved {
					return
				}
				acked.Add(1)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	cancel()
	if err := <-faultErr; err != nil {
		t.Error(err)
	}
	for _, f := range faultLog {
		t.Logf("fault: %s", f)
	}
	if w.clientsDone != nil {
		w.clientsDone()
	}

	// What the clients saw.
	var writes, attempts, transport, conflicts, throttled, replays, unexpected int
	unavailable := map[int]int{}
	var longest time.Duration
	acks := map[string]*faultKey{} // by patron id
	for _, ck := range keys {
		for _, k := range ck {
			attempts += k.attempts
			transport += k.transport
			conflicts += k.conflicts
			throttled += k.throttled
			for status, n := range k.unavailable {
				unavailable[status] += n
			}
			unexpected += len(k.unexpected)
			longest = max(longest, k.longest409)
			if k.replayed {
				replays++
			}
			for _, u := range k.unexpected {
				t.Errorf("key %s: unexpected answer %s", k.key, u)
			}
			if !k.resolved {
				t.Errorf("key %s (%s %s) never got a 2xx: %d attempts", k.key, k.given, k.family, k.attempts)
				continue
			}
			writes++
			if k.id != "" {
				acks[k.id] = k
			}
			if k.longest409 > faultRequestTimeout+faultConflictMargin {
				t.Errorf("key %s answered 409 for %s in a row; a claim must not outlive the request timeout (%s)",
					k.key, k.longest409.Round(time.Millisecond), faultRequestTimeout)
			}
		}
	}

	// What the database holds: each key's patron once, and the acknowledged id.
	dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
	defer dcancel()
	conn, err := pgx.Connect(dctx, h.dbURL)
	if err != nil {
		t.Fatalf("connect to the database: %v", err)
	}
	defer conn.Close(dctx)
	byName := map[string][]string{} // "given family" → patron ids
	rows, err := conn.Query(dctx, `SELECT id::text, given_name || ' ' || family_name FROM patrons WHERE family_name LIKE $1`, w.family+"%")
	if err != nil {
		t.Fatalf("read the patrons: %v", err)
	}
	stored := 0
	for rows.Next() {
		var id, name string
		if err := rows.Scan(&id, &name); err != nil {
			t.Fatal(err)
		}
		byName[name] = append(byName[name], id)
		stored++
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read the patrons: %v", err)
	}
	ours := map[string]bool{} // patron ids of this workload, as stored
	for _, ids := range byName {
		for _, id := range ids {
			ours[id] = true
		}
	}
	duplicates, lost := 0, 0
	for _, ck := range keys {
		for _, k := range ck {
			ids := byName[k.given+" "+k.family]
			if len(ids) > 1 {
				duplicates += len(ids) - 1
				t.Errorf("key %s wrote %s %s %d times: patrons %v", k.key, k.given, k.family, len(ids), ids)
			}
			if !k.resolved {
				continue
			}
			switch {
			case len(ids) == 0:
				lost++
				t.Errorf("key %s was acknowledged (%d, patron %q) but %s %s is not in the database", k.key, k.status, k.id, k.given, k.family)
			case k.id != "" && !slices.Contains(ids, k.id):
				lost++
				t.Errorf("key %s was acknowledged with patron %s, which is not in the database (%s %s is %v)", k.key, k.id, k.given, k.family, ids)
			}
		}
	}
	if stored != total {
		t.Errorf("the database holds %d patrons named %s…, want %d (one a key)", stored, w.family, total)
	}

	// The change feed, in its table: one created event for each of this workload's patrons, and
	// no event for a patron that is not there.
	created := map[string]int{}
	rows, err = conn.Query(dctx, `SELECT resource_id::text, event FROM changes WHERE resource = 'patron'`)
	if err != nil {
		t.Fatalf("read the change feed: %v", err)
	}
	tableEvents := 0
	for rows.Next() {
		var id, event string
		if err := rows.Scan(&id, &event); err != nil {
			t.Fatal(err)
		}
		if !ours[id] {
			continue
		}
		tableEvents++
		if event == "created" {
			created[id]++
		} else {
			t.Errorf("change feed: patron %s has a %q event; the workload only creates", id, event)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("read the change feed: %v", err)
	}
	var orphans int
	if err := conn.QueryRow(dctx, `SELECT count(*) FROM changes c WHERE resource = 'patron'
		AND NOT EXISTS (SELECT 1 FROM patrons p WHERE p.id = c.resource_id)`).Scan(&orphans); err != nil {
		t.Fatalf("count events of missing patrons: %v", err)
	}
	if orphans != 0 {
		t.Errorf("change feed: %d patron events name a patron that does not exist", orphans)
	}
	for id := range ours {
		if created[id] != 1 {
			t.Errorf("change feed: patron %s has %d created events, want 1", id, created[id])
		}
	}
	for id, k := range acks {
		if created[id] != 1 {
			t.Errorf("change feed: acknowledged patron %s (key %s) has %d created events, want 1", id, k.key, created[id])
		}
	}

	// The change feed as an integration reads it.
	// It is read through the server the clients ended on.
	apiEvents := h.followFeed(t, servers[len(servers)-1].base, ours)
	if apiEvents != len(ours) {
		t.Errorf("GET /v1/changes?types=patron shows %d created events of this workload's patrons, want %d", apiEvents, len(ours))
	}

	starts := 0
	for _, s := range servers {
		starts += s.startCount()
	}
	t.Logf("%d clients × %d creates in %.1f s: writes %d/%d acknowledged, requests %d, retries %d "+
		"(transport errors %d, 409 %d, 429 %d, 5xx %s, other %d), longest 409 run %s, replays %d, "+
		"duplicates %d, lost %d, stored %d, feed events %d in the table, %d through GET /v1/changes, server starts %d",
		faultClients, faultWritesPerClient, elapsed.Seconds(), writes, total, attempts, attempts-writes,
		transport, conflicts, throttled, faultCounts(unavailable), unexpected, longest.Round(time.Millisecond), replays,
		duplicates, lost, stored, tableEvents, apiEvents, starts)
	for _, s := range servers {
		if err := s.stop(); err != nil {
			t.Error(err)
		}
	}
	t.Logf("the server's log (a killed server loses up to its last 200 ms): %s", faultLogSummary(h.srv.log.Name()))
	if len(faultLog) != w.faults {
		t.Errorf("%d of %d faults happened", len(faultLog), w.faults)
	}
	if attempts == writes {
		t.Errorf("no request failed: the faults hit nothing, and the test proves nothing")
	}
}

// faultRoute is the server a client sends to: the first, until a request to it gets no answer,
// and from then on the failover server, if there is one.
type faultRoute struct {
	base, failover string
}

// noAnswer moves the client to the failover server, if it has one to move to.
func (r *faultRoute) noAnswer() {
	if r.failover != "" {
		r.base, r.failover = r.failover, ""
	}
}

// create sends k until it gets a 2xx, ctx ends, or five answers in a row are ones no retry
// will change. A refused connection, a reset, a timeout, a 409, a 429 or a 5xx is retried after
// 50-200 ms with the same key and body; after an answer that never came, on the route's
// failover server.
func (h *faultHarness) create(ctx context.Context, client *http.Client, route *faultRoute, k *faultKey) {
	var runStart time.Time // when the first request of the current run of 409s was sent
	odd := 0
	for ctx.Err() == nil && odd < 5 {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, route.base+"/v1/patrons", bytes.NewReader(k.body))
		req.Header.Set("Authorization", "Bearer "+h.token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", k.key)
		sent := time.Now()
		k.attempts++
		res, err := client.Do(req)
		status := 0
		if err == nil {
			body, rerr := io.ReadAll(res.Body)
			res.Body.Close()
			if rerr != nil {
				err = rerr
			} else {
				status = res.StatusCode
				apitest.CheckResponse(h.t, req, &apitest.Response{Status: status, Header: res.Header, Body: body})
				if res.Header.Get("Idempotency-Replayed") == "true" {
					k.replayed = true
				}
				if status >= 200 && status < 300 {
					var p struct {
						ID string `json:"id"`
					}
					if status != http.StatusNoContent {
						if err := json.Unmarshal(body, &p); err != nil || p.ID == "" {
							k.unexpected = append(k.unexpected, fmt.Sprintf("%d without a patron id: %s", status, body))
						}
					}
					k.resolved, k.status, k.id = true, status, p.ID
					return
				}
				if status != http.StatusConflict && status != http.StatusTooManyRequests && status < 500 {
					k.unexpected = append(k.unexpected, fmt.Sprintf("%d: %s", status, bytes.TrimSpace(body)))
				}
			}
		}
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			k.transport++
			route.noAnswer()
		case status == http.StatusConflict:
			k.conflicts++
			if runStart.IsZero() {
				runStart = sent
			}
			k.longest409 = max(k.longest409, time.Since(runStart))
		case status == http.StatusTooManyRequests:
			k.throttled++
		case status >= 500:
			if k.unavailable == nil {
				k.unavailable = map[int]int{}
			}
			k.unavailable[status]++
		default:
			odd++
		}
		if status != http.StatusConflict {
			runStart = time.Time{}
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Duration(50+rand.IntN(151)) * time.Millisecond):
		}
	}
}

// followFeed reads GET /v1/changes?types=patron through base from the start to its end and
// counts the created events of the given patrons, failing on a second one for any of them. The
// feed shows a change only once every older transaction has ended, so it is read until the
// count stops short no more, for a few seconds at the most.
func (h *faultHarness) followFeed(t *testing.T, base string, ours map[string]bool) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		created, err := h.readFeed(base)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for id, c := range created {
			if !ours[id] {
				continue
			}
			n += c
			if c != 1 {
				t.Errorf("GET /v1/changes: patron %s created %d times, want once", id, c)
			}
		}
		if n >= len(ours) || time.Now().After(deadline) {
			return n
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// readFeed reads GET /v1/changes?types=patron through base from the start to its end, and
// counts the created events of each patron. It checks every answer against the spec, and may
// run outside the test's goroutine.
func (h *faultHarness) readFeed(base string) (map[string]int, error) {
	client := &http.Client{Timeout: 2 * faultRequestTimeout}
	created := map[string]int{}
	cursor := ""
	for {
		u := base + "/v1/changes?types=patron&limit=200"
		if cursor != "" {
			u += "&cursor=" + cursor
		}
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", "Bearer "+h.token)
		res, err := client.Do(req)
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", u, err)
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("GET %s: %w", u, err)
		}
		apitest.CheckResponse(h.t, req, &apitest.Response{Status: res.StatusCode, Header: res.Header, Body: body})
		var page struct {
			Data []struct {
				ID    string `json:"id"`
				Event string `json:"event"`
			} `json:"data"`
			NextCursor string `json:"next_cursor"`
			HasMore    bool   `json:"has_more"`
		}
		if err := json.Unmarshal(body, &page); err != nil || res.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("GET %s = %d %s", u, res.StatusCode, body)
		}
		for _, e := range page.Data {
			if e.Event == "created" {
				created[e.ID]++
			}
		}
		if !page.HasMore {
			return created, nil
		}
		cursor = page.NextCursor
	}
}

// faultServer is the server as a child process: started, killed, and started again.
type faultServer struct {
	bin, base string
	env       []string
	log       *os.File

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	starts int
}

// start runs a new server process and waits until it answers /healthz.
func (s *faultServer) start() error {
	cmd := exec.Command(s.bin, "serve")
	cmd.Env, cmd.Stdout, cmd.Stderr = s.env, s.log, s.log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.starts++
	s.mu.Unlock()

	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("the server stopped as it started: %s (its log is in %s)", cmd.ProcessState, s.log.Name())
		default:
		}
		if res, err := http.Get(s.base + "/healthz"); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return errors.New("the server did not answer /healthz within 30 s")
}

// startCount is how many server processes have been started.
func (s *faultServer) startCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.starts
}

// kill ends the running server with SIGKILL, as a crash would, and waits for it to be gone.
func (s *faultServer) kill() error {
	return s.signal(syscall.SIGKILL, 10*time.Second)
}

// stop ends the running server with SIGTERM, so that it writes out its log, and waits for it
// to be gone.
func (s *faultServer) stop() error {
	return s.signal(syscall.SIGTERM, 30*time.Second)
}

// pause freezes the running server (SIGSTOP), as a stalled host would: its connections, and
// its transactions, stay open, but it does nothing until resume.
func (s *faultServer) pause() error {
	return s.send(syscall.SIGSTOP)
}

// resume continues the server if it is frozen (SIGCONT); a running server carries on.
func (s *faultServer) resume() error {
	return s.send(syscall.SIGCONT)
}

// send signals the running server, if there is one, and leaves it to run.
func (s *faultServer) send(sig syscall.Signal) error {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal the server (%s): %w", sig, err)
	}
	return nil
}

// signal ends the running server with sig, and waits for it to be gone.
func (s *faultServer) signal(sig syscall.Signal, wait time.Duration) error {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal the server (%s): %w", sig, err)
	}
	select {
	case <-exited:
		return nil
	case <-time.After(wait):
		cmd.Process.Kill()
		return fmt.Errorf("the server did not end within %s of %s", wait, sig)
	}
}

// faultFreezeWatch is what a frozen server's transactions hold and for how long, as seen from
// outside it while the clients carry on through another server.
type faultFreezeWatch struct {
	frozeAt time.Time
	done    chan struct{} // closed when the fields below are set
	// early is shortly after the freeze, late once the request timeout has passed.
	early, late faultHeld
	// acked and visible are how long after the freeze a write through the other server was
	// acknowledged, and shown in GET /v1/changes (0: it was not, in good time).
	acked, visible time.Duration
	err            error
}

// faultHeld is what the transactions begun before a freeze still hold, some time after it.
type faultHeld struct {
	after      time.Duration // since the freeze; 0: not measured
	open, idle int           // the servers' transactions begun before the freeze; of them, idle in transaction
	advisory   int           // the advisory locks they hold: Idempotency-Keys
	// For comparison, as the servers' clients carry on: all their backends idle in transaction,
	// and all the advisory locks held.
	idleAll, advisoryAll int
}

// watchFreeze starts watching the frozen server's transactions and, through other, how long
// the change feed is held back. Call check for the outcome.
func (h *faultHarness) watchFreeze(other *faultServer) *faultFreezeWatch {
	w := &faultFreezeWatch{frozeAt: time.Now(), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.err = w.watch(h, other)
	}()
	return w
}

// watch counts what the transactions begun before the freeze hold half a second after it; then
// writes a patron through other and reads the change feed through it until the patron shows
// (the feed shows a change only once every older transaction has ended); and counts again once
// the request timeout has passed. It runs outside the test's goroutine.
func (w *faultFreezeWatch) watch(h *faultHarness, other *faultServer) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, h.dbURL)
	if err != nil {
		return fmt.Errorf("connect to the database: %w", err)
	}
	defer conn.Close(ctx)

	time.Sleep(time.Until(w.frozeAt.Add(500 * time.Millisecond)))
	if w.early, err = faultHeldSince(ctx, conn, w.frozeAt); err != nil {
		return err
	}

	k := &faultKey{key: "faults-freeze-" + strconv.FormatInt(w.frozeAt.UnixNano(), 36), given: "Probe", family: "Freezeprobe"}
	k.body, _ = json.Marshal(map[string]string{
		"school_id": h.schoolID, "role": "student", "given_name": k.given, "family_name": k.family,
	})
	h.create(ctx, &http.Client{Timeout: faultFreezeClientTimeout}, &faultRoute{base: other.base}, k)
	if !k.resolved || k.id == "" {
		return fmt.Errorf("a write through server B (%s %s) was not acknowledged with a patron: %d attempts, %d transport errors, 5xx %s",
			k.given, k.family, k.attempts, k.transport, faultCounts(k.unavailable))
	}
	w.acked = time.Since(w.frozeAt)
	for giveUp := w.frozeAt.Add(faultRequestTimeout + 2*faultFreezeMargin); w.visible == 0 && time.Now().Before(giveUp); {
		created, err := h.readFeed(other.base)
		if err != nil {
			return err
		}
		switch created[k.id] {
		case 0:
			time.Sleep(100 * time.Millisecond)
		case 1:
			w.visible = time.Since(w.frozeAt)
		default:
			return fmt.Errorf("GET /v1/changes: patron %s (%s %s) created %d times, want once", k.id, k.given, k.family, created[k.id])
		}
	}

	time.Sleep(time.Until(w.frozeAt.Add(faultRequestTimeout + time.Second)))
	w.late, err = faultHeldSince(ctx, conn, w.frozeAt)
	return err
}

// check waits for the watch to end and logs what it saw. It fails the test if the transactions
// begun before the freeze outlived the request timeout, or held the change feed back for longer.
func (w *faultFreezeWatch) check(t *testing.T) {
	t.Helper()
	<-w.done
	if w.err != nil {
		t.Errorf("watch the frozen server: %v", w.err)
	}
	for _, held := range []faultHeld{w.early, w.late} {
		if held.after > 0 {
			t.Logf("freeze: %.1f s after it, transactions begun before it: %d open (%d idle in transaction), holding %d advisory locks; "+
				"all the servers' backends: %d idle in transaction, %d advisory locks held",
				held.after.Seconds(), held.open, held.idle, held.advisory, held.idleAll, held.advisoryAll)
		}
	}
	if w.late.after > 0 && (w.late.open > 0 || w.late.advisory > 0) {
		t.Errorf("%s after the freeze, %d transactions begun before it are open, holding %d advisory locks; "+
			"PostgreSQL should have ended them once idle for the request timeout (%s)",
			w.late.after.Round(time.Millisecond), w.late.open, w.late.advisory, faultRequestTimeout)
	}
	if w.acked == 0 {
		return
	}
	bound := faultRequestTimeout + faultFreezeMargin
	t.Logf("freeze: a write through server B acknowledged %.1f s after it, shown in GET /v1/changes %.1f s after it (bound %s)",
		w.acked.Seconds(), w.visible.Seconds(), bound)
	if w.visible == 0 || w.visible > bound {
		t.Errorf("a write through server B acknowledged %.1f s after the freeze was not shown in GET /v1/changes within %s of it; "+
			"the frozen server's transactions held the feed back past the request timeout (%s)", w.acked.Seconds(), bound, faultRequestTimeout)
	}
}

// faultHeldSince counts what the servers' transactions begun before frozeAt hold now.
func faultHeldSince(ctx context.Context, conn *pgx.Conn, frozeAt time.Time) (faultHeld, error) {
	held := faultHeld{after: time.Since(frozeAt)}
	err := conn.QueryRow(ctx, `
		WITH servers AS (SELECT pid, state, xact_start FROM pg_stat_activity WHERE application_name = 'rapport'),
			frozen AS (SELECT pid, state FROM servers WHERE xact_start < $1)
		SELECT (SELECT count(*) FROM frozen),
			(SELECT count(*) FROM frozen WHERE state = 'idle in transaction'),
			(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid IN (SELECT pid FROM frozen)),
			(SELECT count(*) FROM servers WHERE state = 'idle in transaction'),
			(SELECT count(*) FROM pg_locks WHERE locktype = 'advisory')`, frozeAt).
		Scan(&held.open, &held.idle, &held.advisory, &held.idleAll, &held.advisoryAll)
	if err != nil {
		return held, fmt.Errorf("count what the frozen server holds: %w", err)
	}
	return held, nil
}

// faultName is a given name of letters only, unique for client c's write i.
func faultName(c, i int) string {
	return "Pat" + faultLetter(c) + faultLetter(i/26) + faultLetter(i)
}

// faultLetter is a lower-case letter for n: names may not hold digits.
func faultLetter(n int) string {
	return string(rune('a' + n%26))
}

// faultLogSummary counts the server's request lines by status, and its errors by message.
// A killed server loses the request lines it had not yet written out (every 200 ms).
func faultLogSummary(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	statuses, errs := map[int]int{}, map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var line struct {
			Level  string `json:"level"`
			Msg    string `json:"msg"`
			Status int    `json:"status"`
			Err    string `json:"err"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil {
			continue
		}
		if line.Msg == "request" {
			statuses[line.Status]++
		}
		if line.Level == "ERROR" {
			msg := line.Msg
			if line.Err != "" {
				msg += ": " + line.Err
			}
			errs[msg]++
		}
	}
	summary := "requests " + faultCounts(statuses) + "; error lines"
	if len(errs) == 0 {
		return summary + " 0"
	}
	for _, msg := range slices.Sorted(maps.Keys(errs)) {
		summary += fmt.Sprintf("\n  %d × %s", errs[msg], msg)
	}
	return summary
}

// faultCounts writes counts by status as "0" or "12 (503: 10, 500: 2)".
func faultCounts(by map[int]int) string {
	total, parts := 0, []string{}
	for _, status := range slices.Sorted(maps.Keys(by)) {
		total += by[status]
		parts = append(parts, fmt.Sprintf("%d: %d", status, by[status]))
	}
	if total == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}

// faultFreePort returns a TCP port on loopback that nothing listens on.
func faultFreePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// faultTail is the last n lines of b.
func faultTail(b []byte, n int) string {
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
