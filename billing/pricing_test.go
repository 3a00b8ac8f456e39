package billing_test

import (
	"errors"
	"testing"

	"github.com/opengallery/opengallery/billing"
)

func TestPeriodPrice(t *testing.T) {
	tiers := []billing.Tier{{UpTo: 10, UnitPrice: usd("5")}, {UpTo: 50, UnitPrice: usd("4")}, {UnitPrice: usd("3")}}
	tests := []struct {
		name string
		plan billing.PricePlan
		q    int64
		want string
	}{
		{"linear", plan(billing.Monthly, "5"), 7, "35"},
		{"tiered within the first tier", billing.PricePlan{Mode: billing.Monthly, Model: billing.Tiered, Tiers: tiers}, 10, "50"},
		{"tiered over three tiers", billing.PricePlan{Mode: billing.Monthly, Model: billing.Tiered, Tiers: tiers}, 51, "213"},
		{"volume at a tier edge", billing.PricePlan{Mode: billing.Monthly, Model: billing.Volume, Tiers: tiers}, 50, "200"},
		{"volume in the open tier", billing.PricePlan{Mode: billing.Monthly, Model: billing.Volume, Tiers: tiers}, 51, "153"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.plan.PeriodPrice(tt.q)
			if err != nil || !got.Equal(usd(tt.want)) {
				t.Errorf("= %s, %v; want %s", got, err, tt.want)
			}
		})
	}
	if _, err := plan(billing.Monthly, "5").PeriodPrice(0); !errors.Is(err, billing.ErrInvalidInput) {
		t.Errorf("quantity 0: %v", err)
	}
	if _, err := (billing.PricePlan{Mode: "x"}).PeriodPrice(1); !errors.Is(err, billing.ErrInvalidInput) {
		t.Errorf("bad plan: %v", err)
	}
}

