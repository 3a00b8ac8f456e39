package billing

import (
	"slices"
	"time"
)

// AutoRenewal is a buyer's auto-renewal settings for one resource.
type AutoRenewal struct {
	Enabled bool `json:"enabled"`
	// DaysBefore, when set, overrides the site's deduction day: 0 for the
	// expiry day, 1–7 for that many days before it.
	DaysBefore *int `json:"days_before,omitempty"`
	// Count is the renewal length in periods; 0 renews by the term's own
	// count.
	Count int `json:"count,omitempty"`
	// Limit caps the number of automatic renewals; 0 means until disabled.
	Limit int `json:"limit,omitempty"`
	// Done counts the automatic renewals made so far.
	Done int `json:"done,omitempty"`
	// DoNotRenew is the buyer's "do not renew after expiry": it blocks
	// auto-renewal.
	DoNotRenew bool `json:"do_not_renew,omitempty"`
}

// Validate checks the settings.
//
// Errors: *InputError (ErrInvalidInput).
func (a AutoRenewal) Validate() error {
	if a.DaysBefore != nil && (*a.DaysBefore < 0 || *a.DaysBefore > 7) {
		return &InputError{Field: "days_before", Value: *a.DaysBefore, Reason: "must be 0 (the expiry day) to 7"}
	}
	if a.Count < 0 || a.Limit < 0 || a.Done < 0 {
		return &InputError{Field: "count/limit/done", Value: [3]int{a.Count, a.Limit, a.Done}, Reason: "must not be negative"}
	}
	return nil
}

// AutoRenewState is everything the schedule depends on.
type AutoRenewState struct {
	Delivery Delivery      `json:"delivery"`
	Term     Term          `json:"term"`
	Settings AutoRenewal   `json:"settings"`
	Status   RenewalStatus `json:"status,omitzero"`
	// AccountFrozen is true for a customer account frozen by its reseller:
	// it cannot auto-renew.
	AccountFrozen bool `json:"account_frozen,omitempty"`
	// LastFailure is when the last deduction attempt for this term failed;
	// zero if none has.
	LastFailure time.Time `json:"last_failure,omitzero"`
}

// Validate checks the settings, the delivery method and that the term has
// an expiry.
//
// Errors: *InputError (ErrInvalidInput).
func (st AutoRenewState) Validate() error {
	if err := st.Settings.Validate(); err != nil {
		return err
	}
	if !st.Delivery.Valid() {
		return &InputError{Field: "delivery", Value: st.Delivery, Reason: "unknown delivery method"}
	}
	if st.Term.Expiry.IsZero() {
		return &InputError{Field: "term.expiry", Value: st.Term.Expiry, Reason: "must be set"}
	}
	return nil
}

// Attempt is a scheduled auto-renewal deduction.
type Attempt struct {
	// At is when to deduct; it may be before now when a runner is late,
	// meaning "due now".
	At time.Time `json:"at"`
	// Immediate is true when the deduction is due at once because no
	// regular slot remains before expiry (enabled on the expiry day).
	Immediate bool `json:"immediate,omitempty"`
	// Count is the renewal length in periods of the term's mode.
	Count int `json:"count"`
}

// CanChangeAutoRenew reports whether the buyer may enable, change or
// disable auto-renewal: yearly/monthly only, for a delivery method the site
// offers it for, and not on a delisted product (whose existing auto-renewal
// nevertheless continues).
//
// Errors: *InputError (ErrInvalidInput) for an unknown mode or delivery
// method; *NotAllowedError (ErrNotAllowed) with the reason.
func CanChangeAutoRenew(cfg Config, mode Mode, d Delivery, st RenewalStatus) error {
	const op = "change auto-renewal"
	switch {
	case !mode.Valid():
		return &InputError{Field: "mode", Value: mode, Reason: "unknown billing mode"}
	case !d.Valid():
		return &InputError{Field: "delivery", Value: d, Reason: "unknown delivery method"}
	case mode == PayPerUse:
		return &NotAllowedError{Op: op, Reason: ReasonPayPerUse}
	case mode == OneTime:
		return &NotAllowedError{Op: op, Reason: ReasonOneTime}
	case !slices.Contains(cfg.AutoRenewDeliveries, d):
		return &NotAllowedError{Op: op, Reason: ReasonAutoRenewDisabled}
	case st.Delisted:
		return &NotAllowedError{Op: op, Reason: ReasonDelisted}
	case st.Unsubscribed:
		return &NotAllowedError{Op: op, Reason: ReasonUnsubscribed}
	}
	return nil
}

