package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opengallery/opengallery/marketplace"
)

// querier is what a tx reads and writes through: a pgx.Tx.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// tx implements marketplace.Tx over one PostgreSQL transaction.
type tx struct {
	ctx context.Context
	q   querier
	s   *sqlText
	st  *Store
	// pending are the events AppendEvent queued, numbered and inserted
	// just before COMMIT (see commitEvents); events are the caller's
	// values, whose Seq is set to the committed number.
	pending []pendingEvent
	last    int64 // the sequencer after commitEvents
}

// pendingEvent is one event waiting for its sequence number.
type pendingEvent struct {
	e    *marketplace.Event
	at   time.Time
	kind string
	agg  string
	typ  string
	doc  string
}

var _ marketplace.Tx = (*tx)(nil)

// table describes how one aggregate kind is stored.
type table struct {
	name string
	cols []string // indexed columns after id, version, doc
	due  bool     // has due_at / lease_until / lease_owner
}

var tables = map[marketplace.Kind]table{
	marketplace.KindSeller:      {name: "og_sellers"},
	marketplace.KindProduct:     {name: "og_products", cols: []string{"seller_id", "status", "category", "delivery", "name", "sort_r", "sort_t", "tags"}},
	marketplace.KindOrder:       {name: "og_orders", cols: []string{"buyer_id", "seller_id", "resource_id", "status", "kind", "created_at"}, due: true},
	marketplace.KindPayment:     {name: "og_payments", cols: []string{"buyer_id", "order_id", "method", "settled", "created_at"}},
	marketplace.KindAccount:     {name: "og_accounts"},
	marketplace.KindResource:    {name: "og_resources", cols: []string{"buyer_id", "seller_id", "status", "visible", "purchased_at"}, due: true},
	marketplace.KindFlow:        {name: "og_flows", cols: []string{"buyer_id", "seller_id", "status", "created_at"}, due: true},
	marketplace.KindInvoice:     {name: "og_invoices", cols: []string{"buyer_id", "seller_id", "order_id", "status", "requested_at"}},
	marketplace.KindUnsubscribe: {name: "og_unsubscribe_requests", cols: []string{"buyer_id", "seller_id", "resource_id", "status", "created_at"}, due: true},
}

// kindSQL are one kind's statements.
type kindSQL struct {
	table, get, insert, update, version string
}

// sqlText holds every statement with table names qualified by the store's
// schema, built once per store.
type sqlText struct {
	prefix       string // `"schema".` or ""
	kinds        map[marketplace.Kind]kindSQL
	claim        string
	appendEvents string
}

// t qualifies a table name.
func (s *sqlText) t(name string) string { return s.prefix + name }

func buildSQL(schema string) sqlText {
	s := sqlText{kinds: map[marketplace.Kind]kindSQL{}}
	if schema != "" {
		s.prefix = pgx.Identifier{schema}.Sanitize() + "."
	}
	for k, t := range tables {
		cols := []string{"id", "version", "doc"}
		cols = append(cols, t.cols...)
		if k == marketplace.KindProduct {
			cols = append(cols, "search")
		}
		if t.due {
			cols = append(cols, "due_at")
		}
		vals := make([]string, len(cols))
		var set []string
		for i, c := range cols {
			vals[i] = fmt.Sprintf("$%d", i+1)
			if c == "search" {
				vals[i] = fmt.Sprintf("to_tsvector('simple', $%d)", i+1)
			}
			if i > 0 {
				set = append(set, c+" = "+vals[i])
			}
		}
		if t.due {
			set = append(set, "lease_until = NULL", "lease_owner = NULL")
		}
		n := len(cols)
		s.kinds[k] = kindSQL{
			table:   s.t(t.name),
			get:     "SELECT doc FROM " + s.t(t.name) + " WHERE id = $1",
			insert:  "INSERT INTO " + s.t(t.name) + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(vals, ", ") + ") ON CONFLICT (id) DO NOTHING",
			update:  "UPDATE " + s.t(t.name) + " SET " + strings.Join(set, ", ") + fmt.Sprintf(" WHERE id = $1 AND version = $%d", n+1),
			version: "SELECT version FROM " + s.t(t.name) + " WHERE id = $1",
		}
	}
	s.claim = buildClaim(&s)
	s.appendEvents = appendEventsSQL(&s)
	return s
}

