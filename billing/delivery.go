package billing

import "fmt"

// Delivery is how a product is delivered. It decides which unsubscription
// rule applies and whether auto-renewal is offered.
type Delivery string

// The delivery methods of KooGallery.
const (
	Image               Delivery = "image"                // a seller-built VM image
	SaaS                Delivery = "saas"                 // hosted by the seller, enabled through its endpoint
	License             Delivery = "license"              // a commercial software license
	ProfessionalService Delivery = "professional_service" // setup, migration, training, ...
	Hardware            Delivery = "hardware"             // physical goods
	ContentService      Delivery = "content_service"      // content subscriptions
	Consulting          Delivery = "consulting"           // linked to the seller's site, not traded
	CloudHost           Delivery = "cloud_host"           // hosts sold as a product
)

// Deliveries lists every delivery method.
var Deliveries = []Delivery{Image, SaaS, License, ProfessionalService, Hardware, ContentService, Consulting, CloudHost}

// Valid reports whether d is a known delivery method.
func (d Delivery) Valid() bool {
	for _, k := range Deliveries {
		if d == k {
			return true
		}
	}
	return false
}

// ParseDelivery parses a delivery method's string form.
//
// Errors: *InputError (ErrInvalidInput) for an unknown method.
func ParseDelivery(s string) (Delivery, error) {
	d := Delivery(s)
	if !d.Valid() {
		return "", &InputError{Field: "delivery", Value: s, Reason: fmt.Sprintf("must be one of %v", Deliveries)}
	}
	return d, nil
}

// Period is the unit a price is quoted per.
type Period string

// Price periods.
const (
	PerHour  Period = "hour"
	PerMonth Period = "month"
	PerYear  Period = "year"
	PerOnce  Period = "one-time"
)

// Period returns the unit m's prices are quoted per: an hour for
// pay-per-use, a month, a year, or once for one-time purchases.
func (m Mode) Period() Period {
	switch m {
	case PayPerUse:
		return PerHour
	case Monthly:
		return PerMonth
	case Yearly:
		return PerYear
	}
	return PerOnce
}

// months is the number of calendar months in one period of a prepaid mode.
func (m Mode) months() int {
	if m == Yearly {
		return 12
	}
	return 1
}
