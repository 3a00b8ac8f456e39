package httpapi

import (
	"net/http"

	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
)

func (h *Handler) registerOrders() {
	h.handle("POST /v1/quotes", h.quote)
	h.handle("POST /v1/orders", h.createOrder)
	h.handle("GET /v1/orders", h.listOrders)
	h.handle("GET /v1/orders/{id}", h.getOrder)
	h.handle("POST /v1/orders/{id}/pay", h.payOrder)
	h.handle("POST /v1/orders/{id}/cancel", h.cancelOrder)
}

// quote: POST /v1/quotes — the price and cost details of a choice on a
// product page; writes nothing.
func (h *Handler) quote(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	var in marketplace.QuoteInput
	if err := h.decodeJSON(w, r, &in); err != nil {
		return err
	}
	q, err := h.svc.Quote(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

// orderBody is a checkout; the idempotency key comes from the
// Idempotency-Key header.
type orderBody struct {
	marketplace.QuoteInput
	AutoRenew  bool `json:"auto_renew,omitempty"`
	Trial      bool `json:"trial,omitempty"`
	AgreeTerms bool `json:"agree_terms"`
	PayNow     bool `json:"pay_now,omitempty"`
}

// createOrder: POST /v1/orders with Idempotency-Key. Repeating the request
// with the same key returns the same order; the same key with another
// body is 422 idempotency_mismatch. "pay_now": true places and pays in one
// call (one transaction with the built-in balance payments).
func (h *Handler) createOrder(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	var b orderBody
	if err := h.decodeJSON(w, r, &b); err != nil {
		return err
	}
	o, err := h.svc.CreateOrder(r.Context(), a, marketplace.CreateOrderInput{QuoteInput: b.QuoteInput, AutoRenew: b.AutoRenew,
		Trial: b.Trial, AgreeTerms: b.AgreeTerms, IdempotencyKey: key, PayNow: b.PayNow})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/orders/"+o.ID)
	writeVersioned(w, http.StatusCreated, o.Version, o)
	return nil
}

func (h *Handler) listOrders(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	limit, err := queryInt(r, "limit", 0, 1, marketplace.MaxPageSize)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	in := marketplace.ListOrdersInput{Status: marketplace.OrderStatus(q.Get("status")), Kind: marketplace.OrderKind(q.Get("kind")),
		Cursor: q.Get("cursor"), Limit: limit}
	switch in.Status {
	case "", marketplace.OrderPendingPayment, marketplace.OrderProcessing, marketplace.OrderCompleted, marketplace.OrderCancelled:
	default:
		return badParam("status", "status must be pending_payment, processing, completed or cancelled")
	}
	switch in.Kind {
	case "", marketplace.OrderNew, marketplace.OrderRenewal, marketplace.OrderUpgrade, marketplace.OrderUnsubscription:
	default:
		return badParam("kind", "kind must be new, renewal, upgrade or unsubscription")
	}
	page, err := h.svc.ListOrders(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h *Handler) getOrder(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := h.svc.GetOrder(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, o.Version, o)
	return nil
}

// payBody carries an image order's login credential. The password is
// decoded here into a provisioning.Secret and never echoed or logged.
type payBody struct {
	Login *struct {
		Password        string `json:"password"`
		ConfirmPassword string `json:"confirm_password"`
		KeyPair         string `json:"key_pair,omitempty"`
	} `json:"login,omitempty"`
}

// payOrder: POST /v1/orders/{id}/pay. The body is optional except for new
// image orders, which need the servers' login.
func (h *Handler) payOrder(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b payBody
	if hasBody(r) {
		if err := h.decodeJSON(w, r, &b); err != nil {
			return err
		}
	}
	in := marketplace.PayInput{OrderID: id}
	if b.Login != nil {
		in.Login = &marketplace.ImageLogin{Password: provisioning.NewSecret(b.Login.Password),
			ConfirmPassword: provisioning.NewSecret(b.Login.ConfirmPassword), KeyPair: b.Login.KeyPair}
	}
	o, err := h.svc.PayOrder(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, o.Version, o)
	return nil
}

func (h *Handler) cancelOrder(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	o, err := h.svc.CancelOrder(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, o.Version, o)
	return nil
}

// hasBody reports whether the request carries a body to decode.
func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}
