// Package db holds the schema of Rapport as numbered migrations, embedded in the binary, and
// applies them with golang-migrate. A migration that has landed is never edited: add a new one.
package db

import (
	"embed"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5" // registers the pgx5:// scheme
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded migration files, for tools that need to know the schema
// version (the test helpers name their template database after it).
func Migrations() embed.FS {
	return migrations
}

// Migrate brings the schema of the database at databaseURL (a postgres:// URL) to the given
// direction: "up" applies every pending migration, "down" reverts the last one. Being up to
// date already is not an error.
func Migrate(databaseURL, direction string) error {
	m, err := open(databaseURL)
	if err != nil {
		return err
	}
	defer m.Close()
	switch direction {
	case "up":
		err = m.Up()
	case "down":
		err = m.Steps(-1)
	default:
		return fmt.Errorf("migrate: unknown direction %q (want up or down)", direction)
	}
	if err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("migrate %s: %w", direction, err)
	}
	return nil
}

// Version returns the schema version of the database and whether a failed migration left it
// dirty. A database without any migration applied is version 0.
func Version(databaseURL string) (version uint, dirty bool, err error) {
	m, err := open(databaseURL)
	if err != nil {
		return 0, false, err
	}
	defer m.Close()
	version, dirty, err = m.Version()
	if errors.Is(err, migrate.ErrNilVersion) {
		return 0, false, nil
	}
	return version, dirty, err
}

func open(databaseURL string) (*migrate.Migrate, error) {
	src, err := iofs.New(migrations, "migrations")
	if err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	u, err := url.Parse(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	// golang-migrate names its pgx v5 driver pgx5; pgx:// would be the v4 driver.
	u.Scheme = "pgx5"
	m, err := migrate.NewWithSourceInstance("iofs", src, u.String())
	if err != nil {
		return nil, fmt.Errorf("connect for migrations: %w", err)
	}
	// Several replicas may start at once; the first takes the lock and the others wait for it.
	m.LockTimeout = 2 * time.Minute
	return m, nil
}
