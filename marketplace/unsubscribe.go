package marketplace

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/opengallery/opengallery/billing"
)

// UnsubscribeStatus is a negotiated unsubscription request's status:
// proposed → agreed → refunded, or proposed → rejected (the buyer may
// propose again).
type UnsubscribeStatus string

// The unsubscription request statuses.
const (
	UnsubscribeProposed UnsubscribeStatus = "proposed"
	UnsubscribeAgreed   UnsubscribeStatus = "agreed"
	UnsubscribeRejected UnsubscribeStatus = "rejected"
	UnsubscribeRefunded UnsubscribeStatus = "refunded"
)

// UnsubscribeRequest is a buyer's negotiated unsubscription of a
// supervised product.
type UnsubscribeRequest struct {
	ID            string            `json:"id"`
	ResourceID    string            `json:"resource_id"`
	OrderID       string            `json:"order_id"` // the order being refunded
	BuyerID       string            `json:"buyer_id"`
	SellerID      string            `json:"seller_id"`
	Amount        billing.Money     `json:"amount"` // 0 < amount ≤ paid
	Reason        string            `json:"reason"`
	ShareContact  bool              `json:"share_contact,omitempty"`
	Status        UnsubscribeStatus `json:"status"`
	SellerComment string            `json:"seller_comment,omitempty"`
	CreatedAt     time.Time         `json:"created_at"`
	DecidedAt     *time.Time        `json:"decided_at,omitempty"`
	RefundedAt    *time.Time        `json:"refunded_at,omitempty"`
	// RefundOrderID is the unsubscription order carrying the refund.
	RefundOrderID string `json:"refund_order_id,omitempty"`
	// NextDueAt is part of the store contract for due work; the Service
	// keeps an agreed refund's timer on its unsubscription order instead,
	// and leaves this nil.
	NextDueAt *time.Time `json:"next_due_at,omitempty"`
	Version   int64      `json:"version"`
}

// UnsubscribeCheck says whether and how a resource may be unsubscribed.
type UnsubscribeCheck struct {
	Allowed bool `json:"allowed"`
	// Kind is how it is refunded when allowed: billing.InUse or
	// billing.FullRefund by formula (images), billing.Negotiated through a
	// request the seller answers.
	Kind billing.RefundKind `json:"kind,omitempty"`
	// Reason is billing's machine-readable reason when not allowed.
	Reason billing.Reason `json:"reason,omitempty"`
}

// unsubscribeInput gathers what billing's eligibility rule needs.
// unsubscribeFacts are what eligibility needs from queries, which cannot
// run inside a transaction: an issued invoice on any of the resource's
// orders, an open negotiated request. They are read just before the
// transaction that uses them. factsFor reads them; without openRequests
// it leaves the requests alone (an agreement decides the open one).
type unsubscribeFacts struct {
	invoice     billing.InvoiceState
	openRequest bool
}

func (s *Service) factsFor(ctx context.Context, resourceID string, openRequests bool) (unsubscribeFacts, error) {
	var f unsubscribeFacts
	var r Resource
	if err := s.store.View(ctx, func(tx ReadTx) error { var err error; r, err = tx.Resource(resourceID); return err }); err != nil {
		return f, err
	}
	for _, oid := range r.OrderIDs {
		pg, err := s.store.ListInvoices(ctx, InvoiceQuery{OrderID: oid, Limit: 10})
		if err != nil {
			return f, err
		}
		for _, inv := range pg.Items {
			if inv.Status == InvoiceIssued {
				f.invoice = billing.InvoiceIssued
			}
		}
	}
	if !openRequests {
		return f, nil
	}
	pg, err := s.store.ListUnsubscribeRequests(ctx, UnsubscribeQuery{ResourceID: r.ID, Status: UnsubscribeProposed, Limit: 1})
	if err != nil {
		return f, err
	}
	f.openRequest = pg.Total > 0
	return f, nil
}

