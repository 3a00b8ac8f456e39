package billing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengallery/opengallery/billing"
	"github.com/shopspring/decimal"
)

// seedPeriods are the seed order (monthly, 100.00, 2024-01-01 10:30 to
// 2024-02-01 23:59:59) and n renewals of one month at 100.00 queued after
// it, each starting at the previous expiry, unsubscribed at unsub.
func seedPeriods(unsub time.Time, n int) []billing.RefundInput {
	in := seedRefund()
	in.At, in.Label = unsub, "term"
	out := []billing.RefundInput{in}
	for i := range n {
		prev := out[len(out)-1].Expiry
		out = append(out, billing.RefundInput{Mode: billing.Monthly, Count: 1, Paid: usd("100.00"),
			EffectiveAt: prev, Expiry: at(2024, time.Month(3+i), 1, 23, 59, 59), At: unsub, Label: "renewal " + string(rune('1'+i))})
	}
	return out
}

func TestPeriodsRefund(t *testing.T) {
	cfg := billing.DefaultConfig()
	seedAt := at(2024, 1, 15, 18, 40, 0) // 344 of 758 hours used: 44.62 alone
	type part struct {
		Label string
		Kind  billing.RefundKind
		Total string
	}
	type want struct {
		Kind        billing.RefundKind
		Paid, Total string
		Used, Order int64
		FeeRate     string
		Review      bool
		Parts       []part
	}
	tests := []struct {
		name   string
		orders []billing.RefundInput
		want   want
	}{
		{
			name:   "no renewal: the order's in-use refund, as InUseRefund",
			orders: seedPeriods(seedAt, 0),
			want:   want{Kind: billing.InUse, Paid: "100.00", Total: "44.62", Used: 344, Order: 758, FeeRate: "0.1"},
		},
		{
			name:   "renewal not started: the term in use by formula plus the renewal in full",
			orders: seedPeriods(seedAt, 1),
			want: want{Kind: billing.InUse, Paid: "200.00", Total: "144.62", Used: 344, Order: 758, FeeRate: "0.1",
				Parts: []part{{"term", billing.InUse, "44.62"}, {"renewal 1", billing.FullRefund, "100.00"}}},
		},
		{
			name:   "two renewals queued: both in full",
			orders: seedPeriods(seedAt, 2),
			want: want{Kind: billing.InUse, Paid: "300.00", Total: "244.62", Used: 344, Order: 758, FeeRate: "0.1",
				Parts: []part{{"term", billing.InUse, "44.62"}, {"renewal 1", billing.FullRefund, "100.00"}, {"renewal 2", billing.FullRefund, "100.00"}}},
		},
		{
			// The term ended 2024-02-01 23:59:59; the renewal runs from its
			// 23:00 hour to 2024-03-02 00:00 (697 h), 331 h used:
			// 100 − 100 × 331/697 (47.48923960) − 10 = 42.51.
			name:   "renewal in use: the term was used up, the renewal by formula",
			orders: seedPeriods(at(2024, 2, 15, 18, 40, 0), 1),
			want:   want{Kind: billing.InUse, Paid: "100.00", Total: "42.51", Used: 331, Order: 697, FeeRate: "0.1"},
		},
		{
			name:   "renewal in use, another queued: the queued one in full",
			orders: seedPeriods(at(2024, 2, 15, 18, 40, 0), 2),
			want: want{Kind: billing.InUse, Paid: "200.00", Total: "142.51", Used: 331, Order: 697, FeeRate: "0.1",
				Parts: []part{{"renewal 1", billing.InUse, "42.51"}, {"renewal 2", billing.FullRefund, "100.00"}}},
		},
		{
			name:   "nothing started yet: everything in full",
			orders: seedPeriods(at(2023, 12, 31, 9, 0, 0), 1),
			want: want{Kind: billing.FullRefund, Paid: "200.00", Total: "200.00", FeeRate: "0",
				Parts: []part{{"term", billing.FullRefund, "100.00"}, {"renewal 1", billing.FullRefund, "100.00"}}},
		},
		{
			name: "a sum above the threshold is reviewed though no part is",
			orders: func() []billing.RefundInput {
				o := seedPeriods(seedAt, 2)
				o[1].Paid, o[2].Paid = usd("4000.00"), usd("4000.00")
				return o
			}(),
			want: want{Kind: billing.InUse, Paid: "8100.00", Total: "8044.62", Used: 344, Order: 758, FeeRate: "0.1", Review: true,
				Parts: []part{{"term", billing.InUse, "44.62"}, {"renewal 1", billing.FullRefund, "4000.00"}, {"renewal 2", billing.FullRefund, "4000.00"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := billing.PeriodsRefund(cfg, tt.orders)
			if err != nil {
				t.Fatal(err)
			}
			got := want{Kind: r.Kind, Paid: r.Paid.AmountString(), Total: r.Total.AmountString(), Used: r.UsedHours, Order: r.OrderHours,
				FeeRate: r.FeeRate.String(), Review: r.NeedsReview}
			for _, p := range r.Parts {
				got.Parts = append(got.Parts, part{p.Label, p.Kind, p.Total.AmountString()})
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
			if s := lineSum(t, r.Lines(), r.Total.Currency); !s.Equal(r.Total) {
				t.Errorf("lines sum to %s, total %s", s, r.Total)
			}
			// Each order's refund, recomputed on its own.
			sum := decimal.Zero
			for _, in := range tt.orders {
				if one, err := billing.InUseRefund(cfg, in); err == nil {
					sum = sum.Add(one.Total.Amount)
				}
			}
			if !r.Total.Amount.Equal(sum) {
				t.Errorf("total %s, the orders' own refunds sum to %s", r.Total, sum)
			}
			for _, l := range r.Lines() {
				if (len(r.Parts) > 0) != (l.Label != "") {
					t.Errorf("line %q: labelled %v with %d parts", l, l.Label != "", len(r.Parts))
				}
			}
		})
	}
}

func TestPeriodsRefundErrors(t *testing.T) {
	cfg := billing.DefaultConfig()
	seedAt := at(2024, 1, 15, 18, 40, 0)
	tests := []struct {
		name   string
		orders []billing.RefundInput
		target error
	}{
		{"no orders", nil, billing.ErrInvalidInput},
		{"every period ended", seedPeriods(at(2024, 3, 5, 0, 0, 0), 1), billing.ErrNotRefundable},
		{"different unsubscription times", func() []billing.RefundInput {
			o := seedPeriods(seedAt, 1)
			o[1].At = o[1].At.Add(time.Hour)
			return o
		}(), billing.ErrInvalidInput},
		{"different currencies", func() []billing.RefundInput {
			o := seedPeriods(seedAt, 1)
			o[1].Paid = billing.MustMoney("100.00", billing.EUR)
			return o
		}(), billing.ErrCurrencyMismatch},
		{"a bad order", func() []billing.RefundInput {
			o := seedPeriods(seedAt, 1)
			o[1].Count = 0
			return o
		}(), billing.ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := billing.PeriodsRefund(cfg, tt.orders)
			if !errors.Is(err, tt.target) {
				t.Fatalf("got %v, want %v", err, tt.target)
			}
		})
	}
	_, err := billing.PeriodsRefund(cfg, seedPeriods(at(2024, 3, 5, 0, 0, 0), 1))
	var nr *billing.NotRefundableError
	if !errors.As(err, &nr) || nr.Reason != billing.ReasonExpired {
		t.Fatalf("every period ended: %v, want reason %s", err, billing.ReasonExpired)
	}
}
