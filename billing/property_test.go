package billing_test

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/shopspring/decimal"
)

// Property tests: each runs propertyCases random cases from a fixed seed,
// so a failure reproduces.
const propertyCases = 10_000

func newRand() *rand.Rand { return rand.New(rand.NewPCG(2, 27)) }

// randMoney returns a USD amount in [0, maxCents] cents.
func randMoney(r *rand.Rand, maxCents int64) billing.Money {
	return billing.Money{Amount: decimal.New(r.Int64N(maxCents+1), -2), Currency: billing.USD}
}

// randPrice returns a price with up to 4 decimal places, like 0.0136.
func randPrice(r *rand.Rand) billing.Money {
	return billing.Money{Amount: decimal.New(r.Int64N(10_000_000), -4), Currency: billing.USD}
}

// randTime returns a time between 2019 and 2030 to the second.
func randTime(r *rand.Rand) time.Time {
	return time.Unix(1546300800+r.Int64N(11*365*24*3600), 0).UTC()
}

// randPrepaid returns monthly with 1–9 months or yearly with 1–3 years, the
// default allowed durations.
func randPrepaid(r *rand.Rand) (billing.Mode, int) {
	if count := 1 + r.IntN(9); r.IntN(2) != 0 {
		return billing.Monthly, count
	}
	return billing.Yearly, 1 + r.IntN(3)
}

// randTerm returns a random prepaid term: its mode and count, a start
// between 2019 and 2030, and its expiry.
func randTerm(t *testing.T, cfg billing.Config, r *rand.Rand) (billing.Mode, int, time.Time, time.Time) {
	t.Helper()
	mode, count := randPrepaid(r)
	start := randTime(r)
	exp, err := billing.ExpiryAfter(cfg, start, mode, count, 0)
	if err != nil {
		t.Fatal(err)
	}
	return mode, count, start, exp
}

func randDiscount(r *rand.Rand) billing.Discount {
	switch r.IntN(4) {
	case 1:
		return billing.Discount{Kind: billing.DiscountRate, Rate: decimal.New(r.Int64N(100), -2)}
	case 2:
		return billing.Discount{Kind: billing.FixedPrice, Price: randPrice(r)}
	case 3:
		return billing.Discount{Kind: billing.AmountOff, Amount: randMoney(r, 100_000)}
	}
	return billing.Discount{}
}

func randPlan(r *rand.Rand, mode billing.Mode) billing.PricePlan {
	p := billing.PricePlan{Mode: mode, Discount: randDiscount(r)}
	switch r.IntN(3) {
	case 0:
		p.UnitPrice = randPrice(r)
	case 1, 2:
		p.Model = billing.Tiered
		if r.IntN(2) == 0 {
			p.Model = billing.Volume
		}
		up := int64(0)
		for range 1 + r.IntN(3) {
			up += 1 + r.Int64N(20)
			p.Tiers = append(p.Tiers, billing.Tier{UpTo: up, UnitPrice: randPrice(r)})
		}
		p.Tiers = append(p.Tiers, billing.Tier{UnitPrice: randPrice(r)})
	}
	return p
}

func TestPropertyQuoteLinesSumToTotal(t *testing.T) {
	cfg, r := billing.DefaultConfig(), newRand()
	for i := range propertyCases {
		mode := billing.Modes[r.IntN(len(billing.Modes))]
		in := billing.QuoteInput{Pricing: billing.Pricing{Plans: []billing.PricePlan{randPlan(r, mode)}}, Mode: mode, Quantity: 1 + r.Int64N(80)}
		switch mode {
		case billing.Monthly:
			in.Count = 1 + r.IntN(9)
		case billing.Yearly:
			in.Count = 1 + r.IntN(3)
		}
		if r.IntN(2) == 0 {
			in.Infrastructure = &billing.Infrastructure{Flavor: "vm", Price: randPrice(r)}
		}
		q, err := billing.NewQuote(cfg, in)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if s := lineSum(t, q.Lines(), billing.USD); !s.Equal(q.Total) {
			t.Fatalf("case %d: lines sum to %s, total %s: %v", i, s, q.Total, q.Lines())
		}
		if q.Total.IsNegative() {
			t.Fatalf("case %d: negative total %s", i, q.Total)
		}
		if mode != billing.PayPerUse && !q.Total.Equal(q.Total.RoundHalfUp()) {
			t.Fatalf("case %d: total %s not in cents", i, q.Total)
		}
	}
}

