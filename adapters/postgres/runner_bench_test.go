package postgres_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// BenchmarkRunnerExpiry compares the marketplace runner's expiry
// transitions (Service.RunDue moving due resources from active to grace,
// each with its event), claimed 500 at a time and applied 64 (the
// default) or 500 to a transaction, with bare batched UPDATEs (500 rows
// per transaction, sent as one pgx.Batch). ns/op is per item:
//
//	OPENGALLERY_TEST_POSTGRES_DSN=postgres://… go test -run '^$' -bench RunnerExpiry -benchtime 1s ./adapters/postgres/
func BenchmarkRunnerExpiry(b *testing.B) {
	const batch = 500
	b.Run("bare-batched-update", func(b *testing.B) { benchBareBatchedUpdates(b, batch) })
	for _, txBatch := range []int{64, batch} {
		b.Run(fmt.Sprintf("service-rundue/tx=%d", txBatch), func(b *testing.B) { benchRunDue(b, batch, txBatch) })
	}
}

// benchRunDue times Service.RunDue moving b.N due resources to grace,
// claiming batch at a time (WithRunner) and txBatch to a transaction
// (WithRunnerTxBatch).
func benchRunDue(b *testing.B, batch, txBatch int) {
	ctx := context.Background()
	b.ReportAllocs()
	st := openTemp(b)
	term, err := billing.NewTerm(billing.DefaultConfig(), t0.AddDate(0, -1, 0), billing.Monthly, 1)
	if err != nil {
		b.Fatal(err)
	}
	for start := 0; start < b.N; start += 1000 {
		err := st.Update(ctx, func(tx marketplace.Tx) error {
			for i := start; i < min(start+1000, b.N); i++ {
				r := storecheck.DueResource(i, term.Expiry)
				r.Term = &term
				if err := tx.PutResource(&r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	clock := marketplace.NewSimClock(term.Expiry.Add(time.Hour))
	svc, err := marketplace.New(st, marketplace.WithClock(clock), marketplace.WithRunner(batch, time.Minute, "bench"),
		marketplace.WithRunnerTxBatch(txBatch), marketplace.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	rep, err := svc.RunDue(ctx)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	if rep.Claimed != b.N || rep.Failed != 0 {
		b.Fatalf("report %+v, want %d claimed", rep, b.N)
	}
	err = st.View(ctx, func(tx marketplace.ReadTx) error {
		r, err := tx.Resource(fmt.Sprintf("r%07d", b.N-1))
		if err == nil && r.Status != marketplace.ResourceGrace {
			err = fmt.Errorf("resource %s is %s, want grace", r.ID, r.Status)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
}

// benchBareBatchedUpdates is the bare baseline of the expiry benchmarks:
// b.N rows updated in transactions of batch UPDATEs, each transaction's
// statements sent as one pgx.Batch.
func benchBareBatchedUpdates(b *testing.B, batch int) {
	b.ReportAllocs()
	ctx := context.Background()
	pool := barePool(b, 1)
	if _, err := pool.Exec(ctx, `INSERT INTO t (id, v) SELECT g, 'active' FROM generate_series(0, $1) g`, b.N); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for start := 0; start < b.N; start += batch {
		err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
			bt := &pgx.Batch{}
			for i := start; i < min(start+batch, b.N); i++ {
				bt.Queue(`UPDATE t SET v = 'grace', n = n + 1 WHERE id = $1`, i)
			}
			return tx.SendBatch(ctx, bt).Close()
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
