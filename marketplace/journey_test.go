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

func provisioningSecret(s string) provisioning.Secret { return provisioning.NewSecret(s) }

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

// TestJourneySaaSPlain: a SaaS product without supervision is provisioned
// at once (create, then query until app info arrives), appears in Purchased
// Apps, reveals its password to its owner only, upgrades, renews, expires
// (frozen at the seller in retention) and is released at the seller.
func TestJourneySaaSPlain(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1, Quantity: 10}}, nil)
	if !o.Amount.Equal(usd("50.00")) {
		t.Fatalf("10 licenses × $5: %s", o.Amount)
	}
	if o.Status != marketplace.OrderCompleted || o.Provisioning.Phase != marketplace.PhaseDone {
		t.Fatalf("order after payment: %s %s %s", o.Status, o.Provisioning.Phase, o.Provisioning.LastError)
	}
	if n := len(e.saas.CallsTo("create")); n != 1 {
		t.Fatalf("%d create calls", n)
	}
	apps := must(e.svc.ListPurchasedApps(ctx, buyer, marketplace.ListAppsInput{}))(t)
	if apps.Total != 1 {
		t.Fatalf("purchased apps: %+v", apps)
	}
	app := apps.Items[0]
	if app.Status != marketplace.ResourceActive || app.App.Password != marketplace.MaskedPassword || app.App.FrontEndURL == "" || app.App.Username != "admin" {
		t.Fatalf("purchased app: %+v", app)
	}
	r := e.resource(app.ID)
	if string(r.App.PasswordCipher) == "" || containsBytes(r.App.PasswordCipher, "Pw-") {
		t.Fatalf("password stored in clear: %q", r.App.PasswordCipher)
	}
	pw := must(e.svc.RevealPassword(ctx, buyer, r.ID))(t)
	if pw != "Pw-"+r.App.InstanceID+"-1a!" {
		t.Fatalf("revealed %q", pw)
	}
	_, err := e.svc.RevealPassword(ctx, other, r.ID)
	wantErr(t, err, marketplace.ErrNotFound)
	_, err = e.svc.RevealPassword(ctx, operator, r.ID)
	wantErr(t, err, marketplace.ErrNotAllowed)

	// Upgrade 10 → 20 licenses ten days in.
	e.advance(10 * 24 * time.Hour)
	up := must(e.svc.QuoteUpgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: r.ID, Quantity: 20}))(t)
	if !up.Total.IsPositive() {
		t.Fatalf("upgrade cost %s", up.Total)
	}
	uo := must(e.svc.Upgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: r.ID, Quantity: 20, IdempotencyKey: "up1"}))(t)
	if !uo.Amount.Equal(up.Total) || uo.Kind != marketplace.OrderUpgrade {
		t.Fatalf("upgrade order %+v", uo)
	}
	// The upgrade takes effect only when paid.
	if got := e.resource(r.ID); got.Quantity != 10 {
		t.Fatalf("quantity before paying: %d", got.Quantity)
	}
	uo = must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: uo.ID}))(t)
	if got := e.resource(r.ID); got.Quantity != 20 || uo.Status != marketplace.OrderCompleted {
		t.Fatalf("after paying the upgrade: quantity %d, order %s", got.Quantity, uo.Status)
	}
	if n := len(e.saas.CallsTo("upgrade")); n != 1 {
		t.Fatalf("%d upgrade calls at the seller", n)
	}
	// Another specification: Basic → Pro.
	uo2 := must(e.svc.Upgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: r.ID, SpecID: "pro", IdempotencyKey: "up2"}))(t)
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: uo2.ID}))(t)
	if got := e.resource(r.ID); got.SpecID != "pro" || got.SpecName != "Pro" {
		t.Fatalf("after spec upgrade: %s", got.SpecID)
	}
	// Renew a month: the seller is told by a refresh.
	ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: r.ID, Duration: 1, IdempotencyKey: "r1"}))(t)
	if !ro.Amount.Equal(usd("160.00")) { // 20 × $8
		t.Fatalf("renewal of 20 Pro licenses: %s", ro.Amount)
	}
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ro.ID}))(t)
	if n := len(e.saas.CallsTo("refresh")); n != 1 {
		t.Fatalf("%d refresh calls", n)
	}
	r = e.resource(r.ID)
	e.advanceTo(r.ExpiresAt.Add(16*24*time.Hour), 5*24*time.Hour)
	if got := e.resource(r.ID).Status; got != marketplace.ResourceRetention {
		t.Fatalf("16 days after expiry: %s", got)
	}
	if n := len(e.saas.CallsTo("update_status")); n != 1 {
		t.Fatalf("%d freeze calls", n)
	}
	e.advance(15 * 24 * time.Hour)
	if got := e.resource(r.ID).Status; got != marketplace.ResourceReleased {
		t.Fatalf("after retention: %s", got)
	}
	inst, _ := e.saas.Instance(r.App.InstanceID)
	if n := len(e.saas.CallsTo("release")); n != 1 || inst.State != "released" {
		t.Fatalf("%d release calls, instance %s", n, inst.State)
	}
}

