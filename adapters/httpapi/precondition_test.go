package httpapi_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/opengallery/opengallery/marketplace"
)

// racingStore makes every Update lose its race while lose is set: the
// transaction runs (so the use case's own checks, the If-Match version
// among them, are made and answered as usual), then fails as a commit
// that found another writer's change, with the *ConflictError a store
// returns for that.
type racingStore struct {
	marketplace.Store
	lose atomic.Bool
}

func (s *racingStore) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	if !s.lose.Load() {
		return s.Store.Update(ctx, fn)
	}
	return s.Store.Update(ctx, func(tx marketplace.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return &marketplace.ConflictError{Kind: "race", ID: "lost", Want: 1, Have: 2}
	})
}

// TestIfMatchLostRaceIsConflict: a conditional change whose If-Match is
// the current ETag but whose transaction loses every race is 409 conflict
// (try again), not 412 (your ETag is stale), and changes nothing; a stale
// If-Match is still 412, whether or not the commit would have lost.
func TestIfMatchLostRaceIsConflict(t *testing.T) {
	for _, c := range []struct {
		name string
		// setup makes the resource; it returns the path to read the ETag
		// from and the conditional request to make.
		setup func(t *testing.T, e *env) (read, method, path, token string, body map[string]any)
	}{
		{"seller", func(t *testing.T, e *env) (string, string, string, string, map[string]any) {
			return "/v1/sellers/seller-1", "PUT", "/v1/sellers/seller-1", tokOperator,
				map[string]any{"name": "Acme Software 2", "support_email": "support@acme.example"}
		}},
		{"credit", func(t *testing.T, e *env) (string, string, string, string, map[string]any) {
			e.fund("buyer-1", "10.00")
			return "/v1/accounts/buyer-1", "PUT", "/v1/accounts/buyer-1/credit", tokOperator, map[string]any{"credit": true}
		}},
		{"auto-renew", func(t *testing.T, e *env) (string, string, string, string, map[string]any) {
			o := e.buyLicense()
			return "/v1/apps/" + o.ResourceID, "PUT", "/v1/apps/" + o.ResourceID + "/auto-renew", tokBuyer,
				map[string]any{"enabled": true, "count": 1}
		}},
		{"flow action", func(t *testing.T, e *env) (string, string, string, string, map[string]any) {
			f := e.flowOf(e.buyLicense().ID)
			return "/v1/flows/" + f.ID, "POST", "/v1/flows/" + f.ID + "/actions/deliver", tokSeller,
				map[string]any{"result": "license key ABCD-1234"}
		}},
		{"refund review", func(t *testing.T, e *env) (string, string, string, string, map[string]any) {
			held := e.heldRefund()
			return "/v1/orders/" + held, "POST", "/v1/review/refunds/" + held, tokOperator, map[string]any{"approve": true}
		}},
		{"unsubscribe decision", func(t *testing.T, e *env) (string, string, string, string, map[string]any) {
			o := e.buyLicense()
			var req marketplace.UnsubscribeRequest
			e.Must(http.StatusCreated, "POST", "/v1/apps/"+o.ResourceID+"/unsubscribe-requests", tokBuyer,
				map[string]any{"amount": usd("10.00"), "reason": "not needed"}).JSON(t, &req)
			return "/v1/unsubscribe-requests/" + req.ID, "POST", "/v1/unsubscribe-requests/" + req.ID + "/decision", tokSeller,
				map[string]any{"agree": false, "comment": "no"}
		}},
		{"invoice issue", func(t *testing.T, e *env) (string, string, string, string, map[string]any) {
			o := e.buyLicense()
			var inv marketplace.Invoice
			e.Must(http.StatusCreated, "POST", "/v1/invoices", tokBuyer, map[string]any{"order_id": o.ID, "title": "Buyer One Ltd"}).JSON(t, &inv)
			return "/v1/invoices/" + inv.ID, "POST", "/v1/invoices/" + inv.ID + "/issue", tokOperator, nil
		}},
		{"product edit", func(t *testing.T, e *env) (string, string, string, string, map[string]any) {
			var draft marketplace.Product
			e.Must(http.StatusCreated, "POST", "/v1/seller/products", tokSeller, licenseProduct()).JSON(t, &draft)
			return "/v1/products/" + draft.ID, "PUT", "/v1/seller/products/" + draft.ID, tokSeller, licenseProduct()
		}},
	} {
		for name, open := range stores(t) {
			t.Run(c.name+"/"+name, func(t *testing.T) {
				st := &racingStore{Store: open(t)}
				e := newEnv(t, st)
				e.registerSellers()
				read, method, path, token, body := c.setup(t, e)
				before := e.Must(http.StatusOK, "GET", read, token, nil)
				tag := before.Header.Get("ETag")
				st.lose.Store(true)
				for _, h := range []struct {
					name, ifMatch string
					status        int
					code          string
				}{
					{"current ETag, lost race", tag, http.StatusConflict, "conflict"},
					{"stale ETag", `"v99"`, http.StatusPreconditionFailed, "precondition_failed"},
				} {
					if r := e.Do(method, path, token, body, "If-Match", h.ifMatch); r.Status != h.status || r.Code() != h.code {
						t.Errorf("%s: If-Match %s: %s, want %d %s", h.name, h.ifMatch, r, h.status, h.code)
					}
				}
				st.lose.Store(false)
				if now := e.Must(http.StatusOK, "GET", read, token, nil).Header.Get("ETag"); now != tag {
					t.Errorf("ETag %s after refused changes, %s before", now, tag)
				}
			})
		}
	}
}
