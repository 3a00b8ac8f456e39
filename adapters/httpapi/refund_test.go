package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opengallery/opengallery/marketplace"
)

// TestRefundReviewJourney: a negotiated refund above 7,000 USD is held for
// an operator; the resource stays the buyer's until the operator approves
// over HTTP, and then the money goes back and the app ends.
func TestRefundReviewJourney(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.registerSellers()
		big := licenseProduct()
		big["name"] = "Enterprise Suite License"
		big["specs"] = []any{map[string]any{"id": "std", "name": "Standard", "pricing": map[string]any{"plans": []any{plan("yearly", "9000.00")}}}}
		product := e.listProduct(tokSeller, big)
		e.fund("buyer-1", "9500.00")
		o := e.buy(tokBuyer, map[string]any{"product_id": product, "spec_id": "std", "mode": "yearly", "duration": 1}, nil)
		e.advance(5 * time.Minute)

		var req marketplace.UnsubscribeRequest
		e.Must(http.StatusCreated, "POST", "/v1/apps/"+o.ResourceID+"/unsubscribe-requests", tokBuyer,
			map[string]any{"amount": usd("8000.00"), "reason": "bought the wrong edition"}).JSON(t, &req)
		e.Must(http.StatusOK, "POST", "/v1/unsubscribe-requests/"+req.ID+"/decision", tokSeller,
			map[string]any{"agree": true}).JSON(t, &req)
		if req.RefundOrderID == "" {
			t.Fatalf("agreed request without a refund order: %+v", req)
		}
		var before marketplace.Account
		e.Must(http.StatusOK, "GET", "/v1/accounts/buyer-1", tokBuyer, nil).JSON(t, &before)

		// Held: listed for operators only, the app still the buyer's.
		var queue marketplace.Page[marketplace.Order]
		e.Must(http.StatusOK, "GET", "/v1/review/refunds", tokOperator, nil).JSON(t, &queue)
		if len(queue.Items) != 1 || queue.Items[0].ID != req.RefundOrderID || queue.Items[0].RefundReview == nil ||
			queue.Items[0].RefundReview.Status != marketplace.RefundReviewPending {
			t.Fatalf("refund review queue = %+v, want order %s pending", queue, req.RefundOrderID)
		}
		if got := e.Do("GET", "/v1/review/refunds", tokBuyer, nil); got.Status != http.StatusForbidden {
			t.Errorf("buyer listing refund reviews: %s", got)
		}
		e.advance(time.Hour)
		var app marketplace.PurchasedApp
		e.Must(http.StatusOK, "GET", "/v1/apps/"+o.ResourceID, tokBuyer, nil).JSON(t, &app)
		if app.Status == marketplace.ResourceUnsubscribed {
			t.Errorf("the app ended before the refund review: %s", app.Status)
		}
		var mid marketplace.Account
		e.Must(http.StatusOK, "GET", "/v1/accounts/buyer-1", tokBuyer, nil).JSON(t, &mid)
		if !mid.Balance.Amount.Equal(before.Balance.Amount) {
			t.Errorf("a held refund moved the balance %s → %s", before.Balance, mid.Balance)
		}

		// The operator approves with the order's ETag; a stale one is 412.
		r := e.Must(http.StatusOK, "GET", "/v1/orders/"+req.RefundOrderID, tokOperator, nil)
		tag := r.Header.Get("ETag")
		if got := e.Do("POST", "/v1/review/refunds/"+req.RefundOrderID, tokOperator, map[string]any{"approve": true},
			"If-Match", `"v999"`); got.Status != http.StatusPreconditionFailed || got.Code() != "precondition_failed" {
			t.Errorf("stale If-Match: %s", got)
		}
		var decided marketplace.Order
		e.Must(http.StatusOK, "POST", "/v1/review/refunds/"+req.RefundOrderID, tokOperator, map[string]any{"approve": true},
			"If-Match", tag).JSON(t, &decided)
		if decided.RefundReview == nil || decided.RefundReview.Status != marketplace.RefundReviewApproved || decided.RefundReview.DecidedBy != "op-1" {
			t.Errorf("approved order = %+v", decided.RefundReview)
		}
		if got := e.Do("POST", "/v1/review/refunds/"+req.RefundOrderID, tokOperator, map[string]any{"approve": true}); got.Status != http.StatusConflict {
			t.Errorf("approving twice: %s", got)
		}
		e.advance(time.Minute)
		var after marketplace.Account
		e.Must(http.StatusOK, "GET", "/v1/accounts/buyer-1", tokBuyer, nil).JSON(t, &after)
		if got := after.Balance.Amount.Sub(before.Balance.Amount); !got.Equal(decimal.RequireFromString("8000")) {
			t.Errorf("balance grew by %s after approval, want 8000.00", got)
		}
		if a := e.waitApp(o.ResourceID, marketplace.ResourceUnsubscribed, time.Minute, 5); a.Status != marketplace.ResourceUnsubscribed {
			t.Errorf("after the approved refund the app is %s", a.Status)
		}
		e.Must(http.StatusOK, "GET", "/v1/review/refunds", tokOperator, nil).JSON(t, &queue)
		if len(queue.Items) != 0 {
			t.Errorf("queue after approval = %+v", queue.Items)
		}
	})
}

