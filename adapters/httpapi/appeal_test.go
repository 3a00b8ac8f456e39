package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/opengallery/opengallery/marketplace"
)

// TestAppealsOverHTTP: a professional service whose seller stays silent;
// the buyer's appeal is refused as too early, opens after 5 idle days,
// freezes the flow, and the operator terminates it with a refund. A second
// flow reaches an appeal after 3 rejections.
func TestAppealsOverHTTP(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.registerSellers()
		product := e.listProduct(tokSeller, serviceProduct2())
		e.fund("buyer-1", "5000.00")

		o := e.buy(tokBuyer, map[string]any{"product_id": product, "spec_id": "once", "mode": "one_time"}, nil)
		flow := e.flowOf(o.ID).ID
		e.Must(http.StatusOK, "POST", "/v1/flows/"+flow+"/actions/submit_request", tokBuyer, map[string]any{"description": "Migrate 3 servers"})
		early := e.Do("POST", "/v1/flows/"+flow+"/actions/appeal", tokBuyer, map[string]any{"reason": "The seller does not answer"})
		if early.Status != 409 || early.Code() != "too_early" {
			t.Errorf("appeal at once: %s", early)
		}
		e.advance(5*24*time.Hour + time.Hour)
		av := e.Must(http.StatusOK, "GET", "/v1/flows/"+flow+"/actions", tokBuyer, nil).Map(t)
		if !containsAny(av["available"], "appeal") {
			t.Fatalf("after 5 idle days the buyer's actions are %v", av["available"])
		}
		e.Must(http.StatusOK, "POST", "/v1/flows/"+flow+"/actions/appeal", tokBuyer, map[string]any{"reason": "The seller does not answer"})
		if got := e.Do("POST", "/v1/flows/"+flow+"/actions/confirm_request", tokSeller, nil); got.Status != 409 || got.Code() != "flow_frozen" {
			t.Errorf("seller acting on a frozen flow: %s", got)
		}
		if got := e.Do("POST", "/v1/flows/"+flow+"/actions/terminate", tokSeller, map[string]any{"reason": "x", "refund": true}); got.Status != 403 && got.Status != 409 {
			t.Errorf("seller resolving an appeal: %s", got)
		}
		var acc marketplace.Account
		e.Must(http.StatusOK, "GET", "/v1/accounts/buyer-1", tokBuyer, nil).JSON(t, &acc)
		before := acc.Balance
		e.Must(http.StatusOK, "POST", "/v1/flows/"+flow+"/actions/terminate", tokOperator, map[string]any{"reason": "Seller unresponsive", "refund": true})
		e.advance(time.Minute)
		e.Must(http.StatusOK, "GET", "/v1/orders/"+o.ID, tokBuyer, nil).JSON(t, &o)
		if o.Status != marketplace.OrderCancelled {
			t.Errorf("terminated with refund: order %s", o.Status)
		}
		e.Must(http.StatusOK, "GET", "/v1/accounts/buyer-1", tokBuyer, nil).JSON(t, &acc)
		if diff, _ := acc.Balance.Sub(before); diff.AmountString() != "1200.00" {
			t.Errorf("refund = %s, want 1200.00", diff)
		}

		// Three rejections open the appeal at once.
		o2 := e.buy(tokBuyer, map[string]any{"product_id": product, "spec_id": "once", "mode": "one_time"}, nil)
		flow2 := e.flowOf(o2.ID).ID
		for i := range 3 {
			e.Must(http.StatusOK, "POST", "/v1/flows/"+flow2+"/actions/submit_request", tokBuyer, map[string]any{"description": "Attempt"})
			e.Must(http.StatusOK, "POST", "/v1/flows/"+flow2+"/actions/reject_request", tokSeller, map[string]any{"reason": "Not enough detail"})
			_ = i
		}
		e.Must(http.StatusOK, "POST", "/v1/flows/"+flow2+"/actions/appeal", tokBuyer, map[string]any{"reason": "Rejected three times"})
		e.Must(http.StatusOK, "POST", "/v1/flows/"+flow2+"/actions/resume", tokOperator, map[string]any{"reason": "Please talk to each other"})
		var v marketplace.FlowView
		e.Must(http.StatusOK, "GET", "/v1/flows/"+flow2, tokBuyer, nil).JSON(t, &v)
		if v.Status != "awaiting_request" {
			t.Errorf("resumed flow status %s", v.Status)
		}
	})
}

