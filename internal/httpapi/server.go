// Package httpapi serves Rapport's REST API: it implements the strict server generated from
// openapi.yaml, wires the middleware every request passes through, and renders every error as
// RFC 9457 problem+json in one place. It is the only package that imports Echo.
package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	echomiddleware "github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/auth"
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
	rapport.IdempotencyStore
	// Ping returns an error of kind Unavailable when the database does not answer.
	Ping(ctx context.Context) error
}

// Config tunes the HTTP layer.
type Config struct {
	// BodyLimit is the largest request body accepted, in bytes. Defaults to 1 MiB.
	BodyLimit int64
	// RequestTimeout bounds the time spent on one request. Defaults to 30 seconds.
	RequestTimeout time.Duration
	// CORSOrigins lists the browser origins allowed to call the API. Defaults to none.
	CORSOrigins []string
	// RateLimit is the requests a second each API client may make, after a burst of RateBurst.
	// Defaults to 50 a second with bursts of 100.
	RateLimit float64
	RateBurst int
	// AnonRateLimit is the same for requests without an accepted token (the token endpoint,
	// mostly), counted per remote address. Defaults to 5 a second with bursts of 20.
	AnonRateLimit float64
	AnonRateBurst int
}

func (c *Config) setDefaults() {
	if c.BodyLimit <= 0 {
		c.BodyLimit = 1 << 20
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
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
}

// server implements the generated strict server interface.
type server struct {
	logger        *slog.Logger
	store         Store
	auth          *auth.Service
	metrics       *metrics
	clientLimiter *ratelimit.Limiter
	anonLimiter   *ratelimit.Limiter
}

var _ api.StrictServerInterface = (*server)(nil)

// NewServer returns the HTTP handler of the API, its docs and its metrics. It registers the
// request metrics on reg and serves everything reg gathers at /metrics.
func NewServer(logger *slog.Logger, cfg Config, store Store, authn *auth.Service, reg *prometheus.Registry) (http.Handler, error) {
	cfg.setDefaults()
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
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(logger)

	// The order matters: each layer relies on the ones before it.
	e.Use(
		requestID,   // every line and problem below carries the id
		s.accessLog, // sees the final status, whatever happens inside
		recoverer,   // a panic becomes a logged 500
		echomiddleware.CORSWithConfig(echomiddleware.CORSConfig{
			AllowOrigins:  cfg.CORSOrigins,
			AllowHeaders:  []string{"Authorization", "Content-Type", "If-Match", "If-None-Match", "Idempotency-Key", "Acting-User", "X-Request-Id"},
			ExposeHeaders: []string{"ETag", "Link", "Location", "Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "X-Request-Id", "Idempotency-Replayed"},
		}),
		echo.WrapMiddleware(chain(
			deadline(cfg.RequestTimeout),
			s.bodyLimit(cfg.BodyLimit), // before anything reads the body
			s.authenticate,             // who is calling
			s.rateLimit,                // counted per caller, before any real work
		)),
		s.validator(spec),                 // the spec decides what is acceptable
		s.idempotency(cfg.RequestTimeout), // retries of a create replay its answer
		renderErrors,
	)

	api.RegisterHandlers(e, api.NewStrictHandler(s, nil))
	registerDocs(e, jsonDoc, yamlDoc)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	return e, nil
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
