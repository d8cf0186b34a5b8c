package main

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/rapportlib/rapport/db"
	"github.com/rapportlib/rapport/internal/auth"
	"github.com/rapportlib/rapport/internal/photo"
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
	if err := db.Migrate(cfg.migrateURL(), "up"); err != nil {
		return fmt.Errorf("migrate the database: %w", err)
	}
	if err := seedDemo(ctx, store); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintln(stdout, "seeded the demo district demo-usd (clients demo / demo-secret) and other-district (demo-other / demo-other-secret), with patrons, notes and interactions")
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
		client := rapport.ClientCreate{Name: "Demo client (every scope)", ClientID: t.clientID, Scopes: rapport.AllScopes,
			ActingUsers: []string{"librarian@" + t.district.Slug + ".example.org", "ms.lee@" + t.district.Slug + ".example.org"}}
		if _, err := store.EnsureClient(ctx, d.ID, by, client, auth.HashSecret(t.secret)); err != nil {
			return err
		}
	}
	if err := seedDemoPatrons(ctx, store, by); err != nil {
		return err
	}
	if err := seedDemoPhotos(ctx, store, by); err != nil {
		return err
	}
	if err := seedDemoInteractions(ctx, store, time.Now()); err != nil {
		return err
	}
	return seedDemoFeedback(ctx, store)
}

// seedDemoPhotos gives every demo patron a school photo (a drawn stand-in: a head and
// shoulders on a background of the patron's own colour), as a photographer's import would,
// and lets the demo district's LMS use them. The pictures are the same on every run, so a
// second seed changes nothing.
func seedDemoPhotos(ctx context.Context, store *postgres.Store, by rapport.Actor) error {
	photos := photo.NewService(store, photo.Limits{})
	capturedOn := time.Date(2026, time.September, 1, 0, 0, 0, 0, time.UTC)
	for i, dp := range demoPatrons {
		principal, err := dp.principal(ctx, store)
		if err != nil {
			return err
		}
		found, err := store.ListPatrons(ctx, principal.Tenant, rapport.PatronFilter{SourcedID: dp.in.SourcedID}, rapport.PageRequest{})
		if err != nil || len(found.Items) == 0 {
			return fmt.Errorf("photo for %s: the patron is missing (%v)", dp.in.SourcedID, err)
		}
		var picture bytes.Buffer
		if err := jpeg.Encode(&picture, standInPortrait(i), &jpeg.Options{Quality: 90}); err != nil {
			return err
		}
		_, _, err = photos.Put(ctx, principal, found.Items[0].ID, nil, &picture,
			photo.Upload{Source: rapport.SourcePhotographerImport, CapturedOn: capturedOn})
		if err != nil {
			return fmt.Errorf("photo for %s: %w", dp.in.SourcedID, err)
		}
	}
	d, err := store.GetDistrictBySlug(ctx, "demo-usd")
	if err != nil {
		return err
	}
	_, err = store.SetPhotoConsentDefaults(ctx, rapport.TenantScope{DistrictID: d.ID}, by, map[rapport.PhotoPurpose]bool{rapport.PurposeLMS: true})
	return err
}

// standInPortrait draws the n-th demo patron's stand-in photo: 480×600, a background of a hue
// of its own, a head and shoulders in a darker shade.
func standInPortrait(n int) image.Image {
	const w, h = 480, 600
	background := color.RGBA{R: uint8(90 + 37*n%150), G: uint8(140 + 53*n%100), B: uint8(200 - 29*n%120), A: 255}
	figure := color.RGBA{R: background.R / 3, G: background.G / 3, B: background.B / 3, A: 255}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := background
			dx, dy := x-w/2, y-h*2/5
			head := dx*dx+dy*dy*3/4 < 95*95
			sy := y - h
			shoulders := dx*dx+sy*sy/2 < 200*200
			if head || shoulders {
				c = figure
			}
			img.Set(x, y, c)
		}
	}
	return img
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

// principal returns the command line's principal in the demo patron's district.
func (dp demoPatron) principal(ctx context.Context, store *postgres.Store) (*rapport.Principal, error) {
	district := "demo-usd"
	if dp.school == "other-elementary" {
		district = "other-district"
	}
	return districtPrincipal(ctx, store, district)
}

