package marketplace

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
)

// ImageChoice is the cloud-server part of an image purchase: where and on
// what it runs, and for a customized purchase how many servers, named how.
// The login password is not here: it is given at payment (PayInput.Login)
// and never stored.
type ImageChoice = ImageDeployment

// QuoteInput is what a buyer chose on a product page.
type QuoteInput struct {
	ProductID string       `json:"product_id"`
	SpecID    string       `json:"spec_id"`
	Mode      billing.Mode `json:"mode"`
	// Duration is the number of months or years (yearly/monthly); 0 for
	// pay-per-use and one-time.
	Duration int `json:"duration"`
	// Quantity of the specification's quantity dimension; 0 means 1. For
	// an image it is the number of servers deployed (Image.Quantity in
	// customized mode, 1 in quick mode): leave it 0, or set it to that
	// number; any other value is an *InputError.
	Quantity int `json:"quantity"`
	// Image is required for image products, and refused for others.
	Image *ImageChoice `json:"image,omitempty"`
}

// Validate checks the input on its own; the product's prices are checked
// when quoting.
//
// Errors: *InputError (ErrInvalidInput).
func (in QuoteInput) Validate() error {
	if err := checkID("product_id", in.ProductID); err != nil {
		return err
	}
	if err := checkID("spec_id", in.SpecID); err != nil {
		return err
	}
	if !in.Mode.Valid() {
		return inputErr("mode", in.Mode, "unknown billing mode")
	}
	if in.Duration < 0 || in.Duration > 120 {
		return inputErr("duration", in.Duration, "must be 0..120")
	}
	if in.Quantity < 0 || in.Quantity > 1_000_000 {
		return inputErr("quantity", in.Quantity, "must be 0..1000000")
	}
	if in.Image != nil {
		if in.Image.Mode != "quick" && in.Image.Mode != "customized" {
			return inputErr("image.mode", in.Image.Mode, "must be quick or customized")
		}
		if err := checkID("image.region", in.Image.Region); err != nil {
			return err
		}
		if in.Image.Quantity < 0 || in.Image.Quantity > provisioning.MaxQuantity {
			return inputErr("image.quantity", in.Image.Quantity, fmt.Sprintf("must be 0..%d", provisioning.MaxQuantity))
		}
		if in.Image.Mode == "quick" && in.Image.Quantity > 1 {
			return inputErr("image.quantity", in.Image.Quantity, "a quick deployment is one server: leave image.quantity out or use customized mode")
		}
		// Every server runs the image, so the software and the VM are
		// both priced per server: the quantity is the number of servers.
		if n := in.Image.servers(); in.Quantity != 0 && in.Quantity != n {
			return inputErr("quantity", in.Quantity, fmt.Sprintf("an image is priced per server: must equal the servers deployed (%d) or be left out", n))
		}
	}
	return nil
}

// quantity is the priced quantity: the specification's quantity, or for
// images the number of servers deployed.
func (in QuoteInput) quantity() int {
	if in.Image != nil {
		return in.Image.servers()
	}
	if in.Quantity == 0 {
		return 1
	}
	return in.Quantity
}

// Quote prices a purchase through billing: the specification's plan for
// the mode, the duration and quantity, and for images the cloud server's
// price. It is what an order will cost; it writes nothing.
//
// Errors: *InputError (also wrapping billing's *InputError,
// *PriceMissingError for a mode the specification does not offer);
// *NotFoundError for an unlisted product, a discontinued or unknown
// specification; *NotAllowedError for anyone but a buyer or operator.
func (s *Service) Quote(ctx context.Context, actor Actor, in QuoteInput) (billing.Quote, error) {
	if err := checkActor(actor, "quote", RoleBuyer, RoleOperator); err != nil {
		return billing.Quote{}, err
	}
	if err := in.Validate(); err != nil {
		return billing.Quote{}, err
	}
	var q billing.Quote
	err := s.store.View(ctx, func(tx ReadTx) error {
		p, sp, err := s.sellable(tx, in.ProductID, in.SpecID)
		if err != nil {
			return err
		}
		q, err = s.quote(p, sp, in)
		return err
	})
	return q, err
}

