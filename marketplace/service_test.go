package marketplace_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
	"github.com/opengallery/opengallery/supervision"
)

func TestNewOptions(t *testing.T) {
	st := memory.New()
	if _, err := marketplace.New(nil); !errors.Is(err, marketplace.ErrInvalidInput) {
		t.Fatalf("nil store: %v", err)
	}
	badCfg := billing.DefaultConfig()
	badCfg.GraceDays = -1
	badPolicy := supervision.DefaultPolicy()
	badPolicy.AppealThreshold = -1
	badDelivery := provisioning.DefaultDeliveryPolicy()
	badDelivery.Create.Interval = -1
	bad := map[string]marketplace.Option{
		"billing":     marketplace.WithBillingConfig(badCfg),
		"supervision": marketplace.WithSupervisionPolicy(badPolicy),
		"delivery":    marketplace.WithDeliveryPolicy(badDelivery),
		"key":         marketplace.WithCredentialKey([]byte("short")),
		"window":      marketplace.WithPaymentWindow(0),
		"runner":      marketplace.WithRunner(0, time.Minute, "w"),
		"catalog":     marketplace.WithDeployer(fake.NewDeployer(), provisioning.Catalog{Recommended: "nope"}),
	}
	for name, o := range bad {
		if _, err := marketplace.New(st, o); err == nil {
			t.Errorf("%s: bad option accepted", name)
		}
	}
	svc, err := marketplace.New(st,
		marketplace.WithBillingConfig(billing.DefaultConfig()), marketplace.WithSupervisionPolicy(supervision.DefaultPolicy()),
		marketplace.WithDeliveryPolicy(provisioning.DefaultDeliveryPolicy()), marketplace.WithPaymentWindow(time.Hour),
		marketplace.WithRunner(10, time.Minute, "w1"), marketplace.WithPayments(marketplace.NewBalancePayments(st, nil, nil)),
		marketplace.WithSaaSResolver(resolver{}))
	if err != nil {
		t.Fatal(err)
	}
	if svc.Store() != st || svc.BillingConfig().GraceDays != 15 || svc.SupervisionPolicy().AppealThreshold != 3 {
		t.Fatal("accessors")
	}
	// Real time by default: RunDue on an empty store does nothing.
	if rep, err := svc.RunDue(ctx); err != nil || rep.Claimed != 0 {
		t.Fatalf("RunDue: %+v %v", rep, err)
	}
	cctx, cancel := context.WithCancel(ctx)
	tick := make(chan time.Time, 1)
	tick <- time.Time{}
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	if err := svc.RunDueEvery(cctx, tick); !errors.Is(err, context.Canceled) {
		t.Fatalf("RunDueEvery: %v", err)
	}
}

type resolver struct{}

func (resolver) SaaSFor(context.Context, marketplace.Product) (provisioning.SaaS, error) {
	return nil, errors.New("no endpoint")
}

