package billing_test

import (
	"fmt"
	"time"

	"github.com/opengallery/opengallery/billing"
)

// A license at $5.00 a month, bought for one month, and an image at $5.00
// an hour on an s3.small.1 VM at $0.0136 an hour.
func ExampleNewQuote() {
	cfg := billing.DefaultConfig()
	license := billing.Pricing{Plans: []billing.PricePlan{{Mode: billing.Monthly, UnitPrice: billing.MustMoney("5.00", billing.USD)}}}
	q, err := billing.NewQuote(cfg, billing.QuoteInput{Pricing: license, Mode: billing.Monthly, Count: 1, Quantity: 1})
	if err != nil {
		panic(err)
	}
	fmt.Println(q.CostDetails())
	fmt.Println("total:", q.Total.Display())

	image := billing.Pricing{Plans: []billing.PricePlan{{Mode: billing.PayPerUse, UnitPrice: billing.MustMoney("5.00", billing.USD)}}}
	q, err = billing.NewQuote(cfg, billing.QuoteInput{Pricing: image, Mode: billing.PayPerUse, Quantity: 1,
		Infrastructure: &billing.Infrastructure{Flavor: "s3.small.1", Price: billing.MustMoney("0.0136", billing.USD)}})
	if err != nil {
		panic(err)
	}
	fmt.Println(q.CostDetails())
	// Output:
	// $5.00 USD/month × 1 month(s)
	// total: $5.00 USD
	// $5.00 USD/hour + s3.small.1: $0.0136 USD/hour = $5.0136 USD/hour
}

// Expiry is the purchase date plus the duration, clamped to the month's
// end, at 23:59:59 platform time (GMT+08:00).
func ExampleExpiryAfter() {
	cfg := billing.DefaultConfig()
	purchased := time.Date(2020, 9, 1, 2, 26, 48, 0, time.UTC)
	exp, err := billing.ExpiryAfter(cfg, purchased, billing.Monthly, 1, 0)
	if err != nil {
		panic(err)
	}
	fmt.Println(exp.Format(time.DateTime), "UTC")
	fmt.Println(exp.In(cfg.Location).Format("Jan 2, 2006 15:04:05 MST"))
	fmt.Println("remaining:", billing.RemainingAt(exp, purchased))

	exp, _ = billing.ExpiryAfter(cfg, time.Date(2024, 3, 31, 9, 0, 0, 0, cfg.Location), billing.Monthly, 1, 0)
	fmt.Println(exp.In(cfg.Location).Format(time.DateTime))
	// Output:
	// 2020-10-01 15:59:59 UTC
	// Oct 1, 2020 23:59:59 GMT+08:00
	// remaining: 30 days
	// 2024-04-30 23:59:59
}

// A renewal in grace or retention starts from the original expiry: the time
// since is used up. The term keeps its original day of month (the 31st).
func ExampleRenew() {
	cfg := billing.DefaultConfig()
	term, _ := billing.NewTerm(cfg, time.Date(2024, 3, 31, 9, 0, 0, 0, cfg.Location), billing.Monthly, 1)
	now := time.Date(2024, 5, 18, 10, 0, 0, 0, cfg.Location)
	fmt.Println("expired:", term.Expiry.In(cfg.Location).Format(time.DateOnly), "state on May 18:", billing.LifecycleState(cfg, term.Expiry, now))
	r, err := billing.Renew(cfg, billing.RenewalInput{Term: term, Count: 1, Now: now})
	if err != nil {
		panic(err)
	}
	fmt.Println("renewed until:", r.Term.Expiry.In(cfg.Location).Format(time.DateOnly), "left:", r.Remaining)
	// Output:
	// expired: 2024-04-30 state on May 18: retention
	// renewed until: 2024-05-31 left: 13 days
}

