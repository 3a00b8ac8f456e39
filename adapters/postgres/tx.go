package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/opengallery/opengallery/adapters/internal/doccodec"
	"github.com/opengallery/opengallery/marketplace"
)

// querier is what a tx reads through: a connection (Update) or a lazily
// begun read snapshot (View).
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// tx implements marketplace.Tx. In View it only reads, through q. In
// Update (w not nil) it reads through q, outside any transaction until
// something needs one, and keeps its writes in w: Update sends them with
// their version checks, the event sequencer and COMMIT in one round trip
// (see commit.go).
type tx struct {
	ctx context.Context
	q   querier
	s   *sqlText
	st  *Store
	c   *updConn  // Update's connection; nil in View
	w   *writeSet // nil in View
	// lock: the Update retries a lost race (marketplace.Retrying), so it
	// reads aggregates with FOR UPDATE inside its transaction: no other
	// transaction can change them before it commits, and a hot aggregate
	// (a buyer's account paying several orders at once) cannot make the
	// same caller lose every attempt.
	lock bool
}

var _ marketplace.Tx = (*tx)(nil)

// colType is how an indexed column travels in a batched write: the Go type
// of its values and the SQL array type they are sent as.
type colType uint8

const (
	colText     colType = iota // string → text
	colSmallint                // int16 → smallint
	colTime                    // time.Time (UTC) → timestamptz
	colBool                    // bool → boolean
	colTags                    // string, a JSON array of strings → text[]
	colSearch                  // string, space-separated words → tsvector
)

// column is one indexed column of an aggregate table.
type column struct {
	name string
	typ  colType
}

// table describes how one aggregate kind is stored.
type table struct {
	name string
	cols []column // indexed columns after id, version, doc
	due  bool     // has due_at / lease_until / lease_owner
}

var tables = map[marketplace.Kind]table{
	marketplace.KindSeller: {name: "og_sellers"},
	marketplace.KindProduct: {name: "og_products", cols: []column{{"seller_id", colText}, {"status", colText},
		{"category", colText}, {"delivery", colText}, {"name", colText}, {"sort_r", colSmallint}, {"sort_t", colTime},
		{"tags", colTags}, {"search", colSearch}}},
	marketplace.KindOrder: {name: "og_orders", cols: []column{{"buyer_id", colText}, {"seller_id", colText},
		{"resource_id", colText}, {"status", colText}, {"kind", colText}, {"created_at", colTime}}, due: true},
	marketplace.KindPayment: {name: "og_payments", cols: []column{{"buyer_id", colText}, {"order_id", colText},
		{"method", colText}, {"settled", colBool}, {"created_at", colTime}}},
	marketplace.KindAccount: {name: "og_accounts"},
	marketplace.KindResource: {name: "og_resources", cols: []column{{"buyer_id", colText}, {"seller_id", colText},
		{"status", colText}, {"visible", colBool}, {"purchased_at", colTime}}, due: true},
	marketplace.KindFlow: {name: "og_flows", cols: []column{{"buyer_id", colText}, {"seller_id", colText},
		{"status", colText}, {"created_at", colTime}}, due: true},
	marketplace.KindInvoice: {name: "og_invoices", cols: []column{{"buyer_id", colText}, {"seller_id", colText},
		{"order_id", colText}, {"status", colText}, {"requested_at", colTime}}},
	marketplace.KindUnsubscribe: {name: "og_unsubscribe_requests", cols: []column{{"buyer_id", colText},
		{"seller_id", colText}, {"resource_id", colText}, {"status", colText}, {"created_at", colTime}}, due: true},
}

// writeOrder is the order in which a commit writes the kinds, the same in
// every transaction (and ids sorted within a kind), so that concurrent
// commits take their row locks in one order.
var writeOrder = []marketplace.Kind{marketplace.KindAccount, marketplace.KindFlow, marketplace.KindInvoice,
	marketplace.KindOrder, marketplace.KindPayment, marketplace.KindProduct, marketplace.KindResource,
	marketplace.KindSeller, marketplace.KindUnsubscribe}

// kindSQL are one kind's statements.
type kindSQL struct {
	table string
	get   string // doc by id
	// getLocked is get with FOR UPDATE, for an Update that retries.
	getLocked string
	// versions reads id and version of the ids in $1, to explain a
	// failed write.
	versions string
	// insert creates the rows of the parallel arrays $1.. (id, version,
	// doc, the indexed columns, due_at); a duplicate id is a
	// unique_violation.
	insert string
	// update writes the rows of the parallel arrays $1.. (id, the version
	// read, the new version, doc, the indexed columns, due_at) where the
	// stored version is the one read, ending any lease, and fails with
	// SQLSTATE OGV01 (og_expect_rows) unless every row matched.
	update string
}

