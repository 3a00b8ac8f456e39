package sqlite

// Regressions of the read path: a View that panics or whose context ends
// mid-read, the search index's freshness and build.

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/opengallery/opengallery/marketplace"
)

func openReadPath(t *testing.T, opts ...Option) *Store {
	t.Helper()
	st, err := Open(filepath.Join(t.TempDir(), "g.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func putAccount(t *testing.T, st *Store, id string) {
	t.Helper()
	err := st.Update(context.Background(), func(tx marketplace.Tx) error {
		return tx.PutAccount(&marketplace.Account{ID: id})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// truncateWAL checkpoints the WAL from another connection and reports
// whether a reader kept it from being reset.
func truncateWAL(t *testing.T, path string) (busy bool) {
	t.Helper()
	db, err := sql.Open("sqlite", DSN(path, SyncFull, 200*time.Millisecond, false))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b, log, done int
	if err := db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&b, &log, &done); err != nil {
		t.Fatal(err)
	}
	return b != 0
}

// closeStore closes st, failing (not crashing) the test if Close panics.
func closeStore(t *testing.T, st *Store) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("Close panicked: %v", p)
		}
	}()
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// rawConns is how many reader connections have statements in the cache.
func rawConns(st *Store) int {
	st.raw.mu.Lock()
	defer st.raw.mu.Unlock()
	return len(st.raw.conns)
}

// A View whose closure panics ends its read before the panic goes on: the
// snapshot is released (the WAL can be reset), the connection's statements
// are finalized, and Close works.
func TestViewPanicReleasesItsSnapshot(t *testing.T) {
	for _, first := range []string{"point read", "list"} {
		t.Run(first, func(t *testing.T) {
			st := openReadPath(t, WithReaders(2))
			putAccount(t, st, "a1")
			func() {
				defer func() {
					if p := recover(); p != "boom" {
						t.Fatalf("recovered %v, want the closure's panic", p)
					}
				}()
				st.View(context.Background(), func(tx marketplace.ReadTx) error { //nolint:errcheck // panics
					if first == "point read" {
						tx.Account("a1") //nolint:errcheck // only takes the snapshot
					} else {
						tx.SavedItems("b1") //nolint:errcheck // only takes the snapshot
					}
					panic("boom")
				})
			}()
			for i := range 20 {
				putAccount(t, st, fmt.Sprintf("x%d", i))
			}
			if truncateWAL(t, st.Path()) {
				t.Error("a reader still holds a snapshot: the WAL cannot be reset")
			}
			if n, open := rawConns(st), st.r.Stats().OpenConnections; n > open {
				t.Errorf("statements cached for %d reader connections, %d open", n, open)
			}
			if _, err := readAccount(st, "a1"); err != nil {
				t.Fatalf("View after the panic: %v", err)
			}
			closeStore(t, st)
		})
	}
}

func readAccount(st *Store, id string) (marketplace.Account, error) {
	var a marketplace.Account
	err := st.View(context.Background(), func(tx marketplace.ReadTx) (err error) {
		a, err = tx.Account(id)
		return err
	})
	return a, err
}

// A View whose context ends during a read after its first (pinned) point
// read: the interrupted connection is dropped with its statements, no
// connection leaks, later Views work and Close does too.
func TestViewCancelledMidReadDropsTheConnectionCleanly(t *testing.T) {
	for _, first := range []string{"point read", "list"} {
		t.Run(first, func(t *testing.T) {
			st := openReadPath(t, WithReaders(2))
			putAccount(t, st, "a1")
			for range 3 {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
				err := st.view(ctx, func(vt *viewTx) error {
					var err error
					if first == "point read" {
						_, err = vt.Account("a1")
					} else {
						_, err = vt.SavedItems("b1")
					}
					if err != nil {
						return err
					}
					// Runs until interrupted.
					return vt.query("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c) SELECT count(*) FROM c", nil,
						func([]driver.Value) error { return nil })
				})
				cancel()
				if err == nil {
					t.Fatal("the endless read returned nil")
				}
				if _, err := readAccount(st, "a1"); err != nil {
					t.Fatalf("View after the cancelled one: %v", err)
				}
			}
			if n, open := rawConns(st), st.r.Stats().OpenConnections; n > open {
				t.Errorf("statements cached for %d reader connections, %d open: leaked", n, open)
			}
			if truncateWAL(t, st.Path()) {
				t.Error("a reader still holds a snapshot: the WAL cannot be reset")
			}
			closeStore(t, st)
		})
	}
}

// A product row written without PutProduct (another version of the store,
// a repair script) reaches the search index: og_product_changes follows
// og_products through triggers.
func TestSearchIndexSeesProductWritesOutsidePutProduct(t *testing.T) {
	st := openIndexed(t, 3)
	ctx := context.Background()
	listed := marketplace.ProductQuery{Text: "fire", Limit: 10, Statuses: []marketplace.ProductStatus{marketplace.ProductListed}}
	if ok, err := WaitSearchIndex(ctx, st); !ok || err != nil {
		t.Fatalf("WaitSearchIndex = %v, %v", ok, err)
	}
	if pg, err := st.SearchProducts(ctx, listed); err != nil || pg.Total != 3 {
		t.Fatalf("before: total %d, %v; want 3", pg.Total, err)
	}
	db, err := sql.Open("sqlite", DSN(st.Path(), SyncFull, 5*time.Second, true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `UPDATE og_products SET status = 'delisted', version = version + 1,
		doc = json_set(doc, '$.status', 'delisted', '$.version', version + 1) WHERE id = 'p1'`); err != nil {
		t.Fatal(err)
	}
	pg, err := st.SearchProducts(ctx, listed)
	if err != nil {
		t.Fatal(err)
	}
	if pg.Total != 2 || len(pg.Items) != 2 {
		t.Fatalf("after delisting p1 outside PutProduct: total %d, %d items; want 2", pg.Total, len(pg.Items))
	}
	for _, p := range pg.Items {
		if p.ID == "p1" {
			t.Fatalf("the delisted product is still found: %+v", p)
		}
	}
	st.search.mu.RLock()
	v := st.search.version
	st.search.mu.RUnlock()
	if v < 0 {
		t.Fatal("the index did not answer")
	}
}

// A text search whose deadline is shorter than the index build does not
// cancel the build: the search is answered in SQL meanwhile and the index
// is built in the background, detached from the request.
func TestSearchIndexBuildOutlivesTheRequest(t *testing.T) {
	n := 20_000
	if raceDetector {
		n = 5_000
	}
	st := openIndexed(t, n)
	// Long enough to reach the index, shorter than building it (about
	// 10 µs a product, 10 times that under -race).
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	pg, err := st.SearchProducts(ctx, marketplace.ProductQuery{Text: "fire", Limit: 1})
	cancel()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("search: %v", err)
	}
	if err == nil && pg.Total != n {
		t.Fatalf("search: total %d, want %d", pg.Total, n)
	}
	waitSearchBuilt(t, st)
	pg, err = st.SearchProducts(context.Background(), marketplace.ProductQuery{Text: "fire", Limit: 1})
	if err != nil || pg.Total != n {
		t.Fatalf("search: total %d, %v; want %d", pg.Total, err, n)
	}
}

// A text query whose context has ended before it reads anything still
// starts the index's first build (the query fails with ctx's error).
func TestSearchIndexBuildStartsWithAQueryCancelledEarly(t *testing.T) {
	st := openIndexed(t, 100)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := st.SearchProducts(ctx, marketplace.ProductQuery{Text: "fire", Limit: 1}); !errors.Is(err, context.Canceled) {
		t.Fatalf("search: %v, want %v", err, context.Canceled)
	}
	waitSearchBuilt(t, st)
}

// waitSearchBuilt waits (30 s at most) until st's search index has been
// built.
func waitSearchBuilt(t *testing.T, st *Store) {
	t.Helper()
	x := st.search
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		x.mu.RLock()
		v := x.version
		x.mu.RUnlock()
		if v >= 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the index was never built")
		}
	}
}

