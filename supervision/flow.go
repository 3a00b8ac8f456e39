package supervision

import (
	"strings"
	"time"
)

// Flow is one purchase's supervision flow: a plain, fixed-size value the
// marketplace stores and passes back. Apply never modifies a Flow; it returns
// a new one plus the operation Record of the action, which the marketplace
// appends to its own log (records are not kept inside the Flow, so an action
// costs the same on the first day and the hundredth). Attachment slices may
// be shared between the old and new values: treat them as read-only. All
// times are UTC.
type Flow struct {
	ID             string    `json:"id"` // assigned by the marketplace, e.g. the order line
	Template       Kind      `json:"template"`
	Status         Status    `json:"status"`
	PlatformReview bool      `json:"platform_review,omitempty"` // SaaS: deliveries go through PlatformReview
	CreatedAt      time.Time `json:"created_at"`                // payment time
	StatusSince    time.Time `json:"status_since"`              // when Status was entered; idle times count from it

	LastBuyerUpdate  time.Time `json:"last_buyer_update,omitzero"`  // the buyer's last action (zero if none)
	LastSellerUpdate time.Time `json:"last_seller_update,omitzero"` // the seller's last action (zero if none)

	SellerRejections int       `json:"seller_rejections,omitempty"` // times the seller rejected the request
	BuyerRejections  int       `json:"buyer_rejections,omitempty"`  // times the buyer rejected the delivery
	Reminders        int       `json:"reminders,omitempty"`         // reminders the buyer has sent
	LastReminderAt   time.Time `json:"last_reminder_at,omitzero"`

	Frozen             bool      `json:"frozen,omitempty"`               // an appeal is open; only operators act
	StatusBeforeAppeal Status    `json:"status_before_appeal,omitempty"` // where the open (or last) appeal started
	AppealedBy         Role      `json:"appealed_by,omitempty"`          // who opened the open (or last) appeal
	AppealedAt         time.Time `json:"appealed_at,omitzero"`           // when
	Appeals            int       `json:"appeals,omitempty"`              // appeals opened so far

	Request  Request  `json:"request,omitzero"`  // the buyer's latest request (Standard, SaaS)
	Delivery Delivery `json:"delivery,omitzero"` // the seller's latest delivery

	// AcceptedAt is when the flow completed: the buyer's acceptance, an
	// automatic acceptance or an operator's completion. Zero until then.
	AcceptedAt time.Time `json:"accepted_at,omitzero"`
	// TerminatedAt is when an operator terminated the flow; Refund is that
	// operator's decision for the order.
	TerminatedAt time.Time `json:"terminated_at,omitzero"`
	Refund       bool      `json:"refund,omitempty"`

	// ExpectedCompletion is an optional date by which the host expects the
	// flow to complete; only Policy.AppealCutoff reads it.
	ExpectedCompletion time.Time `json:"expected_completion,omitzero"`

	// Seq is the number of actions applied so far, the Seq of the last
	// Record. It grows by one per successful Apply, so hosts can use it as
	// an optimistic-concurrency version.
	Seq int `json:"seq"`
}

