package marketplace

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opengallery/opengallery/billing"
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
// items in batches so that several processes can run it at once, and
// every step acts only if its item is still at the version it was claimed
// at: running it twice does nothing twice.
//
// When the store's Tx implements DueResourceTx, due resources are claimed
// first, WithRunnerTxBatch at a time, inside the transaction that applies
// the work that stays in the store (a lifecycle change with its event, or
// a new due time); the rest of them are leased in it and done after the
// commit. Once a batch comes back full, up to WithRunnerTxInFlight such
// transactions run at once. (With any other store, one transaction that
// writes nothing finds that out.) Then due items of every kind are claimed with
// Store.ClaimDue: due resources whose work stays in the store are applied
// WithRunnerTxBatch to a transaction; work that calls out (sellers, an
// external payment port, the deployer) is done outside transactions.
// It returns when nothing due is left, or when ctx ends.
//
// Errors: ctx.Err(); store errors from claiming. Failures of single items
// are logged, counted in the report and retried when their lease expires.
func (s *Service) RunDue(ctx context.Context) (RunReport, error) {
	p := &duePass{seen: map[DueItem]bool{}, times: map[string]int{}}
	if s.txBatch > 1 {
		s.runDueInTx(ctx, p)
	}
	// Only this goroutine uses p from here on.
	for {
		if err := ctx.Err(); err != nil {
			return p.rep, err
		}
		now := s.now()
		items, err := s.store.ClaimDue(ctx, now, s.batch, s.owner, s.lease)
		if err != nil {
			return p.rep, err
		}
		var fresh []DueItem
		for _, it := range items {
			if s.firstTime(it, p.seen, p.times) {
				fresh = append(fresh, it)
			}
		}
		if len(fresh) == 0 {
			return p.rep, nil
		}
		p.rep.Claimed += len(fresh)
		p.rep.Failed += s.runItems(ctx, fresh)
	}
}

// duePass is what one RunDue pass keeps: its report, the items it handled
// (seen) and how often it handled each aggregate (times: it bounds how
// often one aggregate is handled in a pass, so that a step that keeps
// rescheduling itself to now cannot spin the loop). mu guards them while
// transactions run side by side (runDueInTx).
type duePass struct {
	mu    sync.Mutex
	rep   RunReport
	seen  map[DueItem]bool
	times map[string]int
}

// runDueInTx claims and applies due resources in transactions
// (runDueResources) until one batch comes back short (none is left that
// no transaction holds), one fails (nothing of it was kept: ClaimDue's
// path then claims its items again and isolates the one that fails), the
// store's Tx cannot claim (errNoDueTx), or ctx ends. Once a batch comes
// back full, up to s.txInFlight transactions run at once, so that the
// client's work (decoding, the rules, encoding) and the database's overlap:
// while one transaction's statements run, another's documents are
// prepared. (Only then: a pass with little due work costs one
// transaction.) They never claim the same resource: each holds what it
// claimed until it ends (PostgreSQL's FOR UPDATE SKIP LOCKED; SQLite
// hands its single writer's transaction to one of them at a time, while
// the others prepare; memory runs one transaction at a time). A panic in one of them stops the
// others from starting another batch and is raised again in the caller's
// goroutine once they have ended.
func (s *Service) runDueInTx(ctx context.Context, p *duePass) {
	var stop atomic.Bool
	var wg sync.WaitGroup
	var more sync.Once
	var fp firstPanic
	var work func()
	work = func() {
		defer wg.Done()
		defer fp.catch(&stop)
		for !stop.Load() && ctx.Err() == nil {
			full, err := s.runDueResources(ctx, s.now(), p)
			if err != nil && !errors.Is(err, errNoDueTx) && ctx.Err() == nil {
				s.log.Error("marketplace: due resources in a transaction", "err", err)
			}
			if err != nil || !full {
				stop.Store(true)
				return
			}
			more.Do(func() {
				for range s.txInFlight - 1 {
					wg.Add(1)
					go work()
				}
			})
		}
	}
	wg.Add(1)
	work()
	wg.Wait()
	fp.raise()
}

// firstPanic keeps the first panic of the goroutines a runner step starts,
// to raise it again in the caller's goroutine once they have all ended: a
// panic left in a goroutine would end the process before RunDue's caller
// could see it (or recover), and the caller must not go on while the
// goroutines still work on the pass.
type firstPanic struct {
	mu sync.Mutex
	v  any
}

