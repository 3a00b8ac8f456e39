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
