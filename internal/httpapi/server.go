// Package httpapi serves Rapport's REST API: it implements the strict server generated from
// openapi.yaml, wires the middleware every request passes through, and renders every error as
// RFC 9457 problem+json in one place. It is the only package that imports Echo.
package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	echomiddleware "github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/auth"
	"github.com/rapportlib/rapport/internal/photo"
	"github.com/rapportlib/rapport/internal/rapport"
	"github.com/rapportlib/rapport/internal/ratelimit"
)

// Store is everything the handlers keep and read.
type Store interface {
	rapport.DistrictStore
	rapport.SchoolStore
	rapport.ClientStore
	rapport.PatronStore
	rapport.NoteStore
	rapport.InteractionStore
	rapport.FeedbackStore
	rapport.CampaignStore
	rapport.PledgeStore
	rapport.PhotoStore
	rapport.IdempotencyStore
	rapport.EventStore
	// Ping returns an error of kind Unavailable when the database does not answer.
	Ping(ctx context.Context) error
}

// Config tunes the HTTP layer.
type Config struct {
	// BodyLimit is the largest request body accepted, in bytes, but for photos. Defaults to 1 MiB.
	BodyLimit int64
	// PhotoBodyLimit is the largest photo upload accepted, in bytes. Defaults to 10 MiB.
	PhotoBodyLimit int64
	// PhotoImportLimit is the largest zip of photos accepted, in bytes. Defaults to 512 MiB.
	PhotoImportLimit int64
	// PhotoMaxPixels is the most pixels (width × height) a photo may have; a picture with more
	// is refused before it is decoded. Defaults to 40 million.
	PhotoMaxPixels int64
	// PhotoDailyCap is the most single photos a client without a cap of its own may read a
	// day. Defaults to rapport.DefaultPhotoDailyCap.
	PhotoDailyCap int
	// RequestTimeout bounds the time spent on one request. Defaults to 30 seconds.
	RequestTimeout time.Duration
	// BulkTimeout bounds the time an import or an export of a zip of photos may take.
	// Defaults to 10 minutes: an import takes a school's photos through the image pipeline at
	// about 50 a second.
	BulkTimeout time.Duration
	// CORSOrigins lists the browser origins allowed to call the API, each exactly as a browser
	// sends it (scheme://host[:port]; no wildcards). Defaults to none: no CORS headers at all.
	CORSOrigins []string
	// RateLimit is the requests a second each API client may make, after a burst of RateBurst.
	// Defaults to 50 a second with bursts of 100.
	RateLimit float64
	RateBurst int
	// AnonRateLimit is the same for requests without an accepted token (the token endpoint,
	// mostly), counted per remote address. Defaults to 5 a second with bursts of 20.
	AnonRateLimit float64
	AnonRateBurst int
	// OpsNetworks are the networks that may call /metrics and /readyz on this handler.
	// Defaults to loopback only (127.0.0.0/8 and ::1).
	OpsNetworks []netip.Prefix
	// OpsElsewhere says /metrics and /readyz are served on a listener of their own
	// (NewOpsHandler), so this handler answers them to nobody.
	OpsElsewhere bool
}

