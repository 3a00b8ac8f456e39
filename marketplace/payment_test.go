package marketplace_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/supervision"
)

func TestBalancePayments(t *testing.T) {
	st := memory.New()
	clock := marketplace.NewSimClock(start)
	p := marketplace.NewBalancePayments(st, clock.Now, &marketplace.SequentialIDs{})
	charge := marketplace.ChargeRequest{IdempotencyKey: "c1", AccountID: "a", OrderID: "o1", Amount: usd("5.00")}
	_, err := p.Charge(ctx, charge)
	wantErr(t, err, marketplace.ErrPaymentFailed) // no account yet
	// A refund opens the account.
	r := must(p.Refund(ctx, marketplace.RefundRequest{IdempotencyKey: "r1", AccountID: "a", OrderID: "o0", Amount: usd("20.00")}))(t)
	if r.Reference == "" || !r.Amount.Equal(usd("20.00")) {
		t.Fatalf("refund receipt %+v", r)
	}
	first := must(p.Charge(ctx, charge))(t)
	again := must(p.Charge(ctx, charge))(t)
	if first.Reference != again.Reference || !first.Amount.Equal(again.Amount) {
		t.Fatalf("a repeated charge moved money again: %+v %+v", first, again)
	}
	var acc marketplace.Account
	_ = st.View(ctx, func(tx marketplace.ReadTx) error { var err error; acc, err = tx.Account("a"); return err })
	if !acc.Balance.Equal(usd("15.00")) {
		t.Fatalf("balance %s", acc.Balance)
	}
	charge.Amount = usd("6.00")
	_, err = p.Charge(ctx, charge)
	wantErr(t, err, marketplace.ErrIdempotencyMismatch)
	_, err = p.Charge(ctx, marketplace.ChargeRequest{IdempotencyKey: "c2", AccountID: "a", Amount: billing.MustMoney("1", billing.EUR)})
	wantErr(t, err, marketplace.ErrPaymentFailed)
	_, err = p.Charge(ctx, marketplace.ChargeRequest{IdempotencyKey: "c3", AccountID: "a", Amount: usd("15.01")})
	wantErr(t, err, marketplace.ErrPaymentFailed)
	for _, bad := range []marketplace.ChargeRequest{{AccountID: "a", Amount: usd("1")}, {IdempotencyKey: "k", Amount: usd("1")}, {IdempotencyKey: "k", AccountID: "a", Amount: usd("-1")}} {
		_, err := p.Charge(ctx, bad)
		wantErr(t, err, marketplace.ErrInvalidInput)
	}
}

// TestOrphanChargeRefunded: a charge that went through for an order that
// was never marked paid (a crash in between) is refunded when the order
// expires unpaid.
func TestOrphanChargeRefunded(t *testing.T) {
	e := newEnv(t)
	in := licenseOrder(e, e.license, billing.Yearly)
	in.AgreeTerms, in.IdempotencyKey = true, "orphan"
	o := must(e.svc.CreateOrder(ctx, buyer, in))(t)
	port := marketplace.NewBalancePayments(e.store, e.clock.Now, nil)
	must(port.Charge(ctx, marketplace.ChargeRequest{IdempotencyKey: "order:" + o.ID, AccountID: "alice", OrderID: o.ID, Amount: o.Amount}))(t)
	if got := e.balance("alice"); !got.Equal(usd("9100.00")) {
		t.Fatalf("balance %s", got)
	}
	e.advance(25 * time.Hour)
	got := e.order(o.ID)
	if got.Status != marketplace.OrderCancelled || got.RefundedAt == nil {
		t.Fatalf("orphan: %s refunded %v", got.Status, got.RefundedAt)
	}
	if got := e.balance("alice"); !got.Equal(usd("10000.00")) {
		t.Fatalf("balance after refund %s", got)
	}
}

