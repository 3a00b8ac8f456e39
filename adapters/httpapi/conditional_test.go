package httpapi_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/supervision"
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

// landingStore is a store on which another client's change lands at a
// chosen moment: right before the next write transaction, after whatever
// the adapter and the use case read before writing.
type landingStore struct {
	marketplace.Store
	mu   sync.Mutex
	land func()
}

// landBeforeNextUpdate makes fn run once, before the next Update.
func (s *landingStore) landBeforeNextUpdate(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.land = fn
}

func (s *landingStore) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	s.mu.Lock()
	land := s.land
	s.land = nil
	s.mu.Unlock()
	if land != nil {
		land()
	}
	return s.Store.Update(ctx, fn)
}

// TestIfMatchRacesAnotherChange: a client reads a resource's ETag and
// changes it with If-Match while another client's change lands between the
// adapter's reads and the write. The change must be refused with 412 and
// the other client's change kept, not overwritten. (The reviewer's
// TestIfMatchAutoRenewRace, with the interleaving made by the store so
// that it does not depend on which reads the adapter makes.)
func TestIfMatchRacesAnotherChange(t *testing.T) {
	for _, c := range []struct {
		name string
		// setup makes the resource; it returns the path to read the
		// ETag from and the request to make.
		setup func(t *testing.T, e *env) (read, method, path, token string, body map[string]any)
		// land is the other client's change.
		land func(t *testing.T, e *env, path string)
		// kept checks that the other client's change is what is stored.
		kept func(t *testing.T, e *env, path string)
	}{
		{
			name: "auto-renew",
			setup: func(t *testing.T, e *env) (string, string, string, string, map[string]any) {
				o := e.buyLicense()
				return "/v1/apps/" + o.ResourceID, "PUT", "/v1/apps/" + o.ResourceID + "/auto-renew", tokBuyer,
					map[string]any{"enabled": true, "count": 1}
			},
			land: func(t *testing.T, e *env, path string) {
				landed(t)(e.svc.SetAutoRenew(context.Background(), actors[tokBuyer],
					marketplace.AutoRenewInput{ResourceID: strings.TrimPrefix(path, "/v1/apps/"), Enabled: true, Count: 3}))
			},
			kept: func(t *testing.T, e *env, path string) {
				var app marketplace.PurchasedApp
				e.Must(http.StatusOK, "GET", path, tokBuyer, nil).JSON(t, &app)
				if app.AutoRenew.Count != 3 {
					t.Errorf("auto-renewal count %d: the other client's 3 was overwritten", app.AutoRenew.Count)
				}
			},
		},
		{
			name: "flow action",
			setup: func(t *testing.T, e *env) (string, string, string, string, map[string]any) {
				f := e.flowOf(e.buyLicense().ID)
				return "/v1/flows/" + f.ID, "POST", "/v1/flows/" + f.ID + "/actions/deliver", tokSeller,
					map[string]any{"result": "license key ABCD-1234"}
			},
			land: func(t *testing.T, e *env, path string) {
				landed(t)(e.svc.Act(context.Background(), actors[tokBuyer],
					marketplace.FlowActionInput{FlowID: strings.TrimPrefix(path, "/v1/flows/"), Action: supervision.Remind}))
			},
			kept: func(t *testing.T, e *env, path string) {
				var f marketplace.FlowView
				e.Must(http.StatusOK, "GET", path, tokBuyer, nil).JSON(t, &f)
				if last := f.Records[len(f.Records)-1]; last.Action != supervision.Remind || f.Status != string(supervision.AwaitingDelivery) {
					t.Errorf("flow %s, last record %s: the delivery was made on a flow its seller had not read", f.Status, last.Action)
				}
			},
		},
		{
			name: "refund review decision",
			setup: func(t *testing.T, e *env) (string, string, string, string, map[string]any) {
				held := e.heldRefund()
				return "/v1/orders/" + held, "POST", "/v1/review/refunds/" + held, tokOperator, map[string]any{"approve": true}
			},
			land: func(t *testing.T, e *env, path string) {
				landed(t)(e.svc.ReviewRefund(context.Background(), marketplace.OperatorActor("op-2"),
					marketplace.RefundDecisionInput{OrderID: strings.TrimPrefix(path, "/v1/orders/"), Reason: "delivered as ordered"}))
			},
			kept: func(t *testing.T, e *env, path string) {
				var o marketplace.Order
				e.Must(http.StatusOK, "GET", path, tokOperator, nil).JSON(t, &o)
				if o.RefundReview == nil || o.RefundReview.Status != marketplace.RefundReviewRejected || o.RefundReview.DecidedBy != "op-2" {
					t.Errorf("refund review %+v: op-2's rejection was not kept", o.RefundReview)
				}
			},
		},
	} {
		for name, open := range stores(t) {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				st := &landingStore{Store: open(t)}
				e := newEnv(t, st)
				e.registerSellers()
				read, method, path, token, body := c.setup(t, e)
				tag := e.Must(http.StatusOK, "GET", read, token, nil).Header.Get("ETag")
				st.landBeforeNextUpdate(func() { c.land(t, e, read) })
				if r := e.Do(method, path, token, body, "If-Match", tag); r.Status != http.StatusPreconditionFailed || r.Code() != "precondition_failed" {
					t.Errorf("If-Match %s after another change landed: %s, want 412 precondition_failed", tag, r)
				}
				c.kept(t, e, read)
			})
		}
	}
}