func (s *Service) unsubscribeInput(facts unsubscribeFacts, tx ReadTx, r Resource, now time.Time) (billing.UnsubscribeInput, error) {
	// A failed resource has ended: its order was cancelled and refunded.
	// An unsupervised resource still pending waits for its provisioner (an
	// image's deployment): its purchase is a transaction in progress.
	in := billing.UnsubscribeInput{Delivery: r.Delivery, Supervised: r.Supervised, Mode: r.Mode, Trial: r.Trial, Paid: r.Paid,
		Unsubscribed: r.Status == ResourceUnsubscribed || r.Status == ResourceReleased || r.Status == ResourceFailed,
		Frozen:       r.Status == ResourceRetention,
		InProgress:   r.PendingOrderID != "" || (r.Status == ResourcePending && !r.Supervised) || openRequest(tx, r) != "", Now: now}
	if r.Term != nil {
		in.Expiry = r.Term.Expiry
		if start := servingStart(r, now); start.After(now) {
			in.EffectiveAt = start
		}
	} else if r.Mode.Prepaid() {
		// A supervised purchase before acceptance: its term has not
		// started; it would run from now.
		exp, err := billing.ExpiryAfter(s.cfg, now, r.Mode, max(r.Duration, 1), 0)
		if err != nil {
			return in, wrapBilling(KindResource, r.ID, "unsubscribe", err)
		}
		in.Expiry = exp
	} else {
		in.Expiry = now.Add(time.Hour) // one-time and pay-per-use: billing refuses them by mode
	}
	if r.FlowID != "" {
		if f, err := tx.Flow(r.FlowID); err == nil {
			in.Accepted = f.Supervision.Accepted()
		}
	}
	in.Invoice = facts.invoice
	in.InProgress = in.InProgress || facts.openRequest
	return in, nil
}

// UnsubscribeEligibility tells the buyer whether a resource may be
// unsubscribed, how, or why not (billing's rules: images by the refund
// formula; supervised SaaS, licenses and professional services by
// negotiation until accepted; never for SaaS without supervision, trials,
// one-time or pay-per-use purchases, an issued invoice not returned, another
// open transaction (an image still deploying, an open request), a frozen or
// expired resource, one that ended or failed).
//
// Errors: *InputError; *NotAllowedError for anyone but a buyer;
// *NotFoundError; store errors.
func (s *Service) UnsubscribeEligibility(ctx context.Context, actor Actor, resourceID string) (UnsubscribeCheck, error) {
	if err := checkActor(actor, "check unsubscription", RoleBuyer); err != nil {
		return UnsubscribeCheck{}, err
	}
	facts, err := s.factsFor(ctx, resourceID, true)
	if err != nil {
		return UnsubscribeCheck{}, err
	}
	var out UnsubscribeCheck
	err = s.store.View(ctx, func(tx ReadTx) error {
		r, err := tx.Resource(resourceID)
		if err != nil {
			return err
		}
		if !actor.IsBuyer(r.BuyerID) {
			return notFound(KindResource, resourceID)
		}
		out, err = s.eligibility(facts, tx, r)
		return err
	})
	return out, err
}

func (s *Service) eligibility(facts unsubscribeFacts, tx ReadTx, r Resource) (UnsubscribeCheck, error) {
	in, err := s.unsubscribeInput(facts, tx, r, s.now())
	if err != nil {
		return UnsubscribeCheck{}, err
	}
	kind, err := billing.UnsubscribeEligibility(s.cfg, in)
	var nr *billing.NotRefundableError
	switch {
	case errors.As(err, &nr):
		return UnsubscribeCheck{Reason: nr.Reason}, nil
	case err != nil:
		return UnsubscribeCheck{}, wrapBilling(KindResource, r.ID, "unsubscribe", err)
	}
	return UnsubscribeCheck{Allowed: true, Kind: kind}, nil
}

// openRequest is the id of the negotiated request open on r, or "".
func openRequest(tx ReadTx, r Resource) string {
	if r.UnsubscribeRequestID == "" {
		return ""
	}
	if u, err := tx.UnsubscribeRequest(r.UnsubscribeRequestID); err != nil || u.Status != UnsubscribeProposed {
		return ""
	}
	return r.UnsubscribeRequestID
}