func containsBytes(b []byte, s string) bool {
	return len(s) > 0 && string(b) != "" && indexOf(string(b), s) >= 0
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// TestJourneySaaSSupervised: a supervised SaaS product with platform review
// is provisioned at payment, its app info visible on the flow, and appears
// in Purchased Apps only when the buyer accepts.
func TestJourneySaaSSupervised(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasSup.ID, SpecID: "basic", Mode: billing.Yearly, Duration: 1, Quantity: 2}}, nil)
	if o.Status != marketplace.OrderProcessing || o.Provisioning.Phase != marketplace.PhaseDone {
		t.Fatalf("order: %s %s", o.Status, o.Provisioning.Phase)
	}
	if apps := must(e.svc.ListPurchasedApps(ctx, buyer, marketplace.ListAppsInput{}))(t); apps.Total != 0 {
		t.Fatalf("a supervised SaaS product appeared before supervision completed: %+v", apps.Items)
	}
	_, err := e.svc.GetPurchasedApp(ctx, buyer, o.ResourceID)
	wantErr(t, err, marketplace.ErrNotFound)
	fv := must(e.svc.GetFlow(ctx, buyer, o.FlowID))(t)
	if fv.App == nil || fv.App.Password != marketplace.MaskedPassword || fv.Label == "" {
		t.Fatalf("flow view: %+v", fv)
	}
	if pw := must(e.svc.RevealPassword(ctx, buyer, o.ResourceID))(t); pw == "" {
		t.Fatal("no password on the flow's app info")
	}
	attach := []supervision.Attachment{{Name: "requirements.pdf", Size: 1024, BlobRef: "blob://1"}}
	e.act(buyer, o.FlowID, supervision.SubmitRequest, func(in *marketplace.FlowActionInput) { in.Description = "Set up 2 mailboxes"; in.Attachments = attach })
	e.act(seller, o.FlowID, supervision.ConfirmRequest)
	e.act(seller, o.FlowID, supervision.Deliver, func(in *marketplace.FlowActionInput) { in.Result = "done" })
	// The buyer cannot accept while the platform reviews.
	_, err = e.svc.Act(ctx, buyer, marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.Accept})
	wantErr(t, err, marketplace.ErrNotAllowed)
	wantErr(t, err, supervision.ErrNotAllowed)
	e.act(operator, o.FlowID, supervision.ApproveDelivery)
	e.act(buyer, o.FlowID, supervision.Accept)
	if apps := must(e.svc.ListPurchasedApps(ctx, buyer, marketplace.ListAppsInput{}))(t); apps.Total != 1 {
		t.Fatalf("not in Purchased Apps after acceptance")
	}
	e.advance(3 * time.Hour)
	if got := e.order(o.ID).Status; got != marketplace.OrderCompleted {
		t.Fatalf("order 3 hours after acceptance: %s", got)
	}
}