func TestInputValidation(t *testing.T) {
	long := strings.Repeat("x", 1001)
	cases := []struct {
		name string
		in   interface{ Validate() error }
	}{
		{"actor role", marketplace.Actor{Role: "king", ID: "x"}},
		{"actor id", marketplace.Actor{Role: marketplace.RoleBuyer}},
		{"seller reseller", marketplace.Actor{Role: marketplace.RoleSeller, ID: "s", ResellerID: "r"}},
		{"seller id", marketplace.SellerInput{Name: "n", SupportEmail: "a@b.c"}},
		{"seller id spaces", marketplace.SellerInput{ID: "a b", Name: "n", SupportEmail: "a@b.c"}},
		{"seller name", marketplace.SellerInput{ID: "s", SupportEmail: "a@b.c"}},
		{"seller email", marketplace.SellerInput{ID: "s", Name: "n", SupportEmail: "nope"}},
		{"review id", marketplace.ReviewInput{Approve: true}},
		{"review comment", marketplace.ReviewInput{ProductID: "p", Approve: true, Comment: long}},
		{"quote product", marketplace.QuoteInput{SpecID: "s", Mode: billing.Monthly}},
		{"quote spec", marketplace.QuoteInput{ProductID: "p", Mode: billing.Monthly}},
		{"quote mode", marketplace.QuoteInput{ProductID: "p", SpecID: "s", Mode: "weekly"}},
		{"quote duration", marketplace.QuoteInput{ProductID: "p", SpecID: "s", Mode: billing.Monthly, Duration: -1}},
		{"quote quantity", marketplace.QuoteInput{ProductID: "p", SpecID: "s", Mode: billing.Monthly, Quantity: -1}},
		{"quote image mode", marketplace.QuoteInput{ProductID: "p", SpecID: "s", Mode: billing.Monthly, Image: &marketplace.ImageChoice{Mode: "slow"}}},
		{"quote image region", marketplace.QuoteInput{ProductID: "p", SpecID: "s", Mode: billing.Monthly, Image: &marketplace.ImageChoice{Mode: "quick"}}},
		{"order terms", marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: "p", SpecID: "s", Mode: billing.Monthly}, IdempotencyKey: "k"}},
		{"order key", marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: "p", SpecID: "s", Mode: billing.Monthly}, AgreeTerms: true}},
		{"order auto-renew one-time", marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: "p", SpecID: "s", Mode: billing.OneTime}, AgreeTerms: true, IdempotencyKey: "k", AutoRenew: true}},
		{"order bad quote", marketplace.CreateOrderInput{}},
		{"pay", marketplace.PayInput{}},
		{"renew id", marketplace.RenewInput{Duration: 1, IdempotencyKey: "k"}},
		{"renew duration", marketplace.RenewInput{ResourceID: "r", IdempotencyKey: "k"}},
		{"renew key", marketplace.RenewInput{ResourceID: "r", Duration: 1}},
		{"auto-renew id", marketplace.AutoRenewInput{}},
		{"renewal day ids", marketplace.RenewalDayInput{Day: 1}},
		{"renewal day id", marketplace.RenewalDayInput{ResourceIDs: []string{""}, Day: 1}},
		{"upgrade id", marketplace.UpgradeInput{Quantity: 2}},
		{"upgrade quantity", marketplace.UpgradeInput{ResourceID: "r", Quantity: -1}},
		{"upgrade target", marketplace.UpgradeInput{ResourceID: "r"}},
		{"propose id", marketplace.ProposeInput{Amount: usd("1"), Reason: "r"}},
		{"propose amount", marketplace.ProposeInput{ResourceID: "r", Amount: usd("0"), Reason: "r"}},
		{"propose reason", marketplace.ProposeInput{ResourceID: "r", Amount: usd("1")}},
		{"decide id", marketplace.DecideInput{Agree: true}},
		{"invoice id", marketplace.InvoiceInput{Title: "t"}},
		{"invoice title", marketplace.InvoiceInput{OrderID: "o"}},
		{"invoice tax id", marketplace.InvoiceInput{OrderID: "o", Title: "t", TaxID: long}},
		{"top-up id", marketplace.TopUpInput{Amount: usd("1")}},
		{"top-up amount", marketplace.TopUpInput{AccountID: "a", Amount: usd("-1")}},
		{"saved product", marketplace.SavedInput{}},
		{"saved spec", marketplace.SavedInput{ProductID: "p", SpecID: "a b"}},
		{"flow id", marketplace.FlowActionInput{Action: supervision.Accept}},
		{"flow action", marketplace.FlowActionInput{FlowID: "f", Action: "dance"}},
		{"search text", marketplace.SearchInput{Text: strings.Repeat("x", 501)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.in.Validate()
			wantErr(t, err, marketplace.ErrInvalidInput)
			if err.Error() == "" {
				t.Fatal("empty message")
			}
		})
	}
	if err := (marketplace.SearchInput{}).Validate(); err != nil {
		t.Fatalf("clear filters: %v", err)
	}
}

