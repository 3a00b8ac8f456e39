package marketplace_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning/fake"
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

// TestHeldUnsubscriptionRefundPaidOnce: a negotiated refund held for review
// leaves the flow open, so the purchase can end another way before the
// review (an operator's termination, with or without refund; an ending
// nobody announced). Whatever the order of events, the buyer is refunded
// at most once for the 8,000.00 order: an ending cancels the held
// unsubscription, and an approval of a purchase that ended pays nothing
// and cancels it, its review recorded as rejected with the reason.
func TestHeldUnsubscriptionRefundPaidOnce(t *testing.T) {
	type outcome struct {
		Refunded   string // what the buyer got back in total
		Held       marketplace.OrderStatus
		Review     marketplace.RefundReviewStatus
		Request    marketplace.UnsubscribeStatus
		Resource   marketplace.ResourceStatus
		Pending    string // the resource's PendingOrderID
		FlowClosed bool
	}
	appealTerminate := func(refund bool) func(*testing.T, *env, marketplace.Order, marketplace.UnsubscribeRequest) {
		return func(t *testing.T, e *env, o marketplace.Order, _ marketplace.UnsubscribeRequest) {
			e.advance(121 * time.Hour) // the seller idle for 5 days: the buyer may appeal
			e.act(buyer, o.FlowID, supervision.Appeal, func(in *marketplace.FlowActionInput) { in.Reason = "no delivery" })
			e.act(operator, o.FlowID, supervision.Terminate, func(in *marketplace.FlowActionInput) { in.Reason = "seller absent"; in.Refund = refund })
		}
	}
	// endBehind ends the resource without the service (as a store
	// repair or another process might): only the approval's own check
	// stands between the held refund and a second payment.
	endBehind := func(t *testing.T, e *env, o marketplace.Order, _ marketplace.UnsubscribeRequest) {
		if err := e.store.Update(ctx, func(tx marketplace.Tx) error {
			r, err := tx.Resource(o.ResourceID)
			if err != nil {
				return err
			}
			r.Status = marketplace.ResourceFailed
			return tx.PutResource(&r)
		}); err != nil {
			t.Fatal(err)
		}
	}
	approve := func(id string, want error) func(*testing.T, *env) {
		return func(t *testing.T, e *env) {
			_, err := e.svc.ReviewRefund(ctx, operator, marketplace.RefundDecisionInput{OrderID: id, Approve: true})
			if want == nil && err != nil {
				t.Fatalf("approve %s: %v", id, err)
			}
			if want != nil {
				wantErr(t, err, want)
			}
		}
	}
	tests := []struct {
		name        string
		autoApprove time.Duration
		// steps run after the seller agreed to refund 7,500.00 (held).
		steps func(*testing.T, *env, marketplace.Order, marketplace.UnsubscribeRequest)
		want  outcome
	}{
		{
			name: "terminated with refund, then both held refunds approved",
			steps: func(t *testing.T, e *env, o marketplace.Order, u marketplace.UnsubscribeRequest) {
				appealTerminate(true)(t, e, o, u)
				approve(o.ID, nil)(t, e)
				approve(u.RefundOrderID, marketplace.ErrConflict)(t, e) // cancelled by the termination
			},
			want: outcome{Refunded: "8000.00", Held: marketplace.OrderCancelled, Review: marketplace.RefundReviewRejected,
				Request: marketplace.UnsubscribeRejected, Resource: marketplace.ResourceFailed, FlowClosed: true},
		},
		{
			name: "negotiated refund approved, then the operator cannot terminate with refund",
			steps: func(t *testing.T, e *env, o marketplace.Order, u marketplace.UnsubscribeRequest) {
				approve(u.RefundOrderID, nil)(t, e)
				e.advance(121 * time.Hour)
				_, err := e.svc.Act(ctx, buyer, marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.Appeal, Reason: "no delivery"})
				if err == nil {
					t.Fatal("appeal of a flow the approval ended")
				}
				_, err = e.svc.Act(ctx, operator, marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.Terminate, Reason: "x", Refund: true})
				if err == nil {
					t.Fatal("termination of a flow the approval ended")
				}
				approve(o.ID, marketplace.ErrConflict)(t, e) // no refund to review
			},
			want: outcome{Refunded: "7500.00", Held: marketplace.OrderCompleted, Review: marketplace.RefundReviewApproved,
				Request: marketplace.UnsubscribeRefunded, Resource: marketplace.ResourceUnsubscribed, FlowClosed: true},
		},
		{
			name: "terminated without refund, then the held refund approved",
			steps: func(t *testing.T, e *env, o marketplace.Order, u marketplace.UnsubscribeRequest) {
				appealTerminate(false)(t, e, o, u)
				approve(u.RefundOrderID, marketplace.ErrConflict)(t, e)
			},
			want: outcome{Refunded: "0.00", Held: marketplace.OrderCancelled, Review: marketplace.RefundReviewRejected,
				Request: marketplace.UnsubscribeRejected, Resource: marketplace.ResourceFailed, FlowClosed: true},
		},
		{
			name:        "terminated with refund, then the runner approves the held refunds",
			autoApprove: 200 * time.Hour,
			steps: func(t *testing.T, e *env, o marketplace.Order, u marketplace.UnsubscribeRequest) {
				appealTerminate(true)(t, e, o, u)
				e.advance(201 * time.Hour) // past both automatic approvals
			},
			want: outcome{Refunded: "8000.00", Held: marketplace.OrderCancelled, Review: marketplace.RefundReviewRejected,
				Request: marketplace.UnsubscribeRejected, Resource: marketplace.ResourceFailed, FlowClosed: true},
		},
		{
			name: "resource ended unannounced, then the held refund approved",
			steps: func(t *testing.T, e *env, o marketplace.Order, u marketplace.UnsubscribeRequest) {
				endBehind(t, e, o, u)
				// Not paid, and said so in the review, without an error:
				// an error would mean nothing was written.
				approve(u.RefundOrderID, nil)(t, e)
				if got := e.order(u.RefundOrderID); !strings.HasPrefix(got.RefundReview.Reason, "not paid: ") {
					t.Errorf("review reason %q", got.RefundReview.Reason)
				}
			},
			want: outcome{Refunded: "0.00", Held: marketplace.OrderCancelled, Review: marketplace.RefundReviewRejected,
				Request: marketplace.UnsubscribeRejected, Resource: marketplace.ResourceFailed},
		},
		{
			name: "original order refunded unannounced, then the held refund approved",
			steps: func(t *testing.T, e *env, o marketplace.Order, u marketplace.UnsubscribeRequest) {
				if err := e.store.Update(ctx, func(tx marketplace.Tx) error {
					cur, err := tx.Order(o.ID)
					if err != nil {
						return err
					}
					cur.Status = marketplace.OrderCancelled
					return tx.PutOrder(&cur)
				}); err != nil {
					t.Fatal(err)
				}
				approve(u.RefundOrderID, nil)(t, e)
			},
			want: outcome{Refunded: "0.00", Held: marketplace.OrderCancelled, Review: marketplace.RefundReviewRejected,
				Request: marketplace.UnsubscribeRejected, Resource: marketplace.ResourcePending},
		},
		{
			name:        "resource ended unannounced, then the runner approves the held refund",
			autoApprove: 24 * time.Hour,
			steps: func(t *testing.T, e *env, o marketplace.Order, u marketplace.UnsubscribeRequest) {
				endBehind(t, e, o, u)
				e.advance(25 * time.Hour)
			},
			want: outcome{Refunded: "0.00", Held: marketplace.OrderCancelled, Review: marketplace.RefundReviewRejected,
				Request: marketplace.UnsubscribeRejected, Resource: marketplace.ResourceFailed},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := billing.DefaultConfig()
			cfg.RefundReviewAutoApprove = tc.autoApprove
			e := newEnv(t, marketplace.WithBillingConfig(cfg))
			big := e.publish(seller, licenseInput("Enterprise License", billing.Yearly, "8000.00"))
			o := e.buy(buyer, licenseOrder(e, big, billing.Yearly), nil)
			before := e.balance("alice") // after paying 8,000.00
			u := must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("7500.00"), Reason: "not needed"}))(t)
			u = must(e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Agree: true}))(t)
			if held := e.order(u.RefundOrderID); held.RefundReview == nil || held.RefundReview.Status != marketplace.RefundReviewPending {
				t.Fatalf("not held: %+v", held.RefundReview)
			}
			tc.steps(t, e, o, u)
			e.advance(time.Minute) // any refund still to settle
			held := e.order(u.RefundOrderID)
			r := e.resource(o.ResourceID)
			refunded, _ := e.balance("alice").Sub(before)
			got := outcome{Refunded: refunded.Amount.StringFixed(2), Held: held.Status, Review: held.RefundReview.Status,
				Request:  must(e.svc.GetUnsubscribeRequest(ctx, operator, u.ID))(t).Status,
				Resource: r.Status, Pending: r.PendingOrderID,
				FlowClosed: must(e.svc.GetFlow(ctx, operator, o.FlowID))(t).Status == string(supervision.Terminated)}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("outcome (-want +got):\n%s", diff)
			}
			if held.Status == marketplace.OrderCancelled && !e.hasEvent(held.ID, "order.cancelled") {
				t.Error("the held order was cancelled without an event")
			}
		})
	}
}

