package marketplace

import (
	"time"

	"github.com/opengallery/opengallery/billing"
)

// OrderKind is why an order exists.
type OrderKind string

// The order kinds.
const (
	OrderNew            OrderKind = "new"
	OrderRenewal        OrderKind = "renewal"
	OrderUpgrade        OrderKind = "upgrade"
	OrderUnsubscription OrderKind = "unsubscription"
)

// OrderStatus is an order's status:
// pending_payment → processing → completed, or → cancelled (not paid in
// time, or provisioning failed and the payment was refunded).
type OrderStatus string

// The order statuses.
const (
	OrderPendingPayment OrderStatus = "pending_payment"
	OrderProcessing     OrderStatus = "processing"
	OrderCompleted      OrderStatus = "completed"
	OrderCancelled      OrderStatus = "cancelled"
)

// PaymentMethod is how an order was (or will be) paid.
type PaymentMethod string

// The payment methods.
const (
	// PayBalance charges through the payment port (by default the buyer's
	// prepaid balance kept in the store).
	PayBalance PaymentMethod = "balance"
	// PayCredit records the amount against the buyer's credit account,
	// settled monthly.
	PayCredit PaymentMethod = "credit"
	// PayReseller: a reseller's customer; the amount is for reference and
	// the reseller settles offline.
	PayReseller PaymentMethod = "reseller"
)

// OrderLine is one explained part of an order's amount. The lines of an
// order sum exactly to its Amount.
type OrderLine struct {
	Description string        `json:"description"`
	Formula     string        `json:"formula,omitempty"`
	Amount      billing.Money `json:"amount"`
}

// ImageDeployment is what an image order deploys: the provisioning mode and
// the cloud-server choices. The login password is never stored (it is
// given to PayOrder).
type ImageDeployment struct {
	// Mode is "quick" (one server of a listed flavor, the seller's
	// recommended one by default) or "customized" (servers as configured).
	Mode    string `json:"mode"`
	Region  string `json:"region"`
	Zone    string `json:"zone,omitempty"`
	Version string `json:"version,omitempty"` // image version; the latest when empty
	Flavor  string `json:"flavor,omitempty"`
	VPC     string `json:"vpc"`
	Subnet  string `json:"subnet"`
	// SecurityGroup is an existing security group's id.
	SecurityGroup string `json:"security_group"`
	// Name, SystemDisk, SystemDiskGiB and EIPMbps are for customized
	// mode only.
	Name string `json:"name,omitempty"`
	// Quantity is the number of servers a customized deployment creates
	// (0 means 1, at most provisioning.MaxQuantity), and so the quantity
	// the order is priced and renewed for. A quick deployment is one
	// server: Quantity must be 0 or 1 there.
	Quantity      int    `json:"quantity,omitempty"`
	SystemDisk    string `json:"system_disk,omitempty"` // disk type id
	SystemDiskGiB int    `json:"system_disk_gib,omitempty"`
	EIPMbps       int    `json:"eip_mbps,omitempty"` // 0: no elastic IP
}

// servers is the number of servers the deployment creates, which is the
// quantity an image order is priced for.
func (d ImageDeployment) servers() int {
	if d.Mode == "quick" {
		return 1
	}
	return max(d.Quantity, 1)
}

// ProvisioningPhase is where an order's delivery by a provisioner stands.
type ProvisioningPhase string

// The provisioning phases. SaaS orders go create → query → done; image
// orders deploy → done. failed: the create was exhausted and the order
// cancelled; stalled: polling was exhausted and an operator must look.
const (
	PhaseNone    ProvisioningPhase = ""
	PhaseCreate  ProvisioningPhase = "create"
	PhaseQuery   ProvisioningPhase = "query"
	PhaseDeploy  ProvisioningPhase = "deploy"
	PhaseDone    ProvisioningPhase = "done"
	PhaseFailed  ProvisioningPhase = "failed"
	PhaseStalled ProvisioningPhase = "stalled"
)

// Provisioning is the delivery state of an order that calls a provisioner:
// what the runner needs to apply the delivery policy's retries.
type Provisioning struct {
	Phase ProvisioningPhase `json:"phase,omitempty"`
	// Attempts counts the calls of the current phase; FirstAt and LastAt
	// are the first and latest of them.
	Attempts int        `json:"attempts,omitempty"`
	FirstAt  *time.Time `json:"first_at,omitempty"`
	LastAt   *time.Time `json:"last_at,omitempty"`
	// LastError says why the latest call failed, in words fit for the
	// buyer (the kind of failure; the provisioner's own error, which may
	// name the seller's endpoint, is logged only).
	LastError string `json:"last_error,omitempty"`
	// InstanceID is the SaaS instance or the image deployment.
	InstanceID string     `json:"instance_id,omitempty"`
	DoneAt     *time.Time `json:"done_at,omitempty"`
}

