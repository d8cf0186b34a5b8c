package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/google/uuid"

	"github.com/rapportlib/rapport/db"
	"github.com/rapportlib/rapport/internal/auth"
	"github.com/rapportlib/rapport/internal/postgres"
	"github.com/rapportlib/rapport/internal/rapport"
)

// migrateCommand runs `rapport migrate up|down|version`.
func migrateCommand(cfg config, args []string, stdout io.Writer) error {
	if err := cfg.needDatabase(); err != nil {
		return err
	}
	if len(args) != 1 {
		return fmt.Errorf("usage: rapport migrate up|down|version")
	}
	switch args[0] {
	case "up", "down":
		if err := db.Migrate(cfg.migrateURL(), args[0]); err != nil {
			return err
		}
		fallthrough
	case "version":
		v, dirty, err := db.Version(cfg.migrateURL())
		if err != nil {
			return fmt.Errorf("read schema version: %w", err)
		}
		state := ""
		if dirty {
			state = " (dirty: a migration failed half-way; fix it, then force the version)"
		}
		fmt.Fprintf(stdout, "schema version %d%s\n", v, state)
		return nil
	}
	return fmt.Errorf("usage: rapport migrate up|down|version")
}

// districtsCommand runs `rapport districts create`.
func districtsCommand(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: rapport districts create --slug SLUG --name NAME [--sourced-id ID]")
	}
	fs := flag.NewFlagSet("districts create", flag.ContinueOnError)
	fs.SetOutput(stdout)
	var in rapport.DistrictCreate
	fs.StringVar(&in.Slug, "slug", "", "the district's slug, e.g. springfield-usd")
	fs.StringVar(&in.Name, "name", "", "the district's name")
	fs.StringVar(&in.SourcedID, "sourced-id", "", "the OneRoster sourcedId of the district org")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	d, err := store.EnsureDistrict(ctx, uuid.Nil, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "district %s (%s) id %s\n", d.Slug, d.Name, d.ID)
	return nil
}

// clientsCommand runs `rapport clients create`, printing the new secret once.
func clientsCommand(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return fmt.Errorf("usage: rapport clients create --district SLUG --name NAME [--scopes a,b|all] [--schools slug,…] [--client-id ID] [--acting-users a@x.org,…]")
	}
	fs := flag.NewFlagSet("clients create", flag.ContinueOnError)
	fs.SetOutput(stdout)
	district := fs.String("district", "", "the slug of the client's district")
	name := fs.String("name", "", "what the client is, e.g. \"Library desk app\"")
	scopes := fs.String("scopes", "all", "comma-separated scopes, or all")
	schools := fs.String("schools", "", "comma-separated slugs of the schools to limit the client to; empty for all")
	clientID := fs.String("client-id", "", "the client_id; random when empty")
	actingUsers := fs.String("acting-users", "", "comma-separated e-mails or staff ids the client may name in Acting-User; empty for none")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *district == "" {
		return fmt.Errorf("--district is required")
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	principal, err := districtPrincipal(ctx, store, *district)
	if err != nil {
		return err
	}
	in := rapport.ClientCreate{Name: *name, ClientID: *clientID, ActingUsers: splitList(*actingUsers)}
	if *scopes == "all" {
		in.Scopes = rapport.AllScopes
	} else {
		for _, s := range splitList(*scopes) {
			in.Scopes = append(in.Scopes, rapport.Scope(s))
		}
	}
	for _, slug := range splitList(*schools) {
		school, err := schoolBySlug(ctx, store, principal.Tenant, slug)
		if err != nil {
			return err
		}
		in.SchoolIDs = append(in.SchoolIDs, school.ID)
	}
	c, secret, err := auth.New(store, auth.Config{}).CreateClient(ctx, principal, in)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "client_id:     %s\nclient_secret: %s\n\nThe secret is shown this once; Rapport keeps only its hash.\n", c.ClientID, secret)
	return nil
}

// districtPrincipal returns the command line's principal in the district with the slug.
func districtPrincipal(ctx context.Context, store *postgres.Store, slug string) (*rapport.Principal, error) {
	d, err := store.GetDistrictBySlug(ctx, slug)
	if err != nil {
		return nil, err
	}
	return auth.CLIPrincipal(d.ID), nil
}

// schoolBySlug finds a school of the scope's district by its slug.
func schoolBySlug(ctx context.Context, store rapport.SchoolStore, scope rapport.TenantScope, slug string) (rapport.School, error) {
	page := rapport.PageRequest{Limit: rapport.MaxLimit}
	for {
		schools, err := store.ListSchools(ctx, scope, rapport.SchoolFilter{}, page)
		if err != nil {
			return rapport.School{}, err
		}
		for _, s := range schools.Items {
			if s.Slug == slug {
				return s, nil
			}
		}
		if schools.NextCursor == "" {
			return rapport.School{}, fmt.Errorf("the district has no school with the slug %q", slug)
		}
		page.Cursor = schools.NextCursor
	}
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
