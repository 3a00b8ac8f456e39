package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/marketplace"
)

// walFrame is the size of one WAL frame at the default page size: a
// 24-byte header and a 4,096-byte page.
const walFrame = 24 + 4096

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
	const walHeader = 32
	if fi.Size() < walHeader || (fi.Size()-walHeader)%walFrame != 0 {
		b.Fatalf("WAL of %d bytes is not a header and whole %d-byte frames", fi.Size(), walFrame)
	}
	return float64((fi.Size()-walHeader)/walFrame) / float64(n)
}
