package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opengallery/opengallery/adapters/internal/doccodec"
	"github.com/opengallery/opengallery/marketplace"
)

// querier is what sqlTx runs statements on: a reader's *sql.Tx, or the
// writer's *sql.Conn.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tx implements marketplace.Tx over the writer's transaction.
type tx struct {
	ctx context.Context
	q   sqlTx
	// events are appended events not yet inserted, numbered from the
	// first one the closure inserted (nextSeq is the number the next one
	// gets; 0 until then). A statement costs the writer more than a row,
	// so they go in multi-row INSERTs, eventsPerInsert at a time and when
	// the closure returns (flush).
	events  []eventWrite
	nextSeq int64
	// readDue: DueResources ran in the closure, and writerConn.due holds
	// what it read.
	readDue bool
}

var _ marketplace.Tx = (*tx)(nil)

// table describes how one aggregate kind is stored: its table and the
// indexed columns computed from the value.
type table struct {
	name string
	cols []string // indexed columns after id, version, doc (and due columns)
	due  bool     // has due_at / lease_until / lease_owner
}

var tables = map[marketplace.Kind]table{
	marketplace.KindSeller:      {name: "og_sellers"},
	marketplace.KindProduct:     {name: "og_products", cols: []string{"seller_id", "status", "category", "delivery", "name", "sort_r", "sort_t"}},
	marketplace.KindOrder:       {name: "og_orders", cols: []string{"buyer_id", "seller_id", "resource_id", "status", "kind", "created_at"}, due: true},
	marketplace.KindPayment:     {name: "og_payments", cols: []string{"buyer_id", "order_id", "method", "settled", "created_at"}},
	marketplace.KindAccount:     {name: "og_accounts"},
	marketplace.KindResource:    {name: "og_resources", cols: []string{"buyer_id", "seller_id", "status", "visible", "purchased_at"}, due: true},
	marketplace.KindFlow:        {name: "og_flows", cols: []string{"buyer_id", "seller_id", "status", "created_at"}, due: true},
	marketplace.KindInvoice:     {name: "og_invoices", cols: []string{"buyer_id", "seller_id", "order_id", "status", "requested_at"}},
	marketplace.KindUnsubscribe: {name: "og_unsubscribe_requests", cols: []string{"buyer_id", "seller_id", "resource_id", "status", "created_at"}, due: true},
}

// queries are the per-kind statements, built once.
type queries struct {
	get, insert, update, version string
}

var stmts = func() map[marketplace.Kind]queries {
	m := map[marketplace.Kind]queries{}
	for k, t := range tables {
		cols := "id, version, doc"
		vals := "?, ?, ?"
		set := "version = ?, doc = ?"
		for _, c := range t.cols {
			cols += ", " + c
			vals += ", ?"
			set += ", " + c + " = ?"
		}
		if t.due {
			cols += ", due_at"
			vals += ", ?"
			set += ", due_at = ?, lease_until = NULL, lease_owner = NULL"
		}
		m[k] = queries{
			get:     "SELECT doc FROM " + t.name + " WHERE id = ?",
			insert:  "INSERT INTO " + t.name + " (" + cols + ") VALUES (" + vals + ") ON CONFLICT DO NOTHING",
			update:  "UPDATE " + t.name + " SET " + set + " WHERE id = ? AND version = ?",
			version: "SELECT version FROM " + t.name + " WHERE id = ?",
		}
	}
	return m
}()

// nanos is how times are stored in INTEGER columns: unix nanoseconds, UTC.
func nanos(t time.Time) int64 { return t.UnixNano() }

