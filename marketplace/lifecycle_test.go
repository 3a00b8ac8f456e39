package marketplace_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/supervision"
)

func licenseOrder(e *env, p marketplace.Product, mode billing.Mode) marketplace.CreateOrderInput {
	return marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "std", Mode: mode, Duration: 1}}
}

// TestNegotiatedUnsubscription: the buyer proposes, the seller rejects, the
// buyer proposes again, the seller agrees, the refund is paid at once.
func TestNegotiatedUnsubscription(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil)
	chk := must(e.svc.UnsubscribeEligibility(ctx, buyer, o.ResourceID))(t)
	if !chk.Allowed || chk.Kind != billing.Negotiated {
		t.Fatalf("eligibility before acceptance: %+v", chk)
	}
	_, err := e.svc.QuoteUnsubscribe(ctx, buyer, o.ResourceID)
	wantErr(t, err, marketplace.ErrConflict)
	_, err = e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("900.01"), Reason: "x"})
	wantErr(t, err, marketplace.ErrInvalidInput)
	u := must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("500.00"), Reason: "not needed"}))(t)
	// One open request at a time.
	_, err = e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("400.00"), Reason: "again"})
	if se := (*marketplace.StateError)(nil); !errors.As(err, &se) {
		t.Fatalf("second proposal: %v, want a *StateError", err)
	}
	_, err = e.svc.DecideUnsubscribe(ctx, seller2, marketplace.DecideInput{RequestID: u.ID, Agree: true})
	wantErr(t, err, marketplace.ErrNotFound)
	_, err = e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID})
	wantErr(t, err, marketplace.ErrInvalidInput)
	u = must(e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Comment: "already delivered"}))(t)
	if u.Status != marketplace.UnsubscribeRejected {
		t.Fatalf("rejected: %s", u.Status)
	}
	u = must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("450.00"), Reason: "half"}))(t)
	before := e.balance("alice")
	u = must(e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Agree: true, Comment: "ok"}))(t)
	if u.Status != marketplace.UnsubscribeRefunded || u.RefundOrderID == "" {
		t.Fatalf("agreed request: %+v", u)
	}
	if got, _ := e.balance("alice").Sub(before); !got.Equal(usd("450.00")) {
		t.Fatalf("refund %s", got)
	}
	if got := e.resource(o.ResourceID).Status; got != marketplace.ResourceUnsubscribed {
		t.Fatalf("resource %s", got)
	}
	list := must(e.svc.ListUnsubscribeRequests(ctx, seller, "", "", 0))(t)
	if list.Total != 2 {
		t.Fatalf("seller's requests: %d", list.Total)
	}
	// After acceptance there is no unsubscription.
	o2 := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil)
	e.act(seller, o2.FlowID, supervision.Deliver, func(in *marketplace.FlowActionInput) { in.Result = "key" })
	e.act(buyer, o2.FlowID, supervision.Accept)
	chk = must(e.svc.UnsubscribeEligibility(ctx, buyer, o2.ResourceID))(t)
	if chk.Allowed || chk.Reason != billing.ReasonAccepted {
		t.Fatalf("after acceptance: %+v", chk)
	}
}

