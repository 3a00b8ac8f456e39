package marketplace

import (
	"context"
	"errors"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/supervision"
)

// ImageLogin is the login credential of the servers an image order
// creates. It is validated and handed to the deployer, never stored. The
// HTTP adapter decodes the password itself (Secret has no JSON decoding,
// on purpose).
type ImageLogin struct {
	Password        provisioning.Secret `json:"-"`
	ConfirmPassword provisioning.Secret `json:"-"`
	KeyPair         string              `json:"key_pair,omitempty"`
}

// PayInput pays an order.
type PayInput struct {
	OrderID string `json:"order_id"`
	// Login is required for a new image order (the servers' password).
	Login *ImageLogin `json:"login,omitempty"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in PayInput) Validate() error { return checkID("order_id", in.OrderID) }

// PayOrder pays the buyer's order and starts what follows: the resource,
// the supervision flow, provisioning. Paying an order that is already paid
// returns it unchanged and charges nothing (the charge is idempotent on
// the order). A reseller's customer pays nothing (the amount is for
// reference); a credit account is charged at the monthly settlement.
//
// A payment port outside the store is charged before the commit that
// marks the order paid, the charge recorded on the order first
// (Order.PendingCharge), so that it is never lost: if the order can no
// longer be paid when the charge returns (its window closed or it was
// cancelled meanwhile, the rules refuse the renewal or upgrade), the order
// is cancelled, the charge refunded under "refund:<order>" (by the runner
// if the port's refund fails) and the refusal returned; if the port's
// answer is lost or the store fails after the charge, the error is
// returned and the charge stays pending: paying again applies it without
// charging twice, and cancelling the order (by the buyer, or by the runner
// when the window closes) refunds it.
//
// Errors: *InputError (also for an image order without a valid login, or
// a deployment the catalog or quota refuses, with provisioning's error
// wrapped); *NotAllowedError for anyone but a buyer; *NotFoundError;
// *StateError for a cancelled order or a closed payment window, and errors
// wrapping ErrConflict with billing's *NotRenewableError for a renewal the
// resource can no longer take (with a port outside the store, any charge
// made is refunded, as above); *PaymentError (ErrPaymentFailed) when the
// payment port declines; errors wrapping ErrUnavailable when the deployer
// or the payment port cannot be reached; store errors.
func (s *Service) PayOrder(ctx context.Context, actor Actor, in PayInput) (Order, error) {
	if err := checkActor(actor, "pay an order", RoleBuyer); err != nil {
		return Order{}, err
	}
	if err := in.Validate(); err != nil {
		return Order{}, err
	}
	return s.pay(ctx, actor, in)
}

// payChange pays a renewal order on the buyer's behalf (auto-renewal).
func (s *Service) payChange(ctx context.Context, orderID string) (Order, error) {
	return s.pay(ctx, SystemActor(), PayInput{OrderID: orderID})
}

func (s *Service) pay(ctx context.Context, actor Actor, in PayInput) (Order, error) {
	if s.txCharger() != nil {
		if o, done, err := s.payInStore(ctx, actor, in); done {
			return o, err
		}
	}
	var o Order
	var acc *Account
	var p Product
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		if o, err = tx.Order(in.OrderID); err != nil {
			return err
		}
		if !actor.IsSystem() && o.BuyerID != actor.ID {
			return notFound(KindOrder, in.OrderID)
		}
		if p, err = tx.Product(o.ProductID); err != nil {
			return err
		}
		if a, err := tx.Account(o.BuyerID); err == nil {
			acc = &a
		} else if !errIsNotFound(err) {
			return err
		}
		return nil
	})
	if err != nil {
		return Order{}, err
	}
	if o.PaidAt != nil {
		return o, nil
	}
	now := s.now()
	if o.Status != OrderPendingPayment {
		return Order{}, &StateError{Kind: KindOrder, ID: o.ID, State: string(o.Status), Action: "pay"}
	}
	if now.After(o.PayBy) {
		return Order{}, &StateError{Kind: KindOrder, ID: o.ID, State: string(o.Status), Action: "pay", Reason: "the payment window has closed"}
	}
	var plan *provisioning.Plan
	if o.Kind == OrderNew && o.Delivery == DeliveryImage {
		pl, err := s.planImage(ctx, o, p, in.Login)
		if err != nil {
			return Order{}, err
		}
		plan = &pl
	}
	method := payMethod(o, acc)
	if o.PendingCharge != nil {
		// A charge begun through the port (its outcome unknown) is
		// finished through it, even if the account has turned to credit
		// since: paying otherwise would leave it unrefunded.
		method = PayBalance
	}
	var receipt Receipt
	external := method == PayBalance && o.Amount.IsPositive() && s.txCharger() == nil
	if external {
		// A port outside the store is called outside any transaction; its
		// idempotency key makes the retry after a crash charge once, and
		// the pending charge recorded first makes sure the money is
		// applied or given back.
		var paid bool
		if receipt, paid, err = s.chargeOutside(ctx, o); err != nil {
			return Order{}, err
		}
		if paid {
			return s.reloadOrder(ctx, o.ID, o)
		}
	}
	err = s.update(ctx, func(tx Tx) error {
		var err error
		if o, err = tx.Order(in.OrderID); err != nil {
			return err
		}
		if o.PaidAt != nil {
			return nil // someone else's identical payment won
		}
		if o.Status != OrderPendingPayment {
			return &StateError{Kind: KindOrder, ID: o.ID, State: string(o.Status), Action: "pay"}
		}
		return s.payTx(tx, actor, &o, method, receipt, plan != nil, nil)
	})
	if err != nil && external {
		return Order{}, s.chargeNotApplied(ctx, in.OrderID, receipt, err)
	}
	if err != nil {
		return Order{}, err
	}
	if !s.afterPay(ctx, o, plan) {
		return o, nil
	}
	return s.reloadOrder(ctx, o.ID, o)
}

// errOutOfStore ends payInStore's transaction when the payment needs work
// before the commit that calls out (an image order's deployment plan, an
// external charge).
var errOutOfStore = errors.New("marketplace: the payment needs work outside the store")

// payInStore pays in a single transaction, without a read before it, when
// the charge is in the store and nothing must be called out before the
// commit. done is false when that is not so (nothing was written): pay
// then takes its longer way.
func (s *Service) payInStore(ctx context.Context, actor Actor, in PayInput) (o Order, done bool, err error) {
	paid := false
	err = s.update(ctx, func(tx Tx) error {
		// The order, and what paying it reads (a buyer pays for their own
		// orders): one round trip on a store whose reads are round trips.
		refs := []Ref{{Kind: KindOrder, ID: in.OrderID}}
		if actor.Role == RoleBuyer {
			refs = append(refs, Ref{Kind: KindAccount, ID: actor.ID})
			refs = append(refs, s.chargeRefs(in.OrderID, actor.ID)...)
		}
		prefetch(tx, refs...)
		tx = &accountOnce{Tx: tx} // read to choose the method, then to charge
		paid = false
		var err error
		if o, err = tx.Order(in.OrderID); err != nil {
			return err
		}
		if !actor.IsSystem() && o.BuyerID != actor.ID {
			return notFound(KindOrder, in.OrderID)
		}
		if o.PaidAt != nil {
			return nil
		}
		if o.Status != OrderPendingPayment {
			return &StateError{Kind: KindOrder, ID: o.ID, State: string(o.Status), Action: "pay"}
		}
		if s.now().After(o.PayBy) {
			return &StateError{Kind: KindOrder, ID: o.ID, State: string(o.Status), Action: "pay", Reason: "the payment window has closed"}
		}
		if o.Kind == OrderNew && o.Delivery == DeliveryImage {
			return errOutOfStore
		}
		var acc *Account
		if a, err := tx.Account(o.BuyerID); err == nil {
			acc = &a
		} else if !errIsNotFound(err) {
			return err
		}
		method := payMethod(o, acc)
		if !s.inStorePayment(o, method) {
			return errOutOfStore
		}
		paid = true
		return s.payTx(tx, actor, &o, method, Receipt{}, false, nil)
	})
	switch {
	case errors.Is(err, errOutOfStore):
		return Order{}, false, nil
	case err != nil:
		return Order{}, true, err
	case paid && s.afterPay(ctx, o, nil):
		o, err = s.reloadOrder(ctx, o.ID, o)
	}
	return o, true, err
}

// payMethod is how an order is paid: a balance order of a credit account
// is charged on credit.
func payMethod(o Order, acc *Account) PaymentMethod {
	if o.PaymentMethod == PayBalance && acc != nil && acc.Credit {
		return PayCredit
	}
	return o.PaymentMethod
}

// txCharger returns the payment port's in-transaction charging, if it has
// it for the service's store.
func (s *Service) txCharger() TxCharger {
	if c, ok := s.payments.(TxCharger); ok && c.ChargesIn(s.store) {
		return c
	}
	return nil
}

// portRecords reports whether the payment port records its own Payment
// aggregates in the store (BalancePayments, a TxCharger).
func (s *Service) portRecords() bool {
	if _, ok := s.payments.(*BalancePayments); ok {
		return true
	}
	return s.txCharger() != nil
}

// inStorePayment reports whether paying o with method needs no call out of
// the store: nothing to charge, credit, a reseller's reference order, or a
// balance the port charges in the transaction.
func (s *Service) inStorePayment(o Order, method PaymentMethod) bool {
	return method != PayBalance || !o.Amount.IsPositive() || s.txCharger() != nil
}

// payTx marks the pending order o paid inside tx and applies it: the
// charge when the port charges in the transaction (receipt otherwise holds
// the charge made before it), the payment record, the event, fulfilment.
// p is the order's product when the caller read it in tx (nil: read here).
func (s *Service) payTx(tx Tx, actor Actor, o *Order, method PaymentMethod, receipt Receipt, deployImage bool, p *Product) error {
	now := s.now()
	if c := s.txCharger(); c != nil && method == PayBalance && o.Amount.IsPositive() {
		var err error
		if receipt, err = c.ChargeTx(tx, ChargeRequest{IdempotencyKey: orderChargeKey(o.ID), AccountID: o.BuyerID, OrderID: o.ID, Amount: o.Amount}); err != nil {
			return err
		}
	}
	payID, err := s.recordCharge(tx, method, o.ID, o.BuyerID, o.Amount, orderChargeKey(o.ID), receipt, now)
	if err != nil {
		return err
	}
	o.PaymentMethod, o.PaymentID, o.PaidAt, o.Status, o.NextDueAt, o.UpdatedAt = method, payID, &now, OrderProcessing, nil, now
	o.PendingCharge = nil // applied
	if err := emit(tx, now, actor, KindOrder, o.ID, "order.paid", string(OrderPendingPayment), string(OrderProcessing),
		map[string]string{"payment_id": payID, "method": string(method), "amount": o.Amount.String()}); err != nil {
		return err
	}
	return s.fulfil(tx, o, now, deployImage, p)
}

// afterPay starts the delivery that calls out, after the payment's commit
// and never inside a transaction; the runner retries whatever does not
// finish here. It reports whether it did anything (the order may have
// changed since).
func (s *Service) afterPay(ctx context.Context, o Order, plan *provisioning.Plan) bool {
	switch {
	case plan != nil && o.Provisioning.Phase == PhaseDeploy && o.Provisioning.InstanceID == "":
		s.deploy(ctx, o.ID, plan.Request)
	case o.Provisioning.Phase == PhaseCreate || o.Provisioning.Phase == PhaseQuery:
		// Create, then the first query right away: most sellers answer
		// with app info at once. Later polls are the runner's.
		s.provisionStep(ctx, o.ID)
		s.provisionStep(ctx, o.ID)
	case o.Kind == OrderRenewal || o.Kind == OrderUpgrade:
		s.runSellerCalls(ctx, o.ResourceID)
	default:
		return false
	}
	return true
}

func (s *Service) reloadOrder(ctx context.Context, id string, fallback Order) (Order, error) {
	var out Order
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Order(id)
		return err
	})
	if err != nil {
		return fallback, nil //nolint:nilerr // the payment committed; a failed re-read is not the buyer's problem
	}
	return out, nil
}

// fulfil applies a paid order inside the payment's transaction. known is
// the order's product if the caller read it in tx (nil: read here).
func (s *Service) fulfil(tx Tx, o *Order, now time.Time, deployImage bool, known *Product) error {
	switch o.Kind {
	case OrderRenewal:
		return s.applyRenewal(tx, o, now)
	case OrderUpgrade:
		return s.applyUpgrade(tx, o, now)
	}
	var p Product
	if known != nil && known.ID == o.ProductID {
		p = *known
	} else {
		var err error
		if p, err = tx.Product(o.ProductID); err != nil {
			return err
		}
	}
	r := Resource{
		ID: s.ids.NewID(KindResource), BuyerID: o.BuyerID, ResellerID: o.ResellerID, SellerID: o.SellerID,
		ProductID: o.ProductID, SpecID: o.SpecID, ProductName: o.ProductName, SpecName: o.SpecName, Delivery: o.Delivery,
		Status: ResourcePending, Mode: o.Mode, Duration: o.Duration, Quantity: o.Quantity, OrderID: o.ID,
		OrderIDs: []string{o.ID}, Paid: o.Amount, PurchasedAt: now, Supervised: p.Supervised,
		AutoRenew: billing.AutoRenewal{Enabled: o.AutoRenew}, Trial: o.Trial, UpdatedAt: now,
		// A supervised SaaS product appears in Purchased Apps only once
		// supervision completes; everything else at once.
		Visible: !(p.Delivery == DeliverySaaS && p.Supervised),
	}
	r.App.GuideURL = p.GuideURL
	r.Usage = nil
	if o.HourlyRate != nil && !o.Trial {
		rate := *o.HourlyRate
		r.Usage = &Usage{Rate: rate} // metering starts when the resource runs
	}
	if o.Trial {
		sp, _ := p.Spec(o.SpecID)
		r.TrialDays = sp.Pricing.TrialDays
	}
	o.ResourceID = r.ID
	if p.Supervised {
		f, err := s.startFlow(tx, o, p, r.ID, now)
		if err != nil {
			return err
		}
		o.FlowID, r.FlowID = f.ID, f.ID
	} else if o.Delivery != DeliverySaaS && o.Delivery != DeliveryImage {
		// Nothing to deliver by machine and nothing to supervise.
		if err := s.activate(&r, now, now); err != nil {
			return err
		}
	}
	switch {
	case o.Delivery == DeliverySaaS:
		o.Provisioning = Provisioning{Phase: PhaseCreate}
		o.NextDueAt = &now
	case o.Delivery == DeliveryImage && deployImage:
		o.Provisioning = Provisioning{Phase: PhaseDeploy}
		// If the process dies before the deploy call, the password is gone:
		// the runner then cancels and refunds after the create budget.
		t := now.Add(s.createBudget())
		o.NextDueAt = &t
	case !p.Supervised:
		s.complete(o, now)
	}
	if err := tx.PutResource(&r); err != nil {
		return err
	}
	if err := emit(tx, now, SystemActor(), KindResource, r.ID, "resource.created", "", string(r.Status), map[string]string{"order_id": o.ID}); err != nil {
		return err
	}
	return tx.PutOrder(o)
}

// createBudget is how long the delivery policy keeps retrying a create.
func (s *Service) createBudget() time.Duration {
	p := s.delivery.Create
	d := time.Duration(p.MaxRetries) * p.Interval
	if p.Window > 0 && (d == 0 || p.Window < d) {
		d = p.Window
	}
	return d + time.Minute
}

// complete marks an order completed.
func (s *Service) complete(o *Order, now time.Time) {
	o.Status, o.CompletedAt, o.NextDueAt, o.UpdatedAt = OrderCompleted, &now, nil, now
}

// completeOrder completes the processing order o in tx, with its
// order.completed event (data, if any, says why).
func (s *Service) completeOrder(tx Tx, o *Order, now time.Time, data map[string]string) error {
	s.complete(o, now)
	if err := tx.PutOrder(o); err != nil {
		return err
	}
	var d any // no data stays untyped nil, as emit expects
	if data != nil {
		d = data
	}
	return emit(tx, now, SystemActor(), KindOrder, o.ID, "order.completed", string(OrderProcessing), string(OrderCompleted), d)
}

// activate starts a resource's use at start: its term for yearly/monthly
// purchases, its lifecycle timers.
func (s *Service) activate(r *Resource, start, now time.Time) error {
	r.Status, r.EffectiveAt, r.UpdatedAt = ResourceActive, &start, now
	if r.Trial && r.TrialDays > 0 {
		exp, err := billing.TrialExpiry(s.cfg, start, r.TrialDays)
		if err != nil {
			return wrapBilling(KindResource, r.ID, "start the trial", err)
		}
		term, err := billing.NewTerm(s.cfg, start, r.Mode, 1)
		if err != nil {
			return wrapBilling(KindResource, r.ID, "start the trial", err)
		}
		// The trial's own end; renewals count on from it like any term.
		term.Expiry = exp
		r.Term, r.ExpiresAt = &term, &term.Expiry
	} else if r.Usage != nil && r.Usage.Start.IsZero() {
		r.Usage = &Usage{Rate: r.Usage.Rate, Start: start, Charged: billing.Zero(r.Usage.Rate.Currency), NextChargeAt: start.Add(time.Hour)}
	} else if r.Mode.Prepaid() {
		term, err := billing.NewTerm(s.cfg, start, r.Mode, r.Duration)
		if err != nil {
			return wrapBilling(KindResource, r.ID, "start the term", err)
		}
		if r.RenewalDay != 0 {
			term.AnchorDay = r.RenewalDay
		}
		r.Term, r.ExpiresAt = &term, &term.Expiry
	}
	s.scheduleResource(r, now)
	return nil
}

// startFlow creates the supervision flow of a paid order.
func (s *Service) startFlow(tx Tx, o *Order, p Product, resourceID string, now time.Time) (Flow, error) {
	kind, err := supervision.ParseKind(p.FlowTemplate)
	if err != nil {
		return Flow{}, wrapSupervision(KindFlow, "", "start", err)
	}
	id := s.ids.NewID(KindFlow)
	var opts []supervision.Option
	if p.ReviewDelivery {
		opts = append(opts, supervision.WithPlatformReview(true))
	}
	sf, err := supervision.New(id, kind, now, opts...)
	if err != nil {
		return Flow{}, wrapSupervision(KindFlow, id, "start", err)
	}
	f := Flow{ID: id, OrderID: o.ID, ResourceID: resourceID, BuyerID: o.BuyerID, SellerID: o.SellerID, ProductID: o.ProductID,
		Template: string(kind), Status: string(sf.Status), Supervision: sf, CreatedAt: now, UpdatedAt: now}
	s.scheduleFlow(&f, now)
	if err := tx.PutFlow(&f); err != nil {
		return Flow{}, err
	}
	return f, emit(tx, now, SystemActor(), KindFlow, f.ID, "flow.started", "", f.Status, map[string]string{"order_id": o.ID, "template": f.Template})
}

// settleRefund pays a pending refund through the payment port, once. The
// refund of a pending external charge of an order never paid (see
// PendingCharge) first learns what the port took; a charge the port
// declines leaves nothing to refund.
func (s *Service) settleRefund(ctx context.Context, orderID string) error {
	var o Order
	if err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		o, err = tx.Order(orderID)
		return err
	}); err != nil {
		return err
	}
	if o.RefundAmount == nil || o.RefundedAt != nil || refundHeld(o) {
		return nil
	}
	var charge Receipt // the port's charge of an order never paid, refunded here
	if o.PendingCharge != nil && o.PaidAt == nil {
		rc, taken, err := s.pendingChargeReceipt(ctx, o)
		if err != nil {
			return err
		}
		if !taken {
			return s.forgetCharge(ctx, o.ID, 0, true)
		}
		charge = rc
	}
	var receipt Receipt
	if o.PaymentMethod == PayBalance && o.RefundAmount.IsPositive() {
		var err error
		receipt, err = s.payments.Refund(ctx, RefundRequest{IdempotencyKey: "refund:" + o.ID, AccountID: o.BuyerID, OrderID: o.ID, Amount: *o.RefundAmount})
		if err != nil {
			return err
		}
	}
	return s.update(ctx, func(tx Tx) error {
		o, err := tx.Order(orderID)
		if err != nil {
			return err
		}
		if o.RefundAmount == nil || o.RefundedAt != nil || refundHeld(o) {
			return nil
		}
		now := s.now()
		if pc := o.PendingCharge; pc != nil && o.PaidAt == nil {
			// The charge refunded is recorded too, so that the order's
			// payments balance.
			if !s.portRecords() || charge.Reference == "" {
				pay := Payment{ID: s.ids.NewID(KindPayment), Kind: PaymentCharge, Method: o.PaymentMethod, OrderID: o.ID, BuyerID: o.BuyerID,
					Amount: pc.Amount, IdempotencyKey: pc.Key, Reference: charge.Reference, CreatedAt: now}
				if err := tx.PutPayment(&pay); err != nil {
					return err
				}
			}
			o.PendingCharge = nil
		}
		refID := receipt.Reference
		if !s.portRecords() || refID == "" {
			pay := Payment{ID: s.ids.NewID(KindPayment), Kind: PaymentRefund, Method: o.PaymentMethod, OrderID: o.ID, BuyerID: o.BuyerID,
				Amount: *o.RefundAmount, IdempotencyKey: "refund:" + o.ID, Reference: receipt.Reference, CreatedAt: now}
			if err := tx.PutPayment(&pay); err != nil {
				return err
			}
			refID = pay.ID
			if o.PaymentMethod == PayCredit {
				if a, err := tx.Account(o.BuyerID); err == nil {
					if used, err := a.CreditUsed.Sub(*o.RefundAmount); err == nil {
						a.CreditUsed, a.UpdatedAt = used, now
						if err := tx.PutAccount(&a); err != nil {
							return err
						}
					}
				}
			}
		}
		o.RefundID, o.RefundedAt, o.UpdatedAt = refID, &now, now
		from := string(o.Status)
		if o.Kind == OrderUnsubscription {
			s.complete(&o, now)
			if err := markRequestRefunded(tx, o, now); err != nil {
				return err
			}
		} else {
			o.NextDueAt = nil
		}
		if err := tx.PutOrder(&o); err != nil {
			return err
		}
		return emit(tx, now, SystemActor(), KindOrder, o.ID, "order.refunded", from, string(o.Status),
			map[string]string{"refund_id": refID, "amount": o.RefundAmount.String()})
	})
}

// cancelPaid cancels a paid order whose delivery failed (or whose
// supervision an operator terminated with a refund), refunding it,
// cancelling an unsubscription of it held for refund review and
// releasing at the seller any instance created for it.
func (s *Service) cancelPaid(tx Tx, o *Order, now time.Time, reason string) error {
	from := o.Status
	o.Status, o.CancelledAt, o.CancelReason, o.UpdatedAt = OrderCancelled, &now, reason, now
	if err := s.refundLater(tx, o, o.Amount, now); err != nil {
		return err
	}
	if o.ResourceID != "" {
		r, err := tx.Resource(o.ResourceID)
		if err != nil {
			return err
		}
		r.Status, r.Visible, r.NextDueAt, r.UpdatedAt = ResourceFailed, false, nil, now
		// The whole order is refunded: an unsubscription refund held for
		// review is never paid on top.
		if err := s.dropHeldUnsubscription(tx, &r, reason, now); err != nil {
			return err
		}
		// An instance the seller created for it is released there.
		if err := s.oweRelease(tx, &r, o.ID, now); err != nil {
			return err
		}
		s.scheduleResource(&r, now)
		if err := tx.PutResource(&r); err != nil {
			return err
		}
		if err := emit(tx, now, SystemActor(), KindResource, r.ID, "resource.failed", string(ResourcePending), string(ResourceFailed), nil); err != nil {
			return err
		}
	}
	if o.FlowID != "" {
		if err := s.terminateFlow(tx, o.FlowID, reason, now); err != nil {
			return err
		}
	}
	if err := tx.PutOrder(o); err != nil {
		return err
	}
	return emit(tx, now, SystemActor(), KindOrder, o.ID, "order.cancelled", string(from), string(OrderCancelled), map[string]string{"reason": reason})
}

var errNoDeployer = errors.New("marketplace: no VM deployer configured")

// recordCharge records a charge in the store: the Payment aggregate (the
// default BalancePayments port, or a TxCharger, has written it already)
// and, for a credit account, the credit used. It returns the payment's id.
func (s *Service) recordCharge(tx Tx, method PaymentMethod, orderID, buyerID string, amount billing.Money, key string, receipt Receipt, now time.Time) (string, error) {
	if s.portRecords() && receipt.Reference != "" {
		return receipt.Reference, nil
	}
	pay := Payment{ID: s.ids.NewID(KindPayment), Kind: PaymentCharge, Method: method, OrderID: orderID, BuyerID: buyerID,
		Amount: amount, IdempotencyKey: key, Reference: receipt.Reference, CreatedAt: now}
	if err := tx.PutPayment(&pay); err != nil {
		return "", err
	}
	if method != PayCredit {
		return pay.ID, nil
	}
	a, err := tx.Account(buyerID)
	if err != nil {
		return "", err
	}
	if a.CreditUsed.Currency == "" {
		a.CreditUsed = billing.Zero(amount.Currency)
	}
	if a.CreditUsed, err = a.CreditUsed.Add(amount); err != nil {
		return "", &PaymentError{Account: a.ID, Amount: amount.String(), Reason: err.Error()}
	}
	a.UpdatedAt = now
	return pay.ID, tx.PutAccount(&a)
}
