package marketplace

import (
	"time"

	"github.com/opengallery/opengallery/billing"
)

// ResourceStatus is a purchased app's status.
//
//	pending → active → grace → retention → released
//	                 ↘ unsubscribed
//
// pending: paid, waiting for supervision or provisioning. grace: expired,
// still usable. retention: frozen at the seller, data kept. released:
// deleted at the seller; cannot be renewed.
type ResourceStatus string

// The resource statuses.
const (
	ResourcePending      ResourceStatus = "pending"
	ResourceActive       ResourceStatus = "active"
	ResourceGrace        ResourceStatus = "grace"
	ResourceRetention    ResourceStatus = "retention"
	ResourceReleased     ResourceStatus = "released"
	ResourceUnsubscribed ResourceStatus = "unsubscribed"
	ResourceFailed       ResourceStatus = "failed" // provisioning failed; the order was cancelled
)

// AppInfo is how the buyer reaches a delivered application. The password is
// stored only as PasswordCipher (AES-GCM under the host's key).
type AppInfo struct {
	InstanceID     string `json:"instance_id,omitempty"`
	Username       string `json:"username,omitempty"`
	PasswordCipher []byte `json:"password_cipher,omitempty"`
	FrontEndURL    string `json:"front_end_url,omitempty"`
	AdminURL       string `json:"admin_url,omitempty"`
	GuideURL       string `json:"guide_url,omitempty"`
	Memo           string `json:"memo,omitempty"`
	// Servers are the cloud servers an image was deployed to.
	Servers []string `json:"servers,omitempty"`
	// ReleasedServers are an image's servers once the cloud confirmed
	// their release: an ended image lists its former servers here rather
	// than as servers it still has. A release whose retries ran out leaves
	// the servers under Servers, for the seller or an operator.
	ReleasedServers []string `json:"released_servers,omitempty"`
}

// Resource is what a buyer owns after paying: a purchased app or
// subscription.
type Resource struct {
	ID          string         `json:"id"`
	BuyerID     string         `json:"buyer_id"`
	ResellerID  string         `json:"reseller_id,omitempty"`
	SellerID    string         `json:"seller_id"`
	ProductID   string         `json:"product_id"`
	SpecID      string         `json:"spec_id"`
	ProductName string         `json:"product_name"`
	SpecName    string         `json:"spec_name"`
	Delivery    DeliveryMethod `json:"delivery"`
	Status      ResourceStatus `json:"status"`
	// Visible is whether the resource appears in Purchased Apps. A
	// supervised SaaS product appears only once supervision completes.
	Visible  bool         `json:"visible"`
	Mode     billing.Mode `json:"mode"`
	Duration int          `json:"duration"` // periods of Term
	Quantity int          `json:"quantity"`
	// OrderID is the order that created it; OrderIDs every order since.
	OrderID  string   `json:"order_id"`
	OrderIDs []string `json:"order_ids"`
	FlowID   string   `json:"flow_id,omitempty"`
	// Paid is the total paid for Term (refund formulas use it).
	Paid        billing.Money `json:"paid"`
	PurchasedAt time.Time     `json:"purchased_at"`
	// EffectiveAt is when the usage period started (acceptance for
	// supervised products); ExpiresAt is nil for one-time and pay-per-use.
	EffectiveAt *time.Time `json:"effective_at,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	// Term is the latest yearly/monthly term (nil for one-time and
	// pay-per-use, and before a supervised purchase is accepted): after a
	// renewal, the renewed period, which may not have started yet. Its
	// expiry is the resource's.
	Term *billing.Term `json:"term,omitempty"`
	// EarlierPeriods are the paid periods before Term that had not ended
	// when Term was paid for, oldest first: the term in use at an early
	// renewal and the renewals queued before Term. An unsubscription
	// refunds each on its own with Term (see PaidPeriod). Nil when Term is
	// the only one, as in documents stored before the field existed.
	EarlierPeriods []PaidPeriod `json:"earlier_periods,omitempty"`
	// RenewalDay is the uniform renewal day of month (1-28, or -1 for the
	// last day); 0 for none. The next renewal ends on it.
	RenewalDay int                 `json:"renewal_day,omitempty"`
	AutoRenew  billing.AutoRenewal `json:"auto_renew"`
	// AutoRenewFailedAt is when the last auto-renewal attempt of this term
	// failed; retried daily until expiry.
	AutoRenewFailedAt *time.Time `json:"auto_renew_failed_at,omitempty"`
	// Supervised copies the product's setting (refund and term rules
	// depend on it).
	Supervised bool `json:"supervised,omitempty"`
	// Trial is set for a trial purchase (never refunded).
	Trial bool `json:"trial,omitempty"`
	// TrialDays is the length of the trial term.
	TrialDays       int        `json:"trial_days,omitempty"`
	App             AppInfo    `json:"app"`
	GraceEndsAt     *time.Time `json:"grace_ends_at,omitempty"`
	RetentionEndsAt *time.Time `json:"retention_ends_at,omitempty"`
	ReleasedAt      *time.Time `json:"released_at,omitempty"`
	// PendingOrderID is an unpaid renewal or upgrade order blocking others.
	PendingOrderID string `json:"pending_order_id,omitempty"`
	// UnsubscribeRequestID is the negotiated unsubscription request open
	// on the resource (proposed, not yet decided). It is written with the
	// request, so two proposals racing conflict on the resource's version
	// and the second sees the first.
	UnsubscribeRequestID string `json:"unsubscribe_request_id,omitempty"`
	// Usage meters a pay-per-use resource (nil otherwise, and for a
	// reseller's customer, whose usage the reseller settles).
	Usage *Usage `json:"usage,omitempty"`
	// SellerCalls is the outbox of calls owed to the seller's endpoint
	// (refresh, freeze, unfreeze, upgrade, release), oldest first; the
	// runner retries them under the delivery policy.
	SellerCalls []SellerCall `json:"seller_calls,omitempty"`
	// NextDueAt is when the runner next needs to look at the resource
	// (auto-renewal, expiry, end of grace, end of retention).
	NextDueAt *time.Time `json:"next_due_at,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
	Version   int64      `json:"version"`
}
