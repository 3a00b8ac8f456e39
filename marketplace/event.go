package marketplace

import (
	"encoding/json"
	"time"
)

// Kind names an aggregate type. Stores use it in errors, events and due
// items.
type Kind string

// The aggregate kinds.
const (
	KindSeller      Kind = "seller"
	KindProduct     Kind = "product"
	KindOrder       Kind = "order"
	KindPayment     Kind = "payment"
	KindAccount     Kind = "account"
	KindResource    Kind = "resource"
	KindFlow        Kind = "flow"
	KindInvoice     Kind = "invoice"
	KindUnsubscribe Kind = "unsubscribe_request"
	KindSavedItem   Kind = "saved_item"
	KindIdempotency Kind = "idempotency"
)

// Event is a domain event: one state change of one aggregate, written in the
// same transaction as the change. Seq is assigned by the store on commit:
// global, gap-free and increasing, so a host that has seen Seq n has seen
// every change before it. Events double as operation records (who, what,
// when, from, to).
type Event struct {
	Seq         int64           `json:"seq"`
	At          time.Time       `json:"at"`
	Kind        Kind            `json:"kind"` // the aggregate's kind
	AggregateID string          `json:"aggregate_id"`
	Type        string          `json:"type"` // e.g. "order.paid"
	Actor       Actor           `json:"actor"`
	From        string          `json:"from,omitempty"` // state before
	To          string          `json:"to,omitempty"`   // state after
	Data        json.RawMessage `json:"data,omitempty"`
}

// IdempotencyRecord remembers the result of a request made with an
// idempotency key, so that repeating it returns the same result. Keys are
// scoped by the caller (e.g. "order:<buyer>:<key>").
type IdempotencyRecord struct {
	Key string `json:"key"`
	// RequestHash fingerprints the request; a different request with the
	// same key is ErrIdempotencyMismatch.
	RequestHash string    `json:"request_hash"`
	ResultKind  Kind      `json:"result_kind"`
	ResultID    string    `json:"result_id"`
	CreatedAt   time.Time `json:"created_at"`
}

// DueItem is an aggregate whose NextDueAt has come, as claimed by
// Store.ClaimDue. Version is the version the claim saw: a runner that finds
// another version when it reads the aggregate skips it, since someone else
// has already acted.
type DueItem struct {
	Kind    Kind      `json:"kind"`
	ID      string    `json:"id"`
	Version int64     `json:"version"`
	DueAt   time.Time `json:"due_at"`
}
