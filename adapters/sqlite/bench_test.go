package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/marketplace"
)

// Each store benchmark sits beside its bare-SQLite baseline, on a file in
// the same directory with the same pragmas (WAL, synchronous=FULL), so the
// ratio between them is the figure to report:
//
//	go test -run '^$' -bench . -benchtime 1s ./adapters/sqlite/

// bareDB opens a bare database/sql handle with the store's pragmas and one
// table t(id INTEGER PRIMARY KEY, v TEXT).
func bareDB(b *testing.B, conns int) *sql.DB {
	b.Helper()
	db, err := sql.Open("sqlite", sqlite.DSN(filepath.Join(b.TempDir(), "bare.db"), sqlite.SyncFull, 5*time.Second, true))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(conns)
	if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0)`); err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkCommit compares placing and paying one order with the bare
// single-row INSERT commit, both with synchronous=FULL. "place-pay" goes
// through the marketplace's use cases (CreateOrder, PayOrder: three
// commits, the charge being one); "place-pay-store" is the same work as two
// store transactions (checkout, then payment with the charge), the store's
// share of it. The bare baseline for 16 clients is
// 16 goroutines sharing one connection, the usual way to write SQLite from
// many goroutines; the store groups concurrent orders into shared commits.
func BenchmarkCommit(b *testing.B) {
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("bare-insert/clients=%d", clients), func(b *testing.B) { benchBareCommits(b, clients) })
		b.Run(fmt.Sprintf("place-pay/clients=%d", clients), func(b *testing.B) {
			benchServiceOrders(b, clients, storecheck.ServicePlacePay)
		})
		b.Run(fmt.Sprintf("place-pay-store/clients=%d", clients), func(b *testing.B) {
			b.ReportAllocs()
			st := openTemp(b)
			seedBuyers(b, st, clients)
			ctx := context.Background()
			before := st.Stats()
			storecheck.Parallel(b, clients, func(c, i int) error {
				return placePay(ctx, st, buyerID(c), fmt.Sprintf("o%08d", i))
			})
			reportBatching(b, before, st.Stats())
		})
	}
}

// benchBareCommits is the bare baseline of the place-and-pay benchmarks:
// clients goroutines each committing single-row INSERTs on one connection.
func benchBareCommits(b *testing.B, clients int) {
	b.ReportAllocs()
	db := bareDB(b, 1)
	storecheck.Parallel(b, clients, func(_, i int) error { return bareInsert(db, i) })
}

// bareInsert commits row i of bareDB's table alone in a transaction.
func bareInsert(db *sql.DB, i int) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	if _, err := tx.Exec(`INSERT INTO t (id, v) VALUES (?, ?)`, i, "order"); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// benchServiceOrders places and pays orders with place (one of
// storecheck's ServicePlacePay*) through a Service on a new store, from
// clients goroutines, one buyer each, and reports the group-commit
// batching. opts configure the store.
func benchServiceOrders(b *testing.B, clients int, place func(ctx context.Context, svc *marketplace.Service, buyer, key string) error, opts ...sqlite.Option) {
	b.ReportAllocs()
	st := openTemp(b, opts...)
	svc := storecheck.ShopService(b, st, clients)
	ctx := context.Background()
	before := st.Stats()
	storecheck.Parallel(b, clients, func(c, i int) error {
		return place(ctx, svc, buyerID(c), fmt.Sprintf("k%08d", i))
	})
	reportBatching(b, before, st.Stats())
}

// benchBareBatchedUpdates is the bare baseline of the expiry benchmarks:
// b.N rows updated in transactions of batch UPDATEs; it also reports the
// process's CPU time per row (cpu-ns/op).
func benchBareBatchedUpdates(b *testing.B, batch int) {
	b.ReportAllocs()
	db := bareDB(b, 1)
	tx, _ := db.Begin()
	for i := range b.N {
		if _, err := tx.Exec(`INSERT INTO t (id, v) VALUES (?, 'active')`, i); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := processCPU()
	for start := 0; start < b.N; start += batch {
		tx, err := db.Begin()
		if err != nil {
			b.Fatal(err)
		}
		for i := start; i < min(start+batch, b.N); i++ {
			if _, err := tx.Exec(`UPDATE t SET v = 'grace', n = n + 1 WHERE id = ?`, i); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu)
}

// reportBatching reports the commits per operation and the average number
// of updates that shared a commit.
func reportBatching(b *testing.B, before, after sqlite.Stats) {
	commits, updates := after.Commits-before.Commits, after.Updates-before.Updates
	if commits > 0 {
		b.ReportMetric(float64(commits)/float64(b.N), "commits/op")
		b.ReportMetric(float64(updates)/float64(commits), "updates/commit")
	}
}

// BenchmarkPointRead compares reading one order by id through View with a
// bare primary-key SELECT of one row.
func BenchmarkPointRead(b *testing.B) {
	const n = 10000
	b.Run("bare-pk-select", func(b *testing.B) {
		b.ReportAllocs()
		db := bareDB(b, 4)
		tx, _ := db.Begin()
		for i := range n {
			if _, err := tx.Exec(`INSERT INTO t (id, v) VALUES (?, ?)`, i, "order"); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := range b.N {
			var v string
			if err := db.QueryRow(`SELECT v FROM t WHERE id = ?`, i%n).Scan(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
	// The same bare SELECT of the stored order document, decoded with
	// encoding/json as the store must: the difference between this and
	// order-by-id is the store's own overhead, the difference between
	// bare-pk-select and this is the price of JSON documents.
	b.Run("bare-pk-select-json", func(b *testing.B) {
		b.ReportAllocs()
		db := bareDB(b, 4)
		tx, _ := db.Begin()
		for i := range n {
			doc, err := json.Marshal(benchOrder(i))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := tx.Exec(`INSERT INTO t (id, v) VALUES (?, ?)`, i, doc); err != nil {
				b.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for i := range b.N {
			var doc []byte
			if err := db.QueryRow(`SELECT v FROM t WHERE id = ?`, i%n).Scan(&doc); err != nil {
				b.Fatal(err)
			}
			var o marketplace.Order
			if err := json.Unmarshal(doc, &o); err != nil {
				b.Fatal(err)
			}
		}
	})
	// order-by-id reads through the store's document cache, warmed by one
	// untimed pass over the orders: a read finds the row's version unchanged
	// and copies the decoded order instead of decoding it (the steady state
	// of orders read more than once). order-by-id-nocache turns the cache
	// off: every read decodes, the cost of an order's first read.
	for _, cached := range []bool{true, false} {
		name := "order-by-id"
		if !cached {
			name += "-nocache"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			var opts []sqlite.Option
			if !cached {
				opts = append(opts, sqlite.WithDocCache(0))
			}
			st := openTemp(b, opts...)
			seedBuyers(b, st, 1)
			ctx := context.Background()
			for i := range n / 500 {
				err := st.Update(ctx, func(tx marketplace.Tx) error {
					for j := range 500 {
						o := benchOrder(i*500 + j)
						if err := tx.PutOrder(&o); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			read := func(i int) {
				err := st.View(ctx, func(tx marketplace.ReadTx) error {
					_, err := tx.Order(fmt.Sprintf("o%08d", i%n))
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			for i := range n {
				read(i)
			}
			b.ResetTimer()
			for i := range b.N {
				read(i)
			}
		})
	}
}

func benchOrder(i int) marketplace.Order {
	o := marketplace.Order{ID: fmt.Sprintf("o%08d", i), Number: fmt.Sprintf("CS%08d", i), Kind: marketplace.OrderNew,
		Status: marketplace.OrderProcessing, BuyerID: buyerID(i % 100), SellerID: "s1", ProductID: "p1", SpecID: "sp1",
		ProductName: "Firewall", SpecName: "Basic", Delivery: marketplace.DeliverySaaS, Mode: "monthly", Duration: 1,
		Quantity: 1, Amount: usd("5.00"), Lines: []marketplace.OrderLine{{Description: "Basic × 1 month", Amount: usd("5.00")}},
		PaymentMethod: marketplace.PayBalance, TermsAgreedAt: t0, CreatedAt: t0, PayBy: t0, PaidAt: &t0, UpdatedAt: t0}
	return o
}

// BenchmarkExpiry compares the runner's expiry transitions (claim a batch
// of 500 due resources, then one update per item with its event, 16 at a
// time so that the store groups them into shared commits) with bare batched
// UPDATEs (500 rows per transaction). ns/op is per item.
func BenchmarkExpiry(b *testing.B) {
	const batch = 500
	b.Run("bare-batched-update", func(b *testing.B) { benchBareBatchedUpdates(b, batch) })
	b.Run("runner-expire", func(b *testing.B) {
		b.ReportAllocs()
		st := openTemp(b)
		storecheck.SeedDue(b, st, b.N, 1000, t0)
		b.ResetTimer()
		n, err := storecheck.RunDue(context.Background(), st, "bench", t0.Add(time.Hour), batch, 16, nil)
		if err != nil {
			b.Fatal(err)
		}
		if n != b.N {
			b.Fatalf("expired %d, want %d", n, b.N)
		}
	})
}
