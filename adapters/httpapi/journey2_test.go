package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/shopspring/decimal"
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
		if total := q["total"].(map[string]any)["amount"]; total != "10.1072" || q["hourly"] != true {
			t.Errorf("hourly quote for 2 × s3.large.2 = %v (want 2 × (5.00 + 0.0536))", q)
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

		// Monthly: $155.00 image + $70.37 s6.xlarge.2 per month (the user
		// guide's ECS confirm page).
		e.fund("buyer-1", "2000.00")
		monthly := map[string]any{"mode": "quick", "region": "eu-west-101", "flavor": "s6.xlarge.2",
			"vpc": "vpc-1", "subnet": "subnet-1", "security_group": "sg-open"}
		mq := e.Must(http.StatusOK, "POST", "/v1/quotes", tokBuyer, map[string]any{"product_id": product, "spec_id": "std",
			"mode": "monthly", "duration": 1, "image": monthly}).Map(t)
		if total := mq["total"].(map[string]any)["amount"]; total != "225.37" || mq["hourly"] != false {
			t.Errorf("monthly quote = %v (want 155.00 + 70.37)", mq)
		}
		login := map[string]any{"login": map[string]string{"password": "Cloud-Pass-2026", "confirm_password": "Cloud-Pass-2026"}}
		first := e.buy(tokBuyer, map[string]any{"product_id": product, "spec_id": "std", "mode": "monthly", "duration": 1, "image": monthly}, login)
		second := e.buy(tokBuyer, map[string]any{"product_id": product, "spec_id": "std", "mode": "monthly", "duration": 1, "image": monthly}, login)
		for _, o := range []marketplace.Order{first, second} {
			if o.Amount.AmountString() != "225.37" || o.ResourceID == "" {
				t.Fatalf("monthly image order = %+v", o)
			}
			if a := e.waitApp(o.ResourceID, marketplace.ResourceActive, time.Minute, 20); len(a.App.Servers) != 1 || a.ExpiresAt == nil {
				t.Fatalf("deployed monthly image = %+v", a)
			}
		}

		// Ten days later the first is unsubscribed, refunded by the
		// formula: paid − paid × used / order hours − 10% handling fee.
		e.advance(10 * 24 * time.Hour)
		check = e.Must(http.StatusOK, "GET", "/v1/apps/"+first.ResourceID+"/unsubscription", tokBuyer, nil).Map(t)
		if check["allowed"] != true || check["kind"] != "in_use" {
			t.Fatalf("monthly image eligibility = %v", check)
		}
		var ref struct {
			Kind       string        `json:"kind"`
			Paid       billing.Money `json:"paid"`
			UsedHours  int64         `json:"used_hours"`
			OrderHours int64         `json:"order_hours"`
			FeeRate    string        `json:"fee_rate"`
			Lines      []struct {
				Kind   string        `json:"kind"`
				Amount billing.Money `json:"amount"`
			} `json:"lines"`
			Total billing.Money `json:"total"`
		}
		e.Must(http.StatusOK, "GET", "/v1/apps/"+first.ResourceID+"/refund-quote", tokBuyer, nil).JSON(t, &ref)
		if ref.Kind != "in_use" || ref.UsedHours < 240 || ref.UsedHours > 241 || ref.OrderHours < 24*28 || ref.FeeRate != "0.1" {
			t.Fatalf("refund quote = %+v", ref)
		}
		paid := decimal.RequireFromString("225.37")
		consumed := paid.Mul(decimal.NewFromInt(ref.UsedHours)).Div(decimal.NewFromInt(ref.OrderHours)).Round(8)
		want := paid.Sub(consumed).Sub(paid.Mul(decimal.RequireFromString("0.1"))).Round(2)
		sum := decimal.Zero
		for _, l := range ref.Lines {
			sum = sum.Add(l.Amount.Amount)
		}
		if !ref.Total.Amount.Equal(want) || !sum.Equal(want) {
			t.Errorf("refund %s (lines sum to %s), want %s = 225.37 − 225.37 × %d/%d − 22.537", ref.Total, sum, want, ref.UsedHours, ref.OrderHours)
		}
		var before marketplace.Account
		e.Must(http.StatusOK, "GET", "/v1/accounts/buyer-1", tokBuyer, nil).JSON(t, &before)
		var uo marketplace.Order
		e.Must(http.StatusOK, "POST", "/v1/apps/"+first.ResourceID+"/unsubscribe", tokBuyer, nil, "Idempotency-Key", "unsub-1").JSON(t, &uo)
		if uo.Kind != marketplace.OrderUnsubscription || !uo.Amount.Amount.Equal(want) {
			t.Errorf("unsubscription order = %+v, want a refund of %s", uo, want)
		}
		var after marketplace.Account
		e.Must(http.StatusOK, "GET", "/v1/accounts/buyer-1", tokBuyer, nil).JSON(t, &after)
		if got := after.Balance.Amount.Sub(before.Balance.Amount); !got.Equal(want) {
			t.Errorf("balance grew by %s, want the refund %s", got, want)
		}
		if a := e.waitApp(first.ResourceID, marketplace.ResourceUnsubscribed, time.Minute, 5); a.Status != marketplace.ResourceUnsubscribed ||
			len(a.App.Servers) != 0 || len(a.App.ReleasedServers) != 1 {
			t.Errorf("after unsubscribing: %s, servers %v, released %v", a.Status, a.App.Servers, a.App.ReleasedServers)
		}
		// A retry with the same key (a lost answer) returns the same order
		// and refunds nothing more; a new key finds the app unsubscribed;
		// the key reused for another app is refused.
		var again marketplace.Order
		e.Must(http.StatusOK, "POST", "/v1/apps/"+first.ResourceID+"/unsubscribe", tokBuyer, nil, "Idempotency-Key", "unsub-1").JSON(t, &again)
		if again.ID != uo.ID {
			t.Errorf("same Idempotency-Key gave unsubscription orders %s and %s", uo.ID, again.ID)
		}
		var retried marketplace.Account
		e.Must(http.StatusOK, "GET", "/v1/accounts/buyer-1", tokBuyer, nil).JSON(t, &retried)
		if !retried.Balance.Amount.Equal(after.Balance.Amount) {
			t.Errorf("the retried unsubscription moved the balance %s → %s", after.Balance, retried.Balance)
		}
		if got := e.Do("POST", "/v1/apps/"+first.ResourceID+"/unsubscribe", tokBuyer, nil, "Idempotency-Key", "unsub-2"); got.Status < 400 {
			t.Errorf("unsubscribing twice: %s", got)
		}
		if got := e.Do("POST", "/v1/apps/"+second.ResourceID+"/unsubscribe", tokBuyer, nil, "Idempotency-Key", "unsub-1"); got.Status != 422 || got.Code() != "idempotency_mismatch" {
			t.Errorf("key reused for another app: %s", got)
		}
		if got := e.Do("POST", "/v1/apps/"+second.ResourceID+"/unsubscribe", tokBuyer, nil); got.Status != 400 || got.Code() != "invalid_input" {
			t.Errorf("unsubscribing without Idempotency-Key: %s", got)
		}

		// The second is renewed by a month (from its expiry), auto-renewal
		// off, and left to lapse: grace, retention, release.
		var app2 marketplace.PurchasedApp
		e.Must(http.StatusOK, "GET", "/v1/apps/"+second.ResourceID, tokBuyer, nil).JSON(t, &app2)
		expiry := *app2.ExpiresAt
		var ro marketplace.Order
		e.Must(http.StatusCreated, "POST", "/v1/apps/"+app2.ID+"/renew", tokBuyer, map[string]int{"duration": 1},
			"Idempotency-Key", "img-renew-1").JSON(t, &ro)
		// The servers keep running, so the renewal is priced like the
		// purchase: $155.00 image + $70.37 s6.xlarge.2.
		if ro.Kind != marketplace.OrderRenewal || ro.Amount.AmountString() != "225.37" {
			t.Errorf("renewal order = %+v, want 225.37 (155.00 + 70.37)", ro)
		}
		e.Must(http.StatusOK, "POST", "/v1/orders/"+ro.ID+"/pay", tokBuyer, nil)
		e.Must(http.StatusOK, "PUT", "/v1/apps/"+app2.ID+"/auto-renew", tokBuyer, map[string]any{"enabled": false})
		e.Must(http.StatusOK, "GET", "/v1/apps/"+app2.ID, tokBuyer, nil).JSON(t, &app2)
		if !app2.ExpiresAt.After(expiry.AddDate(0, 0, 27)) || app2.AutoRenew.Enabled {
			t.Fatalf("renewed image expires %v (was %v), auto-renew %+v", app2.ExpiresAt, expiry, app2.AutoRenew)
		}
		e.advance(app2.ExpiresAt.Sub(e.clock.Now()) - time.Hour)
		if a := e.waitApp(app2.ID, marketplace.ResourceActive, time.Minute, 1); len(a.OrderIDs) != 2 {
			t.Errorf("orders before expiry = %v, want the purchase and the renewal only", a.OrderIDs)
		}
		e.waitApp(app2.ID, marketplace.ResourceGrace, time.Hour, 3)
		e.waitApp(app2.ID, marketplace.ResourceRetention, 24*time.Hour, 20)
		e.waitApp(app2.ID, marketplace.ResourceReleased, 24*time.Hour, 20)
		var res marketplace.Resource
		e.Must(http.StatusOK, "GET", "/v1/resources/"+app2.ID, tokBuyer, nil).JSON(t, &res)
		if res.ReleasedAt == nil || res.RetentionEndsAt == nil || res.ReleasedAt.Before(*res.RetentionEndsAt) {
			t.Errorf("released resource: released at %v, retention ends %v", res.ReleasedAt, res.RetentionEndsAt)
		}
		// Released: the servers are gone, listed as released servers.
		released := e.waitApp(app2.ID, marketplace.ResourceReleased, time.Minute, 1)
		if len(released.App.Servers) != 0 || len(released.App.ReleasedServers) != 1 || len(res.App.Servers) != 0 {
			t.Errorf("released image: app servers %v, released %v; resource servers %v", released.App.Servers, released.App.ReleasedServers, res.App.Servers)
		}
		if got := e.Do("POST", "/v1/apps/"+app2.ID+"/renew", tokBuyer, map[string]int{"duration": 1}, "Idempotency-Key", "img-renew-2"); got.Status < 400 {
			t.Errorf("renewing a released image: %s", got)
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
				map[string]any{"name": "s6.xlarge.2", "vcpus": 4, "memory_gib": 8},
			}},
		"specs": []any{map[string]any{"id": "std", "name": "Standard", "pricing": map[string]any{"plans": []any{
			plan("pay_per_use", "5.00"), plan("monthly", "155.00")}}}},
	}
}
