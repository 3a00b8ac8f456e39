package billing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengallery/opengallery/billing"
	"github.com/shopspring/decimal"
)

// seedRefund is the reference example: monthly, bought 2024-01-01 10:30,
// expires 2024-02-01 23:59:59, unsubscribed 2024-01-15 18:40.
func seedRefund() billing.RefundInput {
	return billing.RefundInput{Mode: billing.Monthly, Count: 1, Paid: usd("100.00"),
		EffectiveAt: at(2024, 1, 1, 10, 30, 0), Expiry: at(2024, 2, 1, 23, 59, 59), At: at(2024, 1, 15, 18, 40, 0)}
}

func TestInUseRefund(t *testing.T) {
	cfg := billing.DefaultConfig()
	mod := func(f func(*billing.RefundInput)) billing.RefundInput { in := seedRefund(); f(&in); return in }
	threeYears := func(unsub time.Time) billing.RefundInput {
		return billing.RefundInput{Mode: billing.Yearly, Count: 3, Paid: usd("3000.00"),
			EffectiveAt: at(2024, 1, 1, 10, 30, 0), Expiry: at(2027, 1, 1, 23, 59, 59), At: unsub}
	}
	tests := []struct {
		name        string
		in          billing.RefundInput
		kind        billing.RefundKind
		used, order int64
		fee         string
		total       string
		review      bool
	}{
		{
			name: "seed: order 31 d 14 h, used 14 d 8 h, 10% fee",
			in:   seedRefund(), kind: billing.InUse,
			used: 14*24 + 8, order: 31*24 + 14, fee: "0.10",
			total: "44.62", // 100 − 100 × 344/758 (45.38258575) − 10
		},
		{
			name: "fee waived by a framework contract",
			in:   mod(func(in *billing.RefundInput) { in.FeeWaived = true }), kind: billing.InUse,
			used: 344, order: 758, fee: "0", total: "54.62",
		},
		{
			name: "unsubscribed within the first hour uses nothing",
			in:   mod(func(in *billing.RefundInput) { in.At = at(2024, 1, 1, 10, 59, 0) }), kind: billing.InUse,
			used: 0, order: 758, fee: "0.10", total: "90.00",
		},
		{
			name: "a negative result is no refund",
			in:   mod(func(in *billing.RefundInput) { in.At = at(2024, 2, 1, 20, 0, 0) }), kind: billing.InUse,
			used: 758 - 4, order: 758, fee: "0.10", total: "0.00",
		},
		{
			name: "not yet effective: full refund",
			in:   mod(func(in *billing.RefundInput) { in.At = at(2023, 12, 31, 9, 0, 0) }), kind: billing.FullRefund,
			fee: "0", total: "100.00",
		},
		{
			name: "3-year term, used 1–2 years: 10%",
			in:   threeYears(at(2025, 6, 1, 10, 0, 0)), kind: billing.InUse,
			used: 517 * 24, order: 1096*24 + 14, fee: "0.10", total: "1285.61",
		},
		{
			name: "3-year term, used under a year: 15%",
			in:   threeYears(at(2024, 6, 1, 10, 0, 0)), kind: billing.InUse,
			used: 152 * 24, order: 1096*24 + 14, fee: "0.15",
			total: "2134.16", // 3000 − 3000 × 3648/26318 (415.83706969) − 450
		},
		{
			name: "3-year term, used over two years: 5%",
			in:   threeYears(at(2026, 3, 1, 10, 0, 0)), kind: billing.InUse,
			used: 790 * 24, order: 1096*24 + 14, fee: "0.05",
		},
		{
			name: "3-year term, used exactly 1 year: still the first year's 15%",
			in:   threeYears(at(2025, 1, 1, 10, 30, 0)), kind: billing.InUse,
			used: 366 * 24, order: 1096*24 + 14, fee: "0.15",
		},
		{
			name: "3-year term, used 1 year + 1 s: 10%",
			in:   threeYears(at(2025, 1, 1, 10, 30, 1)), kind: billing.InUse,
			used: 366 * 24, order: 1096*24 + 14, fee: "0.10",
		},
		{
			name: "3-year term, used exactly 2 years: 10%",
			in:   threeYears(at(2026, 1, 1, 10, 30, 0)), kind: billing.InUse,
			used: 731 * 24, order: 1096*24 + 14, fee: "0.10",
		},
		{
			name: "3-year term, used 2 years + 1 s: 5%",
			in:   threeYears(at(2026, 1, 1, 10, 30, 1)), kind: billing.InUse,
			used: 731 * 24, order: 1096*24 + 14, fee: "0.05",
		},
		{
			name: "2-year term, used under a year: 15%",
			in: billing.RefundInput{Mode: billing.Yearly, Count: 2, Paid: usd("2000.00"),
				EffectiveAt: at(2024, 1, 1, 10, 30, 0), Expiry: at(2026, 1, 1, 23, 59, 59), At: at(2024, 7, 1, 10, 0, 0)},
			kind: billing.InUse, used: 182 * 24, order: 731*24 + 14, fee: "0.15",
		},
		{
			name: "2-year term, used 1–2 years: 10%",
			in: billing.RefundInput{Mode: billing.Yearly, Count: 2, Paid: usd("2000.00"),
				EffectiveAt: at(2024, 1, 1, 10, 30, 0), Expiry: at(2026, 1, 1, 23, 59, 59), At: at(2025, 7, 1, 10, 0, 0)},
			kind: billing.InUse, used: 547 * 24, order: 731*24 + 14, fee: "0.10",
		},
		{
			name: "1-year term: 10% whatever the use",
			in: billing.RefundInput{Mode: billing.Yearly, Count: 1, Paid: usd("900.00"),
				EffectiveAt: at(2024, 1, 1, 10, 30, 0), Expiry: at(2025, 1, 1, 23, 59, 59), At: at(2024, 12, 1, 10, 0, 0)},
			kind: billing.InUse, used: 335 * 24, order: 366*24 + 14, fee: "0.10",
		},
		{
			name: "large refund needs review",
			in: billing.RefundInput{Mode: billing.Yearly, Count: 1, Paid: usd("9000.00"),
				EffectiveAt: at(2024, 1, 1, 10, 0, 0), Expiry: at(2025, 1, 1, 23, 59, 59), At: at(2024, 1, 2, 10, 0, 0)},
			kind: billing.InUse, used: 24, order: 366*24 + 14, fee: "0.10", review: true, // 2024 is a leap year
		},
		{
			name: "refund in another currency is reviewed",
			in: billing.RefundInput{Mode: billing.Monthly, Count: 1, Paid: billing.MustMoney("10.00", billing.EUR),
				EffectiveAt: at(2024, 1, 1, 10, 0, 0), Expiry: at(2024, 2, 1, 23, 59, 59), At: at(2024, 1, 2, 10, 0, 0)},
			kind: billing.InUse, used: 24, order: 758, fee: "0.10", review: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := billing.InUseRefund(cfg, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			type got struct {
				Kind        billing.RefundKind
				Used, Order int64
				Fee         decimal.Decimal
				Review      bool
			}
			if d := cmp.Diff(got{tt.kind, tt.used, tt.order, dec(tt.fee), tt.review}, got{r.Kind, r.UsedHours, r.OrderHours, r.FeeRate, r.NeedsReview}, decimalComparer); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if tt.total != "" && !r.Total.Equal(billing.MustMoney(tt.total, r.Total.Currency)) {
				t.Errorf("total = %s, want %s", r.Total, tt.total)
			}
			// The formula, recomputed independently.
			if r.Kind == billing.InUse {
				paid := tt.in.Paid.Amount
				consumed := paid.Mul(decimal.NewFromInt(tt.used)).DivRound(decimal.NewFromInt(tt.order), 8)
				want := decimal.Max(paid.Sub(consumed).Sub(paid.Mul(dec(tt.fee))), decimal.Zero).Round(2)
				if !r.Total.Amount.Equal(want) {
					t.Errorf("total = %s, formula gives %s", r.Total, want)
				}
			}
			if s := lineSum(t, r.Lines(), r.Total.Currency); !s.Equal(r.Total) {
				t.Errorf("lines sum to %s, total %s", s, r.Total)
			}
			if r.Total.IsNegative() || r.Total.Amount.GreaterThan(tt.in.Paid.Amount) {
				t.Errorf("total %s outside [0, %s]", r.Total, tt.in.Paid)
			}
		})
	}
}

