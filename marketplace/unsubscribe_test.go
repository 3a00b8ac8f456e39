package marketplace_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
	"github.com/opengallery/opengallery/supervision"
)

// TestUnsubscribeIdempotent: an image unsubscription under an idempotency
// key happens once; a repeat returns the same order, another resource
// under the same key is refused.
func TestUnsubscribeIdempotent(t *testing.T) {
	e := newEnv(t)
	quick := &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}
	in := marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1, Image: quick}}
	o1 := e.buy(buyer, in, &pw)
	o2 := e.buy(buyer, in, &pw)
	e.advance(24 * time.Hour)
	_, err := e.svc.UnsubscribeResource(ctx, buyer, marketplace.UnsubscribeInput{ResourceID: o1.ResourceID})
	wantErr(t, err, marketplace.ErrInvalidInput)
	before := e.balance("alice")
	in1 := marketplace.UnsubscribeInput{ResourceID: o1.ResourceID, IdempotencyKey: "u1"}
	first := must(e.svc.UnsubscribeResource(ctx, buyer, in1))(t)
	again := must(e.svc.UnsubscribeResource(ctx, buyer, in1))(t)
	if first.ID != again.ID || again.Status != marketplace.OrderCompleted {
		t.Fatalf("repeat gave %s (%s), first %s", again.ID, again.Status, first.ID)
	}
	if got, _ := e.balance("alice").Sub(before); !got.Equal(first.Amount) {
		t.Fatalf("refunded %s, want %s once", got, first.Amount)
	}
	if n := countOp(e.dep.Calls(), string(fake.OpRelease)); n != 1 {
		t.Fatalf("%d release calls", n)
	}
	_, err = e.svc.UnsubscribeResource(ctx, buyer, marketplace.UnsubscribeInput{ResourceID: o2.ResourceID, IdempotencyKey: "u1"})
	wantErr(t, err, marketplace.ErrIdempotencyMismatch)
	// Keys are per buyer: another buyer's key never returns alice's order.
	_, err = e.svc.UnsubscribeResource(ctx, other, in1)
	wantErr(t, err, marketplace.ErrNotFound)
	if got := e.resource(o2.ResourceID).Status; got != marketplace.ResourceActive {
		t.Fatalf("second resource %s", got)
	}
}

// TestNegotiatedRefundEndsSupervision: a negotiated unsubscription the
// seller agrees to ends the supervision flow and closes the original
// order in the same transaction: the buyer can no longer accept the
// delivery (which would make the refunded resource active again), and an
// operator can no longer terminate the flow with a second refund.
func TestNegotiatedRefundEndsSupervision(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil) // 900.00
	e.act(seller, o.FlowID, supervision.Deliver, func(in *marketplace.FlowActionInput) { in.Result = "key" })
	u := must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("900.00"), Reason: "changed my mind"}))(t)
	u = must(e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Agree: true, Comment: "ok"}))(t)
	if got := e.balance("alice"); !got.Equal(usd("10000.00")) {
		t.Fatalf("balance after a full negotiated refund: %s", got)
	}
	f := must(e.svc.GetFlow(ctx, operator, o.FlowID))(t)
	if f.Status != string(supervision.Terminated) || len(f.Available) != 0 {
		t.Fatalf("flow after the agreement: %s, actions %v", f.Status, f.Available)
	}
	if last := f.Records[len(f.Records)-1]; last.Action != supervision.Terminate || last.Actor.Role != supervision.System || last.Reason == "" {
		t.Fatalf("last record %+v", last)
	}
	if got := e.order(o.ID); got.Status != marketplace.OrderCompleted || got.NextDueAt != nil || got.RefundAmount != nil {
		t.Fatalf("original order after the agreement: %s due %v refund %v", got.Status, got.NextDueAt, got.RefundAmount)
	}
	// The request's refund order, the flow's end and the original order's
	// closing share one transaction: their events are consecutive.
	var seqs []int64
	for _, ev := range e.events() {
		if (ev.AggregateID == u.RefundOrderID && ev.Type == "order.created") || (ev.AggregateID == o.FlowID && ev.Type == "flow.terminate") ||
			(ev.AggregateID == o.ID && ev.Type == "order.completed") {
			seqs = append(seqs, ev.Seq)
		}
	}
	if len(seqs) != 3 || seqs[2]-seqs[0] > 5 {
		t.Fatalf("events %v", seqs)
	}

	_, err := e.svc.Act(ctx, buyer, marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.Accept})
	wantErr(t, err, marketplace.ErrNotAllowed)
	_, err = e.svc.Act(ctx, operator, marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.Terminate, Reason: "x", Refund: true})
	wantErr(t, err, marketplace.ErrNotAllowed)
	e.advance(30 * 24 * time.Hour)
	if r := e.resource(o.ResourceID); r.Status != marketplace.ResourceUnsubscribed || r.Term != nil {
		t.Fatalf("resource after a refused acceptance: %s term %v", r.Status, r.Term)
	}
	if got := e.balance("alice"); !got.Equal(usd("10000.00")) {
		t.Fatalf("balance after a refused termination: %s", got)
	}
}