// catch, deferred in each goroutine, keeps its panic (the first one only)
// and sets stop, so that the others finish early.
func (f *firstPanic) catch(stop *atomic.Bool) {
	r := recover()
	if r == nil {
		return
	}
	stop.Store(true)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.v == nil {
		f.v = r
	}
}

// raise panics with the panic caught, if any.
func (f *firstPanic) raise() {
	if f.v != nil {
		panic(f.v)
	}
}

// firstTime records that RunDue handles it, unless it was already handled
// at this version in the pass or its aggregate was handled
// maxStepsPerPass times (then it is left for the next pass).
func (s *Service) firstTime(it DueItem, seen map[DueItem]bool, times map[string]int) bool {
	key := DueItem{Kind: it.Kind, ID: it.ID, Version: it.Version}
	id := string(it.Kind) + "/" + it.ID
	if seen[key] || times[id] >= maxStepsPerPass {
		return false
	}
	seen[key] = true
	times[id]++
	return true
}

// errNoDueTx ends the transaction of runDueResources when the store's Tx
// is not a DueResourceTx.
var errNoDueTx = errors.New("marketplace: the store cannot claim due resources in a transaction")

// runDueResources claims up to a batch of due resources in one transaction
// (DueResourceTx) and applies in it those whose work stays in the store;
// it leases the others in the same transaction and, after the commit,
// does their work item by item and makes the seller calls the changes
// owe. It reports whether the batch was full (more may be due). Several
// may run at once on one pass (runDueInTx).
//
// Errors: errNoDueTx when the store's Tx cannot do it; the store's errors
// (then nothing was kept); ctx.Err().
func (s *Service) runDueResources(ctx context.Context, now time.Time, p *duePass) (bool, error) {
	limit := min(s.batch, s.txBatch)
	var read int
	var applied []*Resource
	var later []DueItem
	var calls []string
	// again are the applied resources due again at once, whose steps the
	// pass counted (p.times) before the commit.
	var again []string
	err := s.store.Update(ctx, func(tx Tx) error {
		dt, ok := tx.(DueResourceTx)
		if !ok {
			return errNoDueTx
		}
		due, err := dt.DueResources(now, limit)
		if err != nil {
			return err
		}
		read = len(due)
		applied, later, calls = make([]*Resource, 0, len(due)), later[:0], calls[:0]
		skip := p.skip(due)
		var lease []string
		var events []Event
		for i := range due {
			r := &due[i]
			if skip[i] {
				lease = append(lease, r.ID) // left for the next pass
				continue
			}
			st, ok := s.resourceStepFor(*r, now)
			if !ok {
				lease = append(lease, r.ID)
				later = append(later, DueItem{Kind: KindResource, ID: r.ID, Version: r.Version, DueAt: *r.NextDueAt})
				continue
			}
			if st.want == "" {
				s.scheduleResource(r, now)
			} else {
				events = append(events, s.lifecycleChange(r, st.want, st.expiry, r.App.InstanceID, now))
				if len(r.SellerCalls) > 0 {
					calls = append(calls, r.ID)
				}
			}
			applied = append(applied, r)
		}
		if err := dt.PutResources(applied); err != nil {
			return err
		}
		for i := range events {
			if err := tx.AppendEvent(&events[i]); err != nil {
				return err
			}
		}
		// Only a resource due again at once can come back in this pass:
		// count its steps (and only its, so that the pass's memory does
		// not grow with the resources it moves on). Counted before the
		// commit, while the transaction still holds the resource, so that
		// another transaction of the pass that claims it next sees the
		// count.
		p.count(again, -1) // a store that runs fn again: count once
		again = again[:0]
		for _, r := range applied {
			if r.NextDueAt != nil && !r.NextDueAt.After(now) {
				again = append(again, r.ID)
			}
		}
		p.count(again, 1)
		if len(lease) == 0 {
			return nil
		}
		return dt.LeaseResources(lease, s.owner, now.Add(s.lease))
	})
	if err != nil {
		p.count(again, -1) // nothing was kept
		return false, err
	}
	p.mu.Lock()
	for _, it := range later {
		s.firstTime(it, p.seen, p.times)
	}
	p.rep.Claimed += len(applied) + len(later)
	p.mu.Unlock()
	s.each(len(calls), func(i int) { s.runSellerCalls(ctx, calls[i]) })
	var failed atomic.Int64
	s.each(len(later), func(i int) {
		if s.itemFailed(later[i], s.runItem(ctx, later[i])) {
			failed.Add(1)
		}
	})
	p.mu.Lock()
	p.rep.Failed += int(failed.Load())
	p.mu.Unlock()
	return read == limit, nil
}

