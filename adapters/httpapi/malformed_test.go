package httpapi_test

import (
	"strings"
	"testing"

	"github.com/opengallery/opengallery/adapters/httpapi"
)

// knownCodes are the stable codes a 4xx may carry.
var knownCodes = map[string]bool{}

func init() {
	for _, c := range []httpapi.Code{httpapi.CodeUnauthenticated, httpapi.CodeMalformedJSON, httpapi.CodeUnknownField,
		httpapi.CodeInvalidType, httpapi.CodeInvalidParameter, httpapi.CodeBodyTooLarge, httpapi.CodeUnsupportedMedia,
		httpapi.CodeMethodNotAllowed, httpapi.CodePreconditionFailed, httpapi.CodePreconditionRequired, httpapi.CodeNotFound,
		httpapi.CodeForbidden, httpapi.CodeInvalidInput, httpapi.CodeUnknownCurrency} {
		knownCodes[string(c)] = true
	}
}

type badRequest struct {
	name, method, path, token, body string
	headers                         []string
	status                          int    // 0: any 4xx
	code                            string // "": any known code
}

// malformedRequests builds the table: every route without credentials and
// with a bad token, every body route with broken bodies, bad ids and bad
// query parameters.
func malformedRequests(f *fixture) []badRequest {
	id := map[string]string{"{id}": f.order, "{spec}": "std", "{action}": "accept", "{key}": "00000000000000000000000000000000", "{product}": f.license}
	fill := func(path string) string {
		for k, v := range id {
			path = strings.ReplaceAll(path, k, v)
		}
		switch {
		case strings.HasPrefix(path, "/v1/products/"), strings.HasPrefix(path, "/v1/seller/products/"), strings.HasPrefix(path, "/v1/review/products/"):
			path = strings.ReplaceAll(path, f.order, f.license)
		case strings.HasPrefix(path, "/v1/apps/"):
			path = strings.ReplaceAll(path, f.order, f.app)
		case strings.HasPrefix(path, "/v1/flows/"):
			path = strings.ReplaceAll(path, f.order, f.flow)
		}
		return path
	}
	var out []badRequest
	h := httpapi.NewHandler(nil)
	for _, pat := range h.Routes() {
		method, path, _ := strings.Cut(pat, " ")
		if path == "/v1/health" || path == "/v1/openapi.json" {
			continue
		}
		p := fill(path)
		out = append(out,
			badRequest{name: "no auth " + pat, method: method, path: p, status: 401, code: "unauthenticated"},
			badRequest{name: "bad token " + pat, method: method, path: p, token: "nope", status: 401, code: "unauthenticated"},
		)
	}
	// Broken bodies on every route that decodes one, as the party who may
	// call it.
	bodies := []struct{ method, path, token string }{
		{"PUT", "/v1/sellers/seller-1", tokSeller},
		{"POST", "/v1/seller/products", tokSeller},
		{"POST", "/v1/review/products/" + f.license, tokOperator},
		{"POST", "/v1/saved", tokBuyer},
		{"POST", "/v1/quotes", tokBuyer},
		{"POST", "/v1/orders", tokBuyer},
		{"POST", "/v1/flows/" + f.flow + "/actions/submit_request", tokBuyer},
		{"POST", "/v1/apps/" + f.saasApp + "/upgrade/quote", tokBuyer},
		{"POST", "/v1/apps/" + f.saasApp + "/renew", tokBuyer},
		{"PUT", "/v1/apps/" + f.saasApp + "/auto-renew", tokBuyer},
		{"PUT", "/v1/renewal-day", tokBuyer},
		{"POST", "/v1/apps/" + f.app + "/unsubscribe-requests", tokBuyer},
		{"POST", "/v1/unsubscribe-requests/" + f.unsubRequest + "/decision", tokSeller},
		{"POST", "/v1/invoices", tokBuyer},
		{"POST", "/v1/accounts/buyer-1/top-up", tokOperator},
		{"PUT", "/v1/accounts/buyer-1/credit", tokOperator},
		{"POST", "/v1/review/refunds/" + f.order, tokOperator},
	}
	huge := `{"name":"` + strings.Repeat("x", httpapi.DefaultMaxBody) + `"}`
	for _, b := range bodies {
		hdr := []string{"Idempotency-Key", "malformed"}
		add := func(name, body string, status int, code string, extra ...string) {
			out = append(out, badRequest{name: name + " " + b.method + " " + b.path, method: b.method, path: b.path, token: b.token,
				body: body, headers: append(append([]string{}, hdr...), extra...), status: status, code: code})
		}
		if strings.Contains(b.path, "/actions/") {
			// Action bodies are optional; without one the action's own
			// validation names the missing field.
			add("empty body", "", 400, "invalid_input")
		} else {
			add("empty body", "", 400, "malformed_json")
		}
		add("truncated", `{"a":`, 400, "malformed_json")
		add("not json", `hello`, 400, "malformed_json")
		add("two values", `{}{}`, 400, "malformed_json")
		add("array", `[1,2,3]`, 400, "invalid_type")
		add("null", `null`, 400, "invalid_type")
		add("unknown field", `{"definitely_not_a_field":1}`, 400, "unknown_field")
		add("oversized", huge, 413, "body_too_large")
		add("form encoded", `a=1`, 415, "unsupported_media_type", "Content-Type", "application/x-www-form-urlencoded")
	}
	// Wrong types and values, named by field.
	for _, c := range []badRequest{
		{name: "quantity as string", method: "POST", path: "/v1/quotes", token: tokBuyer, body: `{"product_id":"` + f.saas + `","spec_id":"basic","mode":"monthly","duration":1,"quantity":"5"}`, status: 400, code: "invalid_type"},
		{name: "duration as float", method: "POST", path: "/v1/quotes", token: tokBuyer, body: `{"product_id":"` + f.saas + `","spec_id":"basic","mode":"monthly","duration":1.5}`, status: 400, code: "invalid_type"},
		{name: "unknown mode", method: "POST", path: "/v1/quotes", token: tokBuyer, body: `{"product_id":"` + f.saas + `","spec_id":"basic","mode":"weekly","duration":1}`, status: 400, code: "invalid_input"},
		{name: "negative duration", method: "POST", path: "/v1/quotes", token: tokBuyer, body: `{"product_id":"` + f.saas + `","spec_id":"basic","mode":"monthly","duration":-1}`, status: 400, code: "invalid_input"},
		{name: "terms not agreed", method: "POST", path: "/v1/orders", token: tokBuyer, headers: []string{"Idempotency-Key", "m1"}, body: `{"product_id":"` + f.saas + `","spec_id":"basic","mode":"monthly","duration":1}`, status: 400, code: "invalid_input"},
		{name: "no idempotency key", method: "POST", path: "/v1/orders", token: tokBuyer, body: `{"product_id":"` + f.saas + `","spec_id":"basic","mode":"monthly","duration":1,"agree_terms":true}`, status: 400, code: "invalid_input"},
		{name: "amount as number", method: "POST", path: "/v1/accounts/buyer-1/top-up", token: tokOperator, body: `{"amount":{"amount":10.5,"currency":"USD"}}`, status: 400, code: "invalid_type"},
		{name: "unknown currency", method: "POST", path: "/v1/accounts/buyer-1/top-up", token: tokOperator, body: `{"amount":{"amount":"10.50","currency":"ABC"}}`, status: 400},
		{name: "negative amount", method: "POST", path: "/v1/accounts/buyer-1/top-up", token: tokOperator, body: `{"amount":{"amount":"-1","currency":"USD"}}`, status: 400, code: "invalid_input"},
		{name: "bad decimal", method: "POST", path: "/v1/accounts/buyer-1/top-up", token: tokOperator, body: `{"amount":{"amount":"1e3","currency":"USD"}}`, status: 400},
		{name: "time not RFC 3339", method: "POST", path: "/v1/flows/" + f.flow + "/actions/deliver", token: tokSeller, body: `{"result":"x","enabling_time":"yesterday"}`, status: 400},
		{name: "unknown action", method: "POST", path: "/v1/flows/" + f.flow + "/actions/dance", token: tokBuyer, status: 400, code: "invalid_parameter"},
		{name: "bad If-Match", method: "PUT", path: "/v1/apps/" + f.saasApp + "/auto-renew", token: tokBuyer, headers: []string{"If-Match", "W/\"x\""}, body: `{"enabled":true}`, status: 400, code: "invalid_parameter"},
		{name: "update without If-Match", method: "PUT", path: "/v1/seller/products/" + f.license, token: tokSeller, body: `{"name":"x","delivery":"license","specs":[]}`, status: 428, code: "precondition_required"},
		{name: "rejection without comment", method: "POST", path: "/v1/review/products/" + f.license, token: tokOperator, body: `{"approve":false}`, status: 400, code: "invalid_input"},
		{name: "renewal day out of range", method: "PUT", path: "/v1/renewal-day", token: tokBuyer, body: `{"resource_ids":["` + f.saasApp + `"],"day":40}`, status: 400, code: "invalid_input"},
		{name: "seller email", method: "PUT", path: "/v1/sellers/seller-1", token: tokSeller, body: `{"name":"x","support_email":"not-an-email"}`, status: 400, code: "invalid_input"},
		{name: "id with a space", method: "GET", path: "/v1/orders/a%20b", token: tokBuyer, status: 400, code: "invalid_parameter"},
		{name: "id too long", method: "GET", path: "/v1/orders/" + strings.Repeat("x", 129), token: tokBuyer, status: 400, code: "invalid_parameter"},
		{name: "id with a control char", method: "GET", path: "/v1/products/a%01b", token: tokBuyer, status: 400, code: "invalid_parameter"},
		{name: "limit zero", method: "GET", path: "/v1/products?limit=0", token: tokBuyer, status: 400, code: "invalid_parameter"},
		{name: "limit huge", method: "GET", path: "/v1/orders?limit=100000", token: tokBuyer, status: 400, code: "invalid_parameter"},
		{name: "limit text", method: "GET", path: "/v1/apps?limit=ten", token: tokBuyer, status: 400, code: "invalid_parameter"},
		{name: "bad cursor", method: "GET", path: "/v1/products?cursor=garbage", token: tokBuyer, status: 400, code: "invalid_input"},
		{name: "bad sort", method: "GET", path: "/v1/products?sort=price", token: tokBuyer, status: 400, code: "invalid_input"},
		{name: "bad delivery filter", method: "GET", path: "/v1/products?delivery=drone", token: tokBuyer, status: 400, code: "invalid_input"},
		{name: "bad flow status", method: "GET", path: "/v1/flows?status=bogus", token: tokBuyer, status: 400, code: "invalid_parameter"},
		{name: "flow status in the wrong case", method: "GET", path: "/v1/flows?status=Completed", token: tokSeller, status: 400, code: "invalid_parameter"},
		{name: "unknown member in money", method: "POST", path: "/v1/accounts/buyer-1/top-up", token: tokOperator, body: `{"amount":{"amount":"5.00","currency":"USD","surprise":1}}`, status: 400, code: "invalid_input"},
		{name: "money as number", method: "POST", path: "/v1/accounts/buyer-1/top-up", token: tokOperator, body: `{"amount":5}`, status: 400, code: "invalid_type"},
		{name: "bad order status", method: "GET", path: "/v1/orders?status=lost", token: tokBuyer, status: 400, code: "invalid_parameter"},
		{name: "bad order kind", method: "GET", path: "/v1/orders?kind=gift", token: tokBuyer, status: 400, code: "invalid_parameter"},
		{name: "bad product status", method: "GET", path: "/v1/seller/products?status=gone", token: tokSeller, status: 400, code: "invalid_parameter"},
		{name: "bad app status", method: "GET", path: "/v1/apps?status=sleeping", token: tokBuyer, status: 400, code: "invalid_parameter"},
		{name: "bad invoice status", method: "GET", path: "/v1/invoices?status=paid", token: tokBuyer, status: 400, code: "invalid_parameter"},
		{name: "bad unsubscribe status", method: "GET", path: "/v1/unsubscribe-requests?status=maybe", token: tokBuyer, status: 400, code: "invalid_parameter"},
		{name: "negative after", method: "GET", path: "/v1/events?after=-1", token: tokOperator, status: 400, code: "invalid_parameter"},
		{name: "unknown route", method: "GET", path: "/v1/nothing-here", token: tokBuyer, status: 404, code: "not_found"},
		{name: "wrong method", method: "DELETE", path: "/v1/orders", token: tokBuyer, status: 405, code: "method_not_allowed"},
		{name: "multipart expected", method: "POST", path: "/v1/flows/" + f.flow + "/attachments", token: tokBuyer, body: `{}`, status: 415, code: "unsupported_media_type"},
		{name: "multipart without boundary", method: "POST", path: "/v1/flows/" + f.flow + "/attachments", token: tokBuyer, body: `x`, headers: []string{"Content-Type", "multipart/form-data"}, status: 400, code: "malformed_json"},
		{name: "unsubscribe without Idempotency-Key", method: "POST", path: "/v1/apps/" + f.app + "/unsubscribe", token: tokBuyer, status: 400, code: "invalid_input"},
		{name: "unsubscribe with an oversized Idempotency-Key", method: "POST", path: "/v1/apps/" + f.app + "/unsubscribe", token: tokBuyer, headers: []string{"Idempotency-Key", strings.Repeat("k", 201)}, status: 400, code: "invalid_input"},
		{name: "end with a bad id", method: "POST", path: "/v1/apps/a%20b/end", token: tokBuyer, status: 400, code: "invalid_parameter"},
		{name: "refund rejection without reason", method: "POST", path: "/v1/review/refunds/" + f.order, token: tokOperator, body: `{"approve":false}`, status: 400, code: "invalid_input"},
		{name: "refund approve as string", method: "POST", path: "/v1/review/refunds/" + f.order, token: tokOperator, body: `{"approve":"yes"}`, status: 400, code: "invalid_type"},
		{name: "refund review bad If-Match", method: "POST", path: "/v1/review/refunds/" + f.order, token: tokOperator, headers: []string{"If-Match", "v1"}, body: `{"approve":true}`, status: 400, code: "invalid_parameter"},
		{name: "refund reviews limit zero", method: "GET", path: "/v1/review/refunds?limit=0", token: tokOperator, status: 400, code: "invalid_parameter"},
		{name: "refund reviews bad cursor", method: "GET", path: "/v1/review/refunds?cursor=-3", token: tokOperator, status: 400, code: "invalid_input"},
		{name: "issue invoice bad If-Match", method: "POST", path: "/v1/invoices/" + f.invoice + "/issue", token: tokOperator, headers: []string{"If-Match", `"v0"`}, status: 400, code: "invalid_parameter"},
		{name: "return invoice weak If-Match", method: "POST", path: "/v1/invoices/" + f.invoice + "/return", token: tokBuyer, headers: []string{"If-Match", `W/"v1"`}, status: 400, code: "invalid_parameter"},
		{name: "decision bad If-Match", method: "POST", path: "/v1/unsubscribe-requests/" + f.unsubRequest + "/decision", token: tokSeller, headers: []string{"If-Match", "latest"}, body: `{"agree":false,"comment":"no"}`, status: 400, code: "invalid_parameter"},
		{name: "stale If-Match on issue", method: "POST", path: "/v1/invoices/" + f.invoice + "/issue", token: tokOperator, headers: []string{"If-Match", `"v99"`}, status: 412, code: "precondition_failed"},
		{name: "stale If-Match on refund review", method: "POST", path: "/v1/review/refunds/" + f.order, token: tokOperator, headers: []string{"If-Match", `"v99"`}, body: `{"approve":true}`, status: 412, code: "precondition_failed"},
		{name: "stale If-Match on flow action", method: "POST", path: "/v1/flows/" + f.flow + "/actions/submit_request", token: tokBuyer, headers: []string{"If-Match", `"v99"`}, body: `{"description":"x"}`, status: 412, code: "precondition_failed"},
		{name: "stale If-Match on auto-renew", method: "PUT", path: "/v1/apps/" + f.saasApp + "/auto-renew", token: tokBuyer, headers: []string{"If-Match", `"v99"`}, body: `{"enabled":true}`, status: 412, code: "precondition_failed"},
		{name: "stale If-Match on seller", method: "PUT", path: "/v1/sellers/seller-1", token: tokOperator, headers: []string{"If-Match", `"v99"`}, body: `{"name":"Acme 2","support_email":"s@acme.example"}`, status: 412, code: "precondition_failed"},
		{name: "stale If-Match on credit", method: "PUT", path: "/v1/accounts/buyer-1/credit", token: tokOperator, headers: []string{"If-Match", `"v99"`}, body: `{"credit":true}`, status: 412, code: "precondition_failed"},
		{name: "credit bad If-Match", method: "PUT", path: "/v1/accounts/buyer-1/credit", token: tokOperator, headers: []string{"If-Match", `"v1`}, body: `{"credit":true}`, status: 400, code: "invalid_parameter"},
		{name: "stale If-Match on decision", method: "POST", path: "/v1/unsubscribe-requests/" + f.unsubRequest + "/decision", token: tokSeller, headers: []string{"If-Match", `"v99"`}, body: `{"agree":false,"comment":"no"}`, status: 412, code: "precondition_failed"},
		{name: "invoice id too long", method: "GET", path: "/v1/invoices/" + strings.Repeat("i", 129), token: tokBuyer, status: 400, code: "invalid_parameter"},
		{name: "unsubscribe request bad id", method: "GET", path: "/v1/unsubscribe-requests/a%20b", token: tokSeller, status: 400, code: "invalid_parameter"},
		{name: "pay with unknown field", method: "POST", path: "/v1/orders/" + f.order + "/pay", token: tokBuyer, body: `{"tip":1}`, status: 400, code: "unknown_field"},
	} {
		out = append(out, c)
	}
	return out
}