// TestAcceptRefusedUnlessPending: a flow left open on a resource that has
// ended (stored before negotiated refunds ended their flows) cannot be
// accepted: acceptance starts only a pending resource.
func TestAcceptRefusedUnlessPending(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil)
	e.act(seller, o.FlowID, supervision.Deliver, func(in *marketplace.FlowActionInput) { in.Result = "key" })
	if err := e.store.Update(ctx, func(tx marketplace.Tx) error {
		r, err := tx.Resource(o.ResourceID)
		if err != nil {
			return err
		}
		r.Status = marketplace.ResourceUnsubscribed
		return tx.PutResource(&r)
	}); err != nil {
		t.Fatal(err)
	}
	before := must(e.svc.GetFlow(ctx, operator, o.FlowID))(t)
	_, err := e.svc.Act(ctx, buyer, marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.Accept})
	var se *marketplace.StateError
	if !errors.As(err, &se) || se.Kind != marketplace.KindResource || se.ID != o.ResourceID {
		t.Fatalf("accept on an unsubscribed resource: %v, want a *StateError", err)
	}
	if r := e.resource(o.ResourceID); r.Status != marketplace.ResourceUnsubscribed || r.Term != nil {
		t.Fatalf("resource %s term %v", r.Status, r.Term)
	}
	if f := must(e.svc.GetFlow(ctx, operator, o.FlowID))(t); f.Version != before.Version || f.Status != before.Status {
		t.Fatalf("flow written by a refused acceptance: %s v%d, was %s v%d", f.Status, f.Version, before.Status, before.Version)
	}
}

// noPanic runs f, failing the test instead of crashing it on a panic.
func noPanic(t *testing.T, name string, f func() error) (err error) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Errorf("%s panicked: %v", name, p)
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return f()
}

// TestUnsubscribeUndeliveredImage: an image whose deployment is still
// running has another transaction in progress, and one whose deployment
// failed (order cancelled and refunded) has ended: neither may be
// unsubscribed, and asking never panics on the missing term.
func TestUnsubscribeUndeliveredImage(t *testing.T) {
	for _, c := range []struct {
		name  string
		setup func(e *env)
		want  marketplace.UnsubscribeCheck
	}{
		{"deploying", func(e *env) { e.dep.Processing(fake.OpDeploy, 1) }, marketplace.UnsubscribeCheck{Reason: billing.ReasonInProgress}},
		{"deploy failed", func(e *env) { e.dep.Fail(fake.OpDeploy, provisioning.CodeInternal.Err("down"), 1) }, marketplace.UnsubscribeCheck{Reason: billing.ReasonUnsubscribed}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			c.setup(e)
			quick := &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}
			o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1, Image: quick}}, &pw)
			if r := e.resource(o.ResourceID); r.Term != nil {
				t.Fatalf("resource %s has a term", r.Status)
			}
			chk := must(e.svc.UnsubscribeEligibility(ctx, buyer, o.ResourceID))(t)
			if diff := cmp.Diff(c.want, chk); diff != "" {
				t.Errorf("eligibility (-want +got):\n%s", diff)
			}
			before := e.balance("alice")
			err := noPanic(t, "QuoteUnsubscribe", func() error { _, err := e.svc.QuoteUnsubscribe(ctx, buyer, o.ResourceID); return err })
			wantErr(t, err, billing.ErrNotRefundable)
			err = noPanic(t, "Unsubscribe", func() error { _, err := e.svc.Unsubscribe(ctx, buyer, o.ResourceID); return err })
			wantErr(t, err, billing.ErrNotRefundable)
			if got := e.balance("alice"); !got.Equal(before) {
				t.Errorf("balance %s, was %s", got, before)
			}
		})
	}
}

