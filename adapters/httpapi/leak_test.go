package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/saasaccess"
	"github.com/opengallery/opengallery/marketplace"
)

// TestProvisioningErrorLeaks: a seller endpoint that cannot be reached
// (its URL carries a secret query parameter and every call adds the nonce,
// signature and timestamp) shows in the buyer's order and resource only as
// "unavailable", never with its address or signed query, while the order
// is retried and after it is cancelled.
func TestProvisioningErrorLeaks(t *testing.T) {
	cl, err := saasaccess.NewClient("http://127.0.0.1:1/saas?tenant=internal-tenant-7", "opengallery-demo-access-key-0001")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, stores(t)["memory"](t), marketplace.WithSaaS(cl))
	e.registerSellers()
	p := e.listProduct(tokSeller, saasProduct())
	e.fund("buyer-1", "100.00")
	o := e.buy(tokBuyer, map[string]any{"product_id": p, "spec_id": "basic", "mode": "monthly", "duration": 1}, nil)
	leaks := []string{"signature", "nonce", "timestamp", "127.0.0.1", "internal-tenant-7", "http://", "Post "}
	check := func(when string, paths ...string) {
		t.Helper()
		for _, path := range paths {
			body := string(e.Must(http.StatusOK, "GET", path, tokBuyer, nil).Body)
			for _, leak := range leaks {
				if strings.Contains(body, leak) {
					t.Errorf("%s: GET %s shows %q: %s", when, path, leak, body)
				}
			}
		}
	}
	var got marketplace.Order
	e.Must(http.StatusOK, "GET", "/v1/orders/"+o.ID, tokBuyer, nil).JSON(t, &got)
	if got.Provisioning.LastError != "the delivery endpoint is unavailable" {
		t.Errorf("last_error %q", got.Provisioning.LastError)
	}
	check("while retrying", "/v1/orders/"+o.ID, "/v1/resources/"+o.ResourceID, "/v1/apps/"+o.ResourceID)
	for range 61 { // the create policy: every 3 minutes, 60 retries
		e.advance(3 * time.Minute)
	}
	e.Must(http.StatusOK, "GET", "/v1/orders/"+o.ID, tokBuyer, nil).JSON(t, &got)
	if got.Status != marketplace.OrderCancelled || got.CancelReason == "" {
		t.Fatalf("order %s %q after the retry budget", got.Status, got.CancelReason)
	}
	check("after cancellation", "/v1/orders/"+o.ID, "/v1/resources/"+o.ResourceID)
}
