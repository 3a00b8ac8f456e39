package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestWALVFS runs workloads on a database opened through walVFS (the
// writer's VFS: WAL writes combined until the commit's sync) and checks
// what a connection through the default VFS reads, during and after, and
// after reopening: every committed row and nothing else, and an intact
// file. The workloads reach SQLite's other WAL paths too: frames spilled
// mid-transaction and rewritten, a rollback after a spill, checkpoints
// that restart the WAL, and a file without POWERSAFE_OVERWRITE (psow=0),
// which walVFS leaves unbuffered.
func TestWALVFS(t *testing.T) {
	if err := registerWALVFS(); err != nil {
		t.Fatal(err)
	}
	insert := func(db *sql.DB, want map[int]string, ids []int, size int, commit bool) error {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		for _, id := range ids {
			v := strings.Repeat(string(rune('a'+id%26)), size) + fmt.Sprint(id)
			if _, err := tx.Exec(`INSERT INTO t (id, v) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET v = excluded.v`, id, v); err != nil {
				tx.Rollback()
				return err
			}
			if commit {
				defer func() { want[id] = v }()
			}
		}
		if !commit {
			return tx.Rollback()
		}
		return tx.Commit()
	}
	seq := func(from, n int) []int {
		ids := make([]int, n)
		for i := range ids {
			ids[i] = from + i
		}
		return ids
	}
	for _, tc := range []struct {
		name     string
		pragmas  string // added to the DSN
		run      func(t *testing.T, db, r *sql.DB, want map[int]string)
		buffered bool // commits are combined (walWrites counts them)
	}{
		{"small commits, each read at once through the default VFS", "", func(t *testing.T, db, r *sql.DB, want map[int]string) {
			for i := range 200 {
				if err := insert(db, want, []int{i}, 3000, true); err != nil {
					t.Fatal(err)
				}
				var v string
				if err := r.QueryRow(`SELECT v FROM t WHERE id = ?`, i).Scan(&v); err != nil || v != want[i] {
					t.Fatalf("row %d read back as %.20q…, %v; want %.20q…", i, v, err, want[i])
				}
			}
		}, true},
		{"spilled and rewritten in one transaction", "&_pragma=cache_size(5)", func(t *testing.T, db, r *sql.DB, want map[int]string) {
			// The second pass changes pages already spilled to the WAL in
			// this transaction: SQLite writes their frames again in place.
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			for pass, size := range []int{900, 1000} {
				for _, id := range seq(0, 2000) {
					v := fmt.Sprintf("%d-%s", pass, strings.Repeat("x", size))
					if _, err := tx.Exec(`INSERT INTO t (id, v) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET v = excluded.v`, id, v); err != nil {
						t.Fatal(err)
					}
					want[id] = v
				}
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"rollback after a spill", "&_pragma=cache_size(5)", func(t *testing.T, db, r *sql.DB, want map[int]string) {
			if err := insert(db, want, seq(0, 50), 500, true); err != nil {
				t.Fatal(err)
			}
			if err := insert(db, want, seq(0, 3000), 1000, false); err != nil {
				t.Fatal(err)
			}
			if err := insert(db, want, seq(5000, 10), 500, true); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"checkpoints restart the WAL", "&_pragma=wal_autocheckpoint(20)", func(t *testing.T, db, r *sql.DB, want map[int]string) {
			for i := range 300 {
				if err := insert(db, want, seq(i*3, 3), 2000, true); err != nil {
					t.Fatal(err)
				}
			}
		}, true},
		{"no powersafe overwrite: unbuffered", "&psow=0", func(t *testing.T, db, r *sql.DB, want map[int]string) {
			for i := range 50 {
				if err := insert(db, want, seq(i*2, 2), 3000, true); err != nil {
					t.Fatal(err)
				}
			}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "w.db")
			w, err := sql.Open("sqlite", DSN(path, SyncFull, 5*time.Second, true)+"&vfs="+walVFSName+tc.pragmas)
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			w.SetMaxOpenConns(1)
			if _, err := w.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
				t.Fatal(err)
			}
			r, err := sql.Open("sqlite", DSN(path, SyncFull, 5*time.Second, false))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			want := map[int]string{}
			before := walWrites.Load()
			tc.run(t, w, r, want)
			if n := walWrites.Load() - before; (n > 0) != tc.buffered {
				t.Errorf("%d combined WAL writes, want some: %v", n, tc.buffered)
			}
			check := func(when string, db *sql.DB) {
				t.Helper()
				var ok string
				if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
					t.Fatalf("%s: integrity_check %q, %v", when, ok, err)
				}
				got := map[int]string{}
				rows, err := db.Query(`SELECT id, v FROM t`)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				for rows.Next() {
					var id int
					var v string
					if err := rows.Scan(&id, &v); err != nil {
						t.Fatal(err)
					}
					got[id] = v
				}
				if err := rows.Err(); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s: rows (-want +got):\n%.2000s", when, diff)
				}
			}
			check("another connection", r)
			r.Close()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			again, err := sql.Open("sqlite", DSN(path, SyncFull, 5*time.Second, false))
			if err != nil {
				t.Fatal(err)
			}
			defer again.Close()
			check("reopened", again)
		})
	}
}

// TestWALVFSCombinesACommit checks which stores write their WAL through
// walVFS: with synchronous=FULL (the default) the writer's commit of many
// pages reaches the WAL in a few large writes, not two per page; with
// NORMAL, whose commits publish frames without a sync, the writer uses the
// default VFS.
func TestWALVFSCombinesACommit(t *testing.T) {
	for _, tc := range []struct {
		name        string
		opts        []Option
		least, most int64
	}{
		// At least 300 pages of 4 KiB plus frame headers: 2 writes per
		// frame without walVFS, 10 with it (124 KiB a write).
		{"default (FULL)", nil, 1, 20},
		{"NORMAL", []Option{WithSync(SyncNormal)}, 0, 0},
		{"FULL without the buffer", []Option{WithoutWALBuffer()}, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openReadPath(t, tc.opts...)
			const orders = 300 // about 3 KB each: one page per row and more
			before := walWrites.Load()
			err := st.write(context.Background(), func(ctx context.Context, q sqlTx) error {
				for i := range orders {
					if _, err := q.ExecContext(ctx, `INSERT INTO og_accounts (id, version, doc) VALUES (?, 1, ?)`,
						fmt.Sprintf("a%04d", i), `{"pad":"`+strings.Repeat("p", 3000)+`"}`); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if n := walWrites.Load() - before; n < tc.least || n > tc.most {
				t.Errorf("the commit took %d combined WAL writes, want %d to %d", n, tc.least, tc.most)
			}
		})
	}
}
