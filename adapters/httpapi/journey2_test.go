package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/opengallery/opengallery/marketplace"
)

// waitApp advances time until the app reaches status (bounded).
func (e *env) waitApp(id string, status marketplace.ResourceStatus, step time.Duration, steps int) marketplace.PurchasedApp {
	e.T.Helper()
	var app marketplace.PurchasedApp
	for range steps {
		e.Must(http.StatusOK, "GET", "/v1/apps/"+id, tokBuyer, nil).JSON(e.T, &app)
		if app.Status == status {
			return app
		}
		e.advance(step)
	}
	e.T.Fatalf("app %s is %s, want %s", id, app.Status, status)
	return app
}

func TestSaaSJourney(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.registerSellers()
		product := e.listProduct(tokSeller, saasProduct())
		e.fund("buyer-1", "1000.00")

		o := e.buy(tokBuyer, map[string]any{"product_id": product, "spec_id": "basic", "mode": "monthly", "duration": 1, "quantity": 5}, nil)
		if o.Amount.AmountString() != "25.00" {
			t.Errorf("5 licenses × 5.00 = %s", o.Amount)
		}
		app := e.waitApp(o.ResourceID, marketplace.ResourceActive, time.Minute, 10)
		if app.App.FrontEndURL == "" || app.App.Password == "" || app.Quantity != 5 {
			t.Fatalf("delivered app = %+v", app)
		}
		pw := e.Must(http.StatusOK, "POST", "/v1/apps/"+app.ID+"/password", tokBuyer, nil)
		if pw.Header.Get("Cache-Control") != "no-store" || pw.Map(t)["password"] == app.App.Password {
			t.Errorf("reveal: %s (masked %q)", pw, app.App.Password)
		}
		for _, tok := range []string{tokBuyer2, tokSeller, tokOperator} {
			if got := e.Do("POST", "/v1/apps/"+app.ID+"/password", tok, nil); got.Status != 404 && got.Status != 403 {
				t.Errorf("reveal by %s: %s", tok, got)
			}
		}
		e.Must(http.StatusOK, "GET", "/v1/apps/"+app.ID+"/contact", tokBuyer, nil)
		if e.Must(http.StatusOK, "GET", "/v1/apps/"+app.ID+"/unsubscription", tokBuyer, nil).Map(t)["allowed"] != false {
			t.Error("SaaS without supervision offered unsubscription")
		}

		// Upgrade to 10 licenses: quote, order, pay.
		up := e.Must(http.StatusOK, "POST", "/v1/apps/"+app.ID+"/upgrade/quote", tokBuyer, map[string]any{"quantity": 10}).Map(t)
		if up["total"] == nil && up["amount"] == nil && up["Total"] == nil {
			t.Errorf("upgrade quote = %v", up)
		}
		var uo marketplace.Order
		e.Must(http.StatusCreated, "POST", "/v1/apps/"+app.ID+"/upgrade", tokBuyer, map[string]any{"quantity": 10},
			"Idempotency-Key", "up-1").JSON(t, &uo)
		if uo.Kind != marketplace.OrderUpgrade {
			t.Errorf("upgrade order kind %s", uo.Kind)
		}
		if got := e.Do("POST", "/v1/apps/"+app.ID+"/upgrade", tokBuyer, map[string]any{"quantity": 12}, "Idempotency-Key", "up-1"); got.Status != 422 {
			t.Errorf("reused key with another body: %s", got)
		}
		e.Must(http.StatusOK, "POST", "/v1/orders/"+uo.ID+"/pay", tokBuyer, nil)
		e.advance(time.Minute)
		e.Must(http.StatusOK, "GET", "/v1/apps/"+app.ID, tokBuyer, nil).JSON(t, &app)
		if app.Quantity != 10 {
			t.Errorf("quantity after upgrade = %d", app.Quantity)
		}

		// Renew one month, then let it lapse: grace, retention, release.
		var ro marketplace.Order
		e.Must(http.StatusCreated, "POST", "/v1/apps/"+app.ID+"/renew", tokBuyer, map[string]int{"duration": 1},
			"Idempotency-Key", "renew-1").JSON(t, &ro)
		e.Must(http.StatusOK, "POST", "/v1/orders/"+ro.ID+"/pay", tokBuyer, nil)
		var orders marketplace.Page[marketplace.Order]
		e.Must(http.StatusOK, "GET", "/v1/orders?kind=renewal", tokBuyer, nil).JSON(t, &orders)
		if orders.Total != 1 {
			t.Errorf("renewal orders = %d", orders.Total)
		}
		e.waitApp(app.ID, marketplace.ResourceGrace, 24*time.Hour, 70)
		e.waitApp(app.ID, marketplace.ResourceRetention, 24*time.Hour, 20)
		e.waitApp(app.ID, marketplace.ResourceReleased, 24*time.Hour, 20)
		if got := e.Do("POST", "/v1/apps/"+app.ID+"/renew", tokBuyer, map[string]int{"duration": 1}, "Idempotency-Key", "renew-2"); got.Status < 400 {
			t.Errorf("renewing a released app: %s", got)
		}
	})
}

