package billing_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opengallery/opengallery/billing"
	"github.com/shopspring/decimal"
)

func TestQuoteSeedImagePricingTable(t *testing.T) {
	// The image pricing table of the seed: software 5.00 USD/hour plus the
	// ECS flavor's hourly price.
	cfg := billing.DefaultConfig()
	software := pricing(plan(billing.PayPerUse, "5.00"), plan(billing.Monthly, "155.00"))
	tests := []struct {
		flavor, ecs, total string
	}{
		{"s3.small.1", "0.0136", "5.0136"},
		{"s3.medium.2", "0.0236", "5.0236"},
		{"s3.large.2", "0.0536", "5.0536"},
		{"s2.medium.2", "0.0236", "5.0236"},
		{"m2.large.8", "0.7236", "5.7236"},
	}
	for _, tt := range tests {
		t.Run(tt.flavor, func(t *testing.T) {
			q, err := billing.NewQuote(cfg, billing.QuoteInput{
				Pricing: software, Mode: billing.PayPerUse, Quantity: 1,
				Infrastructure: &billing.Infrastructure{Flavor: tt.flavor, Price: usd(tt.ecs)},
			})
			if err != nil {
				t.Fatal(err)
			}
			if !q.Hourly() || !q.Total.Equal(usd(tt.total)) {
				t.Errorf("total = %s (hourly %v), want %s USD/hour", q.Total, q.Hourly(), tt.total)
			}
			want := []billing.LineItem{
				{Kind: billing.LineSoftware, Price: usd("5.00"), Per: billing.PerHour, Count: dec("1"), Quantity: 1, Amount: usd("5.00")},
				{Kind: billing.LineInfrastructure, Label: tt.flavor, Price: usd(tt.ecs), Per: billing.PerHour, Count: dec("1"), Quantity: 1, Amount: usd(tt.ecs)},
			}
			if d := cmp.Diff(want, q.Lines(), decimalComparer); d != "" {
				t.Errorf("lines (-want +got):\n%s", d)
			}
			wantDetails := "$5.00 USD/hour + " + tt.flavor + ": $" + tt.ecs + " USD/hour = $" + tt.total + " USD/hour"
			if got := q.CostDetails(); got != wantDetails {
				t.Errorf("CostDetails = %q, want %q", got, wantDetails)
			}
		})
	}
}

