package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/opengallery/opengallery/marketplace"
)

// fixture is a marketplace with one of everything, owned by buyer-1 and
// seller-1, for the malformed-request and authorization tables.
type fixture struct {
	*env
	license, saas         string // product ids (seller-1)
	order, app, flow      string // buyer-1's license order, its resource, its flow
	saasOrder, saasApp    string // buyer-1's SaaS order and app
	invoice, unsubRequest string
	secret                []string // strings that must never reach a stranger
}

func newFixture(t *testing.T) *fixture {
	e := newEnv(t, stores(t)["memory"](t))
	f := &fixture{env: e}
	e.registerSellers()
	f.license = e.listProduct(tokSeller, licenseProduct())
	f.saas = e.listProduct(tokSeller, saasProduct())
	e.fund("buyer-1", "5000.00")
	o := e.buy(tokBuyer, map[string]any{"product_id": f.license, "spec_id": "std", "mode": "yearly", "duration": 1}, nil)
	f.order, f.app = o.ID, o.ResourceID
	f.flow = e.flowOf(o.ID).ID
	so := e.buy(tokBuyer, map[string]any{"product_id": f.saas, "spec_id": "basic", "mode": "monthly", "duration": 1, "quantity": 2}, nil)
	f.saasOrder, f.saasApp = so.ID, so.ResourceID
	e.advance(5 * time.Minute)
	var inv marketplace.Invoice
	e.Must(http.StatusCreated, "POST", "/v1/invoices", tokBuyer, map[string]any{"order_id": f.saasOrder, "title": "Buyer One Ltd"}).JSON(t, &inv)
	f.invoice = inv.ID
	var req marketplace.UnsubscribeRequest
	e.Must(http.StatusCreated, "POST", "/v1/apps/"+f.app+"/unsubscribe-requests", tokBuyer,
		map[string]any{"amount": usd("10.00"), "reason": "testing"}).JSON(t, &req)
	f.unsubRequest = req.ID
	var app marketplace.PurchasedApp
	e.Must(http.StatusOK, "GET", "/v1/apps/"+f.saasApp, tokBuyer, nil).JSON(t, &app)
	f.secret = []string{o.Number, so.Number, "Buyer One Ltd", "testing", app.App.FrontEndURL}
	return f
}

// lastSeq is the newest event's sequence number: a request that wrote
// nothing leaves it unchanged.
func (f *fixture) lastSeq(t *testing.T) int64 {
	t.Helper()
	evs, err := f.store.Events(context.Background(), 0, marketplace.MaxPageSize)
	if err != nil {
		t.Fatal(err)
	}
	var last int64
	for len(evs) > 0 {
		last = evs[len(evs)-1].Seq
		if evs, err = f.store.Events(context.Background(), last, marketplace.MaxPageSize); err != nil {
			t.Fatal(err)
		}
	}
	return last
}
