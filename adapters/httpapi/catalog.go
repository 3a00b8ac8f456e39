package httpapi

import (
	"net/http"
	"strings"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

func (h *Handler) registerCatalog() {
	h.handle("GET /v1/products", h.searchProducts)
	h.handle("GET /v1/products/{id}", h.getProduct)
	h.handle("GET /v1/products/{id}/contact", h.productContact)
	h.handle("GET /v1/sellers/{id}", h.getSeller)
	h.handle("PUT /v1/sellers/{id}", h.putSeller)
	h.handle("GET /v1/seller/products", h.sellerProducts)
	h.handle("POST /v1/seller/products", h.createProduct)
	h.handle("PUT /v1/seller/products/{id}", h.updateProduct)
	h.handle("POST /v1/seller/products/{id}/submit", h.submitProduct)
	h.handle("POST /v1/seller/products/{id}/delist", h.delistProduct)
	h.handle("POST /v1/seller/products/{id}/specs/{spec}/discontinue", h.discontinueSpec)
	h.handle("GET /v1/review/products", h.reviewQueue)
	h.handle("POST /v1/review/products/{id}", h.reviewProduct)
}

// searchProducts: GET /v1/products?text=&category=&os=&delivery=&mode=&seller_id=&sort=&cursor=&limit=
func (h *Handler) searchProducts(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	q := r.URL.Query()
	limit, err := queryInt(r, "limit", 0, 1, marketplace.MaxPageSize)
	if err != nil {
		return err
	}
	in := marketplace.SearchInput{
		Text: q.Get("text"), Category: q.Get("category"), OS: q.Get("os"),
		Delivery: marketplace.DeliveryMethod(q.Get("delivery")), Mode: billing.Mode(q.Get("mode")),
		SellerID: q.Get("seller_id"), Sort: marketplace.ProductSort(q.Get("sort")), Cursor: q.Get("cursor"), Limit: limit,
	}
	page, err := h.svc.Search(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h *Handler) getProduct(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := h.svc.GetProduct(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, p.Version, p)
	return nil
}

func (h *Handler) productContact(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := h.svc.ProductContact(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (h *Handler) getSeller(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	s, err := h.svc.GetSeller(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, s.Version, s)
	return nil
}

// sellerBody is a seller's profile; the id comes from the path.
type sellerBody struct {
	Name         string `json:"name"`
	SupportEmail string `json:"support_email"`
	SupportPhone string `json:"support_phone,omitempty"`
	SupportHours string `json:"support_hours,omitempty"`
	Certified    bool   `json:"certified"`
}

// putSeller: PUT /v1/sellers/{id} registers or edits a seller. With
// If-Match (the seller's ETag) the edit is refused with 412 unless the
// seller is still at that version (a seller not registered has none).
func (h *Handler) putSeller(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	want, err := ifMatch(r)
	if err != nil {
		return err
	}
	var b sellerBody
	if err := h.decodeJSON(w, r, &b); err != nil {
		return err
	}
	s, err := h.svc.RegisterSeller(r.Context(), a, marketplace.SellerInput{ID: id, Name: b.Name, SupportEmail: b.SupportEmail,
		SupportPhone: b.SupportPhone, SupportHours: b.SupportHours, Certified: b.Certified, Version: want})
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, s.Version, s)
	return nil
}

// statuses parses a comma-separated product status filter.
func statuses(r *http.Request) ([]marketplace.ProductStatus, error) {
	raw := r.URL.Query().Get("status")
	if raw == "" {
		return nil, nil
	}
	var out []marketplace.ProductStatus
	for _, s := range strings.Split(raw, ",") {
		st := marketplace.ProductStatus(s)
		switch st {
		case marketplace.ProductDraft, marketplace.ProductInReview, marketplace.ProductListed, marketplace.ProductDelisted:
			out = append(out, st)
		default:
			return nil, badParam("status", "status must be draft, in_review, listed or delisted (comma-separated)")
		}
	}
	return out, nil
}

// sellerProducts: GET /v1/seller/products — the acting seller's products in
// every status (an operator names the seller with seller_id).
func (h *Handler) sellerProducts(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	st, err := statuses(r)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit", 0, 1, marketplace.MaxPageSize)
	if err != nil {
		return err
	}
	seller := a.ID
	if a.Role == marketplace.RoleOperator {
		seller = r.URL.Query().Get("seller_id")
	}
	page, err := h.svc.SellerProducts(r.Context(), a, seller, st, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

func (h *Handler) createProduct(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	var in marketplace.ProductInput
	if err := h.decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := h.svc.CreateProduct(r.Context(), a, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/v1/products/"+p.ID)
	writeVersioned(w, http.StatusCreated, p.Version, p)
	return nil
}

// updateProduct replaces a draft; If-Match (the ETag read) is required so
// that two editors cannot overwrite each other.
func (h *Handler) updateProduct(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	version, err := ifMatch(r)
	if err != nil {
		return err
	}
	if version == 0 {
		return &requestError{status: http.StatusPreconditionRequired, code: CodePreconditionRequired, field: "If-Match",
			detail: "send If-Match with the product's ETag"}
	}
	var in marketplace.ProductInput
	if err := h.decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := h.svc.UpdateProduct(r.Context(), a, id, version, in)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, p.Version, p)
	return nil
}

func (h *Handler) productAction(w http.ResponseWriter, r *http.Request, a marketplace.Actor,
	do func(id string) (marketplace.Product, error)) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	p, err := do(id)
	if err != nil {
		return err
	}
	writeVersioned(w, http.StatusOK, p.Version, p)
	return nil
}

func (h *Handler) submitProduct(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	return h.productAction(w, r, a, func(id string) (marketplace.Product, error) {
		return h.svc.SubmitProduct(r.Context(), a, id)
	})
}

func (h *Handler) delistProduct(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	return h.productAction(w, r, a, func(id string) (marketplace.Product, error) {
		return h.svc.DelistProduct(r.Context(), a, id)
	})
}

func (h *Handler) discontinueSpec(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	spec, err := pathID(r, "spec")
	if err != nil {
		return err
	}
	return h.productAction(w, r, a, func(id string) (marketplace.Product, error) {
		return h.svc.DiscontinueSpec(r.Context(), a, id, spec)
	})
}

// reviewQueue: GET /v1/review/products — products waiting for review,
// across sellers, for operators.
func (h *Handler) reviewQueue(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	limit, err := queryInt(r, "limit", 0, 1, marketplace.MaxPageSize)
	if err != nil {
		return err
	}
	page, err := h.svc.ReviewQueue(r.Context(), a, r.URL.Query().Get("cursor"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, page)
	return nil
}

type reviewBody struct {
	Approve bool   `json:"approve"`
	Comment string `json:"comment,omitempty"`
}

func (h *Handler) reviewProduct(w http.ResponseWriter, r *http.Request, a marketplace.Actor) error {
	var b reviewBody
	if err := h.decodeJSON(w, r, &b); err != nil {
		return err
	}
	return h.productAction(w, r, a, func(id string) (marketplace.Product, error) {
		return h.svc.ReviewProduct(r.Context(), a, marketplace.ReviewInput{ProductID: id, Approve: b.Approve, Comment: b.Comment})
	})
}
