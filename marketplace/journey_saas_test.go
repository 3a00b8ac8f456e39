package marketplace_test

import (
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
	"github.com/opengallery/opengallery/supervision"
)

// TestJourneySaaSSupervisedNoReview: a supervised SaaS product without
// platform review, from search to release: provisioned at payment, app
// info on the flow only, the buyer accepts the seller's delivery directly,
// completed 3 hours later, then in Purchased Apps; upgraded, renewed,
// expired, frozen at the seller in retention and released there.
func TestJourneySaaSSupervisedNoReview(t *testing.T) {
	e := newEnv(t)
	p := e.publish(seller, saasInput("Helpdesk Suite", true, false))
	pg := must(e.svc.Search(ctx, buyer, marketplace.SearchInput{Text: "helpdesk", Delivery: marketplace.DeliverySaaS, Mode: billing.Yearly}))(t)
	if pg.Total != 1 || pg.Items[0].ID != p.ID {
		t.Fatalf("search: %+v", pg)
	}
	got := must(e.svc.GetProduct(ctx, buyer, p.ID))(t)
	qi := marketplace.QuoteInput{ProductID: got.ID, SpecID: "basic", Mode: billing.Yearly, Duration: 1, Quantity: 2}
	if q := must(e.svc.Quote(ctx, buyer, qi))(t); !q.Total.Equal(usd("100.00")) {
		t.Fatalf("quote %s", q.Total)
	}
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: qi}, nil)
	if o.Status != marketplace.OrderProcessing || o.Provisioning.Phase != marketplace.PhaseDone || o.FlowID == "" {
		t.Fatalf("paid order %s %s", o.Status, o.Provisioning.Phase)
	}
	if apps := must(e.svc.ListPurchasedApps(ctx, buyer, marketplace.ListAppsInput{}))(t); apps.Total != 0 {
		t.Fatal("in Purchased Apps before supervision completed")
	}
	if fv := must(e.svc.GetFlow(ctx, buyer, o.FlowID))(t); fv.App == nil || fv.App.FrontEndURL == "" {
		t.Fatalf("no app info on the flow: %+v", fv.App)
	}
	attach := []supervision.Attachment{{Name: "needs.pdf", Size: 10, BlobRef: "blob://n"}}
	e.act(buyer, o.FlowID, supervision.SubmitRequest, func(in *marketplace.FlowActionInput) { in.Description = "Two agents"; in.Attachments = attach })
	e.act(seller, o.FlowID, supervision.ConfirmRequest)
	f := e.act(seller, o.FlowID, supervision.Deliver, func(in *marketplace.FlowActionInput) { in.Result = "configured" })
	if f.Supervision.Status != supervision.AwaitingAcceptance {
		t.Fatalf("without review the delivery goes to the buyer: %s", f.Supervision.Status)
	}
	e.act(buyer, o.FlowID, supervision.Accept)
	e.advance(3 * time.Hour)
	if s := e.order(o.ID).Status; s != marketplace.OrderCompleted {
		t.Fatalf("order 3 hours after acceptance: %s", s)
	}
	apps := must(e.svc.ListPurchasedApps(ctx, buyer, marketplace.ListAppsInput{}))(t)
	if apps.Total != 1 || apps.Items[0].Status != marketplace.ResourceActive || apps.Items[0].ExpiresAt == nil {
		t.Fatalf("purchased apps %+v", apps)
	}
	rid := o.ResourceID
	// Upgrade 2 → 4 licenses: paid, then applied at the seller.
	e.advance(30 * 24 * time.Hour)
	uo := must(e.svc.Upgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: rid, Quantity: 4, IdempotencyKey: "up"}))(t)
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: uo.ID}))(t)
	inst := e.resource(rid).App.InstanceID
	if in, _ := e.saas.Instance(inst); len(in.Upgrades) != 1 || e.resource(rid).Quantity != 4 {
		t.Fatalf("upgrade: %d calls, quantity %d", len(in.Upgrades), e.resource(rid).Quantity)
	}
	// Renew a year: no new flow, a refresh with the new expiry.
	ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: rid, Duration: 1, IdempotencyKey: "re"}))(t)
	ro = must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ro.ID}))(t)
	r := e.resource(rid)
	if in, _ := e.saas.Instance(inst); ro.FlowID != "" || len(in.Refreshes) != 1 || !in.Refreshes[0].ExpiresAt.Equal(*r.ExpiresAt) {
		t.Fatalf("renewal: flow %q, refreshes %+v", ro.FlowID, in.Refreshes)
	}
	// Expire → grace → retention (frozen) → release.
	e.advanceTo(r.ExpiresAt.Add(time.Second), 30*24*time.Hour)
	if s := e.resource(rid).Status; s != marketplace.ResourceGrace {
		t.Fatalf("after expiry %s", s)
	}
	e.advance(15 * 24 * time.Hour)
	if in, _ := e.saas.Instance(inst); e.resource(rid).Status != marketplace.ResourceRetention || in.State != fake.InstanceFrozen {
		t.Fatalf("retention: %s, instance %s", e.resource(rid).Status, in.State)
	}
	e.advance(15 * 24 * time.Hour)
	if in, _ := e.saas.Instance(inst); e.resource(rid).Status != marketplace.ResourceReleased || in.State != fake.InstanceReleased {
		t.Fatalf("release: %s, instance %s", e.resource(rid).Status, in.State)
	}
	if n := len(e.saas.CallsTo(provisioning.OpRelease)); n != 1 {
		t.Fatalf("%d release calls", n)
	}
}
