package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opengallery/opengallery/marketplace"
)

func openIndexed(t *testing.T, products int, opts ...Option) *Store {
	t.Helper()
	st, err := Open(filepath.Join(t.TempDir(), "catalog.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	err = st.Update(ctx, func(tx marketplace.Tx) error {
		for i := range products {
			p := marketplace.Product{ID: fmt.Sprintf("p%d", i), SellerID: "s1", SellerName: "Seller", Name: "firewall",
				Category: "security", Delivery: marketplace.DeliverySaaS, Status: marketplace.ProductListed, CreatedAt: now, ListedAt: &now}
			if err := tx.PutProduct(&p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// The builder brings the index to the snapshot's seq; a query at that
// seq holds it, a query whose snapshot is older finds it ahead (and takes
// a new snapshot).
func TestSearchIndexAcquire(t *testing.T) {
	st := openIndexed(t, 3)
	x := st.search
	ctx := context.Background()
	if ok, err := WaitSearchIndex(ctx, st); !ok || err != nil {
		t.Fatalf("WaitSearchIndex = %v, %v", ok, err)
	}
	err := st.read(ctx, func(tx sqlTx) error {
		var v int64
		if err := tx.QueryRowContext(ctx, catalogVersionQuery).Scan(&v); err != nil {
			return err
		}
		release, ahead, err := st.acquireSearch(ctx, tx, v)
		if release == nil || err != nil {
			return fmt.Errorf("acquireSearch(%d) = %v, %d, %v; want the index", v, release != nil, ahead, err)
		}
		n, version := len(x.docs), x.version
		release()
		if n != 3 || version != v {
			return fmt.Errorf("index holds %d products at seq %d, want 3 at %d", n, version, v)
		}
		if release, ahead, err := st.acquireSearch(ctx, tx, v-1); release != nil || ahead != v || err != nil {
			return fmt.Errorf("acquireSearch(%d) = %v, %d, %v; want ahead at %d", v-1, release != nil, ahead, err, v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A catalog larger than the index's bound is searched in SQL, with the
// same answer.
func TestSearchIndexTooLargeFallsBackToSQL(t *testing.T) {
	st := openIndexed(t, 5)
	st.search.max = 4
	if ok, err := WaitSearchIndex(context.Background(), st); ok || err != nil {
		t.Fatalf("WaitSearchIndex = %v, %v; want off", ok, err)
	}
	pg, err := st.SearchProducts(context.Background(), marketplace.ProductQuery{Text: "fire", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if pg.Total != 5 || len(pg.Items) != 2 || pg.Next == "" {
		t.Fatalf("page: total %d, %d items, next %q; want 5, 2, a cursor", pg.Total, len(pg.Items), pg.Next)
	}
	x := st.search
	x.mu.RLock()
	defer x.mu.RUnlock()
	if !x.off || len(x.docs) != 0 {
		t.Fatalf("index: off %v with %d products, want off and empty", x.off, len(x.docs))
	}
}

// eachWord splits text exactly as marketplace.Words does.
func TestEachWordIsWords(t *testing.T) {
	for _, s := range []string{"", "Firewall Pro-2000, v1.2", "  UPPER lower MiXeD  ", "a_b c--d", "Déjà vu İstanbul ß",
		"x\\x00y", "123 456abc", strings.Repeat("long", 40) + " w"} {
		var got []string
		eachWord(s, func(w []byte) { got = append(got, string(w)) })
		if want := marketplace.Words(s); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Errorf("eachWord(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzEachWord(f *testing.F) {
	f.Add("Firewall Pro-2000")
	f.Add("Déjà vu")
	f.Fuzz(func(t *testing.T, s string) {
		var got []string
		eachWord(s, func(w []byte) { got = append(got, string(w)) })
		if want := marketplace.Words(s); !slices.Equal(got, want) && !(len(got) == 0 && len(want) == 0) {
			t.Fatalf("eachWord(%q) = %q, want %q", s, got, want)
		}
	})
}

// An index ahead of every new snapshot (the file went back in time, e.g. a
// backup restored under a running process) is rebuilt from the file; SQL
// answers meanwhile.
func TestSearchIndexAheadOfTheFileIsRebuilt(t *testing.T) {
	st := openIndexed(t, 3)
	ctx := context.Background()
	if ok, err := WaitSearchIndex(ctx, st); !ok || err != nil {
		t.Fatalf("WaitSearchIndex = %v, %v", ok, err)
	}
	q := marketplace.ProductQuery{Text: "fire", Limit: 10}
	x := st.search
	x.mu.Lock()
	x.version += 1000
	x.mu.Unlock()
	pg, err := st.SearchProducts(ctx, q)
	if err != nil || pg.Total != 3 || len(pg.Items) != 3 {
		t.Fatalf("search after the file went back: total %d, %d items, %v", pg.Total, len(pg.Items), err)
	}
	if ok, err := WaitSearchIndex(ctx, st); !ok || err != nil {
		t.Fatalf("WaitSearchIndex = %v, %v", ok, err)
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.version > 1000 || len(x.docs) != 3 {
		t.Fatalf("index at seq %d with %d products, want rebuilt", x.version, len(x.docs))
	}
}