func get[T any](t *tx, kind marketplace.Kind, id string) (T, error) {
	var v T
	var doc []byte
	err := t.q.QueryRow(t.ctx, t.s.kinds[kind].get, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, &marketplace.NotFoundError{Kind: kind, ID: id}
	}
	if err != nil {
		return v, wrapErr(t.ctx, fmt.Sprintf("get %s %q", kind, id), err)
	}
	if err := json.Unmarshal(doc, &v); err != nil {
		return v, fmt.Errorf("postgres: decode %s %q: %w", kind, id, err)
	}
	return v, nil
}

// put writes v after the optimistic check: version 0 inserts, any other
// version updates the row only if it still has that version (under READ
// COMMITTED a concurrent writer's UPDATE waits for the row lock and then
// finds the version changed). On success *version is the new version; on
// failure it is unchanged.
func put(t *tx, kind marketplace.Kind, id string, v any, version *int64, due *time.Time, cols ...any) error {
	if id == "" {
		return &marketplace.InputError{Field: "id", Value: id, Reason: "must not be empty"}
	}
	old := *version
	*version = old + 1
	doc, err := json.Marshal(v)
	if err != nil {
		*version = old
		return fmt.Errorf("postgres: encode %s %q: %w", kind, id, err)
	}
	args := append([]any{id, old + 1, doc}, cols...)
	if tables[kind].due {
		args = append(args, utcPtr(due))
	}
	q := t.s.kinds[kind]
	var tag pgconn.CommandTag
	if old == 0 {
		tag, err = t.q.Exec(t.ctx, q.insert, args...)
	} else {
		tag, err = t.q.Exec(t.ctx, q.update, append(args, old)...)
	}
	if err != nil {
		*version = old
		if isConflict(err) {
			return &marketplace.ConflictError{Kind: kind, ID: id, Want: old}
		}
		return wrapErr(t.ctx, fmt.Sprintf("put %s %q", kind, id), err)
	}
	if tag.RowsAffected() != 1 {
		*version = old
		var have int64
		err := t.q.QueryRow(t.ctx, q.version, id).Scan(&have)
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return wrapErr(t.ctx, fmt.Sprintf("put %s %q: read version", kind, id), err)
		}
		return &marketplace.ConflictError{Kind: kind, ID: id, Want: old, Have: have}
	}
	return nil
}

// isConflict reports the errors PostgreSQL raises when concurrent
// transactions collide: serialization failure, deadlock, lock not available.
func isConflict(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "40001", "40P01", "55P03":
			return true
		}
	}
	return false
}

// wrapErr returns ctx's error when the context ended (pgx reports a
// cancelled statement in its own words) and names the operation otherwise.
func wrapErr(ctx context.Context, op string, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

func utc(t time.Time) time.Time { return t.UTC() }

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
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

// SavedItems implements marketplace.ReadTx.
func (t *tx) SavedItems(buyerID string) ([]marketplace.SavedItem, error) {
	rows, err := t.q.Query(t.ctx, `SELECT doc FROM `+t.s.t("og_saved_items")+
		` WHERE buyer_id = $1 ORDER BY added_at, product_id COLLATE "C", spec_id COLLATE "C"`, buyerID)
	if err != nil {
		return nil, wrapErr(t.ctx, "saved items", err)
	}
	out, err := collectDocs[marketplace.SavedItem](rows)
	if err != nil {
		return nil, wrapErr(t.ctx, "saved items", err)
	}
	return out, nil
}

// Idempotency implements marketplace.ReadTx.
func (t *tx) Idempotency(key string) (marketplace.IdempotencyRecord, error) {
	var v marketplace.IdempotencyRecord
	var doc []byte
	err := t.q.QueryRow(t.ctx, `SELECT doc FROM `+t.s.t("og_idempotency")+` WHERE key = $1`, key).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return v, &marketplace.NotFoundError{Kind: marketplace.KindIdempotency, ID: key}
	}
	if err != nil {
		return v, wrapErr(t.ctx, fmt.Sprintf("idempotency %q", key), err)
	}
	if err := json.Unmarshal(doc, &v); err != nil {
		return v, fmt.Errorf("postgres: decode idempotency %q: %w", key, err)
	}
	return v, nil
}

