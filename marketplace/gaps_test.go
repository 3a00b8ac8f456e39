package marketplace_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
	"github.com/opengallery/opengallery/supervision"
)

// TestProvisioningFailureTerminatesFlow: a supervised SaaS order whose
// create never succeeds is cancelled and refunded, and its supervision
// flow is terminated by the system with an operation record, in the same
// update.
func TestProvisioningFailureTerminatesFlow(t *testing.T) {
	e := newEnv(t)
	e.saas.Fail(provisioning.OpCreate, provisioning.CodeInternal.Err("down"), 0)
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasSup.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	if o.FlowID == "" {
		t.Fatal("no flow")
	}
	for range 61 {
		e.advance(3 * time.Minute)
	}
	got := e.order(o.ID)
	if got.Status != marketplace.OrderCancelled || got.RefundedAt == nil {
		t.Fatalf("order %s refunded %v", got.Status, got.RefundedAt)
	}
	f := must(e.svc.GetFlow(ctx, operator, o.FlowID))(t)
	if f.Status != string(supervision.Terminated) || f.Supervision.TerminatedAt.IsZero() {
		t.Fatalf("flow %s", f.Status)
	}
	last := f.Records[len(f.Records)-1]
	if last.Action != supervision.Terminate || last.Actor.Role != supervision.System || last.From != supervision.AwaitingRequest ||
		last.Seq != f.Supervision.Seq || last.Reason == "" {
		t.Fatalf("record %+v", last)
	}
	if len(f.Available) != 0 {
		t.Fatalf("actions still available: %v", f.Available)
	}
	// The cancellation, the flow's end and the resource's failure share one
	// transaction: their events are consecutive.
	var seqs []int64
	for _, ev := range e.events() {
		if (ev.AggregateID == o.ID && ev.Type == "order.cancelled") || (ev.AggregateID == o.FlowID && ev.Type == "flow.terminate") ||
			(ev.AggregateID == o.ResourceID && ev.Type == "resource.failed") {
			seqs = append(seqs, ev.Seq)
		}
	}
	if len(seqs) != 3 || seqs[2]-seqs[0] != 2 {
		t.Fatalf("events %v", seqs)
	}
	// A buyer's action on the ended flow is refused.
	_, err := e.svc.Act(ctx, buyer, marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.SubmitRequest, Description: "x",
		Attachments: []supervision.Attachment{{Name: "a.pdf", Size: 1, BlobRef: "blob://a"}}})
	wantErr(t, err, marketplace.ErrNotAllowed)
}

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