// TestIfMatchSellerAndCredit: the seller profile and the credit switch
// answer an ETag, so If-Match makes their update conditional: a stale tag
// is 412 and changes nothing, the current one applies, none applies
// unconditionally, and a malformed one is 400.
func TestIfMatchSellerAndCredit(t *testing.T) {
	for _, c := range []struct {
		name, read, path, token string
		body                    map[string]any
		// changed reports whether the body's change is stored.
		changed func(t *testing.T, e *env) bool
	}{
		{"seller", "/v1/sellers/seller-1", "/v1/sellers/seller-1", tokOperator,
			map[string]any{"name": "Acme Software 2", "support_email": "support@acme.example"},
			func(t *testing.T, e *env) bool {
				var s marketplace.Seller
				e.Must(http.StatusOK, "GET", "/v1/sellers/seller-1", tokBuyer, nil).JSON(t, &s)
				return s.Name == "Acme Software 2"
			}},
		{"seller editing itself", "/v1/sellers/seller-2", "/v1/sellers/seller-2", tokSeller2,
			map[string]any{"name": "Other Vendor 2", "support_email": "help@other.example"},
			func(t *testing.T, e *env) bool {
				var s marketplace.Seller
				e.Must(http.StatusOK, "GET", "/v1/sellers/seller-2", tokBuyer, nil).JSON(t, &s)
				return s.Name == "Other Vendor 2"
			}},
		{"credit", "/v1/accounts/buyer-1", "/v1/accounts/buyer-1/credit", tokOperator, map[string]any{"credit": true},
			func(t *testing.T, e *env) bool {
				var a marketplace.Account
				e.Must(http.StatusOK, "GET", "/v1/accounts/buyer-1", tokOperator, nil).JSON(t, &a)
				return a.Credit
			}},
	} {
		for _, h := range []struct {
			name    string
			ifMatch func(tag string) string // "" sends none
			status  int
			code    string
		}{
			{"stale", func(string) string { return `"v99"` }, http.StatusPreconditionFailed, "precondition_failed"},
			{"current", func(tag string) string { return tag }, http.StatusOK, ""},
			{"none", func(string) string { return "" }, http.StatusOK, ""},
			{"any", func(string) string { return "*" }, http.StatusOK, ""},
			{"malformed", func(string) string { return "v1" }, http.StatusBadRequest, "invalid_parameter"},
		} {
			t.Run(c.name+"/"+h.name, func(t *testing.T) {
				e := newEnv(t, stores(t)["memory"](t))
				e.registerSellers()
				e.fund("buyer-1", "10.00")
				tag := e.Must(http.StatusOK, "GET", c.read, c.token, nil).Header.Get("ETag")
				var hdr []string
				if m := h.ifMatch(tag); m != "" {
					hdr = []string{"If-Match", m}
				}
				r := e.Do("PUT", c.path, c.token, c.body, hdr...)
				if r.Status != h.status || (h.code != "" && r.Code() != h.code) {
					t.Fatalf("PUT %s with If-Match %q: %s, want %d %s", c.path, h.ifMatch(tag), r, h.status, h.code)
				}
				if got := c.changed(t, e); got != (h.status == http.StatusOK) {
					t.Errorf("changed = %v after %d", got, r.Status)
				}
				if h.status == http.StatusOK {
					if now := r.Header.Get("ETag"); now == "" || now == tag {
						t.Errorf("ETag %q after the change, %q before", now, tag)
					}
				}
			})
		}
	}
	// A tag names a seller as read: none was read of a seller not
	// registered.
	e := newEnv(t, stores(t)["memory"](t))
	if r := e.Do("PUT", "/v1/sellers/seller-9", tokOperator, map[string]any{"name": "New", "support_email": "n@new.example"},
		"If-Match", `"v1"`); r.Status != http.StatusPreconditionFailed {
		t.Errorf("If-Match on a seller not registered: %s, want 412", r)
	}
	if r := e.Do("GET", "/v1/sellers/seller-9", tokBuyer, nil); r.Status != http.StatusNotFound {
		t.Errorf("the seller was registered: %s", r)
	}
}

// buyLicense funds buyer-1 and buys seller-1's supervised yearly license.
func (e *env) buyLicense() marketplace.Order {
	e.T.Helper()
	p := e.listProduct(tokSeller, licenseProduct())
	e.fund("buyer-1", "1000.00")
	return e.buy(tokBuyer, map[string]any{"product_id": p, "spec_id": "std", "mode": "yearly", "duration": 1}, nil)
}

// heldRefund makes a negotiated refund above the review threshold and
// returns its order, held for an operator.
func (e *env) heldRefund() string {
	e.T.Helper()
	big := licenseProduct()
	big["specs"] = []any{map[string]any{"id": "std", "name": "Standard", "pricing": map[string]any{"plans": []any{plan("yearly", "9000.00")}}}}
	p := e.listProduct(tokSeller, big)
	e.fund("buyer-1", "9000.00")
	o := e.buy(tokBuyer, map[string]any{"product_id": p, "spec_id": "std", "mode": "yearly", "duration": 1}, nil)
	var req marketplace.UnsubscribeRequest
	e.Must(http.StatusCreated, "POST", "/v1/apps/"+o.ResourceID+"/unsubscribe-requests", tokBuyer,
		map[string]any{"amount": usd("8000.00"), "reason": "wrong edition"}).JSON(e.T, &req)
	e.Must(http.StatusOK, "POST", "/v1/unsubscribe-requests/"+req.ID+"/decision", tokSeller, map[string]any{"agree": true}).JSON(e.T, &req)
	if req.RefundOrderID == "" {
		e.T.Fatalf("no refund order: %+v", req)
	}
	return req.RefundOrderID
}

// landed reports the error of the other client's change. It runs on the
// server's goroutine, so it marks the test failed without stopping it.
func landed(t *testing.T) func(any, error) {
	return func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("the other client's change: %v", err)
		}
	}
}
