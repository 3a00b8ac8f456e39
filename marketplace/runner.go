package marketplace

import (
	"context"
	"errors"
	"time"

	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/supervision"
)

// RunReport says what one RunDue pass did.
type RunReport struct {
	Claimed int `json:"claimed"` // due items claimed
	Failed  int `json:"failed"`  // items whose processing failed (retried after the lease)
}

// RunDue does the time-driven work that is due at the service clock's now:
// unpaid orders expire, SaaS provisioning is retried (and, when the create
// budget runs out, the order cancelled and refunded), image deployments
// polled, refunds paid, orders completed 3 hours after acceptance,
// auto-renewal attempted at 03:00 platform time, resources moved through
// grace, retention (frozen at the seller) and release, appeals announced
// when they open, calls owed to sellers retried under the delivery policy,
// pay-per-use hours charged (and arrears followed), refunds held for
// review approved when billing's auto-approval time passes. It claims due
// items in batches (Store.ClaimDue) so that
// several processes can run it at once, and every step re-reads its item
// and acts only if it is still due: running it twice does nothing twice.
// It returns when nothing due is left, or when ctx ends.
//
// Errors: ctx.Err(); store errors from claiming. Failures of single items
// are logged, counted in the report and retried when their lease expires.
func (s *Service) RunDue(ctx context.Context) (RunReport, error) {
	var rep RunReport
	seen := map[DueItem]bool{}
	// times bounds how often one aggregate is handled in a pass, so that a
	// step that keeps rescheduling itself to now cannot spin the loop.
	times := map[string]int{}
	for {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		now := s.now()
		items, err := s.store.ClaimDue(ctx, now, s.batch, s.owner, s.lease)
		if err != nil {
			return rep, err
		}
		fresh := 0
		for _, it := range items {
			key := DueItem{Kind: it.Kind, ID: it.ID, Version: it.Version}
			id := string(it.Kind) + "/" + it.ID
			if seen[key] || times[id] >= maxStepsPerPass {
				continue // handled enough in this pass: leave it for the next
			}
			seen[key] = true
			times[id]++
			fresh++
			rep.Claimed++
			if err := s.runItem(ctx, it); err != nil && !errors.Is(err, errSkip) {
				rep.Failed++
				s.log.Error("marketplace: due item failed", "kind", it.Kind, "id", it.ID, "err", err)
			}
		}
		if fresh == 0 {
			return rep, nil
		}
	}
}

// maxStepsPerPass is how many steps one aggregate may take in one RunDue
// pass (a SaaS create followed by its first poll takes two).
const maxStepsPerPass = 8

func (s *Service) runItem(ctx context.Context, it DueItem) error {
	switch it.Kind {
	case KindOrder:
		return s.runOrder(ctx, it)
	case KindResource:
		return s.runResource(ctx, it)
	case KindFlow:
		return s.runFlow(ctx, it)
	}
	return nil
}

// runOrder does what is due for an order.
func (s *Service) runOrder(ctx context.Context, it DueItem) error {
	var o Order
	if err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		o, err = tx.Order(it.ID)
		return err
	}); err != nil {
		return err
	}
	now := s.now()
	if o.Version != it.Version || o.NextDueAt == nil || o.NextDueAt.After(now) {
		return nil
	}
	switch {
	case o.RefundReview != nil && o.RefundReview.Status == RefundReviewPending && o.RefundReview.AutoApproveAt != nil &&
		!now.Before(*o.RefundReview.AutoApproveAt):
		return s.autoApproveRefund(ctx, o)
	case o.RefundAmount != nil && o.RefundedAt == nil && !refundHeld(o):
		return s.settleRefund(ctx, o.ID)
	case o.Status == OrderPendingPayment && !now.Before(o.PayBy):
		return s.expireUnpaid(ctx, o)
	case o.Status == OrderProcessing && (o.Provisioning.Phase == PhaseCreate || o.Provisioning.Phase == PhaseQuery):
		s.provisionStep(ctx, o.ID)
		return nil
	case o.Status == OrderProcessing && o.Provisioning.Phase == PhaseDeploy:
		if o.Provisioning.InstanceID == "" {
			// The deploy call never happened (the process died after the
			// payment): the password is gone, so cancel and refund.
			s.afterDeploy(ctx, o.ID, o.Version, provisioning.Deployment{}, errors.New("deployment was never started"))
			return nil
		}
		if s.deployer == nil {
			return errNoDeployer
		}
		dep, err := s.deployer.Deployment(ctx, o.Provisioning.InstanceID)
		s.afterDeploy(ctx, o.ID, o.Version, dep, err)
		return nil
	case o.Status == OrderProcessing && o.AcceptedAt != nil:
		return s.completeAccepted(ctx, o)
	}
	return s.update(ctx, func(tx Tx) error { // nothing to do: clear the timer
		cur, err := tx.Order(o.ID)
		if err != nil || cur.Version != o.Version {
			return err
		}
		cur.NextDueAt = nil
		return tx.PutOrder(&cur)
	})
}