// TestInvoiceBlocksUnsubscription: an issued invoice blocks unsubscribing
// until it is returned.
func TestInvoiceBlocksUnsubscription(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil)
	_, err := e.svc.RequestInvoice(ctx, other, marketplace.InvoiceInput{OrderID: o.ID, Title: "Bob Inc"})
	wantErr(t, err, marketplace.ErrNotFound)
	inv := must(e.svc.RequestInvoice(ctx, buyer, marketplace.InvoiceInput{OrderID: o.ID, Title: "Alice Ltd", TaxID: "GB123"}))(t)
	_, err = e.svc.RequestInvoice(ctx, buyer, marketplace.InvoiceInput{OrderID: o.ID, Title: "Alice Ltd"})
	wantErr(t, err, marketplace.ErrConflict)
	_, err = e.svc.IssueInvoice(ctx, buyer, inv.ID)
	wantErr(t, err, marketplace.ErrNotAllowed)
	inv = must(e.svc.IssueInvoice(ctx, operator, inv.ID))(t)
	if inv.Status != marketplace.InvoiceIssued || inv.Number == "" {
		t.Fatalf("issued: %+v", inv)
	}
	_, err = e.svc.IssueInvoice(ctx, operator, inv.ID)
	wantErr(t, err, billing.ErrInvalidTransition)
	chk := must(e.svc.UnsubscribeEligibility(ctx, buyer, o.ResourceID))(t)
	if chk.Allowed || chk.Reason != billing.ReasonInvoiced {
		t.Fatalf("eligibility with an issued invoice: %+v", chk)
	}
	_, err = e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("1.00"), Reason: "x"})
	wantErr(t, err, billing.ErrNotRefundable)
	inv = must(e.svc.ReturnInvoice(ctx, buyer, inv.ID))(t)
	if inv.Status != marketplace.InvoiceReturned {
		t.Fatalf("returned: %s", inv.Status)
	}
	if chk := must(e.svc.UnsubscribeEligibility(ctx, buyer, o.ResourceID))(t); !chk.Allowed {
		t.Fatalf("after return: %+v", chk)
	}
	if pg := must(e.svc.ListInvoices(ctx, buyer, "", "", 0))(t); pg.Total != 1 {
		t.Fatalf("invoices: %d", pg.Total)
	}
	// Unpaid orders are not invoiced.
	in := licenseOrder(e, e.license, billing.Yearly)
	in.AgreeTerms, in.IdempotencyKey = true, "unpaid"
	unpaid := must(e.svc.CreateOrder(ctx, buyer, in))(t)
	_, err = e.svc.RequestInvoice(ctx, buyer, marketplace.InvoiceInput{OrderID: unpaid.ID, Title: "x"})
	wantErr(t, err, marketplace.ErrConflict)
}

// TestProvisioningFailureRefunds: a seller endpoint that keeps failing is
// retried every 3 minutes, 60 times; then the order is cancelled and
// refunded automatically.
func TestProvisioningFailureRefunds(t *testing.T) {
	e := newEnv(t)
	e.saas.Fail(provisioning.OpCreate, provisioning.CodeInternal.Err("down"), 0)
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	if o.Status != marketplace.OrderProcessing || o.Provisioning.Attempts != 1 {
		t.Fatalf("after the first failure: %s attempts %d", o.Status, o.Provisioning.Attempts)
	}
	if got := e.balance("alice"); !got.Equal(usd("9995.00")) {
		t.Fatalf("balance %s", got)
	}
	for range 59 {
		e.advance(3 * time.Minute)
	}
	if got := e.order(o.ID); got.Status != marketplace.OrderProcessing || got.Provisioning.Attempts != 60 {
		t.Fatalf("after 60 attempts: %s %d", got.Status, got.Provisioning.Attempts)
	}
	e.advance(3 * time.Minute)
	got := e.order(o.ID)
	if got.Status != marketplace.OrderCancelled || got.RefundedAt == nil || got.Provisioning.Phase != marketplace.PhaseFailed {
		t.Fatalf("after the budget: %s refunded %v phase %s", got.Status, got.RefundedAt, got.Provisioning.Phase)
	}
	if n := len(e.saas.CallsTo(provisioning.OpCreate)); n != 61 {
		t.Fatalf("%d create calls, want 61 (1 + 60 retries)", n)
	}
	if got := e.balance("alice"); !got.Equal(usd("10000.00")) {
		t.Fatalf("balance after refund %s", got)
	}
	if r := e.resource(got.ResourceID); r.Status != marketplace.ResourceFailed {
		t.Fatalf("resource %s", r.Status)
	}
	// Nothing happens twice.
	n := len(e.events())
	e.advance(time.Hour)
	if len(e.events()) != n {
		t.Fatal("runner acted again")
	}
}