// notRefundable is billing's refusal to unsubscribe r, as a state
// conflict that keeps billing's *NotRefundableError in the chain.
func notRefundable(r Resource, reason billing.Reason) error {
	return &ruleError{StateError: StateError{Kind: KindResource, ID: r.ID, State: string(r.Status), Action: "unsubscribe", Reason: string(reason)},
		err: &billing.NotRefundableError{Reason: reason}}
}

// negotiable checks that r may be unsubscribed by a negotiated request
// now.
func negotiable(r Resource, chk UnsubscribeCheck) error {
	if !chk.Allowed {
		return notRefundable(r, chk.Reason)
	}
	if chk.Kind != billing.Negotiated {
		return &StateError{Kind: KindResource, ID: r.ID, State: string(r.Status), Action: "negotiate an unsubscription", Reason: "this product is refunded by formula"}
	}
	return nil
}

// refundByFormula computes an image's refund.
func (s *Service) refundByFormula(facts unsubscribeFacts, tx ReadTx, r Resource, now time.Time) (billing.Refund, error) {
	chk, err := s.eligibility(facts, tx, r)
	if err != nil {
		return billing.Refund{}, err
	}
	if !chk.Allowed {
		return billing.Refund{}, notRefundable(r, chk.Reason)
	}
	if chk.Kind == billing.Negotiated {
		return billing.Refund{}, &StateError{Kind: KindResource, ID: r.ID, State: string(r.Status), Action: "unsubscribe by formula", Reason: "this product is unsubscribed by a negotiated request"}
	}
	if r.Term == nil {
		return billing.Refund{}, &StateError{Kind: KindResource, ID: r.ID, State: string(r.Status), Action: "unsubscribe by formula", Reason: "the resource has no term"}
	}
	in := billing.RefundInput{Mode: r.Mode, Count: r.Duration, Paid: r.Paid, EffectiveAt: r.Term.Start, Expiry: r.Term.Expiry, At: now}
	ref, err := s.periodsRefund(r, in)
	if err != nil {
		return billing.Refund{}, wrapBilling(KindResource, r.ID, "unsubscribe", err)
	}
	return ref, nil
}

// QuoteUnsubscribe computes the refund an image resource would get now:
// paid − consumed (by whole hours) − handling fee, explained as lines, for
// the period in use, plus renewal periods not yet started in full.
//
// Errors: *InputError; *NotAllowedError for anyone but a buyer;
// *NotFoundError; errors wrapping ErrConflict and billing's
// *NotRefundableError when it may not be unsubscribed; *StateError for a
// product unsubscribed by negotiation; store errors.
func (s *Service) QuoteUnsubscribe(ctx context.Context, actor Actor, resourceID string) (billing.Refund, error) {
	if err := checkActor(actor, "quote an unsubscription", RoleBuyer); err != nil {
		return billing.Refund{}, err
	}
	facts, err := s.factsFor(ctx, resourceID, true)
	if err != nil {
		return billing.Refund{}, err
	}
	var out billing.Refund
	err = s.store.View(ctx, func(tx ReadTx) error {
		r, err := tx.Resource(resourceID)
		if err != nil {
			return err
		}
		if !actor.IsBuyer(r.BuyerID) {
			return notFound(KindResource, resourceID)
		}
		out, err = s.refundByFormula(facts, tx, r, s.now())
		return err
	})
	return out, err
}