func TestMalformedRequests(t *testing.T) {
	f := newFixture(t)
	cases := malformedRequests(f)
	if len(cases) < 100 {
		t.Fatalf("only %d malformed requests; the suite promises at least 100", len(cases))
	}
	t.Logf("%d malformed requests", len(cases))
	before := f.lastSeq(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			headers := append([]string{}, c.headers...)
			var body any
			if c.body != "" {
				body = c.body
			}
			r := f.Do(c.method, c.path, c.token, body, headers...)
			if r.Status < 400 || r.Status > 499 {
				t.Fatalf("status %d, want 4xx: %s", r.Status, r)
			}
			if c.status != 0 && r.Status != c.status {
				t.Errorf("status %d, want %d: %s", r.Status, c.status, r)
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q, want application/problem+json", ct)
			}
			code := r.Code()
			if c.code != "" && code != c.code {
				t.Errorf("code %q, want %q: %s", code, c.code, r)
			}
			if code == "" || (!knownCodes[code] && c.code == "") {
				t.Errorf("code %q is not one of the stable codes: %s", code, r)
			}
			if strings.Contains(string(r.Body), "goroutine") || strings.Contains(string(r.Body), ".go:") {
				t.Errorf("internal detail leaked: %s", r)
			}
		})
	}
	if after := f.lastSeq(t); after != before {
		t.Errorf("malformed requests wrote events %d..%d", before, after)
	}
}
