package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/dbtest"
)

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// call makes a real HTTP request to the running server and checks the answer against the spec.
func call(t *testing.T, req *http.Request) *apitest.Response {
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

func token(t *testing.T, base, id, secret string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, base+"/v1/oauth/token", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(id, secret)
	res := call(t, req)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(res.Body, &tok); err != nil || res.Status != http.StatusOK {
		t.Fatalf("token for %s: %d %s", id, res.Status, res.Body)
	}
	return tok.AccessToken
}

func get(t *testing.T, url, token string) *apitest.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	return call(t, req)
}

// TestRunEndToEnd seeds the demo, serves it on a real port through run, gets a token, lists
// schools, is refused another district's school, and shuts down cleanly.
func TestRunEndToEnd(t *testing.T) {
	t.Parallel()
	addr := freeAddr(t)
	// Migrations run as the owner, the server as the role that reads and writes rows only.
	owner := dbtest.NewDatabase(t)
	vars := env(map[string]string{"DATABASE_URL": dbtest.AppURL(owner), "RAPPORT_MIGRATE_DATABASE_URL": owner,
		"RAPPORT_ADDR": addr, "RAPPORT_LOG_FORMAT": "json"})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var out bytes.Buffer
	if err := run(ctx, []string{"seed"}, vars, &out, io.Discard); err != nil {
		t.Fatalf("seed: %v", err)
	}
	if err := run(ctx, []string{"seed"}, vars, &out, io.Discard); err != nil {
		t.Fatalf("seed a second time: %v", err)
	}

	var logs syncWriter
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, vars, io.Discard, &logs) }()
	base := "http://" + addr
	waitReady(t, base+"/healthz", done)

	demo := token(t, base, "demo", "demo-secret")
	res := get(t, base+"/v1/schools", demo)
	var schools struct {
		Data []struct {
			ID   string `json:"id"`
			Slug string `json:"slug"`
		} `json:"data"`
	}
	if err := json.Unmarshal(res.Body, &schools); err != nil || res.Status != http.StatusOK || len(schools.Data) != 2 {
		t.Fatalf("GET /v1/schools = %d %s; want the demo district's two schools", res.Status, res.Body)
	}
	if res := get(t, base+"/v1/schools/"+schools.Data[0].ID, demo); res.Status != http.StatusOK {
		t.Errorf("the demo client's own school = %d, want 200", res.Status)
	}
	res = get(t, base+"/v1/patrons?q=zoe", demo)
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"given_name":"Zoë"`) {
		t.Errorf("searching the demo for zoe = %d %s; want Zoë", res.Status, res.Body)
	}
	// Seeded twice, the demo interactions are there once: seven in demo-usd, one of them an
	// open referral.
	res = get(t, base+"/v1/interactions?limit=200", demo)
	var interactions struct {
		Data []struct {
			Summary string `json:"summary"`
		} `json:"data"`
	}
	if err := json.Unmarshal(res.Body, &interactions); err != nil || res.Status != http.StatusOK || len(interactions.Data) != 7 {
		t.Errorf("GET /v1/interactions = %d, %d interactions; want the 7 of the demo", res.Status, len(interactions.Data))
	}
	if res := get(t, base+"/v1/referrals", demo); res.Status != http.StatusOK || !strings.Contains(string(res.Body), "Springfield Public Library") {
		t.Errorf("the demo's open referrals = %d %s; want 200 with the Springfield Public Library referral", res.Status, res.Body)
	}
	other := token(t, base, "demo-other", "demo-other-secret")
	if res := get(t, base+"/v1/schools/"+schools.Data[0].ID, other); res.Status != http.StatusNotFound {
		t.Errorf("another district's school = %d, want 404", res.Status)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve returned %v after shutdown, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30 s of shutdown")
	}
	for _, want := range []string{`"msg":"request"`, `"route":"/v1/schools/:school_id"`, `"msg":"stopped"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %s", want)
		}
	}
}

func waitReady(t *testing.T, url string, done chan error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("serve stopped early: %v", err)
		default:
		}
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("the server did not become ready within 30 s")
}

// TestRunRefuses checks that start-up problems end in one clear line, quickly.
func TestRunRefuses(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []string
		vars map[string]string
		want string
	}{
		{"no command", nil, nil, "no command"},
		{"unknown command", []string{"dance"}, nil, `unknown command "dance"`},
		{"no database", []string{"serve"}, nil, "DATABASE_URL is not set"},
		{"unparsable database URL", []string{"serve"}, map[string]string{"DATABASE_URL": "postgres://x:y@host:notaport/db"}, "DATABASE_URL is not a valid PostgreSQL URL"},
		{"unreachable database", []string{"serve"}, map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/rapport?connect_timeout=2"}, "does not answer"},
		{"bad setting", []string{"serve"}, map[string]string{"RAPPORT_RATE_LIMIT": "lots"}, "RAPPORT_RATE_LIMIT must be a positive number"},
		{"seeding production", []string{"seed"}, map[string]string{"RAPPORT_ENV": "production", "DATABASE_URL": "postgres://unused"}, "refusing to seed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := run(context.Background(), tt.args, env(tt.vars), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%v) = %v, want an error saying %q", tt.args, err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("the error spans lines: %q", err)
			}
			if elapsed := time.Since(start); elapsed > 10*time.Second {
				t.Errorf("took %s to refuse", elapsed)
			}
		})
	}
}

func TestRunVersion(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, env(nil), &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "rapport ") {
		t.Errorf("version = %q, %v", out.String(), err)
	}
}

// syncWriter collects the server's log lines, written from many goroutines.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestProductionRefusesDemoSecrets: a server with RAPPORT_ENV=production does not start while a
// demo client still has the secret the README publishes.
func TestProductionRefusesDemoSecrets(t *testing.T) {
	t.Parallel()
	owner := dbtest.NewDatabase(t)
	vars := map[string]string{"DATABASE_URL": dbtest.AppURL(owner), "RAPPORT_MIGRATE_DATABASE_URL": owner, "RAPPORT_ADDR": freeAddr(t)}
	if err := run(context.Background(), []string{"seed"}, env(vars), io.Discard, io.Discard); err != nil {
		t.Fatalf("seed: %v", err)
	}
	vars["RAPPORT_ENV"] = "production"
	err := run(context.Background(), []string{"serve"}, env(vars), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `demo client "demo"`) {
		t.Errorf("serve in production with the demo secrets = %v, want a refusal naming the client", err)
	}
}
