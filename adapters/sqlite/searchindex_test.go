package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/adapters/storetest"
	"github.com/opengallery/opengallery/marketplace"
)

// The conformance suite on the SQL search path (FTS5), which the in-memory
// index replaces for text queries unless the catalog is too large, and
// without the document cache.
func TestStoreWithoutSearchIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the conformance suite runs once, in TestStore")
	}
	storetest.Run(t, func(t *testing.T) marketplace.Store {
		return openTemp(t, sqlite.WithSearchIndex(0), sqlite.WithDocCache(0))
	})
}

// The cache and index sizes are validated like the other options.
func TestOpenRejectsNegativeSizes(t *testing.T) {
	for _, opt := range []sqlite.Option{sqlite.WithDocCache(-1), sqlite.WithSearchIndex(-1)} {
		st, err := sqlite.Open(t.TempDir()+"/g.db", opt)
		if !errors.Is(err, sqlite.ErrInvalidOption) {
			if st != nil {
				st.Close()
			}
			t.Fatalf("Open = %v, want ErrInvalidOption", err)
		}
	}
}

func putProducts(t *testing.T, st *sqlite.Store, ps []marketplace.Product) {
	t.Helper()
	err := st.Update(context.Background(), func(tx marketplace.Tx) error {
		for i := range ps {
			if err := tx.PutProduct(&ps[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("put products: %v", err)
	}
}

// searchAll follows q's cursors to the end and returns the ids of every
// page, and each page's total.
func searchAll(t *testing.T, st *sqlite.Store, q marketplace.ProductQuery) (pages [][]string, totals []int) {
	t.Helper()
	for {
		pg, err := st.SearchProducts(context.Background(), q)
		if err != nil {
			t.Fatalf("SearchProducts(%+v): %v", q, err)
		}
		ids := []string{}
		for _, p := range pg.Items {
			ids = append(ids, fmt.Sprintf("%s@%d", p.ID, p.Version))
		}
		pages, totals = append(pages, ids), append(totals, pg.Total)
		if pg.Next == "" || len(pages) == 5 {
			return pages, totals
		}
		q.Cursor = pg.Next
	}
}

// The index answers every text query as the SQL path does (same pages,
// totals and cursors), also after another Store on the file (another
// process) has changed products: new ones, renamed ones, status changes.
func TestSearchIndexAgreesWithSQL(t *testing.T) {
	indexed := openTemp(t)
	other := openFile(t, indexed.Path())
	bySQL := openFile(t, indexed.Path(), sqlite.WithSearchIndex(0))
	const n = 1500
	ps := make([]marketplace.Product, n)
	for i := range ps {
		ps[i] = catalogProduct(i)
	}
	putProducts(t, indexed, ps)
	waitIndex := func() {
		t.Helper()
		if ok, err := sqlite.WaitSearchIndex(context.Background(), indexed); !ok || err != nil {
			t.Fatalf("WaitSearchIndex = %v, %v", ok, err)
		}
	}
	waitIndex()
	r := rand.New(rand.NewPCG(3, 4))
	query := func() marketplace.ProductQuery {
		w := words[r.IntN(len(words))]
		q := marketplace.ProductQuery{Text: w[:1+r.IntN(len(w))], Limit: 1 + r.IntN(30)}
		if r.IntN(4) == 0 {
			w2 := words[r.IntN(len(words))]
			q.Text += " " + w2[:1+r.IntN(3)]
		}
		if r.IntN(2) == 0 {
			q.Category = benchCategories[r.IntN(len(benchCategories))]
		}
		if r.IntN(2) == 0 {
			q.OS = []string{"Linux", "Windows", "Android", "Plan9"}[r.IntN(4)]
		}
		if r.IntN(3) == 0 {
			q.Delivery = benchDelivery[r.IntN(len(benchDelivery))]
		}
		if r.IntN(5) == 0 {
			q.SellerID = fmt.Sprintf("s%03d", r.IntN(500))
		}
		switch r.IntN(3) {
		case 0:
			q.Statuses = []marketplace.ProductStatus{marketplace.ProductListed}
		case 1:
			q.Statuses = []marketplace.ProductStatus{marketplace.ProductListed, marketplace.ProductDraft}
		}
		if r.IntN(2) == 0 {
			q.Sort = marketplace.SortName
		}
		return q
	}
	check := func(round string) {
		t.Helper()
		for range 300 {
			q := query()
			gotPages, gotTotals := searchAll(t, indexed, q)
			wantPages, wantTotals := searchAll(t, bySQL, q)
			if !slices.EqualFunc(gotPages, wantPages, slices.Equal) || !slices.Equal(gotTotals, wantTotals) {
				t.Fatalf("%s: %+v:\nindex %v totals %v\nSQL   %v totals %v", round, q, gotPages, gotTotals, wantPages, wantTotals)
			}
		}
	}
	check("first build")

	// Another process lists drafts, renames and relists products, and adds
	// new ones.
	var changed []marketplace.Product
	for i := 0; i < n; i += 7 {
		p := ps[i]
		switch i % 3 {
		case 0:
			if p.Status == marketplace.ProductDraft {
				p.Status, p.ListedAt = marketplace.ProductListed, &t0
			} else {
				p.Status, p.ListedAt = marketplace.ProductDraft, nil
			}
		case 1:
			p.Name = words[(i*31)%len(words)] + " " + p.Name
		case 2:
			p.Category = benchCategories[(i/7)%len(benchCategories)]
			p.OperatingSystems = []string{"Plan9"}
		}
		changed = append(changed, p)
	}
	for i := n; i < n+200; i++ {
		changed = append(changed, catalogProduct(i))
	}
	putProducts(t, other, changed)
	check("after another store's changes (SQL while the index catches up)")
	waitIndex()
	check("after another store's changes")
}

// Products of a search page come from the document cache when unchanged:
// what a caller does to them does not reach the next search.
func TestSearchResultsAreCopies(t *testing.T) {
	st := openTemp(t)
	putProducts(t, st, []marketplace.Product{catalogProduct(1)})
	if ok, err := sqlite.WaitSearchIndex(context.Background(), st); !ok || err != nil {
		t.Fatalf("WaitSearchIndex = %v, %v", ok, err)
	}
	q := marketplace.ProductQuery{Text: catalogProduct(1).Name[:2], Limit: 5}
	for range 3 {
		pg, err := st.SearchProducts(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(pg.Items) != 1 || pg.Items[0].Specs[0].Name != "Basic" || !pg.Items[0].ListedAt.Equal(*catalogProduct(1).ListedAt) {
			t.Fatalf("page = %+v", pg.Items)
		}
		pg.Items[0].Specs[0].Name = "poisoned"
		*pg.Items[0].ListedAt = t0
	}
	if n := sqlite.DocCacheEntries(st); n != 1 {
		t.Fatalf("%d cached documents, want the product's", n)
	}
}
