// Package ratelimit keeps a token bucket per caller. Each replica keeps its own buckets in
// memory: with N replicas behind a load balancer a caller gets up to N times the configured
// rate, which the README explains along with the shared-store design that would remove it.
package ratelimit

import (
	"math"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// Limiter hands out requests from a token bucket per key: a bucket holds Burst requests and
// refills at Rate a second.
type Limiter struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	buckets *lru.Cache[string, *rate.Limiter]
}

// New returns a limiter refilling perSecond requests a second into buckets of burst. It keeps
// at most maxKeys buckets; the least recently used is forgotten first, which only ever makes a
// caller's bucket full again.
func New(perSecond float64, burst, maxKeys int) *Limiter {
	buckets, err := lru.New[string, *rate.Limiter](maxKeys)
	if err != nil {
		panic(err) // only for maxKeys <= 0, a programming error
	}
	return &Limiter{rate: rate.Limit(perSecond), burst: burst, buckets: buckets}
}

// Decision is the outcome of asking for one request.
type Decision struct {
	Allowed    bool
	Limit      int           // the bucket's size
	Remaining  int           // requests left in the bucket after this one
	Reset      time.Duration // until the bucket is full again
	RetryAfter time.Duration // until a request would be allowed; zero when allowed
}

// Allow takes one request from the bucket of key, if it holds one.
func (l *Limiter) Allow(key string, now time.Time) Decision {
	b := l.bucket(key)
	return l.decision(b.AllowN(now, 1), b.TokensAt(now))
}

// Peek says whether the bucket of key holds a request, without taking it: for work that is
// paid for only when it turns out to be wasted (a token lookup that finds nothing).
func (l *Limiter) Peek(key string, now time.Time) Decision {
	tokens := l.bucket(key).TokensAt(now)
	return l.decision(tokens >= 1, tokens)
}

func (l *Limiter) bucket(key string) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets.Get(key)
	if !ok {
		b = rate.NewLimiter(l.rate, l.burst)
		l.buckets.Add(key, b)
	}
	return b
}

func (l *Limiter) decision(allowed bool, tokens float64) Decision {
	d := Decision{
		Allowed:   allowed,
		Limit:     l.burst,
		Remaining: max(0, int(math.Floor(tokens))),
		Reset:     l.durationFor(float64(l.burst) - tokens),
	}
	if !allowed {
		d.RetryAfter = l.durationFor(1 - tokens)
	}
	return d
}

// durationFor returns how long the bucket takes to refill n requests.
func (l *Limiter) durationFor(n float64) time.Duration {
	if n <= 0 || l.rate <= 0 {
		return 0
	}
	return time.Duration(n / float64(l.rate) * float64(time.Second))
}
