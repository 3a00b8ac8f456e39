package marketplace_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// creditState is what a credit account's settlement is checked against:
// the counter and the unsettled credit payments it must equal.
type creditState struct {
	CreditUsed billing.Money
	Unsettled  billing.Money
	Count      int
}

// readCredit reads the account's credit used and sums its unsettled credit
// payments (refunds negative), every page.
func readCredit(t *testing.T, st marketplace.Store, id string) creditState {
	t.Helper()
	var acc marketplace.Account
	if err := st.View(ctx, func(tx marketplace.ReadTx) error {
		var err error
		acc, err = tx.Account(id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	out := creditState{CreditUsed: acc.CreditUsed, Unsettled: billing.Zero(acc.Balance.Currency)}
	for cur := ""; ; {
		pg := must(st.ListPayments(ctx, marketplace.PaymentQuery{BuyerID: id, Method: marketplace.PayCredit, Unsettled: true, Cursor: cur, Limit: marketplace.MaxPageSize}))(t)
		for _, p := range pg.Items {
			amt := p.Amount
			if p.Kind == marketplace.PaymentRefund {
				amt = amt.Neg()
			}
			out.Unsettled = must(out.Unsettled.Add(amt))(t)
			out.Count++
		}
		if pg.Next == "" {
			return out
		}
		cur = pg.Next
	}
}

// TestSettleCreditEveryPage: an account with more unsettled credit payments
// than one page holds has all of them settled, and the credit used loses
// exactly the amount settled (the old code settled the first 1000 and
// zeroed the counter).
func TestSettleCreditEveryPage(t *testing.T) {
	cases := []struct {
		name    string
		charges int
		refunds int
		settled int // credit payments settled before, left alone
	}{
		{"one page", 3, 1, 2},
		{"exactly one full page", marketplace.MaxPageSize, 0, 0},
		{"one more than a page", marketplace.MaxPageSize + 1, 0, 0},
		{"several pages with refunds", 2*marketplace.MaxPageSize + 345, 120, 5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "dave", Amount: usd("1.00")}))(t)
			must(e.svc.SetCredit(ctx, operator, "dave", true))(t)
			// The payments are written straight to the store (as the
			// service records them: each adds to, or for a refund takes
			// from, the credit used) so that thousands cost milliseconds.
			want := billing.Zero(billing.USD)
			err := e.store.Update(ctx, func(tx marketplace.Tx) error {
				a, err := tx.Account("dave")
				if err != nil {
					return err
				}
				used := a.CreditUsed
				at := start
				add := func(i int, kind marketplace.PaymentKind, amount string, settled bool) error {
					at = at.Add(time.Second)
					p := marketplace.Payment{ID: fmt.Sprintf("pay-%s-%05d", kind, i), Kind: kind, Method: marketplace.PayCredit,
						OrderID: fmt.Sprintf("o-%05d", i), BuyerID: "dave", Amount: usd(amount), IdempotencyKey: fmt.Sprintf("k-%s-%d", kind, i), CreatedAt: at}
					if settled {
						p.SettledAt = &at
					} else {
						amt := p.Amount
						if kind == marketplace.PaymentRefund {
							amt = amt.Neg()
						}
						if used, err = used.Add(amt); err != nil {
							return err
						}
						if want, err = want.Add(amt); err != nil {
							return err
						}
					}
					return tx.PutPayment(&p)
				}
				for i := range tc.settled {
					if err := add(i, marketplace.PaymentCharge, "7.00", true); err != nil {
						return err
					}
				}
				for i := range tc.charges {
					if err := add(tc.settled+i, marketplace.PaymentCharge, fmt.Sprintf("%d.%02d", 1+i%50, i%100), false); err != nil {
						return err
					}
				}
				for i := range tc.refunds {
					if err := add(i, marketplace.PaymentRefund, "0.25", false); err != nil {
						return err
					}
				}
				a.CreditUsed = used
				return tx.PutAccount(&a)
			})
			if err != nil {
				t.Fatal(err)
			}
			before := readCredit(t, e.store, "dave")
			if !before.CreditUsed.Equal(want) || before.Count != tc.charges+tc.refunds {
				t.Fatalf("setup: %+v, want credit used %s", before, want)
			}

			total := must(e.svc.SettleCredit(ctx, operator, "dave"))(t)
			if !total.Equal(want) {
				t.Errorf("settled %s, want %s", total, want)
			}
			got := readCredit(t, e.store, "dave")
			zero := billing.Zero(billing.USD)
			if diff := cmp.Diff(creditState{CreditUsed: zero, Unsettled: zero}, got, decimalEq); diff != "" {
				t.Errorf("after settling (-want +got):\n%s", diff)
			}
			if again := must(e.svc.SettleCredit(ctx, operator, "dave"))(t); !again.IsZero() {
				t.Errorf("settled twice: %s", again)
			}
		})
	}
}

// TestSettleCreditPaymentInBetween: a credit payment made after
// SettleCredit listed the unsettled payments and before its transaction
// stays unsettled and stays in the credit used (the old code zeroed the
// counter, leaving that payment unsettled and uncounted).
func TestSettleCreditPaymentInBetween(t *testing.T) {
	hs := &hookStore{Store: memory.New()}
	e := newEnvWithStore(t, hs)
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "dave", Amount: usd("1.00")}))(t)
	must(e.svc.SetCredit(ctx, operator, "dave", true))(t)
	dave := marketplace.BuyerActor("dave")
	e.buy(dave, licenseOrder(e, e.license, billing.Yearly), nil)
	hs.interleave("ListPayments", func() {
		e.buy(dave, licenseOrder(e, e.licenseMonthly, billing.Monthly), nil)
	})
	total := must(e.svc.SettleCredit(ctx, operator, "dave"))(t)
	if !total.Equal(usd("900.00")) {
		t.Errorf("settled %s, want 900.00", total)
	}
	got := readCredit(t, e.store, "dave")
	want := creditState{CreditUsed: usd("5.00"), Unsettled: usd("5.00"), Count: 1}
	if diff := cmp.Diff(want, got, decimalEq); diff != "" {
		t.Errorf("after settling (-want +got):\n%s", diff)
	}
	if total := must(e.svc.SettleCredit(ctx, operator, "dave"))(t); !total.Equal(usd("5.00")) {
		t.Errorf("second settlement %s, want 5.00", total)
	}
	zero := billing.Zero(billing.USD)
	if diff := cmp.Diff(creditState{CreditUsed: zero, Unsettled: zero}, readCredit(t, e.store, "dave"), decimalEq); diff != "" {
		t.Errorf("after the second settlement (-want +got):\n%s", diff)
	}
}
