package supervision

import (
	"slices"
	"time"
)

// TimerKind names something that becomes due at a known time.
type TimerKind string

// The timer kinds.
const (
	// OrderCompletion: the order becomes Completed (acceptance + 3 h). The
	// marketplace's runner acts on it; it stays listed, so the runner must
	// remember that it handled it (e.g. by the order's status).
	OrderCompletion TimerKind = "order_completion"
	// AppealAvailable: Role may appeal strictly after At because the other
	// party will have left the flow waiting for more than Policy.AppealIdle.
	// Listed only while that is the role's only way to appeal.
	AppealAvailable TimerKind = "appeal_available"
	// AutoAcceptance: the system may accept on the buyer's behalf from At
	// (only when Policy.AutoAcceptAfter is on).
	AutoAcceptance TimerKind = "auto_acceptance"
	// ReminderAvailable: the buyer may send the next reminder from At.
	ReminderAvailable TimerKind = "reminder_available"
)

// Timer is one thing that is or becomes due for a flow.
type Timer struct {
	Kind TimerKind `json:"kind"`
	Role Role      `json:"role"` // who may act: System for order completion and auto-acceptance
	At   time.Time `json:"at"`   // when it becomes due (for appeals, strictly after)
	Due  bool      `json:"due"`  // whether it is due at the now given to Timers
}

// Timers returns what is due or becomes due for f, earliest first, as of
// now under p. A frozen or terminated flow has none: the operations team
// acts on its own schedule. An invalid flow or policy has none (nil).
func Timers(f Flow, now time.Time, p Policy) []Timer {
	if p.Validate() != nil {
		return nil
	}
	if _, err := f.template(); err != nil || f.Frozen {
		return nil
	}
	now = now.UTC()
	var out []Timer
	add := func(k TimerKind, r Role, at time.Time, strict bool) {
		due := !now.Before(at)
		if strict {
			due = now.After(at)
		}
		out = append(out, Timer{Kind: k, Role: r, At: at, Due: due})
	}
	if at, ok := f.OrderCompletionAt(p); ok {
		add(OrderCompletion, System, at, false)
	}
	if !f.Status.Terminal() {
		for _, r := range []Role{Buyer, Seller} {
			// Only when idling is the way the appeal opens: not if the
			// counters or the seller's any-time rule already open it.
			if waitingOn(f.Status) != counterpart(r) {
				continue
			}
			if f.SellerRejections >= p.AppealThreshold || f.BuyerRejections >= p.AppealThreshold ||
				(r == Seller && p.SellerAppealAnyTime) {
				continue
			}
			add(AppealAvailable, r, f.StatusSince.Add(p.AppealIdle), true)
		}
	}
	if f.Status == AwaitingAcceptance && p.AutoAcceptAfter > 0 {
		add(AutoAcceptance, System, f.StatusSince.Add(p.AutoAcceptAfter), false)
	}
	if waitingOn(f.Status) == Seller && !f.LastReminderAt.IsZero() {
		add(ReminderAvailable, Buyer, f.LastReminderAt.Add(p.ReminderInterval), false)
	}
	slices.SortStableFunc(out, func(a, b Timer) int { return a.At.Compare(b.At) })
	return out
}