// UnsubscribeInput is an image unsubscription with its formula refund.
type UnsubscribeInput struct {
	ResourceID string `json:"resource_id"`
	// IdempotencyKey makes a repeated request return the same
	// unsubscription order (the same key with another resource is
	// *IdempotencyError).
	IdempotencyKey string `json:"idempotency_key"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in UnsubscribeInput) Validate() error {
	if err := checkID("resource_id", in.ResourceID); err != nil {
		return err
	}
	return checkKey(in.IdempotencyKey)
}

// Unsubscribe unsubscribes an image resource with its formula refund, like
// UnsubscribeResource but without an idempotency key: a repeat finds the
// resource unsubscribed and fails.
//
// Errors: as QuoteUnsubscribe.
func (s *Service) Unsubscribe(ctx context.Context, actor Actor, resourceID string) (Order, error) {
	return s.unsubscribe(ctx, actor, UnsubscribeInput{ResourceID: resourceID})
}

// UnsubscribeResource unsubscribes an image resource with its formula
// refund: an unsubscription order carries the refund, paid back through
// the payment port, and the servers are released. Repeating the request
// with the same idempotency key returns the same order.
//
// Errors: *InputError; *NotAllowedError for anyone but a buyer;
// *NotFoundError; errors wrapping ErrConflict and billing's
// *NotRefundableError when it may not be unsubscribed; *StateError for a
// product unsubscribed by negotiation; *IdempotencyError
// (ErrIdempotencyMismatch) for a key used for another request; store
// errors.
func (s *Service) UnsubscribeResource(ctx context.Context, actor Actor, in UnsubscribeInput) (Order, error) {
	if err := checkActor(actor, "unsubscribe", RoleBuyer); err != nil {
		return Order{}, err
	}
	if err := in.Validate(); err != nil {
		return Order{}, err
	}
	return s.unsubscribe(ctx, actor, in)
}

func (s *Service) unsubscribe(ctx context.Context, actor Actor, in UnsubscribeInput) (Order, error) {
	if err := checkActor(actor, "unsubscribe", RoleBuyer); err != nil {
		return Order{}, err
	}
	resourceID := in.ResourceID
	if err := checkID("resource_id", resourceID); err != nil {
		return Order{}, err
	}
	key := "unsubscribe:" + actor.ID + ":" + in.IdempotencyKey
	hash := fingerprint(resourceID)
	facts, err := s.factsFor(ctx, resourceID, true)
	if err != nil {
		return Order{}, err
	}
	var out Order
	var r Resource
	repeat := false
	err = s.update(ctx, func(tx Tx) error {
		if in.IdempotencyKey != "" {
			if o, found, err := idempotentOrder(tx, key, hash, in.IdempotencyKey); found || err != nil {
				out, repeat = o, found && err == nil
				return err
			}
		}
		var err error
		if r, err = tx.Resource(resourceID); err != nil {
			return err
		}
		if !actor.IsBuyer(r.BuyerID) {
			return notFound(KindResource, resourceID)
		}
		now := s.now()
		ref, err := s.refundByFormula(facts, tx, r, now)
		if err != nil {
			return err
		}
		o := s.changeOrder(r, OrderUnsubscription, actor, now)
		o.Amount, o.IdempotencyKey = ref.Total, in.IdempotencyKey
		for _, l := range ref.Lines() {
			o.Lines = append(o.Lines, OrderLine{Description: l.Description(), Formula: l.Formula(), Amount: l.Amount})
		}
		o.PaymentMethod = s.refundMethod(tx, r)
		if o, err = s.unsubscribeResource(tx, actor, &r, o, now); err != nil {
			return err
		}
		out = o
		if in.IdempotencyKey == "" {
			return nil
		}
		return tx.PutIdempotency(IdempotencyRecord{Key: key, RequestHash: hash, ResultKind: KindOrder, ResultID: o.ID, CreatedAt: now})
	})
	if err != nil {
		return Order{}, err
	}
	if repeat {
		return out, nil
	}
	if err := s.settleRefund(ctx, out.ID); err != nil {
		s.log.Warn("marketplace: unsubscription refund; the runner retries", "order", out.ID, "err", err)
	}
	s.runSellerCalls(ctx, r.ID)
	return s.reloadOrder(ctx, out.ID, out)
}

// refundMethod is how the resource's first order was paid: refunds go
// back the same way.
func (s *Service) refundMethod(tx ReadTx, r Resource) PaymentMethod {
	if o, err := tx.Order(r.OrderID); err == nil && o.PaymentMethod != "" {
		return o.PaymentMethod
	}
	return PayBalance
}

// unsubscribeResource stores the unsubscription order (refund pending) and
// ends the resource. A refund held for review ends nothing yet: the
// resource keeps the order as its pending change until the review.
func (s *Service) unsubscribeResource(tx Tx, actor Actor, r *Resource, o Order, now time.Time) (Order, error) {
	o.Status, o.PaidAt, o.PayBy = OrderProcessing, &now, now
	if err := s.refundLater(tx, &o, o.Amount, now); err != nil {
		return Order{}, err
	}
	if err := tx.PutOrder(&o); err != nil {
		return Order{}, err
	}
	if err := emit(tx, now, actor, KindOrder, o.ID, "order.created", "", string(o.Status),
		map[string]string{"number": o.Number, "kind": string(o.Kind), "amount": o.Amount.String(), "resource_id": r.ID}); err != nil {
		return Order{}, err
	}
	if refundHeld(o) {
		r.PendingOrderID, r.UpdatedAt = o.ID, now
		s.scheduleResource(r, now)
		return o, tx.PutResource(r)
	}
	return o, s.endResource(tx, actor, r, o.ID, now)
}

// endResource unsubscribes a resource for its unsubscription order and
// owes the seller the release. A supervised purchase unsubscribed before
// acceptance is over too: its flow ends and its order is closed, so that
// no later acceptance starts the refunded resource again and no
// termination with refund pays it back twice.
func (s *Service) endResource(tx Tx, actor Actor, r *Resource, orderID string, now time.Time) error {
	from := r.Status
	r.Status, r.UpdatedAt = ResourceUnsubscribed, now
	if r.PendingOrderID == orderID {
		r.PendingOrderID = ""
	}
	r.OrderIDs = append(r.OrderIDs, orderID)
	if err := s.oweRelease(tx, r, orderID, now); err != nil {
		return err
	}
	s.scheduleResource(r, now)
	if err := tx.PutResource(r); err != nil {
		return err
	}
	if err := emit(tx, now, actor, KindResource, r.ID, "resource.unsubscribed", string(from), string(r.Status), map[string]string{"order_id": orderID}); err != nil {
		return err
	}
	return s.closePurchase(tx, *r, orderID, now)
}

// oweRelease queues the release of an ended resource's instance at the
// seller. A supervised purchase may end while its provisioning is in
// flight: the seller created the instance, its id is on the original order,
// and the resource, which gets it with the app info, has none yet. The
// instance is released all the same; the ended order is provisioned no
// further (see recordProvisioning for a create call still at the seller).
func (s *Service) oweRelease(tx Tx, r *Resource, orderID string, now time.Time) error {
	id, err := instanceOf(tx, r)
	if err != nil {
		return err
	}
	s.oweFor(r, CallRelease, orderID, id, now)
	return nil
}

// hasInstance tells whether a delivery method runs an instance at the
// seller (SaaS) or in the cloud (images) that its resource may owe calls.
func hasInstance(d DeliveryMethod) bool { return d == DeliverySaaS || d == DeliveryImage }

// instanceOf is the seller's instance of r: the resource's, or, before the
// app info brought it there, the one the original order's provisioning
// created ("" when there is none).
func instanceOf(tx ReadTx, r *Resource) (string, error) {
	if r.App.InstanceID != "" || r.OrderID == "" || !hasInstance(r.Delivery) {
		return r.App.InstanceID, nil
	}
	o, err := tx.Order(r.OrderID)
	if errors.Is(err, ErrNotFound) {
		return "", nil // nothing to learn there; not a reason to stop the change
	}
	if err != nil {
		return "", err
	}
	return o.Provisioning.InstanceID, nil
}

// closePurchase ends the supervision flow of an unsubscribed resource and
// completes its original order if still processing (as a termination
// without refund does): the unsubscription order carries the refund.
func (s *Service) closePurchase(tx Tx, r Resource, orderID string, now time.Time) error {
	reason := "unsubscribed by order " + orderID
	if r.FlowID != "" {
		if err := s.terminateFlow(tx, r.FlowID, reason, now); err != nil {
			return err
		}
	}
	o, err := tx.Order(r.OrderID)
	if err != nil {
		return err
	}
	if o.Status != OrderProcessing {
		return nil
	}
	return s.completeOrder(tx, &o, now, map[string]string{"reason": reason})
}

// ProposeInput is a buyer's negotiated unsubscription.
type ProposeInput struct {
	ResourceID   string        `json:"resource_id"`
	Amount       billing.Money `json:"amount"` // 0 < amount ≤ paid
	Reason       string        `json:"reason"`
	ShareContact bool          `json:"share_contact,omitempty"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in ProposeInput) Validate() error {
	if err := checkID("resource_id", in.ResourceID); err != nil {
		return err
	}
	if !in.Amount.Valid() || !in.Amount.IsPositive() {
		return inputErr("amount", in.Amount, "must be a positive amount")
	}
	return checkText("reason", in.Reason, 1, 1000)
}

