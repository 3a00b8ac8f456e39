package marketplace

import (
	"context"
	"time"

	"github.com/opengallery/opengallery/billing"
)

// Store is the storage the marketplace needs. Adapters implement it
// (adapters/memory, adapters/sqlite, adapters/postgres) and prove it with
// adapters/storetest.Run.
//
// Aggregates are plain JSON-serialisable values with a Version. Writes go
// through Update, a read-modify-write transaction the adapter owns; Put
// with the version that was read succeeds and increments the version, a
// stale version fails with *ConflictError (ErrConflict). Reads through View
// and the query methods see committed state only. Values are copied in and
// out: nothing a caller holds aliases what the store keeps.
//
// Times are stored in UTC with at least microsecond precision; decimals
// exactly.
type Store interface {
	// Update runs fn in a read-write transaction. If fn returns an error,
	// nothing it wrote is kept and Update returns that error unchanged
	// (wrapped errors stay errors.Is-comparable). Otherwise all writes and
	// events commit atomically; a commit that loses a race with another
	// writer returns *ConflictError (ErrConflict). fn may be called once
	// only; it must not call the store's other methods (use tx) and should
	// do no slow I/O. The marketplace runs a transaction that lost a race
	// again with a ctx for which Retrying is true: a store that runs
	// transactions optimistically should then run it where it cannot lose
	// again (locking what it reads, or on a single writer).
	//
	// Errors: whatever fn returns; ErrConflict; ctx.Err().
	Update(ctx context.Context, fn func(tx Tx) error) error

	// View runs fn with a read-only view of committed state.
	//
	// Errors: whatever fn returns; ctx.Err().
	View(ctx context.Context, fn func(tx ReadTx) error) error

	// SearchProducts returns the products matching q, one page at a time.
	//
	// Errors: *InputError (ErrInvalidInput) for a bad limit, sort or cursor;
	// ctx.Err().
	SearchProducts(ctx context.Context, q ProductQuery) (Page[Product], error)

	// ListOrders returns orders matching q, newest first (CreatedAt
	// descending, then ID descending).
	//
	// Errors: *InputError for a bad limit or cursor; ctx.Err().
	ListOrders(ctx context.Context, q OrderQuery) (Page[Order], error)

	// ListResources returns resources matching q, newest first
	// (PurchasedAt descending, then ID descending).
	//
	// Errors: *InputError for a bad limit or cursor; ctx.Err().
	ListResources(ctx context.Context, q ResourceQuery) (Page[Resource], error)

	// ListFlows returns flows matching q, newest first (CreatedAt
	// descending, then ID descending).
	//
	// Errors: *InputError for a bad limit or cursor; ctx.Err().
	ListFlows(ctx context.Context, q FlowQuery) (Page[Flow], error)

	// ListInvoices returns invoices matching q, newest first (RequestedAt
	// descending, then ID descending).
	//
	// Errors: *InputError for a bad limit or cursor; ctx.Err().
	ListInvoices(ctx context.Context, q InvoiceQuery) (Page[Invoice], error)

	// ListUnsubscribeRequests returns requests matching q, newest first
	// (CreatedAt descending, then ID descending).
	//
	// Errors: *InputError for a bad limit or cursor; ctx.Err().
	ListUnsubscribeRequests(ctx context.Context, q UnsubscribeQuery) (Page[UnsubscribeRequest], error)

	// ListPayments returns payments matching q, oldest first (CreatedAt
	// ascending, then ID ascending).
	//
	// Errors: *InputError for a bad limit or cursor; ctx.Err().
	ListPayments(ctx context.Context, q PaymentQuery) (Page[Payment], error)

	// ClaimDue claims up to limit aggregates (orders, resources, flows,
	// unsubscription requests) whose NextDueAt is at or before now and that
	// are not claimed by a lease still running at now, oldest due first
	// (DueAt, then Kind, then ID). Each claimed item is leased to owner
	// until now+lease: no other ClaimDue returns it before then, whichever
	// process calls. Writing the aggregate (Put) ends its lease. Several
	// processes may call ClaimDue at once; no item is returned to two of
	// them while a lease runs.
	//
	// Errors: *InputError for limit < 1, an empty owner or lease ≤ 0;
	// ctx.Err().
	ClaimDue(ctx context.Context, now time.Time, limit int, owner string, lease time.Duration) ([]DueItem, error)

	// Events returns up to limit events with Seq > after, in Seq order.
	//
	// Errors: *InputError for limit outside 1..1000 or after < 0;
	// ctx.Err().
	Events(ctx context.Context, after int64, limit int) ([]Event, error)
}

