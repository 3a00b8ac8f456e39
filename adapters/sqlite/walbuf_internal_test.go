package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// walBufStore opens a store on a new file with a table zz to write rows
// of any size into through the writer (walBufInsert).
func walBufStore(t *testing.T, opts ...Option) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "walbuf.db"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.write(context.Background(), func(ctx context.Context, q sqlTx) error {
		_, err := q.ExecContext(ctx, `CREATE TABLE zz (id INTEGER PRIMARY KEY, v TEXT NOT NULL)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

// walBufInsert inserts rows first..first+n-1 of size bytes each in one
// writer transaction, which then ends with fail's error (rolled back) or,
// if fail is nil, commits.
func walBufInsert(s *Store, first, n, size int, fail error) error {
	return s.write(context.Background(), func(ctx context.Context, q sqlTx) error {
		for i := first; i < first+n; i++ {
			if _, err := q.ExecContext(ctx, `INSERT INTO zz (id, v) VALUES (?, ?)`, i, strings.Repeat("a", size)); err != nil {
				return err
			}
		}
		return fail
	})
}

// bareConn opens a connection of SQLite's own (default VFS) to s's file:
// another writer, as another process would be.
func bareConn(t *testing.T, s *Store) *sql.DB { return openConn(t, s.Path(), "") }

// openConn opens one writer connection to the file at path, with extra
// appended to its DSN (e.g. "&vfs=" + walBufVFS).
func openConn(t *testing.T, path, extra string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", DSN(path, SyncFull, 5*time.Second, true)+extra)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// smallCache gives s's writer a page cache of 10 pages, so that a
// transaction of more spills its pages into the WAL before it commits.
func smallCache(t *testing.T, s *Store) {
	t.Helper()
	if err := s.write(context.Background(), func(ctx context.Context, q sqlTx) error {
		_, err := q.ExecContext(ctx, `PRAGMA cache_size = 10`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// checkRows checks, through db, that the file is intact and that zz holds
// want rows.
func checkRows(t *testing.T, db *sql.DB, want int) {
	t.Helper()
	var ok string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q, %v", ok, err)
	}
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM zz`).Scan(&n); err != nil || n != want {
		t.Fatalf("zz has %d rows (%v), want %d", n, err, want)
	}
}

func TestWALBufferGathersACommitsWrites(t *testing.T) {
	s := walBufStore(t)
	writes, flushes := walBufStats.writes.Load(), walBufStats.flushes.Load()
	if err := walBufInsert(s, 1, 200, 1000, nil); err != nil {
		t.Fatal(err)
	}
	w, f := walBufStats.writes.Load()-writes, walBufStats.flushes.Load()-flushes
	// 200 rows of 1 kB: about 50 pages, two writes each.
	if w < 100 || f < 1 || f > 3 {
		t.Fatalf("a commit of ~50 pages: %d WAL writes reached the file in %d flushes, want >= 100 in 1 to 3", w, f)
	}
	checkRows(t, bareConn(t, s), 200)
}

// A transaction larger than the buffer's bound (walBufMax) is written out
// in runs of at most that while it goes, and all of it commits.
func TestWALBufferLargeTransaction(t *testing.T) {
	s := walBufStore(t)
	writes, flushes := walBufStats.writes.Load(), walBufStats.flushes.Load()
	const rows, size = 5000, 2000 // ~10 MB of rows
	if err := walBufInsert(s, 1, rows, size, nil); err != nil {
		t.Fatal(err)
	}
	w, f := walBufStats.writes.Load()-writes, walBufStats.flushes.Load()-flushes
	if w < 2*rows*size/4096 || f < rows*size/walBufMax {
		t.Fatalf("a ~10 MB transaction: %d WAL writes buffered, written out in %d runs; want >= %d writes in >= %d runs",
			w, f, 2*rows*size/4096, rows*size/walBufMax)
	}
	checkRows(t, bareConn(t, s), rows)
	var n int
	if err := bareConn(t, s).QueryRow(`SELECT count(*) FROM zz WHERE length(v) = ?`, size).Scan(&n); err != nil || n != rows {
		t.Fatalf("%d rows of %d bytes (%v), want %d", n, size, err, rows)
	}
}

func TestWALBufferOffWithSyncNormal(t *testing.T) {
	s := walBufStore(t, WithSync(SyncNormal))
	writes := walBufStats.writes.Load()
	if err := walBufInsert(s, 1, 50, 1000, nil); err != nil {
		t.Fatal(err)
	}
	if w := walBufStats.writes.Load() - writes; w != 0 {
		t.Fatalf("with synchronous=NORMAL %d WAL writes went through the buffer, want none", w)
	}
	s2 := walBufStore(t, WithWALBuffer(false))
	if err := walBufInsert(s2, 1, 50, 1000, nil); err != nil {
		t.Fatal(err)
	}
	if w := walBufStats.writes.Load() - writes; w != 0 {
		t.Fatalf("WithWALBuffer(false): %d WAL writes went through the buffer, want none", w)
	}
}

// A transaction that spills frames into the WAL and rolls back leaves
// them in the buffer; they must be dropped when the write lock is released,
// or the next write would put them over the frames another writer has
// committed meanwhile at the same place (after a checkpoint restarted the
// WAL).
func TestWALBufferDropsARolledBackTransactionsFrames(t *testing.T) {
	s := walBufStore(t)
	other := bareConn(t, s)
	if err := walBufInsert(s, 1, 10, 100, nil); err != nil {
		t.Fatal(err)
	}
	smallCache(t, s) // the next transaction spills to the WAL
	var busy, log, done int
	if err := other.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &log, &done); err != nil || busy != 0 {
		t.Fatalf("checkpoint: busy %d, %v", busy, err)
	}
	discarded := walBufStats.discarded.Load()
	rollBack := errors.New("roll back")
	if err := walBufInsert(s, 1000, 300, 2000, rollBack); !errors.Is(err, rollBack) {
		t.Fatalf("spilling transaction: %v, want %v", err, rollBack)
	}
	if walBufStats.discarded.Load() == discarded {
		t.Fatal("the rolled-back transaction left nothing in the buffer: the test did not spill")
	}
	// The other writer commits frames where the rolled-back ones were.
	for i := range 20 {
		if _, err := other.Exec(`INSERT INTO zz (id, v) VALUES (?, ?)`, 5000+i, strings.Repeat("b", 3000)); err != nil {
			t.Fatal(err)
		}
	}
	// The store writes again (and reads the other's pages).
	if err := walBufInsert(s, 9000, 5, 100, nil); err != nil {
		t.Fatal(err)
	}
	checkRows(t, other, 10+20+5)
	var n int
	if err := other.QueryRow(`SELECT count(*) FROM zz WHERE v = ?`, strings.Repeat("b", 3000)).Scan(&n); err != nil || n != 20 {
		t.Fatalf("the other writer's rows: %d intact (%v), want 20", n, err)
	}
}

