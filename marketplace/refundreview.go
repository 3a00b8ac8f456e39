package marketplace

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opengallery/opengallery/billing"
)

// RefundReviewStatus is where a held refund's review stands.
type RefundReviewStatus string

// The refund review statuses.
const (
	RefundReviewPending  RefundReviewStatus = "pending"
	RefundReviewApproved RefundReviewStatus = "approved"
	RefundReviewRejected RefundReviewStatus = "rejected"
)

// RefundReview is the operators' review of a refund above the billing
// configuration's RefundReviewThreshold (or in another currency). The
// refund is held until an operator approves it, or until AutoApproveAt
// when billing.Config.RefundReviewAutoApprove is set. A rejected refund
// is not paid; Reason tells the buyer why. An unsubscription waiting for
// review has not taken effect yet: the resource stays the buyer's, and a
// rejection leaves it so.
type RefundReview struct {
	Status        RefundReviewStatus `json:"status"`
	RequestedAt   time.Time          `json:"requested_at"`
	AutoApproveAt *time.Time         `json:"auto_approve_at,omitempty"`
	DecidedAt     *time.Time         `json:"decided_at,omitempty"`
	DecidedBy     string             `json:"decided_by,omitempty"` // the operator, or "system" for an automatic approval
	Reason        string             `json:"reason,omitempty"`
}

// refundNeedsReview mirrors billing's rule for large refunds (billing
// keeps it unexported): above the threshold, or any positive amount in
// another currency.
func refundNeedsReview(cfg billing.Config, amount billing.Money) bool {
	t := cfg.RefundReviewThreshold
	if amount.Currency != t.Currency {
		return amount.IsPositive()
	}
	return amount.Amount.GreaterThan(t.Amount)
}

// refundLater records that an order's payment goes back to the buyer; the
// refund itself is made by settleRefund after the commit (and by the
// runner if that fails). A refund that needs review is held for an
// operator instead.
func (s *Service) refundLater(tx Tx, o *Order, amount billing.Money, now time.Time) error {
	o.RefundAmount = &amount
	o.NextDueAt = &now
	if o.PaymentMethod == PayReseller || !refundNeedsReview(s.cfg, amount) {
		return nil // a reseller's customer moves no money here
	}
	rv := &RefundReview{Status: RefundReviewPending, RequestedAt: now}
	o.NextDueAt = nil
	if d := s.cfg.RefundReviewAutoApprove; d > 0 {
		at := now.Add(d)
		rv.AutoApproveAt, o.NextDueAt = &at, &at
	}
	o.RefundReview = rv
	return emit(tx, now, SystemActor(), KindOrder, o.ID, "order.refund_review_requested", "", string(RefundReviewPending),
		map[string]string{"amount": amount.String()})
}

// refundHeld reports whether an order's refund waits for (or was refused
// by) a review.
func refundHeld(o Order) bool {
	return o.RefundReview != nil && o.RefundReview.Status != RefundReviewApproved
}

