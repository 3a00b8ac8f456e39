package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/marketplace"
)

// walFrame is the size of one WAL frame at the default page size: a
// 24-byte header and a 4,096-byte page; walHeader is the WAL's own header.
const (
	walFrame  = 24 + 4096
	walHeader = 32
)

// BenchmarkCommitPages measures what a synchronous=FULL commit costs as a
// function of the pages it writes, on bare SQLite with no store code at
// all: each commit inserts one short row into each of `pages` tables, so
// that it dirties that many B-tree pages and appends as many WAL frames,
// then fsyncs. pages=1 is the bare single-row commit the place-and-pay
// target is measured against; a placed-and-paid order writes about 25
// pages (orders, payments, resources, events, account and idempotency
// records with their list indexes), which BenchmarkOrderFrames counts.
// The ratio pages=1 ÷ pages=N is the best a one-client store could do if
// its own work cost nothing:
//
//	go test -run '^$' -bench 'CommitPages|OrderFrames' -benchtime 1s -count 3 ./adapters/sqlite/
func BenchmarkCommitPages(b *testing.B) {
	for _, pages := range []int{1, 8, 16, 25} {
		b.Run(fmt.Sprintf("pages=%d", pages), func(b *testing.B) {
			b.ReportAllocs()
			path := filepath.Join(b.TempDir(), "pages.db")
			db, err := sql.Open("sqlite", sqlite.DSN(path, sqlite.SyncFull, 5*time.Second, true))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			inserts := make([]string, pages)
			for t := range pages {
				if _, err := db.Exec(fmt.Sprintf(`CREATE TABLE t%d (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`, t)); err != nil {
					b.Fatal(err)
				}
				inserts[t] = fmt.Sprintf(`INSERT INTO t%d (id, v) VALUES (?, 'order')`, t)
			}
			commit := func(i int) error {
				tx, err := db.Begin()
				if err != nil {
					return err
				}
				for _, q := range inserts {
					if _, err := tx.Exec(q, i); err != nil {
						tx.Rollback()
						return err
					}
				}
				return tx.Commit()
			}
			// Count the frames of 50 commits on an emptied WAL, then keep
			// the store writer's checkpoint threshold for the timed loop.
			frames := countFrames(b, db, path, 50, func(i int) error { return commit(-1 - i) })
			if _, err := db.Exec(`PRAGMA wal_autocheckpoint = 4000`); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := range b.N {
				if err := commit(i); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(frames, "frames/op")
		})
	}
}

// BenchmarkOrderFrames places and pays orders through the marketplace on
// one client, as BenchmarkPlacePayNow does, and reports how many WAL
// frames (pages) each order's commit appends, counted on an emptied WAL
// over 50 orders before the timed loop.
func BenchmarkOrderFrames(b *testing.B) {
	b.ReportAllocs()
	st := openTemp(b)
	storecheck.SeedShop(b, st, buyerID(0))
	svc, err := marketplace.New(st)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	db, err := sql.Open("sqlite", sqlite.DSN(st.Path(), sqlite.SyncFull, 5*time.Second, true))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// The warm-up orders grow every table past its first page, as in the
	// timed loop.
	for i := range 200 {
		if err := storecheck.ServicePlacePayNow(ctx, svc, buyerID(0), fmt.Sprintf("w%08d", i)); err != nil {
			b.Fatal(err)
		}
	}
	frames := countFrames(b, db, st.Path(), 50, func(i int) error {
		return storecheck.ServicePlacePayNow(ctx, svc, buyerID(0), fmt.Sprintf("f%08d", i))
	})
	b.ResetTimer()
	for i := range b.N {
		if err := storecheck.ServicePlacePayNow(ctx, svc, buyerID(0), fmt.Sprintf("k%08d", i)); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(frames, "frames/op")
}

// countFrames empties the WAL of the database at path (a checkpoint that
// truncates it, through db), runs commit n times and returns the frames the
// WAL gained per commit. The writer that commits must not checkpoint in
// between: n commits stay well under the store's 4,000-frame threshold.
func countFrames(b *testing.B, db *sql.DB, path string, n int, commit func(i int) error) float64 {
	b.Helper()
	var busy, log, done int
	if err := db.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &log, &done); err != nil {
		b.Fatal(err)
	}
	if busy != 0 {
		b.Fatalf("wal_checkpoint(TRUNCATE) was blocked (busy=%d log=%d done=%d)", busy, log, done)
	}
	if _, err := db.Exec(`PRAGMA wal_autocheckpoint = 0`); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		if err := commit(i); err != nil {
			b.Fatal(err)
		}
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		b.Fatal(err)
	}
	if fi.Size() < walHeader || (fi.Size()-walHeader)%walFrame != 0 {
		b.Fatalf("WAL of %d bytes is not a header and whole %d-byte frames", fi.Size(), walFrame)
	}
	return float64((fi.Size()-walHeader)/walFrame) / float64(n)
}

