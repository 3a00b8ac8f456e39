package billing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengallery/opengallery/billing"
)

// evsTerm is the reference example: a monthly disk bought 2024-03-31 that
// expired 2024-04-30.
func evsTerm(t *testing.T) billing.Term {
	t.Helper()
	term, err := billing.NewTerm(billing.DefaultConfig(), at(2024, 3, 31, 9, 0, 0), billing.Monthly, 1)
	if err != nil {
		t.Fatal(err)
	}
	return term
}

func TestRenew(t *testing.T) {
	cfg := billing.DefaultConfig()
	term := evsTerm(t)
	yearly, err := billing.NewTerm(cfg, at(2023, 2, 28, 9, 0, 0), billing.Yearly, 1)
	if err != nil {
		t.Fatal(err)
	}
	jan10, err := billing.NewTerm(cfg, at(2024, 1, 10, 9, 0, 0), billing.Monthly, 1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		in        billing.RenewalInput
		expiry    time.Time
		anchor    int
		remaining billing.Remaining
		consumed  time.Duration
		extra     int
	}{
		{
			name:   "seed: expired 2024-04-30, renewed 2024-05-18 for 1 month → 2024-05-31, 13 days left",
			in:     billing.RenewalInput{Term: term, Count: 1, Now: at(2024, 5, 18, 10, 0, 0)},
			expiry: at(2024, 5, 31, 23, 59, 59), anchor: 31,
			remaining: billing.Remaining{Days: 13, Hours: 13},
			consumed:  17*24*time.Hour + 10*time.Hour + time.Second,
		},
		{
			name:   "before expiry: from the expiry, nothing consumed",
			in:     billing.RenewalInput{Term: term, Count: 3, Now: at(2024, 4, 20, 10, 0, 0)},
			expiry: at(2024, 7, 31, 23, 59, 59), anchor: 31,
			remaining: billing.Remaining{Days: 102, Hours: 13},
		},
		{
			name:   "yearly anchored on Feb 28 stays on the 28th",
			in:     billing.RenewalInput{Term: yearly, Count: 2, Now: at(2024, 2, 1, 10, 0, 0)},
			expiry: at(2026, 2, 28, 23, 59, 59), anchor: 28,
			remaining: billing.Remaining{Days: 758, Hours: 13},
		},
		{
			name:   "uniform renewal day 15: the first 15th after May 31",
			in:     billing.RenewalInput{Term: term, Count: 1, UniformDay: 15, Now: at(2024, 4, 20, 10, 0, 0)},
			expiry: at(2024, 6, 15, 23, 59, 59), anchor: 15,
			remaining: billing.Remaining{Days: 56, Hours: 13}, extra: 15,
		},
		{
			name:   "uniform renewal on the last day: Mar 10 → Mar 31",
			in:     billing.RenewalInput{Term: jan10, Count: 1, UniformDay: billing.LastDay, Now: at(2024, 2, 1, 10, 0, 0)},
			expiry: at(2024, 3, 31, 23, 59, 59), anchor: billing.LastDay,
			remaining: billing.Remaining{Days: 59, Hours: 13}, extra: 21,
		},
		{
			name:   "uniform day equal to the normal expiry day adds nothing",
			in:     billing.RenewalInput{Term: yearly, Count: 1, UniformDay: 28, Now: at(2024, 2, 1, 10, 0, 0)},
			expiry: at(2025, 2, 28, 23, 59, 59), anchor: 28,
			remaining: billing.Remaining{Days: 393, Hours: 13},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := billing.Renew(cfg, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			want := billing.Renewal{
				Term:      billing.Term{Mode: tt.in.Term.Mode, Count: tt.in.Count, Start: tt.in.Term.Expiry, AnchorDay: tt.anchor, Expiry: tt.expiry.UTC()},
				Consumed:  tt.consumed,
				Remaining: tt.remaining,
				ExtraDays: tt.extra,
			}
			if d := cmp.Diff(want, r); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if r.Remaining.String() == "" {
				t.Error("empty remaining text")
			}
		})
	}
}

