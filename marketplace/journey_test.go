package marketplace_test

import (
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/supervision"
)

// TestJourneyLicense: search → details → quote → order → pay → license
// flow (seller delivers, buyer accepts) → completed 3 hours later →
// purchased apps → renew → expire → grace → retention → release.
func TestJourneyLicense(t *testing.T) {
	e := newEnv(t)
	pg := must(e.svc.Search(ctx, buyer, marketplace.SearchInput{Text: "antivir", Delivery: marketplace.DeliveryLicense}))(t)
	if pg.Total != 1 || pg.Items[0].ID != e.license.ID {
		t.Fatalf("search: %+v", pg)
	}
	p := must(e.svc.GetProduct(ctx, buyer, e.license.ID))(t)
	q := must(e.svc.Quote(ctx, buyer, marketplace.QuoteInput{ProductID: p.ID, SpecID: "std", Mode: billing.Yearly, Duration: 1}))(t)
	if !q.Total.Equal(usd("900.00")) {
		t.Fatalf("quote %s, want 900.00 USD", q.Total)
	}
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "std", Mode: billing.Yearly, Duration: 1}}, nil)
	if o.Status != marketplace.OrderProcessing || o.FlowID == "" || !o.Amount.Equal(usd("900.00")) {
		t.Fatalf("paid order: %+v", o)
	}
	if got := e.balance("alice"); !got.Equal(usd("9100.00")) {
		t.Fatalf("balance %s after paying 900", got)
	}
	fv := must(e.svc.GetFlow(ctx, seller, o.FlowID))(t)
	if fv.Supervision.Status != supervision.AwaitingDelivery || len(fv.Available) == 0 {
		t.Fatalf("license flow starts waiting for the seller: %+v", fv)
	}
	// Licenses appear in Purchased Apps at once, pending.
	apps := must(e.svc.ListPurchasedApps(ctx, buyer, marketplace.ListAppsInput{}))(t)
	if apps.Total != 1 || apps.Items[0].Status != marketplace.ResourcePending || apps.Items[0].Seller.SellerName != "Contoso Software" {
		t.Fatalf("purchased apps before delivery: %+v", apps)
	}
	e.clock.Advance(24 * time.Hour)
	e.act(seller, o.FlowID, supervision.Deliver, func(in *marketplace.FlowActionInput) { in.Result = "License key: ABCD-EFGH" })
	e.clock.Advance(2 * time.Hour)
	f := e.act(buyer, o.FlowID, supervision.Accept)
	acceptedAt := e.clock.Now()
	if f.Supervision.Status != supervision.Completed || len(f.Records) != 2 {
		t.Fatalf("after acceptance: %+v", f)
	}
	if got := e.order(o.ID); got.Status != marketplace.OrderProcessing || got.AcceptedAt == nil {
		t.Fatalf("order right after acceptance: %s", got.Status)
	}
	e.advance(2*time.Hour + 59*time.Minute)
	if got := e.order(o.ID); got.Status != marketplace.OrderProcessing {
		t.Fatalf("order completed before 3 hours: %s", got.Status)
	}
	e.advance(time.Minute)
	if got := e.order(o.ID); got.Status != marketplace.OrderCompleted {
		t.Fatalf("order 3 hours after acceptance: %s", got.Status)
	}
	r := e.resource(o.ResourceID)
	// The year runs from acceptance: 2026-01-06 20:30 GMT+08:00 → 2027-01-06 23:59:59 GMT+08:00.
	wantExpiry := time.Date(2027, 1, 6, 15, 59, 59, 0, time.UTC)
	if r.Status != marketplace.ResourceActive || !r.ExpiresAt.Equal(wantExpiry) || !r.EffectiveAt.Equal(acceptedAt) {
		t.Fatalf("resource: status %s expires %v (want %v) effective %v (want %v)", r.Status, r.ExpiresAt, wantExpiry, r.EffectiveAt, acceptedAt)
	}
	app := must(e.svc.GetPurchasedApp(ctx, buyer, r.ID))(t)
	if app.Remaining == "" || app.Seller.SupportRange != "9-18 Mon-Fri" {
		t.Fatalf("purchased app: %+v", app)
	}
	// Renew for a year: from the original expiry, no new flow.
	ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: r.ID, Duration: 1, IdempotencyKey: "renew-1"}))(t)
	if ro.Kind != marketplace.OrderRenewal || !ro.Amount.Equal(usd("900.00")) {
		t.Fatalf("renewal order: %+v", ro)
	}
	// A second renewal while the first is unpaid is refused.
	_, err := e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: r.ID, Duration: 1, IdempotencyKey: "renew-2"})
	wantErr(t, err, billing.ErrNotRenewable)
	ro = must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ro.ID}))(t)
	if ro.Status != marketplace.OrderCompleted || ro.FlowID != "" {
		t.Fatalf("paid renewal: %+v", ro)
	}
	r = e.resource(r.ID)
	wantExpiry = time.Date(2028, 1, 6, 15, 59, 59, 0, time.UTC)
	if !r.ExpiresAt.Equal(wantExpiry) {
		t.Fatalf("renewed expiry %v, want %v", r.ExpiresAt, wantExpiry)
	}
	// Expire: grace the next second, retention 15 days later, release 15 days after that.
	e.advanceTo(wantExpiry.Add(time.Second), 30*24*time.Hour)
	if got := e.resource(r.ID).Status; got != marketplace.ResourceGrace {
		t.Fatalf("after expiry: %s", got)
	}
	e.advance(15 * 24 * time.Hour)
	if got := e.resource(r.ID).Status; got != marketplace.ResourceRetention {
		t.Fatalf("after grace: %s", got)
	}
	e.advance(15 * 24 * time.Hour)
	if got := e.resource(r.ID); got.Status != marketplace.ResourceReleased || got.NextDueAt != nil {
		t.Fatalf("after retention: %s due %v", got.Status, got.NextDueAt)
	}
	// Released resources cannot be renewed; running again changes nothing.
	_, err = e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: r.ID, Duration: 1, IdempotencyKey: "renew-3"})
	wantErr(t, err, billing.ErrNotRenewable)
	n := len(e.events())
	e.advance(time.Hour)
	if len(e.events()) != n {
		t.Fatal("RunDue did something twice")
	}
}
