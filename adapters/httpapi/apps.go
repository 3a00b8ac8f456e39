package httpapi

import (
	"net/http"

	"github.com/opengallery/opengallery/marketplace"
)

func (h *Handler) registerApps() {
	h.handle("GET /v1/apps", h.listApps)
	h.handle("GET /v1/apps/{id}", h.getApp)
	h.handle("GET /v1/apps/{id}/contact", h.appContact)
	h.handle("POST /v1/apps/{id}/password", h.revealPassword)
	h.handle("GET /v1/resources/{id}", h.getResource)
	h.handle("POST /v1/apps/{id}/upgrade/quote", h.quoteUpgrade)
	h.handle("POST /v1/apps/{id}/upgrade", h.upgrade)
	h.handle("POST /v1/apps/{id}/renew", h.renew)
	h.handle("PUT /v1/apps/{id}/auto-renew", h.setAutoRenew)
	h.handle("PUT /v1/renewal-day", h.setRenewalDay)
}

// listApps: GET /v1/apps — Purchased Apps.
func (h *Handler) listApps(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	limit, err := queryInt(r, "limit", 0, 1, marketplace.MaxPageSize)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	st := marketplace.ResourceStatus(q.Get("status"))
	switch st {
	case "", marketplace.ResourcePending, marketplace.ResourceActive, marketplace.ResourceGrace, marketplace.ResourceRetention,
		marketplace.ResourceReleased, marketplace.ResourceUnsubscribed, marketplace.ResourceFailed:
	default:
		return badParam("status", "status must be a resource status")
	}
	page, err := h.svc.ListPurchasedApps(r.Context(), a, marketplace.ListAppsInput{Status: st, Cursor: q.Get("cursor"), Limit: limit})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h *Handler) getApp(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	app, err := h.svc.GetPurchasedApp(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, app.Version, app)
	return nil
}

func (h *Handler) appContact(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := h.svc.ResourceContact(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// revealPassword: POST (not GET, so that no cache or log of URLs keeps
// it) /v1/apps/{id}/password — the SaaS password, to its owning buyer.
func (h *Handler) revealPassword(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	pw, err := h.svc.RevealPassword(r.Context(), a, id)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, map[string]string{"password": pw})
	return nil
}

// getResource: the stored resource, for its buyer, its seller and
// operators.
func (h *Handler) getResource(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	res, err := h.svc.GetResource(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, res.Version, res)
	return nil
}

// upgradeBody names the target: another specification, more quantity, or
// both.
type upgradeBody struct {
	SpecID   string `json:"spec_id,omitempty"`
	Quantity int    `json:"quantity,omitempty"`
}

func (h *Handler) quoteUpgrade(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var b upgradeBody
	if err := h.decodeJSON(w, r, &b); err != nil {
		return err
	}
	u, err := h.svc.QuoteUpgrade(r.Context(), a, marketplace.UpgradeInput{ResourceID: id, SpecID: b.SpecID, Quantity: b.Quantity})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, u)
	return nil
}

// idempotencyKey reads the required Idempotency-Key header.
func idempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" || len(key) > 200 {
		return "", badRequest(CodeInvalidInput, "Idempotency-Key", "the Idempotency-Key header is required (1-200 bytes)")
	}
	return key, nil
}

// upgrade: POST /v1/apps/{id}/upgrade with Idempotency-Key — the upgrade
// order to pay.
func (h *Handler) upgrade(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	var b upgradeBody
	if err := h.decodeJSON(w, r, &b); err != nil {
		return err
	}
	o, err := h.svc.Upgrade(r.Context(), a, marketplace.UpgradeInput{ResourceID: id, SpecID: b.SpecID, Quantity: b.Quantity, IdempotencyKey: key})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/orders/"+o.ID)
	writeVersioned(w, http.StatusCreated, o.Version, o)
	return nil
}

type renewBody struct {
	Duration int `json:"duration"`
}

// renew: POST /v1/apps/{id}/renew with Idempotency-Key — the renewal
// order to pay; the new term runs from the current expiry.
func (h *Handler) renew(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	var b renewBody
	if err := h.decodeJSON(w, r, &b); err != nil {
		return err
	}
	o, err := h.svc.Renew(r.Context(), a, marketplace.RenewInput{ResourceID: id, Duration: b.Duration, IdempotencyKey: key})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/orders/"+o.ID)
	writeVersioned(w, http.StatusCreated, o.Version, o)
	return nil
}

type autoRenewBody struct {
	Enabled    bool `json:"enabled"`
	DaysBefore *int `json:"days_before,omitempty"`
	Count      int  `json:"count,omitempty"`
	Limit      int  `json:"limit,omitempty"`
	DoNotRenew bool `json:"do_not_renew,omitempty"`
}

// setAutoRenew: PUT /v1/apps/{id}/auto-renew. With If-Match (the app's
// ETag) the change is refused with 412 if the app changed meanwhile; the
// check is made inside the domain's transaction, so it cannot race another
// change.
func (h *Handler) setAutoRenew(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	var b autoRenewBody
	if err := h.decodeJSON(w, r, &b); err != nil {
		return err
	}
	res, err := h.svc.SetAutoRenew(r.Context(), a, marketplace.AutoRenewInput{ResourceID: id, Enabled: b.Enabled,
		DaysBefore: b.DaysBefore, Count: b.Count, Limit: b.Limit, DoNotRenew: b.DoNotRenew, Version: want})
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, res.Version, res)
	return nil
}

// setRenewalDay: PUT /v1/renewal-day — one uniform renewal day for several
// of the buyer's apps.
func (h *Handler) setRenewalDay(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	var in marketplace.RenewalDayInput
	if err := h.decodeJSON(w, r, &in); err != nil {
		return err
	}
	res, err := h.svc.SetRenewalDay(r.Context(), a, in)
	if err != nil {
		return err
	}
	if res == nil {
		res = []marketplace.Resource{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": res})
	return nil
}