// ReadTx reads aggregates by id inside a transaction. Inside Update it sees
// the transaction's own writes.
//
// Every getter returns *NotFoundError (ErrNotFound) when the id does not
// exist, plus ctx-related errors from the adapter.
type ReadTx interface {
	Seller(id string) (Seller, error)
	Product(id string) (Product, error)
	Order(id string) (Order, error)
	Payment(id string) (Payment, error)
	Account(id string) (Account, error)
	Resource(id string) (Resource, error)
	Flow(id string) (Flow, error)
	Invoice(id string) (Invoice, error)
	UnsubscribeRequest(id string) (UnsubscribeRequest, error)
	// SavedItems lists a buyer's saved list, oldest first (AddedAt, then
	// ProductID, then SpecID); empty, not an error, when there is none.
	SavedItems(buyerID string) ([]SavedItem, error)
	// Idempotency returns the record stored under key.
	Idempotency(key string) (IdempotencyRecord, error)
}

// Tx is a read-write transaction.
//
// Every Put takes a pointer to the value to write. Version 0 creates (an
// existing id is *ConflictError with Want 0); otherwise Version must equal
// the stored version (else *ConflictError). On success Put sets *v's
// Version to the new version (old+1; 1 on create). Putting an aggregate
// ends any ClaimDue lease on it. Put returns *InputError (ErrInvalidInput)
// for an empty id.
type Tx interface {
	ReadTx
	PutSeller(v *Seller) error
	PutProduct(v *Product) error
	PutOrder(v *Order) error
	PutPayment(v *Payment) error
	PutAccount(v *Account) error
	PutResource(v *Resource) error
	PutFlow(v *Flow) error
	PutInvoice(v *Invoice) error
	PutUnsubscribeRequest(v *UnsubscribeRequest) error
	// PutSavedItem adds or replaces the item with the same key.
	PutSavedItem(v SavedItem) error
	// DeleteSavedItem removes an item; *NotFoundError if it is not there.
	DeleteSavedItem(buyerID, productID, specID string) error
	// PutIdempotency stores a record; an existing key is *ConflictError.
	PutIdempotency(v IdempotencyRecord) error
	// AppendEvent adds an event to commit with the transaction and sets
	// e.Seq to the number it will have if the transaction commits. A store
	// may number events at commit instead (adapters/postgres does, so that
	// its sequencer is held only while committing): e.Seq is then
	// provisional until Update returns nil, and Events reports the
	// committed number. Sequence numbers are global, gap-free (a
	// rolled-back transaction consumes none) and increasing in commit
	// order, starting at 1; nothing may rely on a provisional number.
	AppendEvent(e *Event) error
}

// Page is one page of a query's results.
type Page[T any] struct {
	Items []T `json:"items"`
	// Total counts every match of the query, ignoring Cursor and Limit.
	Total int `json:"total"`
	// Next is the cursor of the following page; empty on the last page.
	Next string `json:"next,omitempty"`
}

// MaxPageSize is the largest Limit a query accepts.
const MaxPageSize = 1000

// ProductSort is a stable order for search results.
type ProductSort string

// The product sort orders. Every order breaks ties by ID ascending, so
// pages never overlap or skip.
const (
	// SortNewest: ListedAt descending (unlisted products last, by
	// CreatedAt descending), then ID ascending. The default.
	SortNewest ProductSort = "newest"
	// SortName: Name ascending (byte order), then ID ascending.
	SortName ProductSort = "name"
)

