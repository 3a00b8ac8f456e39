package storecheck

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

// The store-level due-work workload both stores' expiry benchmarks and
// scale tests drive: what the marketplace runner does to the store for
// one expiring subscription.

// SeedDue creates n active resources that expire (NextDueAt) at due, in
// transactions of batch resources.
func SeedDue(tb testing.TB, st marketplace.Store, n, batch int, due time.Time) {
	tb.Helper()
	for start := 0; start < n; start += batch {
		err := st.Update(context.Background(), func(tx marketplace.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				r := DueResource(i, due)
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

// SeedSubscriptions creates n active monthly subscriptions (DueResource
// with a term) whose term ended at the expiry it returns, due then, in
// transactions of batch resources: the marketplace runner moves them to
// grace.
func SeedSubscriptions(tb testing.TB, st marketplace.Store, n, batch int) time.Time {
	tb.Helper()
	term, err := billing.NewTerm(billing.DefaultConfig(), T0.AddDate(0, -1, 0), billing.Monthly, 1)
	if err != nil {
		tb.Fatal(err)
	}
	for start := 0; start < n; start += batch {
		err := st.Update(context.Background(), func(tx marketplace.Tx) error {
			for i := start; i < min(start+batch, n); i++ {
				r := DueResource(i, term.Expiry)
				r.Term = &term
				if err := tx.PutResource(&r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("seed subscriptions: %v", err)
		}
	}
	return term.Expiry
}

// DueResource is the i-th active resource SeedDue stores, due at due.
func DueResource(i int, due time.Time) marketplace.Resource {
	return marketplace.Resource{ID: fmt.Sprintf("r%07d", i), BuyerID: BuyerID(i % 100), SellerID: "s1", ProductID: "p1",
		SpecID: "sp1", ProductName: "Firewall", SpecName: "Basic", Delivery: marketplace.DeliverySaaS,
		Status: marketplace.ResourceActive, Visible: true, Mode: billing.Monthly, Duration: 1, Quantity: 1,
		OrderID: "o1", OrderIDs: []string{"o1"}, Paid: USD("5.00"), PurchasedAt: T0, ExpiresAt: &due,
		NextDueAt: &due, UpdatedAt: T0}
}

// Expire moves one claimed resource from active to grace, exactly as the
// runner does: re-read, skip if someone else acted (version changed), write
// the new state and its event. It reports whether it acted.
func Expire(ctx context.Context, st marketplace.Store, it marketplace.DueItem, now time.Time) (bool, error) {
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

// RunDue is a runner: it claims batches until nothing is due and expires
// each item with workers concurrent updates (which the SQLite store groups
// into shared commits). It returns how many items it acted on.
func RunDue(ctx context.Context, st marketplace.Store, owner string, now time.Time, batch, workers int, seen func(id string)) (int, error) {
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
					ok, err := Expire(ctx, st, items[i], now)
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

// ServicePlacePay places and pays one order through the marketplace's use
// cases (CreateOrder, then PayOrder with the default prepaid-balance
// payments), on the product and accounts SeedShop made.
func ServicePlacePay(ctx context.Context, svc *marketplace.Service, buyer, key string) error {
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

// ServicePlacePayNow places and pays one order of the SeedShop product as
// buyer in one call (CreateOrderInput.PayNow: with the built-in balance
// payments, one store transaction), under idempotency key key.
func ServicePlacePayNow(ctx context.Context, svc *marketplace.Service, buyer, key string) error {
	o, err := svc.CreateOrder(ctx, marketplace.BuyerActor(buyer), marketplace.CreateOrderInput{
		QuoteInput: marketplace.QuoteInput{ProductID: "p1", SpecID: "sp1", Mode: billing.Monthly, Duration: 1},
		AgreeTerms: true, IdempotencyKey: key, PayNow: true})
	if err == nil && o.PaidAt == nil {
		err = fmt.Errorf("order %s not paid", o.ID)
	}
	return err
}

// Parallel runs fn b.N times spread over clients goroutines (i counts the
// calls from 0), with the benchmark timer running only around them; the
// first error fails the benchmark.
func Parallel(b *testing.B, clients int, fn func(client, i int) error) {
	b.Helper()
	b.ResetTimer()
	_, err := RunClients(clients, 0, b.N, fn)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
}

// RunClients calls fn for i = first … first+n-1, spread over clients
// goroutines (client numbers them from 0), and returns the wall time they
// took. The first error stops the calls not yet started and is returned.
func RunClients(clients, first, n int, fn func(client, i int) error) (time.Duration, error) {
	var next atomic.Int64
	next.Store(int64(first))
	end := int64(first + n)
	errs := make(chan error, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= end {
					return
				}
				if err := fn(c, int(i)); err != nil {
					errs <- err
					next.Store(end)
					return
				}
			}
		}()
	}
	wg.Wait()
	d := time.Since(start)
	close(errs)
	return d, <-errs
}

// PairedTurn is how many calls a client makes in one turn of Paired: at 16
// clients a turn of SQLite's group commit is ~57 commits, so a turn's first
// and last groups weigh a few percent.
const PairedTurn = 50

// Paired runs a target's two sides in turns on clients goroutines:
// PairedTurn calls of bare a client, then as many of store, and so on until
// b.N of each, so that a drift of the machine's speed (this kind of
// machine's fsync latency moves by 2–3× within minutes) moves both sides
// alike. It reports each side's time per call (bare-µs/op, store-µs/op)
// and the ratio bare ÷ store in percent (ratio-%); ns/op counts both sides.
func Paired(b *testing.B, clients int, bare, store func(client, i int) error) {
	b.Helper()
	var bareT, storeT time.Duration
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(PairedTurn*clients, b.N-done)
		d, err := RunClients(clients, done, n, bare)
		if err != nil {
			b.Fatal(err)
		}
		bareT += d
		if d, err = RunClients(clients, done, n, store); err != nil {
			b.Fatal(err)
		}
		storeT += d
		done += n
	}
	b.StopTimer()
	b.ReportMetric(float64(bareT.Microseconds())/float64(b.N), "bare-µs/op")
	b.ReportMetric(float64(storeT.Microseconds())/float64(b.N), "store-µs/op")
	b.ReportMetric(100*bareT.Seconds()/storeT.Seconds(), "ratio-%")
}
