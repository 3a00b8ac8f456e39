package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"reflect"
	"sync"

	"github.com/opengallery/opengallery/adapters/internal/doccodec"
	"github.com/opengallery/opengallery/marketplace"
)

// View's fast path. A View is usually one point read (an order by id), so
// what surrounds the SELECT costs as much as the SELECT: through
// database/sql, BeginTx parses and runs "begin", every statement goes
// through a per-transaction *sql.Stmt, and Rollback parses "rollback".
// Instead View takes a reader connection and runs its reads on the driver
// connection itself, as statements prepared once per connection and kept
// (rawCache).
//
// The snapshot. Every read of one View must see the same committed state.
// SQLite keeps one read transaction, hence one WAL snapshot, open for as
// long as any statement of the connection is active, and ends it (in
// autocommit mode) when the last active statement is reset. So a View whose
// first read is a point read by id (the common case) runs it as a query
// that always yields exactly one row (a LEFT JOIN from the id, NULL columns
// when there is no such row), reads that row and leaves the statement
// active: it pins the snapshot, every later read of the View runs inside
// it, and resetting it when View returns ends the read transaction. A View
// whose first read is anything else (a list, which may yield no row and
// would then end its snapshot at once) runs a prepared BEGIN first (DEFERRED:
// that read takes the snapshot) and ROLLBACK at the end, as before. Either
// way nothing is held once View returns, and a View of one point read pays
// for one statement instead of three. A closure that panics, or a context
// that ends during a read (an interrupted connection, which database/sql
// drops), has the connection's statements finalized before database/sql
// can close it: a connection closed with statements still prepared would
// stay open as a zombie that keeps its snapshot.

// rawStmts are the statements prepared on one reader connection.
type rawStmts struct {
	begin, rollback driver.Stmt
	q               map[string]driver.Stmt
	pin             map[string]driver.Stmt // a View's first point read, kept active (see above)
}

// rawCache keeps rawStmts per driver connection of the reader pool.
type rawCache struct {
	life   sync.RWMutex // held shared by a running View, exclusively by close
	mu     sync.Mutex
	closed bool
	conns  map[driver.Conn]*rawStmts
}

func newRawCache() *rawCache {
	return &rawCache{conns: map[driver.Conn]*rawStmts{}}
}

// stmts returns dc's statements, preparing BEGIN and ROLLBACK on first use.
// The caller holds dc exclusively (inside sql.Conn.Raw).
func (c *rawCache) stmts(ctx context.Context, dc driver.Conn) (*rawStmts, error) {
	c.mu.Lock()
	rs := c.conns[dc]
	c.mu.Unlock()
	if rs != nil {
		return rs, nil
	}
	b, err := prepareRaw(ctx, dc, "BEGIN")
	if err != nil {
		return nil, err
	}
	r, err := prepareRaw(ctx, dc, "ROLLBACK")
	if err != nil {
		b.Close()
		return nil, err
	}
	rs = &rawStmts{begin: b, rollback: r, q: map[string]driver.Stmt{}, pin: map[string]driver.Stmt{}}
	c.mu.Lock()
	c.conns[dc] = rs
	c.mu.Unlock()
	return rs, nil
}

// forget drops dc's statements (the connection is being discarded).
func (c *rawCache) forget(dc driver.Conn) {
	c.mu.Lock()
	rs := c.conns[dc]
	delete(c.conns, dc)
	c.mu.Unlock()
	if rs != nil {
		rs.close()
	}
}

func (rs *rawStmts) close() {
	rs.begin.Close()
	rs.rollback.Close()
	for _, st := range rs.q {
		st.Close()
	}
	for _, st := range rs.pin {
		st.Close()
	}
}

// close waits for running Views, then finalizes every statement; it must
// run before the reader pool closes.
func (c *rawCache) close() {
	c.life.Lock()
	defer c.life.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	for dc, rs := range c.conns {
		rs.close()
		delete(c.conns, dc)
	}
}

func prepareRaw(ctx context.Context, dc driver.Conn, query string) (driver.Stmt, error) {
	if p, ok := dc.(driver.ConnPrepareContext); ok {
		return p.PrepareContext(ctx, query)
	}
	return dc.Prepare(query)
}

func execRaw(ctx context.Context, st driver.Stmt) error {
	var err error
	if e, ok := st.(driver.StmtExecContext); ok {
		_, err = e.ExecContext(ctx, nil)
	} else {
		_, err = st.Exec(nil) //nolint:staticcheck // drivers without the context variant
	}
	return err
}

// view runs fn on a reader connection in one read snapshot, through the
// connection's cached statements.
func (s *Store) view(ctx context.Context, fn func(vt *viewTx) error) error {
	return s.viewOn(ctx, s.r, fn)
}