func TestUpgradeRefusals(t *testing.T) {
	e := newEnv(t)
	lic := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil)
	_, err := e.svc.QuoteUpgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: lic.ResourceID, Quantity: 2})
	wantErr(t, err, marketplace.ErrConflict) // not SaaS
	sup := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasSup.ID, SpecID: "basic", Mode: billing.Yearly, Duration: 1}}, nil)
	_, err = e.svc.QuoteUpgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: sup.ResourceID, Quantity: 2})
	wantErr(t, err, marketplace.ErrConflict) // supervision not completed: no term yet
	sa := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "pro", Mode: billing.Monthly, Duration: 1, Quantity: 5}}, nil)
	_, err = e.svc.QuoteUpgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: sa.ResourceID, SpecID: "basic"})
	wantErr(t, err, billing.ErrDowngrade)
	_, err = e.svc.QuoteUpgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: sa.ResourceID, Quantity: 5})
	wantErr(t, err, marketplace.ErrInvalidInput)
	_, err = e.svc.QuoteUpgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: sa.ResourceID, SpecID: "gold"})
	wantErr(t, err, marketplace.ErrNotFound)
	_, err = e.svc.Upgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: sa.ResourceID, Quantity: 6})
	wantErr(t, err, marketplace.ErrInvalidInput) // no idempotency key
	uo := must(e.svc.Upgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: sa.ResourceID, Quantity: 6, IdempotencyKey: "u"}))(t)
	if again := must(e.svc.Upgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: sa.ResourceID, Quantity: 6, IdempotencyKey: "u"}))(t); again.ID != uo.ID {
		t.Fatal("idempotent upgrade made a second order")
	}
	_, err = e.svc.QuoteUpgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: sa.ResourceID, Quantity: 7})
	wantErr(t, err, marketplace.ErrConflict) // an unpaid change order
	// An unpaid upgrade order expires and frees the resource.
	e.advance(25 * time.Hour)
	if got := e.order(uo.ID).Status; got != marketplace.OrderCancelled {
		t.Fatalf("unpaid upgrade: %s", got)
	}
	must(e.svc.QuoteUpgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: sa.ResourceID, Quantity: 7}))(t)
	// The seller's endpoint failing on a renewal refresh is recorded.
	e.saas.Fail(provisioning.OpRefresh, provisioning.CodeInternal.Err("down"), 1)
	ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: sa.ResourceID, Duration: 1, IdempotencyKey: "r"}))(t)
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ro.ID}))(t)
	if !e.hasEvent(sa.ResourceID, "resource.seller_call_failed") {
		t.Fatal("failed refresh not recorded")
	}
}

// TestRefundsByPaymentMethod: refunds go back the way the order was paid:
// a credit account's used credit drops, a reseller's customer gets nothing
// moved.
func TestRefundsByPaymentMethod(t *testing.T) {
	e := newEnv(t)
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "dave", Amount: usd("1.00")}))(t)
	must(e.svc.SetCredit(ctx, operator, "dave", true))(t)
	dave := marketplace.BuyerActor("dave")
	o := e.buy(dave, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.pro.ID, SpecID: "std", Mode: billing.OneTime}}, nil)
	e.act(dave, o.FlowID, supervision.SubmitRequest, func(in *marketplace.FlowActionInput) { in.Description = "x" })
	e.advance(5*24*time.Hour + time.Minute)
	e.act(dave, o.FlowID, supervision.Appeal, func(in *marketplace.FlowActionInput) { in.Reason = "idle" })
	e.act(operator, o.FlowID, supervision.Terminate, func(in *marketplace.FlowActionInput) { in.Reason = "x"; in.Refund = true })
	acc := must(e.svc.GetAccount(ctx, dave, "dave"))(t)
	if !acc.CreditUsed.IsZero() || !acc.Balance.Equal(usd("1.00")) {
		t.Fatalf("credit after refund: used %s balance %s", acc.CreditUsed, acc.Balance)
	}
	rc := marketplace.ResellerCustomer("carol", "r1")
	o2 := e.buy(rc, licenseOrder(e, e.license, billing.Yearly), nil)
	u := must(e.svc.ProposeUnsubscribe(ctx, rc, marketplace.ProposeInput{ResourceID: o2.ResourceID, Amount: usd("100.00"), Reason: "x"}))(t)
	u = must(e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Agree: true}))(t)
	if u.Status != marketplace.UnsubscribeRefunded {
		t.Fatalf("reseller refund: %s", u.Status)
	}
	// Supervision input errors come back as invalid input.
	o3 := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.pro.ID, SpecID: "std", Mode: billing.OneTime}}, nil)
	_, err := e.svc.Act(ctx, buyer, marketplace.FlowActionInput{FlowID: o3.FlowID, Action: supervision.SubmitRequest, Description: strings.Repeat("x", 1001)})
	wantErr(t, err, marketplace.ErrInvalidInput)
	wantErr(t, err, supervision.ErrInvalidInput)
	if errors.Is(err, marketplace.ErrNotAllowed) {
		t.Fatal("input error reported as not allowed")
	}
	_, err = e.svc.Act(ctx, buyer, marketplace.FlowActionInput{FlowID: "nope", Action: supervision.Accept})
	wantErr(t, err, marketplace.ErrNotFound)
}

