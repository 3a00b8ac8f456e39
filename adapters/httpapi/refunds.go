package httpapi

import (
	"net/http"

	"github.com/opengallery/opengallery/marketplace"
)

func (h *Handler) registerRefunds() {
	h.handle("POST /v1/apps/{id}/end", h.endPayPerUse)
	h.handle("GET /v1/review/refunds", h.refundReviews)
	h.handle("POST /v1/review/refunds/{id}", h.reviewRefund)
}

// endPayPerUse: POST /v1/apps/{id}/end — the buyer ends a pay-per-use
// purchase: the hours used are charged (the hour under way as a whole
// hour), then the resource is unsubscribed and released. A declined final
// charge is 402 and the app keeps running. The answer is the resource.
func (h *Handler) endPayPerUse(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	res, err := h.svc.EndPayPerUse(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, res.Version, res)
	return nil
}

// refundReviews: GET /v1/review/refunds — the orders whose refund waits
// for an operator (above the review threshold), oldest request first.
func (h *Handler) refundReviews(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	limit, err := queryInt(r, "limit", 0, 1, marketplace.MaxPageSize)
	if err != nil {
		return err
	}
	page, err := h.svc.RefundReviews(r.Context(), a, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

// refundDecisionBody is an operator's decision; the order is in the path.
type refundDecisionBody struct {
	Approve bool   `json:"approve"`
	Reason  string `json:"reason,omitempty"`
}

// reviewRefund: POST /v1/review/refunds/{id} — an operator approves the
// held refund of order {id} (it is paid, and an unsubscription takes
// effect) or rejects it with a reason (nothing is paid; an unsubscription
// is cancelled). With If-Match the decision is refused (412) unless the
// order is still at that version, checked inside the domain's transaction.
// The answer is the order.
func (h *Handler) reviewRefund(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	var b refundDecisionBody
	if err := h.decodeJSON(w, r, &b); err != nil {
		return err
	}
	o, err := h.svc.ReviewRefund(r.Context(), a, marketplace.RefundDecisionInput{OrderID: id, Approve: b.Approve, Reason: b.Reason, Version: want})
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, o.Version, o)
	return nil
}