// sellable returns a listed product and an active specification of it.
func (s *Service) sellable(tx ReadTx, productID, specID string) (Product, Specification, error) {
	p, err := tx.Product(productID)
	if err != nil {
		return Product{}, Specification{}, err
	}
	if p.Status != ProductListed {
		return Product{}, Specification{}, notFound(KindProduct, productID)
	}
	sp, ok := p.Spec(specID)
	if !ok || sp.Status != SpecActive {
		return Product{}, Specification{}, notFound("specification", specID)
	}
	return p, sp, nil
}

func (s *Service) quote(p Product, sp Specification, in QuoteInput) (billing.Quote, error) {
	bin := billing.QuoteInput{Pricing: sp.Pricing, Mode: in.Mode, Count: in.Duration, Quantity: int64(in.quantity()), Label: sp.Name}
	if p.Delivery == DeliveryImage {
		if in.Image == nil {
			return billing.Quote{}, inputErr("image", nil, "an image purchase needs its region and flavor")
		}
		if p.Image != nil && !containsStr(p.Image.Regions, in.Image.Region) {
			return billing.Quote{}, inputErr("image.region", in.Image.Region, "the image is not offered in this region")
		}
		if s.deployer != nil {
			flavor := in.Image.Flavor
			if flavor == "" {
				f, err := s.catalog.RecommendedFlavor()
				if err != nil {
					return billing.Quote{}, inputErr("image.flavor", "", "choose a flavor: "+err.Error())
				}
				flavor = f.Name
			}
			if in.Mode != billing.OneTime {
				price, err := s.catalog.Price(in.Image.Region, flavor, in.Mode)
				if err != nil {
					return billing.Quote{}, inputErr("image.flavor", flavor, err.Error())
				}
				bin.Infrastructure = &billing.Infrastructure{Flavor: flavor, Price: price}
			}
		}
	} else if in.Image != nil {
		return billing.Quote{}, inputErr("image", "set", "only image products take image choices")
	}
	q, err := billing.NewQuote(s.cfg, bin)
	if err != nil {
		return billing.Quote{}, wrapBilling(KindProduct, p.ID, "quote", err)
	}
	return q, nil
}

