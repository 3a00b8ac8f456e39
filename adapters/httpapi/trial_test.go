package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/marketplace"
)

// TestTrialOrder: a free trial is ordered over HTTP with "trial": true on a
// specification that offers trial days: nothing is charged, the order says
// so, and the app runs for the trial's days. A trial where none is offered,
// or with auto-renewal, is invalid input naming the field.
func TestTrialOrder(t *testing.T) {
	e := newEnv(t, stores(t)["memory"](t))
	e.registerSellers()
	prod := saasProduct()
	spec := prod["specs"].([]any)[0].(map[string]any)
	spec["pricing"].(map[string]any)["trial_days"] = 14
	trial := e.listProduct(tokSeller, prod)
	plain := e.listProduct(tokSeller, saasProduct())
	e.fund("buyer-1", "100.00")

	order := func(product string, extra map[string]any) map[string]any {
		b := map[string]any{"product_id": product, "spec_id": "basic", "mode": "monthly", "duration": 1, "agree_terms": true, "trial": true}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	refused := []struct {
		name      string
		body      map[string]any
		wantField string
	}{
		{"no trial offered", order(plain, nil), "trial"},
		{"trial with auto-renewal", order(trial, map[string]any{"auto_renew": true}), "auto_renew"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			var p struct{ Code, Field string }
			e.Must(http.StatusBadRequest, "POST", "/v1/orders", tokBuyer, tc.body, "Idempotency-Key", "k-"+tc.name).JSON(t, &p)
			if diff := cmp.Diff(struct{ Code, Field string }{"invalid_input", tc.wantField}, p); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
		})
	}

	var o marketplace.Order
	e.Must(http.StatusCreated, "POST", "/v1/orders", tokBuyer, order(trial, nil), "Idempotency-Key", "trial-1").JSON(t, &o)
	if !o.Trial || !o.Amount.IsZero() {
		t.Fatalf("trial order: trial %v amount %s", o.Trial, o.Amount)
	}
	e.Must(http.StatusOK, "POST", "/v1/orders/"+o.ID+"/pay", tokBuyer, nil).JSON(t, &o)
	e.advance(5 * time.Minute)
	e.Must(http.StatusOK, "GET", "/v1/orders/"+o.ID, tokBuyer, nil).JSON(t, &o)
	if o.Status != marketplace.OrderCompleted || !o.Trial {
		t.Fatalf("paid trial order: %s trial %v", o.Status, o.Trial)
	}
	var acc marketplace.Account
	e.Must(http.StatusOK, "GET", "/v1/accounts/buyer-1", tokBuyer, nil).JSON(t, &acc)
	if acc.Balance.AmountString() != "100.00" {
		t.Errorf("balance %s after a free trial, want 100.00", acc.Balance)
	}
	var app marketplace.PurchasedApp
	e.Must(http.StatusOK, "GET", "/v1/apps/"+o.ResourceID, tokBuyer, nil).JSON(t, &app)
	// Started 2026-03-02 09:00 GMT+08:00: 14 days → 2026-03-16 23:59:59.
	if want := time.Date(2026, 3, 16, 15, 59, 59, 0, time.UTC); app.ExpiresAt == nil || !app.ExpiresAt.Equal(want) {
		t.Errorf("trial app expires %v, want %v", app.ExpiresAt, want)
	}
}
