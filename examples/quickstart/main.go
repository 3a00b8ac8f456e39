// Command quickstart is a walkthrough of the billing rules of OpenGallery:
// it prices a purchase, computes when it expires, renews it after expiry,
// prices an upgrade and refunds an unsubscription, printing each result
// with the line items that explain it. Every figure is computed by the
// billing package from the worked examples of the KooGallery and Huawei
// Cloud documentation.
//
//	go run ./examples/quickstart
package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/shopspring/decimal"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	cfg := billing.DefaultConfig()
	loc := cfg.Location
	usd := func(s string) billing.Money { return billing.MustMoney(s, billing.USD) }
	day := func(t time.Time) string { return t.In(loc).Format("Jan 2, 2006 15:04:05 MST") }

	// 1. Quotes: a license at $5.00 a month, and an image billed by the
	//    hour on a VM flavor.
	section(w, "Quote: a license, $5.00/month, 1 month")
	license := billing.Pricing{Plans: []billing.PricePlan{
		{Mode: billing.Monthly, UnitPrice: usd("5.00")},
		{Mode: billing.Yearly, UnitPrice: usd("50.00")},
	}}
	q, err := billing.NewQuote(cfg, billing.QuoteInput{Pricing: license, Mode: billing.Monthly, Count: 1, Quantity: 1})
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Cost details:", q.CostDetails())
	fmt.Fprintln(w, "Total:       ", q.Total.Display())

	section(w, "Quote: an image, pay-per-use, on each ECS flavor")
	image := billing.Pricing{Plans: []billing.PricePlan{{Mode: billing.PayPerUse, UnitPrice: usd("5.00")}}}
	for _, f := range []struct{ name, price string }{
		{"s3.small.1", "0.0136"}, {"s3.medium.2", "0.0236"}, {"s3.large.2", "0.0536"}, {"s2.medium.2", "0.0236"}, {"m2.large.8", "0.7236"},
	} {
		q, err := billing.NewQuote(cfg, billing.QuoteInput{Pricing: image, Mode: billing.PayPerUse, Quantity: 1,
			Infrastructure: &billing.Infrastructure{Flavor: f.name, Price: usd(f.price)}})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-12s software %s + ECS %s = %s USD/hour\n", f.name, q.Software.AmountString(), q.Infrastructure.AmountString(), q.Total.AmountString())
	}

	section(w, "Quote: 3 months of 12 users, tiered, 20% off")
	tiered := billing.Pricing{Plans: []billing.PricePlan{{Mode: billing.Monthly, Model: billing.Tiered,
		Tiers:    []billing.Tier{{UpTo: 10, UnitPrice: usd("5.00")}, {UnitPrice: usd("4.00")}},
		Discount: billing.Discount{Kind: billing.DiscountRate, Rate: decimal.RequireFromString("0.2")}}}}
	q, err = billing.NewQuote(cfg, billing.QuoteInput{Pricing: tiered, Mode: billing.Monthly, Count: 3, Quantity: 12, Label: "Email Hosting"})
	if err != nil {
		return err
	}
	printLines(w, q.Lines(), q.Total)

	// 2. Expiry: 23:59:59 GMT+08:00 on the same day of the month.
	section(w, "Expiry")
	purchased := time.Date(2020, 9, 1, 2, 26, 48, 0, time.UTC)
	exp, err := billing.ExpiryAfter(cfg, purchased, billing.Monthly, 1, 0)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Purchased:", purchased.Format(time.DateTime), "UTC, 1 month")
	fmt.Fprintln(w, "Expires:  ", exp.Format(time.DateTime), "UTC =", day(exp))
	fmt.Fprintln(w, "Remaining:", billing.RemainingAt(exp, purchased))

	// 3. Renewal after expiry: from the original expiry, anchored on the 31st.
	section(w, "Renewal in grace/retention")
	term, err := billing.NewTerm(cfg, time.Date(2024, 3, 31, 9, 0, 0, 0, loc), billing.Monthly, 1)
	if err != nil {
		return err
	}
	renewedAt := time.Date(2024, 5, 18, 10, 0, 0, 0, loc)
	r, err := billing.Renew(cfg, billing.RenewalInput{Term: term, Count: 1, Now: renewedAt})
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Bought Mar 31, expired:", day(term.Expiry))
	fmt.Fprintln(w, "State on May 18:       ", billing.LifecycleState(cfg, term.Expiry, renewedAt))
	fmt.Fprintln(w, "Renewed for 1 month:   ", day(r.Term.Expiry), "-", r.Remaining, "left")
	next, nextAt, _ := billing.NextLifecycleChange(cfg, r.Term.Expiry, renewedAt)
	fmt.Fprintln(w, "Next lifecycle change: ", next, "at", day(nextAt))
	st := billing.AutoRenewState{Delivery: billing.License, Term: r.Term, Settings: billing.AutoRenewal{Enabled: true}}
	if a, ok, err := billing.NextAutoRenewAttempt(cfg, st, renewedAt); err != nil {
		return err
	} else if ok {
		fmt.Fprintln(w, "Auto-renewal deduction:", day(a.At))
	}

	// 4. Upgrade: the price difference over the remaining 2.50 years.
	section(w, "Upgrade $900/year → $1200/year on 2024-05-01 (term 2023-11-01 → 2026-11-01)")
	u, err := billing.UpgradeCost(cfg, billing.UpgradeInput{
		Mode: billing.Yearly, Expiry: time.Date(2026, 11, 1, 23, 59, 59, 0, loc), ChangeAt: time.Date(2024, 5, 1, 10, 0, 0, 0, loc),
		From: billing.PricePlan{Mode: billing.Yearly, UnitPrice: usd("900")}, FromQuantity: 1,
		To: billing.PricePlan{Mode: billing.Yearly, UnitPrice: usd("1200")}, ToQuantity: 1,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "Remaining:", u.Remaining, "years")
	printLines(w, u.Lines(), u.Total)

	// 5. Refund: monthly, bought 2024-01-01 10:30, unsubscribed 2024-01-15 18:40.
	section(w, "Unsubscription refund")
	kind, err := billing.UnsubscribeEligibility(cfg, billing.UnsubscribeInput{Delivery: billing.Image, Mode: billing.Monthly,
		Paid: usd("100.00"), Expiry: time.Date(2024, 2, 1, 23, 59, 59, 0, loc), Now: time.Date(2024, 1, 15, 18, 40, 0, 0, loc)})
	if err != nil {
		return err
	}
	ref, err := billing.InUseRefund(cfg, billing.RefundInput{Mode: billing.Monthly, Count: 1, Paid: usd("100.00"),
		EffectiveAt: time.Date(2024, 1, 1, 10, 30, 0, 0, loc), Expiry: time.Date(2024, 2, 1, 23, 59, 59, 0, loc),
		At: time.Date(2024, 1, 15, 18, 40, 0, 0, loc)})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "Eligibility: %s; used %d h of %d h (%dd %dh of %dd %dh)\n", kind, ref.UsedHours, ref.OrderHours,
		ref.UsedHours/24, ref.UsedHours%24, ref.OrderHours/24, ref.OrderHours%24)
	printLines(w, ref.Lines(), ref.Total)
	_, err = billing.UnsubscribeEligibility(cfg, billing.UnsubscribeInput{Delivery: billing.SaaS, Mode: billing.Monthly,
		Paid: usd("100.00"), Expiry: time.Date(2024, 2, 1, 23, 59, 59, 0, loc), Now: time.Date(2024, 1, 15, 18, 40, 0, 0, loc)})
	fmt.Fprintln(w, "SaaS without supervision:", err)
	return nil
}

func section(w io.Writer, title string) { fmt.Fprintf(w, "\n== %s\n", title) }

func printLines(w io.Writer, lines []billing.LineItem, total billing.Money) {
	for _, l := range lines {
		fmt.Fprintf(w, "  %-70s %s\n", l.Description(), l.Amount.Display())
	}
	fmt.Fprintf(w, "  %-70s %s\n", "Total", total.Display())
}
