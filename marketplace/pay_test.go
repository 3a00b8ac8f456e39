package marketplace_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// gateway is a host's payment system outside the store (no TxCharger),
// idempotent on its keys as PaymentPort requires: a key charged once
// returns its first receipt and moves no more money.
type gateway struct {
	mu      sync.Mutex
	charges map[string]billing.Money // by idempotency key
	refunds map[string]billing.Money
	calls   int // Charge calls, repeats included
	// decline declines every charge; timeout makes the next charge take
	// the money and then fail as a lost answer would; down fails the next
	// one before it takes anything.
	decline, timeout, down bool
	// during runs once, inside the next charge, after the money is taken:
	// what happens elsewhere while the gateway answers.
	during func()
}

func newGateway() *gateway {
	return &gateway{charges: map[string]billing.Money{}, refunds: map[string]billing.Money{}}
}

func (g *gateway) Charge(_ context.Context, req marketplace.ChargeRequest) (marketplace.Receipt, error) {
	g.mu.Lock()
	g.calls++
	if g.decline {
		g.mu.Unlock()
		return marketplace.Receipt{}, &marketplace.PaymentError{Account: req.AccountID, Amount: req.Amount.String(), Reason: "card declined"}
	}
	if g.down {
		g.down = false
		g.mu.Unlock()
		return marketplace.Receipt{}, fmt.Errorf("%w: gateway unreachable", marketplace.ErrUnavailable)
	}
	if _, ok := g.charges[req.IdempotencyKey]; !ok {
		g.charges[req.IdempotencyKey] = req.Amount
	}
	f, lost := g.during, g.timeout
	g.during, g.timeout = nil, false
	g.mu.Unlock()
	if f != nil {
		f()
	}
	if lost {
		return marketplace.Receipt{}, fmt.Errorf("%w: gateway timeout", marketplace.ErrUnavailable)
	}
	return marketplace.Receipt{Reference: "gw-" + req.IdempotencyKey, Amount: req.Amount}, nil
}

func (g *gateway) Refund(_ context.Context, req marketplace.RefundRequest) (marketplace.Receipt, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.refunds[req.IdempotencyKey]; !ok {
		g.refunds[req.IdempotencyKey] = req.Amount
	}
	return marketplace.Receipt{Reference: "gw-" + req.IdempotencyKey, Amount: req.Amount}, nil
}

// moved is what the gateway charged and refunded for an order ("" for
// nothing).
func (g *gateway) moved(orderID string) (charged, refunded string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if m, ok := g.charges["order:"+orderID]; ok {
		charged = m.String()
	}
	if m, ok := g.refunds["refund:"+orderID]; ok {
		refunded = m.String()
	}
	return charged, refunded
}

// commitFailStore fails the commit of the next read-write transaction
// once armed: the transaction's writes are rolled back and Update returns
// errBoom, as when the database goes away at the commit.
type commitFailStore struct {
	*memory.Store
	armed atomic.Bool
}

func (s *commitFailStore) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	return s.Store.Update(ctx, func(tx marketplace.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if s.armed.CompareAndSwap(true, false) {
			return errBoom
		}
		return nil
	})
}

