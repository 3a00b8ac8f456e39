package provisioning

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opengallery/opengallery/billing"
)

// SaaS is a seller's SaaS endpoint as the marketplace sees it: the seven
// operations of KooGallery's SaaS access protocol V2. adapters/saasaccess
// implements it over signed HTTP (Client) and lets a seller serve it
// (Handler); provisioning/fake implements it in memory.
//
// Every method validates its request first and returns a *FieldError
// (ErrInvalidInput) without calling the seller when it is invalid. A failure
// answered by the seller is a *ResultError whose Code is the protocol's
// result code and which unwraps to the matching sentinel (ErrAuthFailed,
// ErrInstanceNotFound, ...). An endpoint that cannot be reached or whose
// answer cannot be read or verified gives an error wrapping ErrUnavailable.
// Use Retryable to decide whether to call again.
type SaaS interface {
	// CreateInstance asks the seller to create an instance for a paid order
	// line. The seller must not block: it returns the instance id at once
	// and provisions in the background; the caller then polls
	// QueryInstances until app info arrives. It must be idempotent: the same
	// CreateRequest.Key (order id + order line id, or order id + product id
	// for pay-per-use) returns the same instance id and creates nothing new.
	// A "being processed" answer (000004) is returned as a CreateResult with
	// Processing set and a nil error; call again later with the same request.
	//
	// Errors: *FieldError, *ResultError (any code, typically
	// ErrNoResource, ErrAlreadyPurchased, ErrSoldOut, ErrMobileConflict,
	// ErrEmailConflict, ErrInternal), ErrUnavailable.
	CreateInstance(ctx context.Context, req CreateRequest) (CreateResult, error)

	// QueryInstances returns what the seller knows of up to MaxQueryIDs
	// instances. An instance whose provisioning has not finished comes back
	// with a nil AppInfo; ids the seller does not know are left out.
	//
	// Errors: *FieldError, *ResultError (ErrInstanceNotFound,
	// ErrProcessing, ErrInternal, ...), ErrUnavailable.
	QueryInstances(ctx context.Context, req QueryRequest) ([]InstanceInfo, error)

	// Refresh tells the seller an instance's expiry changed: trial to
	// formal, renewal, cancelled renewal period, or change upon renewal.
	//
	// Errors: *FieldError, *ResultError (ErrInstanceNotFound, ...),
	// ErrUnavailable.
	Refresh(ctx context.Context, req RefreshRequest) error

	// UpdateStatus freezes (on expiry or a violation) or unfreezes an
	// instance.
	//
	// Errors: *FieldError, *ResultError (ErrInstanceNotFound, ...),
	// ErrUnavailable.
	UpdateStatus(ctx context.Context, req StatusRequest) error

	// Upgrade tells the seller that an upgrade order for the instance has
	// been paid. The instance id never changes.
	//
	// Errors: *FieldError, *ResultError (ErrInstanceNotFound, ErrNoResource,
	// ...), ErrUnavailable.
	Upgrade(ctx context.Context, req UpgradeRequest) error

	// ChangeCheck asks whether the instance may change to another product
	// (upgrade, downgrade, scale in or out) at renewal. A nil error means
	// yes; a refusal is a *ResultError.
	//
	// Errors: *FieldError, *ResultError, ErrUnavailable.
	ChangeCheck(ctx context.Context, req ChangeCheckRequest) error

	// Release deletes the instance (not renewed after expiry, or
	// unsubscribed).
	//
	// Errors: *FieldError, *ResultError (ErrInstanceNotFound, ...),
	// ErrUnavailable.
	Release(ctx context.Context, req ReleaseRequest) error
}

// Operation names one SaaS operation, for delivery policies, logs and fault
// injection in fakes. The values are this package's names, not the
// protocol's activity strings.
type Operation string

// The SaaS operations.
const (
	OpCreate       Operation = "create"
	OpQuery        Operation = "query"
	OpRefresh      Operation = "refresh"
	OpUpdateStatus Operation = "update_status"
	OpUpgrade      Operation = "upgrade"
	OpChangeCheck  Operation = "change_check"
	OpRelease      Operation = "release"
)

// Operations lists every SaaS operation.
var Operations = []Operation{OpCreate, OpQuery, OpRefresh, OpUpdateStatus, OpUpgrade, OpChangeCheck, OpRelease}