func nanosPtr(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixNano()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func get[T any](t *tx, kind marketplace.Kind, id string) (T, error) {
	var v T
	doc, err := t.q.queryDoc(t.ctx, stmts[kind].get, id)
	if errors.Is(err, sql.ErrNoRows) {
		return v, &marketplace.NotFoundError{Kind: kind, ID: id}
	}
	if err != nil {
		return v, fmt.Errorf("sqlite: get %s %q: %w", kind, id, err)
	}
	if err := doccodec.Unmarshal(doc, &v); err != nil {
		return v, fmt.Errorf("sqlite: decode %s %q: %w", kind, id, err)
	}
	return v, nil
}

// rowSpec is one aggregate Put as the Tx method received it: the value, a
// pointer to its Version, its due time (nil for kinds without one) and its
// indexed column values in table order.
type rowSpec struct {
	kind    marketplace.Kind
	id      string
	v       any
	version *int64
	due     *time.Time
	cols    []any
}

// rowWrite is a Put ready to run: the optimistic check (the version the
// stored row must have) and every statement argument, copied out of the
// value so that the caller may change it afterwards.
type rowWrite struct {
	kind    marketplace.Kind
	id      string
	old     int64 // the version the stored row must have (0: must not exist)
	version int64 // the version written
	doc     []byte
	cols    []any
	due     any            // due_at (unix nanoseconds or nil), due kinds only
	product *productSearch // products: their search rows
}

// prepareRow validates and encodes a Put and sets *rs.version to the new
// version (old+1; it is encoded so). On failure *rs.version is unchanged.
//
// Errors: *marketplace.InputError for an empty id; the encoding error.
func prepareRow(rs rowSpec) (rowWrite, error) {
	if rs.id == "" {
		return rowWrite{}, &marketplace.InputError{Field: "id", Value: rs.id, Reason: "must not be empty"}
	}
	old := *rs.version
	*rs.version = old + 1
	doc, err := doccodec.Marshal(rs.v)
	if err != nil {
		*rs.version = old
		return rowWrite{}, fmt.Errorf("sqlite: encode %s %q: %w", rs.kind, rs.id, err)
	}
	w := rowWrite{kind: rs.kind, id: rs.id, old: old, version: old + 1, doc: doc, cols: rs.cols, due: nanosPtr(rs.due)}
	if p, ok := rs.v.(*marketplace.Product); ok {
		w.product = searchOf(p)
	}
	return w, nil
}

// put writes a Put at once after the optimistic check: version 0 inserts,
// any other version updates the row only if it still has that version. On
// success *version is the new version; on failure it is unchanged.
func (t *tx) put(rs rowSpec) error {
	w, err := prepareRow(rs)
	if err != nil {
		return err
	}
	if err := t.execRow(&w); err != nil {
		*rs.version = w.old
		return err
	}
	return nil
}

// execRow runs w with its optimistic check. Putting an aggregate ends its
// lease and sets its due time.
//
// Errors: *marketplace.ConflictError when the stored row is not at w.old
// (or exists, for a create); driver errors.
func (t *tx) execRow(w *rowWrite) error {
	q := stmts[w.kind]
	due := tables[w.kind].due
	var res sql.Result
	var err error
	if w.old == 0 {
		args := append([]any{w.id, w.version, w.doc}, w.cols...)
		if due {
			args = append(args, w.due)
		}
		res, err = t.q.ExecContext(t.ctx, q.insert, args...)
	} else {
		args := append([]any{w.version, w.doc}, w.cols...)
		if due {
			args = append(args, w.due)
		}
		args = append(args, w.id, w.old)
		res, err = t.q.ExecContext(t.ctx, q.update, args...)
	}
	if err != nil {
		return fmt.Errorf("sqlite: put %s %q: %w", w.kind, w.id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: put %s %q: %w", w.kind, w.id, err)
	} else if n != 1 {
		return t.conflict(w.kind, w.id, w.old)
	}
	if w.product != nil {
		return t.indexProduct(w.id, w.product)
	}
	return nil
}

// conflict builds the ConflictError for a failed optimistic write, reading
// the version stored now (0 when the row does not exist).
func (t *tx) conflict(kind marketplace.Kind, id string, want int64) error {
	var have int64
	err := t.q.QueryRowContext(t.ctx, stmts[kind].version, id).Scan(&have)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: put %s %q: read version: %w", kind, id, err)
	}
	return &marketplace.ConflictError{Kind: kind, ID: id, Want: want, Have: have}
}

// Seller implements marketplace.ReadTx.
func (t *tx) Seller(id string) (marketplace.Seller, error) {
	return get[marketplace.Seller](t, marketplace.KindSeller, id)
}

// Product implements marketplace.ReadTx.
func (t *tx) Product(id string) (marketplace.Product, error) {
	return get[marketplace.Product](t, marketplace.KindProduct, id)
}

// Order implements marketplace.ReadTx.
func (t *tx) Order(id string) (marketplace.Order, error) {
	return get[marketplace.Order](t, marketplace.KindOrder, id)
}

// Payment implements marketplace.ReadTx.
func (t *tx) Payment(id string) (marketplace.Payment, error) {
	return get[marketplace.Payment](t, marketplace.KindPayment, id)
}

// Account implements marketplace.ReadTx.
func (t *tx) Account(id string) (marketplace.Account, error) {
	return get[marketplace.Account](t, marketplace.KindAccount, id)
}

// Resource implements marketplace.ReadTx.
func (t *tx) Resource(id string) (marketplace.Resource, error) {
	return get[marketplace.Resource](t, marketplace.KindResource, id)
}

// Flow implements marketplace.ReadTx.
func (t *tx) Flow(id string) (marketplace.Flow, error) {
	return get[marketplace.Flow](t, marketplace.KindFlow, id)
}

// Invoice implements marketplace.ReadTx.
func (t *tx) Invoice(id string) (marketplace.Invoice, error) {
	return get[marketplace.Invoice](t, marketplace.KindInvoice, id)
}

// UnsubscribeRequest implements marketplace.ReadTx.
func (t *tx) UnsubscribeRequest(id string) (marketplace.UnsubscribeRequest, error) {
	return get[marketplace.UnsubscribeRequest](t, marketplace.KindUnsubscribe, id)
}

// The read queries that are not per kind, shared by tx and viewTx.
const (
	savedItemsQuery  = `SELECT doc FROM og_saved_items WHERE buyer_id = ? ORDER BY added_at, product_id, spec_id`
	idempotencyQuery = `SELECT doc FROM og_idempotency WHERE key = ?`
)

// SavedItems implements marketplace.ReadTx.
func (t *tx) SavedItems(buyerID string) ([]marketplace.SavedItem, error) {
	rows, err := t.q.QueryContext(t.ctx, savedItemsQuery, buyerID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: saved items of %q: %w", buyerID, err)
	}
	out, err := scanDocs[marketplace.SavedItem](rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: saved items of %q: %w", buyerID, err)
	}
	return out, nil
}

// Idempotency implements marketplace.ReadTx.
func (t *tx) Idempotency(key string) (marketplace.IdempotencyRecord, error) {
	var v marketplace.IdempotencyRecord
	doc, err := t.q.queryDoc(t.ctx, idempotencyQuery, key)
	if errors.Is(err, sql.ErrNoRows) {
		return v, &marketplace.NotFoundError{Kind: marketplace.KindIdempotency, ID: key}
	}
	if err != nil {
		return v, fmt.Errorf("sqlite: idempotency %q: %w", key, err)
	}
	if err := doccodec.Unmarshal(doc, &v); err != nil {
		return v, fmt.Errorf("sqlite: decode idempotency %q: %w", key, err)
	}
	return v, nil
}

// The Puts of each kind as rowSpecs: what the writer's tx runs at once and
// the optimistic tx (optimistic.go) buffers.

func sellerRow(v *marketplace.Seller) rowSpec {
	return rowSpec{kind: marketplace.KindSeller, id: v.ID, v: v, version: &v.Version}
}

func orderRow(v *marketplace.Order) rowSpec {
	return rowSpec{kind: marketplace.KindOrder, id: v.ID, v: v, version: &v.Version, due: v.NextDueAt,
		cols: []any{v.BuyerID, v.SellerID, v.ResourceID, string(v.Status), string(v.Kind), nanos(v.CreatedAt)}}
}

func paymentRow(v *marketplace.Payment) rowSpec {
	return rowSpec{kind: marketplace.KindPayment, id: v.ID, v: v, version: &v.Version,
		cols: []any{v.BuyerID, v.OrderID, string(v.Method), boolInt(v.SettledAt != nil), nanos(v.CreatedAt)}}
}

func accountRow(v *marketplace.Account) rowSpec {
	return rowSpec{kind: marketplace.KindAccount, id: v.ID, v: v, version: &v.Version}
}

func resourceRow(v *marketplace.Resource) rowSpec {
	return rowSpec{kind: marketplace.KindResource, id: v.ID, v: v, version: &v.Version, due: v.NextDueAt,
		cols: []any{v.BuyerID, v.SellerID, string(v.Status), boolInt(v.Visible), nanos(v.PurchasedAt)}}
}

func flowRow(v *marketplace.Flow) rowSpec {
	return rowSpec{kind: marketplace.KindFlow, id: v.ID, v: v, version: &v.Version, due: v.NextDueAt,
		cols: []any{v.BuyerID, v.SellerID, v.Status, nanos(v.CreatedAt)}}
}

func invoiceRow(v *marketplace.Invoice) rowSpec {
	return rowSpec{kind: marketplace.KindInvoice, id: v.ID, v: v, version: &v.Version,
		cols: []any{v.BuyerID, v.SellerID, v.OrderID, string(v.Status), nanos(v.RequestedAt)}}
}

func unsubscribeRow(v *marketplace.UnsubscribeRequest) rowSpec {
	return rowSpec{kind: marketplace.KindUnsubscribe, id: v.ID, v: v, version: &v.Version, due: v.NextDueAt,
		cols: []any{v.BuyerID, v.SellerID, v.ResourceID, string(v.Status), nanos(v.CreatedAt)}}
}

// PutSeller implements marketplace.Tx.
func (t *tx) PutSeller(v *marketplace.Seller) error { return t.put(sellerRow(v)) }

// PutOrder implements marketplace.Tx.
func (t *tx) PutOrder(v *marketplace.Order) error { return t.put(orderRow(v)) }

// PutPayment implements marketplace.Tx.
func (t *tx) PutPayment(v *marketplace.Payment) error { return t.put(paymentRow(v)) }

// PutAccount implements marketplace.Tx.
func (t *tx) PutAccount(v *marketplace.Account) error { return t.put(accountRow(v)) }

// PutResource implements marketplace.Tx.
func (t *tx) PutResource(v *marketplace.Resource) error { return t.put(resourceRow(v)) }

// PutFlow implements marketplace.Tx.
func (t *tx) PutFlow(v *marketplace.Flow) error { return t.put(flowRow(v)) }

// PutInvoice implements marketplace.Tx.
func (t *tx) PutInvoice(v *marketplace.Invoice) error { return t.put(invoiceRow(v)) }

// PutUnsubscribeRequest implements marketplace.Tx.
func (t *tx) PutUnsubscribeRequest(v *marketplace.UnsubscribeRequest) error {
	return t.put(unsubscribeRow(v))
}

// savedKey names a saved item.
type savedKey struct{ buyer, product, spec string }

func (k savedKey) String() string { return k.buyer + "/" + k.product + "/" + k.spec }

// encodeSavedItem validates and encodes a PutSavedItem.
//
// Errors: *marketplace.InputError for an empty buyer or product id; the
// encoding error.
func encodeSavedItem(v marketplace.SavedItem) ([]byte, error) {
	if v.BuyerID == "" || v.ProductID == "" {
		return nil, &marketplace.InputError{Field: "saved_item", Value: v, Reason: "buyer and product ids must not be empty"}
	}
	doc, err := doccodec.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode saved item: %w", err)
	}
	return doc, nil
}