func TestErrorsCarryValues(t *testing.T) {
	errs := []error{
		&marketplace.NotFoundError{Kind: marketplace.KindOrder, ID: "o1"},
		&marketplace.ConflictError{Kind: marketplace.KindOrder, ID: "o1", Want: 1, Have: 2},
		&marketplace.ConflictError{Kind: marketplace.KindOrder, ID: "o1"},
		&marketplace.StateError{Kind: marketplace.KindOrder, ID: "o1", State: "cancelled", Action: "pay", Reason: "late"},
		&marketplace.NotAllowedError{Actor: buyer, Action: "review", Reason: "operators only"},
		&marketplace.InputError{Field: "f", Value: 1, Reason: "bad"},
		&marketplace.PaymentError{Account: "a", Amount: "1.00 USD", Reason: "declined"},
		&marketplace.IdempotencyError{Key: "k"},
	}
	sentinels := []error{marketplace.ErrNotFound, marketplace.ErrConflict, marketplace.ErrConflict, marketplace.ErrConflict,
		marketplace.ErrNotAllowed, marketplace.ErrInvalidInput, marketplace.ErrPaymentFailed, marketplace.ErrIdempotencyMismatch}
	for i, err := range errs {
		if !errors.Is(err, sentinels[i]) || !strings.HasPrefix(err.Error(), "marketplace: ") {
			t.Errorf("%T: %v", err, err)
		}
	}
	if buyer.String() != "buyer:alice" {
		t.Fatal(buyer.String())
	}
}

func TestClockAndIDs(t *testing.T) {
	c := marketplace.NewSimClock(start)
	c.Set(start.Add(time.Hour))
	if !c.Now().Equal(start.Add(time.Hour)) {
		t.Fatal("Set")
	}
	st := memory.New()
	svc, err := marketplace.New(st) // default (time-ordered) ids, real time
	if err != nil {
		t.Fatal(err)
	}
	must(svc.RegisterSeller(ctx, operator, marketplace.SellerInput{ID: "s", Name: "S", SupportEmail: "s@x.y"}))(t)
	p := must(svc.CreateProduct(ctx, marketplace.SellerActor("s"), licenseInput("L", billing.Yearly, "1")))(t)
	if !strings.HasPrefix(p.ID, "prd_") || len(p.ID) != 36 {
		t.Fatalf("default id %q", p.ID)
	}
	must(svc.SubmitProduct(ctx, marketplace.SellerActor("s"), p.ID))(t)
	must(svc.ReviewProduct(ctx, operator, marketplace.ReviewInput{ProductID: p.ID, Approve: true}))(t)
	in := licenseOrder(nil, p, billing.Yearly)
	in.AgreeTerms, in.IdempotencyKey = true, "k"
	o := must(svc.CreateOrder(ctx, buyer, in))(t)
	if !strings.HasPrefix(o.Number, "CS") || len(o.Number) != 18 {
		t.Fatalf("order number %q", o.Number)
	}
	if !marketplace.MatchesText(p, marketplace.SearchTerms("l")) || marketplace.MatchesText(p, marketplace.SearchTerms("zzz")) {
		t.Fatal("MatchesText")
	}
}

