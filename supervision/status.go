package supervision

import "unicode/utf8"

// Status is where a flow stands. Values are stable machine codes meant for
// storage; Template.Label gives the text the buyer and seller see, which
// differs between flows for the same status (see the reference's
// ambiguity 23).
type Status string

// The statuses of every template. A template uses a subset (License has no
// request statuses; only SaaS has the platform review).
const (
	// AwaitingRequest: "Waiting for the user to submit the request".
	AwaitingRequest Status = "awaiting_request"
	// AwaitingConfirmation: "Waiting for the seller to confirm the request".
	AwaitingConfirmation Status = "awaiting_confirmation"
	// AwaitingDelivery: "Waiting for the seller to deliver the service"
	// ("... to provide the service" in the License flow).
	AwaitingDelivery Status = "awaiting_delivery"
	// PlatformReview: "HUAWEI CLOUD Reviews Service", the platform checking a
	// SaaS delivery before the buyer sees it.
	PlatformReview Status = "platform_review"
	// AwaitingAcceptance: "Waiting for the user to confirm acceptance".
	AwaitingAcceptance Status = "awaiting_acceptance"
	// AwaitingOperations: "Waiting for the operations team to handle"; the
	// flow is frozen by an appeal.
	AwaitingOperations Status = "awaiting_operations"
	// Completed: "Service completed". Terminal.
	Completed Status = "completed"
	// Terminated: "Service terminated", an operator closing the flow without
	// completion after an appeal. Terminal. The seed has no label for it; the
	// text is ours.
	Terminated Status = "terminated"
)

// allStatuses lists every status in flow order.
var allStatuses = statusIndex[:]

// Statuses returns every status any template uses, in flow order.
func Statuses() []Status { return append([]Status(nil), allStatuses...) }

// Label returns the display text the Standard and SaaS flows use for s, or
// the raw code for an unknown status. Prefer Template.Label, which knows the
// License flow's wording.
func (s Status) Label() string {
	if l, ok := defaultLabels[s]; ok {
		return l
	}
	return string(s)
}

// Terminal reports whether no action can leave s.
func (s Status) Terminal() bool { return s == Completed || s == Terminated }

// ParseStatus returns the status whose code is s.
//
// Errors: *InputError (ErrInvalidInput) for an unknown code.
func ParseStatus(s string) (Status, error) { return parseCode("Status", "status", s, allStatuses) }

// parseCode returns the member of all spelled s, or an *InputError on field
// naming it an unknown what.
func parseCode[T ~string](field, what, s string, all []T) (T, error) {
	for _, v := range all {
		if string(v) == s {
			return v, nil
		}
	}
	return "", &InputError{Field: field, Value: quoteShort(s), Reason: "unknown " + what}
}

// defaultLabels are the seed's exact strings (chapter 4, SaaS status filter).
var defaultLabels = map[Status]string{
	AwaitingRequest:      "Waiting for the user to submit the request",
	AwaitingConfirmation: "Waiting for the seller to confirm the request",
	AwaitingDelivery:     "Waiting for the seller to deliver the service",
	PlatformReview:       "HUAWEI CLOUD Reviews Service",
	AwaitingAcceptance:   "Waiting for the user to confirm acceptance",
	AwaitingOperations:   "Waiting for the operations team to handle",
	Completed:            "Service completed",
	Terminated:           "Service terminated",
}

// quoteShort keeps error values readable when a caller passes a huge string,
// cutting at a character boundary.
func quoteShort(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}