func TestPropertyRefundWithinPaid(t *testing.T) {
	cfg, r := billing.DefaultConfig(), newRand()
	// Run until propertyCases refunds were computed: the draws after expiry
	// (refused) do not count toward them.
	refunds := 0
	for i := 0; refunds < propertyCases; i++ {
		if i == 2*propertyCases {
			t.Fatalf("only %d of %d draws refunded", refunds, i)
		}
		mode, count, start, exp := randTerm(t, cfg, r)
		span := exp.Sub(start)
		unsub := start.Add(time.Duration(r.Int64N(int64(span)+int64(48*time.Hour))) - 24*time.Hour)
		in := billing.RefundInput{Mode: mode, Count: count, Paid: randMoney(r, 2_000_000), EffectiveAt: start, Expiry: exp, At: unsub, FeeWaived: r.IntN(5) == 0}
		ref, err := billing.InUseRefund(cfg, in)
		if unsub.After(exp) {
			if !errors.Is(err, billing.ErrNotRefundable) {
				t.Fatalf("case %d: after expiry err = %v", i, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if ref.Total.IsNegative() || ref.Total.Amount.GreaterThan(in.Paid.Amount) {
			t.Fatalf("case %d: refund %s outside [0, %s]", i, ref.Total, in.Paid)
		}
		if s := lineSum(t, ref.Lines(), billing.USD); !s.Equal(ref.Total) {
			t.Fatalf("case %d: lines sum to %s, total %s", i, s, ref.Total)
		}
		if ref.UsedHours < 0 || ref.UsedHours > ref.OrderHours {
			t.Fatalf("case %d: used %d of %d hours", i, ref.UsedHours, ref.OrderHours)
		}
		refunds++
	}
}

func TestPropertyUpgradeNeverNegative(t *testing.T) {
	cfg, r := billing.DefaultConfig(), newRand()
	// Run until propertyCases upgrades were priced: the refused downgrades
	// (about a quarter of the draws) do not count toward them.
	priced, downgrades := 0, 0
	for i := 0; priced < propertyCases; i++ {
		if i == 3*propertyCases {
			t.Fatalf("only %d of %d draws priced", priced, i)
		}
		mode, count, start, exp := randTerm(t, cfg, r)
		change := start.Add(time.Duration(r.Int64N(int64(exp.Sub(start)))))
		from := randPlan(r, mode)
		to := from
		if r.IntN(2) == 0 {
			to = randPlan(r, mode)
		}
		fq := 1 + r.Int64N(40)
		in := billing.UpgradeInput{Mode: mode, Expiry: exp, ChangeAt: change, From: from, FromQuantity: fq, To: to, ToQuantity: fq + r.Int64N(10)}
		u, err := billing.UpgradeCost(cfg, in)
		if errors.Is(err, billing.ErrDowngrade) {
			downgrades++
			continue
		}
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if u.Total.IsNegative() {
			t.Fatalf("case %d: negative upgrade cost %s", i, u.Total)
		}
		if s := lineSum(t, u.Lines(), billing.USD); !s.Equal(u.Total) {
			t.Fatalf("case %d: lines sum to %s, total %s", i, s, u.Total)
		}
		if u.Remaining.IsNegative() || u.Remaining.GreaterThan(decimal.NewFromInt(int64(count)+1)) {
			t.Fatalf("case %d: remaining %s of %d", i, u.Remaining, count)
		}
		priced++
	}
	t.Logf("%d priced upgrades, %d refused downgrades", priced, downgrades)
	if downgrades == 0 {
		t.Errorf("%d downgrades: the generator does not exercise both branches", downgrades)
	}
}

func TestPropertyExpiryAt235959(t *testing.T) {
	cfg, r := billing.DefaultConfig(), newRand()
	for i := range propertyCases {
		mode, count := randPrepaid(r)
		anchor := r.IntN(33) - 1 // LastDay, 0 (start's day) or 1–31
		start := randTime(r)
		exp, err := billing.ExpiryAfter(cfg, start, mode, count, anchor)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		l := exp.In(cfg.Location)
		if l.Hour() != 23 || l.Minute() != 59 || l.Second() != 59 || l.Nanosecond() != 0 {
			t.Fatalf("case %d: expiry %v is not 23:59:59 platform time", i, l)
		}
		if !exp.After(start) {
			t.Fatalf("case %d: expiry %v not after start %v", i, exp, start)
		}
	}
}

func TestPropertyRenewalStartsAtOriginalExpiry(t *testing.T) {
	cfg, r := billing.DefaultConfig(), newRand()
	// Run until propertyCases renewals were made: the draws after release
	// (refused) do not count toward them.
	renewals, released := 0, 0
	for i := 0; renewals < propertyCases; i++ {
		if i == 2*propertyCases {
			t.Fatalf("only %d of %d draws renewed", renewals, i)
		}
		mode, count := randPrepaid(r)
		term, err := billing.NewTerm(cfg, randTime(r), mode, count)
		if err != nil {
			t.Fatal(err)
		}
		// Renew any time from 60 days before expiry to 2 days after the
		// end of retention (30 days after expiry).
		now := term.Expiry.Add(time.Duration(r.Int64N(int64(92*24*time.Hour))) - 60*24*time.Hour)
		uniform := 0
		if r.IntN(3) == 0 {
			uniform = r.IntN(29) // 0 (none) or 1–28
			if uniform == 0 {
				uniform = billing.LastDay
			}
		}
		rn, err := billing.Renew(cfg, billing.RenewalInput{Term: term, Count: count, UniformDay: uniform, Now: now})
		if billing.LifecycleState(cfg, term.Expiry, now) == billing.Released {
			if !errors.Is(err, billing.ErrNotRenewable) {
				t.Fatalf("case %d: released renewal err = %v", i, err)
			}
			released++
			continue
		}
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if rn.Term.Start.Before(term.Expiry) || !rn.Term.Start.Equal(term.Expiry) {
			t.Fatalf("case %d: renewal starts %v, original expiry %v", i, rn.Term.Start, term.Expiry)
		}
		if !rn.Term.Expiry.After(term.Expiry) {
			t.Fatalf("case %d: new expiry %v not after %v", i, rn.Term.Expiry, term.Expiry)
		}
		if l := rn.Term.Expiry.In(cfg.Location); l.Hour() != 23 || l.Minute() != 59 || l.Second() != 59 {
			t.Fatalf("case %d: new expiry %v", i, l)
		}
		if now.After(term.Expiry) != (rn.Consumed > 0) {
			t.Fatalf("case %d: consumed %v renewing at %v after expiry %v", i, rn.Consumed, now, term.Expiry)
		}
		renewals++
	}
	if released == 0 {
		t.Error("no draw fell after release: the refusal is not exercised")
	}
}

// A renewed term's refund is its periods' own refunds added up: within
// what was paid, explained by lines that sum to it, never more than one
// period in use, and every period not started back in full.
func TestPropertyPeriodsRefundSumsPeriods(t *testing.T) {
	cfg, r := billing.DefaultConfig(), newRand()
	for i := range propertyCases / 10 {
		mode, count, start, exp := randTerm(t, cfg, r)
		orders := []billing.RefundInput{{Mode: mode, Count: count, Paid: randMoney(r, 2_000_000), EffectiveAt: start, Expiry: exp}}
		for range r.IntN(4) {
			prev := orders[len(orders)-1]
			rn, err := billing.Renew(cfg, billing.RenewalInput{Term: billing.Term{Mode: mode, Count: prev.Count, Start: prev.EffectiveAt, Expiry: prev.Expiry},
				Count: count, Now: prev.EffectiveAt})
			if err != nil {
				t.Fatalf("case %d: %v", i, err)
			}
			orders = append(orders, billing.RefundInput{Mode: mode, Count: count, Paid: randMoney(r, 2_000_000), EffectiveAt: rn.Term.Start, Expiry: rn.Term.Expiry})
		}
		last := orders[len(orders)-1].Expiry
		unsub := start.Add(time.Duration(r.Int64N(int64(last.Sub(start)))))
		paid, want := decimal.Zero, decimal.Zero
		for j := range orders {
			orders[j].At = unsub
			paid = paid.Add(orders[j].Paid.Amount)
			if one, err := billing.InUseRefund(cfg, orders[j]); err == nil {
				want = want.Add(one.Total.Amount)
			}
		}
		ref, err := billing.PeriodsRefund(cfg, orders)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		if !ref.Total.Amount.Equal(want) || ref.Total.IsNegative() || ref.Total.Amount.GreaterThan(paid) {
			t.Fatalf("case %d: refund %s, periods' own refunds %s, paid %s", i, ref.Total, want, paid)
		}
		if s := lineSum(t, ref.Lines(), billing.USD); !s.Equal(ref.Total) {
			t.Fatalf("case %d: lines sum to %s, total %s", i, s, ref.Total)
		}
		inUse := 0
		for _, p := range ref.Parts {
			if p.Kind == billing.InUse {
				inUse++
			} else if !p.Total.Equal(p.Paid) {
				t.Fatalf("case %d: a period not started refunds %s of %s", i, p.Total, p.Paid)
			}
		}
		if inUse > 1 {
			t.Fatalf("case %d: %d periods in use at once", i, inUse)
		}
	}
}
