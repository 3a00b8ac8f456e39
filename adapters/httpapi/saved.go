package httpapi

import (
	"net/http"

	"github.com/opengallery/opengallery/marketplace"
)

func (h *Handler) registerSaved() {
	h.handle("GET /v1/saved", h.savedList)
	h.handle("POST /v1/saved", h.saveItem)
	h.handle("DELETE /v1/saved/{product}", h.removeSaved)
}

func (h *Handler) savedList(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	items, err := h.svc.SavedList(r.Context(), a)
	if err != nil {
		return err
	}
	if items == nil {
		items = []marketplace.SavedEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

func (h *Handler) saveItem(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	var in marketplace.SavedInput
	if err := h.decodeJSON(w, r, &in); err != nil {
		return err
	}
	it, err := h.svc.SaveItem(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, it)
	return nil
}

// removeSaved: DELETE /v1/saved/{product}?spec_id=
func (h *Handler) removeSaved(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "product")
	if err != nil {
		return err
	}
	in := marketplace.SavedInput{ProductID: id, SpecID: r.URL.Query().Get("spec_id")}
	if err := h.svc.RemoveSavedItem(r.Context(), a, in); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
