package marketplace_test

import (
	"fmt"
	"time"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning/fake"
	"github.com/opengallery/opengallery/supervision"
)

// Example walks a license purchase: the seller lists it, the buyer pays,
// the seller delivers, the buyer accepts, and three hours later the order
// is completed by the due-work runner.
func Example() {
	clock := marketplace.NewSimClock(time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC))
	svc, _ := marketplace.New(memory.New(), marketplace.WithClock(clock), marketplace.WithIDGenerator(&marketplace.SequentialIDs{}))
	op, isv, alice := marketplace.OperatorActor("op"), marketplace.SellerActor("isv"), marketplace.BuyerActor("alice")

	_, _ = svc.RegisterSeller(ctx, op, marketplace.SellerInput{ID: "isv", Name: "Contoso", SupportEmail: "help@contoso.example"})
	p, _ := svc.CreateProduct(ctx, isv, marketplace.ProductInput{
		Name: "Antivirus", Category: "security", Delivery: marketplace.DeliveryLicense, Supervised: true, FlowTemplate: "license",
		Specs: []marketplace.Specification{{ID: "std", Name: "Standard", Pricing: billing.Pricing{Plans: []billing.PricePlan{
			{Mode: billing.Yearly, UnitPrice: billing.MustMoney("900", billing.USD)}}}}},
	})
	_, _ = svc.SubmitProduct(ctx, isv, p.ID)
	_, _ = svc.ReviewProduct(ctx, op, marketplace.ReviewInput{ProductID: p.ID, Approve: true})
	_, _ = svc.TopUp(ctx, op, marketplace.TopUpInput{AccountID: "alice", Amount: billing.MustMoney("1000", billing.USD)})

	o, _ := svc.CreateOrder(ctx, alice, marketplace.CreateOrderInput{
		QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "std", Mode: billing.Yearly, Duration: 1},
		AgreeTerms: true, IdempotencyKey: "checkout-1",
	})
	o, _ = svc.PayOrder(ctx, alice, marketplace.PayInput{OrderID: o.ID})
	fmt.Println(o.Number, o.Amount.Display(), o.Status)

	_, _ = svc.Act(ctx, isv, marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.Deliver, Result: "key AAAA-BBBB"})
	f, _ := svc.Act(ctx, alice, marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.Accept})
	fmt.Println(f.Supervision.Label())

	clock.Advance(3 * time.Hour)
	_, _ = svc.RunDue(ctx)
	o, _ = svc.GetOrder(ctx, alice, o.ID)
	r, _ := svc.GetPurchasedApp(ctx, alice, o.ResourceID)
	fmt.Println(o.Status, r.Status, r.ExpiresAt.In(billing.PlatformZone).Format(time.DateTime))
	// Output:
	// CS00000003 $900.00 USD processing
	// Service completed
	// completed active 2027-01-05 23:59:59
}

// Example_payPerUse shows pay-per-use metering: the runner charges each
// whole hour in arrears at the quote's exact hourly rate, rounding the
// running total (not each hour), so 7 hours at $0.0137 cost $0.10.
func Example_payPerUse() {
	clock := marketplace.NewSimClock(time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC))
	svc, _ := marketplace.New(memory.New(), marketplace.WithClock(clock), marketplace.WithIDGenerator(&marketplace.SequentialIDs{}),
		marketplace.WithSaaS(fake.NewSaaS()), marketplace.WithCredentialKey([]byte("0123456789abcdef0123456789abcdef")))
	op, isv, alice := marketplace.OperatorActor("op"), marketplace.SellerActor("isv"), marketplace.BuyerActor("alice")
	_, _ = svc.RegisterSeller(ctx, op, marketplace.SellerInput{ID: "isv", Name: "Contoso", SupportEmail: "help@contoso.example"})
	p, _ := svc.CreateProduct(ctx, isv, marketplace.ProductInput{
		Name: "Metered API", Category: "tools", Delivery: marketplace.DeliverySaaS,
		Specs: []marketplace.Specification{{ID: "m", Name: "Metered", Pricing: billing.Pricing{Plans: []billing.PricePlan{
			{Mode: billing.PayPerUse, UnitPrice: billing.MustMoney("0.0137", billing.USD)}}}}},
	})
	_, _ = svc.SubmitProduct(ctx, isv, p.ID)
	_, _ = svc.ReviewProduct(ctx, op, marketplace.ReviewInput{ProductID: p.ID, Approve: true})
	_, _ = svc.TopUp(ctx, op, marketplace.TopUpInput{AccountID: "alice", Amount: billing.MustMoney("1", billing.USD)})
	o, _ := svc.CreateOrder(ctx, alice, marketplace.CreateOrderInput{
		QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "m", Mode: billing.PayPerUse}, AgreeTerms: true, IdempotencyKey: "k"})
	o, _ = svc.PayOrder(ctx, alice, marketplace.PayInput{OrderID: o.ID})
	fmt.Println("due at checkout:", o.Amount.Display(), "rate:", o.HourlyRate.String())
	for _, h := range []int{1, 3, 3} {
		clock.Advance(time.Duration(h) * time.Hour)
		_, _ = svc.RunDue(ctx)
		r, _ := svc.GetResource(ctx, alice, o.ResourceID)
		a, _ := svc.GetAccount(ctx, alice, "alice")
		fmt.Println(r.Usage.Hours, "h charged", r.Usage.Charged.Display(), "balance", a.Balance.Display())
	}
	// Output:
	// due at checkout: $0.00 USD rate: 0.0137 USD
	// 1 h charged $0.01 USD balance $0.99 USD
	// 4 h charged $0.05 USD balance $0.95 USD
	// 7 h charged $0.10 USD balance $0.90 USD
}
