package supervision

import (
	"slices"
	"sync"

	"github.com/looplab/fsm"
)

// Kind names a flow template. Values are stable codes meant for storage.
type Kind string

// The templates, matching the service-flow tabs of My KooGallery.
const (
	// License: no request; the seller delivers a license offline.
	License Kind = "license"
	// Standard: professional services (request, confirmation, delivery,
	// acceptance).
	Standard Kind = "standard"
	// WebsiteDeployment: the Standard shape under its own tab.
	WebsiteDeployment Kind = "website_deployment"
	// SaaS: the Standard shape with a mandatory request attachment and an
	// optional platform review of the delivery.
	SaaS Kind = "saas"
)

// Review says when a transition applies with respect to a flow's platform
// review switch (Flow.PlatformReview).
type Review int

// The review conditions.
const (
	ReviewAny Review = iota // applies whether or not the flow is reviewed
	ReviewOn                // applies only to flows with platform review
	ReviewOff               // applies only to flows without platform review
)

// Transition is one row of a template's table: Role may take Action in
// status From, and the flow moves to To. Rows with From == To (reminders)
// leave the status unchanged.
type Transition struct {
	From   Status
	Action Action
	Role   Role
	To     Status
	Review Review
}

// Template is one kind of flow: its statuses, their labels, and the
// transition table that drives the state machine, Available and the
// generated diagram. Templates are immutable and safe for concurrent use.
type Template struct {
	kind               Kind
	name               string
	initial            Status
	statuses           []Status
	labels             map[Status]string
	attachmentRequired bool
	reviewSupported    bool
	table              []Transition

	// events maps what a command asks for (role, action, review switch) to
	// the fsm event name; rows that differ only in From share one event.
	// resume does the same for Resume, by target status. Dense arrays keep
	// the lookup off the hash path that Apply pays on every action.
	events   [len(roleIndex)][len(actionIndex)][2]string
	resume   [len(statusIndex)][2]string
	fsmDescs fsm.Events
	// byStatus indexes table rows by their From status, in table order.
	byStatus map[Status][]int
	has      [len(statusIndex)]bool
	pool     sync.Pool
}

// Kind returns the template's code.
func (t *Template) Kind() Kind { return t.kind }

// Name returns the tab name shown in My KooGallery, e.g. "Website deployment".
func (t *Template) Name() string { return t.name }

// Initial returns the status a new flow starts in (on payment).
func (t *Template) Initial() Status { return t.initial }

// Statuses returns the statuses this template uses, in flow order.
func (t *Template) Statuses() []Status { return slices.Clone(t.statuses) }

// Has reports whether the template uses status s.
func (t *Template) Has(s Status) bool {
	i := statusIdx(s)
	return i >= 0 && t.has[i]
}

// Label returns the seed's display text for s in this flow, or the raw code
// for a status the template does not use.
func (t *Template) Label(s Status) string {
	if l, ok := t.labels[s]; ok {
		return l
	}
	return string(s)
}

// AttachmentRequired reports whether the buyer's request must carry at least
// one attachment (SaaS).
func (t *Template) AttachmentRequired() bool { return t.attachmentRequired }

// ReviewSupported reports whether flows of this template may have the
// platform review switched on (SaaS).
func (t *Template) ReviewSupported() bool { return t.reviewSupported }

// Transitions returns a copy of the template's transition table.
func (t *Template) Transitions() []Transition { return slices.Clone(t.table) }

// Lookup returns the template of kind k.
//
// Errors: *InputError (ErrInvalidInput) for an unknown kind.
func Lookup(k Kind) (*Template, error) {
	switch k {
	case License:
		return templates[0], nil
	case Standard:
		return templates[1], nil
	case WebsiteDeployment:
		return templates[2], nil
	case SaaS:
		return templates[3], nil
	}
	return nil, &InputError{Field: "template", Value: quoteShort(string(k)), Reason: "unknown template kind"}
}

// Templates returns every template: License, Standard, WebsiteDeployment,
// SaaS.
func Templates() []*Template { return slices.Clone(templates) }

// ParseKind returns the template kind whose code is s.
//
// Errors: *InputError (ErrInvalidInput) for an unknown code.
func ParseKind(s string) (Kind, error) {
	t, err := Lookup(Kind(s))
	if err != nil {
		return "", err
	}
	return t.kind, nil
}