// sqlText holds every statement with table names qualified by the store's
// schema, built once per store.
type sqlText struct {
	prefix       string // `"schema".` or ""
	kinds        map[marketplace.Kind]kindSQL
	claim        string
	appendEvents string
	putIdem      string
	getIdem      string
	idemKeys     string
	// dueResources and leaseResources serve DueResourceTx.
	dueResources   string
	leaseResources string
}

// t qualifies a table name.
func (s *sqlText) t(name string) string { return s.prefix + name }

// arrayType is the SQL array type a column's values are sent as.
func (c colType) arrayType() string {
	switch c {
	case colSmallint:
		return "smallint[]"
	case colTime:
		return "timestamptz[]"
	case colBool:
		return "boolean[]"
	}
	return "text[]"
}

// value is the SQL expression that turns the unnested value v.<name> into
// the column's value.
func (c column) value() string {
	switch c.typ {
	case colTags:
		return "ARRAY(SELECT json_array_elements_text(v." + c.name + "::json))"
	case colSearch:
		return "to_tsvector('simple', v." + c.name + ")"
	}
	return "v." + c.name
}

func buildSQL(schema string) sqlText {
	s := sqlText{kinds: map[marketplace.Kind]kindSQL{}}
	if schema != "" {
		s.prefix = pgx.Identifier{schema}.Sanitize() + "."
	}
	for k, t := range tables {
		cols := append([]column(nil), t.cols...)
		if t.due {
			cols = append(cols, column{"due_at", colTime})
		}
		names := []string{"id", "version", "doc"}
		params := []string{"$1::text[]", "$2::bigint[]", "$3::text[]"}
		vals := []string{"v.id", "v.version", "v.doc::json"}
		upNames := []string{"id", "old", "version", "doc"}
		upParams := []string{"$1::text[]", "$2::bigint[]", "$3::bigint[]", "$4::text[]"}
		set := []string{"version = v.version", "doc = v.doc::json"}
		for _, c := range cols {
			names = append(names, c.name)
			params = append(params, fmt.Sprintf("$%d::%s", len(params)+1, c.typ.arrayType()))
			vals = append(vals, c.value())
			upNames = append(upNames, c.name)
			upParams = append(upParams, fmt.Sprintf("$%d::%s", len(upParams)+1, c.typ.arrayType()))
			set = append(set, c.name+" = "+c.value())
		}
		if t.due {
			set = append(set, "lease_until = NULL", "lease_owner = NULL")
		}
		tbl := s.t(t.name)
		s.kinds[k] = kindSQL{
			table:     tbl,
			get:       "SELECT doc FROM " + tbl + " WHERE id = $1",
			getLocked: "SELECT doc FROM " + tbl + " WHERE id = $1 FOR UPDATE",
			versions:  "SELECT id, version FROM " + tbl + " WHERE id = ANY($1::text[])",
			insert: "INSERT INTO " + tbl + " (" + strings.Join(names, ", ") + ") SELECT " + strings.Join(vals, ", ") +
				" FROM unnest(" + strings.Join(params, ", ") + ") AS v(" + strings.Join(names, ", ") + ")",
			update: "WITH u AS (UPDATE " + tbl + " t SET " + strings.Join(set, ", ") +
				" FROM unnest(" + strings.Join(upParams, ", ") + ") AS v(" + strings.Join(upNames, ", ") + ")" +
				" WHERE t.id = v.id AND t.version = v.old RETURNING 1) SELECT " + s.t("og_expect_rows") +
				fmt.Sprintf("((SELECT count(*) FROM u), $%d)", len(upParams)+1),
		}
	}
	s.claim = buildClaim(&s)
	s.appendEvents = appendEventsSQL(&s)
	s.putIdem = "INSERT INTO " + s.t("og_idempotency") + " (key, doc) SELECT v.key, v.doc::json FROM unnest($1::text[], $2::text[]) AS v(key, doc)"
	s.getIdem = "SELECT doc FROM " + s.t("og_idempotency") + " WHERE key = $1"
	s.idemKeys = "SELECT key FROM " + s.t("og_idempotency") + " WHERE key = ANY($1::text[])"
	res := s.kinds[marketplace.KindResource].table
	s.dueResources = "SELECT doc FROM " + res + ` WHERE due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
		ORDER BY due_at, id COLLATE "C" LIMIT $2 FOR UPDATE SKIP LOCKED`
	s.leaseResources = "UPDATE " + res + " SET lease_until = $2, lease_owner = $3 WHERE id = ANY($1::text[])"
	return s
}

// rowKey names one aggregate.
type rowKey struct {
	kind marketplace.Kind
	id   string
}

// bufRow is an aggregate an Update wrote, waiting for the commit.
type bufRow struct {
	id      string
	old     int64 // the version the stored row must have (0: must not exist)
	version int64 // the version it gets
	pending bool  // not yet sent (flush sends the writes and keeps the rows)
	doc     []byte
	vals    []any // the table's indexed columns, typed as their colType says
	due     *time.Time
}