// BenchmarkOrderPagesByBTree shows where an order's WAL frames go: it
// places and pays orders in rounds of `buyers` concurrent orders, one per
// buyer (buyers=1: one order a commit; buyers=14: about one group commit
// of BenchmarkPlacePayNow at 16 clients), on an emptied WAL, then names
// the B-tree (table or index, from SQLite's dbstat) of every frame's page
// and logs the frames per order and per commit of each; sqlite_schema is
// the database header's page, rewritten when the file grows. It reports the
// totals (-v shows the whole log). The timed loop places rounds the same
// way:
//
//	go test -run '^$' -bench OrderPagesByBTree -benchtime 20x -v ./adapters/sqlite/
func BenchmarkOrderPagesByBTree(b *testing.B) {
	for _, buyers := range []int{1, 14} {
		b.Run(fmt.Sprintf("buyers=%d", buyers), func(b *testing.B) { benchOrderPages(b, buyers) })
	}
}

func benchOrderPages(b *testing.B, buyers int) {
	st := openTemp(b)
	svc := storecheck.ShopService(b, st, buyers)
	ctx := context.Background()
	round := func(prefix string, r int) {
		var wg sync.WaitGroup
		errs := make(chan error, buyers)
		for c := range buyers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- storecheck.ServicePlacePayNow(ctx, svc, buyerID(c), fmt.Sprintf("%s%d-%d", prefix, r, c))
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	// Warm-up: every table and list index past its first pages.
	for r := range 2000 / buyers {
		round("w", r)
	}
	db, err := sql.Open("sqlite", sqlite.DSN(st.Path(), sqlite.SyncFull, 5*time.Second, true))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	const rounds = 20
	countFrames(b, db, st.Path(), rounds, func(r int) error { round("f", r); return nil })
	wal, err := os.ReadFile(st.Path() + "-wal")
	if err != nil {
		b.Fatal(err)
	}
	names, err := pageNames(db)
	if err != nil {
		b.Fatal(err)
	}
	perTree := map[string]int{}
	frames, commits := 0, 0
	for off := walHeader; off+walFrame <= len(wal); off += walFrame {
		page := binary.BigEndian.Uint32(wal[off:])
		if binary.BigEndian.Uint32(wal[off+4:]) != 0 {
			commits++
		}
		name, ok := names[page]
		if !ok {
			name = fmt.Sprintf("page %d (free now)", page)
		}
		perTree[name]++
		frames++
	}
	orders := float64(rounds * buyers)
	trees := make([]string, 0, len(perTree))
	for t := range perTree {
		trees = append(trees, t)
	}
	sort.Slice(trees, func(i, j int) bool {
		return perTree[trees[i]] > perTree[trees[j]] || perTree[trees[i]] == perTree[trees[j]] && trees[i] < trees[j]
	})
	var sb strings.Builder
	fmt.Fprintf(&sb, "%d orders in %d commits, %d frames; per order, per commit:\n", int(orders), commits, frames)
	for _, t := range trees {
		fmt.Fprintf(&sb, "\t%-36s %6.2f %7.2f\n", t, float64(perTree[t])/orders, float64(perTree[t])/float64(commits))
	}
	b.Log(sb.String())
	b.ResetTimer()
	for i := range b.N {
		round("k", i)
	}
	b.StopTimer()
	b.ReportMetric(float64(frames)/orders, "frames/order")
	b.ReportMetric(float64(frames)/float64(commits), "frames/commit")
}

// pageNames maps every page of the database behind db to the table or
// index it belongs to (SQLite's dbstat virtual table).
func pageNames(db *sql.DB) (map[uint32]string, error) {
	rows, err := db.Query(`SELECT name, pageno FROM dbstat`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[uint32]string{}
	for rows.Next() {
		var name string
		var page uint32
		if err := rows.Scan(&name, &page); err != nil {
			return nil, err
		}
		names[page] = name
	}
	return names, rows.Err()
}
