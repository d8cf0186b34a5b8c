package rapport

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

func ptr[T any](v T) *T { return &v }

func TestInteractionCreate(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	by := Actor{ClientID: "desk", ActingUser: "ms.lee"}
	school, a, b := uuid.New(), uuid.New(), uuid.New()
	valid := func(edit func(*InteractionCreate)) InteractionCreate {
		in := InteractionCreate{SchoolID: school, PatronIDs: []uuid.UUID{a, b}, Kind: ServiceReference}
		if edit != nil {
			edit(&in)
		}
		return in
	}

	t.Run("defaults", func(t *testing.T) {
		it, err := valid(nil).Interaction(by, now)
		if err != nil {
			t.Fatal(err)
		}
		if it.HeadCount != 2 || it.Channel != ViaInPerson || !it.OccurredAt.IsZero() {
			t.Errorf("Interaction() = head count %d, channel %q, occurred_at %v; want 2, in_person, zero (the time of the write)",
				it.HeadCount, it.Channel, it.OccurredAt)
		}
	})
	t.Run("a referral recorded as closed is closed by the recorder", func(t *testing.T) {
		it, err := valid(func(in *InteractionCreate) {
			in.Outcome = OutcomeReferred
			in.Referral = &ReferralCreate{ToName: "Ms. Rivera", ToRole: "counselor", State: ReferralClosed, ClosedNote: "They met on Monday"}
		}).Interaction(by, now)
		if err != nil {
			t.Fatal(err)
		}
		if r := it.Referral; r.ClosedAt != now || r.ClosedBy != by {
			t.Errorf("Referral = %+v, want closed at %v by %v", r, now, by)
		}
	})

	for _, tt := range []struct {
		name string
		edit func(*InteractionCreate)
		want []string
	}{
		{"no school", func(in *InteractionCreate) { in.SchoolID = uuid.Nil }, []string{"#/school_id"}},
		{"a head count without patrons", func(in *InteractionCreate) { in.PatronIDs, in.HeadCount = nil, 0 }, []string{"#/head_count"}},
		{"fewer heads than patrons", func(in *InteractionCreate) { in.HeadCount = 1 }, []string{"#/head_count"}},
		{"too many heads", func(in *InteractionCreate) { in.HeadCount = MaxHeadCount + 1 }, []string{"#/head_count"}},
		{"a repeated patron", func(in *InteractionCreate) { in.PatronIDs = []uuid.UUID{a, b, a} }, []string{"#/patron_ids/2"}},
		{"a nil patron", func(in *InteractionCreate) { in.PatronIDs = []uuid.UUID{a, uuid.Nil} }, []string{"#/patron_ids/1"}},
		{"too many patrons", func(in *InteractionCreate) {
			in.PatronIDs = nil
			for range MaxInteractionPatrons + 1 {
				in.PatronIDs = append(in.PatronIDs, uuid.New())
			}
		}, []string{"#/patron_ids"}},
		{"no kind", func(in *InteractionCreate) { in.Kind = "" }, []string{"#/kind"}},
		{"an unknown channel", func(in *InteractionCreate) { in.Channel = "pigeon" }, []string{"#/channel"}},
		{"an unknown outcome", func(in *InteractionCreate) { in.Outcome = "shrugged" }, []string{"#/outcome"}},
		{"READ level 7", func(in *InteractionCreate) { in.ReadLevel = 7 }, []string{"#/read_level"}},
		{"a day and a minute", func(in *InteractionCreate) { in.DurationMinutes = MaxDurationMinutes + 1 }, []string{"#/duration_minutes"}},
		{"a blank summary", func(in *InteractionCreate) { in.Summary = " \n " }, []string{"#/summary"}},
		{"a summary too long", func(in *InteractionCreate) { in.Summary = strings.Repeat("x", 2001) }, []string{"#/summary"}},
		{"in ten minutes", func(in *InteractionCreate) { in.OccurredAt = now.Add(10 * time.Minute) }, []string{"#/occurred_at"}},
		{"in the last century", func(in *InteractionCreate) { in.OccurredAt = time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC) }, []string{"#/occurred_at"}},
		{"referred without a referral", func(in *InteractionCreate) { in.Outcome = OutcomeReferred }, []string{"#/referral"}},
		{"a referral but answered", func(in *InteractionCreate) {
			in.Outcome, in.Referral = OutcomeAnswered, &ReferralCreate{ToName: "X", ToRole: "Y"}
		}, []string{"#/referral"}},
		{"a referral without an outcome", func(in *InteractionCreate) { in.Referral = &ReferralCreate{ToName: "X", ToRole: "Y"} }, []string{"#/referral"}},
		{"a referral to no one", func(in *InteractionCreate) {
			in.Outcome, in.Referral = OutcomeReferred, &ReferralCreate{ToName: " ", ToRole: ""}
		}, []string{"#/referral/to_name", "#/referral/to_role"}},
		{"closed without a note", func(in *InteractionCreate) {
			in.Outcome, in.Referral = OutcomeReferred, &ReferralCreate{ToName: "X", ToRole: "Y", State: ReferralClosed}
		}, []string{"#/referral/closed_note"}},
		{"a note on an open referral", func(in *InteractionCreate) {
			in.Outcome, in.Referral = OutcomeReferred, &ReferralCreate{ToName: "X", ToRole: "Y", ClosedNote: "done"}
		}, []string{"#/referral/closed_note"}},
		{"a rating of 6", func(in *InteractionCreate) { in.Satisfaction = &Satisfaction{Rating: 6} }, []string{"#/satisfaction/rating"}},
		{"a comment without a rating", func(in *InteractionCreate) { in.Satisfaction = &Satisfaction{Comment: "great"} }, []string{"#/satisfaction/rating"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := valid(tt.edit).Interaction(by, now)
			if ErrorKind(err) != Unprocessable || !slices.Equal(pointersOf(err), tt.want) {
				t.Errorf("Interaction() = %v, want Unprocessable at %v", err, tt.want)
			}
		})
	}
}

