package marketplace

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opengallery/opengallery/billing"
)

// Usage is the metering of a pay-per-use resource: it is charged by the
// hour in arrears, through the payment port, at the exact hourly rate of
// its quote (software plus VM flavor). Hour n (1-based, counted from Start
// and skipping the hours a frozen resource was not billed for) is charged
// round(rate × n) − round(rate × (n−1)) over the hours charged so far, so
// that the charges sum exactly to the rounded cost of the hours used.
//
// A charge that is declined (ErrPaymentFailed) puts the resource in
// arrears: from ArrearsSince it follows billing's grace → retention
// (frozen at the seller) → release lifecycle, while the charge is retried
// every hour; a port that is down only delays the charge. A later charge that
// succeeds (after a top-up) clears the arrears and, if frozen, unfreezes
// it; the hours it spent frozen are not billed.
type Usage struct {
	// Rate is the exact hourly rate.
	Rate  billing.Money `json:"rate"`
	Start time.Time     `json:"start"`
	// Hours is the number of hours charged; Skipped the hours not billed
	// because the resource was frozen. The next hour to charge ends at
	// Start + (Hours+Skipped+1) h.
	Hours   int           `json:"hours"`
	Skipped int           `json:"skipped,omitempty"`
	Charged billing.Money `json:"charged"`
	// NextChargeAt is when the runner next charges (the end of the next
	// hour, or an hour after a failed charge).
	NextChargeAt time.Time `json:"next_charge_at"`
	// ArrearsSince is when a charge first failed; nil when paid up.
	ArrearsSince *time.Time `json:"arrears_since,omitempty"`
	// LastError says why the last charge failed, for the buyer
	// (buyerPaymentReason): the decline's reason, or that the payment
	// service was down; never the payment port's own text.
	LastError string `json:"last_error,omitempty"`
}

// maxUsageHoursPerRun bounds the hours one resource is charged for in one
// step; a resource further behind is due again at once.
const maxUsageHoursPerRun = 24

// usageOutageRetry is how soon a usage charge that failed for a reason
// other than a decline (the payment port unreachable) is tried again.
const usageOutageRetry = 5 * time.Minute

// lifecycleExpiry is the date a resource's grace → retention → release
// lifecycle counts from: its term's expiry, or the date a pay-per-use
// resource went into arrears.
func lifecycleExpiry(r Resource) (time.Time, bool) {
	switch {
	case r.Term != nil:
		return r.Term.Expiry, true
	case r.Usage != nil && r.Usage.ArrearsSince != nil:
		return *r.Usage.ArrearsSince, true
	}
	return time.Time{}, false
}

// usageDue reports whether a live pay-per-use resource should be charged
// now.
func usageDue(r Resource, now time.Time) bool {
	return r.Usage != nil && live(r.Status) && !r.Usage.NextChargeAt.After(now)
}

// hourCharge is what hour n (1-based, of the hours charged) costs.
func hourCharge(rate billing.Money, n int) billing.Money {
	at := func(k int) decimal.Decimal {
		return rate.Amount.Mul(decimal.NewFromInt(int64(k)))
	}
	cur := billing.Money{Amount: at(n), Currency: rate.Currency}.RoundHalfUp()
	prev := billing.Money{Amount: at(n - 1), Currency: rate.Currency}.RoundHalfUp()
	return billing.Money{Amount: cur.Amount.Sub(prev.Amount), Currency: rate.Currency}
}

// billableUntil is the end of the hours a resource is billed for: now, or
// the start of retention for a frozen one.
func (s *Service) billableUntil(r Resource, now time.Time) time.Time {
	if r.Status == ResourceRetention && r.Usage.ArrearsSince != nil {
		if g := billing.NewLifecycle(s.cfg, *r.Usage.ArrearsSince).GraceEnd; g.Before(now) {
			return g
		}
	}
	return now
}

