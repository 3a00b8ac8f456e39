package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/adapters/postgres"
	"github.com/opengallery/opengallery/marketplace"
)

// Each store benchmark sits beside its bare-PostgreSQL baseline on the same
// server, so the ratio between them is the figure to report:
//
//	OPENGALLERY_TEST_POSTGRES_DSN=postgres://… go test -run '^$' -bench . -benchtime 1s ./adapters/postgres/

// barePool returns a pool of conns connections on a fresh schema holding
// one table t(id bigint primary key, v text, n int).
func barePool(b *testing.B, conns int) *pgxpool.Pool {
	b.Helper()
	st := openTemp(b)
	ctx := context.Background()
	cfg, err := pgxpool.ParseConfig(testDSN(b))
	if err != nil {
		b.Fatal(err)
	}
	cfg.MaxConns = int32(conns)
	cfg.ConnConfig.RuntimeParams["search_path"] = st.Schema()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	if _, err := pool.Exec(ctx, `CREATE TABLE t (id bigint PRIMARY KEY, v text NOT NULL, n int NOT NULL DEFAULT 0)`); err != nil {
		b.Fatal(err)
	}
	return pool
}

// BenchmarkCommit compares placing and paying one order through the
// marketplace's use cases with the bare single-row INSERT commit, 1 and 8
// clients, each side with a pool of one connection per client.
func BenchmarkCommit(b *testing.B) {
	for _, clients := range []int{1, 8} {
		b.Run(fmt.Sprintf("bare-insert/clients=%d", clients), func(b *testing.B) {
			b.ReportAllocs()
			pool := barePool(b, clients)
			ctx := context.Background()
			storecheck.Parallel(b, clients, func(_, i int) error {
				_, err := pool.Exec(ctx, `INSERT INTO t (id, v) VALUES ($1, $2)`, i, "order")
				return err
			})
		})
		b.Run(fmt.Sprintf("place-pay/clients=%d", clients), func(b *testing.B) {
			benchServiceOrders(b, clients, storecheck.ServicePlacePay)
		})
		// The same order placed and paid in one call (CreateOrderInput.PayNow
		// with the built-in balance payments: one store transaction), as the
		// SQLite benchmark PlacePayNow does.
		b.Run(fmt.Sprintf("place-pay-now/clients=%d", clients), func(b *testing.B) {
			benchServiceOrders(b, clients, storecheck.ServicePlacePayNow)
		})
	}
}

// BenchmarkCommitPaired measures the 8-client place-and-pay target's ratio
// with the two sides taking turns (storecheck.Paired): storecheck.PairedTurn
// bare single-row INSERT commits a client (bare-insert above), then as many
// placed and paid orders a client (place-pay-now), and so on, each side on
// its own pool of one connection per client. Measured one after the other,
// the two sides see different moments of this machine's fsync latency and
// CPU load:
//
//	OPENGALLERY_TEST_POSTGRES_DSN=postgres://… go test -run '^$' -bench CommitPaired -benchtime 8000x ./adapters/postgres/
func BenchmarkCommitPaired(b *testing.B) {
	const clients = 8
	pool := barePool(b, clients)
	st := withPool(b, openTemp(b), clients)
	svc := storecheck.ShopService(b, st, clients)
	ctx := context.Background()
	storecheck.Paired(b, clients, func(_, i int) error {
		_, err := pool.Exec(ctx, `INSERT INTO t (id, v) VALUES ($1, $2)`, i, "order")
		return err
	}, func(c, i int) error {
		return storecheck.ServicePlacePayNow(ctx, svc, buyerID(c), fmt.Sprintf("k%08d", i))
	})
}

// benchServiceOrders places and pays orders with place (one of
// storecheck's ServicePlacePay*) through a Service on a new store with a
// pool of one connection per client, from clients goroutines, one buyer
// each.
func benchServiceOrders(b *testing.B, clients int, place func(ctx context.Context, svc *marketplace.Service, buyer, key string) error) {
	b.ReportAllocs()
	st := withPool(b, openTemp(b), clients) // as many connections as the bare case
	svc := storecheck.ShopService(b, st, clients)
	ctx := context.Background()
	storecheck.Parallel(b, clients, func(c, i int) error {
		return place(ctx, svc, buyerID(c), fmt.Sprintf("k%08d", i))
	})
}

