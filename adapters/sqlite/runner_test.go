package sqlite_test

import (
	"context"
	"flag"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

var subscriptions = flag.Int("subs", 0, "subscriptions expiring on one day in TestExpiryFlatMemory (default 20,000; 5,000 under -race; the issue's figure is 1,000,000)")

// seedUnpaid stores n orders awaiting payment whose payment window closed
// at payBy, in transactions of 1,000.
func seedUnpaid(tb testing.TB, st marketplace.Store, n int, payBy time.Time) []string {
	tb.Helper()
	ids := make([]string, n)
	for start := 0; start < n; start += 1000 {
		err := st.Update(context.Background(), func(tx marketplace.Tx) error {
			for i := start; i < min(start+1000, n); i++ {
				o := marketplace.Order{ID: fmt.Sprintf("o%06d", i), Number: fmt.Sprintf("CS%06d", i), Kind: marketplace.OrderNew,
					Status: marketplace.OrderPendingPayment, BuyerID: buyerID(i % 100), SellerID: "s1", ProductID: "p1",
					SpecID: "sp1", ProductName: "Firewall", SpecName: "Basic", Delivery: marketplace.DeliveryLicense,
					Mode: billing.Monthly, Duration: 1, Quantity: 1, Amount: usd("5.00"),
					Lines:         []marketplace.OrderLine{{Description: "Basic × 1 month", Amount: usd("5.00")}},
					PaymentMethod: marketplace.PayBalance, TermsAgreedAt: t0, CreatedAt: t0, PayBy: payBy,
					NextDueAt: &payBy, UpdatedAt: t0}
				if err := tx.PutOrder(&o); err != nil {
					return err
				}
				ids[i] = o.ID
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("seed unpaid orders: %v", err)
		}
	}
	return ids
}

// checkCancelledOnce checks that every order was cancelled by exactly one
// runner: it is cancelled and has exactly one cancellation event.
func checkCancelledOnce(t *testing.T, st marketplace.Store, ids []string) {
	t.Helper()
	ctx := context.Background()
	cancels := map[string]int{}
	for after := int64(0); ; {
		page, err := st.Events(ctx, after, marketplace.MaxPageSize)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if e.Type == "order.cancelled" {
				cancels[e.AggregateID]++
			}
		}
		after = page[len(page)-1].Seq
	}
	missed, twice := 0, 0
	for _, id := range ids {
		switch cancels[id] {
		case 1:
		case 0:
			missed++
		default:
			twice++
		}
	}
	pg, err := st.ListOrders(ctx, marketplace.OrderQuery{Status: marketplace.OrderCancelled, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if missed != 0 || twice != 0 || pg.Total != len(ids) || len(cancels) != len(ids) {
		t.Fatalf("%d orders: %d missed, %d processed more than once, %d cancelled, %d with events", len(ids), missed, twice, pg.Total, len(cancels))
	}
}

// TestRunnersShareDueWork runs three marketplace runners (RunDue) at once
// over one SQLite file with 10,000 orders whose payment window closed:
// every order is cancelled exactly once, none twice, none missed.
func TestRunnersShareDueWork(t *testing.T) {
	n := 10000
	if raceEnabled || testing.Short() {
		n = 2000
	}
	st := openTemp(t)
	payBy := t0.Add(time.Hour)
	ids := seedUnpaid(t, st, n, payBy)
	clock := marketplace.NewSimClock(payBy.Add(time.Minute))
	var wg sync.WaitGroup
	reports := make([]marketplace.RunReport, 3)
	errs := make([]error, 3)
	start := time.Now()
	for r := range 3 {
		svc, err := marketplace.New(st, marketplace.WithClock(clock), marketplace.WithRunner(100, time.Minute, fmt.Sprintf("runner-%d", r)))
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[r], errs[r] = svc.RunDue(context.Background())
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("runner %d: %v", r, err)
		}
	}
	claimed := 0
	for _, rep := range reports {
		claimed += rep.Claimed
		if rep.Failed != 0 {
			t.Fatalf("reports %+v: failures", reports)
		}
	}
	t.Logf("%d orders by 3 runners in %s (claimed %d/%d/%d)", n, time.Since(start).Round(time.Millisecond),
		reports[0].Claimed, reports[1].Claimed, reports[2].Claimed)
	if claimed != n {
		t.Fatalf("claimed %d items, want %d", claimed, n)
	}
	checkCancelledOnce(t, st, ids)
}

// TestExpiryFlatMemory expires subscriptions all due on one day in claimed
// batches and checks that the heap stays flat: it is bounded by the batch,
// not by the number of subscriptions. The default size keeps the test
// short; -subs=1000000 runs the full figure (several minutes).
func TestExpiryFlatMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds and expires thousands of subscriptions")
	}
	n := *subscriptions
	if n == 0 {
		n = 20000
		if raceEnabled {
			n = 5000
		}
	}
	st := openTemp(t, sqlite.WithSync(sqlite.SyncNormal))
	due := t0.Add(30 * 24 * time.Hour)
	seedDue(t, st, n, 2000, due)
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := make(chan struct{})
	peak := make(chan uint64)
	go func() {
		var max uint64
		var ms runtime.MemStats
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				peak <- max
				return
			case <-tick.C:
				runtime.ReadMemStats(&ms)
				max = maxU(max, ms.HeapInuse)
			}
		}
	}()
	start := time.Now()
	// One byte per subscription (ids are r0000000…): the test's own
	// bookkeeping stays small next to what it measures.
	seen := make([]atomic.Int32, n)
	acted, err := runDue(context.Background(), st, "expiry", due.Add(time.Hour), 1000, 16, func(id string) {
		i, err := strconv.Atoi(strings.TrimPrefix(id, "r"))
		if err != nil || i < 0 || i >= n {
			t.Errorf("unexpected id %q", id)
			return
		}
		seen[i].Add(1)
	})
	close(stop)
	max := <-peak
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	growth := int64(max) - int64(base.HeapInuse)
	t.Logf("%d subscriptions expired in %s (%.0f/s); heap in use %d MiB before, peak %d MiB", acted, el.Round(time.Millisecond),
		float64(acted)/el.Seconds(), base.HeapInuse>>20, max>>20)
	missed, twice := 0, 0
	for i := range seen {
		switch seen[i].Load() {
		case 0:
			missed++
		case 1:
		default:
			twice++
		}
	}
	if acted != n || missed != 0 || twice != 0 {
		t.Fatalf("expired %d of %d: %d missed, %d twice", acted, n, missed, twice)
	}
	// Besides the test's 4 bytes an id, the store and runner may hold a few
	// batches, whatever n is.
	if limit := int64(64<<20) + int64(n)*4; growth > limit {
		t.Fatalf("heap grew by %d MiB processing %d subscriptions (limit %d MiB): memory is not flat", growth>>20, n, limit>>20)
	}
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}
