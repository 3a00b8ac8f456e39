package sqlite

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// countRows counts zz's rows with id in [lo, hi] through a connection of
// its own.
func countRows(t *testing.T, s *Store, lo, hi int) int {
	t.Helper()
	var n int
	if err := bareConn(t, s).QueryRow(`SELECT count(*) FROM zz WHERE id BETWEEN ? AND ?`, lo, hi).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// SQLite rolls the whole transaction back on an I/O error, even in a
// statement whose error the closure ignores; the closure's next statements
// must not then commit on their own, and the write fails.
func TestWriterIgnoredIOErrorCommitsNothing(t *testing.T) {
	s := walBufStore(t)
	if err := walBufInsert(s, 1, 10, 100, nil); err != nil {
		t.Fatal(err)
	}
	smallCache(t, s) // the next transaction spills to the WAL
	var selectErr, insertErr error
	err := s.write(context.Background(), func(ctx context.Context, q sqlTx) error {
		for i := 1000; i < 1300; i++ { // spills into the WAL buffer
			if _, err := q.ExecContext(ctx, `INSERT INTO zz (id, v) VALUES (?, ?)`, i, strings.Repeat("a", 2000)); err != nil {
				return err
			}
		}
		walBufFailFlush.Store(true) // the read must write the run out, and that fails
		var n int
		selectErr = q.QueryRowContext(ctx, `SELECT count(*) FROM zz WHERE v <> ''`).Scan(&n)
		walBufFailFlush.Store(false)
		_, insertErr = q.ExecContext(ctx, `INSERT INTO zz (id, v) VALUES (99999, 'after')`)
		return nil // ignores both
	})
	if selectErr == nil {
		t.Fatal("the read whose write-out failed succeeded: the test injected nothing")
	}
	if !errors.Is(insertErr, errStrayCommit) {
		t.Errorf("an INSERT after SQLite rolled the transaction back: %v, want %v", insertErr, errStrayCommit)
	}
	if !errors.Is(err, errRolledBack) {
		t.Errorf("write: %v, want %v", err, errRolledBack)
	}
	if n := countRows(t, s, 1000, 99999); n != 0 {
		t.Fatalf("%d rows of the rolled-back closure are in the database, want 0", n)
	}
	if err := walBufInsert(s, 20, 5, 100, nil); err != nil {
		t.Fatalf("the writer after the rollback: %v", err)
	}
	checkRows(t, bareConn(t, s), 15)
}

// The same guard without the WAL buffer: a closure that ends the
// transaction itself gets its later writes refused, and the other closures
// of its group are not written outside a transaction either.
func TestWriterStrayCommitRefused(t *testing.T) {
	for _, opt := range []Option{WithWALBuffer(false), WithSync(SyncNormal), WithWALBuffer(true)} {
		s := walBufStore(t, opt)
		var insertErr error
		err := s.write(context.Background(), func(ctx context.Context, q sqlTx) error {
			if _, err := q.ExecContext(ctx, `INSERT INTO zz (id, v) VALUES (1, 'in the transaction')`); err != nil {
				return err
			}
			if _, err := q.ExecContext(ctx, `ROLLBACK`); err != nil {
				return err
			}
			_, insertErr = q.ExecContext(ctx, `INSERT INTO zz (id, v) VALUES (2, 'on its own')`)
			return nil
		})
		if !errors.Is(insertErr, errStrayCommit) {
			t.Errorf("an INSERT outside the group's transaction: %v, want %v", insertErr, errStrayCommit)
		}
		if !errors.Is(err, errRolledBack) {
			t.Errorf("write: %v, want %v", err, errRolledBack)
		}
		if n := countRows(t, s, 1, 2); n != 0 {
			t.Fatalf("%d rows written, want 0", n)
		}
		if err := walBufInsert(s, 10, 3, 10, nil); err != nil {
			t.Fatalf("the writer after the stray rollback: %v", err)
		}
		checkRows(t, bareConn(t, s), 3)
	}
}
