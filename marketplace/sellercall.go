package marketplace

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/opengallery/opengallery/provisioning"
)

// SellerCallOp is a call the marketplace owes a seller's endpoint (or the
// VM deployer) about a resource.
type SellerCallOp string

// The seller calls. Each is retried under its delivery policy
// (provisioning.DeliveryPolicy: refresh, update status, upgrade and release
// for an hour by default).
const (
	CallRefresh  SellerCallOp = "refresh"  // a paid renewal: the new expiry
	CallUpgrade  SellerCallOp = "upgrade"  // a paid upgrade
	CallFreeze   SellerCallOp = "freeze"   // retention began
	CallUnfreeze SellerCallOp = "unfreeze" // a frozen resource was renewed or its arrears cleared
	CallRelease  SellerCallOp = "release"  // released or unsubscribed: delete the instance or servers
)

// SellerCall is a pending call in a resource's outbox. It is written in the
// same transaction as the change that owes it, so that a crash cannot lose
// it; the calls are made in order, one at a time, by the code that made the
// change and then by the due-work runner, until the seller answers or the
// policy is exhausted.
type SellerCall struct {
	// ID is unique within the resource (the operation and its order).
	ID      string       `json:"id"`
	Op      SellerCallOp `json:"op"`
	OrderID string       `json:"order_id,omitempty"`
	// ExpiresAt is the expiry a refresh announces.
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	// InstanceID names the instance or deployment called about when the
	// resource never received it: a purchase ended while its provisioning
	// was in flight (the id is on the order only). Empty means the
	// resource's App.InstanceID.
	InstanceID string `json:"instance_id,omitempty"`
	// Attempts counts the calls made; FirstAt is the first of them.
	Attempts int        `json:"attempts,omitempty"`
	FirstAt  *time.Time `json:"first_at,omitempty"`
	// NextAt is when the call is next due. While a call is under way it
	// holds the call for one policy interval, so a concurrent runner does
	// not make it twice.
	NextAt time.Time `json:"next_at"`
	// LastError is why the latest attempt failed, fit for the buyer, as
	// Provisioning.LastError.
	LastError string `json:"last_error,omitempty"`
}

// owe adds a call to r's outbox, due now, unless the resource has nothing
// at the seller to call about or no endpoint is configured.
func (s *Service) owe(r *Resource, op SellerCallOp, orderID string, now time.Time) {
	s.oweFor(r, op, orderID, r.App.InstanceID, now)
}

// oweFor is owe about the instance instanceID, which the resource may not
// hold yet (provisioning was in flight when the purchase ended).
func (s *Service) oweFor(r *Resource, op SellerCallOp, orderID, instanceID string, now time.Time) {
	if instanceID == "" {
		return
	}
	switch {
	case r.Delivery == DeliverySaaS && s.saas != nil:
	case r.Delivery == DeliveryImage && s.deployer != nil && op == CallRelease:
	default:
		return
	}
	c := SellerCall{ID: string(op) + ":" + orderID, Op: op, OrderID: orderID, NextAt: now}
	if instanceID != r.App.InstanceID {
		c.InstanceID = instanceID
	}
	if orderID == "" {
		c.ID = fmt.Sprintf("%s:%d", op, now.UnixMicro())
	}
	if op == CallRefresh && r.ExpiresAt != nil {
		exp := *r.ExpiresAt
		c.ExpiresAt = &exp
	}
	if slices.ContainsFunc(r.SellerCalls, func(x SellerCall) bool { return x.ID == c.ID }) {
		return
	}
	r.SellerCalls = append(r.SellerCalls, c)
}

// policyFor is the retry policy of a seller call.
func (s *Service) policyFor(op SellerCallOp) provisioning.RetryPolicy {
	switch op {
	case CallRefresh:
		return s.delivery.Refresh
	case CallUpgrade:
		return s.delivery.Upgrade
	case CallRelease:
		return s.delivery.Release
	}
	return s.delivery.UpdateStatus
}

// maxCallsPerRun bounds how many calls of one resource one drain makes.
const maxCallsPerRun = 8

// runSellerCalls makes a resource's due seller calls in order, stopping at
// the first that fails (it is retried at its next time) or is not due.
func (s *Service) runSellerCalls(ctx context.Context, resourceID string) {
	for range maxCallsPerRun {
		if !s.sellerCallStep(ctx, resourceID) {
			return
		}
	}
}