// TestQueryPollingAndRecovery: app info that arrives late is polled for.
func TestQueryPollingAndRecovery(t *testing.T) {
	e := newEnv(t)
	e.saas.Processing(provisioning.OpQuery, 3)
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	if o.Provisioning.Phase != marketplace.PhaseQuery {
		t.Fatalf("phase %s", o.Provisioning.Phase)
	}
	for range 5 {
		e.advance(time.Minute)
	}
	if got := e.order(o.ID); got.Status != marketplace.OrderCompleted {
		t.Fatalf("after polling: %s %s", got.Status, got.Provisioning.LastError)
	}
}

// TestUnpaidOrderExpires: an order not paid within the window is
// cancelled and can no longer be paid.
func TestUnpaidOrderExpires(t *testing.T) {
	e := newEnv(t)
	in := licenseOrder(e, e.license, billing.Yearly)
	in.AgreeTerms, in.IdempotencyKey = true, "k"
	o := must(e.svc.CreateOrder(ctx, buyer, in))(t)
	e.advance(23 * time.Hour)
	if got := e.order(o.ID).Status; got != marketplace.OrderPendingPayment {
		t.Fatalf("after 23h: %s", got)
	}
	e.advance(time.Hour)
	if got := e.order(o.ID); got.Status != marketplace.OrderCancelled || got.CancelReason == "" {
		t.Fatalf("after 24h: %s", got.Status)
	}
	_, err := e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: o.ID})
	wantErr(t, err, marketplace.ErrConflict)
	// The buyer may cancel an unpaid order; not a paid one.
	in.IdempotencyKey = "k2"
	o2 := must(e.svc.CreateOrder(ctx, buyer, in))(t)
	if c := must(e.svc.CancelOrder(ctx, buyer, o2.ID))(t); c.Status != marketplace.OrderCancelled {
		t.Fatalf("cancel: %s", c.Status)
	}
	_, err = e.svc.CancelOrder(ctx, buyer, o2.ID)
	wantErr(t, err, marketplace.ErrConflict)
}

// autoRenewedLicense buys a monthly license with auto-renewal, delivered
// and accepted on 2026-01-05 (its first attempt is 2026-01-28 19:00 UTC).
func autoRenewedLicense(e *env) marketplace.Order {
	in := licenseOrder(e, e.licenseMonthly, billing.Monthly)
	in.AutoRenew = true
	o := e.buy(buyer, in, nil)
	e.act(seller, o.FlowID, supervision.Deliver, func(in *marketplace.FlowActionInput) { in.Result = "key" })
	e.act(buyer, o.FlowID, supervision.Accept)
	return o
}

// TestAutoRenewalWithALateRunner: a runner that looks at the due work a
// little after its time (as every polling runner does) still makes the
// deduction on its day. Before, an attempt looked at after 03:00 was put
// off to the next day's 03:00, and again from there, until the immediate
// deduction on the expiry day.
func TestAutoRenewalWithALateRunner(t *testing.T) {
	e := newEnv(t)
	o := autoRenewedLicense(e)
	attempt := time.Date(2026, 1, 28, 19, 0, 0, 0, time.UTC) // as in TestAutoRenewal
	if r := e.resource(o.ResourceID); r.NextDueAt == nil || !r.NextDueAt.Equal(attempt) {
		t.Fatalf("next due %v, want %v", r.NextDueAt, attempt)
	}
	e.advanceTo(attempt.Add(-time.Minute), 24*time.Hour)
	e.advance(time.Minute + 7*time.Second) // the runner's tick comes 7 s late
	if got := e.resource(o.ResourceID); len(got.OrderIDs) != 2 || got.AutoRenew.Done != 1 {
		t.Fatalf("not renewed on its day: orders %v, next due %v", got.OrderIDs, got.NextDueAt)
	}
}

