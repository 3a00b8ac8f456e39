package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	msqlite "modernc.org/sqlite"
)

// stmtCache keeps one prepared statement per query text on a pool.
// modernc.org/sqlite parses SQL in pure Go, which costs more than running a
// small statement; preparing each query once per connection and reusing it
// keeps the store's overhead over bare SQL small.
//
// A query missing from the cache runs unprepared and is prepared in the
// background: preparing needs a free connection, and the caller holds one,
// so preparing inline could wait for the pool.
type stmtCache struct {
	db      *sql.DB
	mu      sync.Mutex
	m       map[string]*sql.Stmt
	pending map[string]bool
	closed  bool
	wg      sync.WaitGroup
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, m: map[string]*sql.Stmt{}, pending: map[string]bool{}}
}

// get returns the cached statement, or nil after scheduling its
// preparation.
func (c *stmtCache) get(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st
	}
	if !c.pending[query] && !c.closed {
		c.pending[query] = true
		c.wg.Add(1)
		go c.prepare(query)
	}
	return nil
}

func (c *stmtCache) prepare(query string) {
	defer c.wg.Done()
	st, err := c.db.PrepareContext(context.Background(), query)
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.pending, query)
	if err != nil {
		return // e.g. a table not created yet: try again on next use
	}
	if c.closed {
		st.Close()
		return
	}
	c.m[query] = st
}

// close closes the cached statements; it must run before the pool closes.
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// writerConn runs the writer's statements on the driver connection itself.
// Through database/sql every statement of a transaction costs a lock on the
// transaction, a per-transaction copy of the prepared statement, argument
// conversion and a result wrapper: as much as the small INSERT it runs.
// The writer goroutine is the only user of its connection, so it keeps the
// connection for the store's life (one *sql.Conn), prepares each query once
// on it and runs it through driver.Stmt inside sql.Conn.Raw, which is
// database/sql's sanctioned way to use the driver connection. BEGIN,
// SAVEPOINT, COMMIT and ROLLBACK are such statements too: the transaction
// is the connection's, and statements that need database/sql's row types
// (ClaimDue, Migrate) run on the same *sql.Conn inside it.
//
// Only the writer goroutine (and Close, after it has stopped) uses a
// writerConn.
type writerConn struct {
	db      *sql.DB // the writer pool (one connection)
	conn    *sql.Conn
	dc      driver.Conn // the connection stmts were prepared on
	stmts   map[string]driver.Stmt
	queries map[string]*sql.Stmt // prepared on conn, for QueryContext
	dest    [1]driver.Value      // queryDoc's row buffer
	nv      []driver.NamedValue  // exec's and queryDoc's arguments, reused
	broken  bool                 // database/sql closed conn: take a new one
	// dueDocs and due are DueResources' scratch buffer for the documents
	// it reads and the resources it read, by id (dueRow), which the
	// writer keeps from closure to closure, not to make them anew for
	// the garbage collector each time.
	dueDocs []byte
	due     map[string]dueRow
	// eventArgs are a flush's statement arguments (tx.flush), reused
	// alike.
	eventArgs []any
	// execs counts the statements exec ran (tests read it).
	execs atomic.Int64
	// lastSeq is the highest event number the running closure inserted
	// (runBatch resets it per closure and publishes those that commit).
	lastSeq int64
	// commitOK and rolledBack are the connection's commit and rollback
	// hooks' state (guardCommits): a write commits only while commitOK
	// (runBatch's COMMIT), and rolledBack says that a transaction ended
	// in a rollback since runBatch last cleared it, SQLite's own included.
	commitOK, rolledBack atomic.Bool
}

// errStrayCommit is what a statement on the writer gets (exec) when SQLite
// has rolled the group's transaction back (an I/O error, a full disk) and
// the statement would have committed on its own: the commit hook refused.
var errStrayCommit = errors.New("sqlite: the writer's transaction was rolled back by SQLite; nothing was written")