// writeSet is what an Update wrote, sent at commit; reads of those rows
// are served from it. reads keeps the rows the transaction read, so that a
// second read of one costs no round trip (a read-committed transaction may
// see either the earlier or a newer committed state; a write of the row is
// checked against the version read either way).
type writeSet struct {
	rows   map[rowKey]*bufRow
	byKind map[marketplace.Kind][]*bufRow
	reads  map[rowKey][]byte
	// absent are the rows (and idempotency keys, kind KindIdempotency)
	// that Prefetch found missing: reads of them answer not found.
	absent   map[rowKey]bool
	idem     []idemRow
	idemAt   map[string]int // key → index in idem
	idemSent int            // idem[:idemSent] were sent by a flush
	leases   []leaseReq     // LeaseResources calls not yet sent
	// locked are the versions of the resources DueResources returned:
	// locked by the transaction, so they cannot change before it ends.
	locked  map[string]int64
	pending []pendingEvent
}

// leaseReq is a LeaseResources call (due.go), sent with the commit.
type leaseReq struct {
	ids   []string
	owner string
	until time.Time
}

// idemRow is an idempotency record waiting for the commit.
type idemRow struct {
	key string
	doc []byte
}

func newWriteSet() *writeSet {
	return &writeSet{rows: map[rowKey]*bufRow{}, byKind: map[marketplace.Kind][]*bufRow{}, reads: map[rowKey][]byte{}}
}

// empty reports whether nothing is waiting to be sent.
func (w *writeSet) empty() bool {
	if len(w.idem) > w.idemSent || len(w.leases) > 0 || len(w.pending) > 0 {
		return false
	}
	for _, r := range w.rows {
		if r.pending {
			return false
		}
	}
	return true
}

// flushed records that the pending writes were sent: the stored rows now
// have the versions written.
func (w *writeSet) flushed() {
	for _, r := range w.rows {
		r.old, r.pending = r.version, false
	}
	w.idemSent = len(w.idem)
	w.leases = nil
}

func get[T any](t *tx, kind marketplace.Kind, id string) (T, error) {
	var v T
	var doc []byte
	key := rowKey{kind, id}
	if t.w != nil {
		if r := t.w.rows[key]; r != nil {
			doc = r.doc
		} else {
			doc = t.w.reads[key]
		}
		if doc == nil && t.w.absent[key] {
			return v, &marketplace.NotFoundError{Kind: kind, ID: id}
		}
	}
	if doc == nil {
		var row pgx.Row
		if t.lock && t.c != nil { // t.c is nil in View, which never locks
			row = t.c.queryRowTx(t.ctx, t.s.kinds[kind].getLocked, id)
		} else {
			row = t.q.QueryRow(t.ctx, t.s.kinds[kind].get, id)
		}
		err := row.Scan(&doc)
		if errors.Is(err, pgx.ErrNoRows) {
			return v, &marketplace.NotFoundError{Kind: kind, ID: id}
		}
		if err != nil {
			if t.lock && isConflict(err) {
				// A locked read that deadlocked lost a race like a stale
				// write: the caller may retry it.
				return v, &marketplace.ConflictError{Kind: kind, ID: id}
			}
			return v, wrapErr(t.ctx, fmt.Sprintf("get %s %q", kind, id), err)
		}
		if t.w != nil {
			t.w.reads[key] = doc
		}
	}
	if err := doccodec.Unmarshal(doc, &v); err != nil {
		return v, fmt.Errorf("postgres: decode %s %q: %w", kind, id, err)
	}
	return v, nil
}

// put buffers v for the commit. A second put of the same aggregate in the
// transaction must carry the version the first one gave it (else
// *marketplace.ConflictError at once); the commit checks the stored row
// against the version first read: version 0 inserts (an existing id is a
// conflict), any other version updates the row only if it still has that
// version. On success *version is the new version; on failure it is
// unchanged.
func put(t *tx, kind marketplace.Kind, id string, v any, version *int64, due *time.Time, vals ...any) error {
	return putDoc(t, kind, id, nil, func() ([]byte, error) { return doccodec.Marshal(v) }, version, due, vals...)
}

