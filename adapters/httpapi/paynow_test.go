package httpapi_test

import (
	"net/http"
	"testing"

	"github.com/opengallery/opengallery/marketplace"
)

// TestPayNow: "pay_now" places and pays in one call; repeating the key
// returns the same order and charges once; a declined payment leaves no
// order behind.
func TestPayNow(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.registerSellers()
		product := e.listProduct(tokSeller, licenseProduct())
		e.fund("buyer-1", "1000.00")
		body := map[string]any{"product_id": product, "spec_id": "std", "mode": "yearly", "duration": 1, "agree_terms": true, "pay_now": true}

		var o, again marketplace.Order
		e.Must(http.StatusCreated, "POST", "/v1/orders", tokBuyer, body, "Idempotency-Key", "now-1").JSON(t, &o)
		if o.Status != marketplace.OrderProcessing || o.Amount.AmountString() != "900.00" {
			t.Fatalf("order placed with pay_now = %s %s, want processing 900.00", o.Status, o.Amount)
		}
		e.Must(http.StatusCreated, "POST", "/v1/orders", tokBuyer, body, "Idempotency-Key", "now-1").JSON(t, &again)
		if again.ID != o.ID {
			t.Errorf("same key gave orders %s and %s", o.ID, again.ID)
		}
		var acc marketplace.Account
		e.Must(http.StatusOK, "GET", "/v1/accounts/buyer-1", tokBuyer, nil).JSON(t, &acc)
		if acc.Balance.AmountString() != "100.00" {
			t.Errorf("balance = %s, want 100.00 (charged once)", acc.Balance)
		}

		// 100.00 left: a second 900.00 purchase is declined and leaves no order.
		var before marketplace.Page[marketplace.Order]
		e.Must(http.StatusOK, "GET", "/v1/orders", tokBuyer, nil).JSON(t, &before)
		got := e.Do("POST", "/v1/orders", tokBuyer, body, "Idempotency-Key", "now-2")
		if got.Status != http.StatusPaymentRequired {
			t.Fatalf("declined pay_now = %s, want 402", got)
		}
		var after marketplace.Page[marketplace.Order]
		e.Must(http.StatusOK, "GET", "/v1/orders", tokBuyer, nil).JSON(t, &after)
		if after.Total != before.Total {
			t.Errorf("orders %d → %d after a declined pay_now, want none added", before.Total, after.Total)
		}
	})
}