// chargeUsage charges a pay-per-use resource for the whole hours elapsed
// since its last charge (at most maxUsageHoursPerRun), each under its own
// idempotency key (resource and hour), and records the outcome: charged
// hours, arrears when a charge fails, arrears cleared (and the resource
// unfrozen) when it is paid up again. final also charges the hour under
// way (a resource being ended) and returns the charge's error, which the
// runner only records.
func (s *Service) chargeUsage(ctx context.Context, r Resource, final bool) error {
	u := *r.Usage
	now := s.now()
	method := PayBalance
	if err := s.store.View(ctx, func(tx ReadTx) error {
		method = s.refundMethod(tx, r) // the way the purchase was paid
		if method == PayBalance {
			if a, err := tx.Account(r.BuyerID); err == nil && a.Credit {
				method = PayCredit
			}
		}
		return nil
	}); err != nil {
		return err
	}
	elapsed := s.usedHours(r, now, final)
	type charged struct {
		hour    int
		amount  billing.Money
		receipt Receipt
	}
	var done []charged
	var chargeErr error
	for n := u.Hours + 1; n <= min(elapsed, u.Hours+maxUsageHoursPerRun); n++ {
		amt := hourCharge(u.Rate, n)
		key := fmt.Sprintf("usage:%s:%d", r.ID, n+u.Skipped)
		var rc Receipt
		if method == PayBalance && amt.IsPositive() {
			var err error
			if rc, err = s.payments.Charge(ctx, ChargeRequest{IdempotencyKey: key, AccountID: r.BuyerID, OrderID: r.OrderID, Amount: amt}); err != nil {
				chargeErr = err
				break
			}
		}
		done = append(done, charged{hour: n, amount: amt, receipt: rc})
	}
	if chargeErr != nil && !errors.Is(chargeErr, ErrPaymentFailed) {
		s.log.Warn("marketplace: usage charge", "resource", r.ID, "err", chargeErr)
	}
	err := s.update(ctx, func(tx Tx) error {
		cur, err := tx.Resource(r.ID)
		if err != nil {
			return err
		}
		if cur.Usage == nil || cur.Usage.Hours != u.Hours || cur.Usage.Skipped != u.Skipped || !live(cur.Status) {
			return errSkip // charged by another runner meanwhile
		}
		now := s.now()
		cu := cur.Usage
		for _, c := range done {
			key := fmt.Sprintf("usage:%s:%d", r.ID, c.hour+u.Skipped)
			if method != PayReseller && c.amount.IsPositive() {
				if _, err := s.recordCharge(tx, method, cur.OrderID, cur.BuyerID, c.amount, key, c.receipt, now); err != nil {
					return err
				}
			}
			if cu.Charged, err = cu.Charged.Add(c.amount); err != nil {
				return err
			}
			cu.Hours = c.hour
		}
		if len(done) > 0 {
			if err := emit(tx, now, SystemActor(), KindResource, cur.ID, "resource.usage_charged", "", "",
				map[string]any{"hours": len(done), "through_hour": cu.Hours + cu.Skipped, "charged": cu.Charged.String()}); err != nil {
				return err
			}
		}
		cu.NextChargeAt = cu.Start.Add(time.Duration(cu.Hours+cu.Skipped+1) * time.Hour)
		owed := s.usedHours(cur, now, final) - cu.Hours
		switch {
		case chargeErr != nil && !errors.Is(chargeErr, ErrPaymentFailed):
			// The port is down, not the buyer short of money: no arrears,
			// try again soon. The buyer reads LastError, so it says what
			// happened, not the port's text (logged above), which may
			// name the gateway's address.
			cu.LastError = buyerPaymentReason(chargeErr) + "; the charge is retried"
			cu.NextChargeAt = now.Add(usageOutageRetry)
		case chargeErr != nil:
			cu.LastError = buyerPaymentReason(chargeErr)
			cu.NextChargeAt = now.Add(time.Hour)
			if cu.ArrearsSince == nil {
				cu.ArrearsSince = &now
				lc := billing.NewLifecycle(s.cfg, now)
				from := cur.Status
				cur.Status, cur.GraceEndsAt, cur.RetentionEndsAt = ResourceGrace, &lc.GraceEnd, &lc.RetentionEnd
				if err := emit(tx, now, SystemActor(), KindResource, cur.ID, "resource.arrears", string(from), string(cur.Status),
					map[string]string{"error": chargeErr.Error()}); err != nil {
					return err
				}
			}
		case owed > 0:
			cu.NextChargeAt = now // more whole hours than one step charges
		case cu.ArrearsSince != nil:
			// Paid up: the arrears end. A frozen resource is unfrozen and
			// the hours it was frozen are not billed.
			from := cur.Status
			if from == ResourceRetention {
				cu.Skipped = int(now.Sub(cu.Start)/time.Hour) - cu.Hours
				cu.NextChargeAt = cu.Start.Add(time.Duration(cu.Hours+cu.Skipped+1) * time.Hour)
				s.owe(&cur, CallUnfreeze, "", now)
			}
			cu.ArrearsSince, cu.LastError = nil, ""
			cur.Status, cur.GraceEndsAt, cur.RetentionEndsAt = ResourceActive, nil, nil
			if err := emit(tx, now, SystemActor(), KindResource, cur.ID, "resource.arrears_cleared", string(from), string(cur.Status), nil); err != nil {
				return err
			}
		}
		cur.UpdatedAt = now
		s.scheduleResource(&cur, now)
		return tx.PutResource(&cur)
	})
	if errors.Is(err, errSkip) {
		return nil
	}
	if err != nil {
		return err
	}
	s.runSellerCalls(ctx, r.ID)
	if final {
		return chargeErr
	}
	return nil
}

