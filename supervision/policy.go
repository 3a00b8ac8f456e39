package supervision

import (
	"fmt"
	"time"
)

// Policy holds the supervision rules that the sources leave open or that a
// host may tune. The zero value is not valid; start from DefaultPolicy.
type Policy struct {
	// AppealThreshold is the number of rejections (the seller's of the
	// request, or the buyer's of the delivery) after which an appeal opens.
	// Default 3 (reference ambiguity 1).
	AppealThreshold int
	// AppealIdle is how long the other party must have left the flow waiting
	// before an appeal opens; the appeal is available strictly after it.
	// Default 5 days.
	AppealIdle time.Duration
	// SellerAppealAnyTime lets the seller appeal in any active status
	// regardless of idle time or rejections (the 2025 seller rule, reference
	// ambiguity 3). Default on.
	SellerAppealAnyTime bool
	// AppealCutoff, when positive, forbids appeals within this long before
	// the flow's ExpectedCompletion (the seed's "within 15 days before the
	// service flow is completed"). Flows without an ExpectedCompletion are
	// not affected: no completion date is invented (reference ambiguity 2).
	// Default 0 (off); the seed's value is 15 days.
	AppealCutoff time.Duration
	// AutoAcceptAfter, when positive, lets the system accept on the buyer's
	// behalf once a delivery has waited this long for acceptance. Default 0
	// (off; reference ambiguity 22).
	AutoAcceptAfter time.Duration
	// ReminderInterval is the least time between two buyer reminders.
	// Default 24 hours.
	ReminderInterval time.Duration
	// OrderCompletionDelay is how long after acceptance the order becomes
	// Completed. Default 3 hours.
	OrderCompletionDelay time.Duration
}

// DefaultPolicy returns the recommended readings of the sources: threshold
// 3, idle 5 days, seller may appeal any time, no 15-day guard, no automatic
// acceptance, reminders once per 24 hours, order completion 3 hours after
// acceptance.
func DefaultPolicy() Policy {
	return Policy{
		AppealThreshold:      3,
		AppealIdle:           5 * 24 * time.Hour,
		SellerAppealAnyTime:  true,
		AppealCutoff:         0,
		AutoAcceptAfter:      0,
		ReminderInterval:     24 * time.Hour,
		OrderCompletionDelay: 3 * time.Hour,
	}
}

// Validate checks that the numbers make sense.
//
// Errors: *InputError (ErrInvalidInput) naming the offending field.
func (p Policy) Validate() error {
	switch {
	case p.AppealThreshold < 1:
		return &InputError{Field: "Policy.AppealThreshold", Value: p.AppealThreshold, Reason: "must be at least 1"}
	case p.AppealIdle <= 0:
		return &InputError{Field: "Policy.AppealIdle", Value: p.AppealIdle, Reason: "must be positive"}
	case p.AppealCutoff < 0:
		return &InputError{Field: "Policy.AppealCutoff", Value: p.AppealCutoff, Reason: "must not be negative (0 is off)"}
	case p.AutoAcceptAfter < 0:
		return &InputError{Field: "Policy.AutoAcceptAfter", Value: p.AutoAcceptAfter, Reason: "must not be negative (0 is off)"}
	case p.ReminderInterval < 0:
		return &InputError{Field: "Policy.ReminderInterval", Value: p.ReminderInterval, Reason: "must not be negative"}
	case p.OrderCompletionDelay < 0:
		return &InputError{Field: "Policy.OrderCompletionDelay", Value: p.OrderCompletionDelay, Reason: "must not be negative"}
	}
	return nil
}

// String summarises the policy for logs.
func (p Policy) String() string {
	return fmt.Sprintf("threshold=%d idle=%s sellerAnyTime=%t cutoff=%s autoAccept=%s reminder=%s completion=%s",
		p.AppealThreshold, p.AppealIdle, p.SellerAppealAnyTime, p.AppealCutoff, p.AutoAcceptAfter,
		p.ReminderInterval, p.OrderCompletionDelay)
}
