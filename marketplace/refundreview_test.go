package marketplace_test

import (
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/supervision"
)

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

// TestApprovedNegotiatedRefundEndsSupervision: a negotiated refund held
// for review leaves the flow open (a rejection gives the purchase back);
// its approval ends the flow and closes the original order with the
// resource, in one transaction.
func TestApprovedNegotiatedRefundEndsSupervision(t *testing.T) {
	e := newEnv(t)
	big := e.publish(seller, licenseInput("Enterprise License", billing.Yearly, "8000.00"))
	o := e.buy(buyer, licenseOrder(e, big, billing.Yearly), nil)
	u := must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("7500.00"), Reason: "not needed"}))(t)
	u = must(e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Agree: true}))(t)
	if f := must(e.svc.GetFlow(ctx, operator, o.FlowID))(t); f.Status == string(supervision.Terminated) {
		t.Fatal("flow ended while the refund waits for review")
	}
	if got := e.order(o.ID); got.Status != marketplace.OrderProcessing {
		t.Fatalf("original order while held: %s", got.Status)
	}
	must(e.svc.ReviewRefund(ctx, operator, marketplace.RefundDecisionInput{OrderID: u.RefundOrderID, Approve: true}))(t)
	if f := must(e.svc.GetFlow(ctx, operator, o.FlowID))(t); f.Status != string(supervision.Terminated) {
		t.Fatalf("flow after approval: %s", f.Status)
	}
	if got := e.order(o.ID); got.Status != marketplace.OrderCompleted || got.NextDueAt != nil {
		t.Fatalf("original order after approval: %s due %v", got.Status, got.NextDueAt)
	}
	_, err := e.svc.Act(ctx, buyer, marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.Accept})
	wantErr(t, err, marketplace.ErrNotAllowed)
	if r := e.resource(o.ResourceID); r.Status != marketplace.ResourceUnsubscribed {
		t.Fatalf("resource %s", r.Status)
	}
}
