package marketplace

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opengallery/opengallery/supervision"
)

// wrapSupervision keeps supervision's error in the chain under the
// marketplace sentinel that fits: input errors stay input errors, refused
// actions are not allowed.
func wrapSupervision(kind Kind, id, action string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, supervision.ErrInvalidInput):
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	case errors.Is(err, supervision.ErrNotAllowed):
		return fmt.Errorf("%w: %s %s %q: %w", ErrNotAllowed, action, kind, id, err)
	}
	return err
}

// FlowActionInput is one supervision action on a flow.
type FlowActionInput struct {
	FlowID string             `json:"flow_id"`
	Action supervision.Action `json:"action"`
	// The action's inputs, as supervision.Command documents them.
	Reason       string                   `json:"reason,omitempty"`
	Description  string                   `json:"description,omitempty"`
	Result       string                   `json:"result,omitempty"`
	Attachments  []supervision.Attachment `json:"attachments,omitempty"`
	EnablingTime *time.Time               `json:"enabling_time,omitempty"`
	ResumeStatus supervision.Status       `json:"resume_status,omitempty"`
	// Refund, on an operator's Terminate, refunds the purchase in full;
	// without it the purchase ends unrefunded. Either way the purchase's
	// unsubscription refund still held for review, if any, is cancelled:
	// the termination is the operator's decision on the whole purchase.
	Refund bool `json:"refund,omitempty"`
	// Version is the flow's version as read (GetFlow); 0 skips the check.
	// A flow that moved on since is not acted on.
	Version int64 `json:"version,omitempty"`
}

// Validate checks the input on its own (the flow decides the rest).
//
// Errors: *InputError (ErrInvalidInput).
func (in FlowActionInput) Validate() error {
	if err := checkID("flow_id", in.FlowID); err != nil {
		return err
	}
	if _, err := supervision.ParseAction(string(in.Action)); err != nil {
		return inputErr("action", in.Action, "unknown supervision action")
	}
	if err := checkVersionInput(in.Version); err != nil {
		return err
	}
	return nil
}

func (in FlowActionInput) command(a Actor) supervision.Command {
	c := supervision.Command{
		Actor: supervision.Actor{ID: a.ID, Role: supervision.Role(a.Role)}, Action: in.Action, Reason: in.Reason,
		Description: in.Description, Result: in.Result, Attachments: in.Attachments, ResumeStatus: in.ResumeStatus, Refund: in.Refund,
	}
	if in.EnablingTime != nil {
		c.EnablingTime = in.EnablingTime.UTC()
	}
	return c
}

// FlowView is a flow as a party sees it: the stored flow, its status text,
// the actions the viewer may take now, and for SaaS the app info the
// seller delivered (password masked).
type FlowView struct {
	Flow
	Label     string               `json:"label"`
	Available []supervision.Action `json:"available"`
	App       *AppView             `json:"app,omitempty"`
}

// Act takes a supervision action on a flow: the buyer submits requests,
// accepts or rejects deliveries, reminds and appeals; the seller confirms
// or rejects requests, delivers and appeals; operators review deliveries
// and resolve appeals. The operation record and an event are written with
// the new flow. Acceptance starts the purchased term, shows a supervised
// SaaS product in Purchased Apps and schedules the order's completion 3
// hours later; a termination with refund cancels and refunds the order.
//
// Errors: *InputError (also wrapping supervision's *InputError);
// *NotFoundError when the flow is not the buyer's or seller's; errors
// wrapping ErrNotAllowed and supervision's *NotAllowedError (with
// supervision.ErrFrozen or ErrTooEarly) when the role may not take the
// action now; *PreconditionError (ErrConflict, Want and Have set) when
// in.Version is set and the flow is no longer at it; *ConflictError when
// the flow kept changing meanwhile (a race lost on every retry); store
// errors.
func (s *Service) Act(ctx context.Context, actor Actor, in FlowActionInput) (Flow, error) {
	if err := checkActor(actor, "act on a flow", RoleBuyer, RoleSeller, RoleOperator, RoleSystem); err != nil {
		return Flow{}, err
	}
	if err := in.Validate(); err != nil {
		return Flow{}, err
	}
	cmd := in.command(actor)
	if err := cmd.Validate(); err != nil {
		return Flow{}, wrapSupervision(KindFlow, in.FlowID, string(in.Action), err)
	}
	var out Flow
	refund := ""
	err := s.update(ctx, func(tx Tx) error {
		f, err := tx.Flow(in.FlowID)
		if err != nil {
			return err
		}
		if !canSee(actor, f.BuyerID, f.SellerID) {
			return notFound(KindFlow, in.FlowID)
		}
		if err := checkVersion(KindFlow, f.ID, in.Version, f.Version); err != nil {
			return err
		}
		now := s.now()
		if refund, err = s.applyFlow(tx, &f, cmd, now); err != nil {
			return err
		}
		out = f
		return nil
	})
	if err != nil {
		return Flow{}, err
	}
	if refund != "" {
		if err := s.settleRefund(ctx, refund); err != nil {
			s.log.Warn("marketplace: refund after termination; the runner retries", "order", refund, "err", err)
		}
	}
	return out, nil
}