// PutSavedItem implements marketplace.Tx.
func (t *tx) PutSavedItem(v marketplace.SavedItem) error {
	doc, err := encodeSavedItem(v)
	if err != nil {
		return err
	}
	return t.upsertSavedItem(v, doc)
}

func (t *tx) upsertSavedItem(v marketplace.SavedItem, doc []byte) error {
	_, err := t.q.ExecContext(t.ctx, `INSERT INTO og_saved_items (buyer_id, product_id, spec_id, added_at, doc)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (buyer_id, product_id, spec_id)
		DO UPDATE SET added_at = excluded.added_at, doc = excluded.doc`,
		v.BuyerID, v.ProductID, v.SpecID, nanos(v.AddedAt), doc)
	if err != nil {
		return fmt.Errorf("sqlite: put saved item: %w", err)
	}
	return nil
}

// DeleteSavedItem implements marketplace.Tx.
func (t *tx) DeleteSavedItem(buyerID, productID, specID string) error {
	k := savedKey{buyerID, productID, specID}
	deleted, err := t.deleteSavedItem(k)
	if err != nil {
		return err
	}
	if !deleted {
		return &marketplace.NotFoundError{Kind: marketplace.KindSavedItem, ID: k.String()}
	}
	return nil
}

// deleteSavedItem deletes the item k and reports whether there was one.
func (t *tx) deleteSavedItem(k savedKey) (bool, error) {
	res, err := t.q.ExecContext(t.ctx, `DELETE FROM og_saved_items WHERE buyer_id = ? AND product_id = ? AND spec_id = ?`,
		k.buyer, k.product, k.spec)
	if err != nil {
		return false, fmt.Errorf("sqlite: delete saved item: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: delete saved item: %w", err)
	}
	return n > 0, nil
}