// sellerCallStep claims the head of the outbox if it is due, makes the
// call and records the outcome. It reports whether the call succeeded.
func (s *Service) sellerCallStep(ctx context.Context, resourceID string) bool {
	var r Resource
	var call SellerCall
	var p Product
	err := s.update(ctx, func(tx Tx) error {
		var err error
		if r, err = tx.Resource(resourceID); err != nil {
			return err
		}
		now := s.now()
		if len(r.SellerCalls) == 0 || r.SellerCalls[0].NextAt.After(now) {
			return errSkip
		}
		if p, err = tx.Product(r.ProductID); err != nil {
			return err
		}
		c := &r.SellerCalls[0]
		c.Attempts++
		if c.FirstAt == nil {
			c.FirstAt = &now
		}
		c.NextAt = now.Add(max(s.policyFor(c.Op).Interval, time.Minute)).UTC().Truncate(time.Microsecond)
		call = *c
		s.scheduleResource(&r, now)
		return tx.PutResource(&r)
	})
	if err != nil {
		if !errors.Is(err, errSkip) {
			s.log.Error("marketplace: claim a seller call", "resource", resourceID, "err", err)
		}
		return false
	}
	callErr := s.callSeller(ctx, r, p, call)
	ok := false
	err = s.update(ctx, func(tx Tx) error {
		cur, err := tx.Resource(resourceID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(cur.SellerCalls, func(x SellerCall) bool { return x.ID == call.ID })
		if i < 0 || cur.SellerCalls[i].Attempts != call.Attempts {
			return errSkip // recorded by someone else meanwhile
		}
		now := s.now()
		c := &cur.SellerCalls[i]
		data := map[string]any{"call": string(c.Op), "call_id": c.ID, "attempts": c.Attempts}
		typ := "resource.seller_call_done"
		switch next, more := s.policyFor(c.Op).Next(c.Attempts, *c.FirstAt, now); {
		case callErr == nil:
			cur.SellerCalls = slices.Delete(cur.SellerCalls, i, i+1)
			if call.Op == CallRelease && cur.Delivery == DeliveryImage {
				// The cloud confirmed the deletion: only now are the
				// servers gone (an exhausted release leaves them listed).
				cur.App.ReleasedServers = append(cur.App.ReleasedServers, cur.App.Servers...)
				cur.App.Servers = nil
			}
			if len(cur.SellerCalls) > 0 && cur.SellerCalls[0].NextAt.After(now) && cur.SellerCalls[0].Attempts == 0 {
				cur.SellerCalls[0].NextAt = now
			}
			ok = true
		case more && provisioning.Retryable(callErr) || more && errors.Is(callErr, ErrUnavailable):
			c.NextAt, c.LastError = next.UTC().Truncate(time.Microsecond), buyerReason(callErr)
			typ, data["error"], data["next_at"] = "resource.seller_call_failed", c.LastError, c.NextAt
		default:
			// The policy is spent (or the seller refused for good): left
			// for the seller or an operator to restart by hand.
			cur.SellerCalls = slices.Delete(cur.SellerCalls, i, i+1)
			typ, data["error"] = "resource.seller_call_exhausted", buyerReason(callErr)
		}
		cur.UpdatedAt = now
		s.scheduleResource(&cur, now)
		if err := tx.PutResource(&cur); err != nil {
			return err
		}
		return emit(tx, now, SystemActor(), KindResource, cur.ID, typ, "", "", data)
	})
	if err != nil && !errors.Is(err, errSkip) {
		s.log.Error("marketplace: record a seller call", "resource", resourceID, "err", err)
		return false
	}
	if callErr != nil {
		s.log.Warn("marketplace: seller call failed", "resource", resourceID, "call", call.Op, "err", callErr)
	}
	return ok
}

// callSeller makes one call.
func (s *Service) callSeller(ctx context.Context, r Resource, p Product, c SellerCall) error {
	id := r.App.InstanceID
	if c.InstanceID != "" {
		id = c.InstanceID
	}
	if r.Delivery == DeliveryImage {
		if s.deployer == nil {
			return fmt.Errorf("%w: %w", ErrUnavailable, errNoDeployer)
		}
		return s.deployer.Release(ctx, id)
	}
	if s.saas == nil {
		return fmt.Errorf("%w: no SaaS endpoint configured", ErrUnavailable)
	}
	ep, err := s.saas.SaaSFor(ctx, p)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	switch c.Op {
	case CallRefresh:
		req := provisioning.RefreshRequest{Scene: provisioning.SceneRenewal, OrderID: c.OrderID, OrderLineID: c.OrderID + "-1", InstanceID: id}
		if c.ExpiresAt != nil {
			req.ExpiresAt = *c.ExpiresAt
		}
		return ep.Refresh(ctx, req)
	case CallUpgrade:
		return ep.Upgrade(ctx, provisioning.UpgradeRequest{InstanceID: id, OrderID: c.OrderID, OrderLineID: c.OrderID + "-1"})
	case CallFreeze:
		return ep.UpdateStatus(ctx, provisioning.StatusRequest{InstanceID: id, Status: provisioning.StatusFreeze})
	case CallUnfreeze:
		return ep.UpdateStatus(ctx, provisioning.StatusRequest{InstanceID: id, Status: provisioning.StatusUnfreeze})
	}
	req := provisioning.ReleaseRequest{InstanceID: id}
	if c.OrderID != "" {
		req.OrderID, req.OrderLineID = c.OrderID, c.OrderID+"-1"
	}
	return ep.Release(ctx, req)
}
