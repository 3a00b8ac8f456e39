package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// The SQLite-only workloads the benchmarks drive, written against the
// store contract: what the marketplace's use cases do to the store. The
// workloads both stores share are in adapters/internal/storecheck.

// Short names for the shared fixtures, used throughout these tests.
var (
	t0      = storecheck.T0
	usd     = storecheck.USD
	buyerID = storecheck.BuyerID
)

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