// TestHeldFormulaRefundOfReleasedImage: an image unsubscription whose
// refund waits for review keeps the resource in its lifecycle; if nobody
// reviews it before the resource is released after expiry, the release
// cancels it (the purchase ran its term and ended), and approving it
// afterwards pays nothing.
func TestHeldFormulaRefundOfReleasedImage(t *testing.T) {
	e := newEnv(t)
	big := e.publish(seller, marketplace.ProductInput{
		Name: "GPU Render Farm Image", Description: "Rendering nodes", Category: "devops", Delivery: marketplace.DeliveryImage,
		OperatingSystems: []string{"Linux"}, Image: &marketplace.ImageInfo{Regions: []string{fake.Region}, Versions: []string{"1.0"}},
		Specs: []marketplace.Specification{{ID: "img", Name: "Standard", Pricing: billing.Pricing{Plans: []billing.PricePlan{
			{Mode: billing.Monthly, UnitPrice: usd("9000.00")}}}}},
	})
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "alice", Amount: usd("10000.00")}))(t)
	quick := &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: big.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1, Image: quick}}, &pw)
	e.advance(time.Hour)
	before := e.balance("alice")
	held := must(e.svc.Unsubscribe(ctx, buyer, o.ResourceID))(t)
	if held.RefundReview == nil || held.RefundReview.Status != marketplace.RefundReviewPending {
		t.Fatalf("formula refund of %s not held: %+v", held.Amount, held.RefundReview)
	}
	r := e.resource(o.ResourceID)
	if r.Status != marketplace.ResourceActive || r.PendingOrderID != held.ID {
		t.Fatalf("resource while held: %s pending %q", r.Status, r.PendingOrderID)
	}
	e.advanceTo(r.ExpiresAt.Add(31*24*time.Hour), 24*time.Hour) // past grace and retention
	r = e.resource(o.ResourceID)
	got := e.order(held.ID)
	if r.Status != marketplace.ResourceReleased || r.PendingOrderID != "" ||
		got.Status != marketplace.OrderCancelled || got.RefundReview.Status != marketplace.RefundReviewRejected || got.NextDueAt != nil {
		t.Fatalf("after release: resource %s pending %q; held order %s review %s", r.Status, r.PendingOrderID, got.Status, got.RefundReview.Status)
	}
	_, err := e.svc.ReviewRefund(ctx, operator, marketplace.RefundDecisionInput{OrderID: held.ID, Approve: true})
	wantErr(t, err, marketplace.ErrConflict)
	e.advance(time.Minute)
	if !e.balance("alice").Equal(before) {
		t.Fatalf("balance %s, want %s: a released purchase was refunded", e.balance("alice"), before)
	}
}
