package httpapi

import (
	"net/http"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

func (h *Handler) registerUnsubscribe() {
	h.handle("GET /v1/apps/{id}/unsubscription", h.unsubscribeEligibility)
	h.handle("GET /v1/apps/{id}/refund-quote", h.quoteRefund)
	h.handle("POST /v1/apps/{id}/unsubscribe", h.unsubscribe)
	h.handle("POST /v1/apps/{id}/unsubscribe-requests", h.proposeUnsubscribe)
	h.handle("GET /v1/unsubscribe-requests", h.listUnsubscribeRequests)
	h.handle("GET /v1/unsubscribe-requests/{id}", h.getUnsubscribeRequest)
	h.handle("POST /v1/unsubscribe-requests/{id}/decision", h.decideUnsubscribe)
}

// unsubscribeEligibility: whether the app may be unsubscribed, how, and
// if not, why.
func (h *Handler) unsubscribeEligibility(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := h.svc.UnsubscribeEligibility(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// quoteRefund: the refund an unsubscription would pay, with its formula.
func (h *Handler) quoteRefund(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	ref, err := h.svc.QuoteUnsubscribe(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ref)
	return nil
}

// unsubscribe: POST /v1/apps/{id}/unsubscribe with Idempotency-Key — the
// direct unsubscription (images and other products refunded by the
// formula); the answer is the unsubscription order. Repeating the request
// with the same key returns the same order (a retry after a lost answer
// does not fail on the now-unsubscribed app); the same key for another
// app is 422 idempotency_mismatch.
func (h *Handler) unsubscribe(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	o, err := h.svc.UnsubscribeResource(r.Context(), a, marketplace.UnsubscribeInput{ResourceID: id, IdempotencyKey: key})
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, o.Version, o)
	return nil
}

type proposeBody struct {
	Amount       billing.Money `json:"amount"`
	Reason       string        `json:"reason"`
	ShareContact bool          `json:"share_contact,omitempty"`
}

// proposeUnsubscribe: the negotiated unsubscription of a supervised
// product: the buyer proposes a refund amount with a reason.
func (h *Handler) proposeUnsubscribe(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b proposeBody
	if err := h.decodeJSON(w, r, &b); err != nil {
		return err
	}
	req, err := h.svc.ProposeUnsubscribe(r.Context(), a, marketplace.ProposeInput{ResourceID: id, Amount: b.Amount, Reason: b.Reason, ShareContact: b.ShareContact})
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusCreated, req.Version, req)
	return nil
}

func (h *Handler) listUnsubscribeRequests(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	limit, err := queryInt(r, "limit", 0, 1, marketplace.MaxPageSize)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	st := marketplace.UnsubscribeStatus(q.Get("status"))
	switch st {
	case "", marketplace.UnsubscribeProposed, marketplace.UnsubscribeAgreed, marketplace.UnsubscribeRejected, marketplace.UnsubscribeRefunded:
	default:
		return badParam("status", "status must be proposed, agreed, rejected or refunded")
	}
	page, err := h.svc.ListUnsubscribeRequests(r.Context(), a, st, q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

type decideBody struct {
	Agree   bool   `json:"agree"`
	Comment string `json:"comment,omitempty"`
}

// getUnsubscribeRequest: GET /v1/unsubscribe-requests/{id} — one
// negotiated request, to its buyer, the product's seller or an operator,
// with its ETag.
func (h *Handler) getUnsubscribeRequest(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	req, err := h.svc.GetUnsubscribeRequest(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, req.Version, req)
	return nil
}

// decideUnsubscribe: the seller agrees (the refund follows within 3 hours)
// or rejects with a comment. With If-Match (the request's ETag) the
// decision is refused with 412 unless the request is still at that
// version.
func (h *Handler) decideUnsubscribe(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	var b decideBody
	if err := h.decodeJSON(w, r, &b); err != nil {
		return err
	}
	req, err := h.svc.DecideUnsubscribe(r.Context(), a, marketplace.DecideInput{RequestID: id, Agree: b.Agree, Comment: b.Comment, Version: want})
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, req.Version, req)
	return nil
}