// TestRefundReview: a refund above the 7,000 USD threshold is held for an
// operator. Rejected: nothing is paid, the unsubscription is cancelled and
// the buyer keeps the resource, with the reason. Approved: the refund is
// paid and the resource ends. With auto-approval configured, the runner
// approves it after 24 hours.
func TestRefundReview(t *testing.T) {
	e := newEnv(t)
	big := e.publish(seller, licenseInput("Enterprise License", billing.Yearly, "8000.00"))
	o := e.buy(buyer, licenseOrder(e, big, billing.Yearly), nil)
	propose := func(amount string) marketplace.UnsubscribeRequest {
		t.Helper()
		u := must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd(amount), Reason: "not needed"}))(t)
		return must(e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Agree: true}))(t)
	}
	before := e.balance("alice")
	u := propose("7500.00")
	if u.Status != marketplace.UnsubscribeAgreed {
		t.Fatalf("request %s", u.Status)
	}
	held := e.order(u.RefundOrderID)
	if held.RefundReview == nil || held.RefundReview.Status != marketplace.RefundReviewPending || held.RefundedAt != nil || held.NextDueAt != nil {
		t.Fatalf("held order %+v", held)
	}
	if r := e.resource(o.ResourceID); r.Status != marketplace.ResourcePending || r.PendingOrderID != held.ID {
		t.Fatalf("resource while held: %s pending %q", r.Status, r.PendingOrderID)
	}
	e.advance(48 * time.Hour) // no auto-approval configured: still held
	if got := e.order(held.ID); got.RefundReview.Status != marketplace.RefundReviewPending {
		t.Fatalf("review %s", got.RefundReview.Status)
	}
	pg := must(e.svc.RefundReviews(ctx, operator, "", 0))(t)
	if pg.Total != 1 || pg.Items[0].ID != held.ID {
		t.Fatalf("pending reviews %+v", pg)
	}
	_, err := e.svc.RefundReviews(ctx, operator, "x", 0)
	wantErr(t, err, marketplace.ErrInvalidInput)
	_, err = e.svc.ReviewRefund(ctx, operator, marketplace.RefundDecisionInput{OrderID: held.ID})
	wantErr(t, err, marketplace.ErrInvalidInput) // a rejection needs a reason
	rej := must(e.svc.ReviewRefund(ctx, operator, marketplace.RefundDecisionInput{OrderID: held.ID, Reason: "service was delivered"}))(t)
	if rej.Status != marketplace.OrderCancelled || rej.RefundReview.Status != marketplace.RefundReviewRejected || rej.RefundReview.Reason != "service was delivered" {
		t.Fatalf("rejected order %+v", rej)
	}
	_, err = e.svc.ReviewRefund(ctx, operator, marketplace.RefundDecisionInput{OrderID: held.ID, Approve: true})
	wantErr(t, err, marketplace.ErrConflict) // decided already
	if got := must(e.svc.GetOrder(ctx, buyer, held.ID))(t); got.RefundReview.Reason == "" {
		t.Fatal("the buyer does not see the reason")
	}
	if got := e.balance("alice"); !got.Equal(before) {
		t.Fatalf("balance after rejection %s, want %s", got, before)
	}
	if r := e.resource(o.ResourceID); r.Status == marketplace.ResourceUnsubscribed || r.PendingOrderID != "" {
		t.Fatalf("resource after rejection: %s pending %q", r.Status, r.PendingOrderID)
	}
	if got := must(e.svc.ListUnsubscribeRequests(ctx, buyer, marketplace.UnsubscribeRejected, "", 0))(t); got.Total != 1 {
		t.Fatalf("rejected requests %d", got.Total)
	}
	// The buyer proposes again; this time the operator approves.
	u = propose("7200.00")
	appr := must(e.svc.ReviewRefund(ctx, operator, marketplace.RefundDecisionInput{OrderID: u.RefundOrderID, Approve: true}))(t)
	if appr.Status != marketplace.OrderCompleted || appr.RefundedAt == nil || appr.RefundReview.DecidedBy != operator.ID {
		t.Fatalf("approved order %+v", appr)
	}
	if got, _ := e.balance("alice").Sub(before); !got.Equal(usd("7200.00")) {
		t.Fatalf("refunded %s", got)
	}
	if r := e.resource(o.ResourceID); r.Status != marketplace.ResourceUnsubscribed {
		t.Fatalf("resource after approval %s", r.Status)
	}
	if got := must(e.svc.RefundReviews(ctx, operator, "", 0))(t); got.Total != 0 {
		t.Fatalf("pending after decisions %d", got.Total)
	}
	for _, a := range []marketplace.Actor{buyer, seller, marketplace.SystemActor()} {
		_, err := e.svc.RefundReviews(ctx, a, "", 0)
		wantErr(t, err, marketplace.ErrNotAllowed)
		_, err = e.svc.ReviewRefund(ctx, a, marketplace.RefundDecisionInput{OrderID: held.ID, Approve: true})
		wantErr(t, err, marketplace.ErrNotAllowed)
	}
	_, err = e.svc.ReviewRefund(ctx, operator, marketplace.RefundDecisionInput{OrderID: "nope", Approve: true})
	wantErr(t, err, marketplace.ErrNotFound)
}

