package marketplace

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opengallery/opengallery/billing"
)

// RenewInput is a manual renewal.
type RenewInput struct {
	ResourceID string `json:"resource_id"`
	// Duration is the number of months or years to add.
	Duration int `json:"duration"`
	// IdempotencyKey makes a repeated request return the same order.
	IdempotencyKey string `json:"idempotency_key"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in RenewInput) Validate() error {
	if err := checkID("resource_id", in.ResourceID); err != nil {
		return err
	}
	if in.Duration < 1 || in.Duration > 120 {
		return inputErr("duration", in.Duration, "must be 1..120")
	}
	if err := checkKey(in.IdempotencyKey); err != nil {
		return err
	}
	return nil
}

// renewalStatus is what billing needs to know to allow a renewal.
func renewalStatus(tx ReadTx, r Resource) billing.RenewalStatus {
	st := billing.RenewalStatus{Unsubscribed: r.Status == ResourceUnsubscribed, UnpaidChangeOrder: r.PendingOrderID != ""}
	if p, err := tx.Product(r.ProductID); err != nil || p.Status == ProductDelisted {
		st.Delisted = true
	} else if sp, ok := p.Spec(r.SpecID); !ok || sp.Status != SpecActive {
		st.Delisted = true
	}
	return st
}

// Renew creates a renewal order for a yearly/monthly resource, priced at
// the specification's current price for the duration (for an image, plus
// its servers' flavor at the catalog's current price, as at purchase: the
// servers keep running); paying it extends
// the term from the current expiry (also in grace or retention, whose time
// is used up). License and professional-service renewals start no new
// flow; a SaaS renewal is sent to the seller as a refresh.
//
// Errors: *InputError; *NotAllowedError for anyone but a buyer;
// *NotFoundError; errors wrapping ErrConflict and billing's
// *NotRenewableError (pay-per-use, one-time, released, unsubscribed,
// delisted, an unpaid change order); *IdempotencyError; store errors.
func (s *Service) Renew(ctx context.Context, actor Actor, in RenewInput) (Order, error) {
	if err := checkActor(actor, "renew", RoleBuyer); err != nil {
		return Order{}, err
	}
	if err := in.Validate(); err != nil {
		return Order{}, err
	}
	key := "renew:" + actor.ID + ":" + in.IdempotencyKey
	hash := fingerprint(in.ResourceID, fmt.Sprint(in.Duration))
	var out Order
	err := s.update(ctx, func(tx Tx) error {
		if o, found, err := idempotentOrder(tx, key, hash, in.IdempotencyKey); found || err != nil {
			out = o
			return err
		}
		r, err := tx.Resource(in.ResourceID)
		if err != nil {
			return err
		}
		if !actor.IsBuyer(r.BuyerID) {
			return notFound(KindResource, in.ResourceID)
		}
		now := s.now()
		o, err := s.renewalOrder(tx, r, in.Duration, actor, now)
		if err != nil {
			return err
		}
		o.IdempotencyKey = in.IdempotencyKey
		if err := s.placeChangeOrder(tx, &o, &r, actor, now); err != nil {
			return err
		}
		out = o
		return tx.PutIdempotency(IdempotencyRecord{Key: key, RequestHash: hash, ResultKind: KindOrder, ResultID: o.ID, CreatedAt: now})
	})
	return out, err
}

// renewalOrder prices a renewal of r by count periods.
func (s *Service) renewalOrder(tx ReadTx, r Resource, count int, actor Actor, now time.Time) (Order, error) {
	if r.Term == nil {
		if r.Mode.Prepaid() && r.Status == ResourcePending {
			return Order{}, &StateError{Kind: KindResource, ID: r.ID, State: string(r.Status), Action: "renew", Reason: "the term has not started"}
		}
		return Order{}, wrapBilling(KindResource, r.ID, "renew", billing.Renewable(s.cfg, r.Mode, time.Time{}, now, renewalStatus(tx, r)))
	}
	if err := billing.Renewable(s.cfg, r.Mode, r.Term.Expiry, now, renewalStatus(tx, r)); err != nil {
		return Order{}, wrapBilling(KindResource, r.ID, "renew", err)
	}
	p, err := tx.Product(r.ProductID)
	if err != nil {
		return Order{}, err
	}
	sp, _ := p.Spec(r.SpecID)
	infra, err := s.renewalInfrastructure(tx, r)
	if err != nil {
		return Order{}, err
	}
	q, err := billing.NewQuote(s.cfg, billing.QuoteInput{Pricing: sp.Pricing, Mode: r.Mode, Count: count, Quantity: int64(r.Quantity),
		Label: sp.Name, Infrastructure: infra})
	if err != nil {
		return Order{}, wrapBilling(KindResource, r.ID, "renew", err)
	}
	o := s.changeOrder(r, OrderRenewal, actor, now)
	o.Duration = count
	o.Amount, o.Lines = orderAmount(q)
	return o, nil
}

// renewalInfrastructure is the cloud server part of an image's renewal:
// the servers keep running, so a renewal pays for them as the purchase
// did — the flavor the image order chose (the catalog's recommended one
// when it chose none) at the catalog's current price for the mode, added
// to the software price by billing.NewQuote exactly as at checkout. It is
// nil for other products, and when no deployer is configured (the
// purchase was then priced without servers too). Unlike checkout it does
// not re-check that the product still offers the region: the servers are
// already there.
//
// Errors: *NotFoundError for a missing original order; *InputError when
// the catalog no longer prices the flavor in that region and mode.
func (s *Service) renewalInfrastructure(tx ReadTx, r Resource) (*billing.Infrastructure, error) {
	if r.Delivery != DeliveryImage || s.deployer == nil || r.Mode == billing.OneTime || r.Mode == billing.PayPerUse {
		return nil, nil
	}
	first, err := tx.Order(r.OrderID)
	if err != nil {
		return nil, err
	}
	if first.Image == nil {
		return nil, nil
	}
	flavor := first.Image.Flavor
	if flavor == "" {
		f, err := s.catalog.RecommendedFlavor()
		if err != nil {
			return nil, inputErr("image.flavor", "", "no flavor to price the servers: "+err.Error())
		}
		flavor = f.Name
	}
	price, err := s.catalog.Price(first.Image.Region, flavor, r.Mode)
	if err != nil {
		return nil, inputErr("image.flavor", flavor, err.Error())
	}
	return &billing.Infrastructure{Flavor: flavor, Price: price}, nil
}

// changeOrder starts an order that acts on an existing resource.
func (s *Service) changeOrder(r Resource, kind OrderKind, actor Actor, now time.Time) Order {
	o := Order{
		ID: s.ids.NewID(KindOrder), Number: s.ids.OrderNumber(now), Kind: kind, Status: OrderPendingPayment,
		BuyerID: r.BuyerID, ResellerID: r.ResellerID, SellerID: r.SellerID, ProductID: r.ProductID, SpecID: r.SpecID,
		ProductName: r.ProductName, SpecName: r.SpecName, Delivery: r.Delivery, Mode: r.Mode, Duration: r.Duration,
		Quantity: r.Quantity, ResourceID: r.ID, PaymentMethod: PayBalance, TermsAgreedAt: now, CreatedAt: now,
		PayBy: now.Add(s.payWindow), UpdatedAt: now,
	}
	if r.ResellerID != "" {
		o.PaymentMethod = PayReseller
	}
	o.NextDueAt = &o.PayBy
	return o
}

// placeChangeOrder stores a renewal or upgrade order and marks the
// resource as having an unpaid change.
func (s *Service) placeChangeOrder(tx Tx, o *Order, r *Resource, actor Actor, now time.Time) error {
	if err := tx.PutOrder(o); err != nil {
		return err
	}
	r.PendingOrderID, r.UpdatedAt = o.ID, now
	if err := tx.PutResource(r); err != nil {
		return err
	}
	return emit(tx, now, actor, KindOrder, o.ID, "order.created", "", string(o.Status),
		map[string]string{"number": o.Number, "kind": string(o.Kind), "amount": o.Amount.String(), "resource_id": r.ID})
}

// applyRenewal extends a resource's term when its renewal order is paid:
// the renewed period becomes Term, and the periods before it that have not
// ended stay refundable on their own as EarlierPeriods.
func (s *Service) applyRenewal(tx Tx, o *Order, now time.Time) error {
	r, err := tx.Resource(o.ResourceID)
	if err != nil {
		return err
	}
	st := renewalStatus(tx, r)
	st.UnpaidChangeOrder = false // this order is the change being paid
	if r.Term == nil {
		return &StateError{Kind: KindResource, ID: r.ID, State: string(r.Status), Action: "renew", Reason: "no term"}
	}
	ren, err := billing.Renew(s.cfg, billing.RenewalInput{Term: *r.Term, Count: o.Duration, UniformDay: r.RenewalDay, Now: now, Status: st})
	if err != nil {
		return wrapBilling(KindResource, r.ID, "renew", err)
	}
	from := r.Status
	o.Unfreeze = from == ResourceRetention
	r.EarlierPeriods = periodsBeforeRenewal(tx, r, now)
	term := ren.Term
	r.Term, r.ExpiresAt, r.Duration = &term, &term.Expiry, o.Duration
	r.Status, r.Paid, r.PendingOrderID, r.AutoRenewFailedAt, r.UpdatedAt = ResourceActive, o.Amount, "", nil, now
	r.Trial, r.TrialDays = false, 0 // a renewed trial is a paid term
	r.OrderIDs = append(r.OrderIDs, o.ID)
	s.owe(&r, CallRefresh, o.ID, now)
	if o.Unfreeze {
		s.owe(&r, CallUnfreeze, o.ID, now)
	}
	if o.BuyerID == "" || o.TermsAgreedAt.IsZero() {
		r.AutoRenew.Done++
	}
	s.scheduleResource(&r, now)
	if err := tx.PutResource(&r); err != nil {
		return err
	}
	if err := emit(tx, now, SystemActor(), KindResource, r.ID, "resource.renewed", string(from), string(r.Status),
		map[string]string{"order_id": o.ID, "expires_at": term.Expiry.Format(time.RFC3339)}); err != nil {
		return err
	}
	return s.completeOrder(tx, o, now, nil)
}

// AutoRenewInput changes a resource's auto-renewal.
type AutoRenewInput struct {
	ResourceID string `json:"resource_id"`
	Enabled    bool   `json:"enabled"`
	// DaysBefore overrides the site's deduction day: 0 (expiry day) to 7.
	DaysBefore *int `json:"days_before,omitempty"`
	// Count is the renewal length in periods; 0 renews by the term's own.
	Count int `json:"count,omitempty"`
	// Limit caps automatic renewals; 0 means until disabled.
	Limit int `json:"limit,omitempty"`
	// DoNotRenew is "do not renew after expiry".
	DoNotRenew bool `json:"do_not_renew,omitempty"`
	// Version is the resource's version as read (GetResource, or
	// PurchasedApp.Version); 0 skips the check. A resource that moved on
	// since keeps its settings.
	Version int64 `json:"version,omitempty"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput, wrapping billing's).
func (in AutoRenewInput) Validate() error {
	if err := checkID("resource_id", in.ResourceID); err != nil {
		return err
	}
	if err := checkVersionInput(in.Version); err != nil {
		return err
	}
	if err := in.settings(0).Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return nil
}

func (in AutoRenewInput) settings(done int) billing.AutoRenewal {
	return billing.AutoRenewal{Enabled: in.Enabled, DaysBefore: in.DaysBefore, Count: in.Count, Limit: in.Limit, Done: done, DoNotRenew: in.DoNotRenew}
}

// SetAutoRenew changes the buyer's auto-renewal settings of a resource.
// Attempts are made at the configured hour (03:00 platform time) the
// chosen days before expiry, and retried daily until expiry.
//
// Errors: *InputError; *NotAllowedError for anyone but a buyer;
// *NotFoundError; *PreconditionError (ErrConflict, Want and Have set) when
// in.Version is set and the resource is no longer at it; errors wrapping
// ErrConflict and billing's *NotAllowedError (not yearly/monthly, not
// offered for the delivery method, a delisted product); store errors.
func (s *Service) SetAutoRenew(ctx context.Context, actor Actor, in AutoRenewInput) (Resource, error) {
	if err := checkActor(actor, "set auto-renewal", RoleBuyer); err != nil {
		return Resource{}, err
	}
	if err := in.Validate(); err != nil {
		return Resource{}, err
	}
	var out Resource
	err := s.update(ctx, func(tx Tx) error {
		r, err := tx.Resource(in.ResourceID)
		if err != nil {
			return err
		}
		if !actor.IsBuyer(r.BuyerID) {
			return notFound(KindResource, in.ResourceID)
		}
		if err := checkVersion(KindResource, r.ID, in.Version, r.Version); err != nil {
			return err
		}
		if err := billing.CanChangeAutoRenew(s.cfg, r.Mode, r.Delivery, renewalStatus(tx, r)); err != nil {
			return wrapBilling(KindResource, r.ID, "set auto-renewal", err)
		}
		now := s.now()
		r.AutoRenew, r.UpdatedAt = in.settings(r.AutoRenew.Done), now
		s.scheduleResource(&r, now)
		if err := tx.PutResource(&r); err != nil {
			return err
		}
		out = r
		set := in
		set.Version = 0 // the event records the settings, not the precondition
		return emit(tx, now, actor, KindResource, r.ID, "resource.auto_renew_set", "", fmt.Sprint(in.Enabled), set)
	})
	return out, err
}

// RenewalDayInput sets a uniform renewal date for resources.
type RenewalDayInput struct {
	ResourceIDs []string `json:"resource_ids"`
	// Day is 1-28, billing.LastDay (-1) for the last day of the month, or
	// 0 to clear.
	Day int `json:"day"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in RenewalDayInput) Validate() error {
	if len(in.ResourceIDs) == 0 || len(in.ResourceIDs) > 100 {
		return inputErr("resource_ids", len(in.ResourceIDs), "must name 1..100 resources")
	}
	for _, id := range in.ResourceIDs {
		if err := checkID("resource_ids", id); err != nil {
			return err
		}
	}
	if in.Day != 0 && in.Day != billing.LastDay && (in.Day < 1 || in.Day > 28) {
		return inputErr("day", in.Day, "must be 1..28, -1 (last day) or 0 (none)")
	}
	return nil
}

// SetRenewalDay sets a uniform renewal day on the buyer's yearly/monthly
// resources: each next renewal ends on that day of the month (the first
// such day on or after the normal expiry). All resources or none change.
//
// Errors: *InputError; *NotAllowedError for anyone but a buyer;
// *NotFoundError for any resource not the buyer's; *StateError for one
// that is not yearly/monthly; store errors.
func (s *Service) SetRenewalDay(ctx context.Context, actor Actor, in RenewalDayInput) ([]Resource, error) {
	if err := checkActor(actor, "set a renewal day", RoleBuyer); err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	var out []Resource
	err := s.update(ctx, func(tx Tx) error {
		out = out[:0]
		now := s.now()
		for _, id := range in.ResourceIDs {
			r, err := tx.Resource(id)
			if err != nil {
				return err
			}
			if !actor.IsBuyer(r.BuyerID) {
				return notFound(KindResource, id)
			}
			if !r.Mode.Prepaid() {
				return &StateError{Kind: KindResource, ID: id, State: string(r.Mode), Action: "set a renewal day", Reason: "only yearly/monthly resources renew"}
			}
			r.RenewalDay, r.UpdatedAt = in.Day, now
			if err := tx.PutResource(&r); err != nil {
				return err
			}
			if err := emit(tx, now, actor, KindResource, r.ID, "resource.renewal_day_set", "", fmt.Sprint(in.Day), nil); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// autoRenew makes one auto-renewal attempt for a resource: a renewal
// order charged at once through the payment port. A declined charge is
// recorded and retried at the next daily slot.
func (s *Service) autoRenew(ctx context.Context, r Resource) error {
	var o Order
	err := s.update(ctx, func(tx Tx) error {
		cur, err := tx.Resource(r.ID)
		if err != nil {
			return err
		}
		if cur.Version != r.Version {
			return errSkip
		}
		now := s.now()
		count := cur.AutoRenew.Count
		if count == 0 {
			count = cur.Duration
		}
		if o, err = s.renewalOrder(tx, cur, count, SystemActor(), now); err != nil {
			return err
		}
		o.TermsAgreedAt = time.Time{} // agreed when auto-renewal was enabled; marks an automatic renewal
		return s.placeChangeOrder(tx, &o, &cur, SystemActor(), now)
	})
	if errors.Is(err, errSkip) {
		return err
	}
	if err != nil && !errors.Is(err, ErrConflict) && !errors.Is(err, ErrInvalidInput) {
		return err // a store fault: retried after the lease
	}
	if err != nil {
		// The rules refuse the renewal (e.g. the product can no longer be
		// renewed): record it like a declined attempt.
		return s.autoRenewFailed(ctx, r.ID, "", err)
	}
	_, err = s.payChange(ctx, o.ID)
	if err == nil {
		return nil
	}
	return s.autoRenewFailed(ctx, r.ID, o.ID, err)
}

// autoRenewFailed records a failed auto-renewal attempt: the order (if
// any) is cancelled, the resource freed and the next daily attempt
// scheduled. The order's cancel reason, which the buyer reads, says what
// kind of failure it was (buyerPaymentReason); the log and the operators'
// event keep the error itself.
func (s *Service) autoRenewFailed(ctx context.Context, resourceID, orderID string, err error) error {
	s.log.Info("marketplace: auto-renewal failed", "resource", resourceID, "err", err)
	return s.update(ctx, func(tx Tx) error {
		if orderID != "" {
			ord, e := tx.Order(orderID)
			if e != nil {
				return e
			}
			if ord.Status != OrderPendingPayment {
				return nil
			}
			if _, e := s.cancelUnpaid(tx, SystemActor(), ord, "auto-renewal payment failed: "+buyerPaymentReason(err)); e != nil {
				return e
			}
		}
		cur, e := tx.Resource(resourceID)
		if e != nil {
			return e
		}
		now := s.now()
		cur.AutoRenewFailedAt, cur.UpdatedAt = &now, now
		s.scheduleResource(&cur, now)
		if e := tx.PutResource(&cur); e != nil {
			return e
		}
		return emit(tx, now, SystemActor(), KindResource, cur.ID, "resource.auto_renew_failed", "", "", map[string]string{"error": err.Error()})
	})
}
