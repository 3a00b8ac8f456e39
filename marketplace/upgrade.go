package marketplace

import (
	"context"
	"fmt"
	"time"

	"github.com/opengallery/opengallery/billing"
)

// UpgradeInput is a change of a SaaS subscription to another specification
// of the same product, or to more quantity, within its term.
type UpgradeInput struct {
	ResourceID string `json:"resource_id"`
	// SpecID is the target specification; empty keeps the current one.
	SpecID string `json:"spec_id,omitempty"`
	// Quantity is the target quantity; 0 keeps the current one.
	Quantity int `json:"quantity,omitempty"`
	// IdempotencyKey is required by Upgrade (not by QuoteUpgrade).
	IdempotencyKey string `json:"idempotency_key,omitempty"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in UpgradeInput) Validate() error {
	if err := checkID("resource_id", in.ResourceID); err != nil {
		return err
	}
	if in.Quantity < 0 || in.Quantity > 1_000_000 {
		return inputErr("quantity", in.Quantity, "must be 0..1000000")
	}
	if in.SpecID == "" && in.Quantity == 0 {
		return inputErr("spec_id", "", "name a target specification or quantity")
	}
	return nil
}

// upgradeCost checks that r may change as asked and prices the change.
func (s *Service) upgradeCost(tx ReadTx, r Resource, in UpgradeInput, now time.Time) (billing.Upgrade, Specification, int, error) {
	fail := func(reason string) (billing.Upgrade, Specification, int, error) {
		return billing.Upgrade{}, Specification{}, 0, &StateError{Kind: KindResource, ID: r.ID, State: string(r.Status), Action: "upgrade", Reason: reason}
	}
	if r.Delivery != DeliverySaaS || !r.Mode.Prepaid() {
		return fail("only yearly/monthly SaaS subscriptions can be upgraded")
	}
	if r.Status != ResourceActive || r.Term == nil {
		return fail("the subscription is not active")
	}
	if r.PendingOrderID != "" {
		return fail("another change order awaits payment")
	}
	first, err := tx.Order(r.OrderID)
	if err != nil {
		return billing.Upgrade{}, Specification{}, 0, err
	}
	if first.Status != OrderCompleted {
		return fail("only completed orders can be upgraded")
	}
	p, err := tx.Product(r.ProductID)
	if err != nil {
		return billing.Upgrade{}, Specification{}, 0, err
	}
	if p.Status != ProductListed {
		return fail("the product is no longer sold")
	}
	cur, ok := p.Spec(r.SpecID)
	if !ok {
		return fail("the current specification is gone")
	}
	targetID := in.SpecID
	if targetID == "" {
		targetID = r.SpecID
	}
	target, ok := p.Spec(targetID)
	if !ok || target.Status != SpecActive {
		return billing.Upgrade{}, Specification{}, 0, notFound("specification", targetID)
	}
	if !cur.Upgradable || !target.Upgradable {
		return fail("the specification is not upgradable")
	}
	qty := in.Quantity
	if qty == 0 {
		qty = r.Quantity
	}
	if targetID == r.SpecID && qty == r.Quantity {
		return billing.Upgrade{}, Specification{}, 0, inputErr("quantity", qty, "the target is the current configuration")
	}
	from, ok1 := cur.Plan(r.Mode)
	to, ok2 := target.Plan(r.Mode)
	if !ok1 || !ok2 {
		return fail("the specifications have no " + string(r.Mode) + " price")
	}
	up, err := billing.UpgradeCost(s.cfg, billing.UpgradeInput{Mode: r.Mode, Expiry: r.Term.Expiry, ChangeAt: now,
		From: from, FromQuantity: int64(r.Quantity), To: to, ToQuantity: int64(qty)})
	if err != nil {
		return billing.Upgrade{}, Specification{}, 0, wrapBilling(KindResource, r.ID, "upgrade", err)
	}
	return up, target, qty, nil
}

// QuoteUpgrade prices an upgrade without writing anything: the remaining
// duration, both prices and the explained cost, never negative.
//
// Errors: *InputError (also billing's, and ErrDowngrade for a cheaper
// target); *NotAllowedError for anyone but a buyer; *NotFoundError;
// *StateError when the resource cannot be upgraded now.
func (s *Service) QuoteUpgrade(ctx context.Context, actor Actor, in UpgradeInput) (billing.Upgrade, error) {
	if err := checkActor(actor, "quote an upgrade", RoleBuyer); err != nil {
		return billing.Upgrade{}, err
	}
	if err := in.Validate(); err != nil {
		return billing.Upgrade{}, err
	}
	var out billing.Upgrade
	err := s.store.View(ctx, func(tx ReadTx) error {
		r, err := tx.Resource(in.ResourceID)
		if err != nil {
			return err
		}
		if !actor.IsBuyer(r.BuyerID) {
			return notFound(KindResource, in.ResourceID)
		}
		out, _, _, err = s.upgradeCost(tx, r, in, s.now())
		return err
	})
	return out, err
}

// Upgrade creates an upgrade order to pay; the new specification or
// quantity takes effect when it is paid, and the seller is then told
// through its upgrade interface (the instance id does not change).
//
// Errors: as QuoteUpgrade, plus *InputError for a missing idempotency key
// and *IdempotencyError.
func (s *Service) Upgrade(ctx context.Context, actor Actor, in UpgradeInput) (Order, error) {
	if err := checkActor(actor, "upgrade", RoleBuyer); err != nil {
		return Order{}, err
	}
	if err := in.Validate(); err != nil {
		return Order{}, err
	}
	if err := checkKey(in.IdempotencyKey); err != nil {
		return Order{}, err
	}
	key := "upgrade:" + actor.ID + ":" + in.IdempotencyKey
	hash := fingerprint(in.ResourceID, in.SpecID, fmt.Sprint(in.Quantity))
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
		up, target, qty, err := s.upgradeCost(tx, r, in, now)
		if err != nil {
			return err
		}
		o := s.changeOrder(r, OrderUpgrade, actor, now)
		o.TargetSpecID, o.TargetQuantity, o.IdempotencyKey = target.ID, qty, in.IdempotencyKey
		o.Amount = up.Total
		for _, l := range up.Lines() {
			o.Lines = append(o.Lines, OrderLine{Description: l.Description(), Formula: l.Formula(), Amount: l.Amount})
		}
		if err := s.placeChangeOrder(tx, &o, &r, actor, now); err != nil {
			return err
		}
		out = o
		return tx.PutIdempotency(IdempotencyRecord{Key: key, RequestHash: hash, ResultKind: KindOrder, ResultID: o.ID, CreatedAt: now})
	})
	return out, err
}

// applyUpgrade changes the resource when its upgrade order is paid.
func (s *Service) applyUpgrade(tx Tx, o *Order, now time.Time) error {
	r, err := tx.Resource(o.ResourceID)
	if err != nil {
		return err
	}
	p, err := tx.Product(r.ProductID)
	if err != nil {
		return err
	}
	sp, _ := p.Spec(o.TargetSpecID)
	fromSpec := r.SpecID
	r.SpecID, r.SpecName, r.Quantity, r.PendingOrderID, r.UpdatedAt = o.TargetSpecID, sp.Name, o.TargetQuantity, "", now
	_ = addPaidInUse(&r, o.Amount, now) // an amount in another currency is left out, as before
	r.OrderIDs = append(r.OrderIDs, o.ID)
	s.owe(&r, CallUpgrade, o.ID, now)
	s.scheduleResource(&r, now)
	if err := tx.PutResource(&r); err != nil {
		return err
	}
	if err := emit(tx, now, SystemActor(), KindResource, r.ID, "resource.upgraded", fromSpec, r.SpecID,
		map[string]any{"order_id": o.ID, "quantity": r.Quantity}); err != nil {
		return err
	}
	o.SpecName = sp.Name
	return s.completeOrder(tx, o, now, nil)
}
