package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// The workloads the benchmarks and scale tests drive, written against the
// store contract: what the marketplace's use cases do to the store.

var t0 = time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC)

func usd(s string) billing.Money { return billing.MustMoney(s, billing.USD) }

// seedBuyers creates a listed product p1 and one funded account per buyer.
func seedBuyers(tb testing.TB, st marketplace.Store, buyers int) {
	tb.Helper()
	err := st.Update(context.Background(), func(tx marketplace.Tx) error {
		p := marketplace.Product{ID: "p1", SellerID: "s1", SellerName: "Seller", Name: "Firewall", Description: "x",
			Category: "security", Delivery: marketplace.DeliveryLicense, Status: marketplace.ProductListed,
			Specs:     []marketplace.Specification{{ID: "sp1", Name: "Basic", Status: marketplace.SpecActive}},
			CreatedAt: t0, UpdatedAt: t0, ListedAt: &t0}
		if err := tx.PutProduct(&p); err != nil {
			return err
		}
		for i := range buyers {
			a := marketplace.Account{ID: buyerID(i), Balance: usd("1000000000.00"), CreditUsed: usd("0"), UpdatedAt: t0}
			if err := tx.PutAccount(&a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed: %v", err)
	}
}

func buyerID(i int) string { return fmt.Sprintf("b%03d", i) }

// placeOrder is checkout: idempotency check, product read, order,
// idempotency record and event in one transaction.
func placeOrder(ctx context.Context, st marketplace.Store, buyer, orderID string) error {
	key := "order:" + buyer + ":" + orderID
	return st.Update(ctx, func(tx marketplace.Tx) error {
		if _, err := tx.Idempotency(key); err == nil {
			return nil
		} else if !errors.Is(err, marketplace.ErrNotFound) {
			return err
		}
		p, err := tx.Product("p1")
		if err != nil {
			return err
		}
		payBy := t0.Add(time.Hour)
		o := marketplace.Order{ID: orderID, Number: "CS" + orderID, Kind: marketplace.OrderNew,
			Status: marketplace.OrderPendingPayment, BuyerID: buyer, SellerID: p.SellerID, ProductID: p.ID,
			SpecID: "sp1", ProductName: p.Name, SpecName: "Basic", Delivery: p.Delivery, Mode: billing.Monthly,
			Duration: 1, Quantity: 1, Amount: usd("5.00"),
			Lines:         []marketplace.OrderLine{{Description: "Basic × 1 month", Amount: usd("5.00")}},
			PaymentMethod: marketplace.PayBalance, IdempotencyKey: orderID, TermsAgreedAt: t0, CreatedAt: t0,
			PayBy: payBy, NextDueAt: &payBy, UpdatedAt: t0}
		if err := tx.PutOrder(&o); err != nil {
			return err
		}
		if err := tx.PutIdempotency(marketplace.IdempotencyRecord{Key: key, RequestHash: "h", ResultKind: marketplace.KindOrder,
			ResultID: o.ID, CreatedAt: t0}); err != nil {
			return err
		}
		return tx.AppendEvent(&marketplace.Event{At: t0, Kind: marketplace.KindOrder, AggregateID: o.ID, Type: "order.created",
			Actor: marketplace.BuyerActor(buyer), To: string(o.Status)})
	})
}

// payOrder is payment: debit the prepaid balance, record the payment, mark
// the order paid and append its event, in one transaction.
func payOrder(ctx context.Context, st marketplace.Store, buyer, orderID string) error {
	return st.Update(ctx, func(tx marketplace.Tx) error {
		o, err := tx.Order(orderID)
		if err != nil {
			return err
		}
		if o.Status != marketplace.OrderPendingPayment {
			return nil // paid already: paying twice does nothing
		}
		a, err := tx.Account(buyer)
		if err != nil {
			return err
		}
		if a.Balance, err = a.Balance.Sub(o.Amount); err != nil {
			return err
		}
		if err := tx.PutAccount(&a); err != nil {
			return err
		}
		pay := marketplace.Payment{ID: "pay-" + orderID, Kind: marketplace.PaymentCharge, Method: marketplace.PayBalance,
			OrderID: orderID, BuyerID: buyer, Amount: o.Amount, IdempotencyKey: "charge:" + orderID, CreatedAt: t0}
		if err := tx.PutPayment(&pay); err != nil {
			return err
		}
		from := o.Status
		o.Status, o.PaidAt, o.PaymentID, o.NextDueAt = marketplace.OrderProcessing, &t0, pay.ID, nil
		if err := tx.PutOrder(&o); err != nil {
			return err
		}
		return tx.AppendEvent(&marketplace.Event{At: t0, Kind: marketplace.KindOrder, AggregateID: o.ID, Type: "order.paid",
			Actor: marketplace.BuyerActor(buyer), From: string(from), To: string(o.Status)})
	})
}

// placePay places and pays one order, retrying on conflicts (another
// client touched the same account).
func placePay(ctx context.Context, st marketplace.Store, buyer, orderID string) error {
	for _, step := range []func(context.Context, marketplace.Store, string, string) error{placeOrder, payOrder} {
		for {
			err := step(ctx, st, buyer, orderID)
			if errors.Is(err, marketplace.ErrConflict) {
				continue
			}
			if err != nil {
				return err
			}
			break
		}
	}
	return nil
}

// seedDue creates n active resources that expire (NextDueAt) at due, in
// transactions of batch resources.
func seedDue(tb testing.TB, st marketplace.Store, n, batch int, due time.Time) {
	tb.Helper()
	for start := 0; start < n; start += batch {
		err := st.Update(context.Background(), func(tx marketplace.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				r := dueResource(i, due)
				if err := tx.PutResource(&r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("seed due: %v", err)
		}
	}
}

func dueResource(i int, due time.Time) marketplace.Resource {
	return marketplace.Resource{ID: fmt.Sprintf("r%07d", i), BuyerID: buyerID(i % 100), SellerID: "s1", ProductID: "p1",
		SpecID: "sp1", ProductName: "Firewall", SpecName: "Basic", Delivery: marketplace.DeliverySaaS,
		Status: marketplace.ResourceActive, Visible: true, Mode: billing.Monthly, Duration: 1, Quantity: 1,
		OrderID: "o1", OrderIDs: []string{"o1"}, Paid: usd("5.00"), PurchasedAt: t0, ExpiresAt: &due,
		NextDueAt: &due, UpdatedAt: t0}
}

// expire moves one claimed resource from active to grace, exactly as the
// runner does: re-read, skip if someone else acted (version changed), write
// the new state and its event. It reports whether it acted.
func expire(ctx context.Context, st marketplace.Store, it marketplace.DueItem, now time.Time) (bool, error) {
	acted := false
	err := st.Update(ctx, func(tx marketplace.Tx) error {
		acted = false
		r, err := tx.Resource(it.ID)
		if err != nil {
			return err
		}
		if r.Version != it.Version || r.Status != marketplace.ResourceActive {
			return nil
		}
		graceEnds := now.Add(15 * 24 * time.Hour)
		r.Status, r.GraceEndsAt, r.NextDueAt, r.UpdatedAt = marketplace.ResourceGrace, &graceEnds, nil, now
		if err := tx.PutResource(&r); err != nil {
			return err
		}
		acted = true
		return tx.AppendEvent(&marketplace.Event{At: now, Kind: marketplace.KindResource, AggregateID: r.ID,
			Type: "resource.expired", Actor: marketplace.SystemActor(), From: "active", To: "grace"})
	})
	return acted, err
}

// runDue is a runner: it claims batches until nothing is due and expires
// each item with workers concurrent updates (which the SQLite store groups
// into shared commits). It returns how many items it acted on.
func runDue(ctx context.Context, st marketplace.Store, owner string, now time.Time, batch, workers int, seen func(id string)) (int, error) {
	var acted atomic.Int64
	for {
		items, err := st.ClaimDue(ctx, now, batch, owner, time.Minute)
		if err != nil {
			return int(acted.Load()), err
		}
		if len(items) == 0 {
			return int(acted.Load()), nil
		}
		var wg sync.WaitGroup
		var mu sync.Mutex
		var firstErr error
		next := atomic.Int64{}
		for range min(workers, len(items)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1)) - 1
					if i >= len(items) {
						return
					}
					ok, err := expire(ctx, st, items[i], now)
					if err != nil {
						mu.Lock()
						firstErr = errors.Join(firstErr, err)
						mu.Unlock()
						return
					}
					if ok {
						acted.Add(1)
						if seen != nil {
							seen(items[i].ID)
						}
					}
				}
			}()
		}
		wg.Wait()
		if firstErr != nil {
			return int(acted.Load()), firstErr
		}
	}
}

// servicePlacePay places and pays one order through the marketplace's use
// cases (CreateOrder, then PayOrder with the default prepaid-balance
// payments), on the product and accounts seedShop made.
func servicePlacePay(ctx context.Context, svc *marketplace.Service, buyer, key string) error {
	actor := marketplace.BuyerActor(buyer)
	o, err := svc.CreateOrder(ctx, actor, marketplace.CreateOrderInput{
		QuoteInput: marketplace.QuoteInput{ProductID: "p1", SpecID: "sp1", Mode: billing.Monthly, Duration: 1},
		AgreeTerms: true, IdempotencyKey: key})
	if err != nil {
		return err
	}
	_, err = svc.PayOrder(ctx, actor, marketplace.PayInput{OrderID: o.ID})
	return err
}
