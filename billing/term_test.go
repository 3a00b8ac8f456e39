package billing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengallery/opengallery/billing"
)

func TestExpiryAfter(t *testing.T) {
	cfg := billing.DefaultConfig()
	tests := []struct {
		name   string
		start  time.Time
		mode   billing.Mode
		count  int
		anchor int
		want   time.Time
	}{
		{
			name:  "seed: purchased 2020-09-01 02:26:48 UTC expires 2020-10-01 15:59:59 UTC",
			start: time.Date(2020, 9, 1, 2, 26, 48, 0, time.UTC), mode: billing.Monthly, count: 1,
			want: time.Date(2020, 10, 1, 15, 59, 59, 0, time.UTC),
		},
		{
			name:  "bought 2024-03-31 expires 2024-04-30 (clamped to month end)",
			start: at(2024, 3, 31, 9, 0, 0), mode: billing.Monthly, count: 1,
			want: at(2024, 4, 30, 23, 59, 59),
		},
		{
			name:  "bought 2024-01-01 10:30 expires 2024-02-01 23:59:59",
			start: at(2024, 1, 1, 10, 30, 0), mode: billing.Monthly, count: 1,
			want: at(2024, 2, 1, 23, 59, 59),
		},
		{
			name:  "3-month spec 2021-08-15 → 2021-11-15",
			start: at(2021, 8, 15, 8, 0, 0), mode: billing.Monthly, count: 3,
			want: at(2021, 11, 15, 23, 59, 59),
		},
		{
			name:  "bought Jan 31 of a leap year for one month: Feb 29",
			start: at(2024, 1, 31, 8, 0, 0), mode: billing.Monthly, count: 1,
			want: at(2024, 2, 29, 23, 59, 59),
		},
		{
			name:  "yearly from Feb 29 clamps to Feb 28",
			start: at(2024, 2, 29, 8, 0, 0), mode: billing.Yearly, count: 1,
			want: at(2025, 2, 28, 23, 59, 59),
		},
		{
			name:  "three years",
			start: at(2023, 11, 1, 8, 0, 0), mode: billing.Yearly, count: 3,
			want: at(2026, 11, 1, 23, 59, 59),
		},
		{
			name:  "nine months across a year end",
			start: at(2024, 5, 20, 8, 0, 0), mode: billing.Monthly, count: 9,
			want: at(2025, 2, 20, 23, 59, 59),
		},
		{
			name:  "anchored on the 31st from April 30",
			start: at(2024, 4, 30, 23, 59, 59), mode: billing.Monthly, count: 1, anchor: 31,
			want: at(2024, 5, 31, 23, 59, 59),
		},
		{
			name:  "anchored on the last day",
			start: at(2024, 1, 15, 8, 0, 0), mode: billing.Monthly, count: 1, anchor: billing.LastDay,
			want: at(2024, 2, 29, 23, 59, 59),
		},
		{
			name:  "the platform date decides: 23:30 UTC is the next day in GMT+08:00",
			start: time.Date(2024, 1, 30, 23, 30, 0, 0, time.UTC), mode: billing.Monthly, count: 1,
			want: at(2024, 2, 29, 23, 59, 59),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := billing.ExpiryAfter(cfg, tt.start, tt.mode, tt.count, tt.anchor)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Errorf("= %v, want %v (in UTC)", got, tt.want.UTC())
			}
		})
	}
}

func TestExpiryAfterOtherZone(t *testing.T) {
	cfg := billing.DefaultConfig()
	cfg.Location = time.UTC
	got, err := billing.ExpiryAfter(cfg, time.Date(2024, 1, 31, 23, 30, 0, 0, time.UTC), billing.Monthly, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 2, 29, 23, 59, 59, 0, time.UTC); !got.Equal(want) {
		t.Errorf("= %v, want %v", got, want)
	}
}

