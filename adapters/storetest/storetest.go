package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/supervision"
)

// Opener returns a fresh, empty store for one subtest. It should register
// its own cleanup with t.Cleanup.
type Opener func(t *testing.T) marketplace.Store

// Options tunes the suite.
type Options struct {
	// Reopen, if set, closes s and returns a store over the same storage,
	// as after a process restart. The suite then checks durability.
	Reopen func(t *testing.T, s marketplace.Store) marketplace.Store
	// Goroutines is the number of concurrent writers in the concurrency
	// cases; 100 when zero.
	Goroutines int
}

// Run runs the conformance suite against the stores open returns.
func Run(t *testing.T, open Opener) { RunWithOptions(t, open, Options{}) }

// RunWithOptions runs the suite with options.
func RunWithOptions(t *testing.T, open Opener, opts Options) {
	if opts.Goroutines == 0 {
		opts.Goroutines = 100
	}
	s := &suite{open: open, opts: opts}
	t.Run("Aggregates", s.testAggregates)
	t.Run("RoundTrip", s.testRoundTrip)
	t.Run("NoAliasing", s.testNoAliasing)
	t.Run("Rollback", s.testRollback)
	t.Run("ReadYourWrites", s.testReadYourWrites)
	t.Run("Prefetch", s.testPrefetch)
	t.Run("SavedItems", s.testSavedItems)
	t.Run("Idempotency", s.testIdempotency)
	t.Run("Events", s.testEvents)
	t.Run("Search", s.testSearch)
	t.Run("Lists", s.testLists)
	t.Run("ClaimDue", s.testClaimDue)
	t.Run("ClaimDueConcurrent", s.testClaimDueConcurrent)
	t.Run("ConcurrentConflict", s.testConcurrentConflict)
	t.Run("ConcurrentCreate", s.testConcurrentCreate)
	t.Run("ConcurrentIdempotency", s.testConcurrentIdempotency)
	t.Run("ConcurrentEvents", s.testConcurrentEvents)
	t.Run("Context", s.testContext)
	if opts.Reopen != nil {
		t.Run("Reopen", s.testReopen)
	}
}

type suite struct {
	open Opener
	opts Options
}

// Comparer is the go-cmp option the suite compares aggregates with:
// decimals by value, times by instant, nil and empty JSON alike.
var Comparer = cmp.Options{
	cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	cmp.Comparer(func(a, b json.RawMessage) bool { return jsonEqual(a, b) }),
}

func jsonEqual(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return cmp.Equal(x, y)
}

var ctx = context.Background()

// base is a fixed instant with microseconds, in a non-UTC zone, so that
// round trips prove both precision and zone handling.
var base = time.Date(2026, 3, 31, 10, 30, 15, 123456000, time.FixedZone("GMT+08:00", 8*3600))

func at(d time.Duration) time.Time { return base.Add(d) }
func ptr[T any](v T) *T            { return &v }

func usd(s string) billing.Money { return billing.MustMoney(s, billing.USD) }

