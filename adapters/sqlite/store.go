package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opengallery/opengallery/adapters/internal/doccodec"
	"github.com/opengallery/opengallery/adapters/internal/docpage"
	"github.com/opengallery/opengallery/marketplace"
)

var _ marketplace.Store = (*Store)(nil)

// Update implements marketplace.Store. With WithOptimisticUpdates (the
// default) fn runs, while the writer is busy, in the caller's goroutine,
// reading committed state, and its buffered writes are applied with their
// version checks in a group commit (optimistic.go; the package
// documentation says what that isolates); a DueResourceTx method moves the
// rest of fn onto the writer's transaction. Otherwise (the writer idle, or
// the option off, or ctx is a retry after a lost race:
// marketplace.Retrying) fn runs on the writer goroutine inside a
// transaction it may share with other concurrent Update calls (in a
// savepoint of its own unless it runs alone), where nothing can change
// what it reads, so a retry cannot lose again. Either way Update returns once the transaction has
// committed, and fn must not call the Store's methods (on the writer that
// would wait for the writer that is running fn).
//
// Errors: whatever fn returns, unchanged; *marketplace.ConflictError
// (marketplace.ErrConflict) from a stale Put, an existing id or
// idempotency key (at the Put or, optimistically, at commit) or a saved
// item deleted since fn read it (optimistically, at commit); ErrClosed;
// ctx.Err(); driver errors when a read or the commit fails.
func (s *Store) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	if s.opts.optimistic && (s.opts.alwaysOptimistic || s.writerBusy()) && !marketplace.Retrying(ctx) {
		return s.updateOptimistic(ctx, fn)
	}
	return s.write(ctx, func(ctx context.Context, q sqlTx) error {
		t := &tx{ctx: ctx, q: q}
		if err := fn(t); err != nil {
			return err
		}
		return t.flush()
	})
}

// writerBusy reports whether writes are queued or committing, optimistic
// closures running, or the last group commit carried more than one
// request. Then a closure is better run optimistically: on the writer it
// would wait for the others, and hold up what comes after it (at a group's
// end, when the writer is briefly idle under load, a closure run there
// costs the writer twice what its write set would). Otherwise running it
// on the writer costs nothing in concurrency and reads through the
// writer's warm page cache (a reader connection starts each snapshot
// after a commit with an empty one).
func (s *Store) writerBusy() bool {
	return s.pending.Load() > 0 || len(s.fnSlots) > 0 || s.lastGroup.Load() > 1
}

// View implements marketplace.Store: fn sees one consistent snapshot of
// committed state through a reader connection (see view.go for the fast
// path it takes).
//
// Errors: whatever fn returns; ErrClosed; ctx.Err(); driver errors.
func (s *Store) View(ctx context.Context, fn func(tx marketplace.ReadTx) error) error {
	return s.view(ctx, func(vt *viewTx) error { return fn(vt) })
}

