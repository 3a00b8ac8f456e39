package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/opengallery/opengallery/marketplace"
)

// View's fast path. A View is usually one point read (an order by id), so
// what surrounds the SELECT costs as much as the SELECT: through
// database/sql, BeginTx parses and runs "begin", every statement goes
// through a per-transaction *sql.Stmt, and Rollback parses "rollback".
// Instead View takes a reader connection, and on the driver connection
// itself runs BEGIN, its reads and ROLLBACK as statements prepared once per
// connection and kept (rawCache). The semantics are unchanged: BEGIN is
// DEFERRED, so the first read takes the WAL snapshot that every later read
// of the same View sees, and nothing is held once View returns.

// rawStmts are the statements prepared on one reader connection.
type rawStmts struct {
	begin, rollback driver.Stmt
	q               map[string]driver.Stmt
}

// rawCache keeps rawStmts per driver connection of the reader pool.
type rawCache struct {
	life   sync.RWMutex // held shared by a running View, exclusively by close
	mu     sync.Mutex
	closed bool
	conns  map[driver.Conn]*rawStmts
}

func newRawCache() *rawCache { return &rawCache{conns: map[driver.Conn]*rawStmts{}} }

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
	rs = &rawStmts{begin: b, rollback: r, q: map[string]driver.Stmt{}}
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

// view runs fn in a deferred read transaction on a reader connection,
// through the connection's cached statements.
func (s *Store) view(ctx context.Context, fn func(vt *viewTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := s.raw
	c.life.RLock()
	defer c.life.RUnlock()
	if c.closed {
		return ErrClosed
	}
	conn, err := s.r.Conn(ctx)
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
		if err := execRaw(ctx, rs.begin); err != nil {
			return fmt.Errorf("sqlite: begin read: %w", err)
		}
		fnErr = fn(&viewTx{ctx: ctx, rs: rs, dc: d})
		// A context cancelled during fn may make this rollback fail; the
		// connection is then in an unknown state: discard it.
		if err := execRaw(context.Background(), rs.rollback); err != nil {
			c.forget(d)
			return fmt.Errorf("sqlite: end read: %w (%w)", err, driver.ErrBadConn)
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	return err
}

// viewTx implements marketplace.ReadTx inside View.
type viewTx struct {
	ctx context.Context
	rs  *rawStmts
	dc  driver.Conn
}

var _ marketplace.ReadTx = (*viewTx)(nil)

// docs runs query with one argument and calls each with every row's first
// column (a JSON document).
func (v *viewTx) docs(query, arg string, each func(doc []byte) error) error {
	st := v.rs.q[query]
	if st == nil {
		var err error
		if st, err = prepareRaw(v.ctx, v.dc, query); err != nil {
			return err
		}
		v.rs.q[query] = st
	}
	args := []driver.NamedValue{{Ordinal: 1, Value: arg}}
	var rows driver.Rows
	var err error
	if q, ok := st.(driver.StmtQueryContext); ok {
		rows, err = q.QueryContext(v.ctx, args)
	} else {
		rows, err = st.Query([]driver.Value{arg}) //nolint:staticcheck // drivers without the context variant
	}
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
		var doc []byte
		switch d := dest[0].(type) {
		case []byte:
			doc = d
		case string:
			doc = []byte(d)
		default:
			return fmt.Errorf("sqlite: document column holds %T", dest[0])
		}
		if err := each(doc); err != nil {
			return err
		}
	}
}

func viewGet[T any](v *viewTx, kind marketplace.Kind, id string) (T, error) {
	var out T
	found := false
	err := v.docs(stmts[kind].get, id, func(doc []byte) error {
		found = true
		if err := json.Unmarshal(doc, &out); err != nil {
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
		if err := json.Unmarshal(doc, &it); err != nil {
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

// Idempotency implements marketplace.ReadTx.
func (v *viewTx) Idempotency(key string) (marketplace.IdempotencyRecord, error) {
	var rec marketplace.IdempotencyRecord
	found := false
	err := v.docs(idempotencyQuery, key, func(doc []byte) error {
		found = true
		if err := json.Unmarshal(doc, &rec); err != nil {
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