// BenchmarkEventWrite isolates the event sequencer: 8 clients each run
// transactions that read their account, append an event and write the
// account back (three statements and a commit, as a marketplace use case
// appends its event before its last writes), with the events numbered at commit (the
// default) and at AppendEvent (WithEagerSequence, the sequencer locked for
// the rest of the transaction), beside the bare 8-client single-row commit.
func BenchmarkEventWrite(b *testing.B) {
	const clients = 8
	b.Run("bare-insert", func(b *testing.B) {
		b.ReportAllocs()
		pool := barePool(b, clients)
		ctx := context.Background()
		storecheck.Parallel(b, clients, func(_, i int) error {
			_, err := pool.Exec(ctx, `INSERT INTO t (id, v) VALUES ($1, $2)`, i, "order")
			return err
		})
	})
	for _, c := range []struct {
		name string
		opts []postgres.Option
	}{{"at-commit", nil}, {"eager", []postgres.Option{postgres.WithEagerSequence()}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			st := withPool(b, openTemp(b), clients, c.opts...)
			buyers := make([]string, clients)
			for i := range buyers {
				buyers[i] = buyerID(i)
			}
			storecheck.SeedShop(b, st, buyers...)
			ctx := context.Background()
			storecheck.Parallel(b, clients, func(cl, i int) error {
				return st.Update(ctx, func(tx marketplace.Tx) error {
					a, err := tx.Account(buyerID(cl))
					if err != nil {
						return err
					}
					if err := tx.AppendEvent(&marketplace.Event{At: time.Unix(int64(i), 0), Kind: marketplace.KindAccount,
						AggregateID: a.ID, Type: "account.touched"}); err != nil {
						return err
					}
					return tx.PutAccount(&a)
				})
			})
		})
	}
}

// BenchmarkPointRead compares reading one order by id through View with a
// bare primary-key SELECT of one row: each alone, and interleaved.
func BenchmarkPointRead(b *testing.B) {
	const n = 10000
	ctx := context.Background()
	b.Run("bare-pk-select", func(b *testing.B) {
		b.ReportAllocs()
		pool := barePool(b, 4)
		if _, err := pool.Exec(ctx, `INSERT INTO t (id, v) SELECT g, 'order' FROM generate_series(0, $1) g`, n); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := range b.N {
			var v string
			if err := pool.QueryRow(ctx, `SELECT v FROM t WHERE id = $1`, i%n).Scan(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("order-by-id", func(b *testing.B) {
		b.ReportAllocs()
		st := openTemp(b)
		storecheck.SeedUnpaid(b, st, n, t0)
		b.ResetTimer()
		for i := range b.N {
			err := st.View(ctx, func(tx marketplace.ReadTx) error {
				_, err := tx.Order(fmt.Sprintf("o%06d", i%n))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	// interleaved alternates the two, one bare SELECT then one View, and
	// reports each one's mean time and the ratio: on a shared machine the
	// load changes between the runs of the two cases above, not between
	// two neighbouring reads.
	b.Run("interleaved", func(b *testing.B) {
		pool := barePool(b, 4)
		if _, err := pool.Exec(ctx, `INSERT INTO t (id, v) SELECT g, 'order' FROM generate_series(0, $1) g`, n); err != nil {
			b.Fatal(err)
		}
		st := openTemp(b)
		storecheck.SeedUnpaid(b, st, n, t0)
		var bare, store time.Duration
		b.ResetTimer()
		for i := range b.N {
			start := time.Now()
			var v string
			if err := pool.QueryRow(ctx, `SELECT v FROM t WHERE id = $1`, i%n).Scan(&v); err != nil {
				b.Fatal(err)
			}
			mid := time.Now()
			err := st.View(ctx, func(tx marketplace.ReadTx) error {
				_, err := tx.Order(fmt.Sprintf("o%06d", i%n))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
			bare, store = bare+mid.Sub(start), store+time.Since(mid)
		}
		b.ReportMetric(float64(bare.Nanoseconds())/float64(b.N), "bare-ns/read")
		b.ReportMetric(float64(store.Nanoseconds())/float64(b.N), "store-ns/read")
		b.ReportMetric(100*float64(bare)/float64(store), "bare/store-%")
	})
}

// BenchmarkExpiry compares the runner's expiry transitions (claim a batch
// of 500 due resources, then one update per item with its event, 8 at a
// time) with bare batched UPDATEs (500 rows per transaction, sent as one
// pgx.Batch). ns/op is per item.
func BenchmarkExpiry(b *testing.B) {
	const batch = 500
	ctx := context.Background()
	b.Run("bare-batched-update", func(b *testing.B) { benchBareBatchedUpdates(b, batch) })
	b.Run("runner-expire", func(b *testing.B) {
		b.ReportAllocs()
		st := openTemp(b)
		storecheck.SeedDue(b, st, b.N, 1000, t0)
		b.ResetTimer()
		n, err := storecheck.RunDue(ctx, st, "bench", t0.Add(time.Hour), batch, 8, nil)
		if err != nil {
			b.Fatal(err)
		}
		if n != b.N {
			b.Fatalf("expired %d, want %d", n, b.N)
		}
	})
}
