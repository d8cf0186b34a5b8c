package main

import (
	"context"
	"fmt"
	"io"

	"github.com/google/uuid"

	"github.com/rapportlib/rapport/db"
	"github.com/rapportlib/rapport/internal/auth"
	"github.com/rapportlib/rapport/internal/postgres"
	"github.com/rapportlib/rapport/internal/rapport"
)

// seedNamespace makes the demo records' ids the same on every machine, so that the README's
// examples can name them.
var seedNamespace = uuid.MustParse("6f1c2a8e-3d4b-4f6a-9c1e-5b7d8e9f0a1b")

func seedID(name string) uuid.UUID {
	return uuid.NewSHA1(seedNamespace, []byte(name))
}

// seedCommand migrates the database and loads the demo data. Running it again changes nothing
// but the demo clients' secrets, which it resets.
func seedCommand(ctx context.Context, cfg config, stdout io.Writer) error {
	if cfg.Env == "production" {
		return fmt.Errorf("refusing to seed demo data when RAPPORT_ENV=production")
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := db.Migrate(cfg.DatabaseURL, "up"); err != nil {
		return fmt.Errorf("migrate the database: %w", err)
	}
	if err := seedDemo(ctx, store); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintln(stdout, "seeded the demo district demo-usd (clients demo / demo-secret) and other-district (demo-other / demo-other-secret)")
	return nil
}

// demoTenant is one district of the demo with its schools and its all-scopes client.
type demoTenant struct {
	district rapport.DistrictCreate
	schools  []rapport.SchoolCreate
	clientID string
	secret   string
}

var demoTenants = []demoTenant{
	{
		district: rapport.DistrictCreate{Name: "Demo Unified School District", Slug: "demo-usd", SourcedID: "demo-usd"},
		schools: []rapport.SchoolCreate{
			{Name: "Lincoln High School", Slug: "lincoln-high", SourcedID: "lincoln-high", TimeZone: "America/Chicago"},
			{Name: "Roosevelt Middle School", Slug: "roosevelt-middle", SourcedID: "roosevelt-middle", TimeZone: "America/Chicago"},
		},
		clientID: "demo",
		secret:   "demo-secret",
	},
	{
		district: rapport.DistrictCreate{Name: "Other District", Slug: "other-district", SourcedID: "other-district"},
		schools: []rapport.SchoolCreate{
			{Name: "Other Elementary School", Slug: "other-elementary", SourcedID: "other-elementary", TimeZone: "America/New_York"},
		},
		clientID: "demo-other",
		secret:   "demo-other-secret",
	},
}

func seedDemo(ctx context.Context, store *postgres.Store) error {
	by := rapport.Actor{ClientID: rapport.CLIClientID}
	for _, t := range demoTenants {
		d, err := store.EnsureDistrict(ctx, seedID(t.district.Slug), t.district)
		if err != nil {
			return err
		}
		for _, s := range t.schools {
			if _, err := store.EnsureSchool(ctx, d.ID, by, seedID(t.district.Slug+"/"+s.Slug), s); err != nil {
				return err
			}
		}
		client := rapport.ClientCreate{Name: "Demo client (every scope)", ClientID: t.clientID, Scopes: rapport.AllScopes}
		if _, err := store.EnsureClient(ctx, d.ID, by, client, auth.HashSecret(t.secret)); err != nil {
			return err
		}
	}
	return nil
}
