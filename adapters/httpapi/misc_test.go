package httpapi_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/httpapi"
	"github.com/opengallery/opengallery/adapters/httpapi/apitest"
	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/marketplace"
)

func TestHealthExtraRoutesAndLimits(t *testing.T) {
	svc, err := marketplace.New(memory.New())
	if err != nil {
		t.Fatal(err)
	}
	auth, _ := httpapi.NewStaticTokens(actors)
	healthy := true
	var seen marketplace.Actor
	h := httpapi.NewHandler(svc, httpapi.WithAuthenticator(auth), httpapi.WithMaxBody(64), httpapi.WithLogger(slog.New(slog.DiscardHandler)),
		httpapi.WithHealthCheck(func(context.Context) error {
			if !healthy {
				return errors.New("store unreachable")
			}
			return nil
		}),
		httpapi.WithRoute("POST /v1/clock/advance", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			seen, _ = httpapi.ActorFrom(r.Context())
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"now":"2026-01-01T00:00:00Z","processed":0}`)
		})))
	srv := httptest.NewServer(apitest.Conforming(t, h))
	defer srv.Close()
	c := &apitest.Client{T: t, Base: srv.URL}

	c.Must(http.StatusOK, "GET", "/v1/health", "", nil)
	healthy = false
	if r := c.Do("GET", "/v1/health", "", nil); r.Status != 503 || strings.Contains(string(r.Body), "unreachable") {
		t.Errorf("unhealthy: %s", r)
	}
	if r := c.Do("POST", "/v1/clock/advance", "", map[string]string{"duration": "1h"}); r.Status != 401 {
		t.Errorf("extra route without auth: %s", r)
	}
	c.Must(http.StatusOK, "POST", "/v1/clock/advance", tokOperator, map[string]string{"duration": "1h"})
	if seen.ID != "op-1" {
		t.Errorf("ActorFrom = %+v", seen)
	}
	if r := c.Do("PUT", "/v1/sellers/s9", tokOperator, map[string]string{"name": strings.Repeat("x", 100), "support_email": "a@b.example"}); r.Status != 413 {
		t.Errorf("WithMaxBody(64): %s", r)
	}
	// Without an authenticator everything but health is 401.
	bare := httptest.NewServer(httpapi.NewHandler(svc))
	defer bare.Close()
	if r := (&apitest.Client{T: t, Base: bare.URL}).Do("GET", "/v1/products", tokBuyer, nil); r.Status != 401 {
		t.Errorf("no authenticator: %s", r)
	}
	// A host authenticator returning a broken actor is refused, not
	// trusted, as the host's fault (TestInvalidActorFromAuthenticator).
	broken := httptest.NewServer(httpapi.NewHandler(svc, httpapi.WithLogger(slog.New(slog.DiscardHandler)), httpapi.WithAuthenticator(httpapi.AuthenticatorFunc(
		func(*http.Request) (marketplace.Actor, error) { return marketplace.Actor{Role: "king"}, nil }))))
	defer broken.Close()
	if r := (&apitest.Client{T: t, Base: broken.URL}).Do("GET", "/v1/products", tokBuyer, nil); r.Status != http.StatusInternalServerError {
		t.Errorf("broken actor: %s", r)
	}
}

func TestAccountsAndOrderOdds(t *testing.T) {
	e := newEnv(t, stores(t)["memory"](t))
	e.registerSellers()
	product := e.listProduct(tokSeller, saasProduct())
	e.Must(http.StatusOK, "GET", "/v1/sellers/seller-1", tokBuyer, nil)

	// A credit account orders and settles monthly.
	e.fund("buyer-2", "1.00")
	e.Must(http.StatusOK, "PUT", "/v1/accounts/buyer-2/credit", tokOperator, map[string]any{"credit": true})
	var o marketplace.Order
	e.Must(http.StatusCreated, "POST", "/v1/orders", tokBuyer2, map[string]any{"product_id": product, "spec_id": "basic",
		"mode": "monthly", "duration": 1, "agree_terms": true}, "Idempotency-Key", "c1").JSON(t, &o)
	e.Must(http.StatusOK, "POST", "/v1/orders/"+o.ID+"/pay", tokBuyer2, nil)
	settled := e.Must(http.StatusOK, "POST", "/v1/accounts/buyer-2/settle", tokOperator, nil).Map(t)
	if settled["settled"].(map[string]any)["amount"] != "5.00" {
		t.Errorf("settled = %v", settled)
	}

	// An unpaid order can be cancelled, once.
	var o2 marketplace.Order
	e.Must(http.StatusCreated, "POST", "/v1/orders", tokBuyer2, map[string]any{"product_id": product, "spec_id": "basic",
		"mode": "monthly", "duration": 1, "agree_terms": true}, "Idempotency-Key", "c2").JSON(t, &o2)
	e.Must(http.StatusOK, "POST", "/v1/orders/"+o2.ID+"/cancel", tokBuyer2, nil)
	if r := e.Do("POST", "/v1/orders/"+o2.ID+"/cancel", tokBuyer2, nil); r.Status != 409 || r.Code() != "conflict" {
		t.Errorf("cancel twice: %s", r)
	}
	// Paying with no balance is 402.
	var o3 marketplace.Order
	e.Must(http.StatusCreated, "POST", "/v1/orders", tokBuyer, map[string]any{"product_id": product, "spec_id": "basic",
		"mode": "monthly", "duration": 1, "agree_terms": true}, "Idempotency-Key", "c3").JSON(t, &o3)
	if r := e.Do("POST", "/v1/orders/"+o3.ID+"/pay", tokBuyer, nil); r.Status != 402 || r.Code() != "payment_failed" {
		t.Errorf("paying without a balance: %s", r)
	}
	// A reseller's customer orders for reference and pays nothing.
	var o4 marketplace.Order
	e.Must(http.StatusCreated, "POST", "/v1/orders", tokCustomer, map[string]any{"product_id": product, "spec_id": "basic",
		"mode": "monthly", "duration": 1, "agree_terms": true}, "Idempotency-Key", "c4").JSON(t, &o4)
	e.Must(http.StatusOK, "POST", "/v1/orders/"+o4.ID+"/pay", tokCustomer, nil).JSON(t, &o4)
	if o4.PaymentMethod != marketplace.PayReseller {
		t.Errorf("reseller customer's payment method %s", o4.PaymentMethod)
	}
	var flows marketplace.Page[marketplace.Flow]
	e.Must(http.StatusOK, "GET", "/v1/flows?limit=5", tokSeller, nil).JSON(t, &flows)
	e.advance(10 * time.Minute)
	var res marketplace.Resource
	e.Must(http.StatusOK, "GET", "/v1/orders/"+o.ID, tokBuyer2, nil).JSON(t, &o)
	e.Must(http.StatusOK, "GET", "/v1/resources/"+o.ResourceID, tokSeller, nil).JSON(t, &res)
	if res.BuyerID != "buyer-2" {
		t.Errorf("resource = %+v", res)
	}
	if r := e.Do("GET", "/v1/apps/"+o.ResourceID+"/refund-quote", tokBuyer2, nil); r.Status != 200 && (r.Status < 400 || r.Status > 499) {
		t.Errorf("refund quote: %s", r)
	}
	if r := e.Do("POST", "/v1/apps/"+o.ResourceID+"/unsubscribe", tokBuyer2, nil); r.Status < 400 || r.Status > 499 {
		t.Errorf("unsubscribing SaaS without supervision: %s", r)
	}
}
