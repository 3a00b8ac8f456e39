package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
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

// put writes v after the optimistic check: version 0 inserts, any other
// version updates the row only if it still has that version. On success
// *version is the new version; on failure it is unchanged.
func put(t *tx, kind marketplace.Kind, id string, v any, version *int64, due *time.Time, cols ...any) error {
	if id == "" {
		return &marketplace.InputError{Field: "id", Value: id, Reason: "must not be empty"}
	}
	old := *version
	*version = old + 1
	doc, err := doccodec.Marshal(v)
	if err != nil {
		*version = old
		return fmt.Errorf("sqlite: encode %s %q: %w", kind, id, err)
	}
	q := stmts[kind]
	var res sql.Result
	if old == 0 {
		args := append([]any{id, int64(1), doc}, cols...)
		if tables[kind].due {
			args = append(args, nanosPtr(due))
		}
		res, err = t.q.ExecContext(t.ctx, q.insert, args...)
	} else {
		args := append([]any{old + 1, doc}, cols...)
		if tables[kind].due {
			args = append(args, nanosPtr(due))
		}
		args = append(args, id, old)
		res, err = t.q.ExecContext(t.ctx, q.update, args...)
	}
	if err != nil {
		*version = old
		return fmt.Errorf("sqlite: put %s %q: %w", kind, id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		*version = old
		if err != nil {
			return fmt.Errorf("sqlite: put %s %q: %w", kind, id, err)
		}
		return t.conflict(kind, id, old)
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

// PutSeller implements marketplace.Tx.
func (t *tx) PutSeller(v *marketplace.Seller) error {
	return put(t, marketplace.KindSeller, v.ID, v, &v.Version, nil)
}

// PutOrder implements marketplace.Tx.
func (t *tx) PutOrder(v *marketplace.Order) error {
	return put(t, marketplace.KindOrder, v.ID, v, &v.Version, v.NextDueAt,
		v.BuyerID, v.SellerID, v.ResourceID, string(v.Status), string(v.Kind), nanos(v.CreatedAt))
}

// PutPayment implements marketplace.Tx.
func (t *tx) PutPayment(v *marketplace.Payment) error {
	return put(t, marketplace.KindPayment, v.ID, v, &v.Version, nil,
		v.BuyerID, v.OrderID, string(v.Method), boolInt(v.SettledAt != nil), nanos(v.CreatedAt))
}

// PutAccount implements marketplace.Tx.
func (t *tx) PutAccount(v *marketplace.Account) error {
	return put(t, marketplace.KindAccount, v.ID, v, &v.Version, nil)
}

// PutResource implements marketplace.Tx.
func (t *tx) PutResource(v *marketplace.Resource) error {
	return put(t, marketplace.KindResource, v.ID, v, &v.Version, v.NextDueAt,
		v.BuyerID, v.SellerID, string(v.Status), boolInt(v.Visible), nanos(v.PurchasedAt))
}

// PutFlow implements marketplace.Tx.
func (t *tx) PutFlow(v *marketplace.Flow) error {
	return put(t, marketplace.KindFlow, v.ID, v, &v.Version, v.NextDueAt,
		v.BuyerID, v.SellerID, v.Status, nanos(v.CreatedAt))
}

// PutInvoice implements marketplace.Tx.
func (t *tx) PutInvoice(v *marketplace.Invoice) error {
	return put(t, marketplace.KindInvoice, v.ID, v, &v.Version, nil,
		v.BuyerID, v.SellerID, v.OrderID, string(v.Status), nanos(v.RequestedAt))
}

// PutUnsubscribeRequest implements marketplace.Tx.
func (t *tx) PutUnsubscribeRequest(v *marketplace.UnsubscribeRequest) error {
	return put(t, marketplace.KindUnsubscribe, v.ID, v, &v.Version, v.NextDueAt,
		v.BuyerID, v.SellerID, v.ResourceID, string(v.Status), nanos(v.CreatedAt))
}

// PutSavedItem implements marketplace.Tx.
func (t *tx) PutSavedItem(v marketplace.SavedItem) error {
	if v.BuyerID == "" || v.ProductID == "" {
		return &marketplace.InputError{Field: "saved_item", Value: v, Reason: "buyer and product ids must not be empty"}
	}
	doc, err := doccodec.Marshal(v)
	if err != nil {
		return fmt.Errorf("sqlite: encode saved item: %w", err)
	}
	_, err = t.q.ExecContext(t.ctx, `INSERT INTO og_saved_items (buyer_id, product_id, spec_id, added_at, doc)
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
	res, err := t.q.ExecContext(t.ctx, `DELETE FROM og_saved_items WHERE buyer_id = ? AND product_id = ? AND spec_id = ?`,
		buyerID, productID, specID)
	if err != nil {
		return fmt.Errorf("sqlite: delete saved item: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return fmt.Errorf("sqlite: delete saved item: %w", err)
		}
		return &marketplace.NotFoundError{Kind: marketplace.KindSavedItem, ID: buyerID + "/" + productID + "/" + specID}
	}
	return nil
}

// PutIdempotency implements marketplace.Tx.
func (t *tx) PutIdempotency(v marketplace.IdempotencyRecord) error {
	if v.Key == "" {
		return &marketplace.InputError{Field: "key", Value: v.Key, Reason: "must not be empty"}
	}
	doc, err := doccodec.Marshal(v)
	if err != nil {
		return fmt.Errorf("sqlite: encode idempotency: %w", err)
	}
	res, err := t.q.ExecContext(t.ctx, `INSERT INTO og_idempotency (key, doc) VALUES (?, ?) ON CONFLICT DO NOTHING`, v.Key, doc)
	if err != nil {
		return fmt.Errorf("sqlite: put idempotency %q: %w", v.Key, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err != nil {
			return fmt.Errorf("sqlite: put idempotency %q: %w", v.Key, err)
		}
		return &marketplace.ConflictError{Kind: marketplace.KindIdempotency, ID: v.Key, Have: 1}
	}
	return nil
}

// AppendEvent implements marketplace.Tx. The event's row id is its
// sequence number: the single writer makes max+1 gap-free and in commit
// order.
func (t *tx) AppendEvent(e *marketplace.Event) error {
	if e.Kind == "" || e.AggregateID == "" || e.Type == "" {
		return &marketplace.InputError{Field: "event", Value: e.Type, Reason: "kind, aggregate id and type must not be empty"}
	}
	cp := *e
	cp.At = cp.At.UTC()
	cp.Seq = 0
	doc, err := doccodec.Marshal(cp)
	if err != nil {
		return fmt.Errorf("sqlite: encode event: %w", err)
	}
	res, err := t.q.ExecContext(t.ctx, `INSERT INTO og_events (at, kind, aggregate_id, type, doc) VALUES (?, ?, ?, ?, ?)`,
		nanos(cp.At), string(cp.Kind), cp.AggregateID, cp.Type, doc)
	if err != nil {
		return fmt.Errorf("sqlite: append event: %w", err)
	}
	seq, err := res.LastInsertId()
	if err != nil {
		return fmt.Errorf("sqlite: append event: %w", err)
	}
	e.Seq = seq
	return nil
}

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
