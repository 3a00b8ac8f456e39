package sqlite_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/marketplace"
)

var (
	catalogSize = flag.Int("catalog", 100000, "products in the search benchmark's catalog")
	catalogKeep = flag.String("catalogdb", "", "build the search benchmark's catalog at this path and keep it (reused when it exists)")
)

// benchDir holds databases shared by benchmark runs in this process (the
// 100,000-product catalog is built once); TestMain removes it.
var benchDir string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "og-sqlite-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	benchDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

var words = func() []string {
	syll := []string{"ka", "ro", "mi", "zen", "tor", "vel", "lux", "dat", "net", "sec", "pro", "fy", "bit", "cor", "gal", "ops", "ix", "um", "ser", "ql"}
	r := rand.New(rand.NewPCG(7, 7))
	seen := map[string]bool{}
	var out []string
	for len(out) < 5000 {
		w := syll[r.IntN(len(syll))] + syll[r.IntN(len(syll))] + syll[r.IntN(len(syll))] + syll[r.IntN(len(syll))]
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	return out
}()

var (
	benchCategories = []string{"security", "database", "devops", "ai", "storage", "network", "office", "erp", "crm", "media"}
	benchOS         = [][]string{{"Linux"}, {"Windows"}, {"Linux", "Windows"}, {"Linux", "Android"}}
	benchDelivery   = []marketplace.DeliveryMethod{marketplace.DeliverySaaS, marketplace.DeliveryImage, marketplace.DeliveryLicense, marketplace.DeliveryProfessional}
)

// catalogProduct is product i of a deterministic synthetic catalog: 2-3
// word names and 12-word descriptions over a 5,000-word vocabulary, 10
// categories, 4 OS sets, 4 delivery methods, 500 sellers, 90% listed.
func catalogProduct(i int) marketplace.Product {
	r := rand.New(rand.NewPCG(uint64(i), 42))
	pick := func(n int) string {
		s := ""
		for j := range n {
			if j > 0 {
				s += " "
			}
			s += words[r.IntN(len(words))]
		}
		return s
	}
	status := marketplace.ProductListed
	if i%10 == 9 {
		status = marketplace.ProductDraft
	}
	created := t0.Add(time.Duration(i) * time.Minute)
	listed := created.Add(time.Hour)
	p := marketplace.Product{ID: fmt.Sprintf("p%07d", i), SellerID: fmt.Sprintf("s%03d", i%500),
		SellerName: "Seller " + words[i%500%len(words)], Name: pick(2 + r.IntN(2)), Description: pick(12),
		Category: benchCategories[r.IntN(len(benchCategories))], OperatingSystems: benchOS[r.IntN(len(benchOS))],
		Delivery: benchDelivery[r.IntN(len(benchDelivery))], Status: status,
		Specs:     []marketplace.Specification{{ID: "sp1", Name: "Basic", Status: marketplace.SpecActive}},
		CreatedAt: created, UpdatedAt: created}
	if status == marketplace.ProductListed {
		p.ListedAt = &listed
	}
	return p
}

var (
	catalogOnce sync.Once
	catalogPath string
	catalogErr  error
)

// catalogDB returns the path of a store holding the synthetic catalog,
// built once per process.
func catalogDB(b *testing.B) string {
	catalogOnce.Do(func() {
		catalogPath = filepath.Join(benchDir, "catalog.db")
		kept := false
		if *catalogKeep != "" {
			catalogPath = *catalogKeep
			_, err := os.Stat(catalogPath)
			kept = err == nil
		}
		st, err := sqlite.Open(catalogPath, sqlite.WithSync(sqlite.SyncNormal))
		if err != nil {
			catalogErr = err
			return
		}
		defer st.Close()
		ctx := context.Background()
		// A kept catalog may predate the latest migrations.
		if catalogErr = st.Migrate(ctx); catalogErr != nil || kept {
			return
		}
		start := time.Now()
		for i := 0; i < *catalogSize; i += 2000 {
			catalogErr = st.Update(ctx, func(tx marketplace.Tx) error {
				for j := i; j < min(i+2000, *catalogSize); j++ {
					p := catalogProduct(j)
					if err := tx.PutProduct(&p); err != nil {
						return err
					}
				}
				return nil
			})
			if catalogErr != nil {
				return
			}
		}
		b.Logf("seeded %d products in %s", *catalogSize, time.Since(start).Round(time.Millisecond))
	})
	if catalogErr != nil {
		b.Fatal(catalogErr)
	}
	return catalogPath
}

// searchQueries are text + 2 filters: a vocabulary word cut to prefix
// letters (0: the whole word), a category and an operating system, listed
// products only.
func searchQueries(prefix int) []marketplace.ProductQuery {
	r := rand.New(rand.NewPCG(1, 2))
	qs := make([]marketplace.ProductQuery, 256)
	for i := range qs {
		text := words[r.IntN(len(words))]
		if prefix > 0 {
			text = text[:prefix]
		}
		qs[i] = marketplace.ProductQuery{Text: text,
			Category: benchCategories[r.IntN(len(benchCategories))], OS: []string{"Linux", "Windows"}[r.IntN(2)],
			Statuses: []marketplace.ProductStatus{marketplace.ProductListed}, Limit: 20}
	}
	return qs
}

// reportLatency reports the distribution of per-query latencies.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Microsecond) }
	b.ReportMetric(q(0.50), "p50-µs")
	b.ReportMetric(q(0.90), "p90-µs")
	b.ReportMetric(q(0.99), "p99-µs")
	b.ReportMetric(q(1), "max-µs")
}