// TestAutoRenewal: a monthly license auto-renews at 03:00 GMT+08:00 seven
// days before expiry; a declined charge is retried daily.
func TestAutoRenewal(t *testing.T) {
	e := newEnv(t)
	o := autoRenewedLicense(e)
	r := e.resource(o.ResourceID)
	if !r.AutoRenew.Enabled || r.NextDueAt == nil {
		t.Fatalf("auto-renew not scheduled: %+v", r.AutoRenew)
	}
	// Accepted 2026-01-05 18:30 GMT+08:00: expires 2026-02-05 23:59:59;
	// the attempt is 2026-01-29 03:00 GMT+08:00 = 2026-01-28 19:00 UTC.
	attempt := time.Date(2026, 1, 28, 19, 0, 0, 0, time.UTC)
	if !r.NextDueAt.Equal(attempt) {
		t.Fatalf("next due %v, want %v", r.NextDueAt, attempt)
	}
	e.advanceTo(attempt.Add(-time.Second), 24*time.Hour)
	if got := e.resource(r.ID); len(got.OrderIDs) != 1 {
		t.Fatal("renewed early")
	}
	e.advance(time.Second)
	got := e.resource(r.ID)
	if len(got.OrderIDs) != 2 || !got.ExpiresAt.Equal(time.Date(2026, 3, 5, 15, 59, 59, 0, time.UTC)) || got.AutoRenew.Done != 1 {
		t.Fatalf("after auto-renewal: orders %v expiry %v done %d", got.OrderIDs, got.ExpiresAt, got.AutoRenew.Done)
	}
	// Drain the balance: the next attempt fails and is retried the next day.
	acc := must(e.svc.GetAccount(ctx, buyer, "alice"))(t)
	must(e.svc.SetCredit(ctx, operator, "alice", false))(t)
	_ = acc
	drain := marketplace.NewBalancePayments(e.store, e.clock.Now, nil)
	bal := e.balance("alice")
	must(drain.Charge(ctx, marketplace.ChargeRequest{IdempotencyKey: "drain", AccountID: "alice", OrderID: "x", Amount: bal}))(t)
	next := *e.resource(r.ID).NextDueAt
	e.advanceTo(next, 24*time.Hour)
	got = e.resource(r.ID)
	if got.AutoRenewFailedAt == nil || len(got.OrderIDs) != 2 {
		t.Fatalf("declined attempt not recorded: %+v", got)
	}
	if !e.hasEvent(r.ID, "resource.auto_renew_failed") {
		t.Fatal("no failure event")
	}
	if got.NextDueAt == nil || !got.NextDueAt.Equal(next.Add(24*time.Hour)) {
		t.Fatalf("retry at %v, want %v", got.NextDueAt, next.Add(24*time.Hour))
	}
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "alice", Amount: usd("5.00")}))(t)
	e.advance(24 * time.Hour)
	if got := e.resource(r.ID); len(got.OrderIDs) != 3 {
		t.Fatalf("retry did not renew: %v", got.OrderIDs)
	}
	// Settings: disable; images/licenses only by default (not SaaS).
	must(e.svc.SetAutoRenew(ctx, buyer, marketplace.AutoRenewInput{ResourceID: r.ID}))(t)
	if got := e.resource(r.ID); got.AutoRenew.Enabled {
		t.Fatal("still enabled")
	}
	_, err := e.svc.SetAutoRenew(ctx, other, marketplace.AutoRenewInput{ResourceID: r.ID, Enabled: true})
	wantErr(t, err, marketplace.ErrNotFound)
	days := 9
	_, err = e.svc.SetAutoRenew(ctx, buyer, marketplace.AutoRenewInput{ResourceID: r.ID, Enabled: true, DaysBefore: &days})
	wantErr(t, err, marketplace.ErrInvalidInput)
	// Uniform renewal day.
	rs := must(e.svc.SetRenewalDay(ctx, buyer, marketplace.RenewalDayInput{ResourceIDs: []string{r.ID}, Day: 15}))(t)
	if rs[0].RenewalDay != 15 {
		t.Fatalf("renewal day %d", rs[0].RenewalDay)
	}
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "alice", Amount: usd("100.00")}))(t)
	ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: r.ID, Duration: 1, IdempotencyKey: "u"}))(t)
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ro.ID}))(t)
	if got := e.resource(r.ID); got.ExpiresAt.In(billing.PlatformZone).Day() != 15 {
		t.Fatalf("expiry %v not on the 15th", got.ExpiresAt.In(billing.PlatformZone))
	}
	_, err = e.svc.SetRenewalDay(ctx, buyer, marketplace.RenewalDayInput{ResourceIDs: []string{r.ID}, Day: 30})
	wantErr(t, err, marketplace.ErrInvalidInput)
}

