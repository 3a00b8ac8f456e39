package httpapi

import (
	"net/http"
	"strconv"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

func (h *Handler) registerAccounts() {
	h.handle("GET /v1/accounts/{id}", h.getAccount)
	h.handle("POST /v1/accounts/{id}/top-up", h.topUp)
	h.handle("PUT /v1/accounts/{id}/credit", h.setCredit)
	h.handle("POST /v1/accounts/{id}/settle", h.settleCredit)
	h.handle("GET /v1/events", h.events)
}

func (h *Handler) getAccount(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	acc, err := h.svc.GetAccount(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, acc.Version, acc)
	return nil
}

type topUpBody struct {
	Amount billing.Money `json:"amount"`
}

func (h *Handler) topUp(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b topUpBody
	if err := h.decodeJSON(w, r, &b); err != nil {
		return err
	}
	acc, err := h.svc.TopUp(r.Context(), a, marketplace.TopUpInput{AccountID: id, Amount: b.Amount})
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, acc.Version, acc)
	return nil
}

type creditBody struct {
	Credit bool `json:"credit"`
}

// setCredit: PUT /v1/accounts/{id}/credit. With If-Match (the account's
// ETag) the change is refused with 412 unless the account is still at that
// version.
func (h *Handler) setCredit(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	var b creditBody
	if err := h.decodeJSON(w, r, &b); err != nil {
		return err
	}
	acc, err := h.svc.SetCreditIf(r.Context(), a, marketplace.CreditInput{AccountID: id, Credit: b.Credit, Version: want})
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, acc.Version, acc)
	return nil
}

func (h *Handler) settleCredit(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	m, err := h.svc.SettleCredit(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"account_id": id, "settled": m})
	return nil
}

// events: GET /v1/events?after=&limit= — the change feed, in sequence
// order. "next" is the after value for the following call.
func (h *Handler) events(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	after, err := queryInt64(r, "after")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 100, 1, marketplace.MaxPageSize)
	if err != nil {
		return err
	}
	evs, err := h.svc.Events(r.Context(), a, after, limit)
	if err != nil {
		return err
	}
	if evs == nil {
		evs = []marketplace.Event{}
	}
	next := after
	if len(evs) > 0 {
		next = evs[len(evs)-1].Seq
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": evs, "next": strconv.FormatInt(next, 10)})
	return nil
}