// Valid reports whether o is a known operation.
func (o Operation) Valid() bool {
	for _, k := range Operations {
		if o == k {
			return true
		}
	}
	return false
}

// Protocol field limits (characters).
const (
	MaxIDLength          = 64  // order, order line, business, instance and product ids
	MaxQueryIDs          = 100 // instance ids per QueryInstances call
	MaxFrontEndURLLength = 512 // AppInfo.FrontEndURL
	MaxResultMessage     = 255 // ResultError.Message on the wire
)

// Scene is why an instance is refreshed.
type Scene string

// The refresh scenes.
const (
	SceneTrialToFormal            Scene = "TRIAL_TO_FORMAL"            // a trial became a paid order (OrderID is the new commercial order)
	SceneRenewal                  Scene = "RENEWAL"                    // renewed (OrderID is the renewal order)
	SceneUnsubscribeRenewalPeriod Scene = "UNSUBSCRIBE_RENEWAL_PERIOD" // a renewal period was unsubscribed (OrderID is the cancelled renewal order)
	SceneRenewalChange            Scene = "RENEWAL_CHANGE"             // renewed with a change of product
)

// Scenes lists every refresh scene.
var Scenes = []Scene{SceneTrialToFormal, SceneRenewal, SceneUnsubscribeRenewalPeriod, SceneRenewalChange}

// Valid reports whether s is a known scene.
func (s Scene) Valid() bool {
	for _, k := range Scenes {
		if s == k {
			return true
		}
	}
	return false
}

// InstanceStatus is the status UpdateStatus sets.
type InstanceStatus string

// The statuses UpdateStatus sets.
const (
	StatusFreeze   InstanceStatus = "FREEZE"
	StatusUnfreeze InstanceStatus = "UNFREEZE"
)

// Valid reports whether s is FREEZE or UNFREEZE.
func (s InstanceStatus) Valid() bool { return s == StatusFreeze || s == StatusUnfreeze }

// Buyer describes who bought, as far as the seller is told.
type Buyer struct {
	CustomerID   string // the buyer's account id
	CustomerName string
	UserID       string // the IAM user who placed the order
	UserName     string
	MobilePhone  string // decrypted; may be empty
	Email        string // decrypted; may be empty
}

// ProductInfo names a product and SKU, and the quantity attribute of a
// linear (per-user, per-seat) SKU.
type ProductInfo struct {
	ProductID   string
	SKUCode     string
	LinearValue int64 // 0 when the SKU has no quantity attribute
}

func (p ProductInfo) check(c *checker, prefix string) {
	c.maxLen(prefix+"product_id", p.ProductID, MaxIDLength)
	c.maxLen(prefix+"sku_code", p.SKUCode, MaxIDLength)
	if p.LinearValue < 0 {
		c.add(prefix+"linear_value", RuleRange, p.LinearValue, "must not be negative")
	}
}

// OrderDetails describes the paid order line. The seller should treat the
// marketplace's order query as authoritative; these are informative.
type OrderDetails struct {
	Trial         bool
	Amount        billing.Money // zero value when not given
	PeriodType    string        // "day", "month", "year"; empty for pay-per-use and one-time
	PeriodCount   int
	ProvisionType string
	Products      []ProductInfo
	CreatedAt     time.Time
	ExpiresAt     time.Time // zero for pay-per-use and one-time
	Extra         map[string]string
}

// CreateRequest asks for a new instance.
type CreateRequest struct {
	OrderID     string // required
	OrderLineID string // required
	BusinessID  string // required; differs on every request, helps the seller keep instance ids unique
	ProductID   string // required for pay-per-use, where it keys idempotency
	Mode        billing.Mode
	Buyer       Buyer
	Order       OrderDetails
	Test        bool // a debugging request, not a real order
}

// CreateKey is what CreateInstance is idempotent on: order id + order line
// id, or order id + product id for pay-per-use (one instance per billing
// item). It is comparable and can key a map.
type CreateKey struct {
	OrderID     string
	OrderLineID string // empty for pay-per-use
	ProductID   string // set only for pay-per-use
}

// String formats k as "order/line" or "order/product:id".
func (k CreateKey) String() string {
	if k.ProductID != "" {
		return k.OrderID + "/product:" + k.ProductID
	}
	return k.OrderID + "/" + k.OrderLineID
}

