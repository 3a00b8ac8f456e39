package supervision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/looplab/fsm"
)

// Apply takes the action c on flow f at time now under policy p and returns
// the new flow, with the operation record appended, for the caller to
// persist. f itself is never modified; on error the caller keeps f.
//
// The template's state machine decides whether c.Actor.Role may take
// c.Action in f's status; the policy then decides whether its time and count
// conditions hold (appeals, reminders, automatic acceptance).
//
// Errors:
//   - *InputError (ErrInvalidInput): invalid policy, flow, command or now; a
//     SaaS request without an attachment; an enabling time after now; a
//     Resume without a target on a flow that has none.
//   - *NotAllowedError (ErrNotAllowed): the role may not take the action in
//     this status; also wrapping ErrFrozen when the flow is frozen and the
//     actor is not an operator, or ErrTooEarly when the action's time or
//     count condition is not met yet.
func Apply(f Flow, c Command, now time.Time, p Policy) (Flow, error) {
	if err := p.Validate(); err != nil {
		return f, err
	}
	t, err := f.template()
	if err != nil {
		return f, err
	}
	if now.IsZero() {
		return f, &InputError{Field: "now", Value: now, Reason: "required"}
	}
	now = now.UTC()
	if err := c.Validate(); err != nil {
		return f, err
	}
	role := c.Actor.Role
	if f.Frozen && role != Operator {
		return f, notAllowed(c.Action, f.Status, role, ErrFrozen, "the flow is frozen by an appeal until the operations team handles it")
	}
	target := c.ResumeStatus
	if c.Action == Resume && target == "" {
		target = f.StatusBeforeAppeal
		if target == "" {
			return f, &InputError{Field: "ResumeStatus", Value: `""`, Reason: "required: the flow records no status before the appeal"}
		}
	}
	to, err := t.fire(f, role, c.Action, target)
	if err != nil {
		return f, err
	}
	if err := guard(f, c.Action, role, now, p); err != nil {
		return f, err
	}
	if c.Action == SubmitRequest && t.attachmentRequired && len(c.Attachments) == 0 {
		return f, &InputError{Field: "Attachments", Value: 0, Reason: "a " + t.name + " request needs at least one attachment"}
	}
	if c.Action == Deliver && c.EnablingTime.After(now) {
		return f, &InputError{Field: "EnablingTime", Value: c.EnablingTime, Reason: "the actual enabling time cannot be after now"}
	}
	return next(f, c, to, now), nil
}

// fire runs the command's event on a pooled machine set to f's status and
// returns the destination. The machine's errors become *NotAllowedError.
func (t *Template) fire(f Flow, r Role, a Action, target Status) (Status, error) {
	key := eventKey{role: r, action: a, review: f.PlatformReview && t.reviewSupported}
	if a == Resume {
		key.target = target
	}
	name, ok := t.events[key]
	if !ok {
		reason := "no such action for this role in the " + t.name + " flow"
		if a == Resume {
			reason = "cannot resume at " + string(target) + " in the " + t.name + " flow"
		}
		return "", notAllowed(a, f.Status, r, nil, reason)
	}
	m := t.machine(f.Status)
	err := m.Event(context.Background(), name)
	to := Status(m.Current())
	t.release(m)
	if err != nil {
		var none fsm.NoTransitionError
		if !errors.As(err, &none) { // a self-loop (Remind) is a success
			return "", notAllowed(a, f.Status, r, nil, fmt.Sprintf("not allowed in status %q", t.Label(f.Status)))
		}
	}
	return to, nil
}

// next builds the new flow value. Attachments are cloned so that the
// caller's command slices never alias the stored flow.
func next(f Flow, c Command, to Status, now time.Time) Flow {
	from := f.Status
	atts := slices.Clone(c.Attachments)
	n := f
	n.Status = to
	if to != from {
		n.StatusSince = now
	}
	switch c.Actor.Role {
	case Buyer:
		n.LastBuyerUpdate = now
	case Seller:
		n.LastSellerUpdate = now
	}
	rec := Record{
		Seq: len(f.Records) + 1, At: now, Actor: c.Actor, Action: c.Action, From: from, To: to,
		Reason: c.Reason, Description: c.Description, Result: c.Result, Attachments: atts,
	}
	switch c.Action {
	case SubmitRequest:
		n.Request = Request{Description: c.Description, Attachments: atts, SubmittedAt: now}
	case RejectRequest:
		n.SellerRejections++
	case Deliver:
		et := time.Time{}
		if !c.EnablingTime.IsZero() {
			et = c.EnablingTime.UTC()
		}
		n.Delivery = Delivery{Result: c.Result, Attachments: atts, EnablingTime: et, DeliveredAt: now}
		rec.EnablingTime = et
	case RejectDelivery:
		n.BuyerRejections++
	case Remind:
		n.Reminders++
		n.LastReminderAt = now
	case Appeal:
		n.Frozen = true
		n.StatusBeforeAppeal = from
		n.AppealedBy = c.Actor.Role
		n.AppealedAt = now
		n.Appeals++
	case Resume:
		n.Frozen = false
	case Complete, Accept, AutoAccept:
		n.Frozen = false
		n.AcceptedAt = now
	case Terminate:
		n.Frozen = false
		n.TerminatedAt = now
		n.Refund = c.Refund
		rec.Refund = c.Refund
	}
	// A fresh backing array: appending in place could write into an array
	// the caller's f (or an older value) shares.
	recs := make([]Record, len(f.Records), len(f.Records)+1)
	copy(recs, f.Records)
	n.Records = append(recs, rec)
	return n
}
