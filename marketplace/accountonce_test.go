package marketplace_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// accountCounter is a store that counts the Account reads of its write
// transactions.
type accountCounter struct {
	marketplace.Store
	reads atomic.Int64
}

func (s *accountCounter) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	return s.Store.Update(ctx, func(tx marketplace.Tx) error { return fn(countedTx{tx, &s.reads}) })
}

type countedTx struct {
	marketplace.Tx
	reads *atomic.Int64
}

func (t countedTx) Account(id string) (marketplace.Account, error) {
	t.reads.Add(1)
	return t.Tx.Account(id)
}

// TestPayNowReadsTheAccountOnce: placing and paying an order in one call
// reads the buyer's account from the store once, although the payment
// method and the charge both need it, and still charges the balance (or
// the credit) every time.
func TestPayNowReadsTheAccountOnce(t *testing.T) {
	st := &accountCounter{Store: memory.New()}
	e := newEnvWithStore(t, st)
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "bob", Amount: usd("100.00")}))(t)
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "dave", Amount: usd("1.00")}))(t)
	must(e.svc.SetCredit(ctx, operator, "dave", true))(t)
	for i, tc := range []struct {
		buyer          string
		balance, spent billing.Money
	}{
		{"bob", usd("95.00"), usd("0")},
		{"bob", usd("90.00"), usd("0")},
		{"dave", usd("1.00"), usd("5.00")},
		{"dave", usd("1.00"), usd("10.00")},
	} {
		before := st.reads.Load()
		in := licenseOrder(e, e.licenseMonthly, billing.Monthly)
		in.AgreeTerms, in.PayNow, in.IdempotencyKey = true, true, "k"+string(rune('a'+i))
		o := must(e.svc.CreateOrder(ctx, marketplace.BuyerActor(tc.buyer), in))(t)
		if o.PaidAt == nil {
			t.Fatalf("order %d not paid: %s", i, o.Status)
		}
		if n := st.reads.Load() - before; n != 1 {
			t.Errorf("order %d: %d account reads, want 1", i, n)
		}
		acc := must(e.svc.GetAccount(ctx, operator, tc.buyer))(t)
		if !acc.Balance.Equal(tc.balance) || !acc.CreditUsed.Equal(tc.spent) {
			t.Errorf("order %d: balance %s, credit used %s; want %s, %s", i, acc.Balance, acc.CreditUsed, tc.balance, tc.spent)
		}
	}
}
