package marketplace

import (
	"slices"
	"time"

	"github.com/opengallery/opengallery/billing"
)

// DeliveryMethod is how a product reaches the buyer: billing's Delivery,
// of which the marketplace sells DeliveryImage, DeliverySaaS,
// DeliveryLicense and DeliveryProfessional.
type DeliveryMethod = billing.Delivery

// The delivery methods the marketplace sells.
const (
	DeliveryImage        = billing.Image               // a VM image deployed to the buyer's cloud servers
	DeliverySaaS         = billing.SaaS                // an instance at the seller's SaaS endpoint
	DeliveryLicense      = billing.License             // a software license delivered offline
	DeliveryProfessional = billing.ProfessionalService // a service (setup, migration, training)
)

// Sellable reports whether d is a delivery method the marketplace sells.
func Sellable(d DeliveryMethod) bool {
	switch d {
	case DeliveryImage, DeliverySaaS, DeliveryLicense, DeliveryProfessional:
		return true
	}
	return false
}

// ProductStatus is a product's place in its lifecycle:
// draft → in_review → listed → delisted, with a rejected review returning
// the product to draft. A delisted product can never be listed again.
type ProductStatus string

// The product statuses.
const (
	ProductDraft    ProductStatus = "draft"
	ProductInReview ProductStatus = "in_review"
	ProductListed   ProductStatus = "listed"
	ProductDelisted ProductStatus = "delisted"
)

// SpecStatus is a specification's status; a delisted specification is
// discontinued: it cannot be bought, renewed into or upgraded to.
type SpecStatus string

// The specification statuses.
const (
	SpecActive       SpecStatus = "active"
	SpecDiscontinued SpecStatus = "discontinued"
)

// Specification is one SKU of a product: its price plans (one per billing
// mode, with quantity pricing and bounds) and trial, from billing, and its
// upgradability.
type Specification struct {
	ID     string     `json:"id"`
	Name   string     `json:"name"`
	Status SpecStatus `json:"status"`
	// Pricing holds the plans and the trial days.
	Pricing billing.Pricing `json:"pricing"`
	// QuantityName names the quantity dimension ("number of licenses");
	// empty when the specification is bought one at a time.
	QuantityName string `json:"quantity_name,omitempty"`
	// Upgradable allows upgrades to the other upgradable specifications of
	// the same product and to more quantity (SaaS yearly/monthly only).
	Upgradable bool `json:"upgradable,omitempty"`
}

// Plan returns the specification's plan for mode.
func (s Specification) Plan(mode billing.Mode) (billing.PricePlan, bool) {
	p, err := s.Pricing.Plan(mode)
	return p, err == nil
}

// Flavor is a cloud-server flavor an image runs on, with the server's own
// hourly price when the seller shows one.
type Flavor struct {
	Name      string `json:"name"` // e.g. "s6.large.2"
	VCPUs     int    `json:"vcpus"`
	MemoryGiB int    `json:"memory_gib"`
}

// ImageInfo holds what only image products have.
type ImageInfo struct {
	Regions           []string `json:"regions"`
	Versions          []string `json:"versions"`
	Flavors           []Flavor `json:"flavors"`
	RecommendedFlavor string   `json:"recommended_flavor,omitempty"`
}

// Restriction limits who may buy a product. An empty Whitelist means
// everyone may.
//
// The whitelist names buyers, so only the product's seller and operators
// read it. Anyone else reads a restricted product's restriction withheld:
// Restricted is set and Whitelist holds at most the reader's own id (a
// buyer on the whitelist), so that Allows still answers for the reader.
type Restriction struct {
	// Whitelist holds buyer ids, each once; ProductInput.Validate refuses
	// an empty or malformed id and a repeated one (*InputError on
	// restriction.whitelist[i]).
	Whitelist []string `json:"whitelist,omitempty"`
	// Restricted marks a withheld restriction: the product is sold to a
	// whitelist of buyers that is not shown. The marketplace sets it on
	// what it returns; a ProductInput setting it is an *InputError.
	Restricted bool `json:"restricted,omitempty"`
}

// Allows reports whether buyerID may purchase.
func (r Restriction) Allows(buyerID string) bool {
	return len(r.Whitelist) == 0 && !r.Restricted || slices.Contains(r.Whitelist, buyerID)
}

// withheldFrom reports whether p's whitelist is withheld from actor:
// anyone but its seller and operators reads a restricted product's
// restriction withheld (see Restriction).
func (p Product) withheldFrom(actor Actor) bool {
	return len(p.Restriction.Whitelist) > 0 && !actor.IsOperator() && !actor.IsSystem() && !actor.IsSeller(p.SellerID)
}

// view returns p as actor may read it. p's whitelist is never written to:
// a store may share it with its cache.
func (p Product) view(actor Actor) Product {
	if !p.withheldFrom(actor) {
		return p
	}
	r := Restriction{Restricted: true}
	if actor.Role == RoleBuyer && slices.Contains(p.Restriction.Whitelist, actor.ID) {
		r.Whitelist = []string{actor.ID}
	}
	p.Restriction = r
	return p
}

// viewPage returns pg as actor may read it (see Product.view), with a new
// items slice when anything is withheld: the store's is not written to.
func viewPage(actor Actor, pg Page[Product]) Page[Product] {
	for i := range pg.Items {
		if pg.Items[i].withheldFrom(actor) {
			items := slices.Clone(pg.Items)
			for j := i; j < len(items); j++ {
				items[j] = items[j].view(actor)
			}
			pg.Items = items
			break
		}
	}
	return pg
}

// Product is a catalog entry.
type Product struct {
	ID          string `json:"id"`
	SellerID    string `json:"seller_id"`
	SellerName  string `json:"seller_name"` // denormalised for search
	Name        string `json:"name"`
	Description string `json:"description"`
	Category    string `json:"category"`
	// OperatingSystems the product runs on or supports, e.g. "Linux".
	OperatingSystems []string       `json:"operating_systems,omitempty"`
	Delivery         DeliveryMethod `json:"delivery"`
	// Supervised products go through a service-supervision flow built from
	// FlowTemplate (a supervision template name).
	Supervised   bool   `json:"supervised"`
	FlowTemplate string `json:"flow_template,omitempty"`
	// ReviewDelivery makes the platform review the seller's delivery before
	// the buyer accepts it (SaaS flows).
	ReviewDelivery bool            `json:"review_delivery,omitempty"`
	SupportRange   string          `json:"support_range,omitempty"`
	CustomerCases  []string        `json:"customer_cases,omitempty"`
	GuideURL       string          `json:"guide_url,omitempty"`
	Restriction    Restriction     `json:"restriction"`
	Specs          []Specification `json:"specs"`
	Image          *ImageInfo      `json:"image,omitempty"`
	Status         ProductStatus   `json:"status"`
	ReviewComment  string          `json:"review_comment,omitempty"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	ListedAt       *time.Time      `json:"listed_at,omitempty"`
	Version        int64           `json:"version"`
}

// Spec returns the specification with id.
func (p Product) Spec(id string) (Specification, bool) {
	for _, s := range p.Specs {
		if s.ID == id {
			return s, true
		}
	}
	return Specification{}, false
}

// Modes returns the billing modes offered by the product's active
// specifications, in billing.Modes order. Stores index it for the "pricing
// plan" search filter.
func (p Product) Modes() []billing.Mode {
	var out []billing.Mode
	for _, m := range billing.Modes {
		for _, s := range p.Specs {
			if s.Status != SpecActive {
				continue
			}
			if _, ok := s.Plan(m); ok {
				out = append(out, m)
				break
			}
		}
	}
	return out
}