// TestRefundReviewAutoApprove: with billing's RefundReviewAutoApprove set,
// a held refund is approved by the runner when the time runs out, once.
func TestRefundReviewAutoApprove(t *testing.T) {
	cfg := billing.DefaultConfig()
	cfg.RefundReviewAutoApprove = 24 * time.Hour
	e := newEnv(t, marketplace.WithBillingConfig(cfg))
	big := e.publish(seller, licenseInput("Enterprise License", billing.Yearly, "8000.00"))
	o := e.buy(buyer, licenseOrder(e, big, billing.Yearly), nil)
	u := must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("8000.00"), Reason: "wrong product"}))(t)
	u = must(e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Agree: true}))(t)
	before := e.balance("alice")
	e.advance(23 * time.Hour)
	if got := e.order(u.RefundOrderID); got.RefundedAt != nil {
		t.Fatal("approved early")
	}
	e.advance(time.Hour)
	got := e.order(u.RefundOrderID)
	if got.RefundedAt == nil || got.RefundReview.Status != marketplace.RefundReviewApproved || got.RefundReview.DecidedBy != "system" {
		t.Fatalf("after 24 h: %+v", got.RefundReview)
	}
	e.advance(24 * time.Hour)
	if diff, _ := e.balance("alice").Sub(before); !diff.Equal(usd("8000.00")) {
		t.Fatalf("refunded %s, want once", diff)
	}
	if n := e.countEvents(got.ID, "order.refund_approved"); n != 1 {
		t.Fatalf("%d approvals", n)
	}
}

