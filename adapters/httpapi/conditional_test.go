package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/opengallery/opengallery/marketplace"
)

// TestConditionalInvoiceAndDecision: invoices and unsubscription requests
// are read with an ETag, and issue, return and the seller's decision
// honour If-Match: a stale tag is 412 and changes nothing; the current one
// applies; no tag applies unconditionally.
func TestConditionalInvoiceAndDecision(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.registerSellers()
		license := e.listProduct(tokSeller, licenseProduct())
		saas := e.listProduct(tokSeller, saasProduct())
		e.fund("buyer-1", "2000.00")
		so := e.buy(tokBuyer, map[string]any{"product_id": saas, "spec_id": "basic", "mode": "monthly", "duration": 1}, nil)
		lo := e.buy(tokBuyer, map[string]any{"product_id": license, "spec_id": "std", "mode": "yearly", "duration": 1}, nil)
		e.advance(5 * time.Minute)

		// Invoices.
		var inv marketplace.Invoice
		created := e.Must(http.StatusCreated, "POST", "/v1/invoices", tokBuyer, map[string]any{"order_id": so.ID, "title": "Buyer One Ltd"})
		created.JSON(t, &inv)
		got := e.Must(http.StatusOK, "GET", "/v1/invoices/"+inv.ID, tokBuyer, nil)
		tag := got.Header.Get("ETag")
		if tag == "" || tag != created.Header.Get("ETag") {
			t.Fatalf("invoice ETag %q, at creation %q", tag, created.Header.Get("ETag"))
		}
		if r := e.Do("GET", "/v1/invoices/"+inv.ID, tokBuyer2, nil); r.Status != http.StatusNotFound {
			t.Errorf("another buyer reading the invoice: %s", r)
		}
		if r := e.Do("POST", "/v1/invoices/"+inv.ID+"/issue", tokOperator, nil, "If-Match", `"v999"`); r.Status != http.StatusPreconditionFailed || r.Code() != "precondition_failed" {
			t.Errorf("stale issue: %s", r)
		}
		var still marketplace.Invoice
		e.Must(http.StatusOK, "GET", "/v1/invoices/"+inv.ID, tokOperator, nil).JSON(t, &still)
		if still.Status != marketplace.InvoiceRequested || still.Version != inv.Version {
			t.Fatalf("a stale issue changed the invoice: %+v", still)
		}
		issued := e.Must(http.StatusOK, "POST", "/v1/invoices/"+inv.ID+"/issue", tokOperator, nil, "If-Match", tag)
		newTag := issued.Header.Get("ETag")
		if newTag == tag {
			t.Errorf("the ETag did not change on issue: %s", newTag)
		}
		// The buyer returns it with the tag read before the issue: 412.
		if r := e.Do("POST", "/v1/invoices/"+inv.ID+"/return", tokBuyer, nil, "If-Match", tag); r.Status != http.StatusPreconditionFailed {
			t.Errorf("return with the pre-issue tag: %s", r)
		}
		var returned marketplace.Invoice
		e.Must(http.StatusOK, "POST", "/v1/invoices/"+inv.ID+"/return", tokBuyer, nil, "If-Match", newTag).JSON(t, &returned)
		if returned.Status != marketplace.InvoiceReturned {
			t.Errorf("returned invoice = %+v", returned)
		}

		// Negotiated unsubscription decisions.
		var req marketplace.UnsubscribeRequest
		e.Must(http.StatusCreated, "POST", "/v1/apps/"+lo.ResourceID+"/unsubscribe-requests", tokBuyer,
			map[string]any{"amount": usd("100.00"), "reason": "not needed"}).JSON(t, &req)
		for _, tok := range []string{tokBuyer, tokSeller, tokOperator} {
			e.Must(http.StatusOK, "GET", "/v1/unsubscribe-requests/"+req.ID, tok, nil)
		}
		for _, tok := range []string{tokBuyer2, tokSeller2} {
			if r := e.Do("GET", "/v1/unsubscribe-requests/"+req.ID, tok, nil); r.Status != http.StatusNotFound {
				t.Errorf("stranger reading the request: %s", r)
			}
		}
		rtag := e.Must(http.StatusOK, "GET", "/v1/unsubscribe-requests/"+req.ID, tokSeller, nil).Header.Get("ETag")
		if r := e.Do("POST", "/v1/unsubscribe-requests/"+req.ID+"/decision", tokSeller, map[string]any{"agree": false, "comment": "no"},
			"If-Match", `"v999"`); r.Status != http.StatusPreconditionFailed {
			t.Errorf("stale decision: %s", r)
		}
		var decided marketplace.UnsubscribeRequest
		e.Must(http.StatusOK, "POST", "/v1/unsubscribe-requests/"+req.ID+"/decision", tokSeller,
			map[string]any{"agree": false, "comment": "please use the support line"}, "If-Match", rtag).JSON(t, &decided)
		if decided.Status != marketplace.UnsubscribeRejected {
			t.Errorf("decision = %+v", decided)
		}
		// Deciding again without If-Match is the domain's conflict, not 412.
		if r := e.Do("POST", "/v1/unsubscribe-requests/"+req.ID+"/decision", tokSeller, map[string]any{"agree": true}); r.Status != http.StatusConflict {
			t.Errorf("deciding twice: %s", r)
		}
	})
}
