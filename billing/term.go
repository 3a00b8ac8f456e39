package billing

import (
	"fmt"
	"time"
)

// LastDay, as an anchor or uniform renewal day, means the last day of each
// month.
const LastDay = -1

// daysIn returns the number of days of month m of year y.
func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if isLeap(y) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

// addMonths returns the date n months after y-m, on day anchor clamped to the
// month's length (LastDay or any anchor ≥ 28 that exceeds it means the last
// day).
func addMonths(y int, m time.Month, n, anchor int) (int, time.Month, int) {
	t := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	y, m = t.Year(), t.Month()
	d := daysIn(y, m)
	if anchor == LastDay || anchor > d {
		return y, m, d
	}
	return y, m, anchor
}

// endOfDay returns 23:59:59 of y-m-d in loc.
func endOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	return time.Date(y, m, d, 23, 59, 59, 0, loc)
}

// ExpiryAfter returns when a term of count periods of mode that starts at
// start expires: start's date in the platform zone plus count months or
// years, on anchorDay (0 means start's own day of month; LastDay the last
// day) clamped to the month's end, at 23:59:59 platform time. The result is
// in UTC. Bought 2024-03-31 for a month: 2024-04-30 23:59:59 GMT+08:00.
//
// Errors: *InputError (ErrInvalidInput) when mode is not yearly or monthly,
// count < 1, anchorDay is not 0, LastDay or 1–31, or start is zero.
func ExpiryAfter(cfg Config, start time.Time, mode Mode, count, anchorDay int) (time.Time, error) {
	if !mode.Prepaid() {
		return time.Time{}, &InputError{Field: "mode", Value: mode, Reason: "only yearly and monthly terms expire"}
	}
	if count < 1 {
		return time.Time{}, &InputError{Field: "duration", Value: count, Reason: "must be at least 1"}
	}
	if anchorDay != LastDay && (anchorDay < 0 || anchorDay > 31) {
		return time.Time{}, &InputError{Field: "anchor_day", Value: anchorDay, Reason: "must be 0, 1–31 or -1 (last day)"}
	}
	if start.IsZero() {
		return time.Time{}, &InputError{Field: "start", Value: start, Reason: "must be set"}
	}
	return expiryAfter(cfg.loc(), start, mode.months()*count, anchorDay), nil
}

func expiryAfter(loc *time.Location, start time.Time, months, anchor int) time.Time {
	y, m, d := start.In(loc).Date()
	if anchor == 0 {
		anchor = d
	}
	y, m, d = addMonths(y, m, months, anchor)
	return endOfDay(y, m, d, loc).UTC()
}

// TrialExpiry returns when a trial of days days that starts at start ends:
// 23:59:59 platform time, days calendar days after start's date.
//
// Errors: *InputError (ErrInvalidInput) when days is outside cfg.TrialDays
// or start is zero.
func TrialExpiry(cfg Config, start time.Time, days int) (time.Time, error) {
	if !cfg.TrialDays.Contains(days) {
		return time.Time{}, &InputError{Field: "trial_days", Value: days, Reason: fmt.Sprintf("must be %d to %d", cfg.TrialDays.Min, cfg.TrialDays.Max)}
	}
	if start.IsZero() {
		return time.Time{}, &InputError{Field: "start", Value: start, Reason: "must be set"}
	}
	y, m, d := start.In(cfg.loc()).Date()
	return endOfDay(y, m, d+days, cfg.loc()).UTC(), nil
}

// StartInput says when an order was paid and, for supervised products,
// whether and when it was accepted or enabled.
type StartInput struct {
	PaidAt time.Time `json:"paid_at"`
	// Supervised is true when delivery goes through service supervision
	// (licenses, professional services, supervised SaaS).
	Supervised bool `json:"supervised,omitempty"`
	// AcceptedAt is when the buyer accepted the delivery; zero if not yet.
	AcceptedAt time.Time `json:"accepted_at,omitzero"`
	// EnabledAt is the enabling time the seller stated; zero if none.
	EnabledAt time.Time `json:"enabled_at,omitzero"`
}

// TermStart returns when a yearly/monthly term starts: at payment, or for
// supervised products at the seller's stated enabling time if there is one,
// otherwise at acceptance (paid 1 Jan, accepted 1 Mar: the year runs from
// 1 Mar). ok is false while a supervised term has not started.
//
// Errors: *InputError (ErrInvalidInput) when PaidAt is zero, or AcceptedAt
// or EnabledAt is set but before PaidAt (a term cannot start before it is
// paid for).
func TermStart(in StartInput) (start time.Time, ok bool, err error) {
	if in.PaidAt.IsZero() {
		return time.Time{}, false, &InputError{Field: "paid_at", Value: in.PaidAt, Reason: "must be set"}
	}
	if !in.AcceptedAt.IsZero() && in.AcceptedAt.Before(in.PaidAt) {
		return time.Time{}, false, &InputError{Field: "accepted_at", Value: in.AcceptedAt, Reason: "must not be before paid_at"}
	}
	if !in.EnabledAt.IsZero() && in.EnabledAt.Before(in.PaidAt) {
		return time.Time{}, false, &InputError{Field: "enabled_at", Value: in.EnabledAt, Reason: "must not be before paid_at"}
	}
	switch {
	case !in.Supervised:
		return in.PaidAt, true, nil
	case !in.EnabledAt.IsZero():
		return in.EnabledAt, true, nil
	case !in.AcceptedAt.IsZero():
		return in.AcceptedAt, true, nil
	}
	return time.Time{}, false, nil
}

// Term is a yearly/monthly subscription term.
type Term struct {
	Mode  Mode      `json:"mode"`
	Count int       `json:"count"`
	Start time.Time `json:"start"` // UTC
	// AnchorDay is the day of month the term and its renewals end on (the
	// start's day, or a uniform renewal day; LastDay for month end).
	AnchorDay int       `json:"anchor_day"`
	Expiry    time.Time `json:"expiry"` // UTC, 23:59:59 platform time
}

// NewTerm returns the term of count periods of mode starting at start,
// anchored on start's day of month.
//
// Errors: as ExpiryAfter.
func NewTerm(cfg Config, start time.Time, mode Mode, count int) (Term, error) {
	exp, err := ExpiryAfter(cfg, start, mode, count, 0)
	if err != nil {
		return Term{}, err
	}
	return Term{Mode: mode, Count: count, Start: start.UTC(), AnchorDay: start.In(cfg.loc()).Day(), Expiry: exp}, nil
}

// Remaining is the time left before expiry, for display.
type Remaining struct {
	Days  int `json:"days"`  // whole days left
	Hours int `json:"hours"` // whole hours left beyond Days
}

// RemainingAt returns the time left from now until expiry, in whole days
// and hours (zero once expired). Purchased 2020-09-01 02:26:48 UTC, expiring
// 2020-10-01 15:59:59 UTC: 30 days.
func RemainingAt(expiry, now time.Time) Remaining {
	d := expiry.Sub(now)
	if d <= 0 {
		return Remaining{}
	}
	h := int(d / time.Hour)
	return Remaining{Days: h / 24, Hours: h % 24}
}

// String renders "30 days", "1 day", or "5 hours" under a day.
func (r Remaining) String() string {
	switch {
	case r.Days == 1:
		return "1 day"
	case r.Days > 1:
		return fmt.Sprintf("%d days", r.Days)
	case r.Hours == 1:
		return "1 hour"
	}
	return fmt.Sprintf("%d hours", r.Hours)
}
