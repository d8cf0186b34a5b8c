package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/rapportlib/rapport/db"
	"github.com/rapportlib/rapport/internal/auth"
	"github.com/rapportlib/rapport/internal/httpapi"
	"github.com/rapportlib/rapport/internal/postgres"
	"github.com/rapportlib/rapport/internal/rapport"
)

// serve migrates the database (unless told not to) and serves the API until ctx ends, then
// stops accepting connections, lets requests in flight finish (bounded by ShutdownTimeout) and
// closes the database pool.
func serve(ctx context.Context, cfg config, logger *slog.Logger, stdout io.Writer) error {
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if cfg.Migrate {
		if err := db.Migrate(cfg.migrateURL(), "up"); err != nil {
			return fmt.Errorf("migrate the database: %w", err)
		}
	}
	if cfg.Env == "production" {
		if err := refuseDemoSecrets(ctx, store); err != nil {
			return err
		}
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	registerPoolMetrics(reg, store)

	authn := auth.New(store, auth.Config{TokenTTL: cfg.TokenTTL, CacheTTL: cfg.AuthCacheTTL})
	handler, err := httpapi.NewServer(logger, httpapi.Config{
		BodyLimit:        cfg.BodyLimit,
		PhotoBodyLimit:   cfg.PhotoMaxBytes,
		PhotoMaxPixels:   cfg.PhotoMaxPixels,
		PhotoImportLimit: cfg.PhotoImportMax,
		PhotoDailyCap:    cfg.PhotoDailyCap,
		RequestTimeout:   cfg.RequestTimeout,
		CORSOrigins:      cfg.CORSOrigins,
		RateLimit:        cfg.RateLimit,
		RateBurst:        cfg.RateBurst,
		AnonRateLimit:    cfg.AnonRateLimit,
		AnonRateBurst:    cfg.AnonRateBurst,
		OpsNetworks:      cfg.OpsNetworks,
		OpsElsewhere:     cfg.OpsAddr != "",
	}, store, authn, reg)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on RAPPORT_ADDR %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       cfg.RequestTimeout + 10*time.Second,
		WriteTimeout:      cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go purgeExpired(ctx, logger, store, cfg.ChangeRetention)
	go authn.WatchClients(ctx, 250*time.Millisecond, time.Minute, func(err error) { logger.Warn("watch client changes", "err", err) })
	if cfg.PprofAddr != "" {
		go servePprof(ctx, logger, cfg.PprofAddr)
	}
	if cfg.OpsAddr != "" {
		opsLn, err := net.Listen("tcp", cfg.OpsAddr)
		if err != nil {
			return fmt.Errorf("listen on RAPPORT_OPS_ADDR %s: %w", cfg.OpsAddr, err)
		}
		go serveOps(ctx, logger, opsLn, httpapi.NewOpsHandler(logger, store, reg))
	}

	logger.Info("serving", "addr", ln.Addr().String(), "version", version, "env", cfg.Env)
	fmt.Fprintf(stdout, "rapport: serving on http://%s (docs at /docs)\n", ln.Addr())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down: %w", err)
	}
	logger.Info("stopped")
	return nil
}

// refuseDemoSecrets returns an error when a demo client still works with the secret this
// repository publishes (rapport seed): a production server must not start with it.
func refuseDemoSecrets(ctx context.Context, store *postgres.Store) error {
	for _, t := range demoTenants {
		cred, err := store.GetClientCredentials(ctx, t.clientID)
		if rapport.ErrorKind(err) == rapport.NotFound {
			continue
		}
		if err != nil {
			return err
		}
		if cred.Client.Status == rapport.ClientActive && subtle.ConstantTimeCompare(cred.SecretHash, auth.HashSecret(t.secret)) == 1 {
			return fmt.Errorf("refusing to serve with RAPPORT_ENV=production: the demo client %q still has the secret the README publishes; revoke it (or give it a new secret) first", t.clientID)
		}
	}
	return nil
}

