package billing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengallery/opengallery/billing"
	"github.com/shopspring/decimal"
)

func TestRemainingPeriods(t *testing.T) {
	cfg := billing.DefaultConfig()
	tests := []struct {
		name          string
		mode          billing.Mode
		start, change time.Time
		count         int
		want          string
	}{
		{
			// 7/31 + 2 + 15/30. The published example prints the sum as
			// "2.75 months"; the terms it lists add up to 2.7258..., which is
			// what the rule gives (7/31 is 0.2258, not 0.25).
			name: "seed monthly 2021-08-15→2021-11-15 changed 08-24: 7/31 + 2 + 15/30",
			mode: billing.Monthly, start: at(2021, 8, 15, 9, 0, 0), change: at(2021, 8, 24, 11, 0, 0), count: 3,
			want: "2.72580645",
		},
		{
			name: "seed yearly 2023-11-01→2026-11-01 changed 2024-05-01: 244/365 + 1 + 305/365 = 2.50 years",
			mode: billing.Yearly, start: at(2023, 11, 1, 9, 0, 0), change: at(2024, 5, 1, 9, 0, 0), count: 3,
			want: "2.50410959",
		},
		{
			name: "yearly across Feb 29: the leap day is not counted",
			mode: billing.Yearly, start: at(2023, 6, 1, 9, 0, 0), change: at(2023, 12, 31, 9, 0, 0), count: 1,
			want: "0.41643836", // Jan 1–Jun 1 2024 = 153 days with Feb 29 left out, /365
		},
		{
			name: "monthly change within the final month",
			mode: billing.Monthly, start: at(2024, 1, 10, 9, 0, 0), change: at(2024, 2, 1, 9, 0, 0), count: 1,
			want: "0.31034483", // 9/29
		},
		{
			name: "change on the expiry day leaves nothing",
			mode: billing.Monthly, start: at(2024, 1, 10, 9, 0, 0), change: at(2024, 2, 10, 9, 0, 0), count: 1,
			want: "0",
		},
		{
			name: "change on the last day of a month",
			mode: billing.Monthly, start: at(2024, 1, 15, 9, 0, 0), change: at(2024, 1, 31, 9, 0, 0), count: 2,
			want: "1.48387097", // 0/31 + 1 (February) + 15/31
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, err := billing.ExpiryAfter(cfg, tt.start, tt.mode, tt.count, 0)
			if err != nil {
				t.Fatal(err)
			}
			got, err := billing.RemainingPeriods(cfg, tt.mode, tt.change, exp)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(dec(tt.want)) {
				t.Errorf("remaining = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestRemainingPeriodsSeedSums(t *testing.T) {
	// The published terms, computed independently.
	seven31 := decimal.NewFromInt(7).DivRound(decimal.NewFromInt(31), 8)
	monthly := seven31.Add(decimal.NewFromInt(2)).Add(dec("0.5"))
	yearly := decimal.NewFromInt(244).DivRound(decimal.NewFromInt(365), 8).Add(decimal.NewFromInt(1)).Add(decimal.NewFromInt(305).DivRound(decimal.NewFromInt(365), 8))
	cfg := billing.DefaultConfig()
	m, _ := billing.RemainingPeriods(cfg, billing.Monthly, at(2021, 8, 24, 0, 0, 0), at(2021, 11, 15, 23, 59, 59))
	y, _ := billing.RemainingPeriods(cfg, billing.Yearly, at(2024, 5, 1, 0, 0, 0), at(2026, 11, 1, 23, 59, 59))
	if !m.Equal(monthly) {
		t.Errorf("monthly = %s, want 7/31 + 2 + 15/30 = %s", m, monthly)
	}
	// The source prints "2.75 months" for these very terms; they add up to
	// 2.73 at two places. 2.75 would need 7/28 for August (31 days), or 8/31
	// with the change day counted (2.76): neither is the rule. Keep the
	// rule's value, and fail if the printed slip is ever "matched".
	if m.Round(2).String() != "2.73" || m.Round(2).Equal(dec("2.75")) {
		t.Errorf("monthly = %s ≈ %s, want ≈ 2.73 (the source's 2.75 is its own rounding slip)", m, m.Round(2))
	}
	if y.Round(2).String() != "2.5" || y.Sub(yearly).Abs().GreaterThan(dec("0.00000001")) {
		t.Errorf("yearly = %s, want 244/365 + 1 + 305/365 = %s ≈ 2.50", y, yearly)
	}
}

func TestUpgradeCost(t *testing.T) {
	cfg := billing.DefaultConfig()
	yearlyExp := at(2026, 11, 1, 23, 59, 59)
	yearlyChange := at(2024, 5, 1, 10, 0, 0)
	monthlyExp := at(2021, 11, 15, 23, 59, 59)
	monthlyChange := at(2021, 8, 24, 10, 0, 0)
	y := func(price string) billing.PricePlan { return plan(billing.Yearly, price) }
	disc := func(p billing.PricePlan, d billing.Discount) billing.PricePlan { p.Discount = d; return p }
	tiers := []billing.Tier{{UpTo: 10, UnitPrice: usd("5")}, {UnitPrice: usd("4")}}
	tiered := billing.PricePlan{Mode: billing.Monthly, Model: billing.Tiered, Tiers: tiers}
	volume := billing.PricePlan{Mode: billing.Monthly, Model: billing.Volume, Tiers: tiers}
	tests := []struct {
		name     string
		in       billing.UpgradeInput
		total    string
		from, to string
		lines    int
	}{
		{
			name:  "yearly 900 → 1200, 2.50410959 years left",
			in:    billing.UpgradeInput{Mode: billing.Yearly, Expiry: yearlyExp, ChangeAt: yearlyChange, From: y("900"), FromQuantity: 1, To: y("1200"), ToQuantity: 1},
			total: "751.23", from: "900", to: "1200", lines: 3, // 300 × 2.50410959 = 751.232877
		},
		{
			name: "discount rate 20%",
			in: billing.UpgradeInput{Mode: billing.Yearly, Expiry: yearlyExp, ChangeAt: yearlyChange, From: y("900"), FromQuantity: 1,
				To: disc(y("1200"), billing.Discount{Kind: billing.DiscountRate, Rate: dec("0.2")}), ToQuantity: 1},
			total: "600.99", from: "900", to: "1200", lines: 4, // 751.232877 × 0.8 = 600.9863016
		},
		{
			name: "fixed price 1100",
			in: billing.UpgradeInput{Mode: billing.Yearly, Expiry: yearlyExp, ChangeAt: yearlyChange, From: y("900"), FromQuantity: 1,
				To: disc(y("1200"), billing.Discount{Kind: billing.FixedPrice, Price: usd("1100")}), ToQuantity: 1},
			total: "500.82", from: "900", to: "1100", lines: 3, // 200 × 2.50410959 = 500.821918
		},
		{
			name: "amount off 50",
			in: billing.UpgradeInput{Mode: billing.Yearly, Expiry: yearlyExp, ChangeAt: yearlyChange, From: y("900"), FromQuantity: 1,
				To: disc(y("1200"), billing.Discount{Kind: billing.AmountOff, Amount: usd("50")}), ToQuantity: 1},
			total: "701.23", from: "900", to: "1200", lines: 4,
		},
		{
			name: "amount off beyond the difference costs nothing, never negative",
			in: billing.UpgradeInput{Mode: billing.Yearly, Expiry: yearlyExp, ChangeAt: yearlyChange, From: y("900"), FromQuantity: 1,
				To: disc(y("901"), billing.Discount{Kind: billing.AmountOff, Amount: usd("50")}), ToQuantity: 1},
			total: "0.00", from: "900", to: "901", lines: 3, // the amount off is capped at the difference
		},
		{
			name:  "same price costs nothing",
			in:    billing.UpgradeInput{Mode: billing.Yearly, Expiry: yearlyExp, ChangeAt: yearlyChange, From: y("900"), FromQuantity: 1, To: y("900"), ToQuantity: 1},
			total: "0.00", from: "900", to: "900", lines: 2,
		},
		{
			name: "linear scale-out 10 → 11 users at $5/month",
			in: billing.UpgradeInput{Mode: billing.Monthly, Expiry: monthlyExp, ChangeAt: monthlyChange,
				From: plan(billing.Monthly, "5"), FromQuantity: 10, To: plan(billing.Monthly, "5"), ToQuantity: 11},
			total: "13.63", from: "50", to: "55", lines: 3, // 5 × 2.72580645 = 13.62903225
		},
		{
			name: "tiered scale-out 10 → 12: two units at the second tier",
			in: billing.UpgradeInput{Mode: billing.Monthly, Expiry: monthlyExp, ChangeAt: monthlyChange,
				From: tiered, FromQuantity: 10, To: tiered, ToQuantity: 12},
			total: "21.81", from: "50", to: "58", lines: 3, // 8 × 2.72580645 = 21.8064516
		},
		{
			name: "volume scale-out 10 → 12: the added units at the new tier's price",
			in: billing.UpgradeInput{Mode: billing.Monthly, Expiry: monthlyExp, ChangeAt: monthlyChange,
				From: volume, FromQuantity: 10, To: volume, ToQuantity: 12},
			total: "21.81", from: "50", to: "58", lines: 3,
		},
		{
			name: "volume to another specification reprices every unit",
			in: billing.UpgradeInput{Mode: billing.Monthly, Expiry: monthlyExp, ChangeAt: monthlyChange,
				From: plan(billing.Monthly, "3"), FromQuantity: 10, To: volume, ToQuantity: 12},
			total: "49.06", from: "30", to: "48", lines: 3, // 18 × 2.72580645 = 49.0645161
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := billing.UpgradeCost(cfg, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got := []billing.Money{u.Total, u.From, u.To}
			want := []billing.Money{usd(tt.total), usd(tt.from), usd(tt.to)}
			if d := cmp.Diff(want, got, decimalComparer); d != "" {
				t.Errorf("total, from, to (-want +got):\n%s", d)
			}
			lines := u.Lines()
			if len(lines) != tt.lines {
				t.Errorf("%d lines, want %d: %v", len(lines), tt.lines, lines)
			}
			if s := lineSum(t, lines, billing.USD); !s.Equal(u.Total) {
				t.Errorf("lines sum to %s, total %s", s, u.Total)
			}
			for _, l := range lines {
				if l.Description() == "" || l.Formula() == "" {
					t.Errorf("empty rendering of %+v", l)
				}
			}
		})
	}
}

func TestUpgradeCostRefusals(t *testing.T) {
	cfg := billing.DefaultConfig()
	exp, change := at(2026, 11, 1, 23, 59, 59), at(2024, 5, 1, 10, 0, 0)
	base := billing.UpgradeInput{Mode: billing.Yearly, Expiry: exp, ChangeAt: change, From: plan(billing.Yearly, "900"), FromQuantity: 1, To: plan(billing.Yearly, "1200"), ToQuantity: 1}
	mod := func(f func(*billing.UpgradeInput)) billing.UpgradeInput { in := base; f(&in); return in }
	tests := []struct {
		name string
		in   billing.UpgradeInput
		want error
	}{
		{"cheaper specification", mod(func(in *billing.UpgradeInput) { in.To = plan(billing.Yearly, "800") }), billing.ErrDowngrade},
		{"fewer users", mod(func(in *billing.UpgradeInput) { in.To = in.From; in.FromQuantity = 5; in.ToQuantity = 4 }), billing.ErrDowngrade},
		{"pay-per-use", mod(func(in *billing.UpgradeInput) { in.Mode = billing.PayPerUse }), billing.ErrInvalidInput},
		{"plan of another mode", mod(func(in *billing.UpgradeInput) { in.To = plan(billing.Monthly, "1200") }), billing.ErrInvalidInput},
		{"zero quantity", mod(func(in *billing.UpgradeInput) { in.ToQuantity = 0 }), billing.ErrInvalidInput},
		{"change after expiry", mod(func(in *billing.UpgradeInput) { in.ChangeAt = exp.Add(time.Second) }), billing.ErrInvalidInput},
		{"no change time", mod(func(in *billing.UpgradeInput) { in.ChangeAt = time.Time{} }), billing.ErrInvalidInput},
		{"mixed currencies", mod(func(in *billing.UpgradeInput) {
			in.To = billing.PricePlan{Mode: billing.Yearly, UnitPrice: billing.MustMoney("1200", billing.EUR)}
		}), billing.ErrCurrencyMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := billing.UpgradeCost(cfg, tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	var de *billing.DowngradeError
	_, err := billing.UpgradeCost(cfg, tests[0].in)
	if !errors.As(err, &de) || !de.From.Equal(usd("900")) || !de.To.Equal(usd("800")) || de.Error() == "" {
		t.Errorf("err = %v, want *DowngradeError 900 → 800", err)
	}
}

func upgradeBenchInput() billing.UpgradeInput {
	to := plan(billing.Yearly, "1200")
	to.Discount = billing.Discount{Kind: billing.DiscountRate, Rate: dec("0.2")}
	return billing.UpgradeInput{Mode: billing.Yearly, Expiry: at(2026, 11, 1, 23, 59, 59), ChangeAt: at(2024, 5, 1, 10, 0, 0),
		From: plan(billing.Yearly, "900"), FromQuantity: 1, To: to, ToQuantity: 1}
}

func BenchmarkUpgradeCost(b *testing.B) {
	cfg, in := billing.DefaultConfig(), upgradeBenchInput()
	b.ReportAllocs()
	for b.Loop() {
		u, err := billing.UpgradeCost(cfg, in)
		if err != nil || u.Total.IsZero() {
			b.Fatal(err)
		}
	}
}

// upgradeBaseline is the bare decimal arithmetic of the benchmark upgrade,
// in its fewest steps: remaining = 914/365 at 8 places, (new − old) ×
// remaining, minus that × rate, rounded half-up to cents. It reports
// whether the result is usable.
func upgradeBaseline(newP, oldP, rate, days365 decimal.Decimal) bool {
	rem := decimal.NewFromInt(914).DivRound(days365, 8)
	diff := newP.Sub(oldP).Mul(rem)
	return !diff.Sub(diff.Mul(rate)).Round(2).IsZero()
}

// BenchmarkUpgradeCostBaseline is the bare decimal arithmetic of the same
// upgrade.
func BenchmarkUpgradeCostBaseline(b *testing.B) {
	newP, oldP, rate, days365 := dec("1200"), dec("900"), dec("0.2"), decimal.NewFromInt(365)
	b.ReportAllocs()
	for b.Loop() {
		if !upgradeBaseline(newP, oldP, rate, days365) {
			b.Fatal("zero")
		}
	}
}

// BenchmarkUpgradeCostVsBaseline alternates chunks of UpgradeCost and of
// its baseline so that both see the same load, and reports the ratio
// (target ≤ 1.3).
func BenchmarkUpgradeCostVsBaseline(b *testing.B) {
	cfg, in := billing.DefaultConfig(), upgradeBenchInput()
	newP, oldP, rate, days365 := dec("1200"), dec("900"), dec("0.2"), decimal.NewFromInt(365)
	vsBaseline(b, func() bool { return upgradeBaseline(newP, oldP, rate, days365) }, func() bool {
		u, err := billing.UpgradeCost(cfg, in)
		return err == nil && !u.Total.IsZero()
	})
}

func BenchmarkUpgradeCostWithLines(b *testing.B) {
	cfg, in := billing.DefaultConfig(), upgradeBenchInput()
	b.ReportAllocs()
	for b.Loop() {
		u, err := billing.UpgradeCost(cfg, in)
		if err != nil || len(u.Lines()) != 4 {
			b.Fatal(err)
		}
	}
}

// TestRemainingPeriodsYearlyCountsDays checks the yearly remaining duration
// against a day-by-day count that skips Feb 29.
func TestRemainingPeriodsYearlyCountsDays(t *testing.T) {
	cfg, r := billing.DefaultConfig(), newRand()
	for i := range 2000 {
		start := randTime(r)
		exp, err := billing.ExpiryAfter(cfg, start, billing.Yearly, 1+r.IntN(3), 0)
		if err != nil {
			t.Fatal(err)
		}
		change := start.Add(time.Duration(r.Int64N(int64(exp.Sub(start)))))
		days := 0
		c := change.In(gmt8)
		d := time.Date(c.Year(), c.Month(), c.Day(), 12, 0, 0, 0, gmt8).AddDate(0, 0, 1)
		for e := exp.In(gmt8); !d.After(e); d = d.AddDate(0, 0, 1) {
			if !(d.Month() == time.February && d.Day() == 29) {
				days++
			}
		}
		got, err := billing.RemainingPeriods(cfg, billing.Yearly, change, exp)
		if err != nil {
			t.Fatal(err)
		}
		if want := decimal.NewFromInt(int64(days)).DivRound(decimal.NewFromInt(365), 8); !got.Equal(want) {
			t.Fatalf("case %d: %v → %v: %s, want %d/365 = %s", i, change, exp, got, days, want)
		}
	}
}