// TestJourneyProfessionalAppeals: a professional service; the buyer may
// appeal after the seller rejected the request 3 times; an operator
// completes the flow; a second purchase shows the appeal opening after 5
// idle days.
func TestJourneyProfessionalAppeals(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.pro.ID, SpecID: "std", Mode: billing.OneTime}}, nil)
	if !o.Amount.Equal(usd("300.00")) {
		t.Fatalf("amount %s", o.Amount)
	}
	desc := func(in *marketplace.FlowActionInput) { in.Description = "Migrate 2 TB" }
	why := func(in *marketplace.FlowActionInput) { in.Reason = "need more detail" }
	for i := range 3 {
		e.act(buyer, o.FlowID, supervision.SubmitRequest, desc)
		if i < 2 {
			_, err := e.svc.Act(ctx, buyer, marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.Appeal, Reason: "stuck"})
			wantErr(t, err, supervision.ErrNotAllowed)
		}
		e.act(seller, o.FlowID, supervision.RejectRequest, why)
	}
	f := e.act(buyer, o.FlowID, supervision.Appeal, func(in *marketplace.FlowActionInput) { in.Reason = "rejected three times" })
	if f.Supervision.Status != supervision.AwaitingOperations || !f.Supervision.Frozen {
		t.Fatalf("after appeal: %+v", f.Supervision)
	}
	// Frozen: neither party acts; only operators resolve.
	_, err := e.svc.Act(ctx, seller, marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.Deliver, Result: "x"})
	wantErr(t, err, supervision.ErrFrozen)
	_, err = e.svc.Act(ctx, seller2, marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.Complete, Reason: "x"})
	wantErr(t, err, marketplace.ErrNotFound)
	e.act(operator, o.FlowID, supervision.Complete, func(in *marketplace.FlowActionInput) { in.Reason = "verified by phone" })
	e.advance(3 * time.Hour)
	if got := e.order(o.ID).Status; got != marketplace.OrderCompleted {
		t.Fatalf("order after operator completion: %s", got)
	}

	// Appeal after 5 idle days: the seller does not confirm a request.
	o2 := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.pro.ID, SpecID: "std", Mode: billing.OneTime}}, nil)
	e.act(buyer, o2.FlowID, supervision.SubmitRequest, desc)
	e.advance(5 * 24 * time.Hour)
	_, err = e.svc.Act(ctx, buyer, marketplace.FlowActionInput{FlowID: o2.FlowID, Action: supervision.Appeal, Reason: "no answer"})
	wantErr(t, err, supervision.ErrTooEarly)
	if e.hasEvent(o2.FlowID, "flow.appeal_available") {
		t.Fatal("appeal announced before 5 days passed")
	}
	e.advance(2 * time.Second)
	if !e.hasEvent(o2.FlowID, "flow.appeal_available") {
		t.Fatal("appeal availability not announced after 5 idle days")
	}
	fv := must(e.svc.GetFlow(ctx, buyer, o2.FlowID))(t)
	if !containsAction(fv.Available, supervision.Appeal) {
		t.Fatalf("appeal not available: %v", fv.Available)
	}
	// Termination with refund cancels and refunds the order.
	e.act(buyer, o2.FlowID, supervision.Appeal, func(in *marketplace.FlowActionInput) { in.Reason = "no answer" })
	before := e.balance("alice")
	e.act(operator, o2.FlowID, supervision.Terminate, func(in *marketplace.FlowActionInput) { in.Reason = "seller unreachable"; in.Refund = true })
	if got := e.order(o2.ID); got.Status != marketplace.OrderCancelled || got.RefundedAt == nil {
		t.Fatalf("terminated order: %s refunded %v", got.Status, got.RefundedAt)
	}
	if got, _ := e.balance("alice").Sub(before); !got.Equal(usd("300.00")) {
		t.Fatalf("refund %s, want 300.00", got)
	}
}

func containsAction(as []supervision.Action, a supervision.Action) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

var pw = marketplace.ImageLogin{Password: provisioningSecret("Str0ng!Pass"), ConfirmPassword: provisioningSecret("Str0ng!Pass")}

