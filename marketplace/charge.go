package marketplace

import (
	"context"
	"errors"
	"time"
)

// A payment port outside the store (a host's gateway) is called outside
// any transaction, so the charge and the payment's commit can part: the
// window may close, the buyer cancel, the rules refuse a renewal, or the
// store fail between the two. The charge is therefore recorded on the
// order (Order.PendingCharge) before the port is called, and then:
//
//   - the payment's commit applies it (and clears it);
//   - a refusal after the charge (the order no longer awaits payment, the
//     rules refuse the renewal or upgrade) cancels the order and refunds
//     the charge at once, under the key "refund:<order>";
//   - a declined charge forgets it (no money moved);
//   - any other failure (the store, a lost answer from the port) leaves it:
//     paying again applies it (the port returns the first receipt), and
//     cancelling the unpaid order, by the buyer or by the runner when the
//     window closes, refunds it.
//
// A refund of a charge whose outcome is unknown first repeats the charge
// under its key: the port's idempotency returns the first result without
// moving money again if it went through, declines or charges now if it did
// not; only what was taken is refunded.

// chargeOutside charges the pending order o through the payment port,
// outside any transaction, after recording the pending charge on the
// order. paid reports an order found already paid (nothing charged).
//
// Errors: *StateError when the order no longer awaits payment or its
// window has closed (nothing charged); the port's errors (a declined
// charge, *PaymentError, is forgotten; any other leaves the pending charge
// for a later payment or refund); store errors (nothing charged).
func (s *Service) chargeOutside(ctx context.Context, o Order) (receipt Receipt, paid bool, err error) {
	key := orderChargeKey(o.ID)
	attempt := 0
	err = s.update(ctx, func(tx Tx) error {
		cur, err := tx.Order(o.ID)
		if err != nil {
			return err
		}
		paid = cur.PaidAt != nil
		switch now := s.now(); {
		case paid:
			return nil
		case cur.Status != OrderPendingPayment:
			return &StateError{Kind: KindOrder, ID: cur.ID, State: string(cur.Status), Action: "pay"}
		case now.After(cur.PayBy):
			return &StateError{Kind: KindOrder, ID: cur.ID, State: string(cur.Status), Action: "pay", Reason: "the payment window has closed"}
		default:
			pc := cur.PendingCharge
			if pc == nil {
				pc = &PendingCharge{Key: key, Amount: cur.Amount}
			}
			pc.Attempts++
			pc.StartedAt = now
			attempt = pc.Attempts
			cur.PendingCharge, cur.UpdatedAt = pc, now
			return tx.PutOrder(&cur)
		}
	})
	if err != nil || paid {
		return Receipt{}, paid, err
	}
	receipt, err = s.payments.Charge(ctx, ChargeRequest{IdempotencyKey: key, AccountID: o.BuyerID, OrderID: o.ID, Amount: o.Amount})
	if errors.Is(err, ErrPaymentFailed) {
		// Declined: no money moved. Forget the charge unless another
		// attempt started since (its outcome is its own); if this fails,
		// the refund's repeated charge finds the same.
		if e := s.forgetCharge(ctx, o.ID, attempt, false); e != nil {
			s.log.Info("marketplace: forget a declined charge", "order", o.ID, "err", e)
		}
	}
	return receipt, false, err
}

// forgetCharge drops the pending charge of an order the port declined:
// that of attempt on an order still awaiting payment or, with cancelled,
// whatever attempt on a cancelled order whose refund of it is pending
// (then nothing is refunded, which the order.charge_declined event
// records).
func (s *Service) forgetCharge(ctx context.Context, orderID string, attempt int, cancelled bool) error {
	err := s.update(ctx, func(tx Tx) error {
		cur, err := tx.Order(orderID)
		if err != nil {
			return err
		}
		pc := cur.PendingCharge
		switch {
		case pc == nil || pc.Reference != "" || cur.PaidAt != nil:
			return errSkip
		case !cancelled && (cur.Status != OrderPendingPayment || pc.Attempts != attempt):
			return errSkip
		case cancelled && (cur.Status != OrderCancelled || cur.RefundAmount == nil || cur.RefundedAt != nil):
			return errSkip
		}
		now := s.now()
		cur.PendingCharge, cur.UpdatedAt = nil, now
		if !cancelled {
			return tx.PutOrder(&cur) // as before the attempt
		}
		cur.RefundAmount, cur.NextDueAt = nil, nil // nothing was taken, nothing to refund
		if err := tx.PutOrder(&cur); err != nil {
			return err
		}
		return emit(tx, now, SystemActor(), KindOrder, cur.ID, "order.charge_declined", string(cur.Status), string(cur.Status),
			map[string]string{"key": pc.Key, "amount": pc.Amount.String()})
	})
	if errors.Is(err, errSkip) {
		return nil
	}
	return err
}

