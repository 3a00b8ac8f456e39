package sqlite_test

import (
	"context"
	"flag"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/marketplace"
)

var subscriptions = flag.Int("subs", 0, "subscriptions expiring on one day in TestExpiryFlatMemory (default 20,000; 5,000 under -race; the issue's figure is 1,000,000)")

// TestRunnersShareDueWork runs three marketplace runners (RunDue) at once
// over one SQLite file with 10,000 orders whose payment window closed:
// every order is cancelled exactly once, none twice, none missed.
func TestRunnersShareDueWork(t *testing.T) {
	n := 10000
	if raceEnabled || testing.Short() {
		n = 2000
	}
	inModes(t, func(t *testing.T, mode sqlite.Option) {
		st := openTemp(t, mode)
		storecheck.RunnersShareDueWork(t, st, n, func(int) marketplace.Store { return st })
	})
}

// TestExpiryFlatMemory expires subscriptions all due on one day in claimed
// batches and checks that the heap stays flat: it is bounded by the batch,
// not by the number of subscriptions. The default size keeps the test
// short; -subs=1000000 runs the full figure (several minutes).
func TestExpiryFlatMemory(t *testing.T) {
	n := flatMemorySubscriptions(t)
	st := openTemp(t, sqlite.WithSync(sqlite.SyncNormal))
	due := t0.Add(30 * 24 * time.Hour)
	storecheck.SeedDue(t, st, n, 2000, due)
	// One byte per subscription (ids are r0000000…): the test's own
	// bookkeeping stays small next to what it measures.
	seen := make([]atomic.Int32, n)
	var acted int
	var err error
	checkFlat(t, n, func() {
		acted, err = storecheck.RunDue(context.Background(), st, "expiry", due.Add(time.Hour), 1000, 16, func(id string) {
			i, err := strconv.Atoi(strings.TrimPrefix(id, "r"))
			if err != nil || i < 0 || i >= n {
				t.Errorf("unexpected id %q", id)
				return
			}
			seen[i].Add(1)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
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
}

// TestServiceExpiryFlatMemory is TestExpiryFlatMemory through the
// marketplace runner itself (Service.RunDue, which claims the resources in
// the transactions that move them to grace): its heap is bounded by its
// batch too.
func TestServiceExpiryFlatMemory(t *testing.T) {
	n := flatMemorySubscriptions(t)
	st := openTemp(t, sqlite.WithSync(sqlite.SyncNormal))
	expiry := storecheck.SeedSubscriptions(t, st, n, 2000)
	svc, err := marketplace.New(st, marketplace.WithClock(marketplace.NewSimClock(expiry.Add(time.Hour))),
		marketplace.WithRunner(1000, time.Minute, "expiry"), marketplace.WithRunnerTxBatch(1000))
	if err != nil {
		t.Fatal(err)
	}
	var rep marketplace.RunReport
	checkFlat(t, n, func() { rep, err = svc.RunDue(context.Background()) })
	if err != nil {
		t.Fatal(err)
	}
	grace, err := st.ListResources(context.Background(), marketplace.ResourceQuery{Status: marketplace.ResourceGrace, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Claimed != n || rep.Failed != 0 || grace.Total != n {
		t.Fatalf("report %+v, %d in grace; want %d claimed and in grace", rep, grace.Total, n)
	}
}

// flatMemorySubscriptions is how many subscriptions the flat-memory tests
// expire (-subs, else a size that keeps them short); it skips them under
// -short.
func flatMemorySubscriptions(t *testing.T) int {
	if testing.Short() {
		t.Skip("seeds and expires thousands of subscriptions")
	}
	if *subscriptions != 0 {
		return *subscriptions
	}
	if raceEnabled {
		return 5000
	}
	return 20000
}

// checkFlat runs expire, which expires n subscriptions, sampling the heap,
// and fails the test if the heap grew by more than a few batches plus the
// test's own 4 bytes per subscription.
func checkFlat(t *testing.T, n int, expire func()) {
	t.Helper()
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
	expire()
	close(stop)
	max := <-peak
	el := time.Since(start)
	growth := int64(max) - int64(base.HeapInuse)
	t.Logf("%d subscriptions expired in %s (%.0f/s); heap in use %d MiB before, peak %d MiB", n, el.Round(time.Millisecond),
		float64(n)/el.Seconds(), base.HeapInuse>>20, max>>20)
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

func TestDueResourceTx(t *testing.T) {
	inModes(t, func(t *testing.T, mode sqlite.Option) {
		storecheck.DueResourceTx(t, func(t *testing.T) marketplace.Store { return openTemp(t, mode) })
	})
}

// TestRunnersShareDueResources runs three marketplace runners at once over
// one SQLite file with 10,000 expired subscriptions, which they claim in
// the transactions that move them to grace: every one moves exactly once.
func TestRunnersShareDueResources(t *testing.T) {
	n := 10000
	if raceEnabled || testing.Short() {
		n = 2000
	}
	inModes(t, func(t *testing.T, mode sqlite.Option) {
		st := openTemp(t, mode)
		storecheck.RunnersShareDueResources(t, st, n, func(int) marketplace.Store { return st })
	})
}

// TestRunnerTxInFlight runs one marketplace runner with four due-resource
// transactions in flight at once (WithRunnerTxInFlight; the writer runs
// them in turn) on 2,000 expired subscriptions: every one moves to grace
// exactly once; one that cannot be written fails alone.
func TestRunnerTxInFlight(t *testing.T) {
	for _, tc := range []struct{ name, poison string }{
		{"every item once", ""},
		{"a failing item fails alone", storecheck.DueResource(1000, storecheck.T0).ID},
	} {
		t.Run(tc.name, func(t *testing.T) { storecheck.RunnerTxInFlight(t, openTemp(t), 2000, 64, 4, tc.poison) })
	}
}
