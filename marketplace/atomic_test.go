package marketplace_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/supervision"
)

var errBoom = errors.New("injected store failure")

// flakyStore fails the n-th write (Put or AppendEvent) of its transactions.
type flakyStore struct {
	*memory.Store
	failAt, count atomic.Int64
}

func (f *flakyStore) Update(ctx2 context.Context, fn func(tx marketplace.Tx) error) error {
	return f.Store.Update(ctx2, func(tx marketplace.Tx) error { return fn(&flakyTx{Tx: tx, f: f}) })
}

type flakyTx struct {
	marketplace.Tx
	f *flakyStore
}

func (t *flakyTx) fail() error {
	if n := t.f.failAt.Load(); n > 0 && t.f.count.Add(1) == n {
		return errBoom
	}
	return nil
}

func (t *flakyTx) PutSeller(v *marketplace.Seller) error {
	return or(t.fail(), func() error { return t.Tx.PutSeller(v) })
}
func (t *flakyTx) PutProduct(v *marketplace.Product) error {
	return or(t.fail(), func() error { return t.Tx.PutProduct(v) })
}
func (t *flakyTx) PutOrder(v *marketplace.Order) error {
	return or(t.fail(), func() error { return t.Tx.PutOrder(v) })
}
func (t *flakyTx) PutPayment(v *marketplace.Payment) error {
	return or(t.fail(), func() error { return t.Tx.PutPayment(v) })
}
func (t *flakyTx) PutAccount(v *marketplace.Account) error {
	return or(t.fail(), func() error { return t.Tx.PutAccount(v) })
}
func (t *flakyTx) PutResource(v *marketplace.Resource) error {
	return or(t.fail(), func() error { return t.Tx.PutResource(v) })
}
func (t *flakyTx) PutFlow(v *marketplace.Flow) error {
	return or(t.fail(), func() error { return t.Tx.PutFlow(v) })
}
func (t *flakyTx) PutInvoice(v *marketplace.Invoice) error {
	return or(t.fail(), func() error { return t.Tx.PutInvoice(v) })
}
func (t *flakyTx) PutUnsubscribeRequest(v *marketplace.UnsubscribeRequest) error {
	return or(t.fail(), func() error { return t.Tx.PutUnsubscribeRequest(v) })
}
func (t *flakyTx) PutIdempotency(v marketplace.IdempotencyRecord) error {
	return or(t.fail(), func() error { return t.Tx.PutIdempotency(v) })
}
func (t *flakyTx) AppendEvent(e *marketplace.Event) error {
	return or(t.fail(), func() error { return t.Tx.AppendEvent(e) })
}

func or(err error, f func() error) error {
	if err != nil {
		return err
	}
	return f()
}

// TestFailuresLeaveNothingHalfWritten: a store failure at any write of a
// use case leaves no event (and so no change) behind, and the use case
// succeeds once the store works; a payment interrupted after the charge is
// completed by retrying it, charging once.
func TestFailuresLeaveNothingHalfWritten(t *testing.T) {
	fs := &flakyStore{Store: memory.New()}
	e := newEnvOn(t, fs)
	lic := e.license
	steps := []struct {
		name string
		run  func() error
	}{
		{"create order", func() error {
			in := licenseOrder(e, lic, billing.Yearly)
			in.AgreeTerms, in.IdempotencyKey = true, "atomic"
			_, err := e.svc.CreateOrder(ctx, buyer, in)
			return err
		}},
		{"pay", func() error {
			pg := must(e.svc.ListOrders(ctx, buyer, marketplace.ListOrdersInput{}))(t)
			_, err := e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: pg.Items[0].ID})
			return err
		}},
		{"deliver", func() error {
			pg := must(e.svc.ListOrders(ctx, buyer, marketplace.ListOrdersInput{}))(t)
			_, err := e.svc.Act(ctx, seller, marketplace.FlowActionInput{FlowID: pg.Items[0].FlowID, Action: supervision.Deliver, Result: "k"})
			return err
		}},
		{"accept", func() error {
			pg := must(e.svc.ListOrders(ctx, buyer, marketplace.ListOrdersInput{}))(t)
			_, err := e.svc.Act(ctx, buyer, marketplace.FlowActionInput{FlowID: pg.Items[0].FlowID, Action: supervision.Accept})
			return err
		}},
		{"invoice", func() error {
			pg := must(e.svc.ListOrders(ctx, buyer, marketplace.ListOrdersInput{}))(t)
			_, err := e.svc.RequestInvoice(ctx, buyer, marketplace.InvoiceInput{OrderID: pg.Items[0].ID, Title: "A"})
			return err
		}},
		{"renew", func() error {
			pg := must(e.svc.ListOrders(ctx, buyer, marketplace.ListOrdersInput{}))(t)
			_, err := e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: pg.Items[0].ResourceID, Duration: 1, IdempotencyKey: "r"})
			return err
		}},
		{"place and pay now", func() error {
			in := licenseOrder(e, lic, billing.Yearly)
			in.AgreeTerms, in.IdempotencyKey, in.PayNow = true, "atomic-now", true
			_, err := e.svc.CreateOrder(ctx, buyer, in)
			return err
		}},
	}
	for _, st := range steps {
		for k := int64(1); ; k++ {
			before := len(e.events())
			fs.count.Store(0)
			fs.failAt.Store(k)
			err := st.run()
			fs.failAt.Store(0)
			if err == nil {
				break
			}
			if !errors.Is(err, errBoom) {
				t.Fatalf("%s, failure at write %d: %v", st.name, k, err)
			}
			if len(e.events()) != before { // the charge too: it commits with the payment
				t.Fatalf("%s, failure at write %d left %d events", st.name, k, len(e.events())-before)
			}
			if k > 50 {
				t.Fatalf("%s never succeeds", st.name)
			}
		}
	}
	// However often payment was interrupted, the buyer paid once per order.
	if got := e.balance("alice"); !got.Equal(usd("8200.00")) {
		t.Fatalf("balance %s after interrupted payments", got)
	}
}

func newEnvOn(t *testing.T, st marketplace.Store) *env {
	t.Helper()
	return newEnvWithStore(t, st)
}