// TestExternalChargeNeverLost: with a host payment port, money the port
// took for an order is either applied by the payment or given back, whatever
// happens between the charge and the payment's commit: the window closing
// (the runner cancels the order while the gateway answers), the buyer
// cancelling, a lost gateway response, a failed commit. A declined charge
// leaves nothing to give back.
func TestExternalChargeNeverLost(t *testing.T) {
	type outcome struct {
		Status   marketplace.OrderStatus
		Charged  string // by the gateway under the order's charge key
		Refunded string // by the gateway under the order's refund key
		// Pending: the order still records a pending external charge.
		Pending bool
		// Recorded: the kinds of the store's payment records of the order.
		Recorded []marketplace.PaymentKind
	}
	tests := []struct {
		name string
		// setup runs before PayOrder; during runs inside the gateway's
		// charge; then runs after PayOrder, before the window closes.
		setup   func(e *env, gw *gateway, fs *commitFailStore)
		during  func(e *env, o marketplace.Order, fs *commitFailStore)
		payErr  error
		then    func(t *testing.T, e *env, gw *gateway, o marketplace.Order)
		want    outcome
		charges int // gateway Charge calls
		event   string
	}{
		{
			name:  "the runner closes the window while the gateway answers",
			setup: func(e *env, _ *gateway, _ *commitFailStore) { e.clock.Advance(24*time.Hour - time.Second) },
			during: func(e *env, _ marketplace.Order, _ *commitFailStore) {
				e.advance(2 * time.Second) // another process's runner
			},
			payErr: marketplace.ErrConflict,
			// The runner's refund repeats the charge to learn its outcome
			// (no money moves again), then refunds it.
			want:    outcome{Status: marketplace.OrderCancelled, Charged: "900.00 USD", Refunded: "900.00 USD", Recorded: []marketplace.PaymentKind{marketplace.PaymentCharge, marketplace.PaymentRefund}},
			charges: 2,
		},
		{
			name: "the buyer cancels while the gateway answers",
			during: func(e *env, o marketplace.Order, _ *commitFailStore) {
				must(e.svc.CancelOrder(ctx, buyer, o.ID))(e.t)
			},
			payErr: marketplace.ErrConflict,
			// CancelOrder refunds at once: the charge's outcome is not yet
			// recorded, so it repeats the charge to learn it (no money
			// moves again).
			want:    outcome{Status: marketplace.OrderCancelled, Charged: "900.00 USD", Refunded: "900.00 USD", Recorded: []marketplace.PaymentKind{marketplace.PaymentCharge, marketplace.PaymentRefund}},
			charges: 2,
		},
		{
			name:   "the commit fails after the charge, the buyer pays again",
			during: func(_ *env, _ marketplace.Order, fs *commitFailStore) { fs.armed.Store(true) },
			payErr: errBoom,
			then: func(t *testing.T, e *env, _ *gateway, o marketplace.Order) {
				must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: o.ID}))(t)
			},
			want:    outcome{Status: marketplace.OrderProcessing, Charged: "900.00 USD", Recorded: []marketplace.PaymentKind{marketplace.PaymentCharge}},
			charges: 2, // the second is the first's receipt again
		},
		{
			name:   "the commit fails after the charge, the window closes",
			during: func(_ *env, _ marketplace.Order, fs *commitFailStore) { fs.armed.Store(true) },
			payErr: errBoom,
			then: func(t *testing.T, e *env, _ *gateway, o marketplace.Order) {
				if got := e.order(o.ID); got.Status != marketplace.OrderPendingPayment || got.PendingCharge == nil {
					t.Fatalf("after the failed commit: %s, pending charge %+v", got.Status, got.PendingCharge)
				}
			},
			want:    outcome{Status: marketplace.OrderCancelled, Charged: "900.00 USD", Refunded: "900.00 USD", Recorded: []marketplace.PaymentKind{marketplace.PaymentCharge, marketplace.PaymentRefund}},
			charges: 2,
		},
		{
			name:    "the gateway's answer is lost, the window closes",
			setup:   func(_ *env, gw *gateway, _ *commitFailStore) { gw.timeout = true },
			payErr:  marketplace.ErrUnavailable,
			want:    outcome{Status: marketplace.OrderCancelled, Charged: "900.00 USD", Refunded: "900.00 USD", Recorded: []marketplace.PaymentKind{marketplace.PaymentCharge, marketplace.PaymentRefund}},
			charges: 2,
		},
		{
			// The refund's repeated charge is declined: nothing was taken.
			name:    "the gateway is down, then declines",
			setup:   func(_ *env, gw *gateway, _ *commitFailStore) { gw.down = true },
			payErr:  marketplace.ErrUnavailable,
			then:    func(_ *testing.T, _ *env, gw *gateway, _ marketplace.Order) { gw.decline = true },
			want:    outcome{Status: marketplace.OrderCancelled},
			charges: 2,
			event:   "order.charge_declined",
		},
		{
			name:    "a declined charge leaves nothing to refund",
			setup:   func(_ *env, gw *gateway, _ *commitFailStore) { gw.decline = true },
			payErr:  marketplace.ErrPaymentFailed,
			want:    outcome{Status: marketplace.OrderCancelled},
			charges: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := newGateway()
			fs := &commitFailStore{Store: memory.New()}
			e := newEnvWithStore(t, fs, marketplace.WithPayments(gw))
			in := licenseOrder(e, e.license, billing.Yearly) // 900.00
			in.AgreeTerms, in.IdempotencyKey = true, "k1"
			o := must(e.svc.CreateOrder(ctx, buyer, in))(t)
			if tt.setup != nil {
				tt.setup(e, gw, fs)
			}
			if tt.during != nil {
				gw.during = func() { tt.during(e, o, fs) }
			}
			_, err := e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: o.ID})
			wantErr(t, err, tt.payErr)
			if tt.then != nil {
				tt.then(t, e, gw, o)
			}
			e.advanceTo(o.PayBy.Add(time.Hour), time.Hour)
			got := e.order(o.ID)
			out := outcome{Status: got.Status, Pending: got.PendingCharge != nil}
			out.Charged, out.Refunded = gw.moved(o.ID)
			pg := must(fs.ListPayments(ctx, marketplace.PaymentQuery{OrderID: o.ID, Limit: 10}))(t)
			for _, p := range pg.Items {
				out.Recorded = append(out.Recorded, p.Kind)
			}
			slices.Sort(out.Recorded) // made in one transaction: their order is the ids'
			if diff := cmp.Diff(tt.want, out); diff != "" {
				t.Errorf("after the window (-want +got):\n%s", diff)
			}
			if gw.calls != tt.charges {
				t.Errorf("%d gateway charges, want %d", gw.calls, tt.charges)
			}
			if out.Refunded != "" && got.RefundedAt == nil {
				t.Errorf("refund not recorded on the order: %+v", got)
			}
			if tt.event != "" && !e.hasEvent(o.ID, tt.event) {
				t.Errorf("no %s event", tt.event)
			}
		})
	}
}