// Key returns the idempotency key of r.
func (r CreateRequest) Key() CreateKey {
	if r.Mode == billing.PayPerUse {
		return CreateKey{OrderID: r.OrderID, ProductID: r.ProductID}
	}
	return CreateKey{OrderID: r.OrderID, OrderLineID: r.OrderLineID}
}

// Validate checks the ids and the mode.
//
// Errors: *FieldError (ErrInvalidInput), all failures joined.
func (r CreateRequest) Validate() error {
	var c checker
	c.id("order_id", r.OrderID, MaxIDLength)
	c.id("order_line_id", r.OrderLineID, MaxIDLength)
	c.id("business_id", r.BusinessID, MaxIDLength)
	if r.Mode == billing.PayPerUse {
		c.id("product_id", r.ProductID, MaxIDLength)
	} else {
		c.maxLen("product_id", r.ProductID, MaxIDLength)
	}
	if r.Mode != "" && !r.Mode.Valid() {
		c.add("mode", RuleOneOf, string(r.Mode), fmt.Sprintf("must be one of %v", billing.Modes))
	}
	for i, p := range r.Order.Products {
		p.check(&c, fmt.Sprintf("order.products[%d].", i))
	}
	if r.Order.PeriodCount < 0 {
		c.add("order.period_count", RuleRange, r.Order.PeriodCount, "must not be negative")
	}
	return c.err()
}

// CreateResult is the seller's answer to CreateInstance.
type CreateResult struct {
	// InstanceID is the new (or, on a repeated request, the existing)
	// instance. Empty only when Processing.
	InstanceID string
	// Processing reports that the seller answered "being processed"
	// (000004) without an instance id yet: call CreateInstance again later
	// with the same request.
	Processing bool
	// AppInfo is set when the seller already returned access details with
	// the create answer; usually nil, and QueryInstances brings it.
	AppInfo *AppInfo
}

// Validate checks that a non-processing result carries an instance id.
//
// Errors: *FieldError (ErrInvalidInput), all failures joined.
func (r CreateResult) Validate() error {
	var c checker
	if r.Processing {
		c.maxLen("instance_id", r.InstanceID, MaxIDLength)
	} else {
		c.id("instance_id", r.InstanceID, MaxIDLength)
	}
	if r.AppInfo != nil {
		r.AppInfo.check(&c, "app_info.")
	}
	return c.err()
}

// QueryRequest asks about up to MaxQueryIDs instances.
type QueryRequest struct {
	InstanceIDs []string
	Test        bool
}

// Validate checks 1..MaxQueryIDs non-empty ids without commas (the
// protocol joins them with commas) or repeats.
//
// Errors: *FieldError (ErrInvalidInput), all failures joined.
func (r QueryRequest) Validate() error {
	var c checker
	switch n := len(r.InstanceIDs); {
	case n == 0:
		c.add("instance_ids", RuleRequired, nil, "at least one instance id is required")
	case n > MaxQueryIDs:
		c.add("instance_ids", RuleRange, n, fmt.Sprintf("at most %d ids per query", MaxQueryIDs))
	}
	seen := make(map[string]bool, len(r.InstanceIDs))
	for i, id := range r.InstanceIDs {
		field := fmt.Sprintf("instance_ids[%d]", i)
		c.id(field, id, MaxIDLength)
		if strings.Contains(id, ",") {
			c.add(field, RuleFormat, id, "must not contain a comma")
		}
		if seen[id] && id != "" {
			c.add(field, RuleDuplicate, id, "is repeated")
		}
		seen[id] = true
	}
	return c.err()
}

// InstanceInfo is one instance as the seller reports it.
type InstanceInfo struct {
	InstanceID string
	AppInfo    *AppInfo // nil until provisioning has finished
}

// Ready reports whether app info has arrived.
func (i InstanceInfo) Ready() bool { return i.AppInfo != nil }

// Validate checks the id and the app info.
//
// Errors: *FieldError (ErrInvalidInput), all failures joined.
func (i InstanceInfo) Validate() error {
	var c checker
	c.id("instance_id", i.InstanceID, MaxIDLength)
	if i.AppInfo != nil {
		i.AppInfo.check(&c, "app_info.")
	}
	return c.err()
}