// TestJourneyImage: quick and customized provisioning of an image, then
// unsubscription with the formula refund.
func TestJourneyImage(t *testing.T) {
	e := newEnv(t)
	quick := &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}
	in := marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1, Image: quick}}
	q := must(e.svc.Quote(ctx, buyer, in.QuoteInput))(t)
	if !q.Total.Equal(usd("90.37")) { // $20.00 image + $70.37 s6.xlarge.2 per month
		t.Fatalf("image quote %s (%s)", q.Total, q.CostDetails())
	}
	// Paying without a password fails before anything is charged.
	in.AgreeTerms, in.IdempotencyKey = true, "img-1"
	o := must(e.svc.CreateOrder(ctx, buyer, in))(t)
	_, err := e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: o.ID})
	wantErr(t, err, marketplace.ErrInvalidInput)
	weak := marketplace.ImageLogin{Password: provisioningSecret("weak"), ConfirmPassword: provisioningSecret("weak")}
	_, err = e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: o.ID, Login: &weak})
	wantErr(t, err, marketplace.ErrInvalidInput)
	if got := e.balance("alice"); !got.Equal(usd("10000.00")) {
		t.Fatalf("charged for a refused deployment: %s", got)
	}
	o = must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: o.ID, Login: &pw}))(t)
	if o.Status != marketplace.OrderCompleted {
		t.Fatalf("quick image order: %s %s", o.Status, o.Provisioning.LastError)
	}
	r := e.resource(o.ResourceID)
	if r.Status != marketplace.ResourceActive || len(r.App.Servers) != 1 {
		t.Fatalf("image resource: %+v", r)
	}
	// Customized: 2 servers.
	custom := &marketplace.ImageChoice{Mode: "customized", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1",
		SecurityGroup: "sg-open", Name: "web", Quantity: 2, SystemDisk: "SAS", SystemDiskGiB: 40}
	o2 := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1, Image: custom}}, &pw)
	if got := e.resource(o2.ResourceID); o2.Status != marketplace.OrderCompleted || len(got.App.Servers) != 2 {
		t.Fatalf("customized order %s, servers %v", o2.Status, got.App.Servers)
	}
	// Unsubscribe the first after 10 days: paid − consumed − 10% fee.
	e.advance(10 * 24 * time.Hour)
	chk := must(e.svc.UnsubscribeEligibility(ctx, buyer, r.ID))(t)
	if !chk.Allowed || chk.Kind != billing.InUse {
		t.Fatalf("eligibility: %+v", chk)
	}
	ref := must(e.svc.QuoteUnsubscribe(ctx, buyer, r.ID))(t)
	if !ref.Total.IsPositive() || ref.UsedHours == 0 {
		t.Fatalf("refund quote: %+v", ref)
	}
	before := e.balance("alice")
	uo := must(e.svc.Unsubscribe(ctx, buyer, r.ID))(t)
	if uo.Kind != marketplace.OrderUnsubscription || uo.Status != marketplace.OrderCompleted || !uo.Amount.Equal(ref.Total) {
		t.Fatalf("unsubscription order: %+v", uo)
	}
	if got, _ := e.balance("alice").Sub(before); !got.Equal(ref.Total) {
		t.Fatalf("refunded %s, want %s", got, ref.Total)
	}
	if got := e.resource(r.ID).Status; got != marketplace.ResourceUnsubscribed {
		t.Fatalf("after unsubscription: %s", got)
	}
	if n := countOp(e.dep.Calls(), string(fake.OpRelease)); n != 1 {
		t.Fatalf("%d release calls", n)
	}
	_, err = e.svc.Unsubscribe(ctx, buyer, r.ID)
	wantErr(t, err, billing.ErrNotRefundable)

	// The customized one auto-renews (images do by default), then is
	// left to expire: grace, retention, release of its servers.
	r2 := e.resource(o2.ResourceID)
	must(e.svc.SetAutoRenew(ctx, buyer, marketplace.AutoRenewInput{ResourceID: r2.ID, Enabled: true}))(t)
	e.advanceTo(r2.ExpiresAt.Add(-time.Hour), 24*time.Hour)
	r2 = e.resource(r2.ID)
	if len(r2.OrderIDs) != 2 {
		t.Fatalf("image not auto-renewed: %v", r2.OrderIDs)
	}
	must(e.svc.SetAutoRenew(ctx, buyer, marketplace.AutoRenewInput{ResourceID: r2.ID}))(t)
	e.advanceTo(r2.ExpiresAt.Add(31*24*time.Hour), 5*24*time.Hour)
	if got := e.resource(r2.ID).Status; got != marketplace.ResourceReleased {
		t.Fatalf("image after retention: %s", got)
	}
	if n := countOp(e.dep.Calls(), string(fake.OpRelease)); n != 2 {
		t.Fatalf("%d release calls, want 2", n)
	}
}

func countOp(calls []fake.Call, op string) int {
	n := 0
	for _, c := range calls {
		if string(c.Op) == op {
			n++
		}
	}
	return n
}

// TestRenewalInRetention: renewing a frozen SaaS subscription starts from
// the original expiry, refreshes and unfreezes it at the seller.
func TestRenewalInRetention(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	r := e.resource(o.ResourceID)
	expiry := *r.ExpiresAt
	e.advanceTo(expiry.Add(20*24*time.Hour), 5*24*time.Hour)
	if got := e.resource(r.ID).Status; got != marketplace.ResourceRetention {
		t.Fatalf("20 days after expiry: %s", got)
	}
	ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: r.ID, Duration: 2, IdempotencyKey: "late"}))(t)
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ro.ID}))(t)
	got := e.resource(r.ID)
	if got.Status != marketplace.ResourceActive || !got.Term.Start.Equal(expiry) {
		t.Fatalf("renewed in retention: %s from %v (want %v)", got.Status, got.Term.Start, expiry)
	}
	var unfreeze int
	for _, c := range e.saas.CallsTo(provisioning.OpUpdateStatus) {
		if req, ok := c.Request.(provisioning.StatusRequest); ok && req.Status == provisioning.StatusUnfreeze {
			unfreeze++
		}
	}
	if unfreeze != 1 {
		t.Fatalf("%d unfreeze calls", unfreeze)
	}
}