// TestConcurrentCheckout: 100 concurrent creations with one idempotency key
// make one order; 100 concurrent payments charge once.
func TestConcurrentCheckout(t *testing.T) {
	e := newEnv(t)
	in := licenseOrder(e, e.license, billing.Yearly)
	in.AgreeTerms, in.IdempotencyKey = true, "same-key"
	const n = 100
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := e.svc.CreateOrder(ctx, buyer, in)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = o.ID
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("two orders for one key: %s and %s", ids[0], id)
		}
	}
	if pg := must(e.svc.ListOrders(ctx, buyer, marketplace.ListOrdersInput{}))(t); pg.Total != 1 {
		t.Fatalf("%d orders", pg.Total)
	}
	// The same key with another request is refused.
	other := in
	other.Duration = 2
	_, err := e.svc.CreateOrder(ctx, buyer, other)
	wantErr(t, err, marketplace.ErrIdempotencyMismatch)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ids[0]})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := e.balance("alice"); !got.Equal(usd("9100.00")) {
		t.Fatalf("balance %s after 100 concurrent payments of 900", got)
	}
	pays, _ := e.store.ListPayments(ctx, marketplace.PaymentQuery{OrderID: ids[0], Limit: 100})
	if pays.Total != 1 {
		t.Fatalf("%d payments", pays.Total)
	}
	if rs, _ := e.store.ListResources(ctx, marketplace.ResourceQuery{BuyerID: "alice", Limit: 100}); rs.Total != 1 {
		t.Fatalf("%d resources", rs.Total)
	}
}

// TestResellerAndCredit: a reseller's customer pays nothing (the amount is
// for reference); a credit account is charged at settlement.
func TestResellerAndCredit(t *testing.T) {
	e := newEnv(t)
	rc := marketplace.ResellerCustomer("carol", "reseller1")
	o := e.buy(rc, licenseOrder(e, e.license, billing.Yearly), nil)
	if o.PaymentMethod != marketplace.PayReseller || o.Status != marketplace.OrderProcessing || !o.Amount.Equal(usd("900.00")) {
		t.Fatalf("reseller order: %+v", o)
	}
	if _, err := e.svc.GetAccount(ctx, operator, "carol"); !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("reseller customer charged: %v", err)
	}
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "dave", Amount: usd("1.00")}))(t)
	must(e.svc.SetCredit(ctx, operator, "dave", true))(t)
	dave := marketplace.BuyerActor("dave")
	e.buy(dave, licenseOrder(e, e.license, billing.Yearly), nil)
	e.buy(dave, licenseOrder(e, e.licenseMonthly, billing.Monthly), nil)
	acc := must(e.svc.GetAccount(ctx, dave, "dave"))(t)
	if !acc.CreditUsed.Equal(usd("905.00")) || !acc.Balance.Equal(usd("1.00")) {
		t.Fatalf("credit account: used %s balance %s", acc.CreditUsed, acc.Balance)
	}
	total := must(e.svc.SettleCredit(ctx, operator, "dave"))(t)
	if !total.Equal(usd("905.00")) {
		t.Fatalf("settled %s", total)
	}
	if total := must(e.svc.SettleCredit(ctx, operator, "dave"))(t); !total.IsZero() {
		t.Fatalf("settled twice: %s", total)
	}
}