// expireUnpaid cancels an order not paid in time. A charge that went
// through but was never recorded on the order (a crash between the two)
// is refunded.
func (s *Service) expireUnpaid(ctx context.Context, o Order) error {
	charged := false
	if pg, err := s.store.ListPayments(ctx, PaymentQuery{OrderID: o.ID, Limit: 10}); err == nil {
		for _, p := range pg.Items {
			if p.Kind == PaymentCharge {
				charged = true
			}
		}
	}
	err := s.update(ctx, func(tx Tx) error {
		cur, err := tx.Order(o.ID)
		if err != nil {
			return err
		}
		if cur.Version != o.Version || cur.Status != OrderPendingPayment {
			return errSkip
		}
		cur, err = s.cancelUnpaid(tx, SystemActor(), cur, "not paid in time")
		if err != nil {
			return err
		}
		if charged {
			if err := s.refundLater(tx, &cur, cur.Amount, s.now()); err != nil {
				return err
			}
			return tx.PutOrder(&cur)
		}
		return nil
	})
	if err != nil || !charged {
		return err
	}
	return s.settleRefund(ctx, o.ID)
}

// completeAccepted completes an order 3 hours after its flow's acceptance
// (once any provisioning has delivered).
func (s *Service) completeAccepted(ctx context.Context, o Order) error {
	return s.update(ctx, func(tx Tx) error {
		cur, err := tx.Order(o.ID)
		if err != nil {
			return err
		}
		if cur.Version != o.Version || cur.Status != OrderProcessing {
			return errSkip
		}
		now := s.now()
		f, err := tx.Flow(cur.FlowID)
		if err != nil {
			return err
		}
		at, ok := f.Supervision.OrderCompletionAt(s.policy)
		if !ok || now.Before(at) {
			return errSkip
		}
		if ph := cur.Provisioning.Phase; ph != PhaseNone && ph != PhaseDone {
			cur.NextDueAt = nil // provisioning completes it when the app info arrives
			return tx.PutOrder(&cur)
		}
		s.complete(&cur, now)
		if err := tx.PutOrder(&cur); err != nil {
			return err
		}
		return emit(tx, now, SystemActor(), KindOrder, cur.ID, "order.completed", string(OrderProcessing), string(OrderCompleted), nil)
	})
}

// runFlow applies a flow's due timers: an automatic acceptance (when the
// policy enables it) and the announcement that an appeal is open.
func (s *Service) runFlow(ctx context.Context, it DueItem) error {
	refund := ""
	err := s.update(ctx, func(tx Tx) error {
		f, err := tx.Flow(it.ID)
		if err != nil {
			return err
		}
		now := s.now()
		if f.Version != it.Version || f.NextDueAt == nil || f.NextDueAt.After(now) {
			return errSkip
		}
		for _, t := range supervision.Timers(f.Supervision, now, s.policy) {
			if !t.Due {
				continue
			}
			switch t.Kind {
			case supervision.AutoAcceptance:
				cmd := supervision.Command{Actor: supervision.Actor{ID: "system", Role: supervision.System}, Action: supervision.AutoAccept}
				if refund, err = s.applyFlow(tx, &f, cmd, now); err != nil {
					return err
				}
				return nil
			case supervision.AppealAvailable:
				if err := emit(tx, now, SystemActor(), KindFlow, f.ID, "flow.appeal_available", "", f.Status,
					map[string]string{"role": string(t.Role)}); err != nil {
					return err
				}
			}
		}
		s.scheduleFlow(&f, now)
		return tx.PutFlow(&f)
	})
	if errors.Is(err, errSkip) {
		return nil
	}
	if err == nil && refund != "" {
		return s.settleRefund(ctx, refund)
	}
	return err
}

// RunDueEvery runs RunDue now and on every tick until ctx ends: the loop a host
// runs in the background.
func (s *Service) RunDueEvery(ctx context.Context, tick <-chan time.Time) error {
	for {
		if _, err := s.RunDue(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("marketplace: run due work", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
		}
	}
}
