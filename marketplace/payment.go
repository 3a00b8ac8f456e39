package marketplace

import (
	"time"

	"github.com/opengallery/opengallery/billing"
)

// PaymentKind tells charges from refunds.
type PaymentKind string

// The payment kinds.
const (
	PaymentCharge PaymentKind = "charge"
	PaymentRefund PaymentKind = "refund"
)

// Payment is a charge or refund recorded by the marketplace, whichever
// port moved the money.
type Payment struct {
	ID      string        `json:"id"`
	Kind    PaymentKind   `json:"kind"`
	Method  PaymentMethod `json:"method"`
	OrderID string        `json:"order_id"`
	BuyerID string        `json:"buyer_id"`
	Amount  billing.Money `json:"amount"`
	// IdempotencyKey is the key the port was called with; Reference is the
	// port's own id for the transaction.
	IdempotencyKey string    `json:"idempotency_key"`
	Reference      string    `json:"reference,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	// SettledAt is set when a credit payment is settled.
	SettledAt *time.Time `json:"settled_at,omitempty"`
	Version   int64      `json:"version"`
}

// Account is a buyer's account with the default payment port: a prepaid
// balance, or a credit account settled monthly.
type Account struct {
	ID      string        `json:"id"` // the buyer id
	Balance billing.Money `json:"balance"`
	Credit  bool          `json:"credit"`
	// CreditUsed is the unsettled credit spent in the current cycle.
	CreditUsed billing.Money `json:"credit_used"`
	UpdatedAt  time.Time     `json:"updated_at"`
	Version    int64         `json:"version"`
}