func update(t *testing.T, s marketplace.Store, fn func(tx marketplace.Tx) error) {
	t.Helper()
	if err := s.Update(ctx, fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

func wantErr(t *testing.T, err, target error, what string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: got error %v, want %v", what, err, target)
	}
}

// Fixtures.

func seller(id string) marketplace.Seller {
	return marketplace.Seller{ID: id, Name: "Seller " + id, SupportEmail: id + "@example.com", SupportPhone: "+86 400 000 0000",
		Certified: true, CreatedAt: at(0), UpdatedAt: at(time.Minute)}
}

func product(id, sellerID string) marketplace.Product {
	return marketplace.Product{
		ID: id, SellerID: sellerID, SellerName: "Seller " + sellerID, Name: "Product " + id, Description: "A product",
		Category: "security", OperatingSystems: []string{"Linux"}, Delivery: marketplace.DeliverySaaS,
		Supervised: true, FlowTemplate: "saas", Restriction: marketplace.Restriction{Whitelist: []string{"b1"}},
		Specs: []marketplace.Specification{{
			ID: "s1", Name: "Basic", Status: marketplace.SpecActive,
			Pricing: billing.Pricing{TrialDays: 7, Plans: []billing.PricePlan{
				{Mode: billing.Monthly, UnitPrice: usd("5.00"), Quantity: billing.CountRange{Min: 1, Max: 100}},
				{Mode: billing.Yearly, Model: billing.Tiered, Tiers: []billing.Tier{{UpTo: 10, UnitPrice: usd("900.00")}, {UnitPrice: usd("850.505")}},
					Discount: billing.Discount{Kind: billing.DiscountRate, Rate: decimal.RequireFromString("0.125")}},
			}},
			QuantityName: "users", Upgradable: true,
		}},
		Status: marketplace.ProductListed, CreatedAt: at(0), UpdatedAt: at(0), ListedAt: ptr(at(time.Hour)),
	}
}

func order(id, buyer string) marketplace.Order {
	return marketplace.Order{
		ID: id, Number: "CS" + id, Kind: marketplace.OrderNew, Status: marketplace.OrderPendingPayment,
		BuyerID: buyer, SellerID: "s1", ProductID: "p1", SpecID: "s1", ProductName: "P", SpecName: "Basic",
		Delivery: marketplace.DeliverySaaS, Mode: billing.Monthly, Duration: 1, Quantity: 3,
		Amount: usd("15.00"), Lines: []marketplace.OrderLine{{Description: "Basic", Formula: "5.00 × 3", Amount: usd("15.00")}},
		PaymentMethod: marketplace.PayBalance, TermsAgreedAt: at(0), CreatedAt: at(0), PayBy: at(24 * time.Hour),
		HourlyRate:   ptr(usd("0.00000001")),
		RefundReview: &marketplace.RefundReview{Status: marketplace.RefundReviewPending, RequestedAt: at(time.Hour), AutoApproveAt: ptr(at(25 * time.Hour))},
		// A host port's charge rides in the document.
		PendingCharge: &marketplace.PendingCharge{Key: "order:" + id, Amount: usd("15.00"), Attempts: 2, StartedAt: at(time.Minute), Reference: "gw-1"},
		UpdatedAt:     at(0),
	}
}

func resource(id, buyer string) marketplace.Resource {
	return marketplace.Resource{
		ID: id, BuyerID: buyer, SellerID: "s1", ProductID: "p1", SpecID: "s1", ProductName: "P", SpecName: "Basic",
		Delivery: marketplace.DeliverySaaS, Status: marketplace.ResourceActive, Visible: true, Mode: billing.Monthly,
		Duration: 1, Quantity: 3, OrderID: "o1", OrderIDs: []string{"o1"}, Paid: usd("15.00"), PurchasedAt: at(0),
		EffectiveAt: ptr(at(0)), ExpiresAt: ptr(at(31 * 24 * time.Hour)),
		AutoRenew: billing.AutoRenewal{Enabled: true, DaysBefore: ptr(3), Count: 1},
		Term:      &billing.Term{Mode: billing.Monthly, Count: 1, Start: at(0).UTC(), AnchorDay: 31, Expiry: at(31 * 24 * time.Hour).UTC()},
		App:       marketplace.AppInfo{InstanceID: "i-1", Username: "admin", PasswordCipher: []byte{1, 2, 3}, FrontEndURL: "https://app.example.com"},
		// The pay-per-use meter and the seller-call outbox ride in the
		// document: an exact 4-place rate and microsecond times.
		Usage: &marketplace.Usage{Rate: usd("0.0137"), Start: at(time.Microsecond), Hours: 3, Skipped: 1, Charged: usd("0.04"),
			NextChargeAt: at(5 * time.Hour), ArrearsSince: ptr(at(4 * time.Hour)), LastError: "declined"},
		SellerCalls: []marketplace.SellerCall{{ID: "refresh:o2", Op: marketplace.CallRefresh, OrderID: "o2", ExpiresAt: ptr(at(62 * 24 * time.Hour)),
			Attempts: 2, FirstAt: ptr(at(time.Minute)), NextAt: at(3 * time.Minute), LastError: "000005"},
			{ID: "release:o3", Op: marketplace.CallRelease, OrderID: "o3", InstanceID: "i-0", NextAt: at(4 * time.Minute)}},
		UpdatedAt: at(0),
	}
}

func flow(id, buyer, sellerID string) marketplace.Flow {
	return marketplace.Flow{ID: id, OrderID: "o1", ResourceID: "r1", BuyerID: buyer, SellerID: sellerID, ProductID: "p1",
		Template: "saas", Status: string(supervision.AwaitingRequest),
		Supervision: supervision.Flow{ID: id, Template: supervision.SaaS, Status: supervision.AwaitingRequest, CreatedAt: at(0).UTC(),
			StatusSince: at(0).UTC(), SellerRejections: 2, Seq: 1},
		Records: []supervision.Record{{FlowID: id, Seq: 1, At: at(0).UTC(), Actor: supervision.Actor{ID: buyer, Role: supervision.Buyer},
			Action: supervision.Remind, From: supervision.AwaitingRequest, To: supervision.AwaitingRequest}},
		CreatedAt: at(0), UpdatedAt: at(0)}
}

func invoice(id, buyer string) marketplace.Invoice {
	return marketplace.Invoice{ID: id, OrderID: "o1", BuyerID: buyer, SellerID: "s1", Title: "ACME", Amount: usd("15.00"),
		Status: marketplace.InvoiceRequested, RequestedAt: at(0)}
}

func unsub(id, buyer string) marketplace.UnsubscribeRequest {
	return marketplace.UnsubscribeRequest{ID: id, ResourceID: "r1", OrderID: "o1", BuyerID: buyer, SellerID: "s1",
		Amount: usd("10.00"), Reason: "not needed", Status: marketplace.UnsubscribeProposed, CreatedAt: at(0)}
}

func payment(id, buyer string) marketplace.Payment {
	return marketplace.Payment{ID: id, Kind: marketplace.PaymentCharge, Method: marketplace.PayBalance, OrderID: "o1",
		BuyerID: buyer, Amount: usd("15.00"), IdempotencyKey: "charge:" + id, CreatedAt: at(0)}
}

func account(id string) marketplace.Account {
	return marketplace.Account{ID: id, Balance: usd("100.00"), CreditUsed: usd("0"), UpdatedAt: at(0)}
}

// kindCase drives the per-aggregate contract checks generically.
type kindCase struct {
	kind    marketplace.Kind
	id      string
	put     func(tx marketplace.Tx, version int64) (int64, error) // puts the fixture at version, returns the new version
	get     func(tx marketplace.ReadTx, id string) (any, error)
	fixture func() any                    // the fixture with Version 0
	putZero func(tx marketplace.Tx) error // puts a value with an empty id
	version func(v any) int64
}

func kindCases() []kindCase {
	mk := func(kind marketplace.Kind, id string, fix func() any,
		put func(tx marketplace.Tx, v any) (int64, error),
		get func(tx marketplace.ReadTx, id string) (any, error),
		setVersion func(v any, n int64) any, version func(v any) int64, zero func() any) kindCase {
		return kindCase{
			kind: kind, id: id, fixture: fix, get: get, version: version,
			put:     func(tx marketplace.Tx, n int64) (int64, error) { return put(tx, setVersion(fix(), n)) },
			putZero: func(tx marketplace.Tx) error { _, err := put(tx, zero()); return err },
		}
	}
	return []kindCase{
		mk(marketplace.KindSeller, "s1", func() any { return seller("s1") },
			func(tx marketplace.Tx, v any) (int64, error) {
				x := v.(marketplace.Seller)
				err := tx.PutSeller(&x)
				return x.Version, err
			},
			func(tx marketplace.ReadTx, id string) (any, error) { return tx.Seller(id) },
			func(v any, n int64) any { x := v.(marketplace.Seller); x.Version = n; return x },
			func(v any) int64 { return v.(marketplace.Seller).Version }, func() any { return marketplace.Seller{} }),
		mk(marketplace.KindProduct, "p1", func() any { return product("p1", "s1") },
			func(tx marketplace.Tx, v any) (int64, error) {
				x := v.(marketplace.Product)
				err := tx.PutProduct(&x)
				return x.Version, err
			},
			func(tx marketplace.ReadTx, id string) (any, error) { return tx.Product(id) },
			func(v any, n int64) any { x := v.(marketplace.Product); x.Version = n; return x },
			func(v any) int64 { return v.(marketplace.Product).Version }, func() any { return marketplace.Product{} }),
		mk(marketplace.KindOrder, "o1", func() any { return order("o1", "b1") },
			func(tx marketplace.Tx, v any) (int64, error) {
				x := v.(marketplace.Order)
				err := tx.PutOrder(&x)
				return x.Version, err
			},
			func(tx marketplace.ReadTx, id string) (any, error) { return tx.Order(id) },
			func(v any, n int64) any { x := v.(marketplace.Order); x.Version = n; return x },
			func(v any) int64 { return v.(marketplace.Order).Version }, func() any { return marketplace.Order{} }),
		mk(marketplace.KindPayment, "pay1", func() any { return payment("pay1", "b1") },
			func(tx marketplace.Tx, v any) (int64, error) {
				x := v.(marketplace.Payment)
				err := tx.PutPayment(&x)
				return x.Version, err
			},
			func(tx marketplace.ReadTx, id string) (any, error) { return tx.Payment(id) },
			func(v any, n int64) any { x := v.(marketplace.Payment); x.Version = n; return x },
			func(v any) int64 { return v.(marketplace.Payment).Version }, func() any { return marketplace.Payment{} }),
		mk(marketplace.KindAccount, "b1", func() any { return account("b1") },
			func(tx marketplace.Tx, v any) (int64, error) {
				x := v.(marketplace.Account)
				err := tx.PutAccount(&x)
				return x.Version, err
			},
			func(tx marketplace.ReadTx, id string) (any, error) { return tx.Account(id) },
			func(v any, n int64) any { x := v.(marketplace.Account); x.Version = n; return x },
			func(v any) int64 { return v.(marketplace.Account).Version }, func() any { return marketplace.Account{} }),
		mk(marketplace.KindResource, "r1", func() any { return resource("r1", "b1") },
			func(tx marketplace.Tx, v any) (int64, error) {
				x := v.(marketplace.Resource)
				err := tx.PutResource(&x)
				return x.Version, err
			},
			func(tx marketplace.ReadTx, id string) (any, error) { return tx.Resource(id) },
			func(v any, n int64) any { x := v.(marketplace.Resource); x.Version = n; return x },
			func(v any) int64 { return v.(marketplace.Resource).Version }, func() any { return marketplace.Resource{} }),
		mk(marketplace.KindFlow, "f1", func() any { return flow("f1", "b1", "s1") },
			func(tx marketplace.Tx, v any) (int64, error) {
				x := v.(marketplace.Flow)
				err := tx.PutFlow(&x)
				return x.Version, err
			},
			func(tx marketplace.ReadTx, id string) (any, error) { return tx.Flow(id) },
			func(v any, n int64) any { x := v.(marketplace.Flow); x.Version = n; return x },
			func(v any) int64 { return v.(marketplace.Flow).Version }, func() any { return marketplace.Flow{} }),
		mk(marketplace.KindInvoice, "inv1", func() any { return invoice("inv1", "b1") },
			func(tx marketplace.Tx, v any) (int64, error) {
				x := v.(marketplace.Invoice)
				err := tx.PutInvoice(&x)
				return x.Version, err
			},
			func(tx marketplace.ReadTx, id string) (any, error) { return tx.Invoice(id) },
			func(v any, n int64) any { x := v.(marketplace.Invoice); x.Version = n; return x },
			func(v any) int64 { return v.(marketplace.Invoice).Version }, func() any { return marketplace.Invoice{} }),
		mk(marketplace.KindUnsubscribe, "u1", func() any { return unsub("u1", "b1") },
			func(tx marketplace.Tx, v any) (int64, error) {
				x := v.(marketplace.UnsubscribeRequest)
				err := tx.PutUnsubscribeRequest(&x)
				return x.Version, err
			},
			func(tx marketplace.ReadTx, id string) (any, error) { return tx.UnsubscribeRequest(id) },
			func(v any, n int64) any { x := v.(marketplace.UnsubscribeRequest); x.Version = n; return x },
			func(v any) int64 { return v.(marketplace.UnsubscribeRequest).Version }, func() any { return marketplace.UnsubscribeRequest{} }),
	}
}

func (s *suite) testAggregates(t *testing.T) {
	for _, kc := range kindCases() {
		t.Run(string(kc.kind), func(t *testing.T) {
			st := s.open(t)
			// Missing.
			err := st.View(ctx, func(tx marketplace.ReadTx) error { _, err := kc.get(tx, kc.id); return err })
			wantErr(t, err, marketplace.ErrNotFound, "get missing")
			var nf *marketplace.NotFoundError
			if !errors.As(err, &nf) || nf.Kind != kc.kind || nf.ID != kc.id {
				t.Fatalf("get missing: got %#v, want *NotFoundError{%s %s}", err, kc.kind, kc.id)
			}
			// Create.
			var v1 int64
			update(t, st, func(tx marketplace.Tx) error { var err error; v1, err = kc.put(tx, 0); return err })
			if v1 != 1 {
				t.Fatalf("create: version %d, want 1", v1)
			}
			var got any
			if err := st.View(ctx, func(tx marketplace.ReadTx) error { var err error; got, err = kc.get(tx, kc.id); return err }); err != nil {
				t.Fatalf("get: %v", err)
			}
			want := kc.fixture()
			if kc.version(got) != 1 {
				t.Fatalf("stored version %d, want 1", kc.version(got))
			}
			if d := cmp.Diff(withVersion(want, 1), got, Comparer); d != "" {
				t.Fatalf("round trip (-want +got):\n%s", d)
			}
			// Create again: conflict.
			err = st.Update(ctx, func(tx marketplace.Tx) error { _, err := kc.put(tx, 0); return err })
			wantErr(t, err, marketplace.ErrConflict, "create twice")
			var ce *marketplace.ConflictError
			if !errors.As(err, &ce) || ce.Kind != kc.kind || ce.ID != kc.id || ce.Want != 0 || ce.Have != 1 {
				t.Fatalf("create twice: got %#v", err)
			}
			// Update with the version read.
			var v2 int64
			update(t, st, func(tx marketplace.Tx) error { var err error; v2, err = kc.put(tx, 1); return err })
			if v2 != 2 {
				t.Fatalf("update: version %d, want 2", v2)
			}
			// Stale write.
			err = st.Update(ctx, func(tx marketplace.Tx) error { _, err := kc.put(tx, 1); return err })
			wantErr(t, err, marketplace.ErrConflict, "stale write")
			if !errors.As(err, &ce) || ce.Want != 1 || ce.Have != 2 {
				t.Fatalf("stale write: got %#v", err)
			}
			// Version from the future.
			err = st.Update(ctx, func(tx marketplace.Tx) error { _, err := kc.put(tx, 7); return err })
			wantErr(t, err, marketplace.ErrConflict, "future version")
			// Empty id.
			err = st.Update(ctx, kc.putZero)
			wantErr(t, err, marketplace.ErrInvalidInput, "empty id")
			// Two puts in one transaction chain versions.
			update(t, st, func(tx marketplace.Tx) error {
				n, err := kc.put(tx, 2)
				if err != nil {
					return err
				}
				if n != 3 {
					return fmt.Errorf("first put in tx: version %d, want 3", n)
				}
				if _, err := kc.put(tx, 2); !errors.Is(err, marketplace.ErrConflict) {
					return fmt.Errorf("stale put in tx: got %v, want ErrConflict", err)
				}
				n, err = kc.put(tx, 3)
				if n != 4 {
					return fmt.Errorf("second put in tx: version %d, want 4 (err %v)", n, err)
				}
				return err
			})
		})
	}
}

// withVersion returns a copy of fixture v with its Version set.
func withVersion(v any, n int64) any {
	switch x := v.(type) {
	case marketplace.Seller:
		x.Version = n
		return x
	case marketplace.Product:
		x.Version = n
		return x
	case marketplace.Order:
		x.Version = n
		return x
	case marketplace.Payment:
		x.Version = n
		return x
	case marketplace.Account:
		x.Version = n
		return x
	case marketplace.Resource:
		x.Version = n
		return x
	case marketplace.Flow:
		x.Version = n
		return x
	case marketplace.Invoice:
		x.Version = n
		return x
	case marketplace.UnsubscribeRequest:
		x.Version = n
		return x
	}
	panic(fmt.Sprintf("storetest: unknown fixture %T", v))
}