// A run that cannot be written fails the commit that syncs it: nothing
// of that transaction is kept, and the store goes on.
func TestWALBufferFailedWriteFailsTheCommit(t *testing.T) {
	s := walBufStore(t)
	if err := walBufInsert(s, 1, 10, 100, nil); err != nil {
		t.Fatal(err)
	}
	walBufFailFlush.Store(true)
	err := walBufInsert(s, 100, 50, 1000, nil)
	walBufFailFlush.Store(false)
	if err == nil {
		t.Fatal("a commit whose WAL frames could not be written succeeded")
	}
	if err := walBufInsert(s, 200, 5, 100, nil); err != nil {
		t.Fatalf("after a failed commit: %v", err)
	}
	checkRows(t, bareConn(t, s), 15)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	checkRows(t, s2.r, 15)
}

// Two writers through the VFS on one file (as two processes would be)
// write at once, each committing some transactions and rolling back others
// that spill into the WAL, while a third connection keeps checkpointing and
// restarting the WAL: the file stays intact and holds exactly the committed
// rows. (It fails when a sync does not write the run out; the dropping of a
// rolled-back run is pinned by TestWALBufferDropsARolledBackTransactionsFrames,
// which this interleaving rarely reproduces.)
func TestWALBufferTwoWritersOneFile(t *testing.T) {
	s := walBufStore(t)
	other := bareConn(t, s)
	var writers []*sql.DB
	for range 2 {
		writers = append(writers, openConn(t, s.Path(), "&vfs="+walBufVFS+"&_pragma=cache_size(20)"))
	}
	stop := make(chan struct{})
	checkpoints := make(chan error, 1)
	go func() {
		for {
			select {
			case <-stop:
				checkpoints <- nil
				return
			default:
			}
			var busy, log, done int
			if err := other.QueryRow(`PRAGMA wal_checkpoint(RESTART)`).Scan(&busy, &log, &done); err != nil {
				checkpoints <- err
				return
			}
			time.Sleep(time.Millisecond)
		}
	}()
	writes := walBufStats.writes.Load()
	const rounds = 40
	errs := make(chan error, len(writers))
	for w, db := range writers {
		go func() {
			errs <- func() error {
				for i := range rounds {
					tx, err := db.Begin()
					if err != nil {
						return err
					}
					id := (w*rounds + i) * 1000
					rows, size := 3, 500
					if i%3 == 2 {
						rows, size = 200, 2000 // ~400 kB: spills past a cache of 20 pages
					}
					for r := range rows {
						if _, err := tx.Exec(`INSERT INTO zz (id, v) VALUES (?, ?)`, id+r, strings.Repeat("c", size)); err != nil {
							tx.Rollback()
							return err
						}
					}
					if i%3 == 2 {
						err = tx.Rollback()
					} else {
						err = tx.Commit()
					}
					if err != nil {
						return err
					}
				}
				return nil
			}()
		}()
	}
	for range writers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	if err := <-checkpoints; err != nil {
		t.Fatalf("checkpoint: %v", err)
	}
	if walBufStats.writes.Load() == writes {
		t.Fatal("no WAL write was buffered")
	}
	checkRows(t, other, len(writers)*(rounds-rounds/3)*3)
}