// usedHours is how many hours of r are billable at now (not counting the
// skipped frozen ones): the whole hours, or with final the hour under way
// too (a frozen resource's hours end at its freeze).
func (s *Service) usedHours(r Resource, now time.Time, final bool) int {
	d := s.billableUntil(r, now).Sub(r.Usage.Start)
	h := int(d / time.Hour)
	if final && d%time.Hour != 0 && r.Status != ResourceRetention {
		h++
	}
	return h - r.Usage.Skipped
}

// EndPayPerUse ends the buyer's pay-per-use resource: the hours used are
// charged (the hour under way as a whole hour), then the resource is
// unsubscribed and released at the seller. Usage must be settled to end:
// if the final charge is declined the resource stays (in arrears) and the
// error is returned. Pay-per-use purchases get no refund. A reseller's
// customer's purchase is not metered here (it has no Usage: the reseller
// bills its customer), so it is ended without charging.
//
// Errors: *InputError; *NotAllowedError for anyone but a buyer;
// *NotFoundError; *StateError for a resource that is not pay-per-use or
// not running; *PaymentError (ErrPaymentFailed) when the final charge is
// declined; ErrUnavailable-wrapping errors from the payment port; store
// errors.
func (s *Service) EndPayPerUse(ctx context.Context, actor Actor, resourceID string) (Resource, error) {
	if err := checkActor(actor, "end a pay-per-use purchase", RoleBuyer); err != nil {
		return Resource{}, err
	}
	if err := checkID("resource_id", resourceID); err != nil {
		return Resource{}, err
	}
	check := func(r Resource) error {
		if !actor.IsBuyer(r.BuyerID) {
			return notFound(KindResource, resourceID)
		}
		if r.Mode != billing.PayPerUse || !live(r.Status) {
			return &StateError{Kind: KindResource, ID: r.ID, State: string(r.Status), Action: "end", Reason: "only a running pay-per-use purchase is ended this way"}
		}
		return nil
	}
	for range 3 { // an hour may begin between settling and ending
		out, err := s.endPayPerUse(ctx, actor, resourceID, check)
		if !errors.Is(err, errUnsettled) {
			return out, err
		}
	}
	return Resource{}, &StateError{Kind: KindResource, ID: resourceID, Action: "end", Reason: "usage kept accruing while ending"}
}

// errUnsettled: usage accrued after the final charge; settle again.
var errUnsettled = errors.New("marketplace: usage not settled")

func (s *Service) endPayPerUse(ctx context.Context, actor Actor, resourceID string, check func(Resource) error) (Resource, error) {
	// Settle first: each pass charges at most maxUsageHoursPerRun hours.
	for {
		var r Resource
		if err := s.store.View(ctx, func(tx ReadTx) error { var err error; r, err = tx.Resource(resourceID); return err }); err != nil {
			return Resource{}, err
		}
		if err := check(r); err != nil {
			return Resource{}, err
		}
		if r.Usage == nil || s.usedHours(r, s.now(), true) <= r.Usage.Hours {
			break
		}
		if err := s.chargeUsage(ctx, r, true); err != nil {
			return Resource{}, err
		}
	}
	var out Resource
	err := s.update(ctx, func(tx Tx) error {
		r, err := tx.Resource(resourceID)
		if err != nil {
			return err
		}
		if err := check(r); err != nil {
			return err
		}
		now := s.now()
		if r.Usage != nil && s.usedHours(r, now, true) > r.Usage.Hours {
			return errUnsettled
		}
		from := r.Status
		r.Status, r.ReleasedAt, r.UpdatedAt = ResourceUnsubscribed, &now, now
		s.owe(&r, CallRelease, "", now)
		s.scheduleResource(&r, now)
		if err := tx.PutResource(&r); err != nil {
			return err
		}
		out = r
		data := map[string]any{"reseller_id": r.ResellerID} // not metered here
		if r.Usage != nil {
			data = map[string]any{"hours": r.Usage.Hours, "charged": r.Usage.Charged.String()}
		}
		return emit(tx, now, actor, KindResource, r.ID, "resource.unsubscribed", string(from), string(r.Status), data)
	})
	if err != nil {
		return Resource{}, err
	}
	s.runSellerCalls(ctx, resourceID)
	return out, nil
}
