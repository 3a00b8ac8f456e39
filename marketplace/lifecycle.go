package marketplace

import (
	"context"
	"errors"
	"time"

	"github.com/opengallery/opengallery/billing"
)

// errSkip ends a runner transaction that found the item already handled.
var errSkip = errors.New("marketplace: skip")

// live reports whether a resource is in its lifecycle (not pending, failed,
// released or unsubscribed).
func live(st ResourceStatus) bool {
	return st == ResourceActive || st == ResourceGrace || st == ResourceRetention
}

// autoRenewState is what billing's auto-renewal schedule needs.
func (s *Service) autoRenewState(r Resource) billing.AutoRenewState {
	st := billing.AutoRenewState{Delivery: r.Delivery, Settings: r.AutoRenew,
		Status: billing.RenewalStatus{Unsubscribed: r.Status == ResourceUnsubscribed, UnpaidChangeOrder: r.PendingOrderID != ""}}
	if r.Term != nil {
		st.Term = *r.Term
	}
	if r.AutoRenewFailedAt != nil {
		st.LastFailure = *r.AutoRenewFailedAt
	}
	return st
}

// scheduleResource sets when the runner next looks at a resource: the
// next auto-renewal attempt or the next lifecycle change (grace,
// retention, release), whichever comes first.
func (s *Service) scheduleResource(r *Resource, now time.Time) {
	r.NextDueAt = nil
	var due time.Time
	if exp, ok := lifecycleExpiry(*r); ok && live(r.Status) {
		if _, at, ok := billing.NextLifecycleChange(s.cfg, exp, now); ok {
			due = at
		}
	}
	if r.Usage != nil && live(r.Status) && (due.IsZero() || r.Usage.NextChargeAt.Before(due)) {
		due = r.Usage.NextChargeAt
	}
	if r.Term != nil && live(r.Status) {
		if r.AutoRenew.Enabled && r.PendingOrderID == "" {
			if a, ok, err := billing.NextAutoRenewAttempt(s.cfg, s.autoRenewState(*r), now); err == nil && ok && (due.IsZero() || a.At.Before(due)) {
				due = a.At
			}
		}
	}
	if len(r.SellerCalls) > 0 && (due.IsZero() || r.SellerCalls[0].NextAt.Before(due)) {
		due = r.SellerCalls[0].NextAt
	}
	if !due.IsZero() {
		due = due.UTC().Truncate(time.Microsecond)
		if due.Before(now) {
			due = now
		}
		r.NextDueAt = &due
	}
}

// autoRenewDue reports whether an auto-renewal deduction for r is due at
// now. The attempt is the one the runner was due for: computed as of
// r.NextDueAt when that is earlier than now, because a runner looks at due
// work a little after its time, and at 03:00:05 the 03:00 slot is not yet
// past for the buyer (computed as of now, the attempt would move to the
// next day's slot, every day, until the expiry day's immediate deduction).
// Nothing is due when nothing is scheduled as of now (disabled, expired,
// unsubscribed, …).
func (s *Service) autoRenewDue(r Resource, now time.Time) bool {
	if r.Term == nil || !r.AutoRenew.Enabled || r.PendingOrderID != "" {
		return false
	}
	st := s.autoRenewState(r)
	a, ok, err := billing.NextAutoRenewAttempt(s.cfg, st, now)
	if err != nil || !ok {
		return false
	}
	if r.NextDueAt != nil && r.NextDueAt.Before(now) {
		if a, ok, err = billing.NextAutoRenewAttempt(s.cfg, st, *r.NextDueAt); err != nil || !ok {
			return false
		}
	}
	return !a.At.After(now)
}

