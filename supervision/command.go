package supervision

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Text limits, in characters (runes), not bytes.
const (
	// MaxDescription is the longest requirement description (seed: 1,000).
	MaxDescription = 1000
	// MaxReason is the longest reason for a rejection, appeal or decision.
	// The seed gives no figure; the description's limit is reused.
	MaxReason = 1000
	// MaxResult is the longest delivery result text. The seed gives no
	// figure; license keys and instructions get more room than a reason.
	MaxResult = 4000
)

// Actor is who acts. ID identifies the party in the host's identity system;
// whether that buyer or seller owns the flow is the marketplace's check.
type Actor struct {
	ID   string `json:"id"`
	Role Role   `json:"role"`
}

// Command is one action on a flow, with the inputs that action takes.
// Fields an action does not take must be left zero.
type Command struct {
	Actor  Actor  `json:"actor"`
	Action Action `json:"action"`
	// Reason explains a rejection, return, appeal or operator decision;
	// required for RejectRequest, RejectDelivery, ReturnDelivery, Appeal,
	// Resume, Complete and Terminate; optional elsewhere.
	Reason string `json:"reason,omitempty"`
	// Description is the requirement description (SubmitRequest only,
	// 1–1000 characters).
	Description string `json:"description,omitempty"`
	// Result is the delivery result text (Deliver only, required).
	Result string `json:"result,omitempty"`
	// Attachments are file metadata: the request's files, the deliverables
	// or delivery proof, evidence for a rejection or appeal. Not taken by
	// Remind and AutoAccept. SaaS requests need at least one.
	Attachments []Attachment `json:"attachments,omitempty"`
	// EnablingTime is the actual service enabling time (Deliver only,
	// optional, not after now). The purchased term then starts there
	// instead of at acceptance.
	EnablingTime time.Time `json:"enabling_time,omitzero"`
	// ResumeStatus is where an operator resumes a frozen flow (Resume only;
	// empty means the status the appeal started from).
	ResumeStatus Status `json:"resume_status,omitempty"`
	// Refund tells the marketplace to refund the order (Terminate only).
	Refund bool `json:"refund,omitempty"`
}

// Validate checks the command on its own, without a flow: a known role and
// action, an actor ID, the texts and attachments the action takes, and no
// fields it does not take.
//
// Errors: *InputError (ErrInvalidInput) naming the offending field.
func (c Command) Validate() error {
	if !validRole(c.Actor.Role) {
		return &InputError{Field: "actor.role", Value: quoteShort(string(c.Actor.Role)), Reason: "unknown role"}
	}
	if err := validID("actor.id", c.Actor.ID); err != nil {
		return err
	}
	if !validAction(c.Action) {
		return &InputError{Field: "action", Value: quoteShort(string(c.Action)), Reason: "unknown action"}
	}
	if err := text("reason", c.Reason, reasonRequired(c.Action), MaxReason); err != nil {
		return err
	}
	if err := only(c.Action, SubmitRequest, "description", c.Description != ""); err != nil {
		return err
	}
	if err := only(c.Action, Deliver, "result", c.Result != ""); err != nil {
		return err
	}
	if err := only(c.Action, Deliver, "enabling_time", !c.EnablingTime.IsZero()); err != nil {
		return err
	}
	if err := only(c.Action, Resume, "resume_status", c.ResumeStatus != ""); err != nil {
		return err
	}
	if err := only(c.Action, Terminate, "refund", c.Refund); err != nil {
		return err
	}
	switch c.Action {
	case SubmitRequest:
		if err := text("description", c.Description, true, MaxDescription); err != nil {
			return err
		}
	case Deliver:
		if err := text("result", c.Result, true, MaxResult); err != nil {
			return err
		}
	case Resume:
		if c.ResumeStatus != "" {
			if _, err := ParseStatus(string(c.ResumeStatus)); err != nil {
				return &InputError{Field: "resume_status", Value: quoteShort(string(c.ResumeStatus)), Reason: "unknown status"}
			}
		}
	case Remind, AutoAccept:
		if len(c.Attachments) > 0 {
			return &InputError{Field: "attachments", Value: len(c.Attachments), Reason: "not taken by " + string(c.Action)}
		}
	}
	return validateAttachments(c.Attachments)
}

func reasonRequired(a Action) bool {
	switch a {
	case RejectRequest, RejectDelivery, ReturnDelivery, Appeal, Resume, Complete, Terminate:
		return true
	}
	return false
}

// only rejects a field set on an action that does not take it.
func only(a, takes Action, field string, set bool) error {
	if set && a != takes {
		return &InputError{Field: field, Value: "set", Reason: "only taken by " + string(takes)}
	}
	return nil
}

// text checks a free text: valid UTF-8, not blank when required, and at most
// max characters. Lengths are counted in runes, as the form counts them. The
// standard library's ASCII fast paths make this cheaper than one rune loop.
func text(field, s string, required bool, max int) error {
	if !utf8.ValidString(s) {
		return &InputError{Field: field, Value: "invalid UTF-8", Reason: "must be valid UTF-8"}
	}
	if required && strings.TrimSpace(s) == "" {
		return &InputError{Field: field, Value: `""`, Reason: "required"}
	}
	if len(s) > max { // a rune is at least one byte: only long texts need counting
		if n := utf8.RuneCountInString(s); n > max {
			return &InputError{Field: field, Value: n, Reason: fmt.Sprintf("at most %d characters", max)}
		}
	}
	return nil
}