// ProposeUnsubscribe asks the seller to take back a supervised purchase
// for a refund the buyer proposes (0 < amount ≤ paid), with a reason.
//
// Errors: *InputError (also billing's for an amount above what was paid
// or in another currency); *NotAllowedError for anyone but a buyer;
// *NotFoundError; errors wrapping ErrConflict and billing's
// *NotRefundableError; *StateError when the product is refunded by
// formula or a request is already open; store errors.
func (s *Service) ProposeUnsubscribe(ctx context.Context, actor Actor, in ProposeInput) (UnsubscribeRequest, error) {
	if err := checkActor(actor, "propose an unsubscription", RoleBuyer); err != nil {
		return UnsubscribeRequest{}, err
	}
	if err := in.Validate(); err != nil {
		return UnsubscribeRequest{}, err
	}
	facts, err := s.factsFor(ctx, in.ResourceID, true)
	if err != nil {
		return UnsubscribeRequest{}, err
	}
	var out UnsubscribeRequest
	err = s.update(ctx, func(tx Tx) error {
		r, err := tx.Resource(in.ResourceID)
		if err != nil {
			return err
		}
		if !actor.IsBuyer(r.BuyerID) {
			return notFound(KindResource, in.ResourceID)
		}
		chk, err := s.eligibility(facts, tx, r)
		if err != nil {
			return err
		}
		if open := openRequest(tx, r); !chk.Allowed && chk.Reason == billing.ReasonInProgress && (open != "" || facts.openRequest) {
			reason := "an unsubscription request is already open"
			if open != "" {
				reason = "request " + open + " is already open"
			}
			return &StateError{Kind: KindResource, ID: r.ID, State: string(r.Status), Action: "propose an unsubscription of", Reason: reason}
		}
		if err := negotiable(r, chk); err != nil {
			return err
		}
		if _, err := billing.NegotiatedRefund(s.cfg, r.Paid, in.Amount); err != nil {
			return wrapBilling(KindResource, r.ID, "unsubscribe", err)
		}
		now := s.now()
		u := UnsubscribeRequest{ID: s.ids.NewID(KindUnsubscribe), ResourceID: r.ID, OrderID: r.OrderID, BuyerID: r.BuyerID,
			SellerID: r.SellerID, Amount: in.Amount, Reason: in.Reason, ShareContact: in.ShareContact, Status: UnsubscribeProposed, CreatedAt: now}
		if err := tx.PutUnsubscribeRequest(&u); err != nil {
			return err
		}
		// Recorded on the resource in the same transaction: a concurrent
		// proposal conflicts on the resource's version, and its retry sees
		// this one.
		r.UnsubscribeRequestID, r.UpdatedAt = u.ID, now
		if err := tx.PutResource(&r); err != nil {
			return err
		}
		out = u
		return emit(tx, now, actor, KindUnsubscribe, u.ID, "unsubscribe.proposed", "", string(u.Status), map[string]string{"amount": u.Amount.String()})
	})
	return out, err
}

