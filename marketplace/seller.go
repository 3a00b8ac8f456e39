package marketplace

import "time"

// Seller is an independent software vendor selling on the marketplace.
type Seller struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	SupportEmail string `json:"support_email"`
	SupportPhone string `json:"support_phone,omitempty"`
	// SupportHours describes the after-sales support range, e.g.
	// "09:00-18:00 GMT+08:00, Mon-Fri".
	SupportHours string `json:"support_hours,omitempty"`
	// Certified records that the business information certification is
	// complete; settlement requires it.
	Certified bool      `json:"certified"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	Version   int64     `json:"version"`
}

// Contact is the after-sales contact a buyer sees on a product or resource.
type Contact struct {
	SellerID     string `json:"seller_id"`
	SellerName   string `json:"seller_name"`
	SupportEmail string `json:"support_email"`
	SupportPhone string `json:"support_phone,omitempty"`
	SupportHours string `json:"support_hours,omitempty"`
	SupportRange string `json:"support_range,omitempty"`
}
