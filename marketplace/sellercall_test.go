package marketplace_test

import (
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
)

// countEvents counts an aggregate's events of a type.
func (e *env) countEvents(aggregate, typ string) int {
	n := 0
	for _, ev := range e.events() {
		if ev.AggregateID == aggregate && ev.Type == typ {
			n++
		}
	}
	return n
}

// TestSellerCallsRetried: calls owed to the seller (refresh, freeze,
// release) sit in the resource's outbox and are retried by the runner
// under the delivery policy (once a minute for an hour): each succeeds
// exactly once, and an exhausted policy is recorded.
func TestSellerCallsRetried(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	rid := o.ResourceID
	inst := e.resource(rid).App.InstanceID

	// A renewal's refresh fails three times, then goes through once.
	e.saas.Fail(provisioning.OpRefresh, provisioning.CodeInternal.Err("down"), 3)
	ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: rid, Duration: 1, IdempotencyKey: "r1"}))(t)
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ro.ID}))(t)
	r := e.resource(rid)
	if len(r.SellerCalls) != 1 || r.SellerCalls[0].Op != marketplace.CallRefresh || r.SellerCalls[0].Attempts != 1 || r.NextDueAt == nil {
		t.Fatalf("outbox after the first failure: %+v", r.SellerCalls)
	}
	for range 3 {
		e.advance(time.Minute)
	}
	if r = e.resource(rid); len(r.SellerCalls) != 0 {
		t.Fatalf("outbox after success: %+v", r.SellerCalls)
	}
	in, _ := e.saas.Instance(inst)
	if len(in.Refreshes) != 1 || !in.Refreshes[0].ExpiresAt.Equal(*r.ExpiresAt) || in.Refreshes[0].OrderID != ro.ID {
		t.Fatalf("refreshes %+v", in.Refreshes)
	}
	e.advance(time.Hour)
	if n := len(e.saas.CallsTo(provisioning.OpRefresh)); n != 4 {
		t.Fatalf("%d refresh calls, want 4", n)
	}
	if n := e.countEvents(rid, "resource.seller_call_failed"); n != 3 {
		t.Fatalf("%d failure events", n)
	}
	if n := e.countEvents(rid, "resource.seller_call_done"); n != 1 {
		t.Fatalf("%d done events", n)
	}

	// The freeze at retention fails for good: 61 calls in the hour, then
	// the exhausted policy is recorded and nothing more is tried.
	e.advanceTo(r.ExpiresAt.Add(time.Second), 12*time.Hour)
	r = e.resource(rid)
	if r.Status != marketplace.ResourceGrace {
		t.Fatalf("status %s", r.Status)
	}
	e.saas.Fail(provisioning.OpUpdateStatus, provisioning.CodeInternal.Err("down"), 0)
	e.advanceTo(r.GraceEndsAt.Add(time.Second), time.Hour)
	if got := e.resource(rid); got.Status != marketplace.ResourceRetention || len(got.SellerCalls) != 1 {
		t.Fatalf("retention: %s %+v", got.Status, got.SellerCalls)
	}
	for range 70 {
		e.advance(time.Minute)
	}
	if n := len(e.saas.CallsTo(provisioning.OpUpdateStatus)); n != 61 {
		t.Fatalf("%d freeze calls, want 61 (1 + an hour of retries)", n)
	}
	if got := e.resource(rid); len(got.SellerCalls) != 0 || !e.hasEvent(rid, "resource.seller_call_exhausted") {
		t.Fatalf("exhaustion not recorded: %+v", got.SellerCalls)
	}

	// The release at the end is made once, after one failure.
	e.saas.ClearFaults()
	e.saas.Fail(provisioning.OpRelease, provisioning.CodeInternal.Err("down"), 1)
	e.advanceTo(r.RetentionEndsAt.Add(time.Second), time.Hour)
	e.advance(time.Minute)
	e.advance(time.Hour)
	if got := e.resource(rid); got.Status != marketplace.ResourceReleased || len(got.SellerCalls) != 0 {
		t.Fatalf("release: %s %+v", got.Status, got.SellerCalls)
	}
	if n := len(e.saas.CallsTo(provisioning.OpRelease)); n != 2 {
		t.Fatalf("%d release calls, want 2", n)
	}
	if in, _ := e.saas.Instance(inst); in.State != fake.InstanceReleased {
		t.Fatalf("instance %s", in.State)
	}
}

// TestSellerCallRefused: a seller answer that retrying cannot change (an
// invalid parameter) ends the call at once, recorded as exhausted; an
// upgrade call that fails is retried like the others.
func TestSellerCallRefused(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	rid := o.ResourceID
	e.saas.Fail(provisioning.OpRefresh, provisioning.CodeInvalidParameter.Err("bad expiry"), 1)
	ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: rid, Duration: 1, IdempotencyKey: "r"}))(t)
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ro.ID}))(t)
	if r := e.resource(rid); len(r.SellerCalls) != 0 || !e.hasEvent(rid, "resource.seller_call_exhausted") {
		t.Fatalf("refused refresh: %+v", r.SellerCalls)
	}
	e.saas.Fail(provisioning.OpUpgrade, provisioning.ErrUnavailable, 2)
	uo := must(e.svc.Upgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: rid, Quantity: 3, IdempotencyKey: "u"}))(t)
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: uo.ID}))(t)
	e.advance(time.Minute)
	e.advance(time.Minute)
	in, _ := e.saas.Instance(e.resource(rid).App.InstanceID)
	if len(in.Upgrades) != 1 || in.Upgrades[0].OrderID != uo.ID || len(e.saas.CallsTo(provisioning.OpUpgrade)) != 3 {
		t.Fatalf("upgrades %+v after %d calls", in.Upgrades, len(e.saas.CallsTo(provisioning.OpUpgrade)))
	}
}