// AppInfo is how the buyer reaches a SaaS instance. The password is a
// Secret: decrypted by the protocol client, stored encrypted by the
// marketplace, revealed only to the owning buyer.
type AppInfo struct {
	FrontEndURL string // the login URL, or a URL that needs no login; at most 512 characters
	AdminURL    string
	UserName    string
	Password    Secret
	Memo        string
}

func (a AppInfo) check(c *checker, prefix string) {
	c.maxLen(prefix+"front_end_url", a.FrontEndURL, MaxFrontEndURLLength)
}

// Validate checks the front-end URL length.
//
// Errors: *FieldError (ErrInvalidInput).
func (a AppInfo) Validate() error {
	var c checker
	a.check(&c, "")
	return c.err()
}

// RefreshRequest tells the seller an instance's expiry changed.
type RefreshRequest struct {
	Scene       Scene  // required
	OrderID     string // required; which order depends on Scene
	OrderLineID string // required
	InstanceID  string // required
	ProductID   string // the new product when trial→formal or the billing cycle changes; else empty
	ExpiresAt   time.Time
	Test        bool
}

// Validate checks the scene, ids and expiry.
//
// Errors: *FieldError (ErrInvalidInput), all failures joined.
func (r RefreshRequest) Validate() error {
	var c checker
	if !r.Scene.Valid() {
		c.add("scene", RuleOneOf, string(r.Scene), fmt.Sprintf("must be one of %v", Scenes))
	}
	c.id("order_id", r.OrderID, MaxIDLength)
	c.id("order_line_id", r.OrderLineID, MaxIDLength)
	c.id("instance_id", r.InstanceID, MaxIDLength)
	c.maxLen("product_id", r.ProductID, MaxIDLength)
	if r.ExpiresAt.IsZero() {
		c.add("expires_at", RuleRequired, nil, "is required")
	}
	return c.err()
}

// StatusRequest freezes or unfreezes an instance.
type StatusRequest struct {
	InstanceID string
	Status     InstanceStatus
	Test       bool
}

// Validate checks the id and the status.
//
// Errors: *FieldError (ErrInvalidInput), all failures joined.
func (r StatusRequest) Validate() error {
	var c checker
	c.id("instance_id", r.InstanceID, MaxIDLength)
	if !r.Status.Valid() {
		c.add("status", RuleOneOf, string(r.Status), "must be FREEZE or UNFREEZE")
	}
	return c.err()
}

// UpgradeRequest tells the seller an upgrade order was paid.
type UpgradeRequest struct {
	InstanceID  string // unchanged by the upgrade
	OrderID     string // the upgrade order
	OrderLineID string
	Test        bool
}

// Validate checks the ids.
//
// Errors: *FieldError (ErrInvalidInput), all failures joined.
func (r UpgradeRequest) Validate() error {
	var c checker
	c.id("instance_id", r.InstanceID, MaxIDLength)
	c.id("order_id", r.OrderID, MaxIDLength)
	c.id("order_line_id", r.OrderLineID, MaxIDLength)
	return c.err()
}

// ChangeCheckRequest asks whether an instance may change to Product at
// renewal.
type ChangeCheckRequest struct {
	InstanceID string
	Product    ProductInfo // the target; ProductID required
	Test       bool
}

// Validate checks the id and the target product.
//
// Errors: *FieldError (ErrInvalidInput), all failures joined.
func (r ChangeCheckRequest) Validate() error {
	var c checker
	c.id("instance_id", r.InstanceID, MaxIDLength)
	if strings.TrimSpace(r.Product.ProductID) == "" {
		c.add("product.product_id", RuleRequired, nil, "is required")
	}
	r.Product.check(&c, "product.")
	return c.err()
}

// ReleaseRequest deletes an instance.
type ReleaseRequest struct {
	InstanceID  string
	OrderID     string // the unsubscription order when the release is caused by one; else empty
	OrderLineID string
	Test        bool
}

// Validate checks the ids; an order line requires its order.
//
// Errors: *FieldError (ErrInvalidInput), all failures joined.
func (r ReleaseRequest) Validate() error {
	var c checker
	c.id("instance_id", r.InstanceID, MaxIDLength)
	c.maxLen("order_id", r.OrderID, MaxIDLength)
	c.maxLen("order_line_id", r.OrderLineID, MaxIDLength)
	if r.OrderLineID != "" && r.OrderID == "" {
		c.add("order_id", RuleRequired, nil, "is required with order_line_id")
	}
	return c.err()
}