// Request is what the buyer asked for.
type Request struct {
	Description string       `json:"description,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
	SubmittedAt time.Time    `json:"submitted_at,omitzero"`
}

// Delivery is what the seller delivered: the result text, deliverables or
// delivery proof (SOW, acceptance document, receipts) and, optionally, the
// actual service enabling time.
type Delivery struct {
	Result       string       `json:"result,omitempty"`
	Attachments  []Attachment `json:"attachments,omitempty"`
	EnablingTime time.Time    `json:"enabling_time,omitzero"` // zero if the seller did not set one
	DeliveredAt  time.Time    `json:"delivered_at,omitzero"`
}

// Record is the operation record of one action: who, when, what, the
// status before and after, and the action's inputs.
type Record struct {
	FlowID       string       `json:"flow_id"`
	Seq          int          `json:"seq"` // 1-based; equals the new Flow.Seq
	At           time.Time    `json:"at"`
	Actor        Actor        `json:"actor"`
	Action       Action       `json:"action"`
	From         Status       `json:"from"`
	To           Status       `json:"to"`
	Reason       string       `json:"reason,omitempty"`
	Description  string       `json:"description,omitempty"`
	Result       string       `json:"result,omitempty"`
	Attachments  []Attachment `json:"attachments,omitempty"`
	EnablingTime time.Time    `json:"enabling_time,omitzero"`
	Refund       bool         `json:"refund,omitempty"`
}

// Option configures New.
type Option func(*Flow)

// WithPlatformReview switches the platform review on for a SaaS flow.
func WithPlatformReview(on bool) Option { return func(f *Flow) { f.PlatformReview = on } }

// WithExpectedCompletion records the date by which the host expects the flow
// to complete (used only by Policy.AppealCutoff).
func WithExpectedCompletion(t time.Time) Option {
	return func(f *Flow) { f.ExpectedCompletion = t.UTC() }
}

// MaxIDLength bounds Flow.ID and Actor.ID, in bytes.
const MaxIDLength = 128

// New starts a flow of template kind at payment time now: License waits for
// the seller, the others for the buyer's request.
//
// Errors: *InputError (ErrInvalidInput) for an empty or over-long id, an
// unknown kind, a zero now, or platform review on a template without it.
func New(id string, kind Kind, now time.Time, opts ...Option) (Flow, error) {
	t, err := Lookup(kind)
	if err != nil {
		return Flow{}, err
	}
	if err := validID("ID", id); err != nil {
		return Flow{}, err
	}
	if now.IsZero() {
		return Flow{}, &InputError{Field: "now", Value: now, Reason: "required"}
	}
	now = now.UTC()
	f := Flow{ID: id, Template: kind, Status: t.initial, CreatedAt: now, StatusSince: now}
	for _, o := range opts {
		o(&f)
	}
	if f.PlatformReview && !t.reviewSupported {
		return Flow{}, &InputError{Field: "platform_review", Value: true, Reason: "only SaaS flows have a platform review"}
	}
	return f, nil
}

// Validate checks that f is a flow this package could have produced: a
// known template, a status of it, consistent freezing and review switch.
//
// Errors: *InputError (ErrInvalidInput) naming the offending field.
func (f Flow) Validate() error {
	_, err := f.template()
	return err
}

func (f Flow) template() (*Template, error) {
	t, err := Lookup(f.Template)
	if err != nil {
		return nil, err
	}
	switch {
	case !t.Has(f.Status):
		return nil, &InputError{Field: "status", Value: quoteShort(string(f.Status)), Reason: "not a status of template " + string(t.kind)}
	case f.Frozen != (f.Status == AwaitingOperations):
		return nil, &InputError{Field: "frozen", Value: f.Frozen, Reason: "must be true exactly when the status is awaiting_operations"}
	case f.PlatformReview && !t.reviewSupported:
		return nil, &InputError{Field: "platform_review", Value: true, Reason: "only SaaS flows have a platform review"}
	case !f.PlatformReview && f.Status == PlatformReview:
		return nil, &InputError{Field: "status", Value: f.Status, Reason: "flow has no platform review"}
	case f.SellerRejections < 0 || f.BuyerRejections < 0 || f.Reminders < 0 || f.Appeals < 0 || f.Seq < 0:
		return nil, &InputError{Field: "counters", Value: [5]int{f.SellerRejections, f.BuyerRejections, f.Reminders, f.Appeals, f.Seq}, Reason: "must not be negative"}
	}
	return t, nil
}

// Label returns the display text of the flow's status in its template.
func (f Flow) Label() string {
	t, err := Lookup(f.Template)
	if err != nil {
		return f.Status.Label()
	}
	return t.Label(f.Status)
}

// Accepted reports whether the flow completed by acceptance (by the buyer,
// automatically, or by an operator). An accepted purchase can no longer be
// unsubscribed.
func (f Flow) Accepted() bool { return f.Status == Completed && !f.AcceptedAt.IsZero() }

// TermStart returns when the purchased term starts: the seller's actual
// service enabling time if the delivery set one, otherwise the acceptance.
// ok is false until the flow is accepted.
func (f Flow) TermStart() (start time.Time, ok bool) {
	if !f.Accepted() {
		return time.Time{}, false
	}
	if !f.Delivery.EnablingTime.IsZero() {
		return f.Delivery.EnablingTime, true
	}
	return f.AcceptedAt, true
}

// OrderCompletionAt returns when the order this flow belongs to becomes
// Completed: acceptance plus p.OrderCompletionDelay. ok is false until the
// flow is accepted.
func (f Flow) OrderCompletionAt(p Policy) (at time.Time, ok bool) {
	if !f.Accepted() {
		return time.Time{}, false
	}
	return f.AcceptedAt.Add(p.OrderCompletionDelay), true
}

// WaitingOn returns the role the flow waits on in its status: the buyer
// (request, acceptance), the seller (confirmation, delivery), the operator
// (platform review, appeal), or "" when the flow has ended.
func (f Flow) WaitingOn() Role { return waitingOn(f.Status) }

func waitingOn(s Status) Role {
	switch s {
	case AwaitingRequest, AwaitingAcceptance:
		return Buyer
	case AwaitingConfirmation, AwaitingDelivery:
		return Seller
	case PlatformReview, AwaitingOperations:
		return Operator
	}
	return ""
}

func validID(field, id string) error {
	if strings.TrimSpace(id) == "" || len(id) > MaxIDLength {
		return &InputError{Field: field, Value: quoteShort(id), Reason: "required, at most 128 bytes"}
	}
	return nil
}
