package billing_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengallery/opengallery/billing"
	"github.com/shopspring/decimal"
)

// decimalComparer compares decimals numerically: 5.0 equals 5.00.
var decimalComparer = cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })

// gmt8 is the default platform zone of the rules.
var gmt8 = billing.PlatformZone

// at returns a platform wall-clock time.
func at(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, gmt8)
}

func usd(s string) billing.Money { return billing.MustMoney(s, billing.USD) }

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// plan returns a linear plan of mode at price USD.
func plan(mode billing.Mode, price string) billing.PricePlan {
	return billing.PricePlan{Mode: mode, UnitPrice: usd(price)}
}

func pricing(plans ...billing.PricePlan) billing.Pricing { return billing.Pricing{Plans: plans} }

// lineSum adds the amounts of lines.
func lineSum(t testing.TB, lines []billing.LineItem, cur billing.Currency) billing.Money {
	t.Helper()
	ms := make([]billing.Money, len(lines))
	for i, l := range lines {
		ms[i] = l.Amount
	}
	s, err := billing.Sum(cur, ms...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func intp(n int) *int { return &n }

// vsBaseline runs chunks of base and of impl in turn, so that both see the
// same machine load (the shared machine is noisy), and reports each one's
// cost and their ratio. One op is one chunk of each; either returning false
// fails the benchmark.
func vsBaseline(b *testing.B, base, impl func() bool) {
	const chunk = 64
	var tb, ti time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		for range chunk {
			if !base() {
				b.Fatal("baseline failed")
			}
		}
		mid := time.Now()
		for range chunk {
			if !impl() {
				b.Fatal("implementation failed")
			}
		}
		ti += time.Since(mid)
		tb += mid.Sub(start)
	}
	n := float64(b.N * chunk)
	b.ReportMetric(float64(tb.Nanoseconds())/n, "baseline-ns/op")
	b.ReportMetric(float64(ti.Nanoseconds())/n, "impl-ns/op")
	b.ReportMetric(float64(ti)/float64(tb), "ratio")
}