// DecideInput is the seller's answer to a negotiated unsubscription.
type DecideInput struct {
	RequestID string `json:"request_id"`
	Agree     bool   `json:"agree"`
	Comment   string `json:"comment,omitempty"` // required to reject
	// Version is the request's version as read (GetUnsubscribeRequest);
	// 0 skips the check. A request that moved on since is not decided.
	Version int64 `json:"version,omitempty"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in DecideInput) Validate() error {
	if err := checkID("request_id", in.RequestID); err != nil {
		return err
	}
	if !in.Agree && strings.TrimSpace(in.Comment) == "" {
		return inputErr("comment", in.Comment, "a rejection needs a comment")
	}
	if err := checkVersionInput(in.Version); err != nil {
		return err
	}
	return checkText("comment", in.Comment, 0, 1000)
}

// DecideUnsubscribe records the seller's answer. Agreeing refunds the
// agreed amount at once (KooGallery: within 3 hours; the runner retries a
// failed refund) through an unsubscription order, ends the resource and
// releases the SaaS instance; rejecting ends the request and the buyer may
// propose again.
//
// Errors: *InputError; *NotAllowedError for anyone but a seller;
// *NotFoundError (not the seller's request); *PreconditionError
// (ErrConflict, Want and Have set) when in.Version is set and the request
// is no longer at it; *StateError unless proposed; errors wrapping ErrConflict and
// billing's *NotRefundableError when agreeing although the resource may no
// longer be unsubscribed (it ended, failed and was refunded, was accepted
// or invoiced since the request: the request stays proposed, and the seller
// may reject it); store errors.
func (s *Service) DecideUnsubscribe(ctx context.Context, actor Actor, in DecideInput) (UnsubscribeRequest, error) {
	if err := checkActor(actor, "answer an unsubscription", RoleSeller); err != nil {
		return UnsubscribeRequest{}, err
	}
	if err := in.Validate(); err != nil {
		return UnsubscribeRequest{}, err
	}
	// An agreement re-checks the resource's eligibility: it may have ended
	// (failed and refunded, unsubscribed, released) or been accepted or
	// invoiced since the request was proposed.
	var facts unsubscribeFacts
	if in.Agree {
		var u UnsubscribeRequest
		if err := s.store.View(ctx, func(tx ReadTx) error { var err error; u, err = tx.UnsubscribeRequest(in.RequestID); return err }); err != nil {
			return UnsubscribeRequest{}, err
		}
		var err error
		// Open requests are not looked up: the one being decided is.
		if facts, err = s.factsFor(ctx, u.ResourceID, false); err != nil {
			return UnsubscribeRequest{}, err
		}
	}
	var out UnsubscribeRequest
	var r Resource
	orderID := ""
	err := s.update(ctx, func(tx Tx) error {
		u, err := tx.UnsubscribeRequest(in.RequestID)
		if err != nil {
			return err
		}
		if !actor.IsSeller(u.SellerID) {
			return notFound(KindUnsubscribe, in.RequestID)
		}
		if err := checkVersion(KindUnsubscribe, u.ID, in.Version, u.Version); err != nil {
			return err
		}
		if u.Status != UnsubscribeProposed {
			return &StateError{Kind: KindUnsubscribe, ID: u.ID, State: string(u.Status), Action: "decide"}
		}
		now := s.now()
		u.SellerComment, u.DecidedAt = in.Comment, &now
		if r, err = tx.Resource(u.ResourceID); err != nil {
			return err
		}
		opened := r.UnsubscribeRequestID == u.ID
		if opened {
			r.UnsubscribeRequestID, r.UpdatedAt = "", now // decided: no longer open
		}
		if !in.Agree {
			u.Status = UnsubscribeRejected
			if opened {
				if err := tx.PutResource(&r); err != nil {
					return err
				}
			}
		} else {
			chk, err := s.eligibility(facts, tx, r)
			if err != nil {
				return err
			}
			if err := negotiable(r, chk); err != nil {
				return err
			}
			u.Status = UnsubscribeAgreed
			o := s.changeOrder(r, OrderUnsubscription, actor, now)
			o.Amount, o.UnsubscribeRequestID = u.Amount, u.ID
			o.Lines = []OrderLine{{Description: "negotiated refund", Amount: u.Amount}}
			o.PaymentMethod = s.refundMethod(tx, r)
			if o, err = s.unsubscribeResource(tx, actor, &r, o, now); err != nil {
				return err
			}
			u.RefundOrderID, orderID = o.ID, o.ID
		}
		if err := tx.PutUnsubscribeRequest(&u); err != nil {
			return err
		}
		out = u
		return emit(tx, now, actor, KindUnsubscribe, u.ID, "unsubscribe."+string(u.Status), string(UnsubscribeProposed), string(u.Status), nil)
	})
	if err != nil || orderID == "" {
		return out, err
	}
	if err := s.settleRefund(ctx, orderID); err != nil {
		s.log.Warn("marketplace: negotiated refund; the runner retries", "order", orderID, "err", err)
	}
	s.runSellerCalls(ctx, r.ID)
	var cur UnsubscribeRequest
	if s.store.View(ctx, func(tx ReadTx) error { var e error; cur, e = tx.UnsubscribeRequest(out.ID); return e }) == nil {
		out = cur
	}
	return out, nil
}

// markRequestRefunded closes a negotiated request once its refund is paid.
func markRequestRefunded(tx Tx, o Order, now time.Time) error {
	if o.UnsubscribeRequestID == "" {
		return nil
	}
	u, err := tx.UnsubscribeRequest(o.UnsubscribeRequestID)
	if err != nil {
		return err
	}
	u.Status, u.RefundedAt = UnsubscribeRefunded, &now
	if err := tx.PutUnsubscribeRequest(&u); err != nil {
		return err
	}
	return emit(tx, now, SystemActor(), KindUnsubscribe, u.ID, "unsubscribe.refunded", string(UnsubscribeAgreed), string(UnsubscribeRefunded), nil)
}

// GetUnsubscribeRequest returns one negotiated unsubscription request to
// its buyer, the seller of the product, or an operator; its Version is what
// DecideInput.Version names for a conditional decision.
//
// Errors: *InputError; *NotAllowedError for the system; *NotFoundError
// (also for another party's request); store errors.
func (s *Service) GetUnsubscribeRequest(ctx context.Context, actor Actor, id string) (UnsubscribeRequest, error) {
	if err := checkActor(actor, "read an unsubscription", RoleBuyer, RoleSeller, RoleOperator); err != nil {
		return UnsubscribeRequest{}, err
	}
	if err := checkID("request_id", id); err != nil {
		return UnsubscribeRequest{}, err
	}
	var u UnsubscribeRequest
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		if u, err = tx.UnsubscribeRequest(id); err != nil {
			return err
		}
		if !actor.IsOperator() && !actor.IsBuyer(u.BuyerID) && !actor.IsSeller(u.SellerID) {
			return notFound(KindUnsubscribe, id)
		}
		return nil
	})
	if err != nil {
		return UnsubscribeRequest{}, err
	}
	return u, nil
}

// ListUnsubscribeRequests lists the buyer's or the seller's requests
// (operators: all), newest first.
//
// Errors: *InputError; *NotAllowedError for the system; store errors.
func (s *Service) ListUnsubscribeRequests(ctx context.Context, actor Actor, status UnsubscribeStatus, cursor string, limit int) (Page[UnsubscribeRequest], error) {
	if err := checkActor(actor, "list unsubscriptions", RoleBuyer, RoleSeller, RoleOperator); err != nil {
		return Page[UnsubscribeRequest]{}, err
	}
	q := UnsubscribeQuery{Status: status, Cursor: cursor, Limit: defLimit(limit)}
	switch actor.Role {
	case RoleBuyer:
		q.BuyerID = actor.ID
	case RoleSeller:
		q.SellerID = actor.ID
	}
	return s.store.ListUnsubscribeRequests(ctx, q)
}
