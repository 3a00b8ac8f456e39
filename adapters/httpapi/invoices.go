package httpapi

import (
	"net/http"

	"github.com/opengallery/opengallery/marketplace"
)

func (h *Handler) registerInvoices() {
	h.handle("POST /v1/invoices", h.requestInvoice)
	h.handle("GET /v1/invoices", h.listInvoices)
	h.handle("POST /v1/invoices/{id}/issue", h.issueInvoice)
	h.handle("POST /v1/invoices/{id}/return", h.returnInvoice)
}

func (h *Handler) requestInvoice(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	var in marketplace.InvoiceInput
	if err := h.decodeJSON(w, r, &in); err != nil {
		return err
	}
	inv, err := h.svc.RequestInvoice(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusCreated, inv.Version, inv)
	return nil
}

func (h *Handler) listInvoices(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	limit, err := queryInt(r, "limit", 0, 1, marketplace.MaxPageSize)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	st := marketplace.InvoiceStatus(q.Get("status"))
	switch st {
	case "", marketplace.InvoiceRequested, marketplace.InvoiceIssued, marketplace.InvoiceReturned:
	default:
		return badParam("status", "status must be requested, issued or returned")
	}
	page, err := h.svc.ListInvoices(r.Context(), a, st, q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h *Handler) invoiceAction(w http.ResponseWriter, r *http.Request, do func(id string) (marketplace.Invoice, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	inv, err := do(id)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, inv.Version, inv)
	return nil
}

func (h *Handler) issueInvoice(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	return h.invoiceAction(w, r, func(id string) (marketplace.Invoice, error) { return h.svc.IssueInvoice(r.Context(), a, id) })
}

func (h *Handler) returnInvoice(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	return h.invoiceAction(w, r, func(id string) (marketplace.Invoice, error) { return h.svc.ReturnInvoice(r.Context(), a, id) })
}
