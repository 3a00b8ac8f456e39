package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opengallery/opengallery/adapters/internal/doccodec"
	"github.com/opengallery/opengallery/adapters/internal/docpage"
	"github.com/opengallery/opengallery/marketplace"
)

var _ marketplace.Store = (*Store)(nil)

// Update implements marketplace.Store: fn's reads run as they come (each
// in its own snapshot, as in a READ COMMITTED transaction), its writes are
// kept and sent with their version checks, its events and COMMIT in one
// round trip, together with the writes of Updates that finish meanwhile
// (see the package documentation). A stale write (a version that is no
// longer stored, an id or idempotency key that already exists) fails the
// commit with *marketplace.ConflictError, or the Put at once when the
// transaction itself wrote the aggregate since; serialization failures
// and deadlocks PostgreSQL reports are returned as
// *marketplace.ConflictError too.
//
// Errors: whatever fn returns, unchanged; *marketplace.ConflictError
// (marketplace.ErrConflict); an error wrapping pgx.ErrTxCommitRollback when
// a statement fn ran inside the transaction (a saved-item write) failed
// and fn still returned nil; ctx.Err(); pgx errors; should the goroutine
// carrying a group commit panic, an error saying the outcome is unknown.
func (s *Store) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	return s.update(ctx, func(t *tx) error { return fn(t) })
}

// View implements marketplace.Store: fn reads one snapshot (a read-only
// REPEATABLE READ transaction, begun in the same round trip as fn's first
// read and rolled back in the next View's).
//
// Errors: whatever fn returns; ctx.Err(); pgx errors.
func (s *Store) View(ctx context.Context, fn func(tx marketplace.ReadTx) error) error {
	return s.view(ctx, func(q querier) error { return fn(&tx{ctx: ctx, q: q, s: &s.q}) })
}

// cursor is a position in a sorted list (see docpage.Cursor).
type cursor = docpage.Cursor[time.Time]

func decodeCursor(s string) (*cursor, error) { return docpage.Decode[time.Time](s) }

// where accumulates SQL conditions with numbered parameters.
type where struct {
	conds []string
	args  []any
}

// arg adds a parameter and returns its placeholder.
func (w *where) arg(v any) string {
	w.args = append(w.args, v)
	return fmt.Sprintf("$%d", len(w.args))
}

