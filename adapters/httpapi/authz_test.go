package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/opengallery/opengallery/adapters/httpapi"
)

// allTokens are every actor of the suite.
var allTokens = []string{tokBuyer, tokBuyer2, tokCustomer, tokSeller, tokSeller2, tokOperator}

// access is one route of the authorization matrix: the actors allowed to
// call it on the fixture's things; every other actor must get 403 or 404,
// see none of the fixture's secrets and change nothing.
type access struct {
	pattern string // the route, as registered
	method  string
	path    string
	body    any
	headers []string
	allowed []string
}

func authzMatrix(f *fixture) []access {
	buyer, seller, op := tokBuyer, tokSeller, tokOperator
	idem := []string{"Idempotency-Key", "authz"}
	return []access{
		{"GET /v1/products/{id}", "GET", "/v1/products/" + f.license, nil, nil, allTokens},
		{"PUT /v1/seller/products/{id}", "PUT", "/v1/seller/products/" + f.license, licenseProduct(), []string{"If-Match", `"v1"`}, []string{seller}},
		{"POST /v1/seller/products/{id}/submit", "POST", "/v1/seller/products/" + f.license + "/submit", nil, nil, []string{seller}},
		{"POST /v1/seller/products/{id}/delist", "POST", "/v1/seller/products/" + f.license + "/delist", nil, nil, []string{seller, op}},
		{"POST /v1/seller/products/{id}/specs/{spec}/discontinue", "POST", "/v1/seller/products/" + f.saas + "/specs/pro/discontinue", nil, nil, []string{seller, op}},
		{"POST /v1/seller/products", "POST", "/v1/seller/products", licenseProduct(), nil, []string{seller, tokSeller2}},
		{"GET /v1/seller/products", "GET", "/v1/seller/products", nil, nil, []string{seller, tokSeller2, op}},
		{"PUT /v1/sellers/{id}", "PUT", "/v1/sellers/seller-1", map[string]any{"name": "Hijacked", "support_email": "x@evil.example"}, nil, []string{seller, op}},
		{"GET /v1/review/products", "GET", "/v1/review/products", nil, nil, []string{op}},
		{"POST /v1/review/products/{id}", "POST", "/v1/review/products/" + f.license, map[string]any{"approve": true}, nil, []string{op}},
		{"POST /v1/saved", "POST", "/v1/saved", map[string]string{"product_id": f.license}, nil, []string{buyer, tokBuyer2, tokCustomer}},
		{"POST /v1/quotes", "POST", "/v1/quotes", map[string]any{"product_id": f.saas, "spec_id": "basic", "mode": "monthly", "duration": 1}, nil, []string{buyer, tokBuyer2, tokCustomer, op}},
		{"POST /v1/orders", "POST", "/v1/orders", map[string]any{"product_id": f.saas, "spec_id": "basic", "mode": "monthly", "duration": 1, "agree_terms": true}, idem, []string{buyer, tokBuyer2, tokCustomer}},
		{"GET /v1/orders/{id}", "GET", "/v1/orders/" + f.order, nil, nil, []string{buyer, seller, op}},
		{"POST /v1/orders/{id}/pay", "POST", "/v1/orders/" + f.order + "/pay", nil, nil, []string{buyer}},
		{"POST /v1/orders/{id}/cancel", "POST", "/v1/orders/" + f.order + "/cancel", nil, nil, []string{buyer}},
		{"GET /v1/flows/{id}", "GET", "/v1/flows/" + f.flow, nil, nil, []string{buyer, seller, op}},
		{"GET /v1/flows/{id}/records", "GET", "/v1/flows/" + f.flow + "/records", nil, nil, []string{buyer, seller, op}},
		{"GET /v1/flows/{id}/actions", "GET", "/v1/flows/" + f.flow + "/actions", nil, nil, []string{buyer, seller, op}},
		{"POST /v1/flows/{id}/actions/{action}", "POST", "/v1/flows/" + f.flow + "/actions/submit_request", map[string]any{"description": "x"}, nil, []string{buyer}},
		{"GET /v1/flows/{id}/attachments/{key}", "GET", "/v1/flows/" + f.flow + "/attachments/00000000000000000000000000000000", nil, nil, allTokens},
		{"GET /v1/apps/{id}", "GET", "/v1/apps/" + f.saasApp, nil, nil, []string{buyer, op}},
		{"GET /v1/apps/{id}/contact", "GET", "/v1/apps/" + f.saasApp + "/contact", nil, nil, []string{buyer, op}},
		{"POST /v1/apps/{id}/password", "POST", "/v1/apps/" + f.saasApp + "/password", nil, nil, []string{buyer}},
		{"GET /v1/resources/{id}", "GET", "/v1/resources/" + f.saasApp, nil, nil, []string{buyer, seller, op}},
		{"POST /v1/apps/{id}/upgrade/quote", "POST", "/v1/apps/" + f.saasApp + "/upgrade/quote", map[string]any{"quantity": 3}, nil, []string{buyer}},
		{"POST /v1/apps/{id}/upgrade", "POST", "/v1/apps/" + f.saasApp + "/upgrade", map[string]any{"quantity": 3}, idem, []string{buyer}},
		{"POST /v1/apps/{id}/renew", "POST", "/v1/apps/" + f.saasApp + "/renew", map[string]any{"duration": 1}, idem, []string{buyer}},
		{"PUT /v1/apps/{id}/auto-renew", "PUT", "/v1/apps/" + f.saasApp + "/auto-renew", map[string]any{"enabled": true}, nil, []string{buyer}},
		{"PUT /v1/renewal-day", "PUT", "/v1/renewal-day", map[string]any{"resource_ids": []string{f.saasApp}, "day": 10}, nil, []string{buyer}},
		{"GET /v1/apps/{id}/unsubscription", "GET", "/v1/apps/" + f.app + "/unsubscription", nil, nil, []string{buyer, op}},
		{"GET /v1/apps/{id}/refund-quote", "GET", "/v1/apps/" + f.app + "/refund-quote", nil, nil, []string{buyer, op}},
		{"POST /v1/apps/{id}/unsubscribe", "POST", "/v1/apps/" + f.app + "/unsubscribe", nil, idem, []string{buyer}},
		{"POST /v1/apps/{id}/end", "POST", "/v1/apps/" + f.app + "/end", nil, nil, []string{buyer}},
		{"GET /v1/review/refunds", "GET", "/v1/review/refunds", nil, nil, []string{op}},
		{"POST /v1/review/refunds/{id}", "POST", "/v1/review/refunds/" + f.order, map[string]any{"approve": true}, nil, []string{op}},
		{"POST /v1/apps/{id}/unsubscribe-requests", "POST", "/v1/apps/" + f.app + "/unsubscribe-requests", map[string]any{"amount": usd("1.00"), "reason": "x"}, nil, []string{buyer}},
		{"POST /v1/unsubscribe-requests/{id}/decision", "POST", "/v1/unsubscribe-requests/" + f.unsubRequest + "/decision", map[string]any{"agree": false, "comment": "no"}, nil, []string{seller}},
		{"POST /v1/invoices", "POST", "/v1/invoices", map[string]any{"order_id": f.order, "title": "Hijack Ltd"}, nil, []string{buyer}},
		{"GET /v1/invoices/{id}", "GET", "/v1/invoices/" + f.invoice, nil, nil, []string{buyer, op}},
		{"GET /v1/unsubscribe-requests/{id}", "GET", "/v1/unsubscribe-requests/" + f.unsubRequest, nil, nil, []string{buyer, seller, op}},
		{"POST /v1/invoices/{id}/issue", "POST", "/v1/invoices/" + f.invoice + "/issue", nil, nil, []string{op}},
		{"POST /v1/invoices/{id}/return", "POST", "/v1/invoices/" + f.invoice + "/return", nil, nil, []string{buyer, op}},
		{"GET /v1/accounts/{id}", "GET", "/v1/accounts/buyer-1", nil, nil, []string{buyer, op}},
		{"POST /v1/accounts/{id}/top-up", "POST", "/v1/accounts/buyer-1/top-up", map[string]any{"amount": usd("1.00")}, nil, []string{op}},
		{"PUT /v1/accounts/{id}/credit", "PUT", "/v1/accounts/buyer-1/credit", map[string]any{"credit": true}, nil, []string{op}},
		{"POST /v1/accounts/{id}/settle", "POST", "/v1/accounts/buyer-1/settle", nil, nil, []string{op}},
		{"GET /v1/events", "GET", "/v1/events", nil, nil, []string{op}},
	}
}