// TestPayPerUse: a pay-per-use subscription is charged by the hour in
// arrears from its quote's hourly rate, all whole hours at each run (each
// hour once, under its own key). A declined charge puts it in arrears:
// grace, then retention (frozen at the seller) from the arrears date; a
// top-up clears the arrears, pays the owed hours and unfreezes it. One
// left in arrears is released at the end of retention.
func TestPayPerUse(t *testing.T) {
	e := newEnv(t)
	p := e.metered("Metered API", "0.10")
	carol, dave := marketplace.BuyerActor("carol"), marketplace.BuyerActor("dave")
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "carol", Amount: usd("20.00")}))(t)
	buy := func(as marketplace.Actor) marketplace.Resource {
		t.Helper()
		o := e.buy(as, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "meter", Mode: billing.PayPerUse}}, nil)
		if o.Status != marketplace.OrderCompleted || !o.Amount.IsZero() || o.HourlyRate == nil || !o.HourlyRate.Equal(usd("0.10")) {
			t.Fatalf("order %s amount %s rate %v", o.Status, o.Amount, o.HourlyRate)
		}
		return e.resource(o.ResourceID)
	}
	r := buy(carol)
	if r.Usage == nil || r.NextDueAt == nil || !r.NextDueAt.Equal(r.Usage.Start.Add(time.Hour)) {
		t.Fatalf("usage %+v due %v", r.Usage, r.NextDueAt)
	}
	usage := func(hours int, charged, balance string) marketplace.Resource {
		t.Helper()
		got := e.resource(r.ID)
		if got.Usage.Hours != hours || !got.Usage.Charged.Equal(usd(charged)) {
			t.Fatalf("usage: %d hours, %s charged; want %d, %s", got.Usage.Hours, got.Usage.Charged, hours, charged)
		}
		if b := e.balance("carol"); !b.Equal(usd(balance)) {
			t.Fatalf("balance %s, want %s", b, balance)
		}
		return got
	}
	e.advance(59 * time.Minute)
	usage(0, "0", "20.00")
	e.advance(time.Minute)
	usage(1, "0.10", "19.90")
	e.advance(0) // running again charges nothing again
	usage(1, "0.10", "19.90")
	// 100 hours at once: all charged in one run, beyond one step's cap.
	e.advance(100 * time.Hour)
	usage(101, "10.10", "9.90")
	if pg := must(e.svc.ListOrders(ctx, carol, marketplace.ListOrdersInput{}))(t); pg.Total != 1 {
		t.Fatalf("usage made orders: %d", pg.Total)
	}
	// The balance covers 99 more hours; the 100th is declined: arrears.
	e.advance(100 * time.Hour)
	got := usage(200, "20.00", "0.00")
	if got.Status != marketplace.ResourceGrace || got.Usage.ArrearsSince == nil || !e.hasEvent(r.ID, "resource.arrears") {
		t.Fatalf("arrears: %s %+v", got.Status, got.Usage)
	}
	arrears := *got.Usage.ArrearsSince
	if app := must(e.svc.GetPurchasedApp(ctx, carol, r.ID))(t); app.Usage == nil || app.Usage.ArrearsSince == nil || app.Status != marketplace.ResourceGrace {
		t.Fatalf("purchased app in arrears: %+v", app)
	}
	lc := billing.NewLifecycle(billing.DefaultConfig(), arrears)
	if !got.GraceEndsAt.Equal(lc.GraceEnd) || !got.RetentionEndsAt.Equal(lc.RetentionEnd) {
		t.Fatalf("lifecycle %v %v, want %v %v", got.GraceEndsAt, got.RetentionEndsAt, lc.GraceEnd, lc.RetentionEnd)
	}
	// Retention from the arrears date: frozen at the seller.
	e.advanceTo(lc.GraceEnd.Add(time.Second), 6*time.Hour)
	got = e.resource(r.ID)
	if in, _ := e.saas.Instance(got.App.InstanceID); got.Status != marketplace.ResourceRetention || in.State != fake.InstanceFrozen {
		t.Fatalf("retention: %s, instance %s", got.Status, in.State)
	}
	// A top-up: the next hourly retry pays every hour up to the freeze,
	// clears the arrears and unfreezes.
	owed := int(lc.GraceEnd.Sub(got.Usage.Start)/time.Hour) - 200
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "carol", Amount: usd("100.00")}))(t)
	e.advance(time.Hour)
	// One run charges at most 8 steps × 24 hours of one resource; the
	// rest goes when the claim's 5-minute lease has run out.
	e.advance(5 * time.Minute)
	got = e.resource(r.ID)
	if got.Status != marketplace.ResourceActive || got.Usage.ArrearsSince != nil || got.Usage.Hours != 200+owed || got.Usage.Skipped == 0 {
		t.Fatalf("after top-up: %s %+v (owed %d)", got.Status, got.Usage, owed)
	}
	if in, _ := e.saas.Instance(got.App.InstanceID); in.State != fake.InstanceActive {
		t.Fatalf("instance %s after the arrears cleared", in.State)
	}
	if !e.hasEvent(r.ID, "resource.arrears_cleared") {
		t.Fatal("no arrears_cleared event")
	}
	hours := got.Usage.Hours
	e.advance(time.Hour)
	if g := e.resource(r.ID); g.Usage.Hours != hours+1 {
		t.Fatalf("after an hour: %d hours, want %d", g.Usage.Hours, hours+1)
	}
	// Dave has no balance: arrears at the first hour, released at the end
	// of retention.
	d := buy(dave)
	e.advance(time.Hour)
	if g := e.resource(d.ID); g.Status != marketplace.ResourceGrace || g.Usage.Hours != 0 {
		t.Fatalf("dave: %s %d", g.Status, g.Usage.Hours)
	}
	e.advanceTo(e.resource(d.ID).RetentionEndsAt.Add(time.Second), 12*time.Hour)
	g := e.resource(d.ID)
	if in, _ := e.saas.Instance(g.App.InstanceID); g.Status != marketplace.ResourceReleased || in.State != fake.InstanceReleased || g.NextDueAt != nil {
		t.Fatalf("dave at the end: %s, instance %s, due %v", g.Status, in.State, g.NextDueAt)
	}
}

// TestHourlyChargesSumExactly: hours charged one by one sum to the rounded
// cost of all of them, whatever the rate's precision.
func TestHourlyChargesSumExactly(t *testing.T) {
	e := newEnv(t)
	p := e.metered("Fine Meter", "0.0137")
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "meter", Mode: billing.PayPerUse}}, nil)
	before := e.balance("alice")
	for range 7 {
		e.advance(time.Hour)
	}
	r := e.resource(o.ResourceID)
	if r.Usage.Hours != 7 || !r.Usage.Charged.Equal(usd("0.10")) { // 7 × 0.0137 = 0.0959 → 0.10
		t.Fatalf("charged %s for %d hours", r.Usage.Charged, r.Usage.Hours)
	}
	if d, _ := before.Sub(e.balance("alice")); !d.Equal(usd("0.10")) {
		t.Fatalf("balance moved %s", d)
	}
}

