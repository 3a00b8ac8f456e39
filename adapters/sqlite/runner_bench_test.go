package sqlite_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/marketplace"
)

// BenchmarkRunnerExpiry compares the marketplace runner's expiry
// transitions (Service.RunDue moving due resources from active to grace,
// each with its event, claimed and applied 500 to a transaction:
// WithRunner and WithRunnerTxBatch) with bare batched UPDATEs (500 rows
// per transaction), both with synchronous=FULL. ns/op is per item, and
// cpu-ns/op the process's CPU time per item:
//
//	go test -run '^$' -bench RunnerExpiry -benchtime 1s ./adapters/sqlite/
func BenchmarkRunnerExpiry(b *testing.B) {
	const batch = 500
	b.Run("bare-batched-update", func(b *testing.B) { benchBareBatchedUpdates(b, batch) })
	// service-rundue claims the resources in the transactions that move
	// them (the store's Tx is a marketplace.DueResourceTx);
	// service-rundue-claimdue hides that, so the runner claims them first
	// with ClaimDue (a lease written on each), then reads and moves them,
	// as it does with a store that cannot claim in a transaction.
	// service-rundue-moved runs each transaction's closure optimistically
	// first, as under load, so that DueResources moves it onto the writer.
	for _, tc := range []struct {
		name  string
		store func(st *sqlite.Store) marketplace.Store
		opts  []sqlite.Option
	}{
		{"service-rundue", func(st *sqlite.Store) marketplace.Store { return st }, nil},
		{"service-rundue-moved", func(st *sqlite.Store) marketplace.Store { return st }, []sqlite.Option{sqlite.AlwaysOptimistic()}},
		{"service-rundue-claimdue", func(st *sqlite.Store) marketplace.Store { return claimDueOnly{st} }, nil},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			st := openTemp(b, tc.opts...)
			expiry := storecheck.SeedSubscriptions(b, st, b.N, 1000)
			clock := marketplace.NewSimClock(expiry.Add(time.Hour))
			svc, err := marketplace.New(tc.store(st), marketplace.WithClock(clock), marketplace.WithRunner(batch, time.Minute, "bench"),
				marketplace.WithRunnerTxBatch(batch), marketplace.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				b.Fatal(err)
			}
			before := st.Stats()
			b.ResetTimer()
			cpu := processCPU()
			rep, err := svc.RunDue(context.Background())
			reportCPU(b, cpu)
			b.StopTimer()
			if err != nil {
				b.Fatal(err)
			}
			if rep.Claimed != b.N || rep.Failed != 0 {
				b.Fatalf("report %+v, want %d claimed", rep, b.N)
			}
			reportBatching(b, before, st.Stats())
			err = st.View(context.Background(), func(tx marketplace.ReadTx) error {
				r, err := tx.Resource(fmt.Sprintf("r%07d", b.N-1))
				if err == nil && r.Status != marketplace.ResourceGrace {
					err = fmt.Errorf("resource %s is %s, want grace", r.ID, r.Status)
				}
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		})
	}
}

// reportCPU reports the process's CPU time per op since since (a
// processCPU reading): on a machine shared with other work it varies less
// than the wall time of ns/op. Where processCPU cannot tell, it reports
// nothing.
func reportCPU(b *testing.B, since time.Duration) {
	if now := processCPU(); now > 0 {
		b.ReportMetric(float64(now-since)/float64(b.N), "cpu-ns/op")
	}
}

// claimDueOnly is a store whose Tx is not a marketplace.DueResourceTx.
type claimDueOnly struct{ *sqlite.Store }

func (c claimDueOnly) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	return c.Store.Update(ctx, func(tx marketplace.Tx) error { return fn(struct{ marketplace.Tx }{tx}) })
}
