package supervision

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/looplab/fsm"
)

// Apply takes the action c on flow f at time now under policy p and returns
// the new flow and the action's operation record, for the caller to persist
// together (the record's Seq is the new flow's Seq). f itself is never
// modified; on error the caller keeps f and the returned flow is f.
//
// The template's state machine decides whether c.Actor.Role may take
// c.Action in f's status; the policy then decides whether its time and count
// conditions hold (appeals, reminders, automatic acceptance).
//
// Errors:
//   - *InputError (ErrInvalidInput): invalid policy, flow, command or now; a
//     SaaS request without an attachment; an enabling time after now or
//     before the payment (Flow.CreatedAt); a Resume without a target on a
//     flow that has none.
//   - *NotAllowedError (ErrNotAllowed): the role may not take the action in
//     this status; also wrapping ErrFrozen when the flow is frozen and the
//     actor is not an operator, or ErrTooEarly when the action's time or
//     count condition is not met yet.
func Apply(f Flow, c Command, now time.Time, p Policy) (Flow, Record, error) {
	t, err := check(&f, &c, now, p)
	if err != nil {
		return f, Record{}, err
	}
	now = now.UTC()
	role := c.Actor.Role
	if f.Frozen && role != Operator {
		return f, Record{}, notAllowed(c.Action, f.Status, role, ErrFrozen, "the flow is frozen by an appeal until the operations team handles it")
	}
	target := c.ResumeStatus
	if c.Action == Resume && target == "" && f.Frozen {
		target = f.StatusBeforeAppeal
		if target == "" {
			return f, Record{}, &InputError{Field: "resume_status", Value: `""`, Reason: "required: the flow records no status before the appeal"}
		}
	}
	to, err := t.fire(&f, role, c.Action, target)
	if err != nil {
		return f, Record{}, err
	}
	if err := guard(&f, c.Action, role, now, &p); err != nil {
		return f, Record{}, err
	}
	if c.Action == SubmitRequest && t.attachmentRequired && len(c.Attachments) == 0 {
		return f, Record{}, &InputError{Field: "attachments", Value: 0, Reason: "a " + t.name + " request needs at least one attachment"}
	}
	if c.Action == Deliver && c.EnablingTime.After(now) {
		return f, Record{}, &InputError{Field: "enabling_time", Value: c.EnablingTime, Reason: "the actual enabling time cannot be after now"}
	}
	if c.Action == Deliver && !c.EnablingTime.IsZero() && c.EnablingTime.Before(f.CreatedAt) {
		// The term starts at the enabling time: it cannot start before
		// the purchase was paid.
		return f, Record{}, &InputError{Field: "enabling_time", Value: c.EnablingTime, Reason: "the actual enabling time cannot be before the payment"}
	}
	n, rec := next(&f, &c, to, now)
	return n, rec, nil
}

// check validates everything Apply is given before anything else happens.
func check(f *Flow, c *Command, now time.Time, p Policy) (*Template, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	t, err := f.template()
	if err != nil {
		return nil, err
	}
	if now.IsZero() {
		return nil, &InputError{Field: "now", Value: now, Reason: "required"}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// fire runs the command's event on a pooled machine set to f's status and
// returns the destination. The machine's errors become *NotAllowedError.
func (t *Template) fire(f *Flow, r Role, a Action, target Status) (Status, error) {
	name, ok := t.event(r, a, target, f.PlatformReview && t.reviewSupported)
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
			return "", notAllowed(a, f.Status, r, nil, "not allowed in status \""+t.Label(f.Status)+"\"")
		}
	}
	return to, nil
}

// next builds the new flow value and its record. Attachments are cloned so
// that the caller's command slices never alias the stored flow.
func next(f *Flow, c *Command, to Status, now time.Time) (Flow, Record) {
	from := f.Status
	atts := slices.Clone(c.Attachments)
	n := *f
	n.Status = to
	n.Seq++
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
		FlowID: f.ID, Seq: n.Seq, At: now, Actor: c.Actor, Action: c.Action, From: from, To: to,
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
	return n, rec
}
