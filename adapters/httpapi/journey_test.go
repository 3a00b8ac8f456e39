package httpapi_test

import (
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/opengallery/opengallery/marketplace"
)

// fund tops up a buyer's balance through the API.
func (e *env) fund(buyer, amount string) {
	e.T.Helper()
	e.Must(http.StatusOK, "POST", "/v1/accounts/"+buyer+"/top-up", tokOperator, map[string]any{"amount": usd(amount)})
}

// buy quotes, orders (with an idempotency key) and pays; it returns the
// paid order.
func (e *env) buy(token string, body map[string]any, pay any) marketplace.Order {
	e.T.Helper()
	quote := map[string]any{}
	for k, v := range body {
		if k != "auto_renew" && k != "agree_terms" {
			quote[k] = v
		}
	}
	q := e.Must(http.StatusOK, "POST", "/v1/quotes", token, quote).Map(e.T)
	if q["cost_details"] == "" || q["total"] == nil {
		e.T.Fatalf("quote without cost details: %v", q)
	}
	body["agree_terms"] = true
	key := fmt.Sprintf("key-%d", time.Now().UnixNano())
	var o marketplace.Order
	e.Must(http.StatusCreated, "POST", "/v1/orders", token, body, "Idempotency-Key", key).JSON(e.T, &o)
	var again marketplace.Order
	e.Must(http.StatusCreated, "POST", "/v1/orders", token, body, "Idempotency-Key", key).JSON(e.T, &again)
	if again.ID != o.ID {
		e.T.Fatalf("same Idempotency-Key gave orders %s and %s", o.ID, again.ID)
	}
	e.Must(http.StatusOK, "POST", "/v1/orders/"+o.ID+"/pay", token, pay).JSON(e.T, &o)
	return o
}

// flowOf returns the flow of an order, as its buyer sees it.
func (e *env) flowOf(order string) marketplace.FlowView {
	e.T.Helper()
	var o marketplace.Order
	e.Must(http.StatusOK, "GET", "/v1/orders/"+order, tokBuyer, nil).JSON(e.T, &o)
	if o.FlowID == "" {
		e.T.Fatalf("order %s has no flow: %+v", order, o)
	}
	var v marketplace.FlowView
	e.Must(http.StatusOK, "GET", "/v1/flows/"+o.FlowID, tokBuyer, nil).JSON(e.T, &v)
	return v
}

// superviseToAcceptance drives a flow through its happy path, each party
// taking the action the API offers it, uploading an attachment where a
// request needs one, until the buyer has accepted.
func (e *env) superviseToAcceptance(flowID, buyer, seller string) {
	e.T.Helper()
	inputs := map[string]map[string]any{
		"submit_request":   {"description": "Please set it up for 20 users."},
		"confirm_request":  nil,
		"deliver":          {"result": "Delivered: license key ABCD-1234."},
		"approve_delivery": nil,
		"accept":           nil,
	}
	order := []string{"submit_request", "confirm_request", "deliver", "approve_delivery", "accept"}
	for range 10 {
		var v marketplace.FlowView
		e.Must(http.StatusOK, "GET", "/v1/flows/"+flowID, buyer, nil).JSON(e.T, &v)
		if v.Status == "completed" {
			return
		}
		acted := false
		for _, tok := range []string{buyer, seller, tokOperator} {
			av := e.Must(http.StatusOK, "GET", "/v1/flows/"+flowID+"/actions", tok, nil).Map(e.T)
			var offered []string
			for _, a := range av["available"].([]any) {
				offered = append(offered, a.(string))
			}
			for _, a := range order {
				if !slices.Contains(offered, a) {
					continue
				}
				body := map[string]any{}
				for k, val := range inputs[a] {
					body[k] = val
				}
				if a == "submit_request" && v.Template == "saas" {
					body["attachments"] = []any{e.upload(flowID, buyer, "requirements.docx", []byte("the requirements"))}
				}
				etag := e.Must(http.StatusOK, "GET", "/v1/flows/"+flowID, tok, nil).Header.Get("ETag")
				e.Must(http.StatusOK, "POST", "/v1/flows/"+flowID+"/actions/"+a, tok, body, "If-Match", etag)
				acted = true
				break
			}
			if acted {
				break
			}
		}
		if !acted {
			e.T.Fatalf("flow %s stuck in %s: nobody is offered a happy-path action", flowID, v.Status)
		}
	}
	e.T.Fatalf("flow %s did not complete", flowID)
}