// applyFlow applies cmd to f inside tx and carries out what it means for
// the order and resource. It returns the id of an order to refund.
func (s *Service) applyFlow(tx Tx, f *Flow, cmd supervision.Command, now time.Time) (string, error) {
	before := f.Supervision
	nf, rec, err := supervision.Apply(before, cmd, now, s.policy)
	if err != nil {
		return "", wrapSupervision(KindFlow, f.ID, string(cmd.Action), err)
	}
	f.Supervision, f.Status, f.UpdatedAt = nf, string(nf.Status), now
	f.Records = append(f.Records, rec)
	s.scheduleFlow(f, now)
	if err := tx.PutFlow(f); err != nil {
		return "", err
	}
	actor := Actor{Role: Role(cmd.Actor.Role), ID: cmd.Actor.ID}
	if err := emit(tx, now, actor, KindFlow, f.ID, "flow."+string(cmd.Action), string(before.Status), string(nf.Status),
		map[string]any{"record_seq": rec.Seq, "reason": rec.Reason}); err != nil {
		return "", err
	}
	switch {
	case nf.Accepted() && !before.Accepted():
		return "", s.flowAccepted(tx, f, now)
	case nf.Status == supervision.Terminated && before.Status != supervision.Terminated:
		return s.flowTerminated(tx, f, nf.Refund, now)
	}
	return "", nil
}

// flowAccepted starts the term at the enabling time or acceptance, shows
// the resource and schedules the order's completion.
func (s *Service) flowAccepted(tx Tx, f *Flow, now time.Time) error {
	o, err := tx.Order(f.OrderID)
	if err != nil {
		return err
	}
	acc := f.Supervision.AcceptedAt.UTC()
	o.AcceptedAt, o.UpdatedAt = &acc, now
	if at, ok := f.Supervision.OrderCompletionAt(s.policy); ok {
		// Keep an earlier timer (a provisioning poll): the runner looks at
		// the order then, and delivery reschedules the completion.
		if at = at.UTC(); o.NextDueAt == nil || at.Before(*o.NextDueAt) {
			o.NextDueAt = &at
		}
	}
	r, err := tx.Resource(f.ResourceID)
	if err != nil {
		return err
	}
	if r.Status != ResourcePending {
		// Only a purchase waiting for its delivery starts: an unsubscribed
		// (refunded) or failed resource stays ended.
		return &StateError{Kind: KindResource, ID: r.ID, State: string(r.Status), Action: "accept the delivery of", Reason: "the resource is no longer pending"}
	}
	if err := tx.PutOrder(&o); err != nil {
		return err
	}
	start, ok := f.Supervision.TermStart()
	if !ok {
		start = acc
	}
	from := r.Status
	r.Visible = true
	if err := s.activate(&r, start.UTC(), now); err != nil {
		return err
	}
	if err := tx.PutResource(&r); err != nil {
		return err
	}
	return emit(tx, now, SystemActor(), KindResource, r.ID, "resource.activated", string(from), string(r.Status), map[string]string{"flow_id": f.ID})
}

// flowTerminated ends the purchase an operator terminated: the order is
// cancelled and refunded when the operator said so, else completed. Either
// way an unsubscription held for refund review is cancelled with it.
func (s *Service) flowTerminated(tx Tx, f *Flow, refund bool, now time.Time) (string, error) {
	o, err := tx.Order(f.OrderID)
	if err != nil {
		return "", err
	}
	if refund {
		return o.ID, s.cancelPaid(tx, &o, now, "supervision terminated by operations")
	}
	r, err := tx.Resource(f.ResourceID)
	if err != nil {
		return "", err
	}
	r.Status, r.NextDueAt, r.UpdatedAt = ResourceFailed, nil, now
	// The operator refused the purchase a refund: an unsubscription
	// refund held for review is not paid either.
	if err := s.dropHeldUnsubscription(tx, &r, "supervision terminated by operations", now); err != nil {
		return "", err
	}
	// The purchase ends at the seller too: an instance created for it is
	// released.
	if err := s.oweRelease(tx, &r, o.ID, now); err != nil {
		return "", err
	}
	s.scheduleResource(&r, now)
	if err := tx.PutResource(&r); err != nil {
		return "", err
	}
	return "", s.completeOrder(tx, &o, now, map[string]string{"reason": "supervision terminated"})
}