// putDoc is put with the document encoded by encode (called with *version
// already the new version), or doc when encode is nil.
func putDoc(t *tx, kind marketplace.Kind, id string, doc []byte, encode func() ([]byte, error), version *int64, due *time.Time, vals ...any) error {
	if id == "" {
		return &marketplace.InputError{Field: "id", Value: id, Reason: "must not be empty"}
	}
	key := rowKey{kind, id}
	old := *version
	r := t.w.rows[key]
	if r != nil && r.version != old {
		return &marketplace.ConflictError{Kind: kind, ID: id, Want: old, Have: r.version}
	}
	*version = old + 1
	if encode != nil {
		var err error
		if doc, err = encode(); err != nil {
			*version = old
			return fmt.Errorf("postgres: encode %s %q: %w", kind, id, err)
		}
	}
	if r == nil {
		r = &bufRow{id: id, old: old}
		t.w.rows[key] = r
		t.w.byKind[kind] = append(t.w.byKind[kind], r)
	}
	r.version, r.doc, r.vals, r.due, r.pending = old+1, doc, vals, utcPtr(due), true
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

// SavedItems implements marketplace.ReadTx. Inside Update it runs in the
// transaction once a saved-item write began it, so it sees those writes.
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

// Idempotency implements marketplace.ReadTx. Inside Update a record the
// transaction put is returned from its buffer.
func (t *tx) Idempotency(key string) (marketplace.IdempotencyRecord, error) {
	var v marketplace.IdempotencyRecord
	var doc []byte
	if t.w != nil {
		k := rowKey{marketplace.KindIdempotency, key}
		if i, ok := t.w.idemAt[key]; ok {
			doc = t.w.idem[i].doc
		} else if doc = t.w.reads[k]; doc == nil && t.w.absent[k] {
			return v, &marketplace.NotFoundError{Kind: marketplace.KindIdempotency, ID: key}
		}
	}
	if doc == nil {
		err := t.q.QueryRow(t.ctx, t.s.getIdem, key).Scan(&doc)
		if errors.Is(err, pgx.ErrNoRows) {
			return v, &marketplace.NotFoundError{Kind: marketplace.KindIdempotency, ID: key}
		}
		if err != nil {
			return v, wrapErr(t.ctx, fmt.Sprintf("idempotency %q", key), err)
		}
	}
	if err := doccodec.Unmarshal(doc, &v); err != nil {
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
	sortR, sortT := int16(1), utc(v.CreatedAt)
	if v.ListedAt != nil {
		sortR, sortT = 0, utc(*v.ListedAt)
	}
	words := strings.Join(marketplace.Words(v.Name+" "+v.Description+" "+v.SellerName), " ")
	tags, err := doccodec.Marshal(productTags(*v))
	if err != nil {
		return fmt.Errorf("postgres: encode product %q tags: %w", v.ID, err)
	}
	return put(t, marketplace.KindProduct, v.ID, v, &v.Version, nil,
		v.SellerID, string(v.Status), v.Category, string(v.Delivery), v.Name, sortR, sortT, string(tags), words)
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
	return t.putResourceDoc(v, nil)
}

// putResourceDoc is PutResource with v's document already encoded (at its
// next version), or encoded here when doc is nil.
func (t *tx) putResourceDoc(v *marketplace.Resource, doc []byte) error {
	var encode func() ([]byte, error)
	if doc == nil {
		encode = func() ([]byte, error) { return doccodec.Marshal(v) }
	}
	return putDoc(t, marketplace.KindResource, v.ID, doc, encode, &v.Version, v.NextDueAt,
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

// PutSavedItem implements marketplace.Tx. Saved items are written at once,
// in the transaction (begun by this write if need be), so that SavedItems
// in the same transaction sees them.
func (t *tx) PutSavedItem(v marketplace.SavedItem) error {
	if v.BuyerID == "" || v.ProductID == "" {
		return &marketplace.InputError{Field: "saved_item", Value: v, Reason: "buyer and product ids must not be empty"}
	}
	doc, err := doccodec.Marshal(v)
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

// DeleteSavedItem implements marketplace.Tx. It runs at once in the
// transaction, as PutSavedItem does.
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

// PutIdempotency implements marketplace.Tx. The record is buffered for the
// commit; a key this transaction already put is *marketplace.ConflictError
// at once, a key stored by another transaction at commit (a concurrent
// transaction inserting the same key makes the commit wait for it and
// then report the conflict).
func (t *tx) PutIdempotency(v marketplace.IdempotencyRecord) error {
	if v.Key == "" {
		return &marketplace.InputError{Field: "key", Value: v.Key, Reason: "must not be empty"}
	}
	if _, ok := t.w.idemAt[v.Key]; ok {
		return &marketplace.ConflictError{Kind: marketplace.KindIdempotency, ID: v.Key, Have: 1}
	}
	doc, err := doccodec.Marshal(v)
	if err != nil {
		return fmt.Errorf("postgres: encode idempotency: %w", err)
	}
	if t.w.idemAt == nil {
		t.w.idemAt = map[string]int{}
	}
	t.w.idemAt[v.Key] = len(t.w.idem)
	t.w.idem = append(t.w.idem, idemRow{key: v.Key, doc: doc})
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
		if err := doccodec.Unmarshal(doc, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
