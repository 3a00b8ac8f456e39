package billing

import (
	"time"

	"github.com/shopspring/decimal"
)

// PeriodsRefund computes the refund of a resource whose term was renewed
// before it ended, unsubscribed at the orders' common At: orders are its
// paid orders, oldest first (the term in use and the renewal periods queued
// after it, each with what was paid for it). Each order is refunded on its
// own, as the unsubscription rules' table says:
//
//   - an order whose period has ended (At after its expiry) was used up and
//     gives nothing back;
//   - the order in use is refunded by the formula (InUseRefund: paid −
//     consumed − handling fee);
//   - a renewal period not yet started is refunded in full, without a
//     consumed amount or a fee.
//
// The refunds add up. Which order is in use follows from At alone: when one
// period ends the next is in use, with no transition to record. With one
// order left to refund the result is that order's refund (no Parts, no
// Label), exactly as InUseRefund gives it; with several, Parts holds each
// order's refund (labelled with its Label) and the result sums them: Paid,
// Consumed, Fee and Total are the sums (Total of the parts' rounded totals,
// so the lines add up exactly), Kind is InUse when an order is in use and
// FullRefund otherwise, UsedHours, OrderHours and FeeRate are the order in
// use's, and NeedsReview compares the sum with the review threshold.
//
// A monthly image paid 90.37, renewed for a month on its 5th day (another
// 90.37) and unsubscribed then: 66.87 for the term in use by the formula
// plus 90.37 for the renewal, 157.24.
//
// Errors: *InputError (ErrInvalidInput) for no orders, an order's bad input
// (as InUseRefund) or orders unsubscribed at different times;
// *MismatchError (ErrCurrencyMismatch) for orders paid in different
// currencies; *NotRefundableError (ErrNotRefundable, ReasonExpired) when
// every order's period has ended.
func PeriodsRefund(cfg Config, orders []RefundInput) (Refund, error) {
	if len(orders) == 0 {
		return Refund{}, &InputError{Field: "orders", Value: 0, Reason: "name at least one paid order"}
	}
	at := orders[0].At
	parts := make([]Refund, 0, len(orders))
	for i := range orders {
		in := &orders[i]
		if err := in.validate(); err != nil {
			return Refund{}, err
		}
		if !in.At.Equal(at) {
			return Refund{}, &InputError{Field: "at", Value: in.At, Reason: "every order is unsubscribed at the same time, " + at.Format(time.RFC3339)}
		}
		if in.Paid.Currency != orders[0].Paid.Currency {
			return Refund{}, &MismatchError{Op: "refund", Left: orders[0].Paid.Currency, Right: in.Paid.Currency}
		}
		if in.At.After(in.Expiry) {
			continue // used up
		}
		r, err := InUseRefund(cfg, *in)
		if err != nil {
			return Refund{}, err
		}
		r.Label = in.Label
		parts = append(parts, r)
	}
	switch len(parts) {
	case 0:
		return Refund{}, &NotRefundableError{Reason: ReasonExpired}
	case 1:
		parts[0].Label = ""
		return parts[0], nil
	}
	cur := orders[0].Paid.Currency
	sum := Refund{Kind: FullRefund, Paid: Zero(cur), Consumed: Zero(cur), FeeRate: decimal.Zero, Fee: Zero(cur), Total: Zero(cur), Parts: parts}
	for _, p := range parts {
		if p.Kind == InUse {
			sum.Kind, sum.UsedHours, sum.OrderHours, sum.FeeRate = InUse, p.UsedHours, p.OrderHours, p.FeeRate
		}
		sum.Paid.Amount = sum.Paid.Amount.Add(p.Paid.Amount)
		sum.Consumed.Amount = sum.Consumed.Amount.Add(p.Consumed.Amount)
		sum.Fee.Amount = sum.Fee.Amount.Add(p.Fee.Amount)
		sum.Total.Amount = sum.Total.Amount.Add(p.Total.Amount)
	}
	sum.NeedsReview = cfg.needsReview(sum.Total)
	return sum, nil
}
