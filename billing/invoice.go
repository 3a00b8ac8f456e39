package billing

import (
	"encoding/json"
	"time"
)

// InvoiceState is where an invoice is in its life.
type InvoiceState string

// Invoice states. The zero state means no invoice was requested.
const (
	InvoiceNone      InvoiceState = ""
	InvoiceRequested InvoiceState = "requested" // the buyer applied for it
	InvoiceIssued    InvoiceState = "issued"    // issued: blocks unsubscription
	InvoiceReturned  InvoiceState = "returned"  // returned with a credit memo
)

// BlocksUnsubscription reports whether an invoice in state s prevents
// unsubscribing: an issued invoice must be returned first.
func (s InvoiceState) BlocksUnsubscription() bool { return s == InvoiceIssued }

// Invoice is the invoice of one paid order. Its methods return the next
// value and leave the receiver unchanged.
type Invoice struct {
	OrderID     string       `json:"order_id"`
	Amount      Money        `json:"amount"` // the amount invoiced: what was paid
	State       InvoiceState `json:"state,omitempty"`
	RequestedAt time.Time    `json:"requested_at,omitzero"`
	IssuedAt    time.Time    `json:"issued_at,omitzero"`
	ReturnedAt  time.Time    `json:"returned_at,omitzero"`
	// CreditMemo is the negative amount that cancels the invoice once it is
	// returned; zero before.
	CreditMemo Money `json:"credit_memo"`
}

// MarshalJSON encodes the invoice with snake_case names, leaving out the
// times not reached yet and the credit memo before it is returned.
//
// Errors: none of its own; only encoding/json's.
func (inv Invoice) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		OrderID     string       `json:"order_id"`
		Amount      Money        `json:"amount"`
		State       InvoiceState `json:"state,omitempty"`
		RequestedAt time.Time    `json:"requested_at,omitzero"`
		IssuedAt    time.Time    `json:"issued_at,omitzero"`
		ReturnedAt  time.Time    `json:"returned_at,omitzero"`
		CreditMemo  *Money       `json:"credit_memo,omitempty"`
	}{inv.OrderID, inv.Amount, inv.State, inv.RequestedAt, inv.IssuedAt, inv.ReturnedAt, optional(inv.CreditMemo)})
}

// InvoiceRequest asks for the invoice of a paid order.
type InvoiceRequest struct {
	OrderID string    `json:"order_id"`
	Paid    Money     `json:"paid"` // the amount paid; must be positive
	At      time.Time `json:"at"`
}

// Validate checks the request.
//
// Errors: *InputError (ErrInvalidInput), *CurrencyError (ErrUnknownCurrency).
func (r InvoiceRequest) Validate() error {
	if r.OrderID == "" {
		return &InputError{Field: "order_id", Value: r.OrderID, Reason: "must be set"}
	}
	if !r.Paid.Valid() {
		return &CurrencyError{Code: string(r.Paid.Currency)}
	}
	if !r.Paid.IsPositive() {
		return &InputError{Field: "paid", Value: r.Paid, Reason: "only paid orders are invoiced"}
	}
	if r.At.IsZero() {
		return &InputError{Field: "at", Value: r.At, Reason: "must be set"}
	}
	return nil
}

// RequestInvoice starts the invoice of a paid order, in state requested.
//
// Errors: as InvoiceRequest.Validate.
func RequestInvoice(r InvoiceRequest) (Invoice, error) {
	if err := r.Validate(); err != nil {
		return Invoice{}, err
	}
	return Invoice{OrderID: r.OrderID, Amount: r.Paid, State: InvoiceRequested, RequestedAt: r.At.UTC()}, nil
}

// Issue moves a requested invoice to issued at at.
//
// Errors: *TransitionError (ErrInvalidTransition) unless the invoice is
// requested; *InputError when at is zero or before the request.
func (inv Invoice) Issue(at time.Time) (Invoice, error) {
	if inv.State != InvoiceRequested {
		return inv, &TransitionError{From: inv.State, To: InvoiceIssued}
	}
	if at.IsZero() || at.Before(inv.RequestedAt) {
		return inv, &InputError{Field: "at", Value: at, Reason: "must be set and not before the request"}
	}
	inv.State, inv.IssuedAt = InvoiceIssued, at.UTC()
	return inv, nil
}

// Return moves an issued invoice to returned at at, with a credit memo of
// minus its amount. The order may then be unsubscribed, or invoiced again.
//
// Errors: *TransitionError (ErrInvalidTransition) unless the invoice is
// issued; *InputError when at is zero or before the issue.
func (inv Invoice) Return(at time.Time) (Invoice, error) {
	if inv.State != InvoiceIssued {
		return inv, &TransitionError{From: inv.State, To: InvoiceReturned}
	}
	if at.IsZero() || at.Before(inv.IssuedAt) {
		return inv, &InputError{Field: "at", Value: at, Reason: "must be set and not before the issue"}
	}
	inv.State, inv.ReturnedAt, inv.CreditMemo = InvoiceReturned, at.UTC(), inv.Amount.Neg()
	return inv, nil
}
