package ratelimit

import (
	"testing"
	"time"
)

func TestAllow(t *testing.T) {
	t.Parallel()
	l := New(1, 2, 10) // one a second, bursts of two
	now := time.Unix(1_000_000, 0)
	for i, tt := range []struct {
		at            time.Duration
		key           string
		allowed       bool
		remaining     int
		minRetryAfter time.Duration
	}{
		{0, "a", true, 1, 0},
		{0, "a", true, 0, 0},
		{0, "a", false, 0, time.Second - time.Millisecond},
		{0, "b", true, 1, 0}, // another key has its own bucket
		{time.Second, "a", true, 0, 0},
		{3 * time.Second, "a", true, 1, 0}, // refilled, capped at the burst
	} {
		d := l.Allow(tt.key, now.Add(tt.at))
		if d.Allowed != tt.allowed || d.Remaining != tt.remaining || d.Limit != 2 {
			t.Errorf("step %d: Allow(%q) = %+v, want allowed %v, remaining %d", i, tt.key, d, tt.allowed, tt.remaining)
		}
		if !tt.allowed && d.RetryAfter < tt.minRetryAfter {
			t.Errorf("step %d: RetryAfter = %s, want at least %s", i, d.RetryAfter, tt.minRetryAfter)
		}
	}
}

func TestForgottenBucketsStartFull(t *testing.T) {
	t.Parallel()
	l := New(0.001, 1, 1) // room for one key only
	now := time.Now()
	l.Allow("a", now)
	l.Allow("b", now) // evicts a
	if d := l.Allow("a", now); !d.Allowed {
		t.Errorf("a forgotten key was refused: %+v", d)
	}
}

func TestPeekTakesNothing(t *testing.T) {
	t.Parallel()
	l := New(1, 2, 10)
	now := time.Unix(1_000_000, 0)
	for range 5 {
		if d := l.Peek("a", now); !d.Allowed || d.Remaining != 2 {
			t.Fatalf("Peek on a full bucket = %+v, want allowed with 2 remaining", d)
		}
	}
	l.Allow("a", now)
	l.Allow("a", now)
	if d := l.Peek("a", now); d.Allowed || d.RetryAfter <= 0 {
		t.Errorf("Peek on an empty bucket = %+v, want refused with a Retry-After", d)
	}
	if d := l.Peek("a", now.Add(time.Second)); !d.Allowed {
		t.Errorf("Peek a second later = %+v, want allowed: one request refilled", d)
	}
}