// skip reports which of the due resources the pass leaves for the next
// one: already handled at that version, or maxStepsPerPass times.
func (p *duePass) skip(due []Resource) []bool {
	out := make([]bool, len(due))
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, r := range due {
		out[i] = p.seen[DueItem{Kind: KindResource, ID: r.ID, Version: r.Version}] ||
			p.times[string(KindResource)+"/"+r.ID] >= maxStepsPerPass
	}
	return out
}

// count adds by to the pass's step count of each resource of ids.
func (p *duePass) count(ids []string, by int) {
	if len(ids) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		p.times[string(KindResource)+"/"+id] += by
	}
}

// itemFailed logs err, the outcome of due item it, and reports whether
// it counts as a failure.
func (s *Service) itemFailed(it DueItem, err error) bool {
	if err == nil || errors.Is(err, errSkip) {
		return false
	}
	s.log.Error("marketplace: due item failed", "kind", it.Kind, "id", it.ID, "err", err)
	return true
}

// each calls fn(0) … fn(n-1), runnerWorkers at once: the calls touch
// distinct aggregates, and a store that groups concurrent transactions
// into one commit (SQLite's writer) shares commits between them. A panic
// in fn stops the calls not yet begun and is raised again in the caller's
// goroutine once the others have returned.
func (s *Service) each(n int, fn func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var stop atomic.Bool
	var fp firstPanic
	for range min(runnerWorkers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer fp.catch(&stop)
			for !stop.Load() {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	fp.raise()
}

// runItems does the work of claimed items and returns how many failed.
// Resources whose due work stays in the store (a lifecycle change or a
// new due time) are applied several to a transaction; everything else,
// and everything that calls out, item by item as before.
func (s *Service) runItems(ctx context.Context, items []DueItem) int {
	var failed atomic.Int64
	fail := func(it DueItem, err error) {
		if s.itemFailed(it, err) {
			failed.Add(1)
		}
	}
	now := s.now()
	rest, batched := s.planResources(ctx, items, now)
	// The groups touch distinct aggregates, so a few run at once: one
	// group's work overlaps another's commit.
	var groups [][]resourceStep
	for start := 0; start < len(batched); start += s.txBatch {
		groups = append(groups, batched[start:min(start+s.txBatch, len(batched))])
	}
	s.each(len(groups), func(i int) {
		group := groups[i]
		calls, err := s.applyResourceSteps(ctx, group, now)
		if err != nil {
			// One bad item must not hold up the others: each again,
			// alone.
			for _, st := range group {
				fail(st.item, s.runItem(ctx, st.item))
			}
			return
		}
		for _, id := range calls {
			s.runSellerCalls(ctx, id)
		}
	})
	// The rest item by item, a few at once for the same reason: each
	// re-reads its aggregate and acts only if it is still due, as it must
	// anyway with several runners.
	s.each(len(rest), func(i int) { fail(rest[i], s.runItem(ctx, rest[i])) })
	return int(failed.Load())
}

// runnerWorkers is how many transactions RunDue runs at once: batches of
// due resources, then the other items one by one.
const runnerWorkers = 4

// resourceStep is a resource's due work that stays in the store: a
// lifecycle change to want (when want is not empty) or a new due time.
type resourceStep struct {
	item   DueItem
	r      Resource
	want   ResourceStatus
	expiry time.Time
}

// planResources reads the claimed resources in one view and picks those
// whose due work is a lifecycle change or a new due time; it returns the
// other items (in their order) and those steps.
func (s *Service) planResources(ctx context.Context, items []DueItem, now time.Time) ([]DueItem, []resourceStep) {
	if s.txBatch <= 1 {
		return items, nil
	}
	found := map[string]Resource{}
	err := s.store.View(ctx, func(tx ReadTx) error {
		for _, it := range items {
			if it.Kind != KindResource {
				continue
			}
			if r, err := tx.Resource(it.ID); err == nil {
				found[it.ID] = r
			}
		}
		return nil
	})
	if err != nil || len(found) == 0 {
		return items, nil
	}
	var rest []DueItem
	var steps []resourceStep
	for _, it := range items {
		r, ok := found[it.ID]
		if it.Kind != KindResource || !ok {
			rest = append(rest, it)
			continue
		}
		if r.Version != it.Version || r.NextDueAt == nil || r.NextDueAt.After(now) {
			continue // someone else acted, or not due: nothing to do
		}
		if st, ok := s.resourceStepFor(r, now); ok {
			st.item = it
			steps = append(steps, st)
			continue
		}
		rest = append(rest, it)
	}
	return rest, steps
}

// resourceStepFor tells whether r's due work at now is a lifecycle change
// or a new due time only (the rest of runResource's cases call out or
// charge: they run alone).
func (s *Service) resourceStepFor(r Resource, now time.Time) (resourceStep, bool) {
	if len(r.SellerCalls) > 0 && !r.SellerCalls[0].NextAt.After(now) || usageDue(r, now) {
		return resourceStep{}, false
	}
	expiry, ok := lifecycleExpiry(r)
	if !ok || !live(r.Status) {
		return resourceStep{r: r}, true
	}
	if s.autoRenewDue(r, now) {
		return resourceStep{}, false
	}
	want := ResourceStatus(billing.LifecycleState(s.cfg, expiry, now))
	if want == r.Status {
		return resourceStep{r: r}, true
	}
	if want == ResourceReleased && r.PendingOrderID != "" {
		// A release may cancel a held unsubscription (changeLifecycle),
		// which the batch's resource-only writes cannot.
		return resourceStep{}, false
	}
	if (want == ResourceRetention || want == ResourceReleased) && hasInstance(r.Delivery) && r.App.InstanceID == "" {
		// The seller's instance may be known from the original order only
		// (instanceOf), which the batch does not read.
		return resourceStep{}, false
	}
	return resourceStep{r: r, want: want, expiry: expiry}, true
}

// applyResourceSteps applies steps in one transaction and returns the
// resources that now owe the seller a call (made after the commit). Each
// step writes the version it was planned from, which the store checks: if
// anyone acted on one of them since, the transaction fails with a
// conflict and the caller runs the items one by one (each re-reads). The
// transaction is not retried as a whole for the same reason.
func (s *Service) applyResourceSteps(ctx context.Context, steps []resourceStep, now time.Time) ([]string, error) {
	var calls []string
	err := s.store.Update(ctx, func(tx Tx) error {
		calls = calls[:0]
		for _, st := range steps {
			call, err := s.applyResourceStep(tx, st, now)
			if err != nil {
				return err
			}
			if call {
				calls = append(calls, st.r.ID)
			}
		}
		return nil
	})
	return calls, err
}

// applyResourceStep writes st in tx: the lifecycle change with its event,
// or the new due time. It reports whether the resource now owes the
// seller a call (to make after the commit).
//
// Errors: the store's, from the Put (a *ConflictError when the resource
// is no longer at the version st was planned from) or the event.
func (s *Service) applyResourceStep(tx Tx, st resourceStep, now time.Time) (bool, error) {
	cur := st.r
	if st.want == "" {
		s.scheduleResource(&cur, now)
		return false, tx.PutResource(&cur)
	}
	if err := s.changeLifecycle(tx, &cur, st.want, st.expiry, now); err != nil {
		return false, err
	}
	return len(cur.SellerCalls) > 0, nil
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
// is refunded, and so is a pending charge through a port outside the
// store (Order.PendingCharge: the buyer paid as the window closed, or the
// payment's commit failed after the charge).
func (s *Service) expireUnpaid(ctx context.Context, o Order) error {
	charged, refund := false, false
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
		refund = cur.RefundAmount != nil // the pending charge's
		if charged && !refund {
			refund = true
			if err := s.refundLater(tx, &cur, cur.Amount, s.now()); err != nil {
				return err
			}
			return tx.PutOrder(&cur)
		}
		return nil
	})
	if err != nil || !refund {
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
		return s.completeOrder(tx, &cur, now, nil)
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