// openStore connects to the database, saying plainly where it tried when it cannot.
func openStore(ctx context.Context, cfg config) (*postgres.Store, error) {
	if err := cfg.needDatabase(); err != nil {
		return nil, err
	}
	return postgres.Open(ctx, cfg.DatabaseURL, postgres.Config{
		MaxConns:         int32(cfg.DBMaxConns),
		StatementTimeout: cfg.DBStatementTime,
		// No request holds a transaction longer than it may run.
		IdleInTransactionTimeout: cfg.RequestTimeout,
		Pooled:                   cfg.DBPooled,
	})
}

// purgeExpired deletes expired access tokens, idempotency keys and change-feed events every ten
// minutes until ctx ends. Every replica runs it; the deletes are idempotent.
func purgeExpired(ctx context.Context, logger *slog.Logger, store *postgres.Store, changeRetention time.Duration) {
	tick := time.NewTicker(10 * time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if n, err := store.DeleteExpiredTokens(ctx, time.Now()); err != nil {
				logger.Warn("purge expired tokens", "err", err)
			} else if n > 0 {
				logger.Info("purged expired tokens", "count", n)
			}
			if n, err := store.DeleteExpiredIdempotencyKeys(ctx); err != nil {
				logger.Warn("purge expired idempotency keys", "err", err)
			} else if n > 0 {
				logger.Info("purged expired idempotency keys", "count", n)
			}
			if n, err := store.PurgeChanges(ctx, time.Now().Add(-changeRetention)); err != nil {
				logger.Warn("purge old changes", "err", err)
			} else if n > 0 {
				logger.Info("purged old changes", "count", n)
			}
		}
	}
}

// servePprof serves Go's profiler on its own address (keep it on loopback) until ctx ends.
func servePprof(ctx context.Context, logger *slog.Logger, addr string) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	logger.Info("serving pprof", "addr", addr)
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Warn("pprof", "err", err)
	}
}

// serveOps serves the operator's endpoints (health, readiness, metrics) on their own listener
// until ctx ends.
func serveOps(ctx context.Context, logger *slog.Logger, ln net.Listener, handler http.Handler) {
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	logger.Info("serving ops endpoints", "addr", ln.Addr().String())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		logger.Error("ops listener", "err", err)
	}
}

// registerPoolMetrics exports the connection pool's state.
func registerPoolMetrics(reg prometheus.Registerer, store *postgres.Store) {
	gauge := func(name, help string, f func(postgres.PoolStats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(store.Stats()) })
	}
	counter := func(name, help string, f func(postgres.PoolStats) float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return f(store.Stats()) })
	}
	reg.MustRegister(
		gauge("rapport_db_pool_max_conns", "Most connections the pool may open.", func(s postgres.PoolStats) float64 { return float64(s.MaxConns) }),
		gauge("rapport_db_pool_total_conns", "Connections open now.", func(s postgres.PoolStats) float64 { return float64(s.TotalConns) }),
		gauge("rapport_db_pool_idle_conns", "Connections open and idle now.", func(s postgres.PoolStats) float64 { return float64(s.IdleConns) }),
		gauge("rapport_db_pool_acquired_conns", "Connections in use now.", func(s postgres.PoolStats) float64 { return float64(s.AcquiredConns) }),
		counter("rapport_db_pool_acquires_total", "Connections acquired from the pool.", func(s postgres.PoolStats) float64 { return float64(s.AcquireCount) }),
		counter("rapport_db_pool_empty_acquires_total", "Acquires that had to wait for a connection.", func(s postgres.PoolStats) float64 { return float64(s.EmptyAcquireCount) }),
		counter("rapport_db_pool_canceled_acquires_total", "Acquires given up before a connection came.", func(s postgres.PoolStats) float64 { return float64(s.CanceledAcquireCount) }),
		counter("rapport_db_pool_acquire_seconds_total", "Time spent acquiring connections.", func(s postgres.PoolStats) float64 { return s.AcquireDuration.Seconds() }),
	)
}