func TestQuote(t *testing.T) {
	cfg := billing.DefaultConfig()
	tiered := billing.PricePlan{Mode: billing.Monthly, Model: billing.Tiered, Tiers: []billing.Tier{
		{UpTo: 10, UnitPrice: usd("5.00")}, {UpTo: 50, UnitPrice: usd("4.00")}, {UnitPrice: usd("3.00")},
	}}
	volume := tiered
	volume.Model = billing.Volume
	withDiscount := func(p billing.PricePlan, d billing.Discount) billing.PricePlan { p.Discount = d; return p }
	tests := []struct {
		name    string
		in      billing.QuoteInput
		total   string
		details string
		lines   int
	}{
		{
			name:    "seed license $5.00/month × 1 month",
			in:      billing.QuoteInput{Pricing: pricing(plan(billing.Monthly, "5.00")), Mode: billing.Monthly, Count: 1, Quantity: 1},
			total:   "5.00",
			details: "$5.00 USD/month × 1 month(s)",
			lines:   1,
		},
		{
			name:    "seed product $900.00/year",
			in:      billing.QuoteInput{Pricing: pricing(plan(billing.Yearly, "900.00"), plan(billing.Monthly, "80")), Mode: billing.Yearly, Count: 1, Quantity: 1},
			total:   "900.00",
			details: "$900.00 USD/year × 1 year(s)",
			lines:   1,
		},
		{
			name:    "three months of ten users",
			in:      billing.QuoteInput{Pricing: pricing(plan(billing.Monthly, "5.00")), Mode: billing.Monthly, Count: 3, Quantity: 10, Label: "Email Hosting"},
			total:   "150.00",
			details: "Email Hosting: $5.00 USD/month × 3 month(s) × 10 unit(s)",
			lines:   1,
		},
		{
			name:  "tiered 60 users: 10×5 + 40×4 + 10×3",
			in:    billing.QuoteInput{Pricing: pricing(tiered), Mode: billing.Monthly, Count: 1, Quantity: 60},
			total: "240.00",
			lines: 3,
		},
		{
			name:  "tiered exactly at a tier edge",
			in:    billing.QuoteInput{Pricing: pricing(tiered), Mode: billing.Monthly, Count: 2, Quantity: 10},
			total: "100.00",
			lines: 1,
		},
		{
			name:  "volume 60 users all at 3.00",
			in:    billing.QuoteInput{Pricing: pricing(volume), Mode: billing.Monthly, Count: 1, Quantity: 60},
			total: "180.00",
			lines: 1,
		},
		{
			name:  "volume 11 users all at 4.00",
			in:    billing.QuoteInput{Pricing: pricing(volume), Mode: billing.Monthly, Count: 1, Quantity: 11},
			total: "44.00",
			lines: 1,
		},
		{
			name: "20% off",
			in: billing.QuoteInput{Pricing: pricing(withDiscount(plan(billing.Yearly, "900.00"), billing.Discount{Kind: billing.DiscountRate, Rate: dec("0.2")})),
				Mode: billing.Yearly, Count: 2, Quantity: 1},
			total: "1440.00",
			lines: 2,
		},
		{
			name: "rate discount needing rounding",
			in: billing.QuoteInput{Pricing: pricing(withDiscount(plan(billing.Monthly, "9.99"), billing.Discount{Kind: billing.DiscountRate, Rate: dec("0.15")})),
				Mode: billing.Monthly, Count: 1, Quantity: 1},
			total: "8.49", // 9.99 × 0.85 = 8.4915
			lines: 3,
		},
		{
			name: "half-up rounding of 0.005",
			in: billing.QuoteInput{Pricing: pricing(withDiscount(plan(billing.Monthly, "0.01"), billing.Discount{Kind: billing.DiscountRate, Rate: dec("0.5")})),
				Mode: billing.Monthly, Count: 1, Quantity: 1},
			total: "0.01",
			lines: 3,
		},
		{
			name: "fixed price",
			in: billing.QuoteInput{Pricing: pricing(withDiscount(plan(billing.Monthly, "5.00"), billing.Discount{Kind: billing.FixedPrice, Price: usd("4.00")})),
				Mode: billing.Monthly, Count: 2, Quantity: 3},
			total: "24.00",
			lines: 2,
		},
		{
			name: "amount off",
			in: billing.QuoteInput{Pricing: pricing(withDiscount(plan(billing.Monthly, "5.00"), billing.Discount{Kind: billing.AmountOff, Amount: usd("2.50")})),
				Mode: billing.Monthly, Count: 1, Quantity: 1},
			total: "2.50",
			lines: 2,
		},
		{
			name: "amount off larger than the price is free, not negative",
			in: billing.QuoteInput{Pricing: pricing(withDiscount(plan(billing.Monthly, "5.00"), billing.Discount{Kind: billing.AmountOff, Amount: usd("9.00")})),
				Mode: billing.Monthly, Count: 1, Quantity: 1},
			total: "0.00",
			lines: 2,
		},
		{
			name: "image monthly: ECS $70.37 + image $155.00",
			in: billing.QuoteInput{Pricing: pricing(plan(billing.Monthly, "155.00")), Mode: billing.Monthly, Count: 1, Quantity: 1,
				Infrastructure: &billing.Infrastructure{Flavor: "s6.xlarge.2", Price: usd("70.37")}},
			total:   "225.37",
			details: "$155.00 USD/month × 1 month(s) + s6.xlarge.2: $70.37 USD/month × 1 month(s) = $225.37 USD",
			lines:   2,
		},
		{
			name:    "one-time buyout",
			in:      billing.QuoteInput{Pricing: pricing(plan(billing.OneTime, "1200")), Mode: billing.OneTime, Quantity: 2},
			total:   "2400.00",
			details: "$1200.00 USD one-time × 2 unit(s)",
			lines:   1,
		},
		{
			name:  "JPY has no minor unit",
			in:    billing.QuoteInput{Pricing: pricing(billing.PricePlan{Mode: billing.Monthly, UnitPrice: billing.MustMoney("1000", billing.JPY), Discount: billing.Discount{Kind: billing.DiscountRate, Rate: dec("0.3333")}}), Mode: billing.Monthly, Count: 1, Quantity: 1},
			total: "667",
			lines: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := billing.NewQuote(cfg, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			cur := q.Total.Currency
			if want := billing.MustMoney(tt.total, cur); !q.Total.Equal(want) {
				t.Errorf("total = %s, want %s", q.Total, want)
			}
			if got := lineSum(t, q.Lines(), cur); !got.Equal(q.Total) {
				t.Errorf("lines sum to %s, total is %s", got, q.Total)
			}
			if len(q.Lines()) != tt.lines {
				t.Errorf("%d lines, want %d: %v", len(q.Lines()), tt.lines, q.Lines())
			}
			if tt.details != "" && q.CostDetails() != tt.details {
				t.Errorf("CostDetails = %q, want %q", q.CostDetails(), tt.details)
			}
			for _, l := range q.Lines() {
				if l.Description() == "" || l.Formula() == "" || l.String() == "" {
					t.Errorf("line %+v renders empty", l)
				}
			}
		})
	}
}