// activeStatuses are those in which a buyer or seller can still act; an
// appeal may start from any of them and an operator may resume to any.
func (t *Template) activeStatuses() []Status {
	var out []Status
	for _, s := range t.statuses {
		if s != AwaitingOperations && !s.Terminal() {
			out = append(out, s)
		}
	}
	return out
}

// requestRows are the rows shared by Standard, WebsiteDeployment and SaaS.
func requestRows(review bool) []Transition {
	rows := []Transition{
		{From: AwaitingRequest, Action: SubmitRequest, Role: Buyer, To: AwaitingConfirmation},
		{From: AwaitingConfirmation, Action: ConfirmRequest, Role: Seller, To: AwaitingDelivery},
		{From: AwaitingConfirmation, Action: RejectRequest, Role: Seller, To: AwaitingRequest},
		{From: AwaitingConfirmation, Action: Remind, Role: Buyer, To: AwaitingConfirmation},
	}
	if review {
		rows = append(rows,
			Transition{From: AwaitingDelivery, Action: Deliver, Role: Seller, To: PlatformReview, Review: ReviewOn},
			Transition{From: AwaitingDelivery, Action: Deliver, Role: Seller, To: AwaitingAcceptance, Review: ReviewOff},
			Transition{From: PlatformReview, Action: ApproveDelivery, Role: Operator, To: AwaitingAcceptance},
			Transition{From: PlatformReview, Action: ReturnDelivery, Role: Operator, To: AwaitingDelivery},
		)
	} else {
		rows = append(rows, Transition{From: AwaitingDelivery, Action: Deliver, Role: Seller, To: AwaitingAcceptance})
	}
	return append(rows, Transition{From: AwaitingDelivery, Action: Remind, Role: Buyer, To: AwaitingDelivery})
}

// closingRows are acceptance, appeals and their resolution, common to every
// template.
func closingRows(active []Status, review bool) []Transition {
	rows := []Transition{
		{From: AwaitingAcceptance, Action: Accept, Role: Buyer, To: Completed},
		{From: AwaitingAcceptance, Action: RejectDelivery, Role: Buyer, To: AwaitingDelivery},
		{From: AwaitingAcceptance, Action: AutoAccept, Role: System, To: Completed},
	}
	for _, r := range []Role{Buyer, Seller} {
		for _, s := range active {
			rows = append(rows, Transition{From: s, Action: Appeal, Role: r, To: AwaitingOperations})
		}
	}
	for _, s := range active {
		rv := ReviewAny
		if review && s == PlatformReview {
			rv = ReviewOn
		}
		rows = append(rows, Transition{From: AwaitingOperations, Action: Resume, Role: Operator, To: s, Review: rv})
	}
	return append(rows,
		Transition{From: AwaitingOperations, Action: Complete, Role: Operator, To: Completed},
		Transition{From: AwaitingOperations, Action: Terminate, Role: Operator, To: Terminated},
	)
}

func newTemplate(k Kind, name string, withRequest, review, attachment bool) *Template {
	t := &Template{kind: k, name: name, attachmentRequired: attachment, reviewSupported: review}
	labels := make(map[Status]string, len(defaultLabels))
	for s, l := range defaultLabels {
		labels[s] = l
	}
	var rows []Transition
	if withRequest {
		t.initial = AwaitingRequest
		t.statuses = []Status{AwaitingRequest, AwaitingConfirmation, AwaitingDelivery}
		if review {
			t.statuses = append(t.statuses, PlatformReview)
		}
		rows = requestRows(review)
	} else {
		t.initial = AwaitingDelivery
		t.statuses = []Status{AwaitingDelivery}
		// The License flow's own wording (seed 4.1).
		labels[AwaitingDelivery] = "Waiting for the seller to provide the service"
		rows = []Transition{
			{From: AwaitingDelivery, Action: Deliver, Role: Seller, To: AwaitingAcceptance},
			{From: AwaitingDelivery, Action: Remind, Role: Buyer, To: AwaitingDelivery},
		}
	}
	t.statuses = append(t.statuses, AwaitingAcceptance, AwaitingOperations, Completed, Terminated)
	t.labels = make(map[Status]string, len(t.statuses))
	for _, s := range t.statuses {
		t.labels[s] = labels[s]
	}
	t.table = append(rows, closingRows(t.activeStatuses(), review)...)
	t.compile()
	return t
}

var templates = []*Template{
	newTemplate(License, "License", false, false, false),
	newTemplate(Standard, "Standard", true, false, false),
	newTemplate(WebsiteDeployment, "Website deployment", true, false, false),
	newTemplate(SaaS, "SaaS", true, true, true),
}
