//go:build faults

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestFaultsForeignCluster: a PostgreSQL of another checkout answering on the project's port is
// not taken for the project's own. scripts/localpg start, status and stop refuse it, naming its
// data folder and RAPPORT_PG_PORT, and leave it running.
func TestFaultsForeignCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a cluster of its own")
	}
	script, err := filepath.Abs("../../scripts/localpg")
	if err != nil {
		t.Fatal(err)
	}
	root, err := os.MkdirTemp("/var/tmp", "rapport-foreign-pg-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root, 0o755); err != nil { // the postgres user enters it to reach the clusters
		t.Fatal(err)
	}
	port := strconv.Itoa(faultFreePort(t))
	theirs, ours := filepath.Join(root, "theirs", "pg"), filepath.Join(root, "ours", "pg")
	localpg := func(dir, command string) (string, error) {
		cmd := exec.Command(script, command)
		cmd.Env = append(os.Environ(), "RAPPORT_PG_PORT="+port, "RAPPORT_PG_DIR="+dir, "RAPPORT_PG_DB=rapport")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		return stderr.String(), err
	}
	t.Cleanup(func() {
		if out, err := localpg(theirs, "stop"); err != nil {
			t.Errorf("stop the other cluster: %v: %s", err, out)
		}
		os.RemoveAll(root)
	})
	if out, err := localpg(theirs, "start"); err != nil {
		t.Fatalf("start the other checkout's cluster: %v: %s", err, out)
	}

	for _, command := range []string{"start", "status", "stop"} {
		out, err := localpg(ours, command)
		if err == nil {
			t.Errorf("localpg %s beside another checkout's cluster succeeded; want a refusal. It said: %s", command, out)
			continue
		}
		for _, want := range []string{theirs, "RAPPORT_PG_PORT"} {
			if !strings.Contains(out, want) {
				t.Errorf("localpg %s refused without naming %q: %s", command, want, out)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(ours, "PG_VERSION")); err == nil {
		t.Error("localpg start made a cluster in our folder although the port was taken")
	}
	if out, err := localpg(theirs, "status"); err != nil {
		t.Errorf("the other checkout's cluster is no longer up after our refusals: %v: %s", err, out)
	}
}
