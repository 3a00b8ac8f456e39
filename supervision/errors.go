package supervision

import (
	"errors"
	"fmt"
)

// Sentinel errors returned (wrapped) by this package. Callers test them with
// errors.Is; the typed errors below carry the offending values.
var (
	// ErrInvalidInput reports an input that breaks a documented constraint
	// (text length, attachment type or size, missing reason, unknown status).
	ErrInvalidInput = errors.New("supervision: invalid input")
	// ErrNotAllowed reports an action the actor's role may not take on the
	// flow in its current status, or whose conditions are not met. The flow
	// is left unchanged.
	ErrNotAllowed = errors.New("supervision: action not allowed")
	// ErrFrozen reports a buyer, seller or system action on a flow frozen by
	// an appeal; only an operator acts until the appeal is handled. It is
	// always wrapped together with ErrNotAllowed.
	ErrFrozen = errors.New("supervision: flow frozen by an appeal")
	// ErrTooEarly reports an action the status and role permit but whose
	// time or count condition is not met yet: an appeal before the idle time
	// or rejection threshold, a second reminder within the interval, an
	// automatic acceptance before the buyer's silence has lasted long
	// enough. It is always wrapped together with ErrNotAllowed.
	ErrTooEarly = errors.New("supervision: conditions not met yet")
)

// InputError is an invalid value of a named field. It wraps ErrInvalidInput.
type InputError struct {
	Field  string // the offending field, e.g. "Description"
	Value  any    // the offending value (lengths rather than long texts)
	Reason string // what the value must be
}

func (e *InputError) Error() string {
	return fmt.Sprintf("supervision: invalid %s %v: %s", e.Field, e.Value, e.Reason)
}

// Unwrap returns ErrInvalidInput.
func (e *InputError) Unwrap() error { return ErrInvalidInput }

// NotAllowedError is an action refused on a flow. It wraps ErrNotAllowed,
// and also ErrFrozen or ErrTooEarly when that is why.
type NotAllowedError struct {
	Action Action // the refused action
	Status Status // the flow's status when it was refused
	Role   Role   // the actor's role
	Reason string // why, for people; use errors.Is for decisions
	cause  error  // ErrFrozen, ErrTooEarly or nil
}

func (e *NotAllowedError) Error() string {
	return fmt.Sprintf("supervision: %s may not %s in status %s: %s", e.Role, e.Action, e.Status, e.Reason)
}

// Unwrap returns ErrNotAllowed and, when it applies, ErrFrozen or
// ErrTooEarly.
func (e *NotAllowedError) Unwrap() []error {
	if e.cause == nil {
		return []error{ErrNotAllowed}
	}
	return []error{ErrNotAllowed, e.cause}
}

func notAllowed(a Action, s Status, r Role, cause error, reason string) error {
	return &NotAllowedError{Action: a, Status: s, Role: r, Reason: reason, cause: cause}
}