// PutSeller implements marketplace.Tx.
func (t *tx) PutSeller(v *marketplace.Seller) error {
	return put(t, marketplace.KindSeller, v.ID, v, &v.Version, nil)
}

// PutProduct implements marketplace.Tx. The text search vector is built
// from marketplace.Words so that every store tokenises alike.
func (t *tx) PutProduct(v *marketplace.Product) error {
	sortR, sortT := 1, utc(v.CreatedAt)
	if v.ListedAt != nil {
		sortR, sortT = 0, utc(*v.ListedAt)
	}
	words := strings.Join(marketplace.Words(v.Name+" "+v.Description+" "+v.SellerName), " ")
	return put(t, marketplace.KindProduct, v.ID, v, &v.Version, nil,
		v.SellerID, string(v.Status), v.Category, string(v.Delivery), v.Name, sortR, sortT, productTags(*v), words)
}

// productTags are the multi-valued filter values of a product.
func productTags(p marketplace.Product) []string {
	tags := []string{}
	for _, os := range p.OperatingSystems {
		tags = append(tags, "os:"+os)
	}
	for _, m := range p.Modes() {
		tags = append(tags, "mode:"+string(m))
	}
	return tags
}

// PutOrder implements marketplace.Tx.
func (t *tx) PutOrder(v *marketplace.Order) error {
	return put(t, marketplace.KindOrder, v.ID, v, &v.Version, v.NextDueAt,
		v.BuyerID, v.SellerID, v.ResourceID, string(v.Status), string(v.Kind), utc(v.CreatedAt))
}

// PutPayment implements marketplace.Tx.
func (t *tx) PutPayment(v *marketplace.Payment) error {
	return put(t, marketplace.KindPayment, v.ID, v, &v.Version, nil,
		v.BuyerID, v.OrderID, string(v.Method), v.SettledAt != nil, utc(v.CreatedAt))
}

// PutAccount implements marketplace.Tx.
func (t *tx) PutAccount(v *marketplace.Account) error {
	return put(t, marketplace.KindAccount, v.ID, v, &v.Version, nil)
}

// PutResource implements marketplace.Tx.
func (t *tx) PutResource(v *marketplace.Resource) error {
	return put(t, marketplace.KindResource, v.ID, v, &v.Version, v.NextDueAt,
		v.BuyerID, v.SellerID, string(v.Status), v.Visible, utc(v.PurchasedAt))
}

// PutFlow implements marketplace.Tx.
func (t *tx) PutFlow(v *marketplace.Flow) error {
	return put(t, marketplace.KindFlow, v.ID, v, &v.Version, v.NextDueAt,
		v.BuyerID, v.SellerID, v.Status, utc(v.CreatedAt))
}

// PutInvoice implements marketplace.Tx.
func (t *tx) PutInvoice(v *marketplace.Invoice) error {
	return put(t, marketplace.KindInvoice, v.ID, v, &v.Version, nil,
		v.BuyerID, v.SellerID, v.OrderID, string(v.Status), utc(v.RequestedAt))
}

// PutUnsubscribeRequest implements marketplace.Tx.
func (t *tx) PutUnsubscribeRequest(v *marketplace.UnsubscribeRequest) error {
	return put(t, marketplace.KindUnsubscribe, v.ID, v, &v.Version, v.NextDueAt,
		v.BuyerID, v.SellerID, v.ResourceID, string(v.Status), utc(v.CreatedAt))
}