// ProductQuery filters the catalog. Zero fields do not filter; "clear
// filters" is the zero value with only Limit set.
type ProductQuery struct {
	// Text: every whitespace-separated term must be a prefix of some word
	// (case-insensitive; words are runs of letters and digits) of the
	// product's name, description or seller name.
	Text     string         `json:"text,omitempty"`
	Category string         `json:"category,omitempty"`
	OS       string         `json:"os,omitempty"` // exact match on one of OperatingSystems
	Delivery DeliveryMethod `json:"delivery,omitempty"`
	Mode     billing.Mode   `json:"mode,omitempty"` // one of Product.Modes()
	SellerID string         `json:"seller_id,omitempty"`
	// Statuses keeps products in any of these statuses; empty keeps all.
	Statuses []ProductStatus `json:"statuses,omitempty"`
	Sort     ProductSort     `json:"sort,omitempty"`
	Cursor   string          `json:"cursor,omitempty"`
	Limit    int             `json:"limit"` // 1..MaxPageSize
}

// OrderQuery filters orders. Zero fields do not filter.
type OrderQuery struct {
	BuyerID    string      `json:"buyer_id,omitempty"`
	SellerID   string      `json:"seller_id,omitempty"`
	ResourceID string      `json:"resource_id,omitempty"`
	Status     OrderStatus `json:"status,omitempty"`
	Kind       OrderKind   `json:"kind,omitempty"`
	Cursor     string      `json:"cursor,omitempty"`
	Limit      int         `json:"limit"`
}

// ResourceQuery filters resources. Zero fields do not filter.
type ResourceQuery struct {
	BuyerID  string         `json:"buyer_id,omitempty"`
	SellerID string         `json:"seller_id,omitempty"`
	Status   ResourceStatus `json:"status,omitempty"`
	// VisibleOnly keeps only resources shown in Purchased Apps.
	VisibleOnly bool   `json:"visible_only,omitempty"`
	Cursor      string `json:"cursor,omitempty"`
	Limit       int    `json:"limit"`
}

// FlowQuery filters supervision flows. Zero fields do not filter.
type FlowQuery struct {
	BuyerID  string `json:"buyer_id,omitempty"`
	SellerID string `json:"seller_id,omitempty"`
	Status   string `json:"status,omitempty"`
	Cursor   string `json:"cursor,omitempty"`
	Limit    int    `json:"limit"`
}

// InvoiceQuery filters invoices. Zero fields do not filter.
type InvoiceQuery struct {
	BuyerID  string        `json:"buyer_id,omitempty"`
	SellerID string        `json:"seller_id,omitempty"`
	OrderID  string        `json:"order_id,omitempty"`
	Status   InvoiceStatus `json:"status,omitempty"`
	Cursor   string        `json:"cursor,omitempty"`
	Limit    int           `json:"limit"`
}

// UnsubscribeQuery filters unsubscription requests. Zero fields do not
// filter.
type UnsubscribeQuery struct {
	BuyerID    string            `json:"buyer_id,omitempty"`
	SellerID   string            `json:"seller_id,omitempty"`
	ResourceID string            `json:"resource_id,omitempty"`
	Status     UnsubscribeStatus `json:"status,omitempty"`
	Cursor     string            `json:"cursor,omitempty"`
	Limit      int               `json:"limit"`
}

// PaymentQuery filters payments. Zero fields do not filter.
type PaymentQuery struct {
	BuyerID string        `json:"buyer_id,omitempty"`
	OrderID string        `json:"order_id,omitempty"`
	Method  PaymentMethod `json:"method,omitempty"`
	// Unsettled keeps only payments with no SettledAt.
	Unsettled bool   `json:"unsettled,omitempty"`
	Cursor    string `json:"cursor,omitempty"`
	Limit     int    `json:"limit"`
}

// CheckLimit validates a query's page size; stores call it first.
//
// Errors: *InputError (ErrInvalidInput).
func CheckLimit(limit int) error {
	if limit < 1 || limit > MaxPageSize {
		return inputErr("limit", limit, "must be 1..1000")
	}
	return nil
}

// CheckSort validates a product sort order; stores call it first. The empty
// sort is SortNewest.
//
// Errors: *InputError (ErrInvalidInput).
func CheckSort(s ProductSort) error {
	switch s {
	case "", SortNewest, SortName:
		return nil
	}
	return inputErr("sort", s, "must be newest or name")
}

// BadCursor is the error stores return for a cursor they did not issue.
func BadCursor(cursor string) error {
	return inputErr("cursor", cursor, "not a cursor this store issued")
}
