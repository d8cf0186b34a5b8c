package dbtest

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestSweepAbandoned: a test database older than abandonedAfter, as a killed test process leaves
// it, is dropped; a recent one, as a run in progress has it, stays.
func TestSweepAbandoned(t *testing.T) {
	cluster := clusterURL(t)
	admin := adminConn(t, cluster)
	ctx := context.Background()
	now := time.Now()
	abandoned := testDatabaseName(now.Add(-abandonedAfter - time.Minute))
	inUse := testDatabaseName(now.Add(-abandonedAfter + time.Minute))
	for _, name := range []string{abandoned, inUse} {
		if _, err := admin.Exec(ctx, fmt.Sprintf(`CREATE DATABASE %s`, name)); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = admin.Exec(context.Background(), fmt.Sprintf(`DROP DATABASE IF EXISTS %s`, name)) })
	}

	sweepAbandoned(ctx, admin, now)

	exists := func(name string) bool {
		var ok bool
		if err := admin.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&ok); err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if exists(abandoned) {
		t.Errorf("%s, made %v ago, is still there after the sweep", abandoned, abandonedAfter+time.Minute)
	}
	if !exists(inUse) {
		t.Errorf("%s, made %v ago, was dropped: a run in progress would lose its database", inUse, abandonedAfter-time.Minute)
	}
}
