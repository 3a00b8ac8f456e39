package supervision

// Role is the kind of party acting on a flow. Which buyer or seller owns a
// flow is the marketplace's business; this package only checks roles.
type Role string

// The roles.
const (
	Buyer    Role = "buyer"    // the customer who bought the product
	Seller   Role = "seller"   // the product's seller (ISV)
	Operator Role = "operator" // the platform's operations team
	System   Role = "system"   // the marketplace itself, acting on timers
)

var allRoles = roleIndex[:]

// Roles returns every role.
func Roles() []Role { return append([]Role(nil), allRoles...) }

// ParseRole returns the role whose code is s.
//
// Errors: *InputError (ErrInvalidInput) for an unknown code.
func ParseRole(s string) (Role, error) { return parseCode("Role", "role", s, allRoles) }

// Action is something a party does to a flow. Which role may take it in
// which status is each template's transition table.
type Action string

// The actions.
const (
	// SubmitRequest: the buyer submits the requirement description and
	// attachments (Standard and SaaS).
	SubmitRequest Action = "submit_request"
	// ConfirmRequest: the seller accepts the buyer's request.
	ConfirmRequest Action = "confirm_request"
	// RejectRequest: the seller returns the request to the buyer for
	// modification; needs a reason; counts toward the appeal threshold.
	RejectRequest Action = "reject_request"
	// Deliver: the seller delivers (result text, deliverables or proof, and
	// optionally the actual service enabling time).
	Deliver Action = "deliver"
	// ApproveDelivery: an operator passes a delivery under platform review
	// on to the buyer (SaaS with review).
	ApproveDelivery Action = "approve_delivery"
	// ReturnDelivery: an operator returns a delivery under platform review
	// to the seller; needs a reason.
	ReturnDelivery Action = "return_delivery"
	// Accept: the buyer accepts the delivery, completing the flow.
	Accept Action = "accept"
	// RejectDelivery: the buyer rejects the delivery back to the seller;
	// needs a reason; counts toward the appeal threshold.
	RejectDelivery Action = "reject_delivery"
	// Remind: the buyer reminds the seller while the flow waits on the
	// seller, at most once per Policy.ReminderInterval. The status does not
	// change.
	Remind Action = "remind"
	// Appeal: the buyer or seller asks the operations team to step in; needs
	// a reason; freezes the flow.
	Appeal Action = "appeal"
	// Resume: an operator resolves an appeal by resuming the flow at the
	// status given in Command.ResumeStatus.
	Resume Action = "resume"
	// Complete: an operator resolves an appeal by completing the flow, as if
	// the buyer had accepted.
	Complete Action = "complete"
	// Terminate: an operator resolves an appeal by ending the flow without
	// completion; Command.Refund tells the marketplace whether to refund.
	Terminate Action = "terminate"
	// AutoAccept: the system accepts on the buyer's behalf after the buyer's
	// silence lasts Policy.AutoAcceptAfter (off by default).
	AutoAccept Action = "auto_accept"
)

var allActions = actionIndex[:]

// Actions returns every action in flow order.
func Actions() []Action { return append([]Action(nil), allActions...) }

// ParseAction returns the action whose code is s.
//
// Errors: *InputError (ErrInvalidInput) for an unknown code.
func ParseAction(s string) (Action, error) { return parseCode("Action", "action", s, allActions) }

func validAction(a Action) bool { return actionIdx(a) >= 0 }

func validRole(r Role) bool { return roleIdx(r) >= 0 }

// actionLabels are the button texts of the seed and the seller guide where
// they name one; the others are ours.
var actionLabels = map[Action]string{
	SubmitRequest:   "Submit request",
	ConfirmRequest:  "Accept request",
	RejectRequest:   "Reject request",
	Deliver:         "Deliver service",
	ApproveDelivery: "Approve delivery",
	ReturnDelivery:  "Return delivery",
	Accept:          "Accept service",
	RejectDelivery:  "Reject service",
	Remind:          "Send reminder",
	Appeal:          "Appeal",
	Resume:          "Resume flow",
	Complete:        "Complete flow",
	Terminate:       "Terminate flow",
	AutoAccept:      "Accept automatically",
}

// Label returns the button text for a, or the raw code for an unknown
// action.
func (a Action) Label() string {
	if l, ok := actionLabels[a]; ok {
		return l
	}
	return string(a)
}
