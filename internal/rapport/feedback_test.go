package rapport

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestCanTransition(t *testing.T) {
	t.Parallel()
	allowed := map[[2]FeedbackStatus]bool{
		{FeedbackReceived, FeedbackUnderReview}:  true,
		{FeedbackReceived, FeedbackActedOn}:      true,
		{FeedbackReceived, FeedbackExplained}:    true,
		{FeedbackUnderReview, FeedbackActedOn}:   true,
		{FeedbackUnderReview, FeedbackExplained}: true,
		{FeedbackActedOn, FeedbackUnderReview}:   true,
		{FeedbackExplained, FeedbackUnderReview}: true,
	}
	statuses := append(slices.Clone(feedbackStatuses), "closed", "")
	for _, from := range statuses {
		for _, to := range statuses {
			if got, want := CanTransition(from, to), allowed[[2]FeedbackStatus{from, to}]; got != want {
				t.Errorf("CanTransition(%q, %q) = %v, want %v", from, to, got, want)
			}
		}
	}
}

func TestTransitionApply(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 20, 15, 0, 0, 0, time.UTC)
	lee := Actor{ClientID: "desk", ActingUser: "ms.lee"}
	decided := FeedbackItem{ID: uuid.New(), Status: FeedbackActedOn, Resolution: "Bought them", DecidedAt: now.Add(-time.Hour),
		DecidedBy: lee, CommunicatedAt: now.Add(-time.Minute), Channel: ChannelEmail, CommunicatedBy: lee}
	for _, tt := range []struct {
		name     string
		from     FeedbackItem
		req      TransitionRequest
		wantKind Kind   // "" for success
		wantPtr  string // the one field blamed; "" for a conflict, which blames none
	}{
		{"start review without text", FeedbackItem{Status: FeedbackReceived}, TransitionRequest{To: FeedbackUnderReview}, "", ""},
		{"decide at once", FeedbackItem{Status: FeedbackReceived}, TransitionRequest{To: FeedbackActedOn, Text: "Bought 12 graphic novels"}, "", ""},
		{"explain", FeedbackItem{Status: FeedbackUnderReview}, TransitionRequest{To: FeedbackExplained, Text: "The budget is spent"}, "", ""},
		{"act without saying what", FeedbackItem{Status: FeedbackUnderReview}, TransitionRequest{To: FeedbackActedOn, Text: "  "}, Unprocessable, "#/text"},
		{"explain without explanation", FeedbackItem{Status: FeedbackReceived}, TransitionRequest{To: FeedbackExplained}, Unprocessable, "#/text"},
		{"reopen without reason", decided, TransitionRequest{To: FeedbackUnderReview}, Unprocessable, "#/text"},
		{"reopen", decided, TransitionRequest{To: FeedbackUnderReview, Text: "The order fell through"}, "", ""},
		{"decide again without reopening", decided, TransitionRequest{To: FeedbackExplained, Text: "x"}, Conflict, ""},
		{"back to received", FeedbackItem{Status: FeedbackUnderReview}, TransitionRequest{To: FeedbackReceived}, Conflict, ""},
		{"stay put", FeedbackItem{Status: FeedbackReceived}, TransitionRequest{To: FeedbackReceived}, Conflict, ""},
		{"impossible and textless: the conflict wins", decided, TransitionRequest{To: FeedbackActedOn}, Conflict, ""},
		{"text too long", FeedbackItem{Status: FeedbackReceived}, TransitionRequest{To: FeedbackActedOn, Text: strings.Repeat("x", 4001)}, Unprocessable, "#/text"},
		{"unknown status", FeedbackItem{Status: FeedbackReceived}, TransitionRequest{To: "closed"}, Unprocessable, "#/to"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, entry, err := tt.req.Apply(tt.from, lee, now)
			if tt.wantKind != "" {
				var want []string
				if tt.wantPtr != "" {
					want = []string{tt.wantPtr}
				}
				if ErrorKind(err) != tt.wantKind || !slices.Equal(pointersOf(err), want) {
					t.Fatalf("Apply = %v (pointers %v), want %s at %v", err, pointersOf(err), tt.wantKind, want)
				}
				if tt.wantKind == Conflict && !strings.Contains(err.Error(), "the item is "+string(tt.from.Status)) {
					t.Errorf("conflict %q does not name the current status %s", err, tt.from.Status)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if got.Status != tt.req.To || entry.From != tt.from.Status || entry.To != tt.req.To || entry.By != lee || !entry.At.Equal(now) {
				t.Errorf("Apply = %+v, entry %+v", got, entry)
			}
			if !got.CommunicatedAt.IsZero() || got.Channel != "" {
				t.Errorf("a transition kept the communication of the previous decision: %+v", got)
			}
			if tt.req.To.Decided() {
				if got.Resolution != strings.TrimSpace(tt.req.Text) || !got.DecidedAt.Equal(now) || got.DecidedBy != lee {
					t.Errorf("decision not recorded: %+v", got)
				}
			} else if got.Resolution != "" || !got.DecidedAt.IsZero() || got.DecidedBy != (Actor{}) {
				t.Errorf("resolution not cleared: %+v", got)
			}
		})
	}
}

