package marketplace

import (
	"time"

	"github.com/opengallery/opengallery/billing"
)

// InvoiceStatus is an invoice's status: requested → issued → returned.
// An issued invoice blocks unsubscription until it is returned.
type InvoiceStatus string

// The invoice statuses.
const (
	InvoiceRequested InvoiceStatus = "requested"
	InvoiceIssued    InvoiceStatus = "issued"
	InvoiceReturned  InvoiceStatus = "returned"
)

// Invoice is an invoice for a paid order.
type Invoice struct {
	ID          string        `json:"id"`
	OrderID     string        `json:"order_id"`
	ResourceID  string        `json:"resource_id,omitempty"`
	BuyerID     string        `json:"buyer_id"`
	SellerID    string        `json:"seller_id"`
	Title       string        `json:"title"`
	TaxID       string        `json:"tax_id,omitempty"`
	Amount      billing.Money `json:"amount"`
	Status      InvoiceStatus `json:"status"`
	Number      string        `json:"number,omitempty"` // set when issued
	RequestedAt time.Time     `json:"requested_at"`
	IssuedAt    *time.Time    `json:"issued_at,omitempty"`
	ReturnedAt  *time.Time    `json:"returned_at,omitempty"`
	Version     int64         `json:"version"`
}