// seedDemoPatrons adds the demo patrons that are not there yet (known by sourced_id), with
// their notes.
func seedDemoPatrons(ctx context.Context, store *postgres.Store, by rapport.Actor) error {
	for _, dp := range demoPatrons {
		principal, err := dp.principal(ctx, store)
		if err != nil {
			return err
		}
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

// demoInteraction is a service the demo library gave: to the patrons named by sourced_id (the
// first is the one it is looked up by), or, without patrons, an anonymous head count.
type demoInteraction struct {
	district, school string // slugs
	patrons          []string
	ago              time.Duration // how long before the seed it happened
	in               rapport.InteractionCreate
	visit            bool // recorded through the quick check-in
}

var demoInteractions = []demoInteraction{
	{"demo-usd", "lincoln-high", []string{"demo-stu-1001"}, 3 * 24 * time.Hour, rapport.InteractionCreate{
		Kind: rapport.ServiceReference, Summary: "Books on servo motors for the science-fair robot arm",
		Outcome: rapport.OutcomeAnswered, ReadLevel: 3, DurationMinutes: 15,
		Satisfaction: &rapport.Satisfaction{Rating: 5, Comment: "Found exactly what I needed"}}, false},
	{"demo-usd", "lincoln-high", []string{"demo-stu-1002"}, 2 * 24 * time.Hour, rapport.InteractionCreate{
		Kind: rapport.ServiceResearchHelp, Channel: rapport.ViaChat, Summary: "Primary sources on the 1918 flu in Springfield",
		Outcome: rapport.OutcomeReferred, ReadLevel: 5, DurationMinutes: 40,
		Referral: &rapport.ReferralCreate{ToName: "Springfield Public Library, local history room", ToRole: "public librarian",
			Contact: "history@springfield-library.example.org"}}, false},
	{"demo-usd", "lincoln-high", []string{"demo-stu-1003", "demo-stu-1001"}, 24 * time.Hour, rapport.InteractionCreate{
		Kind: rapport.ServiceReadersAdvisory, Summary: "Manga and graphic novels for the two of them to trade",
		Outcome: rapport.OutcomeAnswered, ReadLevel: 2, DurationMinutes: 10}, false},
	{"demo-usd", "lincoln-high", []string{"demo-tch-2001"}, 6 * 24 * time.Hour, rapport.InteractionCreate{
		Kind: rapport.ServiceClassVisit, HeadCount: 28, Summary: "10th-grade English: finding articles in the research databases",
		Outcome: rapport.OutcomeAnswered, ReadLevel: 4, DurationMinutes: 50}, false},
	{"demo-usd", "lincoln-high", nil, 9 * 24 * time.Hour, rapport.InteractionCreate{
		Kind: rapport.ServiceEvent, HeadCount: 45, Summary: "Author talk with a local poet", DurationMinutes: 60}, false},
	{"demo-usd", "roosevelt-middle", []string{"demo-stu-3001"}, 26 * time.Hour, rapport.InteractionCreate{
		Summary: "Checked in after school"}, true},
	{"demo-usd", "roosevelt-middle", []string{"demo-stu-3002"}, 4 * 24 * time.Hour, rapport.InteractionCreate{
		Kind: rapport.ServiceTechHelp, Summary: "Chromebook would not join the school wifi",
		Outcome: rapport.OutcomeReferred, ReadLevel: 2, DurationMinutes: 5,
		Referral: &rapport.ReferralCreate{ToName: "Mr. Patel", ToRole: "school IT technician", State: rapport.ReferralClosed,
			ClosedNote: "Fixed the same day with a new wifi profile"}}, false},
	{"other-district", "other-elementary", []string{"other-stu-1"}, 24 * time.Hour, rapport.InteractionCreate{
		Summary: "Checked in at recess"}, true},
}

// seedDemoInteractions records the demo interactions that are not there yet, known by their
// first patron (or school), kind and summary.
func seedDemoInteractions(ctx context.Context, store *postgres.Store, now time.Time) error {
	for _, di := range demoInteractions {
		d, err := store.GetDistrictBySlug(ctx, di.district)
		if err != nil {
			return err
		}
		principal := auth.CLIPrincipal(d.ID)
		by := rapport.Actor{ClientID: rapport.CLIClientID, ActingUser: "librarian@" + di.district + ".example.org"}
		school, err := schoolBySlug(ctx, store, principal.Tenant, di.school)
		if err != nil {
			return err
		}
		in := di.in
		in.SchoolID, in.OccurredAt = school.ID, now.Add(-di.ago)
		if di.visit {
			in.Kind = rapport.ServiceVisit
		}
		for _, sourcedID := range di.patrons {
			found, err := store.ListPatrons(ctx, principal.Tenant, rapport.PatronFilter{SourcedID: sourcedID}, rapport.PageRequest{})
			if err != nil {
				return err
			}
			if len(found.Items) == 0 {
				return fmt.Errorf("interaction %q: no demo patron %s", in.Summary, sourcedID)
			}
			in.PatronIDs = append(in.PatronIDs, found.Items[0].ID)
		}
		filter := rapport.InteractionFilter{SchoolID: school.ID, Kind: in.Kind}
		var seen rapport.Page[rapport.Interaction]
		if len(in.PatronIDs) > 0 {
			seen, err = store.ListPatronInteractions(ctx, principal.Tenant, in.PatronIDs[0], filter, rapport.PageRequest{Limit: rapport.MaxLimit})
		} else {
			seen, err = store.ListInteractions(ctx, principal.Tenant, filter, rapport.PageRequest{Limit: rapport.MaxLimit})
		}
		if err != nil {
			return err
		}
		if slices.ContainsFunc(seen.Items, func(it rapport.Interaction) bool { return it.Summary == in.Summary }) {
			continue
		}
		if di.visit {
			_, err = store.CreateVisit(ctx, principal.Tenant, by, in.PatronIDs[0],
				rapport.VisitCreate{OccurredAt: in.OccurredAt, Summary: in.Summary})
		} else {
			_, err = store.CreateInteraction(ctx, principal.Tenant, by, in)
		}
		if err != nil {
			return fmt.Errorf("interaction %q: %w", in.Summary, err)
		}
	}
	return nil
}

// demoPledge is Lincoln High's service pledge.
var demoPledge = rapport.PledgeDraft{
	Feel:   "Welcome, whoever you are and whatever you need, from the first bell to the last.",
	Know:   "That we will find what you are looking for, or the person who has it, and that we tell you what we did with your ideas.",
	Access: "Books, e-books, laptops, chargers, printing, and a quiet place to work, 7:30 am to 4:30 pm on school days.",
	Text: "The Lincoln High library is yours. We learn your name and what you care about, we help you find what you need, " +
		"and we ask what would make the library better. When you tell us, we act on it, or we explain why we cannot.",
}

// demoCampaign is the focus group whose notes the demo records.
var demoCampaign = rapport.CampaignCreate{
	Kind: rapport.CampaignFocusGroup, Title: "10th-grade focus group", HeldOn: time.Date(2026, 10, 14, 0, 0, 0, 0, time.UTC),
	ParticipantCount: new(9), Notes: "Ms. Nwosu's English class, third period, in the library.",
}

// demoDecision says where a demo feedback item came from (who gave it, whether at the focus
// group) and what happens to it once recorded: the moves it makes, whether its decision was
// told back, and who said "me too".
type demoDecision struct {
	moves          []rapport.TransitionRequest
	told           rapport.CommunicationChannel // empty when not told yet
	supporters     []string                     // sourced ids of patrons
	anonymousToo   int                          // anonymous supporters
	patron         string                       // sourced id of whoever gave it; empty when anonymous
	fromFocusGroup bool
}

var demoFeedback = []struct {
	in rapport.FeedbackCreate
	demoDecision
}{
	{rapport.FeedbackCreate{Category: "collection", Summary: "More graphic novels and manga", Public: true,
		PublicSummary: "More graphic novels and manga",
		Details:       "Several students said the shelf is always empty by Tuesday."},
		demoDecision{moves: []rapport.TransitionRequest{
			{To: rapport.FeedbackUnderReview},
			{To: rapport.FeedbackActedOn, Text: "Ordered 60 volumes from the list Maya's club drew up; shelved by the windows.",
				PublicText: "We added 60 graphic novels and manga volumes; see the new shelf by the windows."},
		}, told: rapport.ChannelInPerson, supporters: []string{"demo-stu-1003"}, anonymousToo: 2, patron: "demo-stu-1001", fromFocusGroup: true}},
	{rapport.FeedbackCreate{Category: "space", Summary: "A quiet study space during lunch", Public: true,
		PublicSummary: "A quiet study space during lunch"},
		demoDecision{moves: []rapport.TransitionRequest{{To: rapport.FeedbackUnderReview, Text: "Talking to the lunch supervisors"}},
			anonymousToo: 4, fromFocusGroup: true}},
	{rapport.FeedbackCreate{Category: "technology", Summary: "Phone chargers at the tables", Public: true,
		PublicSummary: "Phone chargers at the tables"},
		demoDecision{moves: []rapport.TransitionRequest{
			{To: rapport.FeedbackExplained, Text: "Facilities say the tables cannot be wired this year; we lend chargers at the desk instead.",
				PublicText: "The tables cannot be wired this year; we lend chargers at the desk instead."},
		}, fromFocusGroup: true}},
	{rapport.FeedbackCreate{Category: "hours", Summary: "Longer hours after school"}, demoDecision{fromFocusGroup: true}},
	{rapport.FeedbackCreate{Source: rapport.SourceSuggestionBox, Category: "hours", Summary: "Open on Saturdays", Public: true,
		PublicSummary: "Open on Saturdays"},
		demoDecision{moves: []rapport.TransitionRequest{
			{To: rapport.FeedbackUnderReview, Text: "Asking the district about weekend staffing"},
			{To: rapport.FeedbackExplained, Text: "The building is closed on weekends; the library now stays open until 5 pm on Tuesdays and Thursdays.",
				PublicText: "The building is closed on weekends; the library now stays open until 5 pm on Tuesdays and Thursdays."},
		}, told: rapport.ChannelNewsletter}},
	{rapport.FeedbackCreate{Source: rapport.SourceConversation, Category: "research", Summary: "A research guide on the 1918 flu"},
		demoDecision{moves: []rapport.TransitionRequest{
			{To: rapport.FeedbackActedOn, Text: "Made a research guide with the history department; it is on the library page."},
		}, patron: "demo-stu-1002"}},
	{rapport.FeedbackCreate{Source: rapport.SourceEmail, Category: "facilities", Summary: "A lost-and-found box at the desk"}, demoDecision{}},
}

// seedDemoFeedback gives Lincoln High its feedback loop: the service pledge, a focus group
// with its notes, and items in every state (some public, some decisions told back, some not
// yet), with "me too"s. It adds the items once: when the focus group exists already, it adds
// nothing; and publishing the same pledge again adds no version.
func seedDemoFeedback(ctx context.Context, store *postgres.Store) error {
	d, err := store.GetDistrictBySlug(ctx, "demo-usd")
	if err != nil {
		return err
	}
	scope := auth.CLIPrincipal(d.ID).Tenant
	by := rapport.Actor{ClientID: rapport.CLIClientID, ActingUser: "librarian@demo-usd.example.org"}
	school, err := schoolBySlug(ctx, store, scope, "lincoln-high")
	if err != nil {
		return err
	}
	if _, _, err := store.PublishPledge(ctx, scope, by, school.ID, nil, demoPledge); err != nil {
		return fmt.Errorf("pledge: %w", err)
	}
	campaigns, err := store.ListCampaigns(ctx, scope, rapport.CampaignFilter{SchoolID: school.ID}, rapport.PageRequest{Limit: rapport.MaxLimit})
	if err != nil {
		return err
	}
	for _, c := range campaigns.Items {
		if c.Title == demoCampaign.Title {
			return nil
		}
	}
	in := demoCampaign
	in.SchoolID = school.ID
	campaign, err := store.CreateCampaign(ctx, scope, by, in)
	if err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	patronID := func(sourcedID string) (uuid.UUID, error) {
		found, err := store.ListPatrons(ctx, scope, rapport.PatronFilter{SourcedID: sourcedID}, rapport.PageRequest{})
		if err != nil || len(found.Items) == 0 {
			return uuid.Nil, fmt.Errorf("demo patron %s: not found (%v)", sourcedID, err)
		}
		return found.Items[0].ID, nil
	}

	var notes []rapport.FeedbackCreate
	var decisions []demoDecision
	for _, f := range demoFeedback {
		if f.patron != "" {
			if f.in.PatronID, err = patronID(f.patron); err != nil {
				return err
			}
		}
		if f.fromFocusGroup {
			f.in.ReceivedAt = campaign.HeldOn.Add(10 * time.Hour)
			notes = append(notes, f.in)
			decisions = append(decisions, f.demoDecision)
		}
	}
	items, err := store.CreateCampaignFeedback(ctx, scope, by, campaign.ID, notes)
	if err != nil {
		return fmt.Errorf("focus group notes: %w", err)
	}
	for _, f := range demoFeedback {
		if f.fromFocusGroup {
			continue
		}
		f.in.SchoolID = school.ID
		if f.patron != "" {
			if f.in.PatronID, err = patronID(f.patron); err != nil {
				return err
			}
		}
		item, err := store.CreateFeedback(ctx, scope, by, f.in)
		if err != nil {
			return fmt.Errorf("feedback %q: %w", f.in.Summary, err)
		}
		items, decisions = append(items, item), append(decisions, f.demoDecision)
	}

	for i, item := range items {
		dd := decisions[i]
		for _, m := range dd.moves {
			if _, err := store.TransitionFeedback(ctx, scope, by, item.ID, nil, m); err != nil {
				return fmt.Errorf("feedback %q to %s: %w", item.Summary, m.To, err)
			}
		}
		if dd.told != "" {
			if _, err := store.RecordFeedbackCommunication(ctx, scope, by, item.ID, nil, rapport.Communication{Channel: dd.told}); err != nil {
				return fmt.Errorf("feedback %q told: %w", item.Summary, err)
			}
		}
		var supporters []rapport.Supporter
		for _, s := range dd.supporters {
			id, err := patronID(s)
			if err != nil {
				return err
			}
			supporters = append(supporters, rapport.Supporter{PatronID: id})
		}
		for range dd.anonymousToo {
			supporters = append(supporters, rapport.Supporter{})
		}
		for _, s := range supporters {
			if _, _, err := store.AddFeedbackSupporter(ctx, scope, by, item.ID, s); err != nil {
				return fmt.Errorf("feedback %q supporter: %w", item.Summary, err)
			}
		}
	}
	return nil
}