// selfScoped are routes every actor may call, each seeing only their own
// things or public ones; they are checked by the journeys instead.
var selfScoped = map[string]bool{
	"GET /v1/health": true, "GET /v1/openapi.json": true, "GET /v1/products": true, "GET /v1/products/{id}/contact": true,
	"GET /v1/sellers/{id}": true, "GET /v1/saved": true, "DELETE /v1/saved/{product}": true, "GET /v1/orders": true,
	"GET /v1/flows": true, "GET /v1/apps": true, "GET /v1/unsubscribe-requests": true, "GET /v1/invoices": true,
	"POST /v1/flows/{id}/attachments": true, // multipart; strangers are refused in TestAttachments
}

func TestAuthorizationMatrix(t *testing.T) {
	f := newFixture(t)
	matrix := authzMatrix(f)
	covered := map[string]bool{}
	for _, a := range matrix {
		covered[a.pattern] = true
	}
	for _, pat := range httpapi.NewHandler(nil).Routes() {
		if !covered[pat] && !selfScoped[pat] {
			t.Errorf("route %s is in neither the authorization matrix nor the self-scoped list", pat)
		}
	}
	before := f.lastSeq(t)
	checks := 0
	for _, a := range matrix {
		for _, tok := range allTokens {
			if contains(a.allowed, tok) {
				continue
			}
			checks++
			r := f.Do(a.method, a.path, tok, a.body, a.headers...)
			if r.Status != http.StatusNotFound && r.Status != http.StatusForbidden {
				t.Errorf("%s %s as %s = %d, want 403 or 404: %s", a.method, a.path, tok, r.Status, r)
				continue
			}
			for _, s := range f.secret {
				if s != "" && strings.Contains(string(r.Body), s) {
					t.Errorf("%s %s as %s leaked %q: %s", a.method, a.path, tok, s, r)
				}
			}
		}
	}
	t.Logf("%d wrong-actor requests over %d routes", checks, len(matrix))
	if after := f.lastSeq(t); after != before {
		t.Errorf("wrong actors wrote events %d..%d", before, after)
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