func TestFeedbackCreateNormalize(t *testing.T) {
	t.Parallel()
	now := time.Now()
	school, campaign := uuid.New(), uuid.New()
	for _, tt := range []struct {
		name string
		in   FeedbackCreate
		at   string
		want []string
	}{
		{"minimal", FeedbackCreate{SchoolID: school, Source: SourceConversation, Summary: "More manga"}, "#", nil},
		{"source from the campaign", FeedbackCreate{SchoolID: school, CampaignID: campaign, Summary: "More manga"}, "#", nil},
		{"no source, no campaign", FeedbackCreate{SchoolID: school, Summary: "More manga"}, "#", []string{"#/source"}},
		{"in a batch", FeedbackCreate{SchoolID: school, Source: "gossip", Summary: " ", SubmitterRole: "wizard"}, ItemPointer(3),
			[]string{"#/items/3/submitter_role", "#/items/3/source", "#/items/3/summary"}},
		{"long category", FeedbackCreate{SchoolID: school, Source: SourceForm, Summary: "x", Category: strings.Repeat("c", 51)}, "#", []string{"#/category"}},
		{"control character", FeedbackCreate{SchoolID: school, Source: SourceForm, Summary: "a\x00b"}, "#", []string{"#/summary"}},
		{"received tomorrow", FeedbackCreate{SchoolID: school, Source: SourceForm, Summary: "x", ReceivedAt: now.Add(24 * time.Hour)}, "#", []string{"#/received_at"}},
		{"no school", FeedbackCreate{Source: SourceForm, Summary: "x"}, "#", []string{"#/school_id"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			var p Problems
			in.Normalize(&p, tt.at, now)
			if got := pointersOf(p.Err()); !slices.Equal(got, tt.want) {
				t.Errorf("Normalize pointers = %v, want %v", got, tt.want)
			}
		})
	}
	in := FeedbackCreate{SchoolID: school, Source: SourceForm, Summary: "  Longer hours ", Category: " Hours "}
	var p Problems
	in.Normalize(&p, "#", now)
	if in.Summary != "Longer hours" || in.Category != "hours" || !in.ReceivedAt.Equal(now) {
		t.Errorf("Normalize = %+v; want trimmed text, a lower-case category and received now", in)
	}
}

func TestCommunicationApply(t *testing.T) {
	t.Parallel()
	now := time.Now()
	by := Actor{ClientID: "desk"}
	decided := FeedbackItem{Status: FeedbackExplained, Resolution: "No budget", DecidedAt: now}
	for _, tt := range []struct {
		name     string
		item     FeedbackItem
		c        Communication
		wantKind Kind     // "" for success
		wantPtrs []string // the fields blamed
	}{
		{"told", decided, Communication{Channel: ChannelInPerson}, "", nil},
		{"told yesterday", decided, Communication{Channel: ChannelEmail, CommunicatedAt: now.Add(-24 * time.Hour)}, "", nil},
		{"undecided", FeedbackItem{Status: FeedbackUnderReview}, Communication{Channel: ChannelEmail}, Conflict, nil},
		{"told twice", FeedbackItem{Status: FeedbackActedOn, CommunicatedAt: now, Channel: ChannelEmail}, Communication{Channel: ChannelPhone}, Conflict, nil},
		{"in the future", decided, Communication{Channel: ChannelEmail, CommunicatedAt: now.Add(time.Hour)}, Unprocessable, []string{"#/communicated_at"}},
		{"unknown channel", decided, Communication{Channel: "pigeon"}, Unprocessable, []string{"#/channel"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.Apply(tt.item, by, now)
			if tt.wantKind == "" && err != nil || tt.wantKind != "" && ErrorKind(err) != tt.wantKind {
				t.Fatalf("Apply = %v, want kind %q", err, tt.wantKind)
			}
			if !slices.Equal(pointersOf(err), tt.wantPtrs) {
				t.Errorf("Apply = %v, pointers %v; want %v", err, pointersOf(err), tt.wantPtrs)
			}
			if err == nil && (got.CommunicatedAt.IsZero() || got.Channel != tt.c.Channel || got.CommunicatedBy != by) {
				t.Errorf("Apply = %+v", got)
			}
		})
	}
}

func TestCampaignAndPledgeChecks(t *testing.T) {
	t.Parallel()
	n := -1
	_, err := CampaignCreate{Kind: "poll", Title: " ", ParticipantCount: &n}.Campaign()
	want := []string{"#/school_id", "#/held_on", "#/kind", "#/title", "#/participant_count"}
	if got := pointersOf(err); !slices.Equal(got, want) {
		t.Errorf("CampaignCreate pointers = %v, want %v", got, want)
	}
	d := PledgeDraft{Feel: " Welcome ", Know: "x", Access: "", Text: strings.Repeat("t", 8001)}
	if got := pointersOf(d.Normalize()); !slices.Equal(got, []string{"#/access", "#/text"}) {
		t.Errorf("PledgeDraft pointers = %v", got)
	}
	if d.Feel != "Welcome" {
		t.Errorf("Normalize left %q untrimmed", d.Feel)
	}
	if CampaignFocusGroup.Source() != SourceFocusGroup || CampaignSurvey.Source() != SourceSurvey || CampaignOther.Source() != SourceOther {
		t.Error("a campaign's kind does not give the matching source")
	}
}