// TestCredentialKey: a password sealed under one key does not open under
// another, and the stored bytes never contain it.
func TestCredentialKey(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	other, err := marketplace.New(e.store, marketplace.WithCredentialKey([]byte("another key of 32 bytes, exactly")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.RevealPassword(ctx, buyer, o.ResourceID); err == nil {
		t.Fatal("opened with the wrong key")
	}
}

// TestImageDeploymentPaths: a deployment still building is polled until
// active; a failed deploy call cancels and refunds.
func TestImageDeploymentPaths(t *testing.T) {
	e := newEnv(t)
	choice := &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}
	in := marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1, Image: choice}}
	e.dep.Processing(fake.OpDeploy, 1)
	e.dep.Processing(fake.OpDeployment, 2)
	o := e.buy(buyer, in, &pw)
	if o.Status != marketplace.OrderProcessing || o.Provisioning.InstanceID == "" {
		t.Fatalf("building: %s %+v", o.Status, o.Provisioning)
	}
	for range 3 {
		e.advance(time.Minute)
	}
	if got := e.order(o.ID); got.Status != marketplace.OrderCompleted {
		t.Fatalf("after polling: %s %+v", got.Status, got.Provisioning)
	}
	e.dep.Fail(fake.OpDeploy, provisioning.ErrUnavailable, 1)
	in.IdempotencyKey = "second"
	o2 := e.buy(buyer, in, &pw)
	if o2.Status != marketplace.OrderCancelled || o2.RefundedAt == nil {
		t.Fatalf("failed deploy: %s %v", o2.Status, o2.RefundedAt)
	}
	// A product region the image is not offered in.
	in.IdempotencyKey = "third"
	bad := *choice
	bad.Region = "cn-north-1"
	in.Image = &bad
	_, err := e.svc.Quote(ctx, buyer, in.QuoteInput)
	wantErr(t, err, marketplace.ErrInvalidInput)
	// Image choices on a non-image product.
	_, err = e.svc.Quote(ctx, buyer, marketplace.QuoteInput{ProductID: e.license.ID, SpecID: "std", Mode: billing.Yearly, Duration: 1, Image: choice})
	wantErr(t, err, marketplace.ErrInvalidInput)
	_, err = e.svc.Quote(ctx, buyer, marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1})
	wantErr(t, err, marketplace.ErrInvalidInput)
	// Pay-per-use: nothing due at checkout.
	ppu := marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.PayPerUse, Image: &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, VPC: "v", Subnet: "s", SecurityGroup: "sg-open"}}}
	o3 := e.buy(buyer, ppu, &pw)
	if !o3.Amount.IsZero() || o3.Status != marketplace.OrderCompleted {
		t.Fatalf("pay-per-use order: %s %s", o3.Amount, o3.Status)
	}
}

// TestTerminateWithoutRefundAndAutoAccept: an operator may terminate
// without a refund; a policy with automatic acceptance accepts for a
// silent buyer.
func TestTerminateWithoutRefundAndAutoAccept(t *testing.T) {
	p := supervision.DefaultPolicy()
	p.AutoAcceptAfter = 7 * 24 * time.Hour
	e := newEnv(t, marketplace.WithSupervisionPolicy(p))
	o := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil)
	e.act(seller, o.FlowID, supervision.Appeal, func(in *marketplace.FlowActionInput) { in.Reason = "buyer silent" })
	e.act(operator, o.FlowID, supervision.Terminate, func(in *marketplace.FlowActionInput) { in.Reason = "closed" })
	if got := e.order(o.ID); got.Status != marketplace.OrderCompleted || got.RefundAmount != nil {
		t.Fatalf("terminated without refund: %s", got.Status)
	}
	if got := e.resource(o.ResourceID); got.Status != marketplace.ResourceFailed {
		t.Fatalf("resource: %s", got.Status)
	}
	o2 := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil)
	e.act(seller, o2.FlowID, supervision.Deliver, func(in *marketplace.FlowActionInput) { in.Result = "key" })
	e.advance(7*24*time.Hour + time.Minute)
	fv := must(e.svc.GetFlow(ctx, buyer, o2.FlowID))(t)
	if fv.Supervision.Status != supervision.Completed {
		t.Fatalf("not auto-accepted: %s", fv.Supervision.Status)
	}
	e.advance(3 * time.Hour)
	if got := e.order(o2.ID); got.Status != marketplace.OrderCompleted {
		t.Fatalf("order after auto-acceptance: %s", got.Status)
	}
}

// TestSaaSWithoutEndpoint: with no SaaS endpoint the create is retried
// like any unavailable seller.
func TestSaaSWithoutEndpoint(t *testing.T) {
	e := newEnv(t, marketplace.WithSaaSResolver(resolver{}))
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	if o.Status != marketplace.OrderProcessing || !strings.Contains(o.Provisioning.LastError, "unavailable") {
		t.Fatalf("order: %s %q", o.Status, o.Provisioning.LastError)
	}
}