// read runs fn in a read transaction on a reader connection.
func (s *Store) read(ctx context.Context, fn func(q sqlTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q, err := s.r.BeginTx(ctx, nil)
	if err != nil {
		if s.isClosed() {
			return ErrClosed
		}
		return fmt.Errorf("sqlite: begin read: %w", err)
	}
	defer q.Rollback() //nolint:errcheck // read-only: nothing to keep
	return fn(sqlTx{tx: q, cache: s.rc})
}

func (s *Store) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// cursor is a position in a sorted list (see docpage.Cursor).
type cursor = docpage.Cursor[int64]

func decodeCursor(s string) (*cursor, error) { return docpage.Decode[int64](s) }

// where accumulates SQL conditions and their arguments.
type where struct {
	conds []string
	args  []any
}

func (w *where) eq(col string, v string) {
	if v != "" {
		w.add(col+" = ?", v)
	}
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// listSpec is a list query over one aggregate table ordered by a time
// column, then id.
type listSpec struct {
	kind    marketplace.Kind
	timeCol string
	asc     bool
	w       where
}

// list runs a keyset-paginated list query and its total count in one read
// snapshot.
func list[T any](ctx context.Context, s *Store, spec listSpec, cur string, limit int) (marketplace.Page[T], error) {
	var out marketplace.Page[T]
	if err := marketplace.CheckLimit(limit); err != nil {
		return out, err
	}
	after, err := decodeCursor(cur)
	if err != nil {
		return out, err
	}
	tbl := tables[spec.kind].name
	pageW := spec.w
	pageW.conds = append([]string(nil), spec.w.conds...)
	pageW.args = append([]any(nil), spec.w.args...)
	op, dir := "<", "DESC"
	if spec.asc {
		op, dir = ">", "ASC"
	}
	if after != nil {
		pageW.add(fmt.Sprintf("(%s %s ? OR (%s = ? AND id %s ?))", spec.timeCol, op, spec.timeCol, op), after.T, after.T, after.ID)
	}
	query := fmt.Sprintf("SELECT doc, %s, id FROM %s%s ORDER BY %s %s, id %s LIMIT ?", spec.timeCol, tbl, pageW.sql(), spec.timeCol, dir, dir)
	err = s.read(ctx, func(q sqlTx) error {
		if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+tbl+spec.w.sql(), spec.w.args...).Scan(&out.Total); err != nil {
			return err
		}
		rows, err := q.QueryContext(ctx, query, append(pageW.args, limit+1)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		out.Items, out.Next, err = docpage.Collect[T, int64](rows, limit)
		return err
	})
	if err != nil {
		return marketplace.Page[T]{}, wrapRead(ctx, "list "+string(spec.kind), err)
	}
	return out, nil
}

// wrapRead keeps ctx errors and sentinel-wrapped errors as they are and
// names the operation on driver errors.
func wrapRead(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err == ErrClosed {
		return err
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// ListOrders implements marketplace.Store.
func (s *Store) ListOrders(ctx context.Context, q marketplace.OrderQuery) (marketplace.Page[marketplace.Order], error) {
	spec := listSpec{kind: marketplace.KindOrder, timeCol: "created_at"}
	spec.w.eq("buyer_id", q.BuyerID)
	spec.w.eq("seller_id", q.SellerID)
	spec.w.eq("resource_id", q.ResourceID)
	spec.w.eq("status", string(q.Status))
	spec.w.eq("kind", string(q.Kind))
	return list[marketplace.Order](ctx, s, spec, q.Cursor, q.Limit)
}

// ListResources implements marketplace.Store.
func (s *Store) ListResources(ctx context.Context, q marketplace.ResourceQuery) (marketplace.Page[marketplace.Resource], error) {
	spec := listSpec{kind: marketplace.KindResource, timeCol: "purchased_at"}
	spec.w.eq("buyer_id", q.BuyerID)
	spec.w.eq("seller_id", q.SellerID)
	spec.w.eq("status", string(q.Status))
	if q.VisibleOnly {
		spec.w.add("visible = 1")
	}
	return list[marketplace.Resource](ctx, s, spec, q.Cursor, q.Limit)
}

// ListFlows implements marketplace.Store.
func (s *Store) ListFlows(ctx context.Context, q marketplace.FlowQuery) (marketplace.Page[marketplace.Flow], error) {
	spec := listSpec{kind: marketplace.KindFlow, timeCol: "created_at"}
	spec.w.eq("buyer_id", q.BuyerID)
	spec.w.eq("seller_id", q.SellerID)
	spec.w.eq("status", q.Status)
	return list[marketplace.Flow](ctx, s, spec, q.Cursor, q.Limit)
}

// ListInvoices implements marketplace.Store.
func (s *Store) ListInvoices(ctx context.Context, q marketplace.InvoiceQuery) (marketplace.Page[marketplace.Invoice], error) {
	spec := listSpec{kind: marketplace.KindInvoice, timeCol: "requested_at"}
	spec.w.eq("buyer_id", q.BuyerID)
	spec.w.eq("seller_id", q.SellerID)
	spec.w.eq("order_id", q.OrderID)
	spec.w.eq("status", string(q.Status))
	return list[marketplace.Invoice](ctx, s, spec, q.Cursor, q.Limit)
}

// ListUnsubscribeRequests implements marketplace.Store.
func (s *Store) ListUnsubscribeRequests(ctx context.Context, q marketplace.UnsubscribeQuery) (marketplace.Page[marketplace.UnsubscribeRequest], error) {
	spec := listSpec{kind: marketplace.KindUnsubscribe, timeCol: "created_at"}
	spec.w.eq("buyer_id", q.BuyerID)
	spec.w.eq("seller_id", q.SellerID)
	spec.w.eq("resource_id", q.ResourceID)
	spec.w.eq("status", string(q.Status))
	return list[marketplace.UnsubscribeRequest](ctx, s, spec, q.Cursor, q.Limit)
}

// ListPayments implements marketplace.Store.
func (s *Store) ListPayments(ctx context.Context, q marketplace.PaymentQuery) (marketplace.Page[marketplace.Payment], error) {
	spec := listSpec{kind: marketplace.KindPayment, timeCol: "created_at", asc: true}
	spec.w.eq("buyer_id", q.BuyerID)
	spec.w.eq("order_id", q.OrderID)
	spec.w.eq("method", string(q.Method))
	if q.Unsettled {
		spec.w.add("settled = 0")
	}
	return list[marketplace.Payment](ctx, s, spec, q.Cursor, q.Limit)
}

// dueTables are the aggregates ClaimDue visits, in Kind order.
var dueTables = []marketplace.Kind{marketplace.KindFlow, marketplace.KindOrder, marketplace.KindResource, marketplace.KindUnsubscribe}

var claimQuery = func() string {
	parts := make([]string, len(dueTables))
	for i, k := range dueTables {
		parts[i] = fmt.Sprintf(`SELECT * FROM (SELECT '%s' AS kind, id, version, due_at FROM %s
			WHERE due_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1) ORDER BY due_at, id LIMIT ?2)`, k, tables[k].name)
	}
	return strings.Join(parts, " UNION ALL ") + " ORDER BY due_at, kind, id LIMIT ?2"
}()

// ClaimDue implements marketplace.Store. The claim is a write on the
// single writer, so two callers in this process, or in several processes on
// the same file (serialised by SQLite's write lock), never get the same item
// while its lease runs.
//
// Errors: *marketplace.InputError for limit < 1, an empty owner or
// lease ≤ 0; ErrClosed; ctx.Err(); driver errors.
func (s *Store) ClaimDue(ctx context.Context, now time.Time, limit int, owner string, lease time.Duration) ([]marketplace.DueItem, error) {
	switch {
	case limit < 1:
		return nil, &marketplace.InputError{Field: "limit", Value: limit, Reason: "must be at least 1"}
	case owner == "":
		return nil, &marketplace.InputError{Field: "owner", Value: owner, Reason: "must not be empty"}
	case lease <= 0:
		return nil, &marketplace.InputError{Field: "lease", Value: lease, Reason: "must be positive"}
	}
	var out []marketplace.DueItem
	err := s.write(ctx, func(ctx context.Context, q sqlTx) error {
		out = out[:0]
		rows, err := q.QueryContext(ctx, claimQuery, nanos(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var it marketplace.DueItem
			var due int64
			if err := rows.Scan(&it.Kind, &it.ID, &it.Version, &due); err != nil {
				rows.Close()
				return err
			}
			it.DueAt = time.Unix(0, due).UTC()
			out = append(out, it)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		until := nanos(now.Add(lease))
		for _, it := range out {
			if _, err := q.ExecContext(ctx, leaseQuery(it.Kind), until, owner, it.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrapRead(ctx, "claim due", err)
	}
	if out == nil {
		out = []marketplace.DueItem{}
	}
	return out, nil
}

// Events implements marketplace.Store.
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]marketplace.Event, error) {
	if err := marketplace.CheckLimit(limit); err != nil {
		return nil, err
	}
	if after < 0 {
		return nil, &marketplace.InputError{Field: "after", Value: after, Reason: "must not be negative"}
	}
	out := []marketplace.Event{}
	err := s.read(ctx, func(q sqlTx) error {
		rows, err := q.QueryContext(ctx, `SELECT seq, doc FROM og_events WHERE seq > ? ORDER BY seq LIMIT ?`, after, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var seq int64
			var doc []byte
			if err := rows.Scan(&seq, &doc); err != nil {
				return err
			}
			var e marketplace.Event
			if err := doccodec.Unmarshal(doc, &e); err != nil {
				return err
			}
			e.Seq = seq
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrapRead(ctx, "events", err)
	}
	return out, nil
}

func (w where) clone() where {
	return where{conds: append([]string(nil), w.conds...), args: append([]any(nil), w.args...)}
}