// guardCommits registers the connection's commit and rollback hooks. SQLite
// rolls a whole transaction back on some errors (I/O errors, a full disk,
// out of memory) even inside a statement a closure may ignore; the
// closure's next statements would then each commit on their own, outside
// the group's transaction, while the group reports failure. The commit
// hook refuses every commit but runBatch's, and the rollback hook tells
// runBatch that the transaction is gone.
func (w *writerConn) guardCommits(dc driver.Conn) error {
	h, ok := dc.(msqlite.HookRegisterer)
	if !ok {
		return fmt.Errorf("sqlite: driver connection %T cannot register hooks", dc)
	}
	h.RegisterCommitHook(func() int32 {
		if w.commitOK.Load() {
			return 0
		}
		return 1 // SQLITE_CONSTRAINT_COMMITHOOK: rolled back
	})
	h.RegisterRollbackHook(func() { w.rolledBack.Store(true) })
	return nil
}

// writerPragmas configure the writer's connection beyond DSN's settings.
//
// wal_autocheckpoint=4000 (SQLite's default is 1000 frames): the writer
// checkpoints when its commit leaves that many frames in the WAL, and a
// checkpoint costs two fsyncs plus one write per distinct page, whatever
// the WAL's length; the hot pages (the events table's last page, index
// pages, accounts) recur in the WAL, so a longer WAL copies fewer pages
// per commit. Placing and paying an order writes about 24 frames: with
// 4000 the checkpoints cost the writer about 60% of what they cost with
// 1000 (CPU profile, synchronous=NORMAL to leave out the commit's fsync),
// for a WAL of at most about 16 MiB between checkpoints.
//
// temp_store=MEMORY keeps the sub-journal in memory: every page a
// group-commit closure changes is first copied there, for its SAVEPOINT's
// rollback, and in a temporary file that copy costs a write system call
// per page. The sub-journal only ever serves a rollback inside the open
// transaction, never recovery, so durability does not depend on it.
var writerPragmas = []string{"PRAGMA wal_autocheckpoint = 4000", "PRAGMA temp_store = MEMORY"}