// TestFormulaRefundWithoutTerm: a formula refund of a resource without a
// term (stored that way by an older version or another writer) is a
// *StateError, not a panic.
func TestFormulaRefundWithoutTerm(t *testing.T) {
	e := newEnv(t)
	quick := &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1, Image: quick}}, &pw)
	if err := e.store.Update(ctx, func(tx marketplace.Tx) error {
		r, err := tx.Resource(o.ResourceID)
		if err != nil {
			return err
		}
		r.Term = nil
		return tx.PutResource(&r)
	}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		call func() error
	}{
		{"QuoteUnsubscribe", func() error { _, err := e.svc.QuoteUnsubscribe(ctx, buyer, o.ResourceID); return err }},
		{"Unsubscribe", func() error { _, err := e.svc.Unsubscribe(ctx, buyer, o.ResourceID); return err }},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := noPanic(t, c.name, c.call)
			var se *marketplace.StateError
			if !errors.As(err, &se) || se.ID != o.ResourceID {
				t.Fatalf("got %v, want a *StateError", err)
			}
		})
	}
	if r := e.resource(o.ResourceID); r.Status != marketplace.ResourceActive {
		t.Fatalf("resource %s", r.Status)
	}
}

// TestFailedSupervisedSaaSRefundedOnce: a supervised SaaS purchase whose
// provisioning failed is cancelled and refunded in full; it can then be
// neither proposed for a negotiated refund, nor refunded again through a
// request proposed before the failure that the seller agrees to later.
func TestFailedSupervisedSaaSRefundedOnce(t *testing.T) {
	e := newEnv(t)
	e.saas.Fail(provisioning.OpCreate, provisioning.CodeInternal.Err("down"), 0)
	in := marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasSup.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}
	early := e.buy(buyer, in, nil)
	u := must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: early.ResourceID, Amount: early.Amount, Reason: "slow"}))(t)
	late := e.buy(buyer, in, nil)
	for range 61 {
		e.advance(3 * time.Minute)
	}
	for _, id := range []string{early.ID, late.ID} {
		if got := e.order(id); got.Status != marketplace.OrderCancelled || got.RefundedAt == nil {
			t.Fatalf("order %s: %s refunded %v", id, got.Status, got.RefundedAt)
		}
	}
	if got := e.balance("alice"); !got.Equal(usd("10000.00")) {
		t.Fatalf("balance after the automatic refunds %s", got)
	}
	chk := must(e.svc.UnsubscribeEligibility(ctx, buyer, late.ResourceID))(t)
	if diff := cmp.Diff(marketplace.UnsubscribeCheck{Reason: billing.ReasonUnsubscribed}, chk); diff != "" {
		t.Errorf("eligibility of the failed purchase (-want +got):\n%s", diff)
	}
	_, err := e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: late.ResourceID, Amount: late.Amount, Reason: "never delivered"})
	wantErr(t, err, billing.ErrNotRefundable)
	_, err = e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Agree: true, Comment: "sorry"})
	wantErr(t, err, billing.ErrNotRefundable)
	if got := must(e.svc.GetUnsubscribeRequest(ctx, seller, u.ID))(t); got.Status != marketplace.UnsubscribeProposed || got.RefundOrderID != "" {
		t.Fatalf("request after a refused agreement: %+v", got)
	}
	if got := e.balance("alice"); !got.Equal(usd("10000.00")) {
		t.Errorf("paid twice %s, refunded more: balance %s", early.Amount, got)
	}
	// The seller may still close the request by rejecting it.
	must(e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Comment: "the order was refunded already"}))(t)
}

