package main

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/rapportlib/rapport/internal/rapport"
)

// config is everything the environment can set. Each field says its variable and default.
type config struct {
	DatabaseURL     string         // DATABASE_URL (required): the role the server runs as
	MigrateURL      string         // RAPPORT_MIGRATE_DATABASE_URL: the owner's, for migrations; default DATABASE_URL
	Addr            string         // RAPPORT_ADDR, default "127.0.0.1:8080" (loopback: say ":8080" to serve every interface)
	Env             string         // RAPPORT_ENV: "development" (default) or "production"
	LogFormat       string         // RAPPORT_LOG_FORMAT: "text" or "json"; default json in production, text otherwise
	LogLevel        string         // RAPPORT_LOG_LEVEL: debug, info (default), warn, error
	Migrate         bool           // RAPPORT_MIGRATE: migrate on serve; default true
	CORSOrigins     []string       // RAPPORT_CORS_ORIGINS: comma-separated exact origins; default none (no CORS headers)
	OpsAddr         string         // RAPPORT_OPS_ADDR: serve /healthz, /readyz, /metrics there, and not on RAPPORT_ADDR; default off
	OpsNetworks     []netip.Prefix // RAPPORT_OPS_ALLOW: networks allowed /readyz, /metrics on RAPPORT_ADDR; default loopback
	BodyLimit       int64          // RAPPORT_BODY_LIMIT: bytes; default 1048576
	PhotoMaxBytes   int64          // RAPPORT_PHOTO_MAX_BYTES: the largest photo upload; default 10485760, at most 26214400
	PhotoMaxPixels  int64          // RAPPORT_PHOTO_MAX_PIXELS: width × height; default 40000000
	PhotoImportMax  int64          // RAPPORT_PHOTO_IMPORT_MAX_BYTES: the largest zip of photos; default 536870912
	PhotoDailyCap   int            // RAPPORT_PHOTO_DAILY_CAP: single photos a client may read a day, unless its own cap says; default 20000
	RequestTimeout  time.Duration  // RAPPORT_REQUEST_TIMEOUT: default 30s
	ShutdownTimeout time.Duration  // RAPPORT_SHUTDOWN_TIMEOUT: default 20s
	RateLimit       float64        // RAPPORT_RATE_LIMIT: requests a second per client; default 50
	RateBurst       int            // RAPPORT_RATE_BURST: default 100
	AnonRateLimit   float64        // RAPPORT_ANON_RATE_LIMIT: per remote address without a token; default 5
	AnonRateBurst   int            // RAPPORT_ANON_RATE_BURST: default 20
	TokenTTL        time.Duration  // RAPPORT_TOKEN_TTL: default 1h
	AuthCacheTTL    time.Duration  // RAPPORT_AUTH_CACHE_TTL: default 5s
	DBMaxConns      int            // RAPPORT_DB_MAX_CONNS: default max(4, CPUs)
	DBStatementTime time.Duration  // RAPPORT_DB_STATEMENT_TIMEOUT: default 15s
	DBPooled        bool           // RAPPORT_DB_POOLED: DATABASE_URL is a transaction-mode pooler (PgBouncer); default false
	PprofAddr       string         // RAPPORT_PPROF_ADDR: serve Go's profiler there; default off
	ChangeRetention time.Duration  // RAPPORT_CHANGE_RETENTION: how long the change feed keeps events; default 720h (30 days)
}