// encodeIdempotency validates and encodes a PutIdempotency.
//
// Errors: *marketplace.InputError for an empty key; the encoding error.
func encodeIdempotency(v marketplace.IdempotencyRecord) ([]byte, error) {
	if v.Key == "" {
		return nil, &marketplace.InputError{Field: "key", Value: v.Key, Reason: "must not be empty"}
	}
	doc, err := doccodec.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("sqlite: encode idempotency: %w", err)
	}
	return doc, nil
}

// PutIdempotency implements marketplace.Tx.
func (t *tx) PutIdempotency(v marketplace.IdempotencyRecord) error {
	doc, err := encodeIdempotency(v)
	if err != nil {
		return err
	}
	return t.insertIdempotency(v.Key, doc)
}

// insertIdempotency stores a record under key.
//
// Errors: *marketplace.ConflictError when key exists; driver errors.
func (t *tx) insertIdempotency(key string, doc []byte) error {
	res, err := t.q.ExecContext(t.ctx, `INSERT INTO og_idempotency (key, doc) VALUES (?, ?) ON CONFLICT DO NOTHING`, key, doc)
	if err != nil {
		return fmt.Errorf("sqlite: put idempotency %q: %w", key, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("sqlite: put idempotency %q: %w", key, err)
	} else if n == 0 {
		return idempotencyConflict(key)
	}
	return nil
}

func idempotencyConflict(key string) error {
	return &marketplace.ConflictError{Kind: marketplace.KindIdempotency, ID: key, Have: 1}
}

// eventWrite is an encoded event waiting for its row (and so its number).
type eventWrite struct {
	e                *marketplace.Event // the caller's, whose Seq is set at commit
	at               int64
	kind, aggID, typ string
	doc              []byte
	seq              int64 // the committed number, once inserted
}

// encodeEvent validates and encodes an AppendEvent (its document leaves
// the number out: the row id is the number).
//
// Errors: *marketplace.InputError for an empty kind, aggregate id or type;
// the encoding error.
func encodeEvent(e *marketplace.Event) (eventWrite, error) {
	if e.Kind == "" || e.AggregateID == "" || e.Type == "" {
		return eventWrite{}, &marketplace.InputError{Field: "event", Value: e.Type, Reason: "kind, aggregate id and type must not be empty"}
	}
	cp := *e
	cp.At = cp.At.UTC()
	cp.Seq = 0
	doc, err := doccodec.Marshal(cp)
	if err != nil {
		return eventWrite{}, fmt.Errorf("sqlite: encode event: %w", err)
	}
	return eventWrite{e: e, at: nanos(cp.At), kind: string(cp.Kind), aggID: cp.AggregateID, typ: cp.Type, doc: doc}, nil
}

// AppendEvent implements marketplace.Tx. The event's row id is its
// sequence number: the single writer makes max+1 gap-free and in commit
// order. The closure's first event is inserted at once, which gives its
// number; the writer holds the write lock, so the events after it in the
// closure take the numbers that follow, which AppendEvent sets at once
// while it keeps the rows for one INSERT of many (flush). e.Seq is so the
// committed number if the transaction commits, as when each row is
// inserted by itself.
//
// Errors: *marketplace.InputError for an empty kind, aggregate id or
// type; the encoding error; driver errors (inserting the first event, or
// a full buffer).
func (t *tx) AppendEvent(e *marketplace.Event) error {
	ev, err := encodeEvent(e)
	if err != nil {
		return err
	}
	if t.nextSeq == 0 {
		if err := t.insertEvent(&ev); err != nil {
			return err
		}
		e.Seq, t.nextSeq = ev.seq, ev.seq+1
		return nil
	}
	ev.seq = t.nextSeq
	t.events = append(t.events, ev)
	t.nextSeq++
	e.Seq = ev.seq
	if len(t.events) == eventsPerInsert {
		return t.flush()
	}
	return nil
}

// flush inserts the events AppendEvent kept, with the numbers it gave
// them; the closure's work is complete only once it has (Update's
// writer path and a lent transaction call it when fn returns nil).
//
// Errors: driver errors (the closure then fails as a whole).
func (t *tx) flush() error {
	if len(t.events) == 0 {
		return nil
	}
	w := t.q.w
	args := w.eventArgs[:0]
	for _, ev := range t.events {
		args = append(args, ev.seq, ev.at, ev.kind, ev.aggID, ev.typ, ev.doc)
	}
	w.eventArgs = args
	defer clear(args) // their documents
	if _, err := t.q.ExecContext(t.ctx, insertNumberedEventsQueries[len(t.events)], args...); err != nil {
		return fmt.Errorf("sqlite: append event: %w", err)
	}
	last := t.events[len(t.events)-1].seq
	clear(t.events) // their documents
	t.events = t.events[:0]
	w.lastSeq = max(w.lastSeq, last)
	return nil
}

// insertEvent inserts ev and sets ev.seq to its number, which the writer
// also notes (writerConn.lastSeq) for the next provisional numbers.
func (t *tx) insertEvent(ev *eventWrite) error {
	return t.insertEvents([]eventWrite{*ev}, func(i int, seq int64) { ev.seq = seq })
}

// insertEvents inserts evs in order, eventsPerInsert rows to a statement
// (a statement costs the writer more than a row), and numbers them
// (numbered(i, seq)): a row's id, its number, is the largest one plus
// one, so the rows of one statement have consecutive numbers ending at
// the last insert id.
func (t *tx) insertEvents(evs []eventWrite, numbered func(i int, seq int64)) error {
	for start := 0; start < len(evs); start += eventsPerInsert {
		chunk := evs[start:min(start+eventsPerInsert, len(evs))]
		args := make([]any, 0, 5*len(chunk))
		for _, ev := range chunk {
			args = append(args, ev.at, ev.kind, ev.aggID, ev.typ, ev.doc)
		}
		res, err := t.q.ExecContext(t.ctx, insertEventsQueries[len(chunk)], args...)
		if err != nil {
			return fmt.Errorf("sqlite: append event: %w", err)
		}
		last, err := res.LastInsertId()
		if err != nil {
			return fmt.Errorf("sqlite: append event: %w", err)
		}
		for i := range chunk {
			numbered(start+i, last-int64(len(chunk)-1-i))
		}
		if t.q.w != nil {
			t.q.w.lastSeq = max(t.q.w.lastSeq, last)
		}
	}
	return nil
}

// eventsPerInsert is the most rows one of insertEventsQueries writes.
const eventsPerInsert = 32

// insertEventsQueries are the INSERTs of 1 … eventsPerInsert events.
var insertEventsQueries = func() []string {
	qs := make([]string, eventsPerInsert+1)
	for n := 1; n <= eventsPerInsert; n++ {
		qs[n] = "INSERT INTO og_events (at, kind, aggregate_id, type, doc) VALUES (?, ?, ?, ?, ?)" +
			strings.Repeat(", (?, ?, ?, ?, ?)", n-1)
	}
	return qs
}()

// insertNumberedEventsQueries are the INSERTs of 1 … eventsPerInsert
// events with their numbers (flush).
var insertNumberedEventsQueries = func() []string {
	qs := make([]string, eventsPerInsert+1)
	for n := 1; n <= eventsPerInsert; n++ {
		qs[n] = "INSERT INTO og_events (seq, at, kind, aggregate_id, type, doc) VALUES (?, ?, ?, ?, ?, ?)" +
			strings.Repeat(", (?, ?, ?, ?, ?, ?)", n-1)
	}
	return qs
}()

// scanDocs decodes the single doc column of every row.
func scanDocs[T any](rows *sql.Rows) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		var v T
		if err := doccodec.Unmarshal(doc, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
