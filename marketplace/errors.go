package marketplace

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every exported function and method wraps one of these;
// callers (and the HTTP adapter's single error table) test them with
// errors.Is. The typed errors below carry the offending values.
var (
	// ErrNotFound: the thing does not exist, or is not the actor's to see.
	// "Not yours" deliberately answers exactly like "does not exist".
	ErrNotFound = errors.New("marketplace: not found")
	// ErrConflict: a stale write (optimistic version mismatch), a version
	// the caller named that the aggregate is not at, a duplicate create, or
	// an action the aggregate's current state does not allow.
	ErrConflict = errors.New("marketplace: conflict")
	// ErrNotAllowed: the actor may see the thing but its role may not take
	// this action (a buyer reviewing a product, a seller resolving an appeal).
	ErrNotAllowed = errors.New("marketplace: not allowed")
	// ErrInvalidInput: an input breaks a documented constraint. Nothing was
	// written.
	ErrInvalidInput = errors.New("marketplace: invalid input")
	// ErrPaymentFailed: the payment port declined a charge or refund
	// (insufficient balance, card declined, ...).
	ErrPaymentFailed = errors.New("marketplace: payment failed")
	// ErrIdempotencyMismatch: an idempotency key was reused with a different
	// request.
	ErrIdempotencyMismatch = errors.New("marketplace: idempotency key reused with a different request")
	// ErrUnavailable: an external dependency (a seller's SaaS endpoint, the
	// VM deployer) failed in a way worth retrying later.
	ErrUnavailable = errors.New("marketplace: dependency unavailable")
)

// NotFoundError names what was not found. It wraps ErrNotFound.
type NotFoundError struct {
	Kind Kind   // the aggregate kind, e.g. KindOrder
	ID   string // the id asked for
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("marketplace: %s %q not found", e.Kind, e.ID)
}

// Unwrap returns ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// ConflictError is a failed optimistic write: the stored version is not the
// one the writer read (Want), or the aggregate already exists (Want 0). It
// is a race the writer lost, not a mistake of its caller: the Service runs
// such a transaction again (it re-reads and re-decides). It wraps
// ErrConflict. A caller's own stale version is a PreconditionError.
type ConflictError struct {
	Kind Kind
	ID   string
	Want int64 // the version the writer read (0: expected not to exist)
	Have int64 // the version stored now (0: does not exist)
}

func (e *ConflictError) Error() string {
	if e.Want == 0 {
		return fmt.Sprintf("marketplace: %s %q already exists", e.Kind, e.ID)
	}
	return fmt.Sprintf("marketplace: %s %q changed: wrote from version %d, stored version is %d", e.Kind, e.ID, e.Want, e.Have)
}

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }

// PreconditionError is a version the caller named (a Version field of an
// input, UpdateProduct's version argument; an HTTP If-Match) that the
// aggregate is not at: the caller read it before another change landed,
// or never read it at that version. Unlike a ConflictError it is not
// retried: the same request would fail again, and only the caller can
// decide whether to read again and redo its change. It wraps ErrConflict.
type PreconditionError struct {
	Kind Kind
	ID   string
	Want int64 // the version the caller named
	Have int64 // the version stored now (0: does not exist)
}

func (e *PreconditionError) Error() string {
	if e.Have == 0 {
		return fmt.Sprintf("marketplace: %s %q does not exist: no version %d to match", e.Kind, e.ID, e.Want)
	}
	return fmt.Sprintf("marketplace: %s %q is at version %d, not version %d as read", e.Kind, e.ID, e.Have, e.Want)
}

// Unwrap returns ErrConflict.
func (e *PreconditionError) Unwrap() error { return ErrConflict }

// StateError is an action the aggregate's current state does not allow
// (paying a cancelled order, renewing a released resource). It wraps
// ErrConflict.
type StateError struct {
	Kind   Kind
	ID     string
	State  string // the current status
	Action string // what was attempted
	Reason string // optional detail
}

func (e *StateError) Error() string {
	s := fmt.Sprintf("marketplace: cannot %s %s %q in state %q", e.Action, e.Kind, e.ID, e.State)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap returns ErrConflict.
func (e *StateError) Unwrap() error { return ErrConflict }

// NotAllowedError is an action the actor's role may not take. It wraps
// ErrNotAllowed.
type NotAllowedError struct {
	Actor  Actor
	Action string
	Reason string
}

func (e *NotAllowedError) Error() string {
	s := fmt.Sprintf("marketplace: %s may not %s", e.Actor.Role, e.Action)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Unwrap returns ErrNotAllowed.
func (e *NotAllowedError) Unwrap() error { return ErrNotAllowed }

// InputError is an invalid value of a named field. It wraps ErrInvalidInput.
type InputError struct {
	Field  string // the offending field, as named in the input struct's JSON
	Value  any    // the offending value
	Reason string // what the value must be
}

func (e *InputError) Error() string {
	return fmt.Sprintf("marketplace: invalid %s %v: %s", e.Field, e.Value, e.Reason)
}

// Unwrap returns ErrInvalidInput.
func (e *InputError) Unwrap() error { return ErrInvalidInput }

// PaymentError is a declined charge or refund. It wraps ErrPaymentFailed.
type PaymentError struct {
	Account string // the paying account
	Amount  string // the amount asked for, e.g. "5.00 USD"
	Reason  string
}

func (e *PaymentError) Error() string {
	return fmt.Sprintf("marketplace: payment of %s by %q failed: %s", e.Amount, e.Account, e.Reason)
}

// Unwrap returns ErrPaymentFailed.
func (e *PaymentError) Unwrap() error { return ErrPaymentFailed }

// buyerPaymentReason is what a buyer is told of a failed payment: a
// decline's reason (PaymentError, which a port writes for the payer), a
// decline without one, the payment service unavailable, or that it could
// not be completed. Any other text stays in the log and the operators'
// events: a host port's may name the gateway's address.
func buyerPaymentReason(err error) string {
	var pe *PaymentError
	switch {
	case errors.As(err, &pe):
		return "the payment was declined: " + pe.Reason
	case errors.Is(err, ErrPaymentFailed):
		return "the payment was declined"
	case errors.Is(err, ErrUnavailable):
		return "the payment service is unavailable"
	}
	return "the payment could not be completed"
}

// IdempotencyError is a key reused for a different request. It wraps
// ErrIdempotencyMismatch.
type IdempotencyError struct {
	Key string
}

func (e *IdempotencyError) Error() string {
	return fmt.Sprintf("marketplace: idempotency key %q was used for a different request", e.Key)
}

// Unwrap returns ErrIdempotencyMismatch.
func (e *IdempotencyError) Unwrap() error { return ErrIdempotencyMismatch }

// inputErr is shorthand for the many validation failures.
func inputErr(field string, value any, reason string) error {
	return &InputError{Field: field, Value: value, Reason: reason}
}