// PutSavedItem implements marketplace.Tx.
func (t *tx) PutSavedItem(v marketplace.SavedItem) error {
	if v.BuyerID == "" || v.ProductID == "" {
		return &marketplace.InputError{Field: "saved_item", Value: v, Reason: "buyer and product ids must not be empty"}
	}
	doc, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("postgres: encode saved item: %w", err)
	}
	_, err = t.q.Exec(t.ctx, `INSERT INTO `+t.s.t("og_saved_items")+` (buyer_id, product_id, spec_id, added_at, doc)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (buyer_id, product_id, spec_id)
		DO UPDATE SET added_at = excluded.added_at, doc = excluded.doc`,
		v.BuyerID, v.ProductID, v.SpecID, utc(v.AddedAt), doc)
	if err != nil {
		return wrapErr(t.ctx, "put saved item", err)
	}
	return nil
}

// DeleteSavedItem implements marketplace.Tx.
func (t *tx) DeleteSavedItem(buyerID, productID, specID string) error {
	tag, err := t.q.Exec(t.ctx, `DELETE FROM `+t.s.t("og_saved_items")+` WHERE buyer_id = $1 AND product_id = $2 AND spec_id = $3`,
		buyerID, productID, specID)
	if err != nil {
		return wrapErr(t.ctx, "delete saved item", err)
	}
	if tag.RowsAffected() == 0 {
		return &marketplace.NotFoundError{Kind: marketplace.KindSavedItem, ID: buyerID + "/" + productID + "/" + specID}
	}
	return nil
}