func containsStr(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// CreateOrderInput is a buyer's checkout.
type CreateOrderInput struct {
	QuoteInput
	// AutoRenew asks for auto-renewal (yearly/monthly, where offered).
	AutoRenew bool `json:"auto_renew,omitempty"`
	// Trial asks for the specification's free trial (yearly/monthly specs
	// that offer one): nothing is charged and the term lasts the trial's
	// days; renewing it converts it to a paid term.
	Trial bool `json:"trial,omitempty"`
	// AgreeTerms must be true: the buyer read and agreed to the terms.
	AgreeTerms bool `json:"agree_terms"`
	// IdempotencyKey makes repeated creation return the same order: the
	// same key with the same input returns the first order; with another
	// input it is ErrIdempotencyMismatch. Required.
	IdempotencyKey string `json:"idempotency_key"`
	// PayNow pays the order as it is created, with PayOrder's effects
	// (place and pay in one call). When the payment needs no call out of
	// the store (the built-in balance payments or another TxCharger, a
	// credit account, a reseller's reference order, nothing to pay), the
	// order and its payment commit in one transaction: a declined payment
	// leaves no order behind. With an external payment port the order is
	// created, then paid as PayOrder pays it (a declined payment leaves it
	// awaiting payment). PayNow is not part of the idempotency
	// fingerprint: repeating a key returns its order, paying it if it is
	// still unpaid, and charges once. Not for image orders, whose payment
	// takes the servers' login: use PayOrder.
	PayNow bool `json:"pay_now,omitempty"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in CreateOrderInput) Validate() error {
	if err := in.QuoteInput.Validate(); err != nil {
		return err
	}
	if !in.AgreeTerms {
		return inputErr("agree_terms", false, "the terms must be agreed")
	}
	if err := checkKey(in.IdempotencyKey); err != nil {
		return err
	}
	if in.AutoRenew && !in.Mode.Prepaid() {
		return inputErr("auto_renew", true, "only yearly and monthly purchases auto-renew")
	}
	if in.Trial && in.AutoRenew {
		return inputErr("auto_renew", true, "a trial does not auto-renew")
	}
	return nil
}

// CreateOrder turns a quote into an order awaiting payment (a reseller's
// customer's order is for reference and awaits the same PayOrder call,
// which charges nothing). The order is cancelled if it is not paid within
// the payment window. With in.PayNow it is paid at once (see PayNow).
//
// Errors: *InputError (including billing's pricing errors, and PayNow for
// an image order); *NotAllowedError for anyone but a buyer, or a buyer
// outside the product's whitelist; *NotFoundError for an unlisted product
// or unavailable specification; *IdempotencyError
// (ErrIdempotencyMismatch); with PayNow, PayOrder's errors (*PaymentError,
// *StateError for an earlier order of the key whose window closed).
func (s *Service) CreateOrder(ctx context.Context, actor Actor, in CreateOrderInput) (Order, error) {
	if err := checkActor(actor, "place an order", RoleBuyer); err != nil {
		return Order{}, err
	}
	if err := in.Validate(); err != nil {
		return Order{}, err
	}
	body, _ := json.Marshal(in.QuoteInput)
	hash := fingerprint(string(body), fmt.Sprint(in.AutoRenew), fmt.Sprint(in.Trial))
	key := "order:" + actor.ID + ":" + in.IdempotencyKey
	var out Order
	var paidNow, payLater bool
	err := s.update(ctx, func(tx Tx) error {
		// A store whose reads are round trips reads what this transaction
		// will read in one: the key's record, the product and, to pay now,
		// the account and the new order's charge record (which is why the
		// order's id is chosen first).
		var oid string
		if p, ok := tx.(Prefetcher); ok {
			oid = s.ids.NewID(KindOrder)
			refs := []Ref{{Kind: KindIdempotency, ID: key}, {Kind: KindProduct, ID: in.ProductID}}
			if in.PayNow {
				refs = append(refs, Ref{Kind: KindAccount, ID: actor.ID})
				refs = append(refs, s.chargeRefs(oid, actor.ID)...)
			}
			p.Prefetch(refs...)
		}
		tx = &accountOnce{Tx: tx} // read to choose the method, then to charge
		paidNow, payLater = false, false
		o, found, err := idempotentOrder(tx, key, hash, in.IdempotencyKey)
		if err != nil {
			return err
		}
		var prod *Product // read by placeOrder in this transaction
		if !found {
			var p Product
			if o, p, err = s.placeOrder(tx, actor, in, oid, key, hash); err != nil {
				return err
			}
			prod = &p
		}
		// put writes a new order that is not paid here; one paid here is
		// written once, by its fulfilment.
		put := func() error {
			out = o
			if found {
				return nil
			}
			return tx.PutOrder(&out)
		}
		if !in.PayNow || o.Status != OrderPendingPayment || o.PaidAt != nil {
			return put()
		}
		if o.Delivery == DeliveryImage {
			return inputErr("pay_now", true, "an image order is paid with PayOrder, which takes the servers' login")
		}
		var acc *Account
		if a, err := tx.Account(o.BuyerID); err == nil {
			acc = &a
		} else if !errIsNotFound(err) {
			return err
		}
		method := payMethod(o, acc)
		if !s.inStorePayment(o, method) {
			payLater = true
			return put()
		}
		if s.now().After(o.PayBy) {
			return &StateError{Kind: KindOrder, ID: o.ID, State: string(o.Status), Action: "pay", Reason: "the payment window has closed"}
		}
		if err := s.payTx(tx, actor, &o, method, Receipt{}, false, prod); err != nil {
			return err
		}
		out, paidNow = o, true
		return nil
	})
	if err != nil {
		return Order{}, err
	}
	switch {
	case payLater:
		return s.pay(ctx, actor, PayInput{OrderID: out.ID})
	case paidNow && s.afterPay(ctx, out, nil):
		return s.reloadOrder(ctx, out.ID, out)
	}
	return out, nil
}

// placeOrder makes a new order awaiting payment and writes its
// idempotency record and event; the caller writes the order. It returns
// the product too, read in tx. The order gets id, or a new one when id is
// empty.
func (s *Service) placeOrder(tx Tx, actor Actor, in CreateOrderInput, id, key, hash string) (Order, Product, error) {
	p, sp, err := s.sellable(tx, in.ProductID, in.SpecID)
	if err != nil {
		return Order{}, Product{}, err
	}
	if !p.Restriction.Allows(actor.ID) {
		return Order{}, Product{}, &NotAllowedError{Actor: actor, Action: "buy " + p.ID, Reason: "the product is restricted to a whitelist of buyers"}
	}
	if in.AutoRenew && !s.cfg.AutoRenewOffered(p.Delivery) {
		return Order{}, Product{}, inputErr("auto_renew", true, "auto-renewal is not offered for "+string(p.Delivery))
	}
	if in.Trial && !sp.Pricing.TrialAllowed(in.Mode) {
		return Order{}, Product{}, inputErr("trial", true, "the specification offers no trial for "+string(in.Mode))
	}
	q, err := s.quote(p, sp, in.QuoteInput)
	if err != nil {
		return Order{}, Product{}, err
	}
	now := s.now()
	if id == "" {
		id = s.ids.NewID(KindOrder)
	}
	o := Order{
		ID: id, Number: s.ids.OrderNumber(now), Kind: OrderNew, Status: OrderPendingPayment,
		BuyerID: actor.ID, ResellerID: actor.ResellerID, SellerID: p.SellerID, ProductID: p.ID, SpecID: sp.ID,
		ProductName: p.Name, SpecName: sp.Name, Delivery: p.Delivery, Mode: in.Mode, Duration: in.Duration,
		Quantity: in.quantity(), AutoRenew: in.AutoRenew, PaymentMethod: PayBalance, Image: in.Image,
		IdempotencyKey: in.IdempotencyKey, TermsAgreedAt: now, CreatedAt: now, PayBy: now.Add(s.payWindow), UpdatedAt: now,
	}
	o.Amount, o.Lines = orderAmount(q)
	if q.Hourly() && actor.ResellerID == "" {
		rate := q.Total
		o.HourlyRate = &rate
	}
	if in.Trial {
		o.Trial = true
		o.Amount = billing.Zero(q.Total.Currency)
		o.Lines = []OrderLine{{Description: fmt.Sprintf("%d-day free trial", sp.Pricing.TrialDays), Amount: o.Amount}}
	}
	if actor.ResellerID != "" {
		o.PaymentMethod = PayReseller
	}
	o.NextDueAt = &o.PayBy
	if err := tx.PutIdempotency(IdempotencyRecord{Key: key, RequestHash: hash, ResultKind: KindOrder, ResultID: o.ID, CreatedAt: now}); err != nil {
		return Order{}, Product{}, err
	}
	return o, p, emit(tx, now, actor, KindOrder, o.ID, "order.created", "", string(o.Status),
		map[string]string{"number": o.Number, "kind": string(o.Kind), "amount": o.Amount.String()})
}

// idempotentOrder returns the order an idempotency key already made.
func idempotentOrder(tx Tx, key, hash, raw string) (Order, bool, error) {
	rec, err := tx.Idempotency(key)
	if errIsNotFound(err) {
		return Order{}, false, nil
	}
	if err != nil {
		return Order{}, false, err
	}
	if rec.RequestHash != hash {
		return Order{}, true, &IdempotencyError{Key: raw}
	}
	o, err := tx.Order(rec.ResultID)
	return o, true, err
}

// orderAmount turns a quote into the order's amount and lines. A
// pay-per-use quote is an hourly rate charged in arrears: nothing is due at
// checkout, and the rate is kept as a zero line.
func orderAmount(q billing.Quote) (billing.Money, []OrderLine) {
	if q.Hourly() {
		return billing.Zero(q.Total.Currency), []OrderLine{{Description: "pay-per-use: " + q.CostDetails(), Amount: billing.Zero(q.Total.Currency)}}
	}
	ql := q.Lines()
	lines := make([]OrderLine, len(ql))
	for i, l := range ql {
		lines[i] = OrderLine{Description: l.Description(), Formula: l.Formula(), Amount: l.Amount}
	}
	return q.Total, lines
}

// GetOrder returns an order to its buyer, the product's seller or an
// operator.
//
// Errors: *InputError; *NotFoundError (also for someone else's order).
func (s *Service) GetOrder(ctx context.Context, actor Actor, id string) (Order, error) {
	if err := checkActor(actor, "read an order"); err != nil {
		return Order{}, err
	}
	var out Order
	err := s.store.View(ctx, func(tx ReadTx) error {
		o, err := tx.Order(id)
		if err != nil {
			return err
		}
		if !canSee(actor, o.BuyerID, o.SellerID) {
			return notFound(KindOrder, id)
		}
		out = o
		return nil
	})
	return out, err
}

// canSee is the ownership rule: the buyer, the seller, operators and the
// system.
func canSee(a Actor, buyerID, sellerID string) bool {
	switch a.Role {
	case RoleOperator, RoleSystem:
		return true
	case RoleBuyer:
		return a.ID == buyerID
	case RoleSeller:
		return a.ID == sellerID
	}
	return false
}

// ListOrdersInput filters an actor's orders.
type ListOrdersInput struct {
	Status OrderStatus `json:"status,omitempty"`
	Kind   OrderKind   `json:"kind,omitempty"`
	Cursor string      `json:"cursor,omitempty"`
	Limit  int         `json:"limit,omitempty"` // 0 means 20
}

// ListOrders lists the buyer's orders, or the seller's (orders of their
// products), newest first; operators see all.
//
// Errors: *InputError; store errors.
func (s *Service) ListOrders(ctx context.Context, actor Actor, in ListOrdersInput) (Page[Order], error) {
	if err := checkActor(actor, "list orders", RoleBuyer, RoleSeller, RoleOperator); err != nil {
		return Page[Order]{}, err
	}
	q := OrderQuery{Status: in.Status, Kind: in.Kind, Cursor: in.Cursor, Limit: defLimit(in.Limit)}
	switch actor.Role {
	case RoleBuyer:
		q.BuyerID = actor.ID
	case RoleSeller:
		q.SellerID = actor.ID
	}
	return s.store.ListOrders(ctx, q)
}

func defLimit(n int) int {
	if n == 0 {
		return 20
	}
	return n
}

// CancelOrder cancels the buyer's unpaid order.
//
// Errors: *InputError; *NotAllowedError for anyone but a buyer;
// *NotFoundError; *StateError unless the order awaits payment.
func (s *Service) CancelOrder(ctx context.Context, actor Actor, id string) (Order, error) {
	if err := checkActor(actor, "cancel an order", RoleBuyer); err != nil {
		return Order{}, err
	}
	var out Order
	err := s.update(ctx, func(tx Tx) error {
		o, err := tx.Order(id)
		if err != nil {
			return err
		}
		if o.BuyerID != actor.ID {
			return notFound(KindOrder, id)
		}
		if o.Status != OrderPendingPayment {
			return &StateError{Kind: KindOrder, ID: id, State: string(o.Status), Action: "cancel"}
		}
		out, err = s.cancelUnpaid(tx, actor, o, "cancelled by the buyer")
		return err
	})
	if err != nil || out.RefundAmount == nil {
		return out, err
	}
	// A pending external charge (see PendingCharge) is given back now; if
	// the port fails, the runner retries.
	if err := s.settleRefund(ctx, out.ID); err != nil {
		s.log.Warn("marketplace: refund of a cancelled order's charge; the runner retries", "order", out.ID, "err", err)
	}
	return s.reloadOrder(ctx, out.ID, out)
}

// cancelUnpaid cancels an unpaid order and frees the resource it was
// going to change. A pending external charge is to be refunded (by the
// caller's settleRefund after the commit, or else by the runner).
func (s *Service) cancelUnpaid(tx Tx, actor Actor, o Order, reason string) (Order, error) {
	now := s.now()
	o.Status, o.CancelledAt, o.CancelReason, o.NextDueAt, o.UpdatedAt = OrderCancelled, &now, reason, nil, now
	refundPendingCharge(&o, now)
	if err := tx.PutOrder(&o); err != nil {
		return Order{}, err
	}
	if o.ResourceID != "" && o.Kind != OrderNew {
		r, err := tx.Resource(o.ResourceID)
		if err != nil {
			return Order{}, err
		}
		if r.PendingOrderID == o.ID {
			r.PendingOrderID, r.UpdatedAt = "", now
			s.scheduleResource(&r, now) // auto-renewal may be due again
			if err := tx.PutResource(&r); err != nil {
				return Order{}, err
			}
		}
	}
	return o, emit(tx, now, actor, KindOrder, o.ID, "order.cancelled", string(OrderPendingPayment), string(OrderCancelled), map[string]string{"reason": reason})
}