// Order is a purchase: a new subscription, a renewal, an upgrade or an
// unsubscription (a refund).
type Order struct {
	ID         string      `json:"id"`
	Number     string      `json:"number"` // the human-facing order number
	Kind       OrderKind   `json:"kind"`
	Status     OrderStatus `json:"status"`
	BuyerID    string      `json:"buyer_id"`
	ResellerID string      `json:"reseller_id,omitempty"`
	SellerID   string      `json:"seller_id"`
	ProductID  string      `json:"product_id"`
	SpecID     string      `json:"spec_id"`
	// ProductName and SpecName are copied at order time for display.
	ProductName string         `json:"product_name"`
	SpecName    string         `json:"spec_name"`
	Delivery    DeliveryMethod `json:"delivery"`
	Mode        billing.Mode   `json:"mode"`
	// Duration is the number of billing periods (months or years) bought;
	// 0 for pay-per-use and one-time.
	Duration  int  `json:"duration"`
	Quantity  int  `json:"quantity"`
	AutoRenew bool `json:"auto_renew"`
	Trial     bool `json:"trial,omitempty"`
	// Amount is what the buyer pays (or, for an unsubscription order, is
	// refunded); Lines explain it.
	Amount billing.Money `json:"amount"`
	// HourlyRate is a pay-per-use order's exact hourly rate (software and
	// VM), charged by the hour in arrears once the resource runs.
	HourlyRate    *billing.Money `json:"hourly_rate,omitempty"`
	Lines         []OrderLine    `json:"lines"`
	PaymentMethod PaymentMethod  `json:"payment_method"`
	// ResourceID is the resource the order created or acts on.
	ResourceID string `json:"resource_id,omitempty"`
	// Upgrade orders: the target specification and quantity.
	TargetSpecID   string           `json:"target_spec_id,omitempty"`
	TargetQuantity int              `json:"target_quantity,omitempty"`
	Image          *ImageDeployment `json:"image,omitempty"`
	IdempotencyKey string           `json:"idempotency_key,omitempty"`
	TermsAgreedAt  time.Time        `json:"terms_agreed_at"`
	CreatedAt      time.Time        `json:"created_at"`
	// PayBy is when an unpaid order is cancelled.
	PayBy     time.Time  `json:"pay_by"`
	PaidAt    *time.Time `json:"paid_at,omitempty"`
	PaymentID string     `json:"payment_id,omitempty"`
	// PendingCharge is a charge through a payment port outside the store
	// that may have taken the buyer's money while the order is not (yet)
	// marked paid; nil once the payment applies it, or once it is refunded
	// or known to have been declined.
	PendingCharge *PendingCharge `json:"pending_charge,omitempty"`
	AcceptedAt    *time.Time     `json:"accepted_at,omitempty"`
	CompletedAt   *time.Time     `json:"completed_at,omitempty"`
	CancelledAt   *time.Time     `json:"cancelled_at,omitempty"`
	CancelReason  string         `json:"cancel_reason,omitempty"`
	// RefundAmount is set when money is to go back to the buyer (a
	// cancelled paid order, an unsubscription); RefundID and RefundedAt once
	// the payment port has done it.
	RefundAmount *billing.Money `json:"refund_amount,omitempty"`
	RefundID     string         `json:"refund_id,omitempty"`
	RefundedAt   *time.Time     `json:"refunded_at,omitempty"`
	// RefundReview is set when the refund is large enough to be held for
	// an operator's review.
	RefundReview *RefundReview `json:"refund_review,omitempty"`
	FlowID       string        `json:"flow_id,omitempty"`
	Provisioning Provisioning  `json:"provisioning"`
	Invoiced     bool          `json:"invoiced,omitempty"`
	// InvoiceID is the order's latest invoice. It is written with the
	// invoice, so two requests racing conflict on the order's version and
	// the second sees the first.
	InvoiceID string `json:"invoice_id,omitempty"`
	// UnsubscribeRequestID links an unsubscription order to the negotiated
	// request it pays.
	UnsubscribeRequestID string `json:"unsubscribe_request_id,omitempty"`
	// Unfreeze is set on a renewal paid while the resource was frozen in
	// retention: the seller is told to unfreeze the instance.
	Unfreeze bool `json:"unfreeze,omitempty"`
	// NextDueAt is when the due-work runner next needs to look at the order
	// (unpaid expiry, provisioning retry, completion); nil for never.
	NextDueAt *time.Time `json:"next_due_at,omitempty"`
	UpdatedAt time.Time  `json:"updated_at"`
	Version   int64      `json:"version"`
}

// PendingCharge is a charge of an order through a payment port outside
// the store (a host's gateway, called outside any transaction). It is
// written on the order, in its own transaction, before the port is
// called, so that no outcome of the call (a crash, a lost answer, the
// payment window closing meanwhile, a renewal the resource can no longer
// take, a failed commit) can leave money taken for an order that is never
// paid: the payment's commit clears it, and cancelling the unpaid order
// refunds it.
type PendingCharge struct {
	// Key is the idempotency key the port is charged with.
	Key    string        `json:"key"`
	Amount billing.Money `json:"amount"`
	// Attempts counts the payment attempts that called the port;
	// StartedAt is when the latest began. A declined attempt forgets the
	// charge only if no other attempt started since.
	Attempts  int       `json:"attempts"`
	StartedAt time.Time `json:"started_at"`
	// Reference is the port's receipt once the charge is known to have
	// gone through; empty while its outcome is unknown (the refund then
	// repeats the charge under Key, which moves no more money if it went
	// through, to learn it).
	Reference string `json:"reference,omitempty"`
}

// attempt counts one provisioning call made at now.
func (p *Provisioning) attempt(now time.Time) {
	p.Attempts++
	if p.FirstAt == nil {
		p.FirstAt = &now
	}
	p.LastAt = &now
}
