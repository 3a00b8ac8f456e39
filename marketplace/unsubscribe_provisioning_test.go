package marketplace_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
	"github.com/opengallery/opengallery/supervision"
)

// createHookSaaS is the fake SaaS endpoint with a hook run once, after the
// next CreateInstance created the instance and before its answer reaches
// the marketplace: a change committed while the create call is in flight.
type createHookSaaS struct {
	*fake.SaaS
	hook func()
}

func (h *createHookSaaS) CreateInstance(ctx context.Context, req provisioning.CreateRequest) (provisioning.CreateResult, error) {
	res, err := h.SaaS.CreateInstance(ctx, req)
	if f := h.hook; f != nil {
		h.hook = nil
		f()
	}
	return res, err
}

// releases returns the instance ids the fake was asked to release.
func releases(s *fake.SaaS) []string {
	var out []string
	for _, c := range s.CallsTo(provisioning.OpRelease) {
		if req, ok := c.Request.(provisioning.ReleaseRequest); ok && c.Err == nil {
			out = append(out, req.InstanceID)
		}
	}
	return out
}

// endNegotiated ends a supervised purchase the one way a buyer can (a
// supervised product is not unsubscribed by formula): a full refund the
// seller agrees to.
func endNegotiated(e *env, o marketplace.Order) {
	u := must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: o.Amount, Reason: "too slow"}))(e.t)
	must(e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Agree: true, Comment: "ok"}))(e.t)
}

// TestUnsubscribeWhileAppInfoPending: a supervised SaaS purchase ended
// after the seller created the instance but before its app info arrived
// (the instance id is on the order, not yet on the resource) has the
// instance released at the seller; before, no release was queued and the
// instance kept running.
func TestUnsubscribeWhileAppInfoPending(t *testing.T) {
	e := newEnv(t)
	e.saas.Processing(provisioning.OpQuery, 0)
	in := marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasSup.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}
	o := e.buy(buyer, in, nil)
	inst := e.order(o.ID).Provisioning.InstanceID
	if inst == "" || e.order(o.ID).Provisioning.Phase != marketplace.PhaseQuery || e.resource(o.ResourceID).App.InstanceID != "" {
		t.Fatalf("setup: order %+v, resource app %+v", e.order(o.ID).Provisioning, e.resource(o.ResourceID).App)
	}
	endNegotiated(e, o)
	for range 3 {
		e.advance(time.Minute)
	}
	if diff := cmp.Diff([]string{inst}, releases(e.saas)); diff != "" {
		t.Errorf("released (-want +got):\n%s", diff)
	}
	if got, _ := e.saas.Instance(inst); got.State != fake.InstanceReleased {
		t.Errorf("instance %s at the seller", got.State)
	}
	r := e.resource(o.ResourceID)
	if r.Status != marketplace.ResourceUnsubscribed || len(r.SellerCalls) != 0 || r.App.InstanceID != "" {
		t.Errorf("resource %s, calls %+v, app %+v", r.Status, r.SellerCalls, r.App)
	}
	// The ended purchase is not polled on.
	n := len(e.saas.CallsTo(provisioning.OpQuery))
	e.advance(time.Hour)
	if m := len(e.saas.CallsTo(provisioning.OpQuery)); m != n {
		t.Errorf("still polling: %d query calls, then %d", n, m)
	}
}

// TestUnsubscribeWhileCreateInFlight: a supervised SaaS purchase ended
// while the create call is at the seller has the instance that call
// created released; before, the answer was dropped (the order had moved
// on) and the instance kept running with nobody knowing its id.
func TestUnsubscribeWhileCreateInFlight(t *testing.T) {
	hs := &createHookSaaS{SaaS: fake.NewSaaS()}
	e := newEnv(t, marketplace.WithSaaS(hs))
	e.saas = hs.SaaS
	// The call at payment is answered "processing": the runner
	// makes the create call that the unsubscription overtakes.
	hs.Processing(provisioning.OpCreate, 1)
	in := marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasSup.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}
	o := e.buy(buyer, in, nil)
	if pr := e.order(o.ID).Provisioning; pr.Phase != marketplace.PhaseCreate || pr.InstanceID != "" {
		t.Fatalf("setup: %+v", pr)
	}
	ended := false
	hs.hook = func() { endNegotiated(e, o); ended = true }
	for range 5 {
		e.advance(time.Minute)
	}
	if !ended {
		t.Fatal("the create call was not made")
	}
	insts := hs.Instances()
	if len(insts) != 1 {
		t.Fatalf("%d instances", len(insts))
	}
	inst := insts[0].ID
	if diff := cmp.Diff([]string{inst}, releases(hs.SaaS)); diff != "" {
		t.Errorf("released (-want +got):\n%s", diff)
	}
	if got, _ := hs.Instance(inst); got.State != fake.InstanceReleased {
		t.Errorf("instance %s at the seller", got.State)
	}
	r := e.resource(o.ResourceID)
	if r.Status != marketplace.ResourceUnsubscribed || len(r.SellerCalls) != 0 {
		t.Errorf("resource %s, calls %+v", r.Status, r.SellerCalls)
	}
	if got := e.order(o.ID); got.Provisioning.InstanceID != inst || got.Status != marketplace.OrderCompleted {
		t.Errorf("order %s, provisioning %+v", got.Status, got.Provisioning)
	}
}