func TestInteractionPatch(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	by := Actor{ClientID: "desk", ActingUser: "mr.kim"}
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	base := Interaction{SchoolID: uuid.New(), PatronIDs: []uuid.UUID{a}, HeadCount: 1, Kind: ServiceReference,
		Channel: ViaInPerson, Outcome: OutcomeReferred,
		Referral:     &Referral{ToName: "Ms. Rivera", ToRole: "counselor", State: ReferralMade},
		Satisfaction: &Satisfaction{Rating: 4, Comment: "helpful"}}

	t.Run("more patrons raise the head count; fewer keep it", func(t *testing.T) {
		it, err := InteractionPatch{PatronIDs: &[]uuid.UUID{a, b, c}}.Apply(base, by, now)
		if err != nil || it.HeadCount != 3 {
			t.Fatalf("Apply(3 patrons) = %d, %v; want head count 3", it.HeadCount, err)
		}
		it, err = InteractionPatch{PatronIDs: &[]uuid.UUID{b}}.Apply(it, by, now)
		if err != nil || it.HeadCount != 3 {
			t.Errorf("Apply(1 patron) = %d, %v; want head count 3 kept", it.HeadCount, err)
		}
		_, err = InteractionPatch{PatronIDs: &[]uuid.UUID{a, b, c}, HeadCount: ptr(2)}.Apply(base, by, now)
		if !slices.Equal(pointersOf(err), []string{"#/head_count"}) {
			t.Errorf("Apply(3 patrons, head count 2) = %v, want a problem at #/head_count", err)
		}
	})
	t.Run("close and reopen the referral", func(t *testing.T) {
		closed := ReferralClosed
		_, err := InteractionPatch{Referral: Change[ReferralPatch]{Set: true, Value: &ReferralPatch{State: &closed}}}.Apply(base, by, now)
		if !slices.Equal(pointersOf(err), []string{"#/referral/closed_note"}) {
			t.Fatalf("closing without a note = %v", err)
		}
		it, err := InteractionPatch{Referral: Change[ReferralPatch]{Set: true, Value: &ReferralPatch{State: &closed, ClosedNote: ptr("Saw her Tuesday")}}}.Apply(base, by, now)
		if err != nil || it.Referral.ClosedAt != now || it.Referral.ClosedBy != by || it.Referral.ToName != "Ms. Rivera" {
			t.Fatalf("close = %+v, %v", it.Referral, err)
		}
		if base.Referral.State != ReferralMade {
			t.Errorf("Apply changed the referral it was given")
		}
		made := ReferralMade
		it, err = InteractionPatch{Referral: Change[ReferralPatch]{Set: true, Value: &ReferralPatch{State: &made}}}.Apply(it, by, now)
		if err != nil || it.Referral.ClosedNote != "" || !it.Referral.ClosedAt.IsZero() || it.Referral.ClosedBy != (Actor{}) {
			t.Errorf("reopen = %+v, %v; want the closing cleared", it.Referral, err)
		}
	})
	t.Run("the outcome and the referral go together", func(t *testing.T) {
		answered := OutcomeAnswered
		_, err := InteractionPatch{Outcome: Change[Outcome]{Set: true, Value: &answered}}.Apply(base, by, now)
		if !slices.Equal(pointersOf(err), []string{"#/referral"}) {
			t.Errorf("answered with a referral = %v", err)
		}
		it, err := InteractionPatch{Outcome: Change[Outcome]{Set: true, Value: &answered}, Referral: Change[ReferralPatch]{Set: true}}.Apply(base, by, now)
		if err != nil || it.Referral != nil {
			t.Errorf("answered without the referral = %+v, %v", it.Referral, err)
		}
		plain := base
		plain.Outcome, plain.Referral = "", nil
		_, err = InteractionPatch{Referral: Change[ReferralPatch]{Set: true, Value: &ReferralPatch{ToName: ptr("X")}}}.Apply(plain, by, now)
		if !slices.Equal(pointersOf(err), []string{"#/referral/to_role", "#/referral"}) {
			t.Errorf("adding a referral without to_role or the outcome = %v", err)
		}
	})
	t.Run("satisfaction", func(t *testing.T) {
		it, err := InteractionPatch{Satisfaction: Change[SatisfactionPatch]{Set: true, Value: &SatisfactionPatch{Comment: Change[string]{Set: true}}}}.Apply(base, by, now)
		if err != nil || *it.Satisfaction != (Satisfaction{Rating: 4}) {
			t.Errorf("clear the comment = %+v, %v", it.Satisfaction, err)
		}
		plain := base
		plain.Satisfaction = nil
		_, err = InteractionPatch{Satisfaction: Change[SatisfactionPatch]{Set: true, Value: &SatisfactionPatch{Comment: Change[string]{Set: true, Value: ptr("ok")}}}}.Apply(plain, by, now)
		if !slices.Equal(pointersOf(err), []string{"#/satisfaction/rating"}) {
			t.Errorf("a comment without a rating = %v", err)
		}
		it, err = InteractionPatch{Satisfaction: Change[SatisfactionPatch]{Set: true}}.Apply(base, by, now)
		if err != nil || it.Satisfaction != nil {
			t.Errorf("remove = %+v, %v", it.Satisfaction, err)
		}
	})
}