// Words that no product has any more (a product edited again and again)
// are garbage: past the threshold the index is rebuilt without them, and
// until then the new words are found (the vocabulary stays sorted).
func TestSearchIndexDropsWordsNoProductHas(t *testing.T) {
	st := openIndexed(t, 3)
	ctx := context.Background()
	if ok, err := WaitSearchIndex(ctx, st); !ok || err != nil {
		t.Fatalf("WaitSearchIndex = %v, %v", ok, err)
	}
	x := st.search
	x.mu.Lock()
	x.minGarb = 8
	x.mu.Unlock()
	const edits = 60
	for i := range edits {
		err := st.Update(ctx, func(tx marketplace.Tx) error {
			p, err := tx.Product("p0")
			if err != nil {
				return err
			}
			p.Name = fmt.Sprintf("firewall edition%d", i)
			return tx.PutProduct(&p)
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range []struct {
			text string
			want int
		}{{fmt.Sprintf("edition%d", i), 1}, {"fire", 3}} {
			pg, err := st.SearchProducts(ctx, marketplace.ProductQuery{Text: q.text, Limit: 5})
			if err != nil || pg.Total != q.want {
				t.Fatalf("edit %d: search %q: total %d, %v; want %d", i, q.text, pg.Total, err, q.want)
			}
		}
	}
	if ok, err := WaitSearchIndex(ctx, st); !ok || err != nil {
		t.Fatalf("WaitSearchIndex = %v, %v", ok, err)
	}
	x.mu.RLock()
	words, garbage := len(x.words), x.garbage
	x.mu.RUnlock()
	if words > 3+edits/4 {
		t.Fatalf("the index keeps %d words (%d garbage) after %d edits of one product", words, garbage, edits)
	}
}

// Searches racing a stream of product writes (inline catch-ups, the
// builder, an index ahead of a snapshot now and then because another
// search moved it on) all answer right, and the index is never thrown
// away for it (only a snapshot older than an index seen ahead before
// resets it).
func TestSearchIndexUnderConcurrentWrites(t *testing.T) {
	st := openIndexed(t, 50)
	ctx := context.Background()
	if ok, err := WaitSearchIndex(ctx, st); !ok || err != nil {
		t.Fatalf("WaitSearchIndex = %v, %v", ok, err)
	}
	x := st.search
	stop := make(chan struct{})
	errs := make(chan error, 4)
	go func() { // writer
		for i := 0; ; i++ {
			select {
			case <-stop:
				errs <- nil
				return
			default:
			}
			err := st.Update(ctx, func(tx marketplace.Tx) error {
				p, err := tx.Product(fmt.Sprintf("p%d", i%50))
				if err != nil {
					return err
				}
				p.Description = fmt.Sprintf("rev%d", i)
				return tx.PutProduct(&p)
			})
			if err != nil {
				errs <- err
				return
			}
		}
	}()
	for range 2 { // searchers
		go func() {
			for {
				select {
				case <-stop:
					errs <- nil
					return
				default:
				}
				pg, err := st.SearchProducts(ctx, marketplace.ProductQuery{Text: "fire", Limit: 3})
				if err == nil && pg.Total != 50 {
					err = fmt.Errorf("total %d, want 50", pg.Total)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	reset := false
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Microsecond) {
		x.mu.RLock()
		reset = reset || x.version < 0
		x.mu.RUnlock()
	}
	close(stop)
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if reset {
		t.Fatal("the index was reset under ordinary concurrency")
	}
}

// A PutProduct that fails after writing the product's row (here its tags)
// leaves nothing written: on the writer, the Put fails and nothing is kept
// even when the closure ignores the error and commits; optimistically, the
// Put is buffered and the Update fails at commit.
func TestFailedPutProductLeavesNothing(t *testing.T) {
	for _, optimistic := range []bool{false, true} {
		t.Run(fmt.Sprintf("optimistic=%v", optimistic), func(t *testing.T) {
			mode := WithOptimisticUpdates(false)
			if optimistic {
				mode = AlwaysOptimistic()
			}
			st := openIndexed(t, 1, mode)
			ctx := context.Background()
			db, err := sql.Open("sqlite", DSN(st.Path(), SyncFull, 5*time.Second, true))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.ExecContext(ctx, `CREATE TRIGGER test_fail_tag BEFORE INSERT ON og_product_tags
				WHEN new.tag = 'os:Fail' BEGIN SELECT RAISE(ABORT, 'test: tag refused'); END`); err != nil {
				t.Fatal(err)
			}
			var putErr error
			err = st.Update(ctx, func(tx marketplace.Tx) error {
				p, err := tx.Product("p0")
				if err != nil {
					return err
				}
				p.Name, p.OperatingSystems = "renamed", []string{"Fail"}
				putErr = tx.PutProduct(&p)
				return nil // ignores it
			})
			if putFails := !optimistic; (putErr != nil) != putFails || (err != nil) == putFails {
				t.Fatalf("Update = %v, PutProduct = %v; want an error from %s", err, putErr,
					map[bool]string{false: "PutProduct", true: "Update"}[optimistic])
			}
			err = st.View(ctx, func(tx marketplace.ReadTx) error {
				p, err := tx.Product("p0")
				if err == nil && (p.Name != "firewall" || p.Version != 1) {
					err = fmt.Errorf("stored product %q version %d, want the first one", p.Name, p.Version)
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			pg, err := st.SearchProducts(ctx, marketplace.ProductQuery{Text: "renamed", Limit: 1})
			if err != nil || pg.Total != 0 {
				t.Fatalf("search for the refused name: total %d, %v", pg.Total, err)
			}
		})
	}
}
