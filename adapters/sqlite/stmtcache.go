package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps one prepared statement per query text on a pool.
// modernc.org/sqlite parses SQL in pure Go, which costs more than running a
// small statement; preparing each query once per connection and reusing it
// keeps the store's overhead over bare SQL small.
//
// A query missing from the cache runs unprepared and is prepared in the
// background: preparing needs a free connection, and the caller holds one
// (the writer pool has only that one), so preparing inline could wait
// forever.
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

// sqlTx runs statements of one transaction through the cache: the
// transaction's own view of each cached statement (database/sql reuses the
// statement already prepared on the transaction's connection).
type sqlTx struct {
	tx    *sql.Tx
	cache *stmtCache
}

func (q sqlTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := q.cache.get(query); st != nil {
		return q.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return q.tx.ExecContext(ctx, query, args...)
}

func (q sqlTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := q.cache.get(query); st != nil {
		return q.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return q.tx.QueryContext(ctx, query, args...)
}

func (q sqlTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := q.cache.get(query); st != nil {
		return q.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return q.tx.QueryRowContext(ctx, query, args...)
}