// newWriterConn takes the writer pool's connection for the store's life.
func newWriterConn(ctx context.Context, db *sql.DB) (*writerConn, error) {
	w := &writerConn{db: db, broken: true} // ready takes the first connection
	if err := w.ready(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

// ready takes a new *sql.Conn when database/sql has closed the writer's
// (after a driver panic or driver.ErrBadConn, which the writer does not
// otherwise see), and sets it up. The prepared statements stay if the
// driver connection under it is the same; stmt drops them otherwise.
func (w *writerConn) ready(ctx context.Context) error {
	if !w.broken {
		return nil
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return err
	}
	for _, p := range writerPragmas {
		if _, err := conn.ExecContext(ctx, p); err != nil {
			conn.Close()
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	if err := conn.Raw(func(dc any) error { return w.guardCommits(dc.(driver.Conn)) }); err != nil {
		conn.Close()
		return err
	}
	for _, st := range w.queries {
		st.Close() // prepared on the closed *sql.Conn: nothing to keep
	}
	w.conn, w.queries, w.broken = conn, map[string]*sql.Stmt{}, false
	return nil
}

// query returns query prepared on the writer's *sql.Conn (nil if it
// cannot be prepared, e.g. before the migration that creates its table:
// the caller then runs it unprepared and gets the error).
func (w *writerConn) query(ctx context.Context, query string) *sql.Stmt {
	if st, ok := w.queries[query]; ok {
		return st
	}
	st, err := w.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	w.queries[query] = st
	return st
}

// raw runs f on the driver connection, noting when database/sql has given
// the connection up.
func (w *writerConn) raw(f func(dc driver.Conn) error) error {
	err := w.conn.Raw(func(dci any) error { return f(dci.(driver.Conn)) })
	if errors.Is(err, sql.ErrConnDone) || errors.Is(err, driver.ErrBadConn) {
		w.broken = true
	}
	return err
}

// stmt returns query prepared on dc, preparing it on first use. The caller
// is inside conn.Raw.
func (w *writerConn) stmt(ctx context.Context, dc driver.Conn, query string) (driver.Stmt, error) {
	if dc != w.dc {
		// A new driver connection (the first, or one ready took after
		// database/sql closed the last): the statements prepared on the
		// closed one cannot run here, nor be finalized there.
		w.dc, w.stmts = dc, map[string]driver.Stmt{}
	}
	if st, ok := w.stmts[query]; ok {
		return st, nil
	}
	p, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return nil, fmt.Errorf("sqlite: driver connection %T cannot prepare with a context", dc)
	}
	st, err := p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	w.stmts[query] = st
	return st, nil
}

// exec runs query with args and returns its result.
func (w *writerConn) exec(ctx context.Context, query string, args ...any) (driver.Result, error) {
	nv, err := w.args(args)
	if err != nil {
		return nil, err
	}
	defer clear(nv) // the documents they hold
	w.execs.Add(1)
	var res driver.Result
	err = w.raw(func(dc driver.Conn) error {
		st, err := w.stmt(ctx, dc, query)
		if err != nil {
			return err
		}
		e, ok := st.(driver.StmtExecContext)
		if !ok {
			return fmt.Errorf("sqlite: driver statement %T cannot execute with a context", st)
		}
		res, err = e.ExecContext(ctx, nv)
		return err
	})
	if err != nil && w.rolledBack.Load() && !w.commitOK.Load() {
		err = fmt.Errorf("%w (%v)", errStrayCommit, err)
	}
	return res, err
}

// queryDoc runs query, which selects one text or blob column, and returns
// the first row's value; sql.ErrNoRows when there is none.
func (w *writerConn) queryDoc(ctx context.Context, query string, args ...any) ([]byte, error) {
	nv, err := w.args(args)
	if err != nil {
		return nil, err
	}
	defer clear(nv)
	var doc []byte
	err = w.raw(func(dc driver.Conn) error {
		rows, err := w.queryStmt(ctx, dc, query, nv)
		if err != nil {
			return err
		}
		err = rows.Next(w.dest[:])
		if err == nil {
			switch v := w.dest[0].(type) {
			case string:
				doc = []byte(v)
			case []byte:
				doc = append([]byte(nil), v...)
			default:
				err = fmt.Errorf("sqlite: %q returned %T, want text", query, v)
			}
		} else if errors.Is(err, io.EOF) {
			err = sql.ErrNoRows
		}
		w.dest[0] = nil
		return errors.Join(err, rows.Close())
	})
	return doc, err
}

// queryStmt runs the cached statement of query on dc with nv.
//
// Errors: the driver's, and an error for a driver statement that cannot
// query with a context.
func (w *writerConn) queryStmt(ctx context.Context, dc driver.Conn, query string, nv []driver.NamedValue) (driver.Rows, error) {
	st, err := w.stmt(ctx, dc, query)
	if err != nil {
		return nil, err
	}
	q, ok := st.(driver.StmtQueryContext)
	if !ok {
		return nil, fmt.Errorf("sqlite: driver statement %T cannot query with a context", st)
	}
	return q.QueryContext(ctx, nv)
}

// rows runs query with args and calls each with every row's values,
// which are valid only during the call; each must not use w.
func (w *writerConn) rows(ctx context.Context, query string, args []any, each func(row []driver.Value) error) error {
	nv, err := w.args(args)
	if err != nil {
		return err
	}
	defer clear(nv)
	return w.raw(func(dc driver.Conn) error {
		rows, err := w.queryStmt(ctx, dc, query, nv)
		if err != nil {
			return err
		}
		dest := make([]driver.Value, len(rows.Columns()))
		for {
			err := rows.Next(dest)
			if errors.Is(err, io.EOF) {
				return rows.Close()
			}
			if err == nil {
				err = each(dest)
			}
			if err != nil {
				return errors.Join(err, rows.Close())
			}
		}
	})
}

// close finalizes the prepared statements and gives the connection back to
// the pool; it must run before the pool closes.
func (w *writerConn) close() error {
	var errs []error
	for _, st := range w.queries {
		errs = append(errs, st.Close())
	}
	err := w.raw(func(dc driver.Conn) error {
		var errs []error
		if dc == w.dc {
			for _, st := range w.stmts {
				errs = append(errs, st.Close())
			}
		}
		return errors.Join(errs...)
	})
	w.stmts, w.dc, w.queries = nil, nil, nil
	return errors.Join(append(errs, err, w.conn.Close())...)
}

// args converts a statement's arguments (namedValues) in w's buffer,
// which the next statement reuses: the driver binds them while the
// statement runs and keeps none of them, and a statement per aggregate
// written would otherwise allocate a slice each for the garbage collector.
func (w *writerConn) args(args []any) ([]driver.NamedValue, error) {
	if cap(w.nv) < len(args) {
		w.nv = make([]driver.NamedValue, len(args))
	}
	return namedValues(w.nv[:len(args)], args)
}

// namedValues converts a statement's arguments into nv (len(args) long) as
// database/sql would (driver.DefaultParameterConverter: int to int64 and
// so on).
func namedValues(nv []driver.NamedValue, args []any) ([]driver.NamedValue, error) {
	for i, a := range args {
		switch a.(type) {
		case nil, int64, string, []byte, float64, bool:
		default:
			v, err := driver.DefaultParameterConverter.ConvertValue(a)
			if err != nil {
				return nil, fmt.Errorf("sqlite: argument %d: %w", i+1, err)
			}
			a = v
		}
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return nv, nil
}

// sqlTx runs the statements of one transaction: on a reader, through the
// reader's *sql.Tx and the pool's prepared statements; on the writer,
// through the writerConn's driver statements (ExecContext) or statements
// prepared on its *sql.Conn (QueryContext and QueryRowContext, for the few
// callers that need database/sql's rows: ClaimDue, the runner's reads).
type sqlTx struct {
	tx    querier     // a reader's *sql.Tx, or the writer's *sql.Conn
	cache *stmtCache  // readers only
	w     *writerConn // the writer only
}

func (q sqlTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if q.w != nil {
		return q.w.exec(ctx, query, args...)
	}
	if st := q.stmt(query); st != nil {
		return q.tx.(*sql.Tx).StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q sqlTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if q.w != nil {
		if st := q.w.query(ctx, query); st != nil {
			return st.QueryContext(ctx, args...)
		}
	} else if st := q.stmt(query); st != nil {
		return q.tx.(*sql.Tx).StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q sqlTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if q.w != nil {
		if st := q.w.query(ctx, query); st != nil {
			return st.QueryRowContext(ctx, args...)
		}
	} else if st := q.stmt(query); st != nil {
		return q.tx.(*sql.Tx).StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}

// queryDoc returns the single text column of the first row query selects;
// sql.ErrNoRows when there is none.
func (q sqlTx) queryDoc(ctx context.Context, query string, args ...any) ([]byte, error) {
	if q.w != nil {
		return q.w.queryDoc(ctx, query, args...)
	}
	var doc []byte
	err := q.QueryRowContext(ctx, query, args...).Scan(&doc)
	return doc, err
}

// stmt returns the reader pool's prepared statement for query (nil on the
// writer, or while it is being prepared).
func (q sqlTx) stmt(query string) *sql.Stmt {
	if q.cache == nil {
		return nil
	}
	if _, ok := q.tx.(*sql.Tx); !ok {
		return nil
	}
	return q.cache.get(query)
}