// PutIdempotency implements marketplace.Tx. A concurrent transaction
// inserting the same key makes this one wait for it and then report the
// conflict.
func (t *tx) PutIdempotency(v marketplace.IdempotencyRecord) error {
	if v.Key == "" {
		return &marketplace.InputError{Field: "key", Value: v.Key, Reason: "must not be empty"}
	}
	doc, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("postgres: encode idempotency: %w", err)
	}
	tag, err := t.q.Exec(t.ctx, `INSERT INTO `+t.s.t("og_idempotency")+` (key, doc) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, v.Key, doc)
	if err != nil {
		if isConflict(err) {
			return &marketplace.ConflictError{Kind: marketplace.KindIdempotency, ID: v.Key, Have: 1}
		}
		return wrapErr(t.ctx, fmt.Sprintf("put idempotency %q", v.Key), err)
	}
	if tag.RowsAffected() == 0 {
		return &marketplace.ConflictError{Kind: marketplace.KindIdempotency, ID: v.Key, Have: 1}
	}
	return nil
}

// AppendEvent implements marketplace.Tx. By default it only queues the
// event: Update numbers and inserts the transaction's events as its last
// statement, in the round trip that commits (see commitEvents), so the
// sequencer row is locked only for that round trip. e.Seq is then
// provisional until Update returns nil (the last number this store saw
// committed plus the event's position), exact when no other transaction
// commits events in between, and Update sets it to the committed number.
// WithEagerSequence numbers the event here instead, holding the sequencer
// lock from now until the transaction ends, and e.Seq is exact at once.
//
// Errors: *marketplace.InputError for an event without kind, aggregate id
// or type; pgx errors.
func (t *tx) AppendEvent(e *marketplace.Event) error {
	if t.st != nil && !t.st.eagerSeq {
		return t.queueEvent(e)
	}
	if e.Kind == "" || e.AggregateID == "" || e.Type == "" {
		return &marketplace.InputError{Field: "event", Value: e.Type, Reason: "kind, aggregate id and type must not be empty"}
	}
	cp := *e
	cp.At = cp.At.UTC()
	cp.Seq = 0
	doc, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("postgres: encode event: %w", err)
	}
	var seq int64
	err = t.q.QueryRow(t.ctx, `WITH s AS (UPDATE `+t.s.t("og_sequencer")+` SET last = last + 1 WHERE id = 1 RETURNING last)
		INSERT INTO `+t.s.t("og_events")+` (seq, at, kind, aggregate_id, type, doc)
		SELECT last, $1, $2, $3, $4, $5 FROM s RETURNING seq`,
		cp.At, string(cp.Kind), cp.AggregateID, cp.Type, doc).Scan(&seq)
	if err != nil {
		if isConflict(err) {
			return &marketplace.ConflictError{Kind: marketplace.Kind("event"), ID: cp.AggregateID}
		}
		return wrapErr(t.ctx, "append event", err)
	}
	e.Seq = seq
	return nil
}

// collectDocs decodes the single doc column of every row.
func collectDocs[T any](rows pgx.Rows) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		var v T
		if err := json.Unmarshal(doc, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queueEvent validates and encodes e and queues it for commitEvents.
func (t *tx) queueEvent(e *marketplace.Event) error {
	if e.Kind == "" || e.AggregateID == "" || e.Type == "" {
		return &marketplace.InputError{Field: "event", Value: e.Type, Reason: "kind, aggregate id and type must not be empty"}
	}
	cp := *e
	cp.At = cp.At.UTC()
	cp.Seq = 0
	doc, err := json.Marshal(cp)
	if err != nil {
		return fmt.Errorf("postgres: encode event: %w", err)
	}
	base, err := t.st.lastCommittedSeq(t)
	if err != nil {
		return err
	}
	t.pending = append(t.pending, pendingEvent{e: e, at: cp.At, kind: string(cp.Kind), agg: cp.AggregateID, typ: cp.Type, doc: string(doc)})
	e.Seq = base + int64(len(t.pending))
	return nil
}

// lastCommittedSeq is the highest sequence number this store has seen
// committed, read from the sequencer (without locking it) the first time.
func (s *Store) lastCommittedSeq(t *tx) (int64, error) {
	if s.seqKnown.Load() {
		return s.lastSeq.Load(), nil
	}
	var last int64
	if err := t.q.QueryRow(t.ctx, `SELECT last FROM `+t.s.t("og_sequencer")+` WHERE id = 1`).Scan(&last); err != nil {
		return 0, wrapErr(t.ctx, "read sequencer", err)
	}
	s.sawSeq(last)
	return s.lastSeq.Load(), nil
}

// sawSeq records a committed sequence number.
func (s *Store) sawSeq(last int64) {
	for {
		cur := s.lastSeq.Load()
		if last <= cur || s.lastSeq.CompareAndSwap(cur, last) {
			break
		}
	}
	s.seqKnown.Store(true)
}

// appendEventsSQL numbers and inserts n queued events: it increments the
// sequencer by n (taking its row lock until the transaction ends) and
// inserts the events with the n numbers ending at the new value, in the
// order they were appended. It returns the new value.
func appendEventsSQL(s *sqlText) string {
	return `WITH s AS (UPDATE ` + s.t("og_sequencer") + ` SET last = last + $1::bigint WHERE id = 1 RETURNING last),
	ins AS (INSERT INTO ` + s.t("og_events") + ` (seq, at, kind, aggregate_id, type, doc)
		SELECT s.last - $1::bigint + e.ord, e.at, e.kind, e.agg, e.typ, e.doc::json
		FROM s, unnest($2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS e(at, kind, agg, typ, doc, ord))
	SELECT last FROM s`
}

// queueEvents adds the statement that numbers and inserts t's pending
// events to b.
func (t *tx) queueEvents(b *pgx.Batch) {
	n := len(t.pending)
	ats := make([]time.Time, n)
	kinds, aggs, typs, docs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, p := range t.pending {
		ats[i], kinds[i], aggs[i], typs[i], docs[i] = p.at, p.kind, p.agg, p.typ, p.doc
	}
	b.Queue(t.s.appendEvents, int64(n), ats, kinds, aggs, typs, docs)
}

// numbered sets the caller's events to their committed numbers, the n
// ending at last.
func (t *tx) numbered(last int64) {
	n := int64(len(t.pending))
	for i, p := range t.pending {
		p.e.Seq = last - n + int64(i) + 1
	}
	t.st.sawSeq(last)
}
