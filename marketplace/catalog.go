package marketplace

import (
	"context"
	"errors"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/supervision"
)

// Catalog text limits, in characters.
const (
	MaxNameLength        = 200
	MaxDescriptionLength = 20000
)

// SellerInput registers or edits a seller.
type SellerInput struct {
	// ID is the seller's id in the host's identity system; required.
	ID           string `json:"id"`
	Name         string `json:"name"`
	SupportEmail string `json:"support_email"`
	SupportPhone string `json:"support_phone,omitempty"`
	SupportHours string `json:"support_hours,omitempty"`
	Certified    bool   `json:"certified"`
	// Version is the seller's version as read (GetSeller); 0 skips the
	// check. A seller that moved on since, or does not exist, is not
	// written.
	Version int64 `json:"version,omitempty"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput) naming the first bad field.
func (in SellerInput) Validate() error {
	if err := checkID("id", in.ID); err != nil {
		return err
	}
	if err := checkText("name", in.Name, 1, MaxNameLength); err != nil {
		return err
	}
	if _, err := mail.ParseAddress(in.SupportEmail); err != nil || !strings.Contains(in.SupportEmail, "@") {
		return inputErr("support_email", in.SupportEmail, "must be an email address")
	}
	if err := checkVersionInput(in.Version); err != nil {
		return err
	}
	return checkText("support_phone", in.SupportPhone, 0, 64)
}

// RegisterSeller creates or updates a seller. Operators register any
// seller; a seller registers or edits only itself (actor id = input id).
// Only an operator may set Certified; a seller's edit keeps the stored
// value.
//
// Errors: *InputError; *NotAllowedError (buyers, the system, or a seller
// registering another id); *PreconditionError (ErrConflict, Want and Have
// set; Have 0 for a seller not registered) when in.Version is set and the
// seller is no longer at it; store errors.
func (s *Service) RegisterSeller(ctx context.Context, actor Actor, in SellerInput) (Seller, error) {
	if err := checkActor(actor, "register a seller", RoleOperator, RoleSeller); err != nil {
		return Seller{}, err
	}
	if err := in.Validate(); err != nil {
		return Seller{}, err
	}
	if actor.Role == RoleSeller && actor.ID != in.ID {
		return Seller{}, &NotAllowedError{Actor: actor, Action: "register a seller", Reason: "a seller registers only itself"}
	}
	var out Seller
	err := s.update(ctx, func(tx Tx) error {
		now := s.now()
		sl, err := tx.Seller(in.ID)
		created := false
		switch {
		case err == nil:
		case errIsNotFound(err):
			sl, created = Seller{ID: in.ID, CreatedAt: now}, true
		default:
			return err
		}
		if err := checkVersion(KindSeller, in.ID, in.Version, sl.Version); err != nil {
			return err
		}
		sl.Name, sl.SupportEmail, sl.SupportPhone, sl.SupportHours = in.Name, in.SupportEmail, in.SupportPhone, in.SupportHours
		if actor.IsOperator() {
			sl.Certified = in.Certified
		}
		sl.UpdatedAt = now
		if err := tx.PutSeller(&sl); err != nil {
			return err
		}
		typ := "seller.updated"
		if created {
			typ = "seller.registered"
		}
		out = sl
		return emit(tx, now, actor, KindSeller, sl.ID, typ, "", "", nil)
	})
	return out, err
}

// GetSeller returns a seller; anyone may read a seller's public profile.
//
// Errors: *InputError; *NotFoundError; store errors.
func (s *Service) GetSeller(ctx context.Context, actor Actor, id string) (Seller, error) {
	if err := checkActor(actor, "read a seller"); err != nil {
		return Seller{}, err
	}
	var out Seller
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Seller(id)
		return err
	})
	return out, err
}

// ProductInput is what a seller writes about a product.
type ProductInput struct {
	Name             string          `json:"name"`
	Description      string          `json:"description"`
	Category         string          `json:"category"`
	OperatingSystems []string        `json:"operating_systems,omitempty"`
	Delivery         DeliveryMethod  `json:"delivery"`
	Supervised       bool            `json:"supervised"`
	FlowTemplate     string          `json:"flow_template,omitempty"`
	ReviewDelivery   bool            `json:"review_delivery,omitempty"`
	SupportRange     string          `json:"support_range,omitempty"`
	CustomerCases    []string        `json:"customer_cases,omitempty"`
	GuideURL         string          `json:"guide_url,omitempty"`
	Restriction      Restriction     `json:"restriction"`
	Specs            []Specification `json:"specs"`
	Image            *ImageInfo      `json:"image,omitempty"`
}

// Validate checks the product against the billing rules cfg.
//
// Errors: *InputError (ErrInvalidInput) naming the first bad field, with
// billing's error wrapped for a bad price plan.
func (in ProductInput) Validate(cfg billing.Config) error {
	if err := checkText("name", in.Name, 1, MaxNameLength); err != nil {
		return err
	}
	if err := checkText("description", in.Description, 0, MaxDescriptionLength); err != nil {
		return err
	}
	if err := checkText("category", in.Category, 1, 100); err != nil {
		return err
	}
	if !Sellable(in.Delivery) {
		return inputErr("delivery", in.Delivery, "must be image, saas, license or professional_service")
	}
	switch in.Delivery {
	case DeliveryLicense, DeliveryProfessional:
		if !in.Supervised {
			return inputErr("supervised", false, "licenses and professional services are always supervised")
		}
	case DeliveryImage:
		if in.Supervised {
			return inputErr("supervised", true, "images are not supervised")
		}
		if in.Image == nil || len(in.Image.Regions) == 0 {
			return inputErr("image.regions", nil, "an image product needs at least one region")
		}
	}
	if in.Delivery != DeliveryImage && in.Image != nil {
		return inputErr("image", "set", "only image products have image details")
	}
	if in.Supervised {
		k, err := supervision.ParseKind(in.FlowTemplate)
		if err != nil {
			return inputErr("flow_template", in.FlowTemplate, "must be a supervision template (license, standard, website_deployment, saas)")
		}
		t, _ := supervision.Lookup(k)
		if in.ReviewDelivery && !t.ReviewSupported() {
			return inputErr("review_delivery", true, "only the saas template has a platform review")
		}
	} else if in.FlowTemplate != "" || in.ReviewDelivery {
		return inputErr("flow_template", in.FlowTemplate, "only supervised products have a flow")
	}
	if in.Restriction.Restricted {
		return inputErr("restriction.restricted", true, "is set by the marketplace on a withheld whitelist: give the whitelist")
	}
	// A buyer named twice is refused rather than de-duplicated: it is most
	// likely a typo for another buyer, whom the seller meant to admit.
	listed := make(map[string]int, len(in.Restriction.Whitelist))
	for i, id := range in.Restriction.Whitelist {
		field := "restriction.whitelist[" + itoa(i) + "]"
		if err := checkID(field, id); err != nil {
			return err
		}
		if j, ok := listed[id]; ok {
			return inputErr(field, id, "is repeated (also restriction.whitelist["+itoa(j)+"])")
		}
		listed[id] = i
	}
	if len(in.Specs) == 0 {
		return inputErr("specs", 0, "a product needs at least one specification")
	}
	seen := map[string]bool{}
	for i, sp := range in.Specs {
		field := "specs[" + itoa(i) + "]"
		if err := checkID(field+".id", sp.ID); err != nil {
			return err
		}
		if seen[sp.ID] {
			return inputErr(field+".id", sp.ID, "is repeated")
		}
		seen[sp.ID] = true
		if err := checkText(field+".name", sp.Name, 1, MaxNameLength); err != nil {
			return err
		}
		if sp.Status != "" && sp.Status != SpecActive && sp.Status != SpecDiscontinued {
			return inputErr(field+".status", sp.Status, "must be active or discontinued")
		}
		if err := sp.Pricing.Validate(cfg); err != nil {
			return &InputError{Field: field + ".pricing", Value: sp.ID, Reason: err.Error()}
		}
		if sp.Upgradable && in.Delivery != DeliverySaaS {
			return inputErr(field+".upgradable", true, "only SaaS specifications can be upgraded")
		}
	}
	return nil
}

// CreateProduct creates a draft product of the acting seller.
//
// Errors: *InputError; *NotAllowedError for anyone but a seller;
// *NotFoundError when the seller is not registered; store errors.
func (s *Service) CreateProduct(ctx context.Context, actor Actor, in ProductInput) (Product, error) {
	if err := checkActor(actor, "create a product", RoleSeller); err != nil {
		return Product{}, err
	}
	if err := in.Validate(s.cfg); err != nil {
		return Product{}, err
	}
	var out Product
	err := s.update(ctx, func(tx Tx) error {
		sl, err := tx.Seller(actor.ID)
		if err != nil {
			return err
		}
		now := s.now()
		p := Product{ID: s.ids.NewID(KindProduct), SellerID: sl.ID, SellerName: sl.Name, Status: ProductDraft, CreatedAt: now}
		in.apply(&p, now)
		if err := tx.PutProduct(&p); err != nil {
			return err
		}
		out = p
		return emit(tx, now, actor, KindProduct, p.ID, "product.created", "", string(ProductDraft), nil)
	})
	return out, err
}

func (in ProductInput) apply(p *Product, now time.Time) {
	p.Name, p.Description, p.Category = in.Name, in.Description, in.Category
	p.OperatingSystems, p.Delivery, p.Supervised = in.OperatingSystems, in.Delivery, in.Supervised
	p.FlowTemplate, p.ReviewDelivery, p.SupportRange = in.FlowTemplate, in.ReviewDelivery, in.SupportRange
	p.CustomerCases, p.GuideURL, p.Restriction, p.Image = in.CustomerCases, in.GuideURL, in.Restriction, in.Image
	p.Specs = make([]Specification, len(in.Specs))
	for i, sp := range in.Specs {
		if sp.Status == "" {
			sp.Status = SpecActive
		}
		p.Specs[i] = sp
	}
	p.UpdatedAt = now
}

// UpdateProduct replaces a draft product's content. version must be the
// version the seller read (optimistic concurrency).
//
// Errors: *InputError; *NotAllowedError for anyone but a seller;
// *NotFoundError (not the seller's); *PreconditionError (ErrConflict, Want
// and Have set) when the product is no longer at version; *StateError
// unless the product is a draft; store errors.
func (s *Service) UpdateProduct(ctx context.Context, actor Actor, id string, version int64, in ProductInput) (Product, error) {
	if err := checkActor(actor, "edit a product", RoleSeller); err != nil {
		return Product{}, err
	}
	if err := in.Validate(s.cfg); err != nil {
		return Product{}, err
	}
	var out Product
	err := s.update(ctx, func(tx Tx) error {
		p, err := s.sellerProduct(tx, actor, id)
		if err != nil {
			return err
		}
		if p.Version != version {
			return &PreconditionError{Kind: KindProduct, ID: id, Want: version, Have: p.Version}
		}
		if p.Status != ProductDraft {
			return &StateError{Kind: KindProduct, ID: id, State: string(p.Status), Action: "edit", Reason: "only drafts can be edited"}
		}
		now := s.now()
		in.apply(&p, now)
		if err := tx.PutProduct(&p); err != nil {
			return err
		}
		out = p
		return emit(tx, now, actor, KindProduct, p.ID, "product.updated", "", "", nil)
	})
	return out, err
}

func (s *Service) sellerProduct(tx ReadTx, actor Actor, id string) (Product, error) {
	p, err := tx.Product(id)
	if err != nil {
		return Product{}, err
	}
	if !actor.IsSeller(p.SellerID) {
		return Product{}, notFound(KindProduct, id)
	}
	return p, nil
}

// SubmitProduct sends a draft for the operators' review.
//
// Errors: *InputError; *NotAllowedError; *NotFoundError; *StateError unless
// the product is a draft.
func (s *Service) SubmitProduct(ctx context.Context, actor Actor, id string) (Product, error) {
	return s.moveProduct(ctx, actor, id, RoleSeller, "submit", ProductDraft, ProductInReview, "")
}

// ReviewInput is an operator's decision on a product under review.
type ReviewInput struct {
	ProductID string `json:"product_id"`
	Approve   bool   `json:"approve"`
	Comment   string `json:"comment,omitempty"` // required to reject
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in ReviewInput) Validate() error {
	if err := checkID("product_id", in.ProductID); err != nil {
		return err
	}
	if !in.Approve && strings.TrimSpace(in.Comment) == "" {
		return inputErr("comment", in.Comment, "a rejection needs a comment")
	}
	return checkText("comment", in.Comment, 0, 1000)
}

// ReviewProduct lists an approved product or returns a rejected one to
// draft with the operator's comment.
//
// Errors: *InputError; *NotAllowedError for anyone but an operator;
// *NotFoundError; *StateError unless the product is under review.
func (s *Service) ReviewProduct(ctx context.Context, actor Actor, in ReviewInput) (Product, error) {
	if err := checkActor(actor, "review a product", RoleOperator); err != nil {
		return Product{}, err
	}
	if err := in.Validate(); err != nil {
		return Product{}, err
	}
	if in.Approve {
		return s.moveProduct(ctx, actor, in.ProductID, RoleOperator, "approve", ProductInReview, ProductListed, in.Comment)
	}
	return s.moveProduct(ctx, actor, in.ProductID, RoleOperator, "reject", ProductInReview, ProductDraft, in.Comment)
}

// DelistProduct removes a product from sale for good (seller of the
// product, or an operator). A delisted product is never listed again;
// resources already bought keep running.
//
// Errors: *InputError; *NotAllowedError; *NotFoundError; *StateError when
// already delisted.
func (s *Service) DelistProduct(ctx context.Context, actor Actor, id string) (Product, error) {
	role := actor.Role
	if role != RoleOperator {
		role = RoleSeller
	}
	return s.moveProduct(ctx, actor, id, role, "delist", "", ProductDelisted, "")
}

func (s *Service) moveProduct(ctx context.Context, actor Actor, id string, role Role, action string, from, to ProductStatus, comment string) (Product, error) {
	if err := checkActor(actor, action+" a product", role); err != nil {
		return Product{}, err
	}
	var out Product
	err := s.update(ctx, func(tx Tx) error {
		var p Product
		var err error
		if actor.IsOperator() {
			p, err = tx.Product(id)
		} else {
			p, err = s.sellerProduct(tx, actor, id)
		}
		if err != nil {
			return err
		}
		if (from != "" && p.Status != from) || (from == "" && p.Status == to) {
			return &StateError{Kind: KindProduct, ID: id, State: string(p.Status), Action: action}
		}
		now := s.now()
		old := p.Status
		p.Status, p.UpdatedAt = to, now
		if comment != "" || action == "approve" {
			p.ReviewComment = comment
		}
		if to == ProductListed {
			p.ListedAt = &now
		}
		if err := tx.PutProduct(&p); err != nil {
			return err
		}
		out = p
		return emit(tx, now, actor, KindProduct, p.ID, "product."+action, string(old), string(to), nil)
	})
	return out, err
}

// DiscontinueSpec delists one specification: it can no longer be bought,
// renewed into or upgraded to.
//
// Errors: *InputError; *NotAllowedError; *NotFoundError (product or spec);
// *StateError when already discontinued.
func (s *Service) DiscontinueSpec(ctx context.Context, actor Actor, productID, specID string) (Product, error) {
	if err := checkActor(actor, "discontinue a specification", RoleSeller, RoleOperator); err != nil {
		return Product{}, err
	}
	var out Product
	err := s.update(ctx, func(tx Tx) error {
		p, err := tx.Product(productID)
		if err != nil {
			return err
		}
		if !actor.IsOperator() && !actor.IsSeller(p.SellerID) {
			return notFound(KindProduct, productID)
		}
		idx := -1
		for i, sp := range p.Specs {
			if sp.ID == specID {
				idx = i
			}
		}
		if idx < 0 {
			return notFound("specification", specID)
		}
		if p.Specs[idx].Status == SpecDiscontinued {
			return &StateError{Kind: "specification", ID: specID, State: string(SpecDiscontinued), Action: "discontinue"}
		}
		now := s.now()
		p.Specs[idx].Status, p.UpdatedAt = SpecDiscontinued, now
		if err := tx.PutProduct(&p); err != nil {
			return err
		}
		out = p
		return emit(tx, now, actor, KindProduct, p.ID, "product.spec_discontinued", string(SpecActive), string(SpecDiscontinued), map[string]string{"spec_id": specID})
	})
	return out, err
}

// GetProduct returns a product: buyers see listed products only, sellers
// their own in any status, operators everything. Only the product's seller
// and operators read its whitelist; anyone else reads it withheld (see
// Restriction).
//
// Errors: *InputError; *NotFoundError; store errors.
func (s *Service) GetProduct(ctx context.Context, actor Actor, id string) (Product, error) {
	if err := checkActor(actor, "read a product"); err != nil {
		return Product{}, err
	}
	var out Product
	err := s.store.View(ctx, func(tx ReadTx) error {
		p, err := tx.Product(id)
		if err != nil {
			return err
		}
		if !canSeeProduct(actor, p) {
			return notFound(KindProduct, id)
		}
		out = p.view(actor)
		return nil
	})
	return out, err
}

func canSeeProduct(a Actor, p Product) bool {
	switch a.Role {
	case RoleOperator, RoleSystem:
		return true
	case RoleSeller:
		return a.ID == p.SellerID || p.Status == ProductListed
	}
	return p.Status == ProductListed
}

// ProductContact is the after-sales contact of a product's seller.
//
// Errors: as GetProduct, and *NotFoundError for a missing seller.
func (s *Service) ProductContact(ctx context.Context, actor Actor, productID string) (Contact, error) {
	p, err := s.GetProduct(ctx, actor, productID)
	if err != nil {
		return Contact{}, err
	}
	return s.contact(ctx, p.SellerID, p.SupportRange)
}

func (s *Service) contact(ctx context.Context, sellerID, supportRange string) (Contact, error) {
	var out Contact
	err := s.store.View(ctx, func(tx ReadTx) error {
		sl, err := tx.Seller(sellerID)
		if err != nil {
			return err
		}
		out = Contact{SellerID: sl.ID, SellerName: sl.Name, SupportEmail: sl.SupportEmail, SupportPhone: sl.SupportPhone,
			SupportHours: sl.SupportHours, SupportRange: supportRange}
		return nil
	})
	return out, err
}

// checkKey checks a request's idempotency key.
func checkKey(key string) error {
	if key == "" || len(key) > 200 {
		return inputErr("idempotency_key", key, "must be 1..200 bytes")
	}
	return nil
}

func checkID(field, id string) error {
	if id == "" {
		return inputErr(field, id, "must not be empty")
	}
	if len(id) > 128 || strings.ContainsAny(id, " \t\r\n/") {
		return inputErr(field, id, "must be at most 128 bytes without spaces or slashes")
	}
	return nil
}

func checkText(field, v string, minLen, maxLen int) error {
	if !utf8.ValidString(v) {
		return inputErr(field, "(invalid UTF-8)", "must be UTF-8 text")
	}
	n := utf8.RuneCountInString(strings.TrimSpace(v))
	if n < minLen {
		return inputErr(field, v, "must not be empty")
	}
	if utf8.RuneCountInString(v) > maxLen {
		return inputErr(field, utf8.RuneCountInString(v), "is too long")
	}
	return nil
}

func itoa(i int) string { return strconv.Itoa(i) }

func errIsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