// TestTerminateReleasesInstance: an operator who terminates a supervised
// SaaS purchase, with or without a refund, ends it at the seller too: the
// instance the seller created is released. Before, the resource was marked
// failed and the instance kept running at the seller.
func TestTerminateReleasesInstance(t *testing.T) {
	for _, refund := range []bool{false, true} {
		t.Run(map[bool]string{false: "without refund", true: "with refund"}[refund], func(t *testing.T) {
			e := newEnv(t)
			in := marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasSup.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}
			o := e.buy(buyer, in, nil)
			e.advance(time.Minute)
			inst := e.resource(o.ResourceID).App.InstanceID
			if inst == "" {
				inst = e.order(o.ID).Provisioning.InstanceID
			}
			if inst == "" {
				t.Fatalf("setup: no instance: order %+v", e.order(o.ID).Provisioning)
			}
			e.act(seller, o.FlowID, supervision.Appeal, func(in *marketplace.FlowActionInput) { in.Reason = "buyer silent" })
			e.act(operator, o.FlowID, supervision.Terminate, func(in *marketplace.FlowActionInput) { in.Reason = "closed"; in.Refund = refund })
			for range 3 {
				e.advance(time.Minute)
			}
			if diff := cmp.Diff([]string{inst}, releases(e.saas)); diff != "" {
				t.Errorf("released (-want +got):\n%s", diff)
			}
			if got, _ := e.saas.Instance(inst); got.State != fake.InstanceReleased {
				t.Errorf("instance %s at the seller", got.State)
			}
			if r := e.resource(o.ResourceID); r.Status != marketplace.ResourceFailed || len(r.SellerCalls) != 0 {
				t.Errorf("resource %s, calls %+v", r.Status, r.SellerCalls)
			}
		})
	}
}

// TestExpiryReleasesInstanceKnownFromOrder: a supervised SaaS purchase
// accepted while the seller's app info never arrived (the instance id is
// on the order only) is frozen and released at the seller when its
// lifecycle runs out. Before, the runner owed the seller nothing and the
// instance kept running.
func TestExpiryReleasesInstanceKnownFromOrder(t *testing.T) {
	e := newEnv(t)
	e.saas.Processing(provisioning.OpQuery, 0)
	in := marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasSup.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}
	o := e.buy(buyer, in, nil)
	inst := e.order(o.ID).Provisioning.InstanceID
	if inst == "" {
		t.Fatalf("setup: %+v", e.order(o.ID).Provisioning)
	}
	e.act(buyer, o.FlowID, supervision.SubmitRequest, func(in *marketplace.FlowActionInput) {
		in.Description = "x"
		in.Attachments = []supervision.Attachment{{Name: "r.pdf", Size: 1, BlobRef: "blob-1"}}
	})
	e.act(seller, o.FlowID, supervision.ConfirmRequest)
	e.act(seller, o.FlowID, supervision.Deliver, func(in *marketplace.FlowActionInput) { in.Result = "done" })
	e.act(operator, o.FlowID, supervision.ApproveDelivery)
	e.act(buyer, o.FlowID, supervision.Accept)
	r := e.resource(o.ResourceID)
	if r.Status != marketplace.ResourceActive || r.App.InstanceID != "" || r.ExpiresAt == nil {
		t.Fatalf("setup: resource %s app %+v", r.Status, r.App)
	}
	e.advanceTo(r.ExpiresAt.Add(40*24*time.Hour), 12*time.Hour)
	if r = e.resource(o.ResourceID); r.Status != marketplace.ResourceReleased {
		t.Fatalf("resource %s", r.Status)
	}
	if diff := cmp.Diff([]string{inst}, releases(e.saas)); diff != "" {
		t.Errorf("released (-want +got):\n%s", diff)
	}
	var froze []string
	for _, c := range e.saas.CallsTo(provisioning.OpUpdateStatus) {
		if req, ok := c.Request.(provisioning.StatusRequest); ok && c.Err == nil {
			froze = append(froze, req.InstanceID)
		}
	}
	if len(froze) == 0 || froze[0] != inst {
		t.Errorf("frozen %v, want %s first", froze, inst)
	}
}