// runResource does what is due for a resource: an auto-renewal attempt,
// then the lifecycle change (grace, retention with a freeze at the seller,
// release at the seller).
func (s *Service) runResource(ctx context.Context, item DueItem) error {
	var r Resource
	if err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		r, err = tx.Resource(item.ID)
		return err
	}); err != nil {
		return err
	}
	now := s.now()
	if r.Version != item.Version || r.NextDueAt == nil || r.NextDueAt.After(now) {
		return nil
	}
	if len(r.SellerCalls) > 0 && !r.SellerCalls[0].NextAt.After(now) {
		// The outbox first; the lifecycle is looked at when the runner
		// claims the resource again.
		s.runSellerCalls(ctx, r.ID)
		return nil
	}
	if usageDue(r, now) {
		return s.chargeUsage(ctx, r, false)
	}
	expiry, ok := lifecycleExpiry(r)
	if !ok || !live(r.Status) {
		return s.rescheduleResource(ctx, r, now)
	}
	if s.autoRenewDue(r, now) {
		err := s.autoRenew(ctx, r)
		if errors.Is(err, errSkip) {
			return nil
		}
		if err != nil {
			return err
		}
		// Renewed (or the failure recorded): the lifecycle is looked at on
		// the resource's next due time.
		return nil
	}
	target := billing.LifecycleState(s.cfg, expiry, now)
	want := ResourceStatus(target)
	if want == r.Status {
		return s.rescheduleResource(ctx, r, now)
	}
	err := s.update(ctx, func(tx Tx) error {
		cur, err := tx.Resource(r.ID)
		if err != nil {
			return err
		}
		if cur.Version != r.Version {
			return errSkip
		}
		if err := s.changeLifecycle(tx, &cur, want, expiry, now); err != nil {
			return err
		}
		r = cur
		return nil
	})
	if errors.Is(err, errSkip) {
		return nil
	}
	if err != nil {
		return err
	}
	s.runSellerCalls(ctx, r.ID)
	return nil
}

// changeLifecycle moves cur to want (grace, retention with a freeze owed
// to the seller, release with a release owed) inside tx, with its event. A
// release ends the purchase: an unsubscription of it held for refund
// review is cancelled with it.
func (s *Service) changeLifecycle(tx Tx, cur *Resource, want ResourceStatus, expiry, now time.Time) error {
	if want == ResourceReleased {
		if err := s.dropHeldUnsubscription(tx, cur, "released after expiry", now); err != nil {
			return err
		}
	}
	inst := cur.App.InstanceID
	if want == ResourceRetention || want == ResourceReleased {
		var err error
		if inst, err = instanceOf(tx, cur); err != nil {
			return err
		}
	}
	e := s.lifecycleChange(cur, want, expiry, inst, now)
	if err := tx.PutResource(cur); err != nil {
		return err
	}
	return tx.AppendEvent(&e)
}

// lifecycleChange moves cur to want in memory (its new dates, the call it
// owes the seller about instance, its next due time) and returns the
// change's event, for the caller to write.
func (s *Service) lifecycleChange(cur *Resource, want ResourceStatus, expiry time.Time, instance string, now time.Time) Event {
	from := cur.Status
	cur.Status, cur.UpdatedAt = want, now
	lc := billing.NewLifecycle(s.cfg, expiry)
	cur.GraceEndsAt, cur.RetentionEndsAt = &lc.GraceEnd, &lc.RetentionEnd
	switch want {
	case ResourceRetention:
		s.oweFor(cur, CallFreeze, "", instance, now)
	case ResourceReleased:
		cur.ReleasedAt = &now
		s.oweFor(cur, CallRelease, "", instance, now)
	}
	s.scheduleResource(cur, now)
	return Event{At: now, Kind: KindResource, AggregateID: cur.ID, Type: "resource." + string(want), Actor: SystemActor(),
		From: string(from), To: string(want)}
}

// rescheduleResource recomputes a resource's next due time when there was
// nothing to do (unless it changed meanwhile).
func (s *Service) rescheduleResource(ctx context.Context, r Resource, now time.Time) error {
	return s.update(ctx, func(tx Tx) error {
		cur, err := tx.Resource(r.ID)
		if err != nil || cur.Version != r.Version {
			return err
		}
		s.scheduleResource(&cur, now)
		return tx.PutResource(&cur)
	})
}