// metered publishes a SaaS product with one pay-per-use specification
// ("meter") at an hourly price.
func (e *env) metered(name, hourly string) marketplace.Product {
	e.t.Helper()
	in := saasInput(name, false, false)
	in.Specs = []marketplace.Specification{{ID: "meter", Name: "Metered", Pricing: billing.Pricing{Plans: []billing.PricePlan{
		{Mode: billing.PayPerUse, UnitPrice: usd(hourly)}}}}}
	return e.publish(seller, in)
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

// TestHeldRefundOfCancelledOrder: an operator's termination with refund
// of a large order cancels it at once, but the refund waits for review;
// the review list pages oldest first.
func TestHeldRefundOfCancelledOrder(t *testing.T) {
	e := newEnv(t)
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "alice", Amount: usd("10000.00")}))(t)
	big := e.publish(seller, licenseInput("Enterprise License", billing.Yearly, "8000.00"))
	var ids []string
	for range 2 {
		o := e.buy(buyer, licenseOrder(e, big, billing.Yearly), nil)
		e.advance(121 * time.Hour) // the seller idle for 5 days: the buyer may appeal
		e.act(buyer, o.FlowID, supervision.Appeal, func(in *marketplace.FlowActionInput) { in.Reason = "no delivery" })
		e.act(operator, o.FlowID, supervision.Terminate, func(in *marketplace.FlowActionInput) { in.Reason = "seller absent"; in.Refund = true })
		got := e.order(o.ID)
		if got.Status != marketplace.OrderCancelled || got.RefundReview == nil || got.RefundedAt != nil {
			t.Fatalf("terminated order %s review %+v", got.Status, got.RefundReview)
		}
		ids = append(ids, o.ID)
		e.advance(time.Hour)
	}
	p1 := must(e.svc.RefundReviews(ctx, operator, "", 1))(t)
	if p1.Total != 2 || len(p1.Items) != 1 || p1.Items[0].ID != ids[0] || p1.Next == "" {
		t.Fatalf("page 1 %+v", p1)
	}
	p2 := must(e.svc.RefundReviews(ctx, operator, p1.Next, 1))(t)
	if len(p2.Items) != 1 || p2.Items[0].ID != ids[1] || p2.Next != "" {
		t.Fatalf("page 2 %+v", p2)
	}
	before := e.balance("alice")
	got := must(e.svc.ReviewRefund(ctx, operator, marketplace.RefundDecisionInput{OrderID: ids[0], Approve: true}))(t)
	if got.Status != marketplace.OrderCancelled || got.RefundedAt == nil {
		t.Fatalf("approved %s refunded %v", got.Status, got.RefundedAt)
	}
	got = must(e.svc.ReviewRefund(ctx, operator, marketplace.RefundDecisionInput{OrderID: ids[1], Reason: "paid outside the platform"}))(t)
	if got.Status != marketplace.OrderCancelled || got.RefundedAt != nil || got.NextDueAt != nil {
		t.Fatalf("rejected %s refunded %v", got.Status, got.RefundedAt)
	}
	e.advance(24 * time.Hour)
	if d, _ := e.balance("alice").Sub(before); !d.Equal(usd("8000.00")) {
		t.Fatalf("refunded %s, want one 8000.00", d)
	}
}

