package marketplace

import (
	"time"

	"github.com/opengallery/opengallery/billing"
)

// UnsubscribeStatus is a negotiated unsubscription request's status:
// proposed → agreed → refunded, or proposed → rejected (the buyer may
// propose again).
type UnsubscribeStatus string

// The unsubscription request statuses.
const (
	UnsubscribeProposed UnsubscribeStatus = "proposed"
	UnsubscribeAgreed   UnsubscribeStatus = "agreed"
	UnsubscribeRejected UnsubscribeStatus = "rejected"
	UnsubscribeRefunded UnsubscribeStatus = "refunded"
)

// UnsubscribeRequest is a buyer's negotiated unsubscription of a
// supervised product.
type UnsubscribeRequest struct {
	ID            string            `json:"id"`
	ResourceID    string            `json:"resource_id"`
	OrderID       string            `json:"order_id"` // the order being refunded
	BuyerID       string            `json:"buyer_id"`
	SellerID      string            `json:"seller_id"`
	Amount        billing.Money     `json:"amount"` // 0 < amount ≤ paid
	Reason        string            `json:"reason"`
	ShareContact  bool              `json:"share_contact,omitempty"`
	Status        UnsubscribeStatus `json:"status"`
	SellerComment string            `json:"seller_comment,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	DecidedAt     *time.Time        `json:"decided_at,omitempty"`
	RefundedAt    *time.Time        `json:"refunded_at,omitempty"`
	// RefundOrderID is the unsubscription order carrying the refund.
	RefundOrderID string `json:"refund_order_id,omitempty"`
	// NextDueAt is set while an agreed refund is waiting to be paid.
	NextDueAt *time.Time `json:"next_due_at,omitempty"`
	Version   int64      `json:"version"`
}