func TestQuoteTieredLines(t *testing.T) {
	p := billing.PricePlan{Mode: billing.Monthly, Model: billing.Tiered, Tiers: []billing.Tier{
		{UpTo: 10, UnitPrice: usd("5")}, {UpTo: 50, UnitPrice: usd("4")}, {UnitPrice: usd("3")},
	}}
	q, err := billing.NewQuote(billing.DefaultConfig(), billing.QuoteInput{Pricing: pricing(p), Mode: billing.Monthly, Count: 1, Quantity: 12, Label: "Users"})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{q.Lines()[0].String(), q.Lines()[1].String(), q.Lines()[1].Formula()}
	want := []string{
		"Users units 1–10: $5.00 USD/month × 1 month(s) × 10 unit(s) = $50.00 USD",
		"Users units 11–12: $4.00 USD/month × 1 month(s) × 2 unit(s) = $8.00 USD",
		"4.00 × 1 × 2 = 8.00",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestQuoteBadInput(t *testing.T) {
	cfg := billing.DefaultConfig()
	monthly := pricing(plan(billing.Monthly, "5.00"))
	tests := []struct {
		name string
		in   billing.QuoteInput
		want error
	}{
		{"zero quantity", billing.QuoteInput{Pricing: monthly, Mode: billing.Monthly, Count: 1, Quantity: 0}, billing.ErrInvalidInput},
		{"negative quantity", billing.QuoteInput{Pricing: monthly, Mode: billing.Monthly, Count: 1, Quantity: -3}, billing.ErrInvalidInput},
		{"ten months", billing.QuoteInput{Pricing: monthly, Mode: billing.Monthly, Count: 10, Quantity: 1}, billing.ErrInvalidInput},
		{"zero months", billing.QuoteInput{Pricing: monthly, Mode: billing.Monthly, Count: 0, Quantity: 1}, billing.ErrInvalidInput},
		{"four years", billing.QuoteInput{Pricing: pricing(plan(billing.Yearly, "9")), Mode: billing.Yearly, Count: 4, Quantity: 1}, billing.ErrInvalidInput},
		{"pay-per-use for two hours", billing.QuoteInput{Pricing: pricing(plan(billing.PayPerUse, "9")), Mode: billing.PayPerUse, Count: 2, Quantity: 1}, billing.ErrInvalidInput},
		{"no yearly price", billing.QuoteInput{Pricing: monthly, Mode: billing.Yearly, Count: 1, Quantity: 1}, billing.ErrPriceMissing},
		{"unknown mode", billing.QuoteInput{Pricing: monthly, Mode: "weekly", Count: 1, Quantity: 1}, billing.ErrInvalidInput},
		{"VM priced in EUR", billing.QuoteInput{Pricing: monthly, Mode: billing.Monthly, Count: 1, Quantity: 1,
			Infrastructure: &billing.Infrastructure{Flavor: "x", Price: billing.MustMoney("1", billing.EUR)}}, billing.ErrCurrencyMismatch},
		{"negative VM price", billing.QuoteInput{Pricing: monthly, Mode: billing.Monthly, Count: 1, Quantity: 1,
			Infrastructure: &billing.Infrastructure{Flavor: "x", Price: usd("-1")}}, billing.ErrInvalidInput},
		{"empty pricing", billing.QuoteInput{Mode: billing.Monthly, Count: 1, Quantity: 1}, billing.ErrInvalidInput},
		{"plan count range", billing.QuoteInput{Pricing: pricing(billing.PricePlan{Mode: billing.Monthly, UnitPrice: usd("1"), Counts: billing.CountRange{Min: 3, Max: 6}}),
			Mode: billing.Monthly, Count: 2, Quantity: 1}, billing.ErrInvalidInput},
		{"plan quantity range", billing.QuoteInput{Pricing: pricing(billing.PricePlan{Mode: billing.Monthly, UnitPrice: usd("1"), Quantity: billing.CountRange{Min: 5, Max: 100}}),
			Mode: billing.Monthly, Count: 1, Quantity: 101}, billing.ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := billing.NewQuote(cfg, tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if verr := tt.in.Validate(cfg); !errors.Is(verr, tt.want) {
				t.Errorf("Validate = %v, want %v", verr, tt.want)
			}
		})
	}
	var pm *billing.PriceMissingError
	_, err := billing.NewQuote(cfg, billing.QuoteInput{Pricing: monthly, Mode: billing.PayPerUse, Quantity: 1})
	if !errors.As(err, &pm) || pm.Mode != billing.PayPerUse {
		t.Errorf("err = %v, want *PriceMissingError for pay_per_use", err)
	}
}

// quoteBenchInput is the seed license bought for 3 months with 10 users at
// 20% off, on an image with a VM: every step of a quote.
func quoteBenchInput() billing.QuoteInput {
	p := plan(billing.Monthly, "5.00")
	p.Discount = billing.Discount{Kind: billing.DiscountRate, Rate: dec("0.2")}
	return billing.QuoteInput{Pricing: pricing(p), Mode: billing.Monthly, Count: 3, Quantity: 10,
		Infrastructure: &billing.Infrastructure{Flavor: "s6.xlarge.2", Price: usd("70.37")}}
}

func BenchmarkQuote(b *testing.B) {
	cfg, in := billing.DefaultConfig(), quoteBenchInput()
	b.ReportAllocs()
	for b.Loop() {
		q, err := billing.NewQuote(cfg, in)
		if err != nil || q.Total.IsZero() {
			b.Fatal(err)
		}
	}
}

// quoteBaseline is the bare decimal arithmetic of the benchmark quote:
// unit × count × quantity, the discount, the VM, the total and its
// rounding. It reports whether the result is usable.
func quoteBaseline(unit, rate, vm decimal.Decimal) bool {
	cnt, qty := decimal.NewFromInt(3), decimal.NewFromInt(10)
	list := unit.Mul(cnt).Mul(qty)
	off := list.Mul(rate).Neg()
	software := list.Add(off)
	infra := vm.Mul(cnt).Mul(qty)
	total := software.Add(infra)
	r := total.Round(2)
	return !(r.Sub(total).IsZero() && r.IsZero())
}

// BenchmarkQuoteBaseline is the bare decimal arithmetic of the same quote.
func BenchmarkQuoteBaseline(b *testing.B) {
	unit, rate, vm := dec("5.00"), dec("0.2"), dec("70.37")
	b.ReportAllocs()
	for b.Loop() {
		if !quoteBaseline(unit, rate, vm) {
			b.Fatal("zero")
		}
	}
}

// BenchmarkQuoteVsBaseline alternates chunks of NewQuote and of its
// baseline so that both see the same load, and reports the ratio (target
// ≤ 1.3).
func BenchmarkQuoteVsBaseline(b *testing.B) {
	cfg, in := billing.DefaultConfig(), quoteBenchInput()
	unit, rate, vm := dec("5.00"), dec("0.2"), dec("70.37")
	vsBaseline(b, func() bool { return quoteBaseline(unit, rate, vm) }, func() bool {
		q, err := billing.NewQuote(cfg, in)
		return err == nil && !q.Total.IsZero()
	})
}

// BenchmarkQuoteWithLines also builds the explanation, as a checkout page
// does.
func BenchmarkQuoteWithLines(b *testing.B) {
	cfg, in := billing.DefaultConfig(), quoteBenchInput()
	b.ReportAllocs()
	for b.Loop() {
		q, err := billing.NewQuote(cfg, in)
		if err != nil || len(q.Lines()) != 3 {
			b.Fatal(err)
		}
	}
}