func TestImageJourney(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.registerSellers()
		product := e.listProduct(tokSeller, imageProduct())
		e.fund("buyer-1", "1000.00")
		choice := map[string]any{"mode": "customized", "region": "eu-west-101", "flavor": "s3.large.2", "name": "web", "quantity": 2,
			"vpc": "vpc-1", "subnet": "subnet-1", "security_group": "sg-open", "system_disk": "SAS", "system_disk_gib": 40}
		q := e.Must(http.StatusOK, "POST", "/v1/quotes", tokBuyer, map[string]any{"product_id": product, "spec_id": "std",
			"mode": "pay_per_use", "image": choice}).Map(t)
		if total := q["total"].(map[string]any)["amount"]; total != "5.0536" || q["hourly"] != true {
			t.Errorf("hourly quote for s3.large.2 = %v (want 5.00 + 0.0536)", q)
		}
		body := map[string]any{"product_id": product, "spec_id": "std", "mode": "pay_per_use", "image": choice}
		// The login password is validated at payment and never echoed.
		var o marketplace.Order
		e.Must(http.StatusCreated, "POST", "/v1/orders", tokBuyer, map[string]any{"product_id": product, "spec_id": "std",
			"mode": "pay_per_use", "image": choice, "agree_terms": true}, "Idempotency-Key", "img-1").JSON(t, &o)
		weak := e.Do("POST", "/v1/orders/"+o.ID+"/pay", tokBuyer, map[string]any{"login": map[string]string{"password": "short", "confirm_password": "short"}})
		if weak.Status != 400 || weak.Code() != "invalid_input" {
			t.Errorf("weak password: %s", weak)
		}
		ok := e.Must(http.StatusOK, "POST", "/v1/orders/"+o.ID+"/pay", tokBuyer,
			map[string]any{"login": map[string]string{"password": "Cloud-Pass-2026", "confirm_password": "Cloud-Pass-2026"}})
		if containsBytes(ok.Body, "Cloud-Pass-2026") {
			t.Error("the login password was echoed")
		}
		_ = body
		e.advance(time.Minute)
		var apps marketplace.Page[marketplace.PurchasedApp]
		e.Must(http.StatusOK, "GET", "/v1/apps", tokBuyer, nil).JSON(t, &apps)
		if apps.Total != 1 {
			t.Fatalf("apps after paying an image: %+v", apps)
		}
		app := e.waitApp(apps.Items[0].ID, marketplace.ResourceActive, time.Minute, 20)
		if len(app.App.Servers) == 0 {
			t.Errorf("no servers on the delivered image: %+v", app.App)
		}
		check := e.Must(http.StatusOK, "GET", "/v1/apps/"+app.ID+"/unsubscription", tokBuyer, nil).Map(t)
		if check["allowed"] != false {
			t.Errorf("pay-per-use image unsubscription: %v (not unsubscribable)", check)
		}
	})
}

func containsBytes(b []byte, s string) bool {
	return len(s) > 0 && len(b) >= len(s) && (string(b) != "" && (func() bool {
		for i := 0; i+len(s) <= len(b); i++ {
			if string(b[i:i+len(s)]) == s {
				return true
			}
		}
		return false
	})())
}

func imageProduct() map[string]any {
	return map[string]any{
		"name": "LAMP Stack", "description": "Linux, Apache, MySQL, PHP", "category": "Developer tools",
		"operating_systems": []string{"Linux"}, "delivery": "image",
		"image": map[string]any{"regions": []string{"eu-west-101"}, "versions": []string{"v1"}, "recommended_flavor": "s3.small.1",
			"flavors": []any{
				map[string]any{"name": "s3.small.1", "vcpus": 1, "memory_gib": 1},
				map[string]any{"name": "s3.large.2", "vcpus": 2, "memory_gib": 4},
			}},
		"specs": []any{map[string]any{"id": "std", "name": "Standard", "pricing": map[string]any{"plans": []any{plan("pay_per_use", "5.00")}}}},
	}
}