// TestEndPayPerUseJourney: a pay-per-use image runs for a few hours and
// the buyer ends it: the hour under way is charged as a whole hour, the
// app is unsubscribed, and ending again is refused.
func TestEndPayPerUseJourney(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.registerSellers()
		product := e.listProduct(tokSeller, imageProduct())
		e.fund("buyer-1", "1000.00")
		choice := map[string]any{"mode": "customized", "region": "eu-west-101", "flavor": "s3.large.2", "name": "web", "quantity": 1,
			"vpc": "vpc-1", "subnet": "subnet-1", "security_group": "sg-open", "system_disk": "SAS", "system_disk_gib": 40}
		login := map[string]any{"login": map[string]string{"password": "Cloud-Pass-2026", "confirm_password": "Cloud-Pass-2026"}}
		o := e.buy(tokBuyer, map[string]any{"product_id": product, "spec_id": "std", "mode": "pay_per_use", "image": choice}, login)
		e.advance(time.Minute)
		var apps marketplace.Page[marketplace.PurchasedApp]
		e.Must(http.StatusOK, "GET", "/v1/apps", tokBuyer, nil).JSON(t, &apps)
		if apps.Total != 1 {
			t.Fatalf("apps after paying a pay-per-use image (order %s): %+v", o.ID, apps)
		}
		id := apps.Items[0].ID
		e.waitApp(id, marketplace.ResourceActive, time.Minute, 20)
		var res marketplace.Resource
		e.Must(http.StatusOK, "GET", "/v1/resources/"+id, tokBuyer, nil).JSON(t, &res)
		if res.Usage == nil {
			t.Fatalf("pay-per-use resource without usage: %+v", res)
		}
		e.advance(res.Usage.Start.Add(3*time.Hour + 20*time.Minute).Sub(e.clock.Now()))

		if got := e.Do("POST", "/v1/apps/"+id+"/end", tokBuyer2, nil); got.Status != http.StatusNotFound {
			t.Errorf("another buyer ending the app: %s", got)
		}
		var ended marketplace.Resource
		e.Must(http.StatusOK, "POST", "/v1/apps/"+id+"/end", tokBuyer, nil).JSON(t, &ended)
		if ended.Status != marketplace.ResourceUnsubscribed || ended.Usage == nil || ended.Usage.Hours != 4 {
			t.Fatalf("ended resource: status %s, usage %+v; want unsubscribed after 4 charged hours", ended.Status, ended.Usage)
		}
		if want := res.Usage.Rate.Amount.Mul(decimal.NewFromInt(4)); !ended.Usage.Charged.Amount.Round(2).Equal(want.Round(2)) {
			t.Errorf("charged %s for 4 hours at %s, want %s", ended.Usage.Charged, res.Usage.Rate, want)
		}
		if got := e.Do("POST", "/v1/apps/"+id+"/end", tokBuyer, nil); got.Status != http.StatusConflict {
			t.Errorf("ending twice: %s", got)
		}
	})
}