func TestPricePlanValidate(t *testing.T) {
	mod := func(f func(*billing.PricePlan)) billing.PricePlan { p := plan(billing.Monthly, "5"); f(&p); return p }
	tiers := []billing.Tier{{UpTo: 10, UnitPrice: usd("5")}, {UnitPrice: usd("4")}}
	tests := []struct {
		name string
		p    billing.PricePlan
		want error
	}{
		{"unknown mode", mod(func(p *billing.PricePlan) { p.Mode = "weekly" }), billing.ErrInvalidInput},
		{"unknown currency", mod(func(p *billing.PricePlan) { p.UnitPrice.Currency = "ZZZ" }), billing.ErrUnknownCurrency},
		{"negative price", mod(func(p *billing.PricePlan) { p.UnitPrice = usd("-1") }), billing.ErrInvalidInput},
		{"linear with tiers", mod(func(p *billing.PricePlan) { p.Tiers = tiers }), billing.ErrInvalidInput},
		{"tiered without tiers", mod(func(p *billing.PricePlan) { p.Model = billing.Tiered }), billing.ErrInvalidInput},
		{"tiers not increasing", billing.PricePlan{Mode: billing.Monthly, Model: billing.Tiered, Tiers: []billing.Tier{{UpTo: 10, UnitPrice: usd("5")}, {UpTo: 5, UnitPrice: usd("4")}, {UnitPrice: usd("3")}}}, billing.ErrInvalidInput},
		{"last tier bounded", billing.PricePlan{Mode: billing.Monthly, Model: billing.Volume, Tiers: []billing.Tier{{UpTo: 10, UnitPrice: usd("5")}}}, billing.ErrInvalidInput},
		{"tiers in two currencies", billing.PricePlan{Mode: billing.Monthly, Model: billing.Tiered, Tiers: []billing.Tier{{UpTo: 10, UnitPrice: usd("5")}, {UnitPrice: billing.MustMoney("4", billing.EUR)}}}, billing.ErrCurrencyMismatch},
		{"unknown model", mod(func(p *billing.PricePlan) { p.Model = "quadratic" }), billing.ErrInvalidInput},
		{"quantity 0–5", mod(func(p *billing.PricePlan) { p.Quantity = billing.CountRange{Max: 5} }), billing.ErrInvalidInput},
		{"counts on pay-per-use", billing.PricePlan{Mode: billing.PayPerUse, UnitPrice: usd("1"), Counts: billing.CountRange{Min: 1, Max: 2}}, billing.ErrInvalidInput},
		{"counts 3–2", mod(func(p *billing.PricePlan) { p.Counts = billing.CountRange{Min: 3, Max: 2} }), billing.ErrInvalidInput},
		{"discount rate 1", mod(func(p *billing.PricePlan) { p.Discount = billing.Discount{Kind: billing.DiscountRate, Rate: dec("1")} }), billing.ErrInvalidInput},
		{"discount rate negative", mod(func(p *billing.PricePlan) {
			p.Discount = billing.Discount{Kind: billing.DiscountRate, Rate: dec("-0.1")}
		}), billing.ErrInvalidInput},
		{"fixed price in EUR", mod(func(p *billing.PricePlan) {
			p.Discount = billing.Discount{Kind: billing.FixedPrice, Price: billing.MustMoney("1", billing.EUR)}
		}), billing.ErrCurrencyMismatch},
		{"negative amount off", mod(func(p *billing.PricePlan) { p.Discount = billing.Discount{Kind: billing.AmountOff, Amount: usd("-1")} }), billing.ErrInvalidInput},
		{"unknown discount", mod(func(p *billing.PricePlan) { p.Discount = billing.Discount{Kind: "coupon"} }), billing.ErrInvalidInput},
		{"valid rate 0.99", mod(func(p *billing.PricePlan) {
			p.Discount = billing.Discount{Kind: billing.DiscountRate, Rate: dec("0.99")}
		}), nil},
		{"valid tiered", billing.PricePlan{Mode: billing.Yearly, Model: billing.Tiered, Tiers: tiers, Quantity: billing.CountRange{Min: 1, Max: 100}, Counts: billing.CountRange{Min: 1, Max: 5}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Validate(); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestPricingValidate(t *testing.T) {
	cfg := billing.DefaultConfig()
	tests := []struct {
		name string
		p    billing.Pricing
		want error
	}{
		{"empty", billing.Pricing{}, billing.ErrInvalidInput},
		{"two monthly plans", pricing(plan(billing.Monthly, "5"), plan(billing.Monthly, "6")), billing.ErrInvalidInput},
		{"plans in two currencies", pricing(plan(billing.Monthly, "5"), billing.PricePlan{Mode: billing.Yearly, UnitPrice: billing.MustMoney("50", billing.EUR)}), billing.ErrCurrencyMismatch},
		{"bad plan", pricing(billing.PricePlan{Mode: billing.Monthly}), billing.ErrUnknownCurrency},
		{"trial on pay-per-use only", billing.Pricing{Plans: []billing.PricePlan{plan(billing.PayPerUse, "1")}, TrialDays: 30}, billing.ErrInvalidInput},
		{"trial of 2 days", billing.Pricing{Plans: []billing.PricePlan{plan(billing.Monthly, "1")}, TrialDays: 2}, billing.ErrInvalidInput},
		{"trial of 181 days", billing.Pricing{Plans: []billing.PricePlan{plan(billing.Monthly, "1")}, TrialDays: 181}, billing.ErrInvalidInput},
		{"trial of 3 days", billing.Pricing{Plans: []billing.PricePlan{plan(billing.Monthly, "1")}, TrialDays: 3}, nil},
		{"trial of 180 days with pay-per-use beside", billing.Pricing{Plans: []billing.PricePlan{plan(billing.Yearly, "1"), plan(billing.PayPerUse, "1")}, TrialDays: 180}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Validate(cfg); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestTrialAllowed(t *testing.T) {
	p := billing.Pricing{Plans: []billing.PricePlan{plan(billing.Yearly, "1"), plan(billing.PayPerUse, "1")}, TrialDays: 30}
	for mode, want := range map[billing.Mode]bool{billing.Yearly: true, billing.Monthly: false, billing.PayPerUse: false, billing.OneTime: false} {
		if got := p.TrialAllowed(mode); got != want {
			t.Errorf("%s: %v, want %v", mode, got, want)
		}
	}
	if (billing.Pricing{Plans: p.Plans}).TrialAllowed(billing.Yearly) {
		t.Error("trial without trial days")
	}
}