// RefundDecisionInput is an operator's decision on a held refund.
type RefundDecisionInput struct {
	OrderID string `json:"order_id"`
	Approve bool   `json:"approve"`
	// Reason is required to reject; the buyer sees it on the order.
	Reason string `json:"reason,omitempty"`
	// Version is the order's version as read (GetOrder); 0 skips the
	// check. An order that moved on since is not decided.
	Version int64 `json:"version,omitempty"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in RefundDecisionInput) Validate() error {
	if err := checkID("order_id", in.OrderID); err != nil {
		return err
	}
	if !in.Approve && strings.TrimSpace(in.Reason) == "" {
		return inputErr("reason", in.Reason, "a rejection needs a reason")
	}
	if err := checkVersionInput(in.Version); err != nil {
		return err
	}
	return checkText("reason", in.Reason, 0, 1000)
}

// ReviewRefund records an operator's decision on a refund held for
// review. Approving pays it (and, for an unsubscription, ends the resource
// and releases it at the seller); rejecting keeps the money where it is,
// with the reason for the buyer, and an unsubscription is cancelled (the
// resource stays the buyer's; a negotiated request is rejected).
//
// An unsubscription whose purchase ended another way while its refund
// waited (the resource failed, was unsubscribed or released, or its
// original order was cancelled or refunded, e.g. by an operator's
// termination with refund) is not paid even when approved: it is cancelled
// as a rejection would cancel it, and ReviewRefund returns the cancelled
// order, its review recorded as rejected with the reason ("not paid: …"),
// and no error (what it wrote is the outcome; an error writes nothing).
//
// Errors: *InputError; *NotAllowedError for anyone but an operator;
// *NotFoundError; *PreconditionError (ErrConflict, Want and Have set) when
// in.Version is set and the order is no longer at it; *StateError when the
// order has no refund waiting for review; store errors.
func (s *Service) ReviewRefund(ctx context.Context, actor Actor, in RefundDecisionInput) (Order, error) {
	if err := checkActor(actor, "review a refund", RoleOperator); err != nil {
		return Order{}, err
	}
	if err := in.Validate(); err != nil {
		return Order{}, err
	}
	return s.decideRefund(ctx, actor, in)
}

func (s *Service) decideRefund(ctx context.Context, actor Actor, in RefundDecisionInput) (Order, error) {
	var out Order
	resourceID := ""
	ended := "" // why an approved unsubscription is not paid
	err := s.update(ctx, func(tx Tx) error {
		ended = ""
		o, err := tx.Order(in.OrderID)
		if err != nil {
			return err
		}
		if err := checkVersion(KindOrder, o.ID, in.Version, o.Version); err != nil {
			return err
		}
		if o.RefundReview == nil || o.RefundReview.Status != RefundReviewPending {
			return &StateError{Kind: KindOrder, ID: o.ID, State: string(o.Status), Action: "review the refund of", Reason: "no refund is waiting for review"}
		}
		now := s.now()
		rv := *o.RefundReview
		rv.DecidedAt, rv.DecidedBy, rv.Reason = &now, actor.ID, in.Reason
		o.RefundReview, o.UpdatedAt = &rv, now
		unsub := o.Kind == OrderUnsubscription
		var r Resource
		if in.Approve && unsub {
			// The purchase may have ended another way while the refund
			// waited (its flow stays open meanwhile): paying it then would
			// refund the purchase twice.
			if r, err = tx.Resource(o.ResourceID); err != nil {
				return err
			}
			if ended, err = purchaseEnded(tx, r); err != nil {
				return err
			}
		}
		switch {
		case ended != "":
			rv.Status, rv.Reason = RefundReviewRejected, "not paid: "+ended
			o.NextDueAt = nil
			if err := s.cancelUnsubscription(tx, actor, &o, "unsubscription withdrawn: "+ended, now); err != nil {
				return err
			}
		case in.Approve:
			rv.Status = RefundReviewApproved
			o.NextDueAt = &now
			if unsub {
				if err := s.endResource(tx, actor, &r, o.ID, now); err != nil {
					return err
				}
				resourceID = r.ID
			}
		default:
			rv.Status = RefundReviewRejected
			o.NextDueAt = nil
			if unsub {
				if err := s.cancelUnsubscription(tx, actor, &o, "refund rejected in review: "+in.Reason, now); err != nil {
					return err
				}
			}
		}
		if err := tx.PutOrder(&o); err != nil {
			return err
		}
		out = o
		return emit(tx, now, actor, KindOrder, o.ID, "order.refund_"+string(rv.Status), string(RefundReviewPending), string(rv.Status),
			map[string]string{"reason": rv.Reason, "amount": o.RefundAmount.String()})
	})
	if err != nil || !in.Approve || ended != "" {
		return out, err
	}
	if err := s.settleRefund(ctx, out.ID); err != nil {
		s.log.Warn("marketplace: approved refund; the runner retries", "order", out.ID, "err", err)
	}
	if resourceID != "" {
		s.runSellerCalls(ctx, resourceID)
	}
	return s.reloadOrder(ctx, out.ID, out)
}

// cancelUnsubscription undoes a held unsubscription whose refund was
// rejected (or whose purchase ended before an approval): the order is
// cancelled, the resource is free again and a negotiated request is
// rejected with the review's reason.
func (s *Service) cancelUnsubscription(tx Tx, actor Actor, o *Order, cancelReason string, now time.Time) error {
	r, err := tx.Resource(o.ResourceID)
	if err != nil {
		return err
	}
	before := r
	if err := s.withdrawUnsubscription(tx, actor, o, &r, cancelReason, now); err != nil {
		return err
	}
	if r.PendingOrderID == before.PendingOrderID && r.UnsubscribeRequestID == before.UnsubscribeRequestID {
		return nil
	}
	s.scheduleResource(&r, now)
	return tx.PutResource(&r)
}

// withdrawUnsubscription cancels the held unsubscription order o (with its
// event; the caller stores o) and rejects its negotiated request, and
// clears the markers o left on r (the caller stores r). The request is
// rejected with the review's reason, o.RefundReview.Reason, which the
// caller sets.
func (s *Service) withdrawUnsubscription(tx Tx, actor Actor, o *Order, r *Resource, cancelReason string, now time.Time) error {
	reason := o.RefundReview.Reason
	from := o.Status
	o.Status, o.CancelledAt, o.CancelReason, o.UpdatedAt = OrderCancelled, &now, cancelReason, now
	if err := emit(tx, now, actor, KindOrder, o.ID, "order.cancelled", string(from), string(OrderCancelled), map[string]string{"reason": o.CancelReason}); err != nil {
		return err
	}
	if r.PendingOrderID == o.ID {
		r.PendingOrderID, r.UpdatedAt = "", now
	}
	if o.UnsubscribeRequestID == "" {
		return nil
	}
	if r.UnsubscribeRequestID == o.UnsubscribeRequestID {
		r.UnsubscribeRequestID, r.UpdatedAt = "", now
	}
	u, err := tx.UnsubscribeRequest(o.UnsubscribeRequestID)
	if err != nil {
		return err
	}
	from2 := u.Status
	u.Status, u.NextDueAt = UnsubscribeRejected, nil
	if err := tx.PutUnsubscribeRequest(&u); err != nil {
		return err
	}
	return emit(tx, now, actor, KindUnsubscribe, u.ID, "unsubscribe.refund_rejected", string(from2), string(u.Status), map[string]string{"reason": reason})
}

// purchaseEnded says why a held unsubscription of r may no longer be
// paid, or "": the resource ended another way (failed, unsubscribed,
// released), or its original order was cancelled or refunded (an
// operator's termination with refund, a failed delivery).
func purchaseEnded(tx ReadTx, r Resource) (string, error) {
	switch r.Status {
	case ResourceFailed, ResourceUnsubscribed, ResourceReleased:
		return "the purchase ended meanwhile (resource " + string(r.Status) + ")", nil
	}
	if r.OrderID == "" {
		return "", nil
	}
	o, err := tx.Order(r.OrderID)
	if err != nil {
		return "", err
	}
	if o.Status == OrderCancelled || o.RefundAmount != nil {
		return "the purchase ended meanwhile (order " + o.ID + " " + string(o.Status) + ", refunded in full)", nil
	}
	return "", nil
}

// dropHeldUnsubscription cancels the unsubscription r holds as its
// pending change while its refund waits for review, if any, because the
// purchase is ending another way (why) in the caller's transaction: the
// held refund is never paid, whoever approves it later. The order and its
// request are stored here; r's cleared markers are stored by the caller
// with the rest of its change.
func (s *Service) dropHeldUnsubscription(tx Tx, r *Resource, why string, now time.Time) error {
	if r.PendingOrderID == "" {
		return nil
	}
	o, err := tx.Order(r.PendingOrderID)
	if err != nil {
		return err
	}
	if o.Kind != OrderUnsubscription || o.Status != OrderProcessing || o.RefundReview == nil || o.RefundReview.Status != RefundReviewPending {
		return nil
	}
	sys := SystemActor()
	rv := *o.RefundReview
	rv.Status, rv.DecidedAt, rv.DecidedBy, rv.Reason = RefundReviewRejected, &now, sys.ID, "not paid: the purchase ended ("+why+")"
	o.RefundReview, o.NextDueAt = &rv, nil
	if err := s.withdrawUnsubscription(tx, sys, &o, r, "unsubscription withdrawn: the purchase ended ("+why+")", now); err != nil {
		return err
	}
	if err := tx.PutOrder(&o); err != nil {
		return err
	}
	return emit(tx, now, sys, KindOrder, o.ID, "order.refund_"+string(rv.Status), string(RefundReviewPending), string(rv.Status),
		map[string]string{"reason": rv.Reason, "amount": o.RefundAmount.String()})
}

// autoApproveRefund approves a held refund whose review time has run out.
// An unsubscription whose purchase ended meanwhile is cancelled instead
// (recorded on the order, its review and its events, see ReviewRefund):
// nothing is left for the runner to retry.
func (s *Service) autoApproveRefund(ctx context.Context, o Order) error {
	_, err := s.decideRefund(ctx, SystemActor(), RefundDecisionInput{OrderID: o.ID, Approve: true,
		Reason: "approved automatically after " + s.cfg.RefundReviewAutoApprove.String()})
	var se *StateError
	if errors.As(err, &se) {
		return nil // decided meanwhile
	}
	return err
}

// RefundReviews lists the refunds waiting for an operator's review, oldest
// request first. Stores do not index the review, so this scans the orders
// that can hold one (cancelled orders and open unsubscriptions); the
// cursor is an offset into the result.
//
// Errors: *InputError for a bad limit or cursor; *NotAllowedError for
// anyone but an operator; store errors.
func (s *Service) RefundReviews(ctx context.Context, actor Actor, cursor string, limit int) (Page[Order], error) {
	if err := checkActor(actor, "list refund reviews", RoleOperator); err != nil {
		return Page[Order]{}, err
	}
	limit = defLimit(limit)
	if err := CheckLimit(limit); err != nil {
		return Page[Order]{}, err
	}
	off, err := offsetCursor(cursor)
	if err != nil {
		return Page[Order]{}, err
	}
	var all []Order
	for _, q := range []OrderQuery{{Status: OrderProcessing, Kind: OrderUnsubscription}, {Status: OrderCancelled}} {
		q.Limit = MaxPageSize
		for {
			pg, err := s.store.ListOrders(ctx, q)
			if err != nil {
				return Page[Order]{}, err
			}
			for _, o := range pg.Items {
				if o.RefundReview != nil && o.RefundReview.Status == RefundReviewPending {
					all = append(all, o)
				}
			}
			if pg.Next == "" {
				break
			}
			q.Cursor = pg.Next
		}
	}
	sortOrders(all)
	return pageOf(all, off, limit), nil
}

// offsetCursor parses a cursor that is an offset ("" is 0).
func offsetCursor(c string) (int, error) {
	if c == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(c)
	if err != nil || n < 0 {
		return 0, BadCursor(c)
	}
	return n, nil
}

// sortOrders sorts held refunds oldest request first, then by id.
func sortOrders(orders []Order) {
	slices.SortFunc(orders, func(a, b Order) int {
		if c := a.RefundReview.RequestedAt.Compare(b.RefundReview.RequestedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// pageOf cuts one page out of all.
func pageOf[T any](all []T, off, limit int) Page[T] {
	pg := Page[T]{Total: len(all), Items: []T{}}
	if off >= len(all) {
		return pg
	}
	end := min(off+limit, len(all))
	pg.Items = all[off:end]
	if end < len(all) {
		pg.Next = strconv.Itoa(end)
	}
	return pg
}