// TestConcurrentProposalsConflict: two proposals on one resource racing
// (the second commits after the first read its facts) do not both open:
// the loser is a *StateError, and only one refund can be agreed.
func TestConcurrentProposalsConflict(t *testing.T) {
	hs := &hookStore{Store: memory.New()}
	e := newEnvWithStore(t, hs)
	o := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil) // 900.00
	propose := func(reason string) (marketplace.UnsubscribeRequest, error) {
		return e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("900.00"), Reason: reason})
	}
	var second marketplace.UnsubscribeRequest
	var secondErr error
	hs.interleave("ListUnsubscribeRequests", func() { second, secondErr = propose("tab 2") })
	first, firstErr := propose("tab 1")
	if (firstErr == nil) == (secondErr == nil) {
		t.Fatalf("proposals: first %v, second %v; want exactly one refused", firstErr, secondErr)
	}
	won, lost := first, firstErr
	if firstErr == nil {
		lost = secondErr
	} else {
		won = second
	}
	var se *marketplace.StateError
	if !errors.As(lost, &se) || se.Kind != marketplace.KindResource || se.ID != o.ResourceID {
		t.Fatalf("refused proposal: %v, want a *StateError", lost)
	}
	wantErr(t, lost, marketplace.ErrConflict)
	if pg := must(e.svc.ListUnsubscribeRequests(ctx, seller, marketplace.UnsubscribeProposed, "", 0))(t); pg.Total != 1 || pg.Items[0].ID != won.ID {
		t.Fatalf("open requests %+v", pg.Items)
	}
	must(e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: won.ID, Agree: true}))(t)
	if got := e.balance("alice"); !got.Equal(usd("10000.00")) {
		t.Fatalf("balance %s after one full refund", got)
	}
	// Once decided, the buyer may not propose on the ended resource.
	_, err := propose("again")
	wantErr(t, err, billing.ErrNotRefundable)
}

// TestOneOpenProposal: a second proposal while one is open is a
// *StateError (as ProposeUnsubscribe documents); once the seller rejects
// the first, the buyer may propose again.
func TestOneOpenProposal(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil)
	u := must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("500.00"), Reason: "not needed"}))(t)
	if r := e.resource(o.ResourceID); r.UnsubscribeRequestID != u.ID {
		t.Fatalf("resource's open request %q, want %q", r.UnsubscribeRequestID, u.ID)
	}
	_, err := e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("400.00"), Reason: "again"})
	var se *marketplace.StateError
	if !errors.As(err, &se) || se.ID != o.ResourceID {
		t.Fatalf("second proposal: %v, want a *StateError", err)
	}
	if chk := must(e.svc.UnsubscribeEligibility(ctx, buyer, o.ResourceID))(t); chk.Allowed || chk.Reason != billing.ReasonInProgress {
		t.Fatalf("eligibility with an open request: %+v", chk)
	}
	must(e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Comment: "delivered"}))(t)
	if r := e.resource(o.ResourceID); r.UnsubscribeRequestID != "" {
		t.Fatalf("resource's open request after rejection %q", r.UnsubscribeRequestID)
	}
	must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("400.00"), Reason: "again"}))(t)
}

// TestDecideRefusesEndedResource: two requests left open on one resource
// (stored before proposals were recorded on the resource) cannot both be
// agreed: once the first has unsubscribed the resource, agreeing to the
// second is refused and refunds nothing.
func TestDecideRefusesEndedResource(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil)
	u1 := must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("900.00"), Reason: "tab 1"}))(t)
	u2 := u1
	u2.ID, u2.Reason, u2.Version = "unsub-legacy", "tab 2", 0
	if err := e.store.Update(ctx, func(tx marketplace.Tx) error { return tx.PutUnsubscribeRequest(&u2) }); err != nil {
		t.Fatal(err)
	}
	must(e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u1.ID, Agree: true}))(t)
	_, err := e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u2.ID, Agree: true})
	wantErr(t, err, billing.ErrNotRefundable)
	if got := e.balance("alice"); !got.Equal(usd("10000.00")) {
		t.Fatalf("balance %s: refunded more than paid", got)
	}
	if got := must(e.svc.GetUnsubscribeRequest(ctx, seller, u2.ID))(t); got.Status != marketplace.UnsubscribeProposed {
		t.Fatalf("refused request %s", got.Status)
	}
}