func TestRefundReviewThreshold(t *testing.T) {
	cfg := billing.DefaultConfig()
	tests := []struct {
		paid   string
		review bool
	}{
		{"7000.00", false}, {"7000", false}, {"7000.01", true}, {"70000", true}, {"999.99", false}, {"0.50", false},
	}
	for _, tt := range tests {
		// Not yet effective: the whole amount comes back.
		r, err := billing.InUseRefund(cfg, billing.RefundInput{Mode: billing.Yearly, Count: 1, Paid: usd(tt.paid),
			EffectiveAt: at(2024, 2, 1, 0, 0, 0), Expiry: at(2025, 2, 1, 23, 59, 59), At: at(2024, 1, 1, 0, 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if r.Kind != billing.FullRefund || r.NeedsReview != tt.review {
			t.Errorf("%s: kind %s review %v, want review %v", tt.paid, r.Kind, r.NeedsReview, tt.review)
		}
	}
}

func TestInUseRefundSeedLines(t *testing.T) {
	r, err := billing.InUseRefund(billing.DefaultConfig(), seedRefund())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range r.Lines() {
		got = append(got, l.String())
	}
	want := []string{
		"paid $100.00 USD = $100.00 USD",
		"consumed $100.00 USD × 344 h / 758 h = -$45.38258575 USD",
		"handling fee 10% of $100.00 USD = -$10.00 USD",
		"rounded half-up to 2 decimal places = $0.00258575 USD",
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestInUseRefundBadInput(t *testing.T) {
	cfg := billing.DefaultConfig()
	mod := func(f func(*billing.RefundInput)) billing.RefundInput { in := seedRefund(); f(&in); return in }
	tests := []struct {
		name string
		in   billing.RefundInput
		want error
	}{
		{"pay-per-use", mod(func(in *billing.RefundInput) { in.Mode = billing.PayPerUse }), billing.ErrInvalidInput},
		{"zero count", mod(func(in *billing.RefundInput) { in.Count = 0 }), billing.ErrInvalidInput},
		{"negative paid", mod(func(in *billing.RefundInput) { in.Paid = usd("-1") }), billing.ErrInvalidInput},
		{"paid below the cent", mod(func(in *billing.RefundInput) { in.Paid = usd("1.005") }), billing.ErrInvalidInput},
		{"unknown currency", mod(func(in *billing.RefundInput) { in.Paid = billing.Money{Amount: dec("1"), Currency: "XXX"} }), billing.ErrUnknownCurrency},
		{"expiry before effect", mod(func(in *billing.RefundInput) { in.Expiry = in.EffectiveAt }), billing.ErrInvalidInput},
		{"no time", mod(func(in *billing.RefundInput) { in.At = time.Time{} }), billing.ErrInvalidInput},
		{"after expiry", mod(func(in *billing.RefundInput) { in.At = in.Expiry.Add(time.Second) }), billing.ErrNotRefundable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := billing.InUseRefund(cfg, tt.in); !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestNegotiatedRefund(t *testing.T) {
	cfg := billing.DefaultConfig()
	tests := []struct {
		name         string
		paid, amount billing.Money
		want         error
	}{
		{"part of the payment", usd("100.00"), usd("40.00"), nil},
		{"all of it", usd("100.00"), usd("100.00"), nil},
		{"zero", usd("100.00"), usd("0"), billing.ErrInvalidInput},
		{"negative", usd("100.00"), usd("-1"), billing.ErrInvalidInput},
		{"more than paid", usd("100.00"), usd("100.01"), billing.ErrInvalidInput},
		{"below the cent", usd("100.00"), usd("1.001"), billing.ErrInvalidInput},
		{"other currency", usd("100.00"), billing.MustMoney("1", billing.EUR), billing.ErrCurrencyMismatch},
		{"bad paid", usd("-5"), usd("1"), billing.ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := billing.NegotiatedRefund(cfg, tt.paid, tt.amount)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil {
				return
			}
			if r.Kind != billing.Negotiated || !r.Total.Equal(tt.amount) {
				t.Errorf("refund = %+v", r)
			}
			if s := lineSum(t, r.Lines(), billing.USD); !s.Equal(r.Total) {
				t.Errorf("lines sum to %s", s)
			}
		})
	}
}

func TestUnsubscribeEligibility(t *testing.T) {
	cfg := billing.DefaultConfig()
	now := at(2024, 3, 10, 12, 0, 0)
	image := billing.UnsubscribeInput{Delivery: billing.Image, Mode: billing.Monthly, Paid: usd("100"),
		Expiry: at(2024, 4, 1, 23, 59, 59), Now: now}
	mod := func(f func(*billing.UnsubscribeInput)) billing.UnsubscribeInput { in := image; f(&in); return in }
	negotiated := func(d billing.Delivery) billing.UnsubscribeInput {
		return mod(func(in *billing.UnsubscribeInput) { in.Delivery = d; in.Supervised = true })
	}
	tests := []struct {
		name   string
		in     billing.UnsubscribeInput
		want   billing.RefundKind
		reason billing.Reason
	}{
		{"image monthly in use", image, billing.InUse, ""},
		{"image yearly in use", mod(func(in *billing.UnsubscribeInput) { in.Mode = billing.Yearly }), billing.InUse, ""},
		{"image not yet effective", mod(func(in *billing.UnsubscribeInput) { in.EffectiveAt = now.Add(time.Hour) }), billing.FullRefund, ""},
		{"image pay-per-use never", mod(func(in *billing.UnsubscribeInput) { in.Mode = billing.PayPerUse }), "", billing.ReasonPayPerUse},
		{"one-time never", mod(func(in *billing.UnsubscribeInput) { in.Mode = billing.OneTime }), "", billing.ReasonOneTime},
		{"trial never", mod(func(in *billing.UnsubscribeInput) { in.Trial = true }), "", billing.ReasonTrial},
		{"free never", mod(func(in *billing.UnsubscribeInput) { in.Paid = usd("0") }), "", billing.ReasonFree},
		{"issued invoice blocks", mod(func(in *billing.UnsubscribeInput) { in.Invoice = billing.InvoiceIssued }), "", billing.ReasonInvoiced},
		{"returned invoice does not", mod(func(in *billing.UnsubscribeInput) { in.Invoice = billing.InvoiceReturned }), billing.InUse, ""},
		{"requested invoice does not", mod(func(in *billing.UnsubscribeInput) { in.Invoice = billing.InvoiceRequested }), billing.InUse, ""},
		{"another transaction in progress", mod(func(in *billing.UnsubscribeInput) { in.InProgress = true }), "", billing.ReasonInProgress},
		{"frozen", mod(func(in *billing.UnsubscribeInput) { in.Frozen = true }), "", billing.ReasonFrozen},
		{"expired, in grace", mod(func(in *billing.UnsubscribeInput) { in.Expiry = at(2024, 3, 1, 23, 59, 59) }), "", billing.ReasonExpired},
		{"released", mod(func(in *billing.UnsubscribeInput) { in.Expiry = at(2024, 1, 1, 23, 59, 59) }), "", billing.ReasonReleased},
		{"already unsubscribed", mod(func(in *billing.UnsubscribeInput) { in.Unsubscribed = true }), "", billing.ReasonUnsubscribed},
		{"SaaS without supervision never", mod(func(in *billing.UnsubscribeInput) { in.Delivery = billing.SaaS }), "", billing.ReasonNoSupervision},
		{"SaaS with supervision: negotiated", negotiated(billing.SaaS), billing.Negotiated, ""},
		{"license: negotiated", negotiated(billing.License), billing.Negotiated, ""},
		{"professional service: negotiated", negotiated(billing.ProfessionalService), billing.Negotiated, ""},
		{"hardware: negotiated", negotiated(billing.Hardware), billing.Negotiated, ""},
		{"license after acceptance never", func() billing.UnsubscribeInput {
			in := negotiated(billing.License)
			in.Accepted = true
			return in
		}(), "", billing.ReasonAccepted},
		{"license with an issued invoice", func() billing.UnsubscribeInput {
			in := negotiated(billing.License)
			in.Invoice = billing.InvoiceIssued
			return in
		}(), "", billing.ReasonInvoiced},
		{"content service never", mod(func(in *billing.UnsubscribeInput) { in.Delivery = billing.ContentService }), "", billing.ReasonDeliveryMethod},
		{"consulting never", mod(func(in *billing.UnsubscribeInput) { in.Delivery = billing.Consulting }), "", billing.ReasonDeliveryMethod},
		{"cloud host never", mod(func(in *billing.UnsubscribeInput) { in.Delivery = billing.CloudHost }), "", billing.ReasonDeliveryMethod},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := billing.UnsubscribeEligibility(cfg, tt.in)
			if tt.reason == "" {
				if err != nil || got != tt.want {
					t.Fatalf("= %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			var nr *billing.NotRefundableError
			if !errors.As(err, &nr) || nr.Reason != tt.reason || !errors.Is(err, billing.ErrNotRefundable) {
				t.Fatalf("err = %v, want NotRefundableError %q", err, tt.reason)
			}
			if got != "" || nr.Error() == "" {
				t.Errorf("kind = %q", got)
			}
		})
	}
	for name, in := range map[string]billing.UnsubscribeInput{
		"no now":           mod(func(in *billing.UnsubscribeInput) { in.Now = time.Time{} }),
		"unknown delivery": mod(func(in *billing.UnsubscribeInput) { in.Delivery = "drone" }),
		"no expiry":        mod(func(in *billing.UnsubscribeInput) { in.Expiry = time.Time{} }),
		"unknown mode":     mod(func(in *billing.UnsubscribeInput) { in.Mode = "weekly" }),
		"negative paid":    mod(func(in *billing.UnsubscribeInput) { in.Paid = usd("-1") }),
	} {
		if _, err := billing.UnsubscribeEligibility(cfg, in); !errors.Is(err, billing.ErrInvalidInput) {
			t.Errorf("%s: err = %v, want ErrInvalidInput", name, err)
		}
	}
	bad := mod(func(in *billing.UnsubscribeInput) { in.Paid = billing.Money{Amount: dec("5"), Currency: "QQQ"} })
	if _, err := billing.UnsubscribeEligibility(cfg, bad); !errors.Is(err, billing.ErrUnknownCurrency) {
		t.Errorf("unknown currency: err = %v", err)
	}
	// A free order may leave Paid unset: it is refused as free, not invalid.
	free := mod(func(in *billing.UnsubscribeInput) { in.Paid = billing.Money{} })
	var nr *billing.NotRefundableError
	if _, err := billing.UnsubscribeEligibility(cfg, free); !errors.As(err, &nr) || nr.Reason != billing.ReasonFree {
		t.Errorf("unset Paid: err = %v, want ReasonFree", err)
	}
}

func BenchmarkRefund(b *testing.B) {
	cfg, in := billing.DefaultConfig(), seedRefund()
	b.ReportAllocs()
	for b.Loop() {
		r, err := billing.InUseRefund(cfg, in)
		if err != nil || r.Total.IsZero() {
			b.Fatal(err)
		}
	}
}

// refundBaseline is the bare decimal arithmetic of the benchmark refund:
// paid × used / order at 8 places, the fee, the difference floored at zero,
// rounded half-up to cents. It reports whether the result is usable.
func refundBaseline(paid, rate decimal.Decimal) bool {
	consumed := paid.Mul(decimal.NewFromInt(344)).DivRound(decimal.NewFromInt(758), 8)
	fee := paid.Mul(rate)
	total := paid.Sub(consumed).Sub(fee)
	if total.IsNegative() {
		total = decimal.Zero
	}
	return !total.Round(2).IsZero()
}

// BenchmarkRefundBaseline is the bare decimal arithmetic of the same
// refund.
func BenchmarkRefundBaseline(b *testing.B) {
	paid, rate := dec("100.00"), dec("0.10")
	b.ReportAllocs()
	for b.Loop() {
		if !refundBaseline(paid, rate) {
			b.Fatal("zero")
		}
	}
}

// BenchmarkRefundVsBaseline alternates chunks of InUseRefund and of its
// baseline so that both see the same load, and reports the ratio (target
// ≤ 1.3).
func BenchmarkRefundVsBaseline(b *testing.B) {
	cfg, in := billing.DefaultConfig(), seedRefund()
	paid, rate := dec("100.00"), dec("0.10")
	vsBaseline(b, func() bool { return refundBaseline(paid, rate) }, func() bool {
		r, err := billing.InUseRefund(cfg, in)
		return err == nil && !r.Total.IsZero()
	})
}

func BenchmarkRefundWithLines(b *testing.B) {
	cfg, in := billing.DefaultConfig(), seedRefund()
	b.ReportAllocs()
	for b.Loop() {
		r, err := billing.InUseRefund(cfg, in)
		if err != nil || len(r.Lines()) != 4 {
			b.Fatal(err)
		}
	}
}

func TestInUseRefundShorterThanAnHour(t *testing.T) {
	in := seedRefund()
	in.EffectiveAt, in.Expiry, in.At = at(2024, 1, 1, 10, 10, 0), at(2024, 1, 1, 10, 40, 0), at(2024, 1, 1, 10, 20, 0)
	if _, err := billing.InUseRefund(billing.DefaultConfig(), in); !errors.Is(err, billing.ErrInvalidInput) {
		t.Errorf("err = %v, want ErrInvalidInput", err)
	}
}

// FuzzInUseRefund feeds arbitrary times and amounts: the rule returns a
// typed error or a refund in [0, paid] whose lines sum to it, never panics.
func FuzzInUseRefund(f *testing.F) {
	f.Add(int64(1704076200), int64(2764799), int64(1224000), int64(10000), uint8(0), uint8(1))
	f.Add(int64(0), int64(3600), int64(-5), int64(1), uint8(1), uint8(3))
	f.Add(int64(1704076200), int64(1800), int64(600), int64(99), uint8(1), uint8(2))
	cfg := billing.DefaultConfig()
	f.Fuzz(func(t *testing.T, start, length, unsub, cents int64, mode, count uint8) {
		in := billing.RefundInput{Mode: billing.Monthly, Count: int(count % 10), Paid: billing.Money{Amount: decimal.New(cents, -2), Currency: billing.USD},
			EffectiveAt: time.Unix(start%(1<<40), 0), Expiry: time.Unix(start%(1<<40), 0).Add(time.Duration(length%(1<<40)) * time.Second),
			At: time.Unix(start%(1<<40), 0).Add(time.Duration(unsub%(1<<40)) * time.Second)}
		if mode%2 == 1 {
			in.Mode = billing.Yearly
		}
		r, err := billing.InUseRefund(cfg, in)
		if err != nil {
			if !errors.Is(err, billing.ErrInvalidInput) && !errors.Is(err, billing.ErrNotRefundable) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if r.Total.IsNegative() || r.Total.Amount.GreaterThan(in.Paid.Amount) {
			t.Fatalf("refund %s outside [0, %s]", r.Total, in.Paid)
		}
		if s := lineSum(t, r.Lines(), billing.USD); !s.Equal(r.Total) {
			t.Fatalf("lines sum to %s, total %s", s, r.Total)
		}
	})
}
