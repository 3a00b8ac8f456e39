package billing

import (
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// CountRange is an inclusive range of allowed counts, such as the number of
// months a monthly specification may be bought for.
type CountRange struct {
	Min int `json:"min"`
	Max int `json:"max"`
}

// Contains reports whether n lies in the range.
func (r CountRange) Contains(n int) bool { return n >= r.Min && n <= r.Max }

// IsZero reports whether the range is unset.
func (r CountRange) IsZero() bool { return r.Min == 0 && r.Max == 0 }

func (r CountRange) validate(field string, lo, hi int) error {
	if r.Min < lo || r.Max > hi || r.Min > r.Max {
		return &InputError{Field: field, Value: r, Reason: fmt.Sprintf("must satisfy %d <= min <= max <= %d", lo, hi)}
	}
	return nil
}

// HandlingFees is the unsubscription handling-fee table, as fractions of the
// amount paid.
type HandlingFees struct {
	// Monthly applies to every monthly term.
	Monthly decimal.Decimal
	// Yearly maps a term length in years to the rate by years used: index 0
	// for up to one year used, 1 for one to two years, and so on. A term
	// without its own row uses the row of the longest shorter term; years
	// used beyond a row's end use its last rate.
	Yearly map[int][]decimal.Decimal
}

// Rate returns the handling-fee rate for a term of count periods of mode
// when yearsUsed whole years of it have been used.
func (h HandlingFees) Rate(mode Mode, count, yearsUsed int) decimal.Decimal {
	if mode != Yearly {
		return h.Monthly
	}
	row := h.Yearly[count]
	for term := count - 1; row == nil && term >= 1; term-- {
		row = h.Yearly[term]
	}
	if len(row) == 0 {
		return h.Monthly
	}
	return row[min(max(yearsUsed, 0), len(row)-1)]
}

func (h HandlingFees) validate() error {
	rateOK := func(r decimal.Decimal) bool { return !r.IsNegative() && r.Cmp(decimal.NewFromInt(1)) <= 0 }
	if !rateOK(h.Monthly) {
		return &InputError{Field: "handling_fees.monthly", Value: h.Monthly, Reason: "must be a fraction in [0, 1]"}
	}
	if len(h.Yearly[1]) == 0 {
		return &InputError{Field: "handling_fees.yearly", Value: h.Yearly, Reason: "must have a row for 1-year terms"}
	}
	for term, row := range h.Yearly {
		if term < 1 || len(row) == 0 || len(row) > term {
			return &InputError{Field: "handling_fees.yearly", Value: term, Reason: "each row needs 1 to term rates"}
		}
		for _, r := range row {
			if !rateOK(r) {
				return &InputError{Field: "handling_fees.yearly", Value: r, Reason: "must be a fraction in [0, 1]"}
			}
		}
	}
	return nil
}

// Config is the per-site configuration of the billing rules. Start from
// DefaultConfig and change what the site needs.
type Config struct {
	// Location is the platform time zone: expiry is 23:59:59 of the expiry
	// date here and auto-renewal runs at AutoRenewHour here.
	Location *time.Location
	// GraceDays and RetentionDays are the lengths of the two periods after
	// expiry (or after falling into arrears, for pay-per-use).
	GraceDays, RetentionDays int
	// Months and Years are the default allowed duration counts; a price
	// plan may narrow them.
	Months, Years CountRange
	// TrialDays is the allowed length of a trial.
	TrialDays CountRange
	// AutoRenewDaysBefore is the default deduction day: 0 for the expiry
	// day, 1 to 7 for that many days before it.
	AutoRenewDaysBefore int
	// AutoRenewHour is the hour of day (platform time) of every deduction
	// attempt.
	AutoRenewHour int
	// AutoRenewDeliveries lists the delivery methods whose yearly/monthly
	// purchases may auto-renew.
	AutoRenewDeliveries []Delivery
	// RefundReviewThreshold: refunds above it need review before they are
	// paid. Refunds in another currency are always flagged, since billing
	// does not convert currencies.
	RefundReviewThreshold Money
	// RefundReviewAutoApprove, when positive, is how long a flagged refund
	// waits for review before it is approved automatically (EU: 24 h);
	// zero means it waits for a reviewer.
	RefundReviewAutoApprove time.Duration
	// HandlingFees is the unsubscription handling-fee table.
	HandlingFees HandlingFees
}

// PlatformZone is the default platform time zone, GMT+08:00 (a fixed zone:
// the zone of the rules has no daylight saving).
var PlatformZone = time.FixedZone("GMT+08:00", 8*60*60)

// DefaultConfig returns the international-site rules: GMT+08:00, 15 days of
// grace and 15 of retention, 1–9 months and 1–3 years, trials of 3–180 days,
// auto-renewal 7 days before expiry at 03:00 for images, licenses and
// professional services, review above 7,000 USD, and the handling fees 10%
// (monthly and 1-year terms) and 15% / 10% / 5% (multi-year terms by years
// used).
func DefaultConfig() Config {
	p := decimal.RequireFromString
	return Config{
		Location:              PlatformZone,
		GraceDays:             15,
		RetentionDays:         15,
		Months:                CountRange{1, 9},
		Years:                 CountRange{1, 3},
		TrialDays:             CountRange{3, 180},
		AutoRenewDaysBefore:   7,
		AutoRenewHour:         3,
		AutoRenewDeliveries:   []Delivery{Image, License, ProfessionalService},
		RefundReviewThreshold: MustMoney("7000", USD),
		HandlingFees: HandlingFees{
			Monthly: p("0.10"),
			Yearly: map[int][]decimal.Decimal{
				1: {p("0.10")},
				2: {p("0.15"), p("0.10")},
				3: {p("0.15"), p("0.10"), p("0.05")},
			},
		},
	}
}

// Validate checks every field.
//
// Errors: *InputError (ErrInvalidInput) naming the first bad field.
func (c Config) Validate() error {
	if c.Location == nil {
		return &InputError{Field: "location", Value: nil, Reason: "must be set"}
	}
	if c.GraceDays < 0 || c.RetentionDays < 0 {
		return &InputError{Field: "grace_days/retention_days", Value: [2]int{c.GraceDays, c.RetentionDays}, Reason: "must not be negative"}
	}
	if err := c.Months.validate("months", 1, 120); err != nil {
		return err
	}
	if err := c.Years.validate("years", 1, 100); err != nil {
		return err
	}
	if err := c.TrialDays.validate("trial_days", 1, 3660); err != nil {
		return err
	}
	if c.AutoRenewDaysBefore < 0 || c.AutoRenewDaysBefore > 7 {
		return &InputError{Field: "auto_renew_days_before", Value: c.AutoRenewDaysBefore, Reason: "must be 0 (the expiry day) to 7"}
	}
	if c.AutoRenewHour < 0 || c.AutoRenewHour > 23 {
		return &InputError{Field: "auto_renew_hour", Value: c.AutoRenewHour, Reason: "must be 0 to 23"}
	}
	for _, d := range c.AutoRenewDeliveries {
		if !d.Valid() {
			return &InputError{Field: "auto_renew_deliveries", Value: d, Reason: "unknown delivery method"}
		}
	}
	if !c.RefundReviewThreshold.Valid() || c.RefundReviewThreshold.IsNegative() {
		return &InputError{Field: "refund_review_threshold", Value: c.RefundReviewThreshold, Reason: "must be a non-negative amount in a known currency"}
	}
	if c.RefundReviewAutoApprove < 0 {
		return &InputError{Field: "refund_review_auto_approve", Value: c.RefundReviewAutoApprove, Reason: "must not be negative"}
	}
	return c.HandlingFees.validate()
}

// Counts returns the allowed duration counts for mode: months or years from
// the configuration, narrowed by plan when plan sets its own; pay-per-use
// and one-time take no count (0 or 1).
func (c Config) Counts(mode Mode, plan CountRange) CountRange { return c.counts(mode, plan) }

func (c *Config) counts(mode Mode, plan CountRange) CountRange {
	if !plan.IsZero() {
		return plan
	}
	switch mode {
	case Monthly:
		return c.Months
	case Yearly:
		return c.Years
	}
	return CountRange{0, 1}
}

// AutoRenewOffered reports whether yearly/monthly purchases delivered by d
// may auto-renew on this site.
func (c *Config) AutoRenewOffered(d Delivery) bool { return slices.Contains(c.AutoRenewDeliveries, d) }

// loc returns the platform location, UTC+8 if unset.
func (c *Config) loc() *time.Location {
	if c.Location == nil {
		return PlatformZone
	}
	return c.Location
}