func TestRenewChained(t *testing.T) {
	// Renewing the renewed term keeps the month-end anchor: Apr 30 → May 31
	// → Jun 30 → Jul 31.
	cfg := billing.DefaultConfig()
	term := evsTerm(t)
	var got []time.Time
	for range 3 {
		r, err := billing.Renew(cfg, billing.RenewalInput{Term: term, Count: 1, Now: term.Expiry.Add(-time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		term = r.Term
		got = append(got, term.Expiry)
	}
	want := []time.Time{at(2024, 5, 31, 23, 59, 59).UTC(), at(2024, 6, 30, 23, 59, 59).UTC(), at(2024, 7, 31, 23, 59, 59).UTC()}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestRenewableBadInput(t *testing.T) {
	cfg := billing.DefaultConfig()
	exp := at(2024, 4, 30, 23, 59, 59)
	if err := billing.Renewable(cfg, "weekly", exp, at(2024, 4, 1, 0, 0, 0), billing.RenewalStatus{}); !errors.Is(err, billing.ErrInvalidInput) {
		t.Errorf("unknown mode: err = %v", err)
	}
	if err := billing.Renewable(cfg, billing.Monthly, exp, time.Time{}, billing.RenewalStatus{}); !errors.Is(err, billing.ErrInvalidInput) {
		t.Errorf("zero now: err = %v", err)
	}
	// A pay-per-use resource has no term: no expiry is needed for its reason.
	var nr *billing.NotRenewableError
	if err := billing.Renewable(cfg, billing.PayPerUse, time.Time{}, at(2024, 4, 1, 0, 0, 0), billing.RenewalStatus{}); !errors.As(err, &nr) || nr.Reason != billing.ReasonPayPerUse {
		t.Errorf("pay-per-use without a term: err = %v", err)
	}
}

func TestRenewRefused(t *testing.T) {
	cfg := billing.DefaultConfig()
	term := evsTerm(t)
	now := at(2024, 5, 18, 10, 0, 0)
	with := func(f func(*billing.RenewalInput)) billing.RenewalInput {
		in := billing.RenewalInput{Term: term, Count: 1, Now: now}
		f(&in)
		return in
	}
	tests := []struct {
		name   string
		in     billing.RenewalInput
		reason billing.Reason
		want   error
	}{
		{"pay-per-use", with(func(in *billing.RenewalInput) { in.Term.Mode = billing.PayPerUse }), billing.ReasonPayPerUse, billing.ErrNotRenewable},
		{"one-time", with(func(in *billing.RenewalInput) { in.Term.Mode = billing.OneTime }), billing.ReasonOneTime, billing.ErrNotRenewable},
		{"released", with(func(in *billing.RenewalInput) { in.Now = at(2024, 5, 31, 0, 0, 0) }), billing.ReasonReleased, billing.ErrNotRenewable},
		{"unsubscribed", with(func(in *billing.RenewalInput) { in.Status.Unsubscribed = true }), billing.ReasonUnsubscribed, billing.ErrNotRenewable},
		{"unpaid change order", with(func(in *billing.RenewalInput) { in.Status.UnpaidChangeOrder = true }), billing.ReasonUnpaidChange, billing.ErrNotRenewable},
		{"changing to pay-per-use", with(func(in *billing.RenewalInput) { in.Status.ChangingToPPU = true }), billing.ReasonPayPerUse, billing.ErrNotRenewable},
		{"delisted", with(func(in *billing.RenewalInput) { in.Status.Delisted = true }), billing.ReasonDelisted, billing.ErrNotRenewable},
		{"ten months", with(func(in *billing.RenewalInput) { in.Count = 10 }), "", billing.ErrInvalidInput},
		{"zero months", with(func(in *billing.RenewalInput) { in.Count = 0 }), "", billing.ErrInvalidInput},
		{"plan allows 3–6", with(func(in *billing.RenewalInput) { in.Counts = billing.CountRange{Min: 3, Max: 6} }), "", billing.ErrInvalidInput},
		{"uniform day 29", with(func(in *billing.RenewalInput) { in.UniformDay = 29 }), "", billing.ErrInvalidInput},
		{"bad anchor", with(func(in *billing.RenewalInput) { in.Term.AnchorDay = 40 }), "", billing.ErrInvalidInput},
		{"no now", with(func(in *billing.RenewalInput) { in.Now = time.Time{} }), "", billing.ErrInvalidInput},
		{"no expiry", with(func(in *billing.RenewalInput) { in.Term.Expiry = time.Time{} }), "", billing.ErrInvalidInput},
		{"unknown mode", with(func(in *billing.RenewalInput) { in.Term.Mode = "weekly" }), "", billing.ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := billing.Renew(cfg, tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var nr *billing.NotRenewableError
			if tt.reason != "" && (!errors.As(err, &nr) || nr.Reason != tt.reason || nr.Error() == "") {
				t.Errorf("err = %v, want reason %q", err, tt.reason)
			}
		})
	}
}