func (c *Config) setDefaults() {
	if c.BodyLimit <= 0 {
		c.BodyLimit = 1 << 20
	}
	if c.PhotoBodyLimit <= 0 {
		c.PhotoBodyLimit = 10 << 20
	}
	if c.PhotoImportLimit <= 0 {
		c.PhotoImportLimit = 512 << 20
	}
	if c.PhotoMaxPixels <= 0 {
		c.PhotoMaxPixels = 40_000_000
	}
	if c.PhotoDailyCap <= 0 {
		c.PhotoDailyCap = rapport.DefaultPhotoDailyCap
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.BulkTimeout <= 0 {
		c.BulkTimeout = 10 * time.Minute
	}
	if c.RateLimit <= 0 {
		c.RateLimit, c.RateBurst = 50, max(c.RateBurst, 100)
	}
	if c.RateBurst <= 0 {
		c.RateBurst = 100
	}
	if c.AnonRateLimit <= 0 {
		c.AnonRateLimit, c.AnonRateBurst = 5, max(c.AnonRateBurst, 20)
	}
	if c.AnonRateBurst <= 0 {
		c.AnonRateBurst = 20
	}
	if c.OpsNetworks == nil {
		c.OpsNetworks = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	}
}

// checkOrigins returns an error unless every origin is one a browser could send in Origin:
// http or https, a host and maybe a port, nothing else. Wildcards are refused: origins allowed
// to call the API with a member of staff's credentials are named one by one.
func checkOrigins(origins []string) error {
	for _, o := range origins {
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.Contains(u.Host, "*") ||
			u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || o != u.Scheme+"://"+u.Host {
			return fmt.Errorf("CORS origin %q must be exactly scheme://host[:port], such as https://desk.example.org", o)
		}
	}
	return nil
}

// server implements the generated strict server interface.
type server struct {
	logger        *slog.Logger
	store         Store
	auth          *auth.Service
	metrics       *metrics
	clientLimiter *ratelimit.Limiter
	anonLimiter   *ratelimit.Limiter
	photos        *photo.Service
	photoDailyCap int
}

var _ api.StrictServerInterface = (*server)(nil)

// NewServer returns the HTTP handler of the API, its docs and its metrics. It registers the
// request metrics on reg and serves everything reg gathers at /metrics.
func NewServer(logger *slog.Logger, cfg Config, store Store, authn *auth.Service, reg *prometheus.Registry) (http.Handler, error) {
	cfg.setDefaults()
	if err := checkOrigins(cfg.CORSOrigins); err != nil {
		return nil, err
	}
	spec, err := api.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("load embedded spec: %w", err)
	}
	jsonDoc, yamlDoc, err := specDocuments()
	if err != nil {
		return nil, err
	}
	s := &server{
		logger:        logger,
		store:         store,
		auth:          authn,
		metrics:       newMetrics(reg),
		clientLimiter: ratelimit.New(cfg.RateLimit, cfg.RateBurst, 100_000),
		anonLimiter:   ratelimit.New(cfg.AnonRateLimit, cfg.AnonRateBurst, 100_000),
		photos:        photo.NewService(store, photo.Limits{MaxPixels: cfg.PhotoMaxPixels}),
		photoDailyCap: cfg.PhotoDailyCap,
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(logger)

	// The order matters: each layer relies on the ones before it.
	e.Use(
		requestID,   // every line and problem below carries the id
		s.accessLog, // sees the final status, whatever happens inside
		recoverer,   // a panic becomes a logged 500
	)
	if len(cfg.CORSOrigins) > 0 {
		e.Use(cors(cfg.CORSOrigins))
	}
	e.Use(
		echo.WrapMiddleware(chain(
			s.opsOnly(cfg.OpsNetworks, cfg.OpsElsewhere), // before anything costs a thing
			deadline(cfg.RequestTimeout, cfg.BulkTimeout),
			s.bodyLimit(cfg.BodyLimit, cfg.PhotoBodyLimit, cfg.PhotoImportLimit), // before anything reads the body
			s.strictInput, // input that cannot be taken as sent is refused at once
			s.admit,       // who is calling, rationed before any real work
		)),
		s.validator(spec),   // the spec decides what is acceptable
		s.idempotency(spec), // retries of a create replay its answer
		renderErrors,
	)

	api.RegisterHandlers(e, api.NewStrictHandler(s, nil))
	registerDocs(e, jsonDoc, yamlDoc)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	return e, nil
}

// cors lets the browser origins, matched exactly, call the API.
func cors(origins []string) echo.MiddlewareFunc {
	return echomiddleware.CORSWithConfig(echomiddleware.CORSConfig{
		AllowOriginFunc: func(origin string) (bool, error) { return slices.Contains(origins, origin), nil },
		AllowHeaders:    []string{"Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key", "Acting-User", "X-Request-Id"},
		ExposeHeaders:   []string{"ETag", "Link", "Location", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "X-Request-Id", "Idempotency-Replayed"},
	})
}

// NewOpsHandler returns the handler of the operator's own listener (RAPPORT_OPS_ADDR): /healthz,
// /readyz and /metrics, unrationed and without tokens. Keep that listener off the public network.
func NewOpsHandler(logger *slog.Logger, store Store, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, api.Health{Status: api.Ok})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readinessTimeout)
		defer cancel()
		if err := store.Ping(ctx); err != nil {
			writeProblem(logger, w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, api.Health{Status: api.Ok})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// principalOf returns the caller of an operation that requires a token. The validator has
// already refused requests without one; the error covers a route wired without security.
func principalOf(ctx context.Context) (*rapport.Principal, error) {
	p := rapport.PrincipalFromContext(ctx)
	if p == nil {
		return nil, rapport.Errorf(rapport.Unauthenticated, "this operation needs a bearer token")
	}
	return p, nil
}
