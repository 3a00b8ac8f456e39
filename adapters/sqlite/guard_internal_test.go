package sqlite

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
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
	checkNothingCommitted(t, s, insertErr, err, 1000, 99999, 10)
}

// checkNothingCommitted checks what a write whose transaction SQLite
// rolled back under it leaves: the statement after the rollback was
// refused (insertErr), the write failed (writeErr), no row with an id in
// [lo, hi] is stored, and the writer goes on (before rows were there
// already).
func checkNothingCommitted(t *testing.T, s *Store, insertErr, writeErr error, lo, hi, before int) {
	t.Helper()
	if !errors.Is(insertErr, errStrayCommit) {
		t.Errorf("a statement after SQLite rolled the transaction back: %v, want %v", insertErr, errStrayCommit)
	}
	if !errors.Is(writeErr, errRolledBack) {
		t.Errorf("write: %v, want %v", writeErr, errRolledBack)
	}
	if n := countRows(t, s, lo, hi); n != 0 {
		t.Fatalf("%d rows of the rolled-back transaction are in the database, want 0", n)
	}
	if err := walBufInsert(s, 1<<20, 3, 10, nil); err != nil {
		t.Fatalf("the writer after the rollback: %v", err)
	}
	checkRows(t, bareConn(t, s), before+3)
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
		checkNothingCommitted(t, s, insertErr, err, 1, 2, 0)
	}
}

// In a group of several writes the closure that ends the transaction runs
// in a savepoint; the group fails, the write before it included (their
// transaction is gone), and a write queued after it commits in the next
// group.
func TestWriterStrayCommitInAGroup(t *testing.T) {
	s := walBufStore(t)
	release := make(chan struct{})
	results, next := make(chan error, 2), make(chan error, 1)
	go func() { // first in the group: holds the writer until the others queue
		results <- s.write(context.Background(), func(ctx context.Context, q sqlTx) error {
			<-release
			_, err := q.ExecContext(ctx, `INSERT INTO zz (id, v) VALUES (1, 'first')`)
			return err
		})
	}()
	for s.pending.Load() < 1 || len(s.queue) > 0 { // the writer runs it
		time.Sleep(time.Millisecond)
	}
	var insertErr error
	go func() {
		results <- s.write(context.Background(), func(ctx context.Context, q sqlTx) error {
			if _, err := q.ExecContext(ctx, `ROLLBACK`); err != nil {
				return err
			}
			_, insertErr = q.ExecContext(ctx, `INSERT INTO zz (id, v) VALUES (2, 'on its own')`)
			return nil
		})
	}()
	for len(s.queue) < 1 {
		time.Sleep(time.Millisecond)
	}
	go func() {
		next <- walBufInsert(s, 3, 1, 10, nil)
	}()
	for len(s.queue) < 2 { // both queued: the group takes them in
		time.Sleep(time.Millisecond)
	}
	close(release)
	for range 2 {
		if err := <-results; !errors.Is(err, errRolledBack) {
			t.Errorf("a write of the group: %v, want %v", err, errRolledBack)
		}
	}
	if err := <-next; err != nil {
		t.Errorf("the write queued after the group: %v", err)
	}
	checkNothingCommitted(t, s, insertErr, errRolledBack, 1, 2, 1)
}