// TestLateAppInfo: a supervised SaaS flow accepted before the seller's app
// info arrives completes once it does; app info that never arrives stalls
// the order for an operator after the polling budget.
func TestLateAppInfo(t *testing.T) {
	e := newEnv(t)
	e.saas.Processing(provisioning.OpQuery, 0)
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasSup.ID, SpecID: "basic", Mode: billing.Yearly, Duration: 1}}, nil)
	attach := []supervision.Attachment{{Name: "req.pdf", Size: 10, BlobRef: "b"}}
	e.act(buyer, o.FlowID, supervision.SubmitRequest, func(in *marketplace.FlowActionInput) { in.Description = "x"; in.Attachments = attach })
	e.act(seller, o.FlowID, supervision.ConfirmRequest)
	e.act(seller, o.FlowID, supervision.Deliver, func(in *marketplace.FlowActionInput) { in.Result = "done" })
	e.act(operator, o.FlowID, supervision.ApproveDelivery)
	e.act(buyer, o.FlowID, supervision.Accept)
	e.advanceTo(e.clock.Now().Add(3*time.Hour+time.Minute), time.Minute)
	if got := e.order(o.ID); got.Status != marketplace.OrderProcessing || got.Provisioning.Phase != marketplace.PhaseStalled {
		t.Fatalf("without app info: %s %s", got.Status, got.Provisioning.Phase)
	}
	if !e.hasEvent(o.ID, "order.provisioning_stalled") {
		t.Fatal("stall not recorded")
	}
	// A second order whose app info arrives after acceptance.
	e.saas.ClearFaults()
	e.saas.Processing(provisioning.OpQuery, 2)
	o2 := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasSup.ID, SpecID: "basic", Mode: billing.Yearly, Duration: 1}}, nil)
	e.act(buyer, o2.FlowID, supervision.SubmitRequest, func(in *marketplace.FlowActionInput) { in.Description = "x"; in.Attachments = attach })
	e.act(seller, o2.FlowID, supervision.ConfirmRequest)
	e.act(seller, o2.FlowID, supervision.Deliver, func(in *marketplace.FlowActionInput) { in.Result = "done" })
	e.act(operator, o2.FlowID, supervision.ApproveDelivery)
	e.act(buyer, o2.FlowID, supervision.Accept)
	e.advance(time.Minute)
	e.advance(time.Minute)
	if got := e.order(o2.ID); got.Provisioning.Phase != marketplace.PhaseDone || got.Status != marketplace.OrderProcessing {
		t.Fatalf("app info after acceptance: %s %s %+v", got.Provisioning.Phase, got.Status, got.Provisioning)
	}
	e.advance(3 * time.Hour)
	if got := e.order(o2.ID); got.Status != marketplace.OrderCompleted {
		t.Fatalf("order: %s", got.Status)
	}
}
