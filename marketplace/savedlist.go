package marketplace

import "time"

// SavedItem is a product specification on a buyer's saved list. Its key is
// (BuyerID, ProductID, SpecID); SpecID may be empty for the product as a
// whole.
type SavedItem struct {
	BuyerID   string    `json:"buyer_id"`
	ProductID string    `json:"product_id"`
	SpecID    string    `json:"spec_id,omitempty"`
	AddedAt   time.Time `json:"added_at"`
}