// loadConfig reads the configuration from getenv, naming the variable at fault on error.
func loadConfig(getenv func(string) string) (config, error) {
	c := config{
		DatabaseURL: getenv("DATABASE_URL"),
		MigrateURL:  getenv("RAPPORT_MIGRATE_DATABASE_URL"),
		Addr:        or(getenv("RAPPORT_ADDR"), "127.0.0.1:8080"),
		Env:         or(getenv("RAPPORT_ENV"), "development"),
		LogLevel:    or(getenv("RAPPORT_LOG_LEVEL"), "info"),
		PprofAddr:   getenv("RAPPORT_PPROF_ADDR"),
		OpsAddr:     getenv("RAPPORT_OPS_ADDR"),
	}
	if c.Env != "development" && c.Env != "production" {
		return c, fmt.Errorf("RAPPORT_ENV must be development or production, not %q", c.Env)
	}
	c.LogFormat = getenv("RAPPORT_LOG_FORMAT")
	if c.LogFormat == "" {
		c.LogFormat = "text"
		if c.Env == "production" {
			c.LogFormat = "json"
		}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("RAPPORT_LOG_FORMAT must be text or json, not %q", c.LogFormat)
	}
	for _, o := range strings.Split(getenv("RAPPORT_CORS_ORIGINS"), ",") {
		if o = strings.TrimSpace(o); o != "" {
			c.CORSOrigins = append(c.CORSOrigins, o)
		}
	}
	for _, n := range strings.Split(or(getenv("RAPPORT_OPS_ALLOW"), "127.0.0.0/8,::1/128"), ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(n)
		if err != nil {
			return c, fmt.Errorf("RAPPORT_OPS_ALLOW must be comma-separated networks such as 10.0.0.0/8, not %q", n)
		}
		c.OpsNetworks = append(c.OpsNetworks, prefix.Masked())
	}
	p := parser{getenv: getenv}
	c.Migrate = p.bool("RAPPORT_MIGRATE", true)
	c.BodyLimit = int64(p.int("RAPPORT_BODY_LIMIT", 1<<20))
	c.PhotoMaxBytes = int64(p.int("RAPPORT_PHOTO_MAX_BYTES", 10<<20))
	c.PhotoMaxPixels = int64(p.int("RAPPORT_PHOTO_MAX_PIXELS", 40_000_000))
	c.PhotoImportMax = int64(p.int("RAPPORT_PHOTO_IMPORT_MAX_BYTES", 512<<20))
	c.PhotoDailyCap = p.int("RAPPORT_PHOTO_DAILY_CAP", rapport.DefaultPhotoDailyCap)
	c.RequestTimeout = p.duration("RAPPORT_REQUEST_TIMEOUT", 30*time.Second)
	c.ShutdownTimeout = p.duration("RAPPORT_SHUTDOWN_TIMEOUT", 20*time.Second)
	c.RateLimit = p.float("RAPPORT_RATE_LIMIT", 50)
	c.RateBurst = p.int("RAPPORT_RATE_BURST", 100)
	c.AnonRateLimit = p.float("RAPPORT_ANON_RATE_LIMIT", 5)
	c.AnonRateBurst = p.int("RAPPORT_ANON_RATE_BURST", 20)
	c.TokenTTL = p.duration("RAPPORT_TOKEN_TTL", time.Hour)
	c.AuthCacheTTL = p.duration("RAPPORT_AUTH_CACHE_TTL", 5*time.Second)
	c.DBMaxConns = p.int("RAPPORT_DB_MAX_CONNS", 0)
	c.DBStatementTime = p.duration("RAPPORT_DB_STATEMENT_TIMEOUT", 15*time.Second)
	c.DBPooled = p.bool("RAPPORT_DB_POOLED", false)
	c.ChangeRetention = p.duration("RAPPORT_CHANGE_RETENTION", rapport.DefaultChangeRetention)
	if p.err == nil && (c.PhotoMaxBytes < 1 || c.PhotoMaxBytes > 25<<20) {
		return c, fmt.Errorf("RAPPORT_PHOTO_MAX_BYTES must be from 1 to 26214400 (25 MiB, what openapi.yaml promises at most), not %d", c.PhotoMaxBytes)
	}
	if p.err == nil && c.PhotoMaxPixels < 1 {
		return c, fmt.Errorf("RAPPORT_PHOTO_MAX_PIXELS must be positive, not %d", c.PhotoMaxPixels)
	}
	return c, p.err
}

// needDatabase returns an error saying how to set DATABASE_URL when it is missing.
func (c config) needDatabase() error {
	if c.DatabaseURL == "" {
		return fmt.Errorf("DATABASE_URL is not set; e.g. postgres://user:password@localhost:5432/rapport (or use `make run`, which starts a local PostgreSQL)")
	}
	return nil
}

// migrateURL is the URL migrations run with: the owner of the tables.
func (c config) migrateURL() string {
	return or(c.MigrateURL, c.DatabaseURL)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// parser reads typed variables, keeping the first error.
type parser struct {
	getenv func(string) string
	err    error
}

func (p *parser) fail(name, want, got string) {
	if p.err == nil {
		p.err = fmt.Errorf("%s must be %s, not %q", name, want, got)
	}
}

func (p *parser) int(name string, def int) int {
	s := p.getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.Atoi(s)
	if err != nil || v < 0 {
		p.fail(name, "a whole number", s)
		return def
	}
	return v
}

func (p *parser) float(name string, def float64) float64 {
	s := p.getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 {
		p.fail(name, "a positive number", s)
		return def
	}
	return v
}

func (p *parser) duration(name string, def time.Duration) time.Duration {
	s := p.getenv(name)
	if s == "" {
		return def
	}
	v, err := time.ParseDuration(s)
	if err != nil || v <= 0 {
		p.fail(name, "a positive duration such as 30s or 5m", s)
		return def
	}
	return v
}

func (p *parser) bool(name string, def bool) bool {
	s := p.getenv(name)
	if s == "" {
		return def
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		p.fail(name, "true or false", s)
		return def
	}
	return v
}