// TestConcurrentRunnersChargeOnce: several runners over one store, with
// due seller calls and pay-per-use hours: each hour is charged once and
// each owed call succeeds once.
func TestConcurrentRunnersChargeOnce(t *testing.T) {
	e := newEnv(t)
	p := e.metered("Metered API", "0.10")
	var rids []string
	for range 10 {
		o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "meter", Mode: billing.PayPerUse}}, nil)
		rids = append(rids, o.ResourceID)
	}
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	e.saas.Fail(provisioning.OpRefresh, provisioning.CodeInternal.Err("down"), 1)
	ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: o.ResourceID, Duration: 1, IdempotencyKey: "r"}))(t)
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ro.ID}))(t)
	before := e.balance("alice")
	e.clock.Advance(5 * time.Hour)
	var wg sync.WaitGroup
	for w := range 4 {
		svc, err := marketplace.New(e.store, marketplace.WithClock(e.clock), marketplace.WithSaaS(e.saas),
			marketplace.WithRunner(3, time.Minute, fmt.Sprint("runner-", w)), marketplace.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if _, err := svc.RunDue(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, id := range rids {
		if r := e.resource(id); r.Usage.Hours != 5 {
			t.Fatalf("resource %s: %d hours", id, r.Usage.Hours)
		}
	}
	if d, _ := before.Sub(e.balance("alice")); !d.Equal(usd("5.00")) { // 10 × 5 h × 0.10
		t.Fatalf("charged %s, want 5.00", d)
	}
	in, _ := e.saas.Instance(e.resource(o.ResourceID).App.InstanceID)
	if len(in.Refreshes) != 1 || len(e.saas.CallsTo(provisioning.OpRefresh)) != 2 {
		t.Fatalf("%d refreshes from %d calls", len(in.Refreshes), len(e.saas.CallsTo(provisioning.OpRefresh)))
	}
}

// outagePort is a host payment port (not the default) that can be down.
type outagePort struct {
	marketplace.PaymentPort
	down bool
}

func (p *outagePort) Charge(ctx context.Context, req marketplace.ChargeRequest) (marketplace.Receipt, error) {
	if p.down {
		return marketplace.Receipt{}, fmt.Errorf("%w: gateway timeout", marketplace.ErrUnavailable)
	}
	return p.PaymentPort.Charge(ctx, req)
}

// TestUsageChargeOutage: a payment port that is down is not the buyer's
// arrears: the hours wait and are charged once it is back, each recorded
// as a payment.
func TestUsageChargeOutage(t *testing.T) {
	port := &outagePort{}
	e := newEnvWithStore(t, nil, marketplace.WithPayments(lazyPort{func() marketplace.PaymentPort { return port }}))
	port.PaymentPort = marketplace.NewBalancePayments(e.store, e.clock.Now, nil)
	p := e.metered("Metered API", "0.10")
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "meter", Mode: billing.PayPerUse}}, nil)
	port.down = true
	e.advance(2 * time.Hour)
	r := e.resource(o.ResourceID)
	if r.Status != marketplace.ResourceActive || r.Usage.ArrearsSince != nil || r.Usage.Hours != 0 || r.Usage.LastError == "" {
		t.Fatalf("during the outage: %s %+v", r.Status, r.Usage)
	}
	port.down = false
	e.advance(5 * time.Minute)
	r = e.resource(o.ResourceID)
	if r.Usage.Hours != 2 || !r.Usage.Charged.Equal(usd("0.20")) {
		t.Fatalf("after the outage: %+v", r.Usage)
	}
	pg := must(e.store.ListPayments(ctx, marketplace.PaymentQuery{OrderID: o.ID, Limit: 100}))(t)
	recorded := 0 // the marketplace records a host port's charges, with the port's reference
	for _, pay := range pg.Items {
		if pay.Reference != "" && strings.HasPrefix(pay.IdempotencyKey, "usage:"+r.ID+":") {
			recorded++
		}
	}
	if recorded != 2 {
		t.Fatalf("%d usage payments recorded, want 2: %+v", recorded, pg.Items)
	}
}

// lazyPort resolves the port at call time (the test builds it after the
// service).
type lazyPort struct {
	get func() marketplace.PaymentPort
}

func (l lazyPort) Charge(ctx context.Context, req marketplace.ChargeRequest) (marketplace.Receipt, error) {
	return l.get().Charge(ctx, req)
}

func (l lazyPort) Refund(ctx context.Context, req marketplace.RefundRequest) (marketplace.Receipt, error) {
	return l.get().Refund(ctx, req)
}