// chargeNotApplied handles the failure (cause) of the transaction that
// was to apply a charge the port has made for an order. It returns cause.
func (s *Service) chargeNotApplied(ctx context.Context, orderID string, receipt Receipt, cause error) error {
	if !chargeRefused(cause) {
		// A fault that may pass: the pending charge stays recorded for a
		// payment again, or for the refund when the order is cancelled.
		return cause
	}
	err := s.update(ctx, func(tx Tx) error {
		cur, err := tx.Order(orderID)
		if err != nil {
			return err
		}
		if cur.PaidAt != nil || cur.RefundedAt != nil {
			return errSkip // paid after all, or already refunded
		}
		now := s.now()
		if cur.PendingCharge == nil {
			cur.PendingCharge = &PendingCharge{Key: orderChargeKey(cur.ID), Amount: cur.Amount, Attempts: 1, StartedAt: now}
		}
		cur.PendingCharge.Reference = receipt.Reference
		if cur.Status == OrderPendingPayment {
			// Paid in vain: the key is spent (paying again would return
			// the refunded charge's receipt), so the order ends here.
			_, err = s.cancelUnpaid(tx, SystemActor(), cur, "the payment could not be applied: "+cause.Error())
			return err
		}
		refundPendingCharge(&cur, now) // unless cancelled with its refund already
		cur.UpdatedAt = now
		return tx.PutOrder(&cur)
	})
	switch {
	case errors.Is(err, errSkip) || err == nil:
		// The refund now; the runner retries it if the port fails.
		if err := s.settleRefund(ctx, orderID); err != nil {
			s.log.Info("marketplace: refund a charge not applied", "order", orderID, "err", err)
		}
	default:
		// The pending charge stays on the order: the runner refunds it
		// when the window closes.
		s.log.Info("marketplace: cancel an order paid in vain", "order", orderID, "err", err)
	}
	return cause
}

// chargeRefused reports whether err, from the transaction applying a
// payment, means that the order will not be paid: the rules refuse it (the
// order no longer awaits payment, a renewal or upgrade the resource can no
// longer take, a product gone), as opposed to a fault that may pass (the
// store, a race lost every time, the context).
func chargeRefused(err error) bool {
	var race *ConflictError
	if errors.As(err, &race) {
		return false
	}
	return errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalidInput) || errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotAllowed)
}

// refundPendingCharge schedules the refund of the pending external charge
// of the unpaid order o, being cancelled at now. It is the reversal of a
// payment that never applied, not a refund under the rules: no review
// holds it.
func refundPendingCharge(o *Order, now time.Time) {
	if o.PendingCharge == nil || o.PaidAt != nil || o.RefundAmount != nil {
		return
	}
	amount := o.PendingCharge.Amount
	o.RefundAmount, o.NextDueAt = &amount, &now
}

// pendingChargeReceipt returns what the port took for the pending charge
// of the unpaid order o before its refund: the recorded receipt, or the
// one of the charge repeated under its key when its outcome is unknown.
// taken is false when the port declines (nothing to refund).
//
// Errors: the port's, other than a decline.
func (s *Service) pendingChargeReceipt(ctx context.Context, o Order) (receipt Receipt, taken bool, err error) {
	pc := o.PendingCharge
	if pc.Reference != "" {
		return Receipt{Reference: pc.Reference, Amount: pc.Amount}, true, nil
	}
	receipt, err = s.payments.Charge(ctx, ChargeRequest{IdempotencyKey: pc.Key, AccountID: o.BuyerID, OrderID: o.ID, Amount: pc.Amount})
	if errors.Is(err, ErrPaymentFailed) {
		return Receipt{}, false, nil
	}
	return receipt, err == nil, err
}