// BenchmarkSearch searches the 100,000-product catalog (text + category +
// OS, listed only, first page of 20 with the total count) and reports the
// latency distribution, beside a bare FTS5 MATCH of the same text returning
// 20 rowids, and the time of the first text query after Open (which builds
// the in-memory search index). "word" queries a whole vocabulary word (≈ 0.3% of the catalog
// before filters); "prefix3" its first three letters, which match far more
// (a few % of the catalog), the worst case of a user still typing.
func BenchmarkSearch(b *testing.B) {
	path := catalogDB(b)
	for _, c := range []struct {
		name   string
		prefix int
	}{{"word", 0}, {"prefix3", 3}} {
		b.Run(c.name, func(b *testing.B) { benchSearch(b, path, searchQueries(c.prefix)) })
	}
}

func benchSearch(b *testing.B, path string, qs []marketplace.ProductQuery) {
	b.Run("bare-fts-match", func(b *testing.B) {
		b.ReportAllocs()
		db, err := sql.Open("sqlite", sqlite.DSN(path, sqlite.SyncFull, 5*time.Second, false))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		stmt, err := db.Prepare(`SELECT rowid FROM og_products_fts WHERE og_products_fts MATCH ? LIMIT 20`)
		if err != nil {
			b.Fatal(err)
		}
		defer stmt.Close()
		lat := make([]time.Duration, 0, b.N)
		b.ResetTimer()
		for i := range b.N {
			start := time.Now()
			rows, err := stmt.Query(`"` + qs[i%len(qs)].Text + `"*`)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			rows.Close()
			lat = append(lat, time.Since(start))
		}
		b.StopTimer()
		reportLatency(b, lat)
	})
	b.Run("text+category+os", func(b *testing.B) { benchStoreSearch(b, path, qs, true) })
	// The same queries with the in-memory index off (WithSearchIndex(0)):
	// FTS5 and the filter indexes alone, the path larger catalogs take.
	b.Run("text+category+os/fts5-only", func(b *testing.B) { benchStoreSearch(b, path, qs, false) })
}

// benchStoreSearch runs qs through Store.SearchProducts, with or without
// the in-memory search index, and reports the latency distribution.
func benchStoreSearch(b *testing.B, path string, qs []marketplace.ProductQuery, index bool) {
	b.ReportAllocs()
	var opts []sqlite.Option
	if !index {
		opts = append(opts, sqlite.WithSearchIndex(0))
	}
	st, err := sqlite.Open(path, opts...)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	// The store builds its in-memory search index in the background (text
	// queries take the SQL path meanwhile): the build is reported on its
	// own (index-build-ms), outside the distribution of the queries that
	// follow.
	start := time.Now()
	if index {
		if ok, err := sqlite.WaitSearchIndex(ctx, st); !ok || err != nil {
			b.Fatalf("WaitSearchIndex = %v, %v", ok, err)
		}
	}
	first := time.Since(start)
	lat := make([]time.Duration, 0, b.N)
	total := 0
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		pg, err := st.SearchProducts(ctx, qs[i%len(qs)])
		if err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		total += pg.Total
	}
	b.StopTimer()
	reportLatency(b, lat)
	b.ReportMetric(float64(total)/float64(b.N), "matches/op")
	if index {
		b.ReportMetric(float64(first)/float64(time.Millisecond), "index-build-ms")
	}
}
