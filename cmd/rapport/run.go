package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"
	_ "time/tzdata" // school time zones must load even on images without a zoneinfo database
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `usage: rapport <command> [flags]

commands:
  serve                 migrate (unless RAPPORT_MIGRATE=false) and serve the API
  migrate up|down|version
                        apply all migrations, revert the last one, or print the schema version
  districts create      add a district: --slug, --name [--sourced-id]
  clients create        add an API client and print its secret once:
                        --district SLUG --name NAME [--scopes a,b|all] [--schools slug,…] [--client-id ID]
  import photos FILE.zip
                        import a zip of photos with its map (Destiny idlink.txt, Koha, PowerSchool, files named
                        by id): --district SLUG [--school SLUG] [--id-type T] [--trim-leading-zeros] [--fold-case]
                        [--source S] [--captured-on DAY] [--override] [--dry-run]
  seed                  migrate and load the demo district (refused when RAPPORT_ENV=production)
  version               print the version

configuration comes from the environment; see README.md.`

// run is the whole program: it reads the configuration, runs one command and returns its
// error. It stops serving when ctx ends or the process gets SIGINT or SIGTERM.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if getenv("GOGC") == "" {
		// The server holds little (about 40 MB under load, against a budget of 150 MB), so it
		// trades some memory for half the time spent collecting garbage.
		debug.SetGCPercent(200)
	}

	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return errors.New("no command given")
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	logs := newLogWriter(stderr)
	defer logs.Close()
	logger, err := newLogger(cfg, logs)
	if err != nil {
		return err
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return serve(ctx, cfg, logger, stdout)
	case "migrate":
		return migrateCommand(cfg, rest, stdout)
	case "districts":
		return districtsCommand(ctx, cfg, rest, stdout)
	case "clients":
		return clientsCommand(ctx, cfg, rest, stdout)
	case "import":
		return importCommand(ctx, cfg, rest, stdout)
	case "seed":
		return seedCommand(ctx, cfg, stdout)
	case "version":
		fmt.Fprintln(stdout, "rapport", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	default:
		fmt.Fprintln(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// newLogger returns the one logger of the process, writing to w.
func newLogger(cfg config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel))); err != nil {
		return nil, fmt.Errorf("RAPPORT_LOG_LEVEL must be debug, info, warn or error, not %q", cfg.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