// NextAutoRenewAttempt returns when the next auto-renewal deduction for st
// is due, given now. The first attempt is at cfg.AutoRenewHour platform time
// DaysBefore days before expiry (the last such slot before expiry if that
// one falls after it); after a failure, attempts repeat at the same hour
// daily until expiry. Enabled after the last slot before expiry, the
// deduction is immediate (the two edge cases of the expiry day). ok is false
// when nothing is scheduled: disabled, "do not renew", the renewal limit
// used up, not offered for the delivery method, not yearly/monthly, expired,
// unsubscribed, a frozen account, or every retry used up.
//
// Errors: *InputError (ErrInvalidInput) for bad settings, an unknown
// delivery method, a zero expiry or a zero now.
func NextAutoRenewAttempt(cfg Config, st AutoRenewState, now time.Time) (Attempt, bool, error) {
	if err := st.Validate(); err != nil {
		return Attempt{}, false, err
	}
	if now.IsZero() {
		return Attempt{}, false, &InputError{Field: "now", Value: now, Reason: "must be set"}
	}
	s := st.Settings
	expiry := st.Term.Expiry
	switch {
	case !s.Enabled, s.DoNotRenew, !st.Term.Mode.Prepaid(),
		s.Limit > 0 && s.Done >= s.Limit,
		!cfg.AutoRenewOffered(st.Delivery),
		st.Status.Unsubscribed, st.Status.UnpaidChangeOrder, st.Status.ChangingToPPU, st.AccountFrozen,
		!now.Before(expiry):
		return Attempt{}, false, nil
	}
	count := s.Count
	if count == 0 {
		count = max(st.Term.Count, 1)
	}
	days := cfg.AutoRenewDaysBefore
	if s.DaysBefore != nil {
		days = *s.DaysBefore
	}
	loc := cfg.loc()
	slot := func(t time.Time, addDays int) time.Time {
		y, m, d := t.In(loc).Date()
		return time.Date(y, m, d+addDays, cfg.AutoRenewHour, 0, 0, 0, loc)
	}
	// nextSlot is the first slot strictly after t.
	nextSlot := func(t time.Time) time.Time {
		if s := slot(t, 0); s.After(t) {
			return s
		}
		return slot(t, 1)
	}
	first := slot(expiry, -days)
	if !first.Before(expiry) {
		first = slot(expiry, 0)
		if !first.Before(expiry) {
			first = slot(expiry, -1)
		}
	}
	// A failure counts for this term only if it happened in this term's
	// window of attempts (which starts at most a day before the first
	// slot, for the immediate edge cases).
	if !st.LastFailure.IsZero() && st.LastFailure.After(first.Add(-24*time.Hour)) {
		next := nextSlot(st.LastFailure)
		if next.After(expiry) {
			return Attempt{}, false, nil
		}
		return Attempt{At: next.UTC(), Count: count}, true, nil
	}
	if !now.After(first) {
		return Attempt{At: first.UTC(), Count: count}, true, nil
	}
	next := slot(now, 0) // the first slot at or after now
	if next.Before(now) {
		next = slot(now, 1)
	}
	if next.After(expiry) {
		return Attempt{At: now.UTC(), Immediate: true, Count: count}, true, nil
	}
	return Attempt{At: next.UTC(), Count: count}, true, nil
}