// The upgrade fee is the price difference over the remaining duration,
// here 244/365 + 1 + 305/365 years.
func ExampleUpgradeCost() {
	cfg := billing.DefaultConfig()
	loc := cfg.Location
	u, err := billing.UpgradeCost(cfg, billing.UpgradeInput{
		Mode:     billing.Yearly,
		Expiry:   time.Date(2026, 11, 1, 23, 59, 59, 0, loc),
		ChangeAt: time.Date(2024, 5, 1, 10, 0, 0, 0, loc),
		From:     billing.PricePlan{Mode: billing.Yearly, UnitPrice: billing.MustMoney("900", billing.USD)}, FromQuantity: 1,
		To: billing.PricePlan{Mode: billing.Yearly, UnitPrice: billing.MustMoney("1200", billing.USD)}, ToQuantity: 1,
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("remaining:", u.Remaining.StringFixed(2), "years")
	for _, l := range u.Lines() {
		fmt.Println(l)
	}
	fmt.Println("upgrade cost:", u.Total.Display())
	// Output:
	// remaining: 2.50 years
	// target configuration: $1200.00 USD/year × 2.50410959 year(s) remaining = $3004.931508 USD
	// current configuration: −$900.00 USD/year × 2.50410959 year(s) remaining = -$2253.698631 USD
	// rounded half-up to 2 decimal places = -$0.002877 USD
	// upgrade cost: $751.23 USD
}

// The remaining duration of the two published proration examples. The
// monthly one is printed as "2.75 months" in the source, but its own terms,
// 7/31 + 2 + 15/30, add up to 2.7258...: 7/31 is 0.2258, not 0.25. The
// rule's value is kept.
func ExampleRemainingPeriods() {
	cfg := billing.DefaultConfig()
	loc := cfg.Location
	m, err := billing.RemainingPeriods(cfg, billing.Monthly,
		time.Date(2021, 8, 24, 10, 0, 0, 0, loc), time.Date(2021, 11, 15, 23, 59, 59, 0, loc))
	if err != nil {
		panic(err)
	}
	y, err := billing.RemainingPeriods(cfg, billing.Yearly,
		time.Date(2024, 5, 1, 10, 0, 0, 0, loc), time.Date(2026, 11, 1, 23, 59, 59, 0, loc))
	if err != nil {
		panic(err)
	}
	fmt.Println("2021-08-15→2021-11-15 changed 08-24:", m, "months ≈", m.StringFixed(2))
	fmt.Println("2023-11-01→2026-11-01 changed 2024-05-01:", y, "years ≈", y.StringFixed(2))
	// Output:
	// 2021-08-15→2021-11-15 changed 08-24: 2.72580645 months ≈ 2.73
	// 2023-11-01→2026-11-01 changed 2024-05-01: 2.50410959 years ≈ 2.50
}

// In-use refund: paid − paid × used hours / order hours − handling fee.
func ExampleInUseRefund() {
	cfg := billing.DefaultConfig()
	loc := cfg.Location
	r, err := billing.InUseRefund(cfg, billing.RefundInput{
		Mode: billing.Monthly, Count: 1, Paid: billing.MustMoney("100.00", billing.USD),
		EffectiveAt: time.Date(2024, 1, 1, 10, 30, 0, 0, loc),
		Expiry:      time.Date(2024, 2, 1, 23, 59, 59, 0, loc),
		At:          time.Date(2024, 1, 15, 18, 40, 0, 0, loc),
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("used %d h of %d h\n", r.UsedHours, r.OrderHours)
	for _, l := range r.Lines() {
		fmt.Println(l)
	}
	fmt.Println("refund:", r.Total.Display(), "review:", r.NeedsReview)
	// Output:
	// used 344 h of 758 h
	// paid $100.00 USD = $100.00 USD
	// consumed $100.00 USD × 344 h / 758 h = -$45.38258575 USD
	// handling fee 10% of $100.00 USD = -$10.00 USD
	// rounded half-up to 2 decimal places = $0.00258575 USD
	// refund: $44.62 USD review: false
}

// A term renewed before it ended, then unsubscribed: the term in use is
// refunded by the formula, the renewal period not yet started in full.
func ExamplePeriodsRefund() {
	cfg := billing.DefaultConfig()
	loc := cfg.Location
	paid := billing.MustMoney("90.37", billing.USD)
	termEnd := time.Date(2026, 2, 5, 23, 59, 59, 0, loc)
	at := time.Date(2026, 1, 10, 18, 30, 0, 0, loc) // day 5 of the term
	r, err := billing.PeriodsRefund(cfg, []billing.RefundInput{
		{Mode: billing.Monthly, Count: 1, Paid: paid, Label: "term to 02-05",
			EffectiveAt: time.Date(2026, 1, 5, 18, 30, 0, 0, loc), Expiry: termEnd, At: at},
		{Mode: billing.Monthly, Count: 1, Paid: paid, Label: "renewal to 03-05",
			EffectiveAt: termEnd, Expiry: time.Date(2026, 3, 5, 23, 59, 59, 0, loc), At: at},
	})
	if err != nil {
		panic(err)
	}
	for _, l := range r.Lines() {
		fmt.Println(l)
	}
	fmt.Println("refund:", r.Total.Display(), r.Kind)
	// Output:
	// term to 02-05: paid $90.37 USD = $90.37 USD
	// term to 02-05: consumed $90.37 USD × 120 h / 750 h = -$14.4592 USD
	// term to 02-05: handling fee 10% of $90.37 USD = -$9.037 USD
	// term to 02-05: rounded half-up to 2 decimal places = -$0.0038 USD
	// renewal to 03-05: paid $90.37 USD = $90.37 USD
	// refund: $157.24 USD in_use
}

// A pay-per-use image cannot be unsubscribed; the reason is typed.
func ExampleUnsubscribeEligibility() {
	cfg := billing.DefaultConfig()
	now := time.Date(2024, 3, 10, 12, 0, 0, 0, cfg.Location)
	_, err := billing.UnsubscribeEligibility(cfg, billing.UnsubscribeInput{
		Delivery: billing.Image, Mode: billing.PayPerUse, Paid: billing.MustMoney("3", billing.USD), Now: now,
	})
	fmt.Println(err)
	kind, _ := billing.UnsubscribeEligibility(cfg, billing.UnsubscribeInput{
		Delivery: billing.License, Supervised: true, Mode: billing.Yearly, Paid: billing.MustMoney("900", billing.USD),
		Expiry: now.AddDate(1, 0, 0), Now: now,
	})
	fmt.Println(kind)
	// Output:
	// billing: cannot unsubscribe: pay_per_use
	// negotiated
}

// Auto-renewal deducts at 03:00 platform time, 7 days before expiry.
func ExampleNextAutoRenewAttempt() {
	cfg := billing.DefaultConfig()
	term, _ := billing.NewTerm(cfg, time.Date(2024, 4, 30, 9, 0, 0, 0, cfg.Location), billing.Monthly, 1)
	st := billing.AutoRenewState{Delivery: billing.License, Term: term, Settings: billing.AutoRenewal{Enabled: true}}
	a, ok, _ := billing.NextAutoRenewAttempt(cfg, st, time.Date(2024, 5, 1, 0, 0, 0, 0, cfg.Location))
	fmt.Println(a.At.In(cfg.Location).Format(time.DateTime), ok)
	// Output: 2024-05-23 03:00:00 true
}