// TestExternalRenewalAfterRelease: a renewal paid through a host port
// after the resource was released (the order was placed in retention) is
// refused by the rules after the gateway took the money: the order is
// cancelled and the charge refunded at once.
func TestExternalRenewalAfterRelease(t *testing.T) {
	gw := newGateway()
	e := newEnv(t, marketplace.WithPayments(gw))
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	r := e.resource(o.ResourceID)
	e.advanceTo(r.ExpiresAt.Add(16*24*time.Hour), 24*time.Hour)
	r = e.resource(r.ID)
	if r.Status != marketplace.ResourceRetention {
		t.Fatalf("16 days after expiry: %s", r.Status)
	}
	e.advanceTo(r.RetentionEndsAt.Add(-time.Hour), 24*time.Hour)
	ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: r.ID, Duration: 1, IdempotencyKey: "late"}))(t)
	e.advance(2 * time.Hour)
	if got := e.resource(r.ID).Status; got != marketplace.ResourceReleased {
		t.Fatalf("after retention: %s", got)
	}
	_, err := e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ro.ID})
	wantErr(t, err, billing.ErrNotRenewable)
	got := e.order(ro.ID)
	charged, refunded := gw.moved(ro.ID)
	type outcome struct {
		Status            marketplace.OrderStatus
		Charged, Refunded string
		RefundRecorded    bool // the order's RefundedAt
		Resource          marketplace.ResourceStatus
	}
	want := outcome{Status: marketplace.OrderCancelled, Charged: "5.00 USD", Refunded: "5.00 USD", RefundRecorded: true, Resource: marketplace.ResourceReleased}
	if diff := cmp.Diff(want, outcome{got.Status, charged, refunded, got.RefundedAt != nil, e.resource(r.ID).Status}); diff != "" {
		t.Errorf("renewal paid after release (-want +got):\n%s", diff)
	}
}

// TestCancelRefundsPendingChargeAtOnce: a buyer who cancels an order whose
// payment through a host port had an unknown outcome (the gateway's answer
// was lost) gets the money back when CancelOrder returns, not at the
// runner's next pass.
func TestCancelRefundsPendingChargeAtOnce(t *testing.T) {
	gw := newGateway()
	e := newEnv(t, marketplace.WithPayments(gw))
	in := licenseOrder(e, e.license, billing.Yearly) // 900.00
	in.AgreeTerms, in.IdempotencyKey = true, "k1"
	o := must(e.svc.CreateOrder(ctx, buyer, in))(t)
	gw.timeout = true
	_, err := e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: o.ID})
	wantErr(t, err, marketplace.ErrUnavailable)
	got := must(e.svc.CancelOrder(ctx, buyer, o.ID))(t) // no runner in between
	charged, refunded := gw.moved(o.ID)
	if got.Status != marketplace.OrderCancelled || charged != "900.00 USD" || refunded != "900.00 USD" || got.RefundedAt == nil {
		t.Errorf("after CancelOrder: %s, charged %q, refunded %q, refunded at %v", got.Status, charged, refunded, got.RefundedAt)
	}
}
