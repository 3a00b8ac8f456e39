package supervision

import (
	"fmt"
	"time"
)

// guard checks the time and count conditions of an action the table already
// permits in the flow's status. A nil result means the action may go ahead.
func guard(f *Flow, a Action, r Role, now time.Time, p *Policy) error {
	switch a {
	case Appeal:
		return appealGuard(f, r, now, p)
	case Remind:
		if !f.LastReminderAt.IsZero() && now.Sub(f.LastReminderAt) < p.ReminderInterval {
			return notAllowed(a, f.Status, r, ErrTooEarly,
				fmt.Sprintf("the last reminder was sent at %s; one per %s", f.LastReminderAt.Format(time.RFC3339), p.ReminderInterval))
		}
	case AutoAccept:
		if p.AutoAcceptAfter <= 0 {
			return notAllowed(a, f.Status, r, nil, "automatic acceptance is off in the policy")
		}
		if now.Sub(f.StatusSince) < p.AutoAcceptAfter {
			return notAllowed(a, f.Status, r, ErrTooEarly,
				fmt.Sprintf("the buyer has had the delivery since %s, less than %s", f.StatusSince.Format(time.RFC3339), p.AutoAcceptAfter))
		}
	}
	return nil
}

// appealGuard applies the appeal rules (reference 3.3 and ambiguities 1–3):
// the optional cut-off before the expected completion; then either party
// after AppealThreshold rejections either way; the seller at any time when
// the policy says so; otherwise the party whose counterpart has left the
// flow waiting for more than AppealIdle.
func appealGuard(f *Flow, r Role, now time.Time, p *Policy) error {
	if p.AppealCutoff > 0 && !f.ExpectedCompletion.IsZero() &&
		!now.Before(f.ExpectedCompletion.Add(-p.AppealCutoff)) && now.Before(f.ExpectedCompletion) {
		return notAllowed(Appeal, f.Status, r, nil,
			fmt.Sprintf("no appeals within %s before the expected completion %s", p.AppealCutoff, f.ExpectedCompletion.Format(time.RFC3339)))
	}
	if appealOpen(f, r, now, p) {
		return nil
	}
	return notAllowed(Appeal, f.Status, r, ErrTooEarly, fmt.Sprintf(
		"needs %d rejections either way (seller %d, buyer %d) or the other party idle for more than %s",
		p.AppealThreshold, f.SellerRejections, f.BuyerRejections, p.AppealIdle))
}

// appealOpen is the appeal condition without the cut-off.
func appealOpen(f *Flow, r Role, now time.Time, p *Policy) bool {
	if f.SellerRejections >= p.AppealThreshold || f.BuyerRejections >= p.AppealThreshold {
		return true
	}
	if r == Seller && p.SellerAppealAnyTime {
		return true
	}
	// "More than five days": strictly after StatusSince + AppealIdle. Idle
	// time counts from when the flow started waiting on the counterpart, so
	// a party is never blamed for time it was not expected to act.
	return waitingOn(f.Status) == counterpart(r) && now.Sub(f.StatusSince) > p.AppealIdle
}

func counterpart(r Role) Role {
	switch r {
	case Buyer:
		return Seller
	case Seller:
		return Buyer
	}
	return ""
}
