package marketplace

import (
	"time"

	"github.com/opengallery/opengallery/supervision"
)

// Flow is the stored service-supervision flow of one order: the ids the
// store indexes, plus the supervision state machine's value.
type Flow struct {
	ID         string `json:"id"`
	OrderID    string `json:"order_id"`
	ResourceID string `json:"resource_id"`
	BuyerID    string `json:"buyer_id"`
	SellerID   string `json:"seller_id"`
	ProductID  string `json:"product_id"`
	Template   string `json:"template"`
	// Status mirrors Supervision.Status for indexing and listing.
	Status string `json:"status"`
	// Supervision is the supervision package's flow value.
	Supervision supervision.Flow `json:"supervision"`
	// Records are the flow's operation records, oldest first.
	Records   []supervision.Record `json:"records,omitempty"`
	CreatedAt time.Time            `json:"created_at"`
	UpdatedAt time.Time            `json:"updated_at"`
	// NextDueAt is the flow's next timer (reminders, appeal availability).
	NextDueAt *time.Time `json:"next_due_at,omitempty"`
	Version   int64      `json:"version"`
}
