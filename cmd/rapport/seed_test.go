package main

import (
	"context"
	"io"
	"slices"
	"testing"

	"github.com/rapportlib/rapport/internal/auth"
	"github.com/rapportlib/rapport/internal/dbtest"
	"github.com/rapportlib/rapport/internal/postgres"
	"github.com/rapportlib/rapport/internal/rapport"
)

// TestSeedFeedback seeds twice and finds Lincoln High's feedback loop once: the pledge, the
// focus group, items in every state, and the public board.
func TestSeedFeedback(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dbURL := dbtest.NewDatabase(t)
	vars := env(map[string]string{"DATABASE_URL": dbURL})
	for range 2 {
		if err := run(ctx, []string{"seed"}, vars, io.Discard, io.Discard); err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	store, err := postgres.Open(ctx, dbURL, postgres.Config{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	d, err := store.GetDistrictBySlug(ctx, "demo-usd")
	if err != nil {
		t.Fatal(err)
	}
	scope := auth.CLIPrincipal(d.ID).Tenant

	pledge, err := store.GetPublicPledge(ctx, "lincoln-high")
	if err != nil || pledge.Pledge.Version != 1 {
		t.Errorf("the public pledge = %+v, %v; want version 1", pledge, err)
	}
	campaigns, err := store.ListCampaigns(ctx, scope, rapport.CampaignFilter{}, rapport.PageRequest{})
	if err != nil || len(campaigns.Items) != 1 {
		t.Fatalf("campaigns = %+v, %v; want the focus group once", campaigns.Items, err)
	}
	if c := campaigns.Items[0].Counts; c != (rapport.CampaignCounts{Total: 4, Open: 2, ActedOn: 1, ExplainedWhyNot: 1}) {
		t.Errorf("focus group counts = %+v", c)
	}
	items, err := store.ListFeedback(ctx, scope, rapport.FeedbackFilter{}, rapport.PageRequest{Limit: rapport.MaxLimit})
	if err != nil {
		t.Fatal(err)
	}
	var statuses []rapport.FeedbackStatus
	for _, f := range items.Items {
		if !slices.Contains(statuses, f.Status) {
			statuses = append(statuses, f.Status)
		}
	}
	if len(items.Items) != 7 || len(statuses) != 4 {
		t.Errorf("%d items in statuses %v; want 7 in all four", len(items.Items), statuses)
	}
	yes, no := true, false
	untold, err := store.ListFeedback(ctx, scope, rapport.FeedbackFilter{Decided: &yes, Communicated: &no}, rapport.PageRequest{})
	if err != nil || len(untold.Items) != 2 {
		t.Errorf("decisions not yet told = %d, %v; want 2", len(untold.Items), err)
	}
	board, err := store.ListYouSaidWeDid(ctx, "lincoln-high", rapport.PageRequest{})
	if err != nil || len(board.Items) != 3 {
		t.Errorf("the public board = %+v, %v; want three decisions", board.Items, err)
	}
}
