package marketplace_test

import (
	"errors"
	"testing"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/supervision"
)

// TestAuthorization: every use case × every wrong actor answers not found
// (not yours looks like nothing there) or not allowed (wrong role).
func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	// A paid supervised license (flow, resource), a pending order, a SaaS
	// resource with a password, an invoice, an open unsubscription request
	// and a draft product.
	lic := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil)
	pin := licenseOrder(e, e.license, billing.Yearly)
	pin.AgreeTerms, pin.IdempotencyKey = true, "pending"
	pending := must(e.svc.CreateOrder(ctx, buyer, pin))(t)
	sa := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	inv := must(e.svc.RequestInvoice(ctx, buyer, marketplace.InvoiceInput{OrderID: sa.ID, Title: "Alice"}))(t)
	u := must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: lic.ResourceID, Amount: usd("1.00"), Reason: "x"}))(t)
	draft := must(e.svc.CreateProduct(ctx, seller, licenseInput("Draft", billing.Yearly, "1.00")))(t)
	must(e.svc.SaveItem(ctx, buyer, marketplace.SavedInput{ProductID: e.license.ID}))(t)
	restricted := licenseInput("Restricted", billing.Yearly, "1.00")
	restricted.Restriction.Whitelist = []string{"alice"}
	rp := e.publish(seller, restricted)

	system := marketplace.SystemActor()
	type uc struct {
		name  string
		call  func(a marketplace.Actor) error
		wrong map[string]error // actor name → sentinel
	}
	actors := map[string]marketplace.Actor{"other": other, "seller": seller, "seller2": seller2, "buyer": buyer, "operator": operator, "system": system}
	nf, na := marketplace.ErrNotFound, marketplace.ErrNotAllowed
	e2 := func(_ any, err error) error { return err }
	cases := []uc{
		{"GetOrder", func(a marketplace.Actor) error { return e2(e.svc.GetOrder(ctx, a, lic.ID)) }, map[string]error{"other": nf, "seller2": nf}},
		{"PayOrder", func(a marketplace.Actor) error {
			return e2(e.svc.PayOrder(ctx, a, marketplace.PayInput{OrderID: pending.ID}))
		},
			map[string]error{"other": nf, "seller": na, "operator": na, "system": na}},
		{"CancelOrder", func(a marketplace.Actor) error { return e2(e.svc.CancelOrder(ctx, a, pending.ID)) }, map[string]error{"other": nf, "seller": na, "operator": na}},
		{"ListOrders", func(a marketplace.Actor) error { return e2(e.svc.ListOrders(ctx, a, marketplace.ListOrdersInput{})) }, map[string]error{"system": na}},
		{"GetFlow", func(a marketplace.Actor) error { return e2(e.svc.GetFlow(ctx, a, lic.FlowID)) }, map[string]error{"other": nf, "seller2": nf}},
		{"Act deliver", func(a marketplace.Actor) error {
			return e2(e.svc.Act(ctx, a, marketplace.FlowActionInput{FlowID: lic.FlowID, Action: supervision.Deliver, Result: "r"}))
		}, map[string]error{"other": nf, "seller2": nf, "buyer": na, "operator": na}},
		{"Act accept", func(a marketplace.Actor) error {
			return e2(e.svc.Act(ctx, a, marketplace.FlowActionInput{FlowID: lic.FlowID, Action: supervision.Accept}))
		}, map[string]error{"other": nf, "seller2": nf, "seller": na, "operator": na}},
		{"Act remind", func(a marketplace.Actor) error {
			return e2(e.svc.Act(ctx, a, marketplace.FlowActionInput{FlowID: lic.FlowID, Action: supervision.Remind}))
		}, map[string]error{"other": nf, "seller2": nf, "seller": na, "operator": na}},
		{"Act terminate", func(a marketplace.Actor) error {
			return e2(e.svc.Act(ctx, a, marketplace.FlowActionInput{FlowID: lic.FlowID, Action: supervision.Terminate, Reason: "x"}))
		}, map[string]error{"other": nf, "seller2": nf, "buyer": na, "seller": na}},
		{"Act at a stale version", func(a marketplace.Actor) error {
			return e2(e.svc.Act(ctx, a, marketplace.FlowActionInput{FlowID: lic.FlowID, Action: supervision.Deliver, Result: "r", Version: 99}))
		}, map[string]error{"other": nf, "seller2": nf}},
		{"Act auto-accept", func(a marketplace.Actor) error {
			return e2(e.svc.Act(ctx, a, marketplace.FlowActionInput{FlowID: lic.FlowID, Action: supervision.AutoAccept}))
		}, map[string]error{"other": nf, "buyer": na, "seller": na, "operator": na}},
		{"ListFlows", func(a marketplace.Actor) error { return e2(e.svc.ListFlows(ctx, a, marketplace.ListFlowsInput{})) }, map[string]error{"system": na}},
		{"GetPurchasedApp", func(a marketplace.Actor) error { return e2(e.svc.GetPurchasedApp(ctx, a, sa.ResourceID)) },
			map[string]error{"other": nf, "seller": na, "seller2": na}},
		{"ListPurchasedApps", func(a marketplace.Actor) error {
			return e2(e.svc.ListPurchasedApps(ctx, a, marketplace.ListAppsInput{}))
		},
			map[string]error{"seller": na, "operator": na}},
		{"GetResource", func(a marketplace.Actor) error { return e2(e.svc.GetResource(ctx, a, sa.ResourceID)) }, map[string]error{"other": nf, "seller2": nf}},
		{"RevealPassword", func(a marketplace.Actor) error { return e2(e.svc.RevealPassword(ctx, a, sa.ResourceID)) },
			map[string]error{"other": nf, "seller": na, "operator": na, "system": na}},
		{"ResourceContact", func(a marketplace.Actor) error { return e2(e.svc.ResourceContact(ctx, a, sa.ResourceID)) }, map[string]error{"other": nf, "seller": na}},
		{"Renew", func(a marketplace.Actor) error {
			return e2(e.svc.Renew(ctx, a, marketplace.RenewInput{ResourceID: sa.ResourceID, Duration: 1, IdempotencyKey: "x"}))
		}, map[string]error{"other": nf, "seller": na, "operator": na}},
		{"SetAutoRenew", func(a marketplace.Actor) error {
			return e2(e.svc.SetAutoRenew(ctx, a, marketplace.AutoRenewInput{ResourceID: sa.ResourceID}))
		}, map[string]error{"other": nf, "seller": na}},
		{"SetAutoRenew at a stale version", func(a marketplace.Actor) error {
			return e2(e.svc.SetAutoRenew(ctx, a, marketplace.AutoRenewInput{ResourceID: sa.ResourceID, Version: 99}))
		}, map[string]error{"other": nf, "seller": na}},
		{"SetRenewalDay", func(a marketplace.Actor) error {
			return e2(e.svc.SetRenewalDay(ctx, a, marketplace.RenewalDayInput{ResourceIDs: []string{sa.ResourceID}, Day: 1}))
		}, map[string]error{"other": nf, "seller": na}},
		{"QuoteUpgrade", func(a marketplace.Actor) error {
			return e2(e.svc.QuoteUpgrade(ctx, a, marketplace.UpgradeInput{ResourceID: sa.ResourceID, Quantity: 2}))
		}, map[string]error{"other": nf, "seller": na}},
		{"Upgrade", func(a marketplace.Actor) error {
			return e2(e.svc.Upgrade(ctx, a, marketplace.UpgradeInput{ResourceID: sa.ResourceID, Quantity: 2, IdempotencyKey: "u"}))
		}, map[string]error{"other": nf, "seller": na}},
		{"UnsubscribeEligibility", func(a marketplace.Actor) error { return e2(e.svc.UnsubscribeEligibility(ctx, a, lic.ResourceID)) },
			map[string]error{"other": nf, "seller": na}},
		{"QuoteUnsubscribe", func(a marketplace.Actor) error { return e2(e.svc.QuoteUnsubscribe(ctx, a, sa.ResourceID)) }, map[string]error{"other": nf, "seller": na}},
		{"Unsubscribe", func(a marketplace.Actor) error { return e2(e.svc.Unsubscribe(ctx, a, sa.ResourceID)) }, map[string]error{"other": nf, "seller": na}},
		{"UnsubscribeResource", func(a marketplace.Actor) error {
			return e2(e.svc.UnsubscribeResource(ctx, a, marketplace.UnsubscribeInput{ResourceID: sa.ResourceID, IdempotencyKey: "x"}))
		}, map[string]error{"other": nf, "seller": na}},
		{"ProposeUnsubscribe", func(a marketplace.Actor) error {
			return e2(e.svc.ProposeUnsubscribe(ctx, a, marketplace.ProposeInput{ResourceID: lic.ResourceID, Amount: usd("1.00"), Reason: "x"}))
		}, map[string]error{"other": nf, "seller": na}},
		{"DecideUnsubscribe", func(a marketplace.Actor) error {
			return e2(e.svc.DecideUnsubscribe(ctx, a, marketplace.DecideInput{RequestID: u.ID, Comment: "no"}))
		}, map[string]error{"seller2": nf, "buyer": na, "operator": na}},
		{"ListUnsubscribeRequests", func(a marketplace.Actor) error { return e2(e.svc.ListUnsubscribeRequests(ctx, a, "", "", 0)) }, map[string]error{"system": na}},
		{"RequestInvoice", func(a marketplace.Actor) error {
			return e2(e.svc.RequestInvoice(ctx, a, marketplace.InvoiceInput{OrderID: lic.ID, Title: "x"}))
		}, map[string]error{"other": nf, "seller": na, "operator": na}},
		{"IssueInvoice", func(a marketplace.Actor) error { return e2(e.svc.IssueInvoice(ctx, a, inv.ID)) }, map[string]error{"buyer": na, "seller": na}},
		{"ReturnInvoice", func(a marketplace.Actor) error { return e2(e.svc.ReturnInvoice(ctx, a, inv.ID)) }, map[string]error{"other": nf, "seller": na}},
		{"ListInvoices", func(a marketplace.Actor) error { return e2(e.svc.ListInvoices(ctx, a, "", "", 0)) }, map[string]error{"system": na}},
		{"GetProduct draft", func(a marketplace.Actor) error { return e2(e.svc.GetProduct(ctx, a, draft.ID)) }, map[string]error{"buyer": nf, "seller2": nf}},
		{"ProductContact draft", func(a marketplace.Actor) error { return e2(e.svc.ProductContact(ctx, a, draft.ID)) }, map[string]error{"buyer": nf, "seller2": nf}},
		{"ReviewQueue", func(a marketplace.Actor) error { return e2(e.svc.ReviewQueue(ctx, a, "", 0)) },
			map[string]error{"buyer": na, "other": na, "seller": na, "seller2": na, "system": na}},
		{"UpdateProduct", func(a marketplace.Actor) error {
			return e2(e.svc.UpdateProduct(ctx, a, draft.ID, draft.Version, licenseInput("X", billing.Yearly, "1.00")))
		}, map[string]error{"seller2": nf, "buyer": na, "operator": na}},
		{"SubmitProduct", func(a marketplace.Actor) error { return e2(e.svc.SubmitProduct(ctx, a, draft.ID)) }, map[string]error{"seller2": nf, "buyer": na, "operator": na}},
		{"ReviewProduct", func(a marketplace.Actor) error {
			return e2(e.svc.ReviewProduct(ctx, a, marketplace.ReviewInput{ProductID: draft.ID, Approve: true}))
		}, map[string]error{"seller": na, "buyer": na}},
		{"DelistProduct", func(a marketplace.Actor) error { return e2(e.svc.DelistProduct(ctx, a, e.license.ID)) }, map[string]error{"seller2": nf, "buyer": na}},
		{"DiscontinueSpec", func(a marketplace.Actor) error { return e2(e.svc.DiscontinueSpec(ctx, a, e.license.ID, "std")) }, map[string]error{"seller2": nf, "buyer": na}},
		{"CreateProduct", func(a marketplace.Actor) error {
			return e2(e.svc.CreateProduct(ctx, a, licenseInput("Y", billing.Yearly, "1.00")))
		},
			map[string]error{"buyer": na, "operator": na}},
		{"RegisterSeller", func(a marketplace.Actor) error {
			return e2(e.svc.RegisterSeller(ctx, a, marketplace.SellerInput{ID: "isv1", Name: "x", SupportEmail: "a@b.c"}))
		}, map[string]error{"buyer": na, "seller2": na, "system": na}},
		{"RegisterSeller at a stale version", func(a marketplace.Actor) error {
			return e2(e.svc.RegisterSeller(ctx, a, marketplace.SellerInput{ID: "isv1", Name: "x", SupportEmail: "a@b.c", Version: 99}))
		}, map[string]error{"buyer": na, "seller2": na, "system": na}},
		{"SellerProducts", func(a marketplace.Actor) error { return e2(e.svc.SellerProducts(ctx, a, "isv1", nil, "", 0)) }, map[string]error{"seller2": na, "buyer": na}},
		{"Events", func(a marketplace.Actor) error { return e2(e.svc.Events(ctx, a, 0, 10)) }, map[string]error{"buyer": na, "seller": na}},
		{"TopUp", func(a marketplace.Actor) error {
			return e2(e.svc.TopUp(ctx, a, marketplace.TopUpInput{AccountID: "alice", Amount: usd("1.00")}))
		}, map[string]error{"buyer": na, "seller": na}},
		{"SetCredit", func(a marketplace.Actor) error { return e2(e.svc.SetCredit(ctx, a, "alice", false)) }, map[string]error{"buyer": na, "system": na}},
		{"SetCreditIf", func(a marketplace.Actor) error {
			return e2(e.svc.SetCreditIf(ctx, a, marketplace.CreditInput{AccountID: "alice", Version: 99}))
		}, map[string]error{"buyer": na, "seller": na, "system": na}},
		{"SettleCredit", func(a marketplace.Actor) error { return e2(e.svc.SettleCredit(ctx, a, "alice")) }, map[string]error{"buyer": na, "seller": na}},
		{"GetAccount", func(a marketplace.Actor) error { return e2(e.svc.GetAccount(ctx, a, "alice")) }, map[string]error{"other": nf, "seller": na}},
		{"SaveItem", func(a marketplace.Actor) error {
			return e2(e.svc.SaveItem(ctx, a, marketplace.SavedInput{ProductID: e.license.ID}))
		},
			map[string]error{"seller": na, "operator": na}},
		{"SavedList", func(a marketplace.Actor) error { return e2(e.svc.SavedList(ctx, a)) }, map[string]error{"seller": na}},
		{"RemoveSavedItem", func(a marketplace.Actor) error {
			return e.svc.RemoveSavedItem(ctx, a, marketplace.SavedInput{ProductID: e.license.ID})
		}, map[string]error{"other": nf, "seller": na}},
		{"CreateOrder", func(a marketplace.Actor) error {
			in := licenseOrder(e, e.license, billing.Yearly)
			in.AgreeTerms, in.IdempotencyKey = true, "authz"
			return e2(e.svc.CreateOrder(ctx, a, in))
		}, map[string]error{"seller": na, "operator": na, "system": na}},
		{"CreateOrder restricted", func(a marketplace.Actor) error {
			in := licenseOrder(e, rp, billing.Yearly)
			in.AgreeTerms, in.IdempotencyKey = true, "authz-r"
			return e2(e.svc.CreateOrder(ctx, a, in))
		}, map[string]error{"other": na}},
		{"EndPayPerUse", func(a marketplace.Actor) error { return e2(e.svc.EndPayPerUse(ctx, a, sa.ResourceID)) },
			map[string]error{"other": nf, "seller": na, "operator": na, "system": na}},
		{"ReviewRefund", func(a marketplace.Actor) error {
			return e2(e.svc.ReviewRefund(ctx, a, marketplace.RefundDecisionInput{OrderID: lic.ID, Approve: true}))
		}, map[string]error{"buyer": na, "other": na, "seller": na, "seller2": na, "system": na}},
		{"RefundReviews", func(a marketplace.Actor) error { return e2(e.svc.RefundReviews(ctx, a, "", 0)) },
			map[string]error{"buyer": na, "other": na, "seller": na, "seller2": na, "system": na}},
		{"Quote", func(a marketplace.Actor) error {
			return e2(e.svc.Quote(ctx, a, licenseOrder(e, e.license, billing.Yearly).QuoteInput))
		}, map[string]error{"seller": na, "system": na}},
	}
	for _, c := range cases {
		for name, want := range c.wrong {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				err := c.call(actors[name])
				if !errors.Is(err, want) {
					t.Fatalf("got %v, want %v", err, want)
				}
			})
		}
	}
	// Zero leaks in lists.
	if pg := must(e.svc.ListOrders(ctx, other, marketplace.ListOrdersInput{}))(t); pg.Total != 0 {
		t.Fatalf("another buyer sees %d orders", pg.Total)
	}
	if pg := must(e.svc.ListFlows(ctx, seller2, marketplace.ListFlowsInput{}))(t); pg.Total != 0 {
		t.Fatalf("another seller sees %d flows", pg.Total)
	}
	if pg := must(e.svc.ListInvoices(ctx, other, "", "", 0))(t); pg.Total != 0 {
		t.Fatalf("another buyer sees %d invoices", pg.Total)
	}
	if pg := must(e.svc.ListOrders(ctx, seller, marketplace.ListOrdersInput{}))(t); pg.Total != 3 {
		t.Fatalf("the seller sees %d orders, want 3", pg.Total)
	}
	if l := must(e.svc.SavedList(ctx, other))(t); len(l) != 0 {
		t.Fatalf("another buyer sees %d saved items", len(l))
	}
}
