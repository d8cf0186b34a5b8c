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
	fmt.Fprintln(stdout, "seeded the demo district demo-usd (clients demo / demo-secret) and other-district (demo-other / demo-other-secret), with patrons and notes")
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
	return seedDemoPatrons(ctx, store, by)
}

// demoPatron is a patron of the demo with what the library knows about them.
type demoPatron struct {
	school string // slug
	in     rapport.PatronCreate
	notes  []rapport.NoteCreate
}

var demoPatrons = []demoPatron{
	{"lincoln-high", rapport.PatronCreate{Role: rapport.RoleStudent, GivenName: "Zoë", FamilyName: "Okafor", PreferredName: "Zo",
		Pronouns: "she/her", NamePronunciation: "ZOH-ee oh-KAH-for", Grade: "10", Homeroom: "10B", SourcedID: "demo-stu-1001",
		Barcode: "L1001", Interests: []string{"graphic novels", "robotics"}}, []rapport.NoteCreate{
		{Body: "Building a robot arm for the science fair; asked for books on servos.", Kind: rapport.NoteMention,
			FollowUp: &rapport.FollowUpCreate{Prompt: "Ask how the science fair went"}},
		{Body: "Prefers reading on the e-reader with a large font.", Kind: rapport.NoteAccessibility, Visibility: rapport.VisibleToSchool},
	}},
	{"lincoln-high", rapport.PatronCreate{Role: rapport.RoleStudent, GivenName: "Mateo", FamilyName: "García", Grade: "11",
		Homeroom: "11A", SourcedID: "demo-stu-1002", Barcode: "L1002", Interests: []string{"soccer", "history"}}, []rapport.NoteCreate{
		{Body: "Writing a research paper on the 1918 flu.", Kind: rapport.NoteInterest,
			FollowUp: &rapport.FollowUpCreate{Prompt: "Tell him the interlibrary loan on the 1918 flu arrived"}},
	}},
	{"lincoln-high", rapport.PatronCreate{Role: rapport.RoleStudent, GivenName: "Hiroshi", FamilyName: "Tanaka", Grade: "09",
		SourcedID: "demo-stu-1003", Barcode: "L1003", Interests: []string{"manga"}}, nil},
	{"lincoln-high", rapport.PatronCreate{Role: rapport.RoleTeacher, GivenName: "Amara", FamilyName: "Nwosu", Email: "anwosu@demo-usd.example.org",
		SourcedID: "demo-tch-2001"}, []rapport.NoteCreate{
		{Body: "Brings her 10th-grade English class on Thursdays.", Kind: rapport.NotePreference},
	}},
	{"roosevelt-middle", rapport.PatronCreate{Role: rapport.RoleStudent, GivenName: "Liam", FamilyName: "Müller", Grade: "07",
		Homeroom: "7C", SourcedID: "demo-stu-3001", Barcode: "R3001", Interests: []string{"dragons", "chess"}}, []rapport.NoteCreate{
		{Body: "Finished every Wings of Fire book; wants something similar.", Kind: rapport.NoteInterest,
			FollowUp: &rapport.FollowUpCreate{Prompt: "Suggest Amulet or Dragon Rider"}},
	}},
	{"roosevelt-middle", rapport.PatronCreate{Role: rapport.RoleStudent, GivenName: "Sofia", FamilyName: "Rossi", Grade: "06",
		SourcedID: "demo-stu-3002", Barcode: "R3002"}, nil},
	{"other-elementary", rapport.PatronCreate{Role: rapport.RoleStudent, GivenName: "Noah", FamilyName: "Other", Grade: "03",
		SourcedID: "other-stu-1"}, nil},
}

// seedDemoPatrons adds the demo patrons that are not there yet (known by sourced_id), with
// their notes.
func seedDemoPatrons(ctx context.Context, store *postgres.Store, by rapport.Actor) error {
	for _, dp := range demoPatrons {
		district := "demo-usd"
		if dp.school == "other-elementary" {
			district = "other-district"
		}
		d, err := store.GetDistrictBySlug(ctx, district)
		if err != nil {
			return err
		}
		principal := auth.CLIPrincipal(d.ID)
		school, err := schoolBySlug(ctx, store, principal.Tenant, dp.school)
		if err != nil {
			return err
		}
		found, err := store.ListPatrons(ctx, principal.Tenant, rapport.PatronFilter{SourcedID: dp.in.SourcedID}, rapport.PageRequest{})
		if err != nil {
			return err
		}
		if len(found.Items) > 0 {
			continue
		}
		in := dp.in
		in.SchoolID = school.ID
		p, err := store.CreatePatron(ctx, principal.Tenant, by, in)
		if err != nil {
			return fmt.Errorf("patron %s: %w", in.SourcedID, err)
		}
		principal.ActingUser = "librarian@demo-usd.example.org"
		for _, n := range dp.notes {
			if _, err := store.CreateNote(ctx, principal, p.ID, n); err != nil {
				return fmt.Errorf("note for %s: %w", in.SourcedID, err)
			}
		}
	}
	return nil
}
