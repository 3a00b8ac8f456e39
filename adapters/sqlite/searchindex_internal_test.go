package sqlite

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opengallery/opengallery/marketplace"
)

func openIndexed(t *testing.T, products int) *Store {
	t.Helper()
	st, err := Open(filepath.Join(t.TempDir(), "catalog.db"))
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

// catchUp at the snapshot's seq builds the index; a snapshot older than
// the index gets errSnapshotBehind (the query then takes a new snapshot).
func TestSearchIndexCatchUp(t *testing.T) {
	st := openIndexed(t, 3)
	x := st.raw.search
	ctx := context.Background()
	err := st.read(ctx, func(tx sqlTx) error {
		var v int64
		if err := tx.QueryRowContext(ctx, catalogVersionQuery).Scan(&v); err != nil {
			return err
		}
		if ok, err := x.catchUp(ctx, tx, v); !ok || err != nil {
			return fmt.Errorf("catchUp(%d) = %v, %v; want true, nil", v, ok, err)
		}
		if len(x.docs) != 3 || x.version != v {
			return fmt.Errorf("index holds %d products at seq %d, want 3 at %d", len(x.docs), x.version, v)
		}
		if ok, err := x.catchUp(ctx, tx, v-1); ok || !errors.Is(err, errSnapshotBehind) {
			return fmt.Errorf("catchUp(%d) = %v, %v; want errSnapshotBehind", v-1, ok, err)
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
	st.raw.search.max = 4
	pg, err := st.SearchProducts(context.Background(), marketplace.ProductQuery{Text: "fire", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if pg.Total != 5 || len(pg.Items) != 2 || pg.Next == "" {
		t.Fatalf("page: total %d, %d items, next %q; want 5, 2, a cursor", pg.Total, len(pg.Items), pg.Next)
	}
	if x := st.raw.search; !x.off || len(x.docs) != 0 {
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
// backup restored under a running process) is rebuilt from the file.
func TestSearchIndexAheadOfTheFileIsRebuilt(t *testing.T) {
	st := openIndexed(t, 3)
	ctx := context.Background()
	q := marketplace.ProductQuery{Text: "fire", Limit: 10}
	if pg, err := st.SearchProducts(ctx, q); err != nil || pg.Total != 3 {
		t.Fatalf("first search: total %d, %v", pg.Total, err)
	}
	x := st.raw.search
	x.mu.Lock()
	x.version += 1000
	x.mu.Unlock()
	pg, err := st.SearchProducts(ctx, q)
	if err != nil || pg.Total != 3 || len(pg.Items) != 3 {
		t.Fatalf("search after the file went back: total %d, %d items, %v", pg.Total, len(pg.Items), err)
	}
	if x.version > 1000 {
		t.Fatalf("index still at seq %d", x.version)
	}
}