func containsAny(list any, want string) bool {
	xs, _ := list.([]any)
	for _, x := range xs {
		if x == want {
			return true
		}
	}
	return false
}

// TestSupervisedSaaSJourney: SaaS under supervision with platform review;
// the app appears in Purchased Apps only once supervision completes.
func TestSupervisedSaaSJourney(t *testing.T) {
	e := newEnv(t, stores(t)["sqlite"](t))
	e.registerSellers()
	p := saasProduct()
	p["name"], p["supervised"], p["flow_template"], p["review_delivery"] = "Supervised Mail", true, "saas", true
	product := e.listProduct(tokSeller, p)
	e.fund("buyer-1", "1000.00")
	o := e.buy(tokBuyer, map[string]any{"product_id": product, "spec_id": "basic", "mode": "yearly", "duration": 1, "quantity": 2}, nil)
	e.advance(10 * time.Minute)
	var apps marketplace.Page[marketplace.PurchasedApp]
	e.Must(http.StatusOK, "GET", "/v1/apps", tokBuyer, nil).JSON(t, &apps)
	if apps.Total != 0 {
		t.Errorf("a supervised SaaS app is listed before supervision completes: %+v", apps.Items)
	}
	flow := e.flowOf(o.ID)
	e.superviseToAcceptance(flow.ID, tokBuyer, tokSeller)
	var v marketplace.FlowView
	e.Must(http.StatusOK, "GET", "/v1/flows/"+flow.ID, tokBuyer, nil).JSON(t, &v)
	e.Must(http.StatusOK, "GET", "/v1/apps", tokBuyer, nil).JSON(t, &apps)
	if apps.Total != 1 {
		t.Fatalf("after acceptance: %+v", apps)
	}
	e.advance(3*time.Hour + time.Minute)
	e.Must(http.StatusOK, "GET", "/v1/orders/"+o.ID, tokBuyer, nil).JSON(t, &o)
	if o.Status != marketplace.OrderCompleted {
		t.Errorf("order %s 3 hours after acceptance", o.Status)
	}
}

// TestProfessionalServiceJourney: a one-time professional service from
// request to completion, then an invoice.
func TestProfessionalServiceJourney(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.registerSellers()
		product := e.listProduct(tokSeller2, serviceProduct())
		e.fund("buyer-1", "2000.00")
		o := e.buy(tokBuyer, map[string]any{"product_id": product, "spec_id": "once", "mode": "one_time"}, nil)
		flow := e.flowOf(o.ID)
		if flow.Template != "standard" {
			t.Errorf("template %s", flow.Template)
		}
		e.superviseToAcceptance(flow.ID, tokBuyer, tokSeller2)
		e.advance(3*time.Hour + time.Minute)
		e.Must(http.StatusOK, "GET", "/v1/orders/"+o.ID, tokSeller2, nil).JSON(t, &o)
		if o.Status != marketplace.OrderCompleted {
			t.Fatalf("order %s", o.Status)
		}
		var apps marketplace.Page[marketplace.PurchasedApp]
		e.Must(http.StatusOK, "GET", "/v1/apps", tokBuyer, nil).JSON(t, &apps)
		if apps.Total != 1 || apps.Items[0].ExpiresAt != nil {
			t.Errorf("a one-time service in Purchased Apps: %+v", apps.Items)
		}
		var c marketplace.Contact
		e.Must(http.StatusOK, "GET", "/v1/apps/"+apps.Items[0].ID+"/contact", tokBuyer, nil).JSON(t, &c)
		if c.SellerID != "seller-2" {
			t.Errorf("after-sales contact = %+v", c)
		}
		e.Must(http.StatusCreated, "POST", "/v1/invoices", tokBuyer, map[string]any{"order_id": o.ID, "title": "Buyer One Ltd", "tax_id": "91110000"})
	})
}