// TestPaymentDeclined: an insufficient balance declines the payment and
// leaves the order payable.
func TestPaymentDeclined(t *testing.T) {
	e := newEnv(t)
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "erin", Amount: usd("10.00")}))(t)
	erin := marketplace.BuyerActor("erin")
	in := licenseOrder(e, e.license, billing.Yearly)
	in.AgreeTerms, in.IdempotencyKey = true, "k"
	o := must(e.svc.CreateOrder(ctx, erin, in))(t)
	_, err := e.svc.PayOrder(ctx, erin, marketplace.PayInput{OrderID: o.ID})
	wantErr(t, err, marketplace.ErrPaymentFailed)
	var pe *marketplace.PaymentError
	if !errors.As(err, &pe) || pe.Account != "erin" {
		t.Fatalf("payment error: %#v", err)
	}
	if got := e.order(o.ID).Status; got != marketplace.OrderPendingPayment {
		t.Fatalf("order after a declined payment: %s", got)
	}
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "erin", Amount: usd("890.00")}))(t)
	if got := must(e.svc.PayOrder(ctx, erin, marketplace.PayInput{OrderID: o.ID}))(t); got.Status != marketplace.OrderProcessing {
		t.Fatalf("after top-up: %s", got.Status)
	}
	_, err = e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "erin", Amount: billing.MustMoney("1", billing.EUR)})
	wantErr(t, err, marketplace.ErrPaymentFailed)
	_ = fmt.Sprint()
}

// TestTrial: a free trial of a SaaS specification is provisioned at no
// charge, expires after its days, and a renewal converts it to a paid term.
func TestTrial(t *testing.T) {
	in := saasInput("Trial CRM", false, false)
	in.Specs[0].Pricing.TrialDays = 7
	e := newEnv(t)
	p := e.publish(seller, in)
	order := marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}, Trial: true}
	o := e.buy(buyer, order, nil)
	if !o.Amount.IsZero() || !o.Trial || o.Status != marketplace.OrderCompleted {
		t.Fatalf("trial order: %s %v %s", o.Amount, o.Trial, o.Status)
	}
	if got := e.balance("alice"); !got.Equal(usd("10000.00")) {
		t.Fatalf("trial charged: %s", got)
	}
	r := e.resource(o.ResourceID)
	// Started 2026-01-05 18:30 GMT+08:00: 7 days → 2026-01-12 23:59:59.
	if want := time.Date(2026, 1, 12, 15, 59, 59, 0, time.UTC); !r.ExpiresAt.Equal(want) {
		t.Fatalf("trial expiry %v, want %v", r.ExpiresAt, want)
	}
	chk := must(e.svc.UnsubscribeEligibility(ctx, buyer, r.ID))(t)
	if chk.Allowed {
		t.Fatalf("a trial is refundable: %+v", chk)
	}
	ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: r.ID, Duration: 1, IdempotencyKey: "convert"}))(t)
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ro.ID}))(t)
	if got := e.resource(r.ID); got.Trial || !got.ExpiresAt.After(*r.ExpiresAt) {
		t.Fatalf("converted: trial %v expiry %v", got.Trial, got.ExpiresAt)
	}
	// No trial offered for the yearly plan of a spec without trial days.
	order.ProductID, order.IdempotencyKey, order.AgreeTerms = e.saasPlain.ID, "t2", true
	_, err := e.svc.CreateOrder(ctx, buyer, order)
	wantErr(t, err, marketplace.ErrInvalidInput)
}
