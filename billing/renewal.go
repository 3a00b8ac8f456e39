package billing

import (
	"fmt"
	"time"
)

// RenewalStatus is what the marketplace knows about a resource that bears on
// whether it may be renewed.
type RenewalStatus struct {
	Unsubscribed      bool `json:"unsubscribed,omitempty"`        // unsubscribed: nothing left to renew
	UnpaidChangeOrder bool `json:"unpaid_change_order,omitempty"` // a specification-change order awaits payment
	Delisted          bool `json:"delisted,omitempty"`            // the product or specification is no longer sold
	ChangingToPPU     bool `json:"changing_to_ppu,omitempty"`     // changed, or being changed, to pay-per-use
}

// Renewable reports whether a resource billed under mode that expires at
// expiry may be renewed at now: yearly/monthly only, before release, and not
// unsubscribed, delisted, being changed to pay-per-use or with an unpaid
// specification-change order. One-time purchases do not expire.
//
// A zero expiry (a prepaid resource whose term never started) counts as
// released.
//
// Errors: *InputError (ErrInvalidInput) for an unknown mode or a zero now;
// *NotRenewableError (ErrNotRenewable) with the first reason that applies.
func Renewable(cfg Config, mode Mode, expiry, now time.Time, st RenewalStatus) error {
	if !mode.Valid() {
		return &InputError{Field: "mode", Value: mode, Reason: "unknown billing mode"}
	}
	if now.IsZero() {
		return &InputError{Field: "now", Value: now, Reason: "must be set"}
	}
	var r Reason
	switch {
	case mode == PayPerUse:
		r = ReasonPayPerUse
	case mode == OneTime:
		r = ReasonOneTime
	case st.Unsubscribed:
		r = ReasonUnsubscribed
	case LifecycleState(cfg, expiry, now) == Released:
		r = ReasonReleased
	case st.UnpaidChangeOrder:
		r = ReasonUnpaidChange
	case st.ChangingToPPU:
		r = ReasonPayPerUse
	case st.Delisted:
		r = ReasonDelisted
	default:
		return nil
	}
	return &NotRenewableError{Reason: r}
}

// RenewalInput is a manual (or automatic) renewal request.
type RenewalInput struct {
	// Term is the current term; its Expiry and AnchorDay drive the renewal.
	Term Term `json:"term"`
	// Count is the number of periods of Term.Mode to add.
	Count int `json:"count"`
	// Counts narrows the allowed counts (the plan's); zero means the site's.
	Counts CountRange `json:"counts,omitzero"`
	// UniformDay, when set (1–28 or LastDay), makes the renewed term end on
	// that day of the month: the first such day on or after the normal
	// expiry. It becomes the anchor of later renewals.
	UniformDay int           `json:"uniform_day,omitempty"`
	Now        time.Time     `json:"now"`
	Status     RenewalStatus `json:"status,omitzero"`
}

// Validate checks the input against cfg.
//
// Errors: *InputError (ErrInvalidInput).
func (in RenewalInput) Validate(cfg Config) error {
	if in.Term.Expiry.IsZero() {
		return &InputError{Field: "term.expiry", Value: in.Term.Expiry, Reason: "must be set"}
	}
	if in.Now.IsZero() {
		return &InputError{Field: "now", Value: in.Now, Reason: "must be set"}
	}
	if a := in.Term.AnchorDay; a != LastDay && (a < 0 || a > 31) {
		return &InputError{Field: "term.anchor_day", Value: a, Reason: "must be 0, 1–31 or -1 (last day)"}
	}
	if in.UniformDay != 0 && in.UniformDay != LastDay && (in.UniformDay < 1 || in.UniformDay > 28) {
		return &InputError{Field: "uniform_day", Value: in.UniformDay, Reason: "must be 1–28 or -1 (last day)"}
	}
	if in.Term.Mode.Prepaid() {
		if r := cfg.Counts(in.Term.Mode, in.Counts); !r.Contains(in.Count) {
			return &InputError{Field: "duration", Value: in.Count, Reason: fmt.Sprintf("must be %d to %d %s(s)", r.Min, r.Max, in.Term.Mode.Period())}
		}
	}
	return nil
}

// Renewal is the result of a renewal.
type Renewal struct {
	// Term is the renewed period: it starts at the previous expiry, never
	// at the renewal time, and ends at the new expiry.
	Term Term `json:"term"`
	// Consumed is the time already spent in grace or retention that the
	// renewal used up (zero when renewed before expiry); in JSON, in
	// nanoseconds as time.Duration encodes.
	Consumed time.Duration `json:"consumed,omitempty"`
	// Remaining is the time left at the renewal, for display.
	Remaining Remaining `json:"remaining"`
	// ExtraDays counts the days a uniform renewal day added beyond the
	// paid duration.
	ExtraDays int `json:"extra_days,omitempty"`
}

// Renew renews in.Term by in.Count periods: the new term starts at the old
// expiry (also in grace or retention, whose time is used up) and ends
// in.Count months or years later on the original day of month, clamped to
// month end, at 23:59:59 platform time. Expired 2024-04-30 (bought on the
// 31st), renewed 2024-05-18 for one month: expires 2024-05-31, 13 days left.
//
// Errors: *InputError (ErrInvalidInput) for bad input; *NotRenewableError
// (ErrNotRenewable) with the reason the resource cannot be renewed.
func Renew(cfg Config, in RenewalInput) (Renewal, error) {
	if err := in.Validate(cfg); err != nil {
		return Renewal{}, err
	}
	if err := Renewable(cfg, in.Term.Mode, in.Term.Expiry, in.Now, in.Status); err != nil {
		return Renewal{}, err
	}
	loc := cfg.loc()
	anchor := in.Term.AnchorDay
	if anchor == 0 {
		anchor = in.Term.Expiry.In(loc).Day()
	}
	start := in.Term.Expiry.UTC()
	exp := expiryAfter(loc, start, in.Term.Mode.months()*in.Count, anchor)
	extra := 0
	if in.UniformDay != 0 {
		anchor = in.UniformDay
		aligned := alignTo(loc, exp, in.UniformDay)
		extra = int(aligned.Sub(exp) / (24 * time.Hour))
		exp = aligned
	}
	var consumed time.Duration
	if in.Now.After(start) {
		consumed = in.Now.Sub(start)
	}
	return Renewal{
		Term:      Term{Mode: in.Term.Mode, Count: in.Count, Start: start, AnchorDay: anchor, Expiry: exp},
		Consumed:  consumed,
		Remaining: RemainingAt(exp, in.Now),
		ExtraDays: extra,
	}, nil
}

// alignTo returns the first end of day `day` (LastDay: month end) on or
// after exp's date, at 23:59:59 platform time, in UTC.
func alignTo(loc *time.Location, exp time.Time, day int) time.Time {
	y, m, d := exp.In(loc).Date()
	target := day
	if day == LastDay {
		target = daysIn(y, m)
	}
	if d > target {
		y, m, target = addMonths(y, m, 1, day)
	}
	return endOfDay(y, m, target, loc).UTC()
}