// connExec runs statements on one connection, failing the test on an
// error.
type connExec struct {
	t *testing.T
	c *sql.Conn
}

func (e connExec) must(q string, args ...any) {
	e.t.Helper()
	if _, err := e.c.ExecContext(context.Background(), q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

// newTable opens a connection through the VFS (plus extra) to a new file
// with table zz holding 10 small rows.
func newTable(t *testing.T, extra string) (connExec, string) {
	t.Helper()
	if err := walBufRegister(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "walbuf.db")
	c, err := openConn(t, path, "&vfs="+walBufVFS+extra).Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	e := connExec{t, c}
	e.must(`CREATE TABLE zz (id INTEGER PRIMARY KEY, k INTEGER UNIQUE, v TEXT NOT NULL)`)
	for i := range 10 {
		e.must(`INSERT INTO zz VALUES (?, ?, ?)`, i, i, strings.Repeat("a", 100))
	}
	return e, path
}

// A run lost inside a statement (its write-out failed, say with the disk
// full) must fail the whole transaction, not only the statement: SQLite
// rolls back just the statement for SQLITE_FULL, and the frames an earlier
// statement spilled into the lost run are in the WAL index. The failure is
// SQLITE_IOERR_WRITE and sticks until the write lock is released.
func TestWALBufferLostRunFailsTheTransaction(t *testing.T) {
	e, path := newTable(t, "")
	e.must(`PRAGMA cache_size = 10`)
	e.must(`BEGIN IMMEDIATE`)
	e.must(`SAVEPOINT a`)
	for i := 1000; i < 1300; i++ { // spills into the buffer
		e.must(`INSERT INTO zz VALUES (?, ?, ?)`, i, i, strings.Repeat("z", 2000))
	}
	e.must(`RELEASE a`)
	walBufFailFlush.Store(true)
	_, err := e.c.ExecContext(context.Background(), `INSERT INTO zz (id, k, v) SELECT id + 10000, k + 10000, 'y' FROM zz WHERE id BETWEEN 1000 AND 1002`)
	walBufFailFlush.Store(false)
	if err == nil {
		t.Fatal("a statement whose read had to write out a run that failed succeeded")
	}
	// SQLite rolled the whole transaction back (an I/O error): nothing of
	// it commits, the spilled rows included.
	if _, err := e.c.ExecContext(context.Background(), `COMMIT`); err == nil {
		t.Fatal("COMMIT after the lost run succeeded: the transaction was still open")
	}
	checkRows(t, openConn(t, path, ""), 10)
	// The connection works again once the transaction is over.
	e.must(`INSERT INTO zz VALUES (6000, 6000, 'after')`)
	checkRows(t, openConn(t, path, ""), 11)
}

// Without powersafe overwrite SQLite pads a commit to a sector boundary
// and writes the tail of the last padding frame after the sync: the VFS
// must not buffer then.
func TestWALBufferNotUsedWithoutPowersafeOverwrite(t *testing.T) {
	e, path := newTable(t, "&psow=0")
	writes := walBufStats.writes.Load()
	for i := 10; i < 30; i++ {
		e.must(`INSERT INTO zz VALUES (?, ?, ?)`, i, i, strings.Repeat("x", 300))
	}
	if w := walBufStats.writes.Load() - writes; w != 0 {
		t.Fatalf("psow=0: %d WAL writes were buffered, want none", w)
	}
	checkRows(t, openConn(t, path, ""), 30)
	// What recovery sees: the database and its WAL, without the index.
	dir := t.TempDir()
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "copy.db"+suffix), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	checkRows(t, openConn(t, filepath.Join(dir, "copy.db"), ""), 30)
}

// With locking_mode=EXCLUSIVE SQLite takes and releases its write lock
// without xShmLock, so the VFS never learns of the release: it must not
// buffer then, or a rolled-back transaction's frames would reach the file
// after another writer's (once the mode is NORMAL again).
func TestWALBufferNotUsedInExclusiveLockingMode(t *testing.T) {
	e, path := newTable(t, "")
	e.must(`PRAGMA cache_size = 10`)
	other := openConn(t, path, "")
	var busy, log, done int
	if err := other.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &log, &done); err != nil || busy != 0 {
		t.Fatalf("checkpoint: busy %d, %v", busy, err)
	}
	if err := other.Close(); err != nil {
		t.Fatal(err)
	}
	e.must(`PRAGMA locking_mode = EXCLUSIVE`)
	e.must(`BEGIN IMMEDIATE`)
	for i := 1000; i < 1300; i++ {
		e.must(`INSERT INTO zz VALUES (?, ?, ?)`, i, i, strings.Repeat("z", 2000))
	}
	e.must(`ROLLBACK`)
	e.must(`PRAGMA locking_mode = NORMAL`)
	var n int
	if err := e.c.QueryRowContext(context.Background(), `SELECT count(*) FROM zz`).Scan(&n); err != nil || n != 10 {
		t.Fatalf("after the rollback the writer sees %d rows (%v), want 10", n, err)
	}
	other = openConn(t, path, "")
	if err := other.QueryRow(`PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &log, &done); err != nil || busy != 0 {
		t.Fatalf("checkpoint: busy %d, %v", busy, err)
	}
	for i := range 20 {
		if _, err := other.Exec(`INSERT INTO zz VALUES (?, ?, ?)`, 5000+i, 5000+i, strings.Repeat("b", 3000)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.c.QueryRowContext(context.Background(), `SELECT count(*) FROM zz`).Scan(&n); err != nil || n != 30 {
		t.Fatalf("the writer sees %d rows (%v), want 30", n, err)
	}
	checkRows(t, openConn(t, path, ""), 30)
}