func TestExpiryAfterBadInput(t *testing.T) {
	cfg := billing.DefaultConfig()
	start := at(2024, 1, 1, 0, 0, 0)
	tests := []struct {
		name   string
		start  time.Time
		mode   billing.Mode
		count  int
		anchor int
	}{
		{"pay-per-use", start, billing.PayPerUse, 1, 0},
		{"one-time", start, billing.OneTime, 1, 0},
		{"zero count", start, billing.Monthly, 0, 0},
		{"anchor 32", start, billing.Monthly, 1, 32},
		{"anchor -2", start, billing.Monthly, 1, -2},
		{"zero start", time.Time{}, billing.Monthly, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := billing.ExpiryAfter(cfg, tt.start, tt.mode, tt.count, tt.anchor); !errors.Is(err, billing.ErrInvalidInput) {
				t.Errorf("err = %v, want ErrInvalidInput", err)
			}
		})
	}
	if _, err := billing.NewTerm(cfg, start, billing.PayPerUse, 1); !errors.Is(err, billing.ErrInvalidInput) {
		t.Errorf("NewTerm err = %v", err)
	}
}

func TestNewTerm(t *testing.T) {
	term, err := billing.NewTerm(billing.DefaultConfig(), at(2024, 3, 31, 9, 0, 0), billing.Monthly, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := billing.Term{Mode: billing.Monthly, Count: 1, Start: at(2024, 3, 31, 9, 0, 0).UTC(), AnchorDay: 31, Expiry: at(2024, 4, 30, 23, 59, 59).UTC()}
	if d := cmp.Diff(want, term); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestTermStart(t *testing.T) {
	paid, accepted, enabled := at(2024, 1, 1, 9, 0, 0), at(2024, 3, 1, 15, 0, 0), at(2024, 2, 10, 0, 0, 0)
	tests := []struct {
		name string
		in   billing.StartInput
		want time.Time
		ok   bool
	}{
		{"unsupervised starts at payment", billing.StartInput{PaidAt: paid}, paid, true},
		{"supervised, paid 1 Jan, accepted 1 Mar: starts 1 Mar", billing.StartInput{PaidAt: paid, Supervised: true, AcceptedAt: accepted}, accepted, true},
		{"supervised with a stated enabling time", billing.StartInput{PaidAt: paid, Supervised: true, AcceptedAt: accepted, EnabledAt: enabled}, enabled, true},
		{"supervised, not accepted yet", billing.StartInput{PaidAt: paid, Supervised: true}, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := billing.TermStart(tt.in)
			if err != nil || ok != tt.ok || !got.Equal(tt.want) {
				t.Errorf("= %v, %v, %v; want %v, %v", got, ok, err, tt.want, tt.ok)
			}
		})
	}
	for name, in := range map[string]billing.StartInput{
		"no payment":                  {},
		"accepted before the payment": {PaidAt: paid, Supervised: true, AcceptedAt: paid.Add(-time.Second)},
		"enabled before the payment":  {PaidAt: paid, Supervised: true, AcceptedAt: accepted, EnabledAt: paid.Add(-time.Second)},
	} {
		if _, _, err := billing.TermStart(in); !errors.Is(err, billing.ErrInvalidInput) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	// One year from 1 March.
	start, _, _ := billing.TermStart(billing.StartInput{PaidAt: paid, Supervised: true, AcceptedAt: accepted})
	exp, err := billing.ExpiryAfter(billing.DefaultConfig(), start, billing.Yearly, 1, 0)
	if err != nil || !exp.Equal(at(2025, 3, 1, 23, 59, 59)) {
		t.Errorf("expiry = %v, %v", exp, err)
	}
}

// TestTermStartSeedExamples runs the reference's supervised-term examples
// through TermStart and ExpiryAfter: the term, and so the expiry, runs from
// acceptance or from the seller's stated enabling time, never from payment.
func TestTermStartSeedExamples(t *testing.T) {
	cfg := billing.DefaultConfig()
	tests := []struct {
		name       string
		in         billing.StartInput
		mode       billing.Mode
		start, exp time.Time
	}{
		{
			name: "yearly, paid 2020-01-01, accepted 2020-03-01: one year from 1 Mar",
			in:   billing.StartInput{PaidAt: at(2020, 1, 1, 10, 0, 0), Supervised: true, AcceptedAt: at(2020, 3, 1, 16, 0, 0)},
			mode: billing.Yearly, start: at(2020, 3, 1, 16, 0, 0), exp: at(2021, 3, 1, 23, 59, 59),
		},
		{
			name: "monthly, bought and used from 01-01, accepted 02-01, no enabling time: 02-01 to 03-01",
			in:   billing.StartInput{PaidAt: at(2024, 1, 1, 9, 0, 0), Supervised: true, AcceptedAt: at(2024, 2, 1, 9, 0, 0)},
			mode: billing.Monthly, start: at(2024, 2, 1, 9, 0, 0), exp: at(2024, 3, 1, 23, 59, 59),
		},
		{
			name: "monthly, accepted 02-01 with the enabling time set to 01-01: 01-01 to 02-01",
			in: billing.StartInput{PaidAt: at(2024, 1, 1, 9, 0, 0), Supervised: true, AcceptedAt: at(2024, 2, 1, 9, 0, 0),
				EnabledAt: at(2024, 1, 1, 9, 30, 0)},
			mode: billing.Monthly, start: at(2024, 1, 1, 9, 30, 0), exp: at(2024, 2, 1, 23, 59, 59),
		},
		{
			name: "unsupervised: from payment, acceptance ignored",
			in:   billing.StartInput{PaidAt: at(2020, 1, 1, 10, 0, 0), AcceptedAt: at(2020, 3, 1, 16, 0, 0)},
			mode: billing.Yearly, start: at(2020, 1, 1, 10, 0, 0), exp: at(2021, 1, 1, 23, 59, 59),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start, ok, err := billing.TermStart(tt.in)
			if err != nil || !ok || !start.Equal(tt.start) {
				t.Fatalf("TermStart = %v, %v, %v; want %v", start, ok, err, tt.start)
			}
			exp, err := billing.ExpiryAfter(cfg, start, tt.mode, 1, 0)
			if err != nil || !exp.Equal(tt.exp) {
				t.Errorf("expiry = %v, %v; want %v", exp, err, tt.exp.UTC())
			}
		})
	}
}

func TestTrialExpiry(t *testing.T) {
	cfg := billing.DefaultConfig()
	got, err := billing.TrialExpiry(cfg, at(2024, 1, 30, 10, 0, 0), 3)
	if err != nil || !got.Equal(at(2024, 2, 2, 23, 59, 59)) {
		t.Errorf("= %v, %v", got, err)
	}
	for _, days := range []int{0, 2, 181} {
		if _, err := billing.TrialExpiry(cfg, at(2024, 1, 30, 10, 0, 0), days); !errors.Is(err, billing.ErrInvalidInput) {
			t.Errorf("%d days: err = %v", days, err)
		}
	}
	if _, err := billing.TrialExpiry(cfg, time.Time{}, 30); !errors.Is(err, billing.ErrInvalidInput) {
		t.Errorf("zero start: err = %v", err)
	}
}

func TestRemainingAt(t *testing.T) {
	tests := []struct {
		name        string
		expiry, now time.Time
		want        billing.Remaining
		text        string
	}{
		{"seed: 30 days", time.Date(2020, 10, 1, 15, 59, 59, 0, time.UTC), time.Date(2020, 9, 1, 2, 26, 48, 0, time.UTC), billing.Remaining{Days: 30, Hours: 13}, "30 days"},
		{"renewed 2024-05-18: 13 days", at(2024, 5, 31, 23, 59, 59), at(2024, 5, 18, 10, 0, 0), billing.Remaining{Days: 13, Hours: 13}, "13 days"},
		{"one day", at(2024, 5, 31, 23, 59, 59), at(2024, 5, 30, 12, 0, 0), billing.Remaining{Days: 1, Hours: 11}, "1 day"},
		{"hours", at(2024, 5, 31, 23, 59, 59), at(2024, 5, 31, 18, 0, 0), billing.Remaining{Hours: 5}, "5 hours"},
		{"one hour", at(2024, 5, 31, 23, 59, 59), at(2024, 5, 31, 22, 30, 0), billing.Remaining{Hours: 1}, "1 hour"},
		{"expired", at(2024, 5, 31, 23, 59, 59), at(2024, 6, 1, 0, 0, 0), billing.Remaining{}, "0 hours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := billing.RemainingAt(tt.expiry, tt.now)
			if got != tt.want || got.String() != tt.text {
				t.Errorf("= %+v %q, want %+v %q", got, got, tt.want, tt.text)
			}
		})
	}
}
