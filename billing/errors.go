package billing

import (
	"errors"
	"fmt"
)

// Sentinel errors returned (wrapped) by the billing rules. Callers test them
// with errors.Is; the typed errors below carry the offending values.
var (
	// ErrInvalidInput reports an input that breaks a documented constraint.
	ErrInvalidInput = errors.New("billing: invalid input")
	// ErrUnknownCurrency reports a currency code that is not ISO 4217 or not
	// configured.
	ErrUnknownCurrency = errors.New("billing: unknown currency")
	// ErrCurrencyMismatch reports arithmetic between two currencies.
	ErrCurrencyMismatch = errors.New("billing: currency mismatch")
)

// InputError is an invalid value of a named field. It wraps ErrInvalidInput.
type InputError struct {
	Field  string // the offending field, e.g. "quantity"
	Value  any    // the offending value
	Reason string // what the value must be
}

func (e *InputError) Error() string {
	return fmt.Sprintf("billing: invalid %s %v: %s", e.Field, e.Value, e.Reason)
}

// Unwrap returns ErrInvalidInput.
func (e *InputError) Unwrap() error { return ErrInvalidInput }

// CurrencyError reports an unknown currency code. It wraps ErrUnknownCurrency.
type CurrencyError struct {
	Code string
}

func (e *CurrencyError) Error() string {
	return fmt.Sprintf("billing: unknown currency %q", e.Code)
}

// Unwrap returns ErrUnknownCurrency.
func (e *CurrencyError) Unwrap() error { return ErrUnknownCurrency }

// MismatchError reports arithmetic across currencies. It wraps
// ErrCurrencyMismatch.
type MismatchError struct {
	Op          string
	Left, Right Currency
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("billing: %s: currency mismatch %s vs %s", e.Op, e.Left, e.Right)
}

// Unwrap returns ErrCurrencyMismatch.
func (e *MismatchError) Unwrap() error { return ErrCurrencyMismatch }

// More sentinels, one per kind of refusal the rules can return.
var (
	// ErrPriceMissing reports a specification with no price for the requested
	// billing mode.
	ErrPriceMissing = errors.New("billing: no price for billing mode")
	// ErrDowngrade reports a specification change to a cheaper configuration
	// in the middle of a term; downgrades happen at renewal.
	ErrDowngrade = errors.New("billing: change to a cheaper configuration")
	// ErrNotRenewable reports a resource that cannot be renewed.
	ErrNotRenewable = errors.New("billing: not renewable")
	// ErrNotRefundable reports a resource that cannot be unsubscribed or
	// refunded.
	ErrNotRefundable = errors.New("billing: not refundable")
	// ErrNotAllowed reports an operation the rules forbid in the current
	// state, such as changing the auto-renewal of a delisted product.
	ErrNotAllowed = errors.New("billing: not allowed")
	// ErrInvalidTransition reports an invoice state change that is not
	// allowed from the current state.
	ErrInvalidTransition = errors.New("billing: invalid state transition")
)

// PriceMissingError reports the billing mode a specification has no price
// for. It wraps ErrPriceMissing.
type PriceMissingError struct {
	Mode Mode
}

func (e *PriceMissingError) Error() string {
	return fmt.Sprintf("billing: no price for billing mode %q", e.Mode)
}

// Unwrap returns ErrPriceMissing.
func (e *PriceMissingError) Unwrap() error { return ErrPriceMissing }

// DowngradeError reports a change whose new per-period price is below the
// current one. It wraps ErrDowngrade.
type DowngradeError struct {
	From, To Money // per-period prices of the current and the target configuration
}

func (e *DowngradeError) Error() string {
	return fmt.Sprintf("billing: target configuration costs %s per period, less than the current %s; downgrade at renewal instead", e.To, e.From)
}

// Unwrap returns ErrDowngrade.
func (e *DowngradeError) Unwrap() error { return ErrDowngrade }

// Reason says why a rule refused: a stable, machine-readable code.
type Reason string

// Reasons a renewal, auto-renewal or unsubscription is refused.
const (
	ReasonPayPerUse         Reason = "pay_per_use"             // pay-per-use is neither renewed nor unsubscribed
	ReasonOneTime           Reason = "one_time"                // one-time (buyout) purchases do not expire or refund
	ReasonReleased          Reason = "released"                // the resource was deleted after retention
	ReasonUnsubscribed      Reason = "unsubscribed"            // already unsubscribed
	ReasonUnpaidChange      Reason = "unpaid_change_order"     // a specification-change order awaits payment
	ReasonDelisted          Reason = "delisted"                // the product is no longer sold
	ReasonDeliveryMethod    Reason = "delivery_method"         // the delivery method does not allow it
	ReasonNoSupervision     Reason = "no_supervision"          // SaaS without service supervision
	ReasonAccepted          Reason = "accepted"                // the buyer accepted: the guarantee period is over
	ReasonInvoiced          Reason = "invoiced"                // an issued invoice has not been returned
	ReasonTrial             Reason = "trial"                   // trials are not refunded
	ReasonFree              Reason = "free"                    // nothing was paid
	ReasonExpired           Reason = "expired"                 // past expiry (grace or retention)
	ReasonFrozen            Reason = "frozen"                  // frozen resource or account
	ReasonInProgress        Reason = "transaction_in_progress" // another order on the resource is open
	ReasonAutoRenewDisabled Reason = "auto_renew_not_offered"  // auto-renewal is not offered for this product
	ReasonDoNotRenew        Reason = "do_not_renew"            // the buyer chose not to renew after expiry
	ReasonLimitReached      Reason = "renewal_limit_reached"   // the auto-renewal count limit is used up
)

// NotRenewableError says why a resource cannot be renewed or auto-renewed.
// It wraps ErrNotRenewable.
type NotRenewableError struct {
	Reason Reason
}

func (e *NotRenewableError) Error() string {
	return fmt.Sprintf("billing: not renewable: %s", e.Reason)
}

// Unwrap returns ErrNotRenewable.
func (e *NotRenewableError) Unwrap() error { return ErrNotRenewable }

// NotRefundableError says why a resource cannot be unsubscribed. It wraps
// ErrNotRefundable.
type NotRefundableError struct {
	Reason Reason
}

func (e *NotRefundableError) Error() string {
	return fmt.Sprintf("billing: cannot unsubscribe: %s", e.Reason)
}

// Unwrap returns ErrNotRefundable.
func (e *NotRefundableError) Unwrap() error { return ErrNotRefundable }

// NotAllowedError reports an operation refused in the current state. It
// wraps ErrNotAllowed.
type NotAllowedError struct {
	Op     string
	Reason Reason
}

func (e *NotAllowedError) Error() string {
	return fmt.Sprintf("billing: %s not allowed: %s", e.Op, e.Reason)
}

// Unwrap returns ErrNotAllowed.
func (e *NotAllowedError) Unwrap() error { return ErrNotAllowed }

// TransitionError reports an invoice state change that the current state
// does not allow. It wraps ErrInvalidTransition.
type TransitionError struct {
	From, To InvoiceState
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("billing: invoice cannot go from %s to %s", e.From, e.To)
}

// Unwrap returns ErrInvalidTransition.
func (e *TransitionError) Unwrap() error { return ErrInvalidTransition }