func (w *where) eq(col, v string) {
	if v != "" {
		w.conds = append(w.conds, col+" = "+w.arg(v))
	}
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func (w where) clone() where {
	return where{conds: append([]string(nil), w.conds...), args: append([]any(nil), w.args...)}
}

// listSpec is a list query over one aggregate table ordered by a time
// column, then id.
type listSpec struct {
	kind    marketplace.Kind
	timeCol string
	asc     bool
	w       where
}

// list sends BEGIN, the total count and the page in one pgx.Batch (one
// round trip) inside one snapshot.
func list[T any](ctx context.Context, s *Store, spec listSpec, cur string, limit int) (marketplace.Page[T], error) {
	var out marketplace.Page[T]
	if err := marketplace.CheckLimit(limit); err != nil {
		return out, err
	}
	after, err := decodeCursor(cur)
	if err != nil {
		return out, err
	}
	tbl := s.q.kinds[spec.kind].table
	pw := spec.w.clone()
	op, dir := "<", "DESC"
	if spec.asc {
		op, dir = ">", "ASC"
	}
	if after != nil {
		tp, ip := pw.arg(after.T), pw.arg(after.ID)
		pw.conds = append(pw.conds, fmt.Sprintf(`(%s %s %s OR (%s = %s AND id COLLATE "C" %s %s))`, spec.timeCol, op, tp, spec.timeCol, tp, op, ip))
	}
	lp := pw.arg(limit + 1)
	query := fmt.Sprintf(`SELECT doc, %s, id FROM %s%s ORDER BY %s %s, id COLLATE "C" %s LIMIT %s`, spec.timeCol, tbl, pw.sql(), spec.timeCol, dir, dir, lp)
	err = s.readBatch(ctx, func(b *pgx.Batch) {
		b.Queue("SELECT count(*) FROM "+tbl+spec.w.sql(), spec.w.args...)
		b.Queue(query, pw.args...)
	}, func(br pgx.BatchResults) error {
		if err := br.QueryRow().Scan(&out.Total); err != nil {
			return err
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		out.Items, out.Next, err = docpage.Collect[T, time.Time](rows, limit)
		return err
	})
	if err != nil {
		return marketplace.Page[T]{}, wrapErr(ctx, "list "+string(spec.kind), err)
	}
	return out, nil
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
		spec.w.conds = append(spec.w.conds, "visible")
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
		spec.w.conds = append(spec.w.conds, "NOT settled")
	}
	return list[marketplace.Payment](ctx, s, spec, q.Cursor, q.Limit)
}

// SearchProducts implements marketplace.Store. Text terms are prefix
// tsquery terms against the products' tsvector; the other filters use the
// indexed columns and the tags array (GIN).
func (s *Store) SearchProducts(ctx context.Context, q marketplace.ProductQuery) (marketplace.Page[marketplace.Product], error) {
	var out marketplace.Page[marketplace.Product]
	if err := marketplace.CheckSort(q.Sort); err != nil {
		return out, err
	}
	if err := marketplace.CheckLimit(q.Limit); err != nil {
		return out, err
	}
	after, err := decodeCursor(q.Cursor)
	if err != nil {
		return out, err
	}
	var w where
	if terms := marketplace.SearchTerms(q.Text); len(terms) > 0 {
		parts := make([]string, len(terms))
		for i, t := range terms {
			parts[i] = "'" + strings.ReplaceAll(t, "'", "''") + "':*"
		}
		w.conds = append(w.conds, "search @@ to_tsquery('simple', "+w.arg(strings.Join(parts, " & "))+")")
	}
	w.eq("category", q.Category)
	w.eq("delivery", string(q.Delivery))
	w.eq("seller_id", q.SellerID)
	if q.OS != "" {
		w.conds = append(w.conds, "tags @> "+w.arg([]string{"os:" + q.OS}))
	}
	if q.Mode != "" {
		w.conds = append(w.conds, "tags @> "+w.arg([]string{"mode:" + string(q.Mode)}))
	}
	if len(q.Statuses) > 0 {
		sts := make([]string, len(q.Statuses))
		for i, st := range q.Statuses {
			sts[i] = string(st)
		}
		w.conds = append(w.conds, "status = ANY("+w.arg(sts)+")")
	}
	pw := w.clone()
	byName := q.Sort == marketplace.SortName
	order := `sort_r, sort_t DESC, id COLLATE "C"`
	if byName {
		order = `name, id COLLATE "C"`
		if after != nil {
			sp, ip := pw.arg(after.S), pw.arg(after.ID)
			pw.conds = append(pw.conds, fmt.Sprintf(`(name > %s OR (name = %s AND id COLLATE "C" > %s))`, sp, sp, ip))
		}
	} else if after != nil {
		rp, tp, ip := pw.arg(after.R), pw.arg(after.T), pw.arg(after.ID)
		pw.conds = append(pw.conds, fmt.Sprintf(`(sort_r > %s OR (sort_r = %s AND (sort_t < %s OR (sort_t = %s AND id COLLATE "C" > %s))))`, rp, rp, tp, tp, ip))
	}
	tbl := s.q.kinds[marketplace.KindProduct].table
	query := "SELECT doc, sort_r, sort_t, name, id FROM " + tbl + pw.sql() + " ORDER BY " + order + " LIMIT " + pw.arg(q.Limit+1)
	err = s.readBatch(ctx, func(b *pgx.Batch) {
		b.Queue("SELECT count(*) FROM "+tbl+w.sql(), w.args...)
		b.Queue(query, pw.args...)
	}, func(br pgx.BatchResults) error {
		if err := br.QueryRow().Scan(&out.Total); err != nil {
			return err
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		out.Items = make([]marketplace.Product, 0, min(q.Limit, 64))
		var last cursor
		for rows.Next() {
			var doc []byte
			var c cursor
			if err := rows.Scan(&doc, &c.R, &c.T, &c.S, &c.ID); err != nil {
				return err
			}
			if byName {
				c.R, c.T = 0, time.Time{}
			} else {
				c.S = ""
			}
			if len(out.Items) == q.Limit {
				out.Next = last.Encode()
				break
			}
			var p marketplace.Product
			if err := doccodec.Unmarshal(doc, &p); err != nil {
				return err
			}
			out.Items = append(out.Items, p)
			last = c
		}
		return rows.Err()
	})
	if err != nil {
		return marketplace.Page[marketplace.Product]{}, wrapErr(ctx, "search products", err)
	}
	return out, nil
}

// dueKinds are the aggregates ClaimDue visits, in Kind order.
var dueKinds = []marketplace.Kind{marketplace.KindFlow, marketplace.KindOrder, marketplace.KindResource, marketplace.KindUnsubscribe}

// buildClaim builds ClaimDue's single statement: per table, lock up to
// limit due, unleased rows with FOR UPDATE SKIP LOCKED (rows another
// claimer holds are skipped, not waited for; a row whose lease another
// claimer committed meanwhile fails the re-checked WHERE); pick the oldest
// limit of them; lease those; return them.
func buildClaim(s *sqlText) string {
	var b strings.Builder
	b.WriteString("WITH ")
	var picks []string
	for i, k := range dueKinds {
		fmt.Fprintf(&b, `c%d AS (SELECT id, version, due_at FROM %s
			WHERE due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
			ORDER BY due_at, id COLLATE "C" LIMIT $2 FOR UPDATE SKIP LOCKED), `, i, s.kinds[k].table)
		picks = append(picks, fmt.Sprintf(`SELECT '%s'::text AS kind, id, version, due_at FROM c%d`, k, i))
	}
	fmt.Fprintf(&b, `pick AS (SELECT * FROM (%s) u ORDER BY due_at, kind COLLATE "C", id COLLATE "C" LIMIT $2)`, strings.Join(picks, " UNION ALL "))
	for i, k := range dueKinds {
		fmt.Fprintf(&b, `, u%d AS (UPDATE %s t SET lease_until = $3, lease_owner = $4 FROM pick
			WHERE pick.kind = '%s' AND t.id = pick.id)`, i, s.kinds[k].table, k)
	}
	b.WriteString(` SELECT kind, id, version, due_at FROM pick ORDER BY due_at, kind COLLATE "C", id COLLATE "C"`)
	return b.String()
}

// ClaimDue implements marketplace.Store with one statement (see buildClaim),
// so several processes claim disjoint batches without waiting on each
// other.
//
// Errors: *marketplace.InputError for limit < 1, an empty owner or
// lease ≤ 0; ctx.Err(); pgx errors.
func (s *Store) ClaimDue(ctx context.Context, now time.Time, limit int, owner string, lease time.Duration) ([]marketplace.DueItem, error) {
	switch {
	case limit < 1:
		return nil, &marketplace.InputError{Field: "limit", Value: limit, Reason: "must be at least 1"}
	case owner == "":
		return nil, &marketplace.InputError{Field: "owner", Value: owner, Reason: "must not be empty"}
	case lease <= 0:
		return nil, &marketplace.InputError{Field: "lease", Value: lease, Reason: "must be positive"}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, s.q.claim, now.UTC(), limit, now.Add(lease).UTC(), owner)
	if err != nil {
		return nil, wrapErr(ctx, "claim due", err)
	}
	out := []marketplace.DueItem{}
	defer rows.Close()
	for rows.Next() {
		var it marketplace.DueItem
		var kind string
		if err := rows.Scan(&kind, &it.ID, &it.Version, &it.DueAt); err != nil {
			return nil, wrapErr(ctx, "claim due", err)
		}
		it.Kind = marketplace.Kind(kind)
		it.DueAt = it.DueAt.UTC()
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		if isConflict(err) {
			return nil, &marketplace.ConflictError{Kind: "due"}
		}
		return nil, wrapErr(ctx, "claim due", err)
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
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT seq, doc FROM `+s.q.t("og_events")+` WHERE seq > $1 ORDER BY seq LIMIT $2`, after, limit)
	if err != nil {
		return nil, wrapErr(ctx, "events", err)
	}
	defer rows.Close()
	out := []marketplace.Event{}
	for rows.Next() {
		var seq int64
		var doc []byte
		if err := rows.Scan(&seq, &doc); err != nil {
			return nil, wrapErr(ctx, "events", err)
		}
		var e marketplace.Event
		if err := doccodec.Unmarshal(doc, &e); err != nil {
			return nil, fmt.Errorf("postgres: decode event %d: %w", seq, err)
		}
		e.Seq = seq
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, wrapErr(ctx, "events", err)
	}
	return out, nil
}
