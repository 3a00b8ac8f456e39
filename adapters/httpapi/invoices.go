package httpapi

import (
	"net/http"

	"github.com/opengallery/opengallery/marketplace"
)

func (h *Handler) registerInvoices() {
	h.handle("POST /v1/invoices", h.requestInvoice)
	h.handle("GET /v1/invoices", h.listInvoices)
	h.handle("GET /v1/invoices/{id}", h.getInvoice)
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

// getInvoice: GET /v1/invoices/{id} — one invoice, with its ETag.
func (h *Handler) getInvoice(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	inv, err := h.svc.GetInvoice(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, inv.Version, inv)
	return nil
}

// invoiceAction issues or returns an invoice. With If-Match (the ETag of
// GET /v1/invoices/{id}) the change is refused with 412 unless the invoice
// is still at that version; the check is made inside the domain's
// transaction, so it cannot race another change.
func (h *Handler) invoiceAction(w http.ResponseWriter, r *http.Request,
	do func(in marketplace.InvoiceActionInput) (marketplace.Invoice, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	inv, err := do(marketplace.InvoiceActionInput{InvoiceID: id, Version: want})
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, inv.Version, inv)
	return nil
}

func (h *Handler) issueInvoice(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	return h.invoiceAction(w, r, func(in marketplace.InvoiceActionInput) (marketplace.Invoice, error) {
		return h.svc.IssueInvoiceIf(r.Context(), a, in)
	})
}

func (h *Handler) returnInvoice(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	return h.invoiceAction(w, r, func(in marketplace.InvoiceActionInput) (marketplace.Invoice, error) {
		return h.svc.ReturnInvoiceIf(r.Context(), a, in)
	})
}