// viewOn is view on a connection of pool (s.r or s.ur).
func (s *Store) viewOn(ctx context.Context, pool *sql.DB, fn func(vt *viewTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := s.raw
	c.life.RLock()
	defer c.life.RUnlock()
	if c.closed {
		return ErrClosed
	}
	conn, err := pool.Conn(ctx)
	if err != nil {
		if s.isClosed() {
			return ErrClosed
		}
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer conn.Close()
	var fnErr error
	err = conn.Raw(func(dc any) error {
		d := dc.(driver.Conn)
		rs, err := c.stmts(ctx, d)
		if err != nil {
			return fmt.Errorf("sqlite: begin read: %w", err)
		}
		vt := &viewTx{ctx: ctx, rs: rs, dc: d, cache: s.docs}
		// A panic in fn: database/sql closes the driver connection (Raw
		// turns the panic into ErrBadConn), which with statements still
		// prepared on it would only make it a zombie that keeps its
		// snapshot (the WAL could never be reset) until Close, which would
		// then finalize statements of a closed connection. So end the read
		// and finalize the statements first, then let the panic go on.
		defer func() {
			if p := recover(); p != nil {
				vt.end() //nolint:errcheck // the connection is dropped anyway
				c.forget(d)
				panic(p)
			}
		}()
		fnErr = fn(vt)
		err = vt.end()
		// A context cancelled during fn may have interrupted the
		// connection (sqlite3_interrupt), and resetting a pinned statement
		// does not clear that: database/sql then drops the connection
		// (driver.Validator) when Raw returns, so finalize its statements
		// now (a connection kept after all prepares them again). Ending the
		// read may also fail, leaving the connection in an unknown state:
		// discard it.
		if err != nil || ctx.Err() != nil || !connValid(d) {
			c.forget(d)
		}
		if err != nil {
			return fmt.Errorf("sqlite: end read: %w (%w)", err, driver.ErrBadConn)
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

// connValid reports whether database/sql will keep dc in the pool.
func connValid(dc driver.Conn) bool {
	v, ok := dc.(driver.Validator)
	return !ok || v.IsValid()
}

// viewTx implements marketplace.ReadTx inside View. It is not safe for
// concurrent use (its statement maps and the driver connection are
// unguarded): a View's closure uses it from one goroutine at a time, as
// doc.go says.
type viewTx struct {
	ctx   context.Context
	rs    *rawStmts
	dc    driver.Conn
	cache *docCache
	began bool        // BEGIN ran: ROLLBACK at the end
	pin   driver.Rows // the first point read, left active: reset at the end
}

// snapshot makes the reads that follow share one snapshot: unless a pinned
// statement holds one already, it runs BEGIN (the next read takes it).
func (v *viewTx) snapshot() error {
	if v.began || v.pin != nil {
		return nil
	}
	if err := execRaw(v.ctx, v.rs.begin); err != nil {
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	v.began = true
	return nil
}

// end ends the View's read transaction: it resets the pinned statement or
// rolls back the BEGIN.
func (v *viewTx) end() error {
	if v.pin != nil {
		err := v.pin.Close()
		v.pin = nil
		return err
	}
	if v.began {
		v.began = false
		return execRaw(context.Background(), v.rs.rollback)
	}
	return nil
}

var _ marketplace.ReadTx = (*viewTx)(nil)

// prepared returns query prepared on the View's connection, from m (rs.q
// or rs.pin).
func (v *viewTx) prepared(m map[string]driver.Stmt, query string) (driver.Stmt, error) {
	if st := m[query]; st != nil {
		return st, nil
	}
	st, err := prepareRaw(v.ctx, v.dc, query)
	if err != nil {
		return nil, err
	}
	m[query] = st
	return st, nil
}

// run starts st with args.
func (v *viewTx) run(st driver.Stmt, args []driver.NamedValue) (driver.Rows, error) {
	if q, ok := st.(driver.StmtQueryContext); ok {
		return q.QueryContext(v.ctx, args)
	}
	vals := make([]driver.Value, len(args))
	for i, a := range args {
		vals[i] = a.Value
	}
	return st.Query(vals) //nolint:staticcheck // drivers without the context variant
}

// query runs query (prepared once per connection) with args in the View's
// snapshot and calls each with every row's values, which are valid only
// during the call.
func (v *viewTx) query(query string, args []driver.NamedValue, each func(row []driver.Value) error) error {
	if err := v.snapshot(); err != nil {
		return err
	}
	st, err := v.prepared(v.rs.q, query)
	if err != nil {
		return err
	}
	rows, err := v.run(st, args)
	if err != nil {
		return err
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(dest); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if err := each(dest); err != nil {
			return err
		}
	}
}

// queryOne runs query, which yields exactly one row, and calls each with
// that row. As the View's first read it takes the snapshot and keeps it:
// the statement stays active (pinned) until end.
func (v *viewTx) queryOne(query string, args []driver.NamedValue, each func(row []driver.Value) error) error {
	if v.began || v.pin != nil {
		return v.query(query, args, each)
	}
	st, err := v.prepared(v.rs.pin, query)
	if err != nil {
		return err
	}
	rows, err := v.run(st, args)
	if err != nil {
		return err
	}
	dest := make([]driver.Value, len(rows.Columns()))
	if err := rows.Next(dest); err != nil {
		rows.Close()
		if err == io.EOF {
			return fmt.Errorf("sqlite: %q yielded no row", query)
		}
		return err
	}
	v.pin = rows
	return each(dest)
}

// docs runs query with one argument and calls each with every row's first
// column (a JSON document).
func (v *viewTx) docs(query, arg string, each func(doc []byte) error) error {
	return v.query(query, []driver.NamedValue{{Ordinal: 1, Value: arg}}, func(row []driver.Value) error {
		doc, err := docBytes(row[0])
		if err != nil {
			return err
		}
		return each(doc)
	})
}

// docBytes is a document column's value.
func docBytes(v driver.Value) ([]byte, error) {
	switch d := v.(type) {
	case []byte:
		return d, nil
	case string:
		return []byte(d), nil
	default:
		return nil, fmt.Errorf("sqlite: document column holds %T", v)
	}
}

// cachedGet are the point reads through the document cache, per kind: the
// stored version, and the document only when the version differs from ?2
// (the cached one; 0, which no stored row has, when nothing is cached).
// They yield exactly one row, NULLs when there is no row ?1 (see
// queryOne).
var cachedGet = func() map[marketplace.Kind]string {
	m := map[marketplace.Kind]string{}
	for k, t := range tables {
		m[k] = "SELECT t.version, CASE WHEN t.version = ?2 THEN NULL ELSE t.doc END FROM (SELECT ?1 AS id) AS k LEFT JOIN " +
			t.name + " AS t ON t.id = k.id"
	}
	return m
}()

// viewGet reads one aggregate by id. With a clone plan for T (every kind
// has one, see clone_test.go), the document cache spares decoding a
// document whose version was decoded before.
func viewGet[T any](v *viewTx, kind marketplace.Kind, id string) (T, error) {
	var out T
	plan := viewPlans[kind]
	if plan == nil || v.cache == nil {
		return viewDecode[T](v, kind, id)
	}
	cached := v.cache.get(kind, id)
	var have int64
	if cached != nil {
		have = cached.version
	}
	found, hit := false, false
	var version int64
	var doc []byte
	args := []driver.NamedValue{{Ordinal: 1, Value: id}, {Ordinal: 2, Value: have}}
	err := v.queryOne(cachedGet[kind], args, func(row []driver.Value) error {
		if row[0] == nil {
			return nil
		}
		found = true
		n, ok := row[0].(int64)
		if !ok {
			return fmt.Errorf("sqlite: version column holds %T", row[0])
		}
		version = n
		if row[1] == nil {
			hit = true
			return nil
		}
		d, err := docBytes(row[1])
		if err != nil {
			return err
		}
		// The driver may reuse its buffer for the next row.
		doc = append([]byte(nil), d...)
		return nil
	})
	switch {
	case err != nil:
		return out, fmt.Errorf("sqlite: get %s %q: %w", kind, id, err)
	case !found:
		return out, &marketplace.NotFoundError{Kind: kind, ID: id}
	case hit && version == have:
		return cachedCopy[T](cached, plan), nil
	}
	return decodeAndCache[T](v.cache, plan, kind, id, version, doc)
}

// viewDecode reads and decodes one aggregate by id, without the cache.
func viewDecode[T any](v *viewTx, kind marketplace.Kind, id string) (T, error) {
	var out T
	found := false
	err := v.docs(stmts[kind].get, id, func(doc []byte) error {
		found = true
		if err := doccodec.Unmarshal(doc, &out); err != nil {
			return fmt.Errorf("sqlite: decode %s %q: %w", kind, id, err)
		}
		return nil
	})
	if err != nil {
		var zero T
		if !found {
			return zero, fmt.Errorf("sqlite: get %s %q: %w", kind, id, err)
		}
		return zero, err
	}
	if !found {
		return out, &marketplace.NotFoundError{Kind: kind, ID: id}
	}
	return out, nil
}

// viewPlans are the clone plans of the aggregates ReadTx returns by id; a
// kind whose type cannot be deep-copied (none today) is read without the
// cache.
var viewPlans = func() map[marketplace.Kind]*clonePlan {
	types := map[marketplace.Kind]reflect.Type{
		marketplace.KindSeller:      reflect.TypeFor[marketplace.Seller](),
		marketplace.KindProduct:     reflect.TypeFor[marketplace.Product](),
		marketplace.KindOrder:       reflect.TypeFor[marketplace.Order](),
		marketplace.KindPayment:     reflect.TypeFor[marketplace.Payment](),
		marketplace.KindAccount:     reflect.TypeFor[marketplace.Account](),
		marketplace.KindResource:    reflect.TypeFor[marketplace.Resource](),
		marketplace.KindFlow:        reflect.TypeFor[marketplace.Flow](),
		marketplace.KindInvoice:     reflect.TypeFor[marketplace.Invoice](),
		marketplace.KindUnsubscribe: reflect.TypeFor[marketplace.UnsubscribeRequest](),
	}
	m := map[marketplace.Kind]*clonePlan{}
	for k, t := range types {
		if p, err := cloneFor(t); err == nil {
			m[k] = p
		}
	}
	return m
}()

// Seller implements marketplace.ReadTx.
func (v *viewTx) Seller(id string) (marketplace.Seller, error) {
	return viewGet[marketplace.Seller](v, marketplace.KindSeller, id)
}

// Product implements marketplace.ReadTx.
func (v *viewTx) Product(id string) (marketplace.Product, error) {
	return viewGet[marketplace.Product](v, marketplace.KindProduct, id)
}

// Order implements marketplace.ReadTx.
func (v *viewTx) Order(id string) (marketplace.Order, error) {
	return viewGet[marketplace.Order](v, marketplace.KindOrder, id)
}

// Payment implements marketplace.ReadTx.
func (v *viewTx) Payment(id string) (marketplace.Payment, error) {
	return viewGet[marketplace.Payment](v, marketplace.KindPayment, id)
}

// Account implements marketplace.ReadTx.
func (v *viewTx) Account(id string) (marketplace.Account, error) {
	return viewGet[marketplace.Account](v, marketplace.KindAccount, id)
}

// Resource implements marketplace.ReadTx.
func (v *viewTx) Resource(id string) (marketplace.Resource, error) {
	return viewGet[marketplace.Resource](v, marketplace.KindResource, id)
}

// Flow implements marketplace.ReadTx.
func (v *viewTx) Flow(id string) (marketplace.Flow, error) {
	return viewGet[marketplace.Flow](v, marketplace.KindFlow, id)
}

// Invoice implements marketplace.ReadTx.
func (v *viewTx) Invoice(id string) (marketplace.Invoice, error) {
	return viewGet[marketplace.Invoice](v, marketplace.KindInvoice, id)
}

// UnsubscribeRequest implements marketplace.ReadTx.
func (v *viewTx) UnsubscribeRequest(id string) (marketplace.UnsubscribeRequest, error) {
	return viewGet[marketplace.UnsubscribeRequest](v, marketplace.KindUnsubscribe, id)
}

// SavedItems implements marketplace.ReadTx.
func (v *viewTx) SavedItems(buyerID string) ([]marketplace.SavedItem, error) {
	out := []marketplace.SavedItem{}
	err := v.docs(savedItemsQuery, buyerID, func(doc []byte) error {
		var it marketplace.SavedItem
		if err := doccodec.Unmarshal(doc, &it); err != nil {
			return err
		}
		out = append(out, it)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: saved items of %q: %w", buyerID, err)
	}
	return out, nil
}

// idempotencyPointQuery is idempotencyQuery as a query that yields exactly
// one row (NULL when there is no such key), so that as a View's first read
// (an optimistic Update's usually is: the key decides whether the request
// was made before) it takes the snapshot without BEGIN (see queryOne).
const idempotencyPointQuery = `SELECT t.doc FROM (SELECT ?1 AS key) AS k LEFT JOIN og_idempotency AS t ON t.key = k.key`

// Idempotency implements marketplace.ReadTx.
func (v *viewTx) Idempotency(key string) (marketplace.IdempotencyRecord, error) {
	var rec marketplace.IdempotencyRecord
	found := false
	err := v.queryOne(idempotencyPointQuery, []driver.NamedValue{{Ordinal: 1, Value: key}}, func(row []driver.Value) error {
		if row[0] == nil {
			return nil
		}
		found = true
		doc, err := docBytes(row[0])
		if err != nil {
			return err
		}
		if err := doccodec.Unmarshal(doc, &rec); err != nil {
			return fmt.Errorf("sqlite: decode idempotency %q: %w", key, err)
		}
		return nil
	})
	if err != nil {
		if !found {
			return rec, fmt.Errorf("sqlite: idempotency %q: %w", key, err)
		}
		return marketplace.IdempotencyRecord{}, err
	}
	if !found {
		return rec, &marketplace.NotFoundError{Kind: marketplace.KindIdempotency, ID: key}
	}
	return rec, nil
}