func TestLicenseJourney(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.registerSellers()
		product := e.listProduct(tokSeller, licenseProduct())
		e.fund("buyer-1", "5000.00")

		// Search → details.
		var found marketplace.Page[marketplace.Product]
		e.Must(http.StatusOK, "GET", "/v1/products?text=office&delivery=license&mode=yearly&os=Linux", tokBuyer, nil).JSON(t, &found)
		if found.Total != 1 || found.Items[0].ID != product {
			t.Fatalf("search = %+v", found)
		}
		var details marketplace.Product
		e.Must(http.StatusOK, "GET", "/v1/products/"+product, tokBuyer, nil).JSON(t, &details)
		if plan, ok := details.Specs[0].Plan("yearly"); !ok || plan.UnitPrice.AmountString() != "900.00" {
			t.Errorf("pricing table = %+v", details.Specs[0].Pricing)
		}

		o := e.buy(tokBuyer, map[string]any{"product_id": product, "spec_id": "std", "mode": "yearly", "duration": 1}, nil)
		if o.Status != marketplace.OrderProcessing || o.Amount.AmountString() != "900.00" {
			t.Fatalf("paid order = %s %s", o.Status, o.Amount)
		}
		var acc marketplace.Account
		e.Must(http.StatusOK, "GET", "/v1/accounts/buyer-1", tokBuyer, nil).JSON(t, &acc)
		if acc.Balance.AmountString() != "4100.00" {
			t.Errorf("balance after paying 900.00 = %s", acc.Balance)
		}
		// Paying again charges nothing.
		e.Must(http.StatusOK, "POST", "/v1/orders/"+o.ID+"/pay", tokBuyer, nil)
		e.Must(http.StatusOK, "GET", "/v1/accounts/buyer-1", tokBuyer, nil).JSON(t, &acc)
		if acc.Balance.AmountString() != "4100.00" {
			t.Errorf("balance after paying twice = %s", acc.Balance)
		}

		v := e.flowOf(o.ID)
		e.superviseToAcceptance(v.ID, tokBuyer, tokSeller)
		var recs struct{ Items []map[string]any }
		e.Must(http.StatusOK, "GET", "/v1/flows/"+v.ID+"/records", tokSeller, nil).JSON(t, &recs)
		if len(recs.Items) < 2 {
			t.Errorf("records = %d, want the operation records", len(recs.Items))
		}
		e.advance(3*time.Hour + time.Minute)
		e.Must(http.StatusOK, "GET", "/v1/orders/"+o.ID, tokBuyer, nil).JSON(t, &o)
		if o.Status != marketplace.OrderCompleted {
			t.Fatalf("3 hours after acceptance: order %s", o.Status)
		}

		var apps marketplace.Page[marketplace.PurchasedApp]
		e.Must(http.StatusOK, "GET", "/v1/apps", tokBuyer, nil).JSON(t, &apps)
		if apps.Total != 1 || apps.Items[0].Status != marketplace.ResourceActive || apps.Items[0].ExpiresAt == nil {
			t.Fatalf("purchased apps = %+v", apps)
		}
		app := apps.Items[0]
		expires := *app.ExpiresAt

		// Manual renewal runs from the original expiry.
		var ro marketplace.Order
		e.Must(http.StatusCreated, "POST", "/v1/apps/"+app.ID+"/renew", tokBuyer, map[string]int{"duration": 1},
			"Idempotency-Key", "renew-1").JSON(t, &ro)
		if ro.Kind != marketplace.OrderRenewal {
			t.Errorf("renewal order kind %s", ro.Kind)
		}
		e.Must(http.StatusOK, "POST", "/v1/orders/"+ro.ID+"/pay", tokBuyer, nil)
		e.advance(time.Minute)
		e.Must(http.StatusOK, "GET", "/v1/apps/"+app.ID, tokBuyer, nil).JSON(t, &app)
		if app.ExpiresAt == nil || !app.ExpiresAt.After(expires.AddDate(0, 11, 0)) {
			t.Errorf("expiry after renewal = %v, was %v", app.ExpiresAt, expires)
		}

		// Auto-renewal settings with optimistic concurrency.
		r := e.Must(http.StatusOK, "GET", "/v1/apps/"+app.ID, tokBuyer, nil)
		if got := e.Do("PUT", "/v1/apps/"+app.ID+"/auto-renew", tokBuyer, map[string]any{"enabled": true}, "If-Match", `"v1"`); got.Status != 412 {
			t.Errorf("auto-renew with a stale If-Match: %s", got)
		}
		e.Must(http.StatusOK, "PUT", "/v1/apps/"+app.ID+"/auto-renew", tokBuyer, map[string]any{"enabled": true, "count": 1},
			"If-Match", r.Header.Get("ETag"))
		e.Must(http.StatusOK, "PUT", "/v1/renewal-day", tokBuyer, map[string]any{"resource_ids": []string{app.ID}, "day": 15})

		// Invoices: request, issue (seller), and unsubscription is then refused.
		var inv marketplace.Invoice
		e.Must(http.StatusCreated, "POST", "/v1/invoices", tokBuyer, map[string]any{"order_id": o.ID, "title": "Acme Buyer Ltd"}).JSON(t, &inv)
		if got := e.Do("POST", "/v1/invoices/"+inv.ID+"/issue", tokBuyer, nil); got.Status != 403 && got.Status != 404 {
			t.Errorf("buyer issuing an invoice: %s", got)
		}
		e.Must(http.StatusOK, "POST", "/v1/invoices/"+inv.ID+"/issue", tokOperator, nil)
		var invs marketplace.Page[marketplace.Invoice]
		e.Must(http.StatusOK, "GET", "/v1/invoices?status=issued", tokBuyer, nil).JSON(t, &invs)
		if invs.Total != 1 {
			t.Errorf("issued invoices = %d", invs.Total)
		}
		check := e.Must(http.StatusOK, "GET", "/v1/apps/"+app.ID+"/unsubscription", tokBuyer, nil).Map(t)
		if check["allowed"] != false || check["reason"] == "" {
			t.Errorf("unsubscription with an issued invoice: %v", check)
		}
		e.Must(http.StatusOK, "POST", "/v1/invoices/"+inv.ID+"/return", tokBuyer, nil)

		// Negotiated unsubscription happens in the guarantee period, before
		// acceptance: a second purchase, refunded by agreement.
		o2 := e.buy(tokBuyer, map[string]any{"product_id": product, "spec_id": "std", "mode": "yearly", "duration": 1}, nil)
		var pending marketplace.Page[marketplace.PurchasedApp]
		e.Must(http.StatusOK, "GET", "/v1/apps?status=pending", tokBuyer, nil).JSON(t, &pending)
		if pending.Total != 1 {
			t.Fatalf("pending apps = %+v", pending)
		}
		res2 := o2.ResourceID
		var req marketplace.UnsubscribeRequest
		if got := e.Do("POST", "/v1/apps/"+res2+"/unsubscribe-requests", tokBuyer,
			map[string]any{"amount": usd("901.00"), "reason": "No longer needed"}); got.Status != 400 {
			t.Errorf("proposing more than was paid: %s", got)
		}
		e.Must(http.StatusCreated, "POST", "/v1/apps/"+res2+"/unsubscribe-requests", tokBuyer,
			map[string]any{"amount": usd("100.00"), "reason": "No longer needed"}).JSON(t, &req)
		var reqs marketplace.Page[marketplace.UnsubscribeRequest]
		e.Must(http.StatusOK, "GET", "/v1/unsubscribe-requests?status=proposed", tokSeller, nil).JSON(t, &reqs)
		if reqs.Total != 1 {
			t.Fatalf("seller's proposed requests = %d", reqs.Total)
		}
		if got := e.Do("POST", "/v1/unsubscribe-requests/"+req.ID+"/decision", tokSeller2, map[string]any{"agree": true}); got.Status != 404 {
			t.Errorf("another seller deciding: %s", got)
		}
		e.Must(http.StatusOK, "GET", "/v1/accounts/buyer-1", tokBuyer, nil).JSON(t, &acc)
		before := acc.Balance
		e.Must(http.StatusOK, "POST", "/v1/unsubscribe-requests/"+req.ID+"/decision", tokSeller, map[string]any{"agree": true})
		e.advance(3 * time.Hour)
		e.Must(http.StatusOK, "GET", "/v1/unsubscribe-requests", tokBuyer, nil).JSON(t, &reqs)
		if reqs.Total != 1 || reqs.Items[0].Status != marketplace.UnsubscribeRefunded {
			t.Errorf("after 3 hours: %+v", reqs.Items)
		}
		e.Must(http.StatusOK, "GET", "/v1/accounts/buyer-1", tokBuyer, nil).JSON(t, &acc)
		if diff, _ := acc.Balance.Sub(before); diff.AmountString() != "100.00" {
			t.Errorf("refund credited %s, want 100.00", diff)
		}

		// Without auto-renewal the license lapses: grace, retention, release.
		e.Must(http.StatusOK, "PUT", "/v1/apps/"+app.ID+"/auto-renew", tokBuyer, map[string]any{"enabled": false})
		e.waitApp(app.ID, marketplace.ResourceGrace, 7*24*time.Hour, 120)
		e.waitApp(app.ID, marketplace.ResourceRetention, 24*time.Hour, 20)
		e.waitApp(app.ID, marketplace.ResourceReleased, 24*time.Hour, 20)

		// The feed saw it all, in order.
		feed := e.Must(http.StatusOK, "GET", "/v1/events?limit=1000", tokOperator, nil).Map(t)
		items := feed["items"].([]any)
		if len(items) < 10 {
			t.Errorf("events = %d", len(items))
		}
		prev := 0.0
		for _, it := range items {
			seq := it.(map[string]any)["seq"].(float64)
			if seq <= prev {
				t.Fatalf("event seq %v after %v", seq, prev)
			}
			prev = seq
		}
	})
}