// scheduleFlow sets when the runner next looks at a flow: an automatic
// acceptance or an appeal becoming available (announced by an event).
func (s *Service) scheduleFlow(f *Flow, now time.Time) {
	f.NextDueAt = nil
	for _, t := range supervision.Timers(f.Supervision, now, s.policy) {
		if t.Due || (t.Kind != supervision.AutoAcceptance && t.Kind != supervision.AppealAvailable) {
			continue
		}
		at := t.At.UTC()
		if t.Kind == supervision.AppealAvailable {
			at = at.Add(time.Second) // available strictly after At
		}
		at = at.Truncate(time.Microsecond)
		if f.NextDueAt == nil || at.Before(*f.NextDueAt) {
			f.NextDueAt = &at
		}
	}
}

// GetFlow returns a flow to its buyer, its seller or an operator, with the
// actions the viewer may take now.
//
// Errors: *InputError; *NotFoundError (also someone else's flow); store
// errors.
func (s *Service) GetFlow(ctx context.Context, actor Actor, id string) (FlowView, error) {
	if err := checkActor(actor, "read a flow"); err != nil {
		return FlowView{}, err
	}
	var out FlowView
	err := s.store.View(ctx, func(tx ReadTx) error {
		f, err := tx.Flow(id)
		if err != nil {
			return err
		}
		if !canSee(actor, f.BuyerID, f.SellerID) {
			return notFound(KindFlow, id)
		}
		out = FlowView{Flow: f, Label: f.Supervision.Label(),
			Available: supervision.Available(f.Supervision, supervision.Role(actor.Role), s.now(), s.policy)}
		if r, err := tx.Resource(f.ResourceID); err == nil && r.App.InstanceID != "" && actor.Role != RoleSeller {
			v := appView(r.App)
			out.App = &v
		}
		return nil
	})
	return out, err
}

// ListFlowsInput filters an actor's flows.
type ListFlowsInput struct {
	Status string `json:"status,omitempty"`
	Cursor string `json:"cursor,omitempty"`
	Limit  int    `json:"limit,omitempty"`
}

// ListFlows lists the buyer's flows, the seller's (flows of their
// products), or all for operators, newest first.
//
// Errors: *InputError (a status that is not a supervision status, a limit
// outside 1..MaxPageSize, a malformed cursor); *NotAllowedError for the
// system; store errors.
func (s *Service) ListFlows(ctx context.Context, actor Actor, in ListFlowsInput) (Page[Flow], error) {
	if err := checkActor(actor, "list flows", RoleBuyer, RoleSeller, RoleOperator); err != nil {
		return Page[Flow]{}, err
	}
	if in.Status != "" {
		if _, err := supervision.ParseStatus(in.Status); err != nil {
			return Page[Flow]{}, inputErr("status", in.Status, "not a supervision status")
		}
	}
	q := FlowQuery{Status: in.Status, Cursor: in.Cursor, Limit: defLimit(in.Limit)}
	switch actor.Role {
	case RoleBuyer:
		q.BuyerID = actor.ID
	case RoleSeller:
		q.SellerID = actor.ID
	}
	return s.store.ListFlows(ctx, q)
}

// terminateFlow ends the open supervision flow of an order whose delivery
// failed (the order is cancelled and refunded): the system closes it with
// an operation record so that no party is left waiting on it. The
// supervision tables give the system no Terminate row (operators
// terminate appeals), so the record is written here, in the same shape
// supervision.Apply would write.
func (s *Service) terminateFlow(tx Tx, flowID, reason string, now time.Time) error {
	f, err := tx.Flow(flowID)
	if err != nil {
		return err
	}
	before := f.Supervision.Status
	if before == supervision.Terminated || before == supervision.Completed {
		return nil
	}
	sf := f.Supervision
	sf.Seq++
	sf.Status, sf.Frozen, sf.TerminatedAt = supervision.Terminated, false, now
	rec := supervision.Record{FlowID: f.ID, Seq: sf.Seq, At: now, Actor: supervision.Actor{ID: "system", Role: supervision.System},
		Action: supervision.Terminate, From: before, To: supervision.Terminated, Reason: reason}
	f.Supervision, f.Status, f.UpdatedAt, f.NextDueAt = sf, string(sf.Status), now, nil
	f.Records = append(f.Records, rec)
	if err := tx.PutFlow(&f); err != nil {
		return err
	}
	return emit(tx, now, SystemActor(), KindFlow, f.ID, "flow."+string(supervision.Terminate), string(before), f.Status,
		map[string]any{"record_seq": rec.Seq, "reason": reason})
}
