package billing

import (
	"encoding/json"
	"time"

	"github.com/shopspring/decimal"
)

// RefundKind is the way an unsubscription is refunded.
type RefundKind string

// Refund kinds.
const (
	// InUse: paid − paid × used hours / order hours − handling fee (images).
	InUse RefundKind = "in_use"
	// FullRefund: the order has not taken effect yet (an inactive resource
	// or an unstarted renewal period): everything paid comes back.
	FullRefund RefundKind = "full"
	// Negotiated: the buyer proposes 0 < amount ≤ paid and the seller
	// agrees (supervised SaaS, licenses, professional services, hardware,
	// during the guarantee period).
	Negotiated RefundKind = "negotiated"
)

// UnsubscribeInput is what decides whether a resource may be unsubscribed.
type UnsubscribeInput struct {
	Delivery Delivery `json:"delivery"`
	// Supervised is true when delivery goes through service supervision.
	Supervised bool `json:"supervised,omitempty"`
	Mode       Mode `json:"mode"`
	Trial      bool `json:"trial,omitempty"`
	// Paid is the amount actually paid (cash coupons excluded); zero means
	// a free order.
	Paid Money `json:"paid"`
	// EffectiveAt is when the order takes or took effect; zero means it has.
	EffectiveAt time.Time `json:"effective_at,omitzero"`
	// Expiry is the current term's expiry.
	Expiry time.Time `json:"expiry,omitzero"`
	// Accepted is true once the buyer accepted the delivery: the guarantee
	// period is over.
	Accepted bool `json:"accepted,omitempty"`
	// Invoice is the state of the order's invoice.
	Invoice InvoiceState `json:"invoice,omitempty"`
	// InProgress is true while another order on the resource is open.
	InProgress bool `json:"in_progress,omitempty"`
	// Frozen is true for a frozen resource or account.
	Frozen bool `json:"frozen,omitempty"`
	// Unsubscribed is true once unsubscribed.
	Unsubscribed bool      `json:"unsubscribed,omitempty"`
	Now          time.Time `json:"now"`
}

// Validate checks that Now is set, the delivery method and billing mode are
// known, and a nonzero Paid is a non-negative amount in a known currency
// (Expiry is checked only once the rules get that far: a refusal needs no
// expiry).
//
// Errors: *InputError (ErrInvalidInput), *CurrencyError
// (ErrUnknownCurrency).
func (in UnsubscribeInput) Validate() error {
	if in.Now.IsZero() {
		return &InputError{Field: "now", Value: in.Now, Reason: "must be set"}
	}
	if !in.Delivery.Valid() {
		return &InputError{Field: "delivery", Value: in.Delivery, Reason: "unknown delivery method"}
	}
	if !in.Mode.Valid() {
		return &InputError{Field: "mode", Value: in.Mode, Reason: "unknown billing mode"}
	}
	if !in.Paid.IsZero() && !in.Paid.Valid() {
		return &CurrencyError{Code: string(in.Paid.Currency)}
	}
	if in.Paid.IsNegative() {
		return &InputError{Field: "paid", Value: in.Paid, Reason: "must not be negative"}
	}
	return nil
}

// UnsubscribeEligibility returns how a resource may be unsubscribed, or
// why it may not: images yearly/monthly are refunded in use (or in full
// before they take effect), pay-per-use never; SaaS without supervision
// never; supervised SaaS, licenses, professional services and hardware by a
// negotiated refund until the buyer accepts; content services, consulting
// and cloud hosts never; and never for trials, free or one-time purchases,
// while an issued invoice is not returned, with another transaction in
// progress, frozen, or after expiry.
//
// Errors: *NotRefundableError (ErrNotRefundable) with the first reason that
// applies; *InputError (ErrInvalidInput) for a zero Now or Expiry, an
// unknown delivery method or billing mode, or a negative Paid;
// *CurrencyError (ErrUnknownCurrency) for a Paid in an unknown currency.
func UnsubscribeEligibility(cfg Config, in UnsubscribeInput) (RefundKind, error) {
	if err := in.Validate(); err != nil {
		return "", err
	}
	no := func(r Reason) (RefundKind, error) { return "", &NotRefundableError{Reason: r} }
	switch {
	case in.Unsubscribed:
		return no(ReasonUnsubscribed)
	case in.Mode == PayPerUse:
		return no(ReasonPayPerUse)
	case !in.Mode.Prepaid():
		return no(ReasonOneTime)
	case in.Trial:
		return no(ReasonTrial)
	case !in.Paid.IsPositive():
		return no(ReasonFree)
	}
	kind := InUse
	switch in.Delivery {
	case Image:
		if !in.EffectiveAt.IsZero() && in.Now.Before(in.EffectiveAt) {
			kind = FullRefund
		}
	case SaaS, License, ProfessionalService, Hardware:
		if in.Delivery == SaaS && !in.Supervised {
			return no(ReasonNoSupervision)
		}
		if in.Accepted {
			return no(ReasonAccepted)
		}
		kind = Negotiated
	default:
		return no(ReasonDeliveryMethod)
	}
	switch {
	case in.Invoice.BlocksUnsubscription():
		return no(ReasonInvoiced)
	case in.InProgress:
		return no(ReasonInProgress)
	case in.Frozen:
		return no(ReasonFrozen)
	}
	if in.Expiry.IsZero() {
		return "", &InputError{Field: "expiry", Value: in.Expiry, Reason: "must be set"}
	}
	switch LifecycleState(cfg, in.Expiry, in.Now) {
	case Grace, Retention:
		return no(ReasonExpired)
	case Released:
		return no(ReasonReleased)
	}
	return kind, nil
}

// RefundInput is one paid order (the first purchase or one renewal) being
// unsubscribed.
type RefundInput struct {
	Mode Mode `json:"mode"`
	// Count is the order's length in periods (years matter for the fee).
	Count int `json:"count"`
	// Paid is the amount actually paid for the order, at minor-unit
	// precision.
	Paid Money `json:"paid"`
	// EffectiveAt is when the order took (or takes) effect: the purchase,
	// the acceptance, or for a renewal the previous expiry.
	EffectiveAt time.Time `json:"effective_at"`
	// Expiry is when the order's period ends (23:59:59 platform time).
	Expiry time.Time `json:"expiry"`
	// At is the unsubscription time.
	At time.Time `json:"at"`
	// FeeWaived is true when a framework contract waives the handling fee.
	FeeWaived bool `json:"fee_waived,omitempty"`
	// Label names the order in the explanation of a refund of several
	// orders (PeriodsRefund), such as its dates; InUseRefund ignores it.
	Label string `json:"label,omitempty"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput), *CurrencyError (ErrUnknownCurrency).
func (in RefundInput) Validate() error { return in.validate() }

func (in *RefundInput) validate() error {
	if !in.Mode.Prepaid() {
		return &InputError{Field: "mode", Value: in.Mode, Reason: "only yearly and monthly orders are refunded in use"}
	}
	if in.Count < 1 {
		return &InputError{Field: "duration", Value: in.Count, Reason: "must be at least 1"}
	}
	if err := checkPaid(in.Paid); err != nil {
		return err
	}
	if in.EffectiveAt.IsZero() || in.Expiry.IsZero() || in.At.IsZero() {
		return &InputError{Field: "effective_at/expiry/at", Value: [3]time.Time{in.EffectiveAt, in.Expiry, in.At}, Reason: "must be set"}
	}
	if !in.EffectiveAt.Before(in.Expiry) {
		return &InputError{Field: "expiry", Value: in.Expiry, Reason: "must be after the effective time"}
	}
	return nil
}

func checkPaid(p Money) error {
	if !p.Valid() {
		return &CurrencyError{Code: string(p.Currency)}
	}
	if p.IsNegative() || !inMinorUnits(p) {
		return &InputError{Field: "paid", Value: p, Reason: "must be a non-negative amount in the currency's minor unit"}
	}
	return nil
}

// Refund is an explained refund. Lines builds its explanation on demand.
type Refund struct {
	Kind RefundKind
	// Paid is the amount paid for the order.
	Paid Money
	// UsedHours and OrderHours are the whole hours used and the order's
	// whole hours (in-use refunds).
	UsedHours, OrderHours int64
	// Consumed is paid × used / order hours, exact to IntermediatePlaces
	// (in-use refunds).
	Consumed Money
	// FeeRate and Fee are the handling-fee rate and amount (in-use refunds).
	FeeRate decimal.Decimal
	Fee     Money
	// Total is the amount refunded, rounded half-up to the minor unit, in
	// [0, paid].
	Total Money
	// NeedsReview is true above the site's large-refund threshold.
	NeedsReview bool
	// Label names the order this refund is part of (a part of a refund of
	// several orders); every line of the part carries it.
	Label string
	// Parts are the refunds of each order a refund of several orders adds
	// up (PeriodsRefund), oldest first; nil for one order's refund.
	Parts []Refund
}

// Lines returns the explanation, summing exactly to Total: the amount paid,
// minus what was consumed and the handling fee, a floor at zero, and the
// rounding to the minor unit; or the full or negotiated refund. A refund of
// several orders lists each part's lines in turn, labelled with its order.
func (r Refund) Lines() []LineItem {
	if !r.Total.Valid() {
		return nil
	}
	if len(r.Parts) > 0 {
		var lines []LineItem
		for _, p := range r.Parts {
			lines = append(lines, p.Lines()...)
		}
		return lines
	}
	lines := r.orderLines()
	if r.Label != "" {
		for i := range lines {
			lines[i].Label = r.Label
		}
	}
	return lines
}

// orderLines explains one order's refund.
func (r Refund) orderLines() []LineItem {
	cur := r.Total.Currency
	switch r.Kind {
	case FullRefund:
		return []LineItem{{Kind: LinePaid, Price: r.Paid, Amount: r.Paid}}
	case Negotiated:
		return []LineItem{{Kind: LineNegotiated, Price: r.Paid, Amount: r.Total}}
	}
	lines := make([]LineItem, 3, 5)
	lines[0] = LineItem{Kind: LinePaid, Price: r.Paid, Amount: r.Paid}
	lines[1] = LineItem{Kind: LineConsumed, Price: r.Paid, Used: r.UsedHours, Of: r.OrderHours, Amount: r.Consumed.Neg()}
	lines[2] = LineItem{Kind: LineHandlingFee, Price: r.Paid, Rate: r.FeeRate, Amount: r.Fee.Neg()}
	exact := r.Paid.Amount.Sub(r.Consumed.Amount).Sub(r.Fee.Amount)
	if exact.IsNegative() {
		lines = append(lines, LineItem{Kind: LineFloor, Amount: Money{Amount: exact.Neg(), Currency: cur}})
		exact = decimal.Zero
	}
	if !exact.Equal(r.Total.Amount) {
		lines = append(lines, LineItem{Kind: LineRounding, Price: Money{Amount: exact, Currency: cur}, Amount: Money{Amount: r.Total.Amount.Sub(exact), Currency: cur}})
	}
	return lines
}

// hourFloor truncates t to the whole hour of its platform wall clock.
func hourFloor(loc *time.Location, t time.Time) time.Time {
	lt := t.In(loc)
	if _, off := lt.Zone(); off%3600 == 0 {
		// Whole-hour zones (GMT+08:00) share UTC's hour boundaries:
		// truncating the absolute time is the same and much cheaper.
		return t.Truncate(time.Hour)
	}
	y, m, d := lt.Date()
	return time.Date(y, m, d, lt.Hour(), 0, 0, 0, loc)
}

// InUseRefund computes the refund of an order unsubscribed at in.At:
// paid − paid × used hours / order hours − paid × handling-fee rate, hours
// counted whole from the hour the order took effect (10:30 → 10:00) to the
// hour of unsubscription (18:40 → 18:00) and to the end of the expiry
// second (23:59:59 → 00:00); a negative result is no refund. The fee is
// cfg.HandlingFees' rate for the term and the years used. An order not yet
// in effect (inactive, or an unstarted renewal period) is refunded in full.
// Refunds above cfg.RefundReviewThreshold need review.
//
// Bought 2024-01-01 10:30, expiring 2024-02-01 23:59:59, unsubscribed
// 2024-01-15 18:40: 344 of 758 hours used (14 d 8 h of 31 d 14 h).
//
// Errors: *InputError (ErrInvalidInput) for bad input; *NotRefundableError
// (ErrNotRefundable, ReasonExpired) when At is after the expiry.
func InUseRefund(cfg Config, in RefundInput) (Refund, error) {
	if err := in.validate(); err != nil {
		return Refund{}, err
	}
	if in.At.After(in.Expiry) {
		return Refund{}, &NotRefundableError{Reason: ReasonExpired}
	}
	cur := in.Paid.Currency
	if in.At.Before(in.EffectiveAt) {
		r := Refund{Kind: FullRefund, Paid: in.Paid, Consumed: Zero(cur), FeeRate: decimal.Zero, Fee: Zero(cur), Total: in.Paid}
		r.NeedsReview = cfg.needsReview(r.Total)
		return r, nil
	}
	loc := cfg.loc()
	start := hourFloor(loc, in.EffectiveAt)
	end := hourFloor(loc, in.Expiry.Add(time.Second))
	used := int64(hourFloor(loc, in.At).Sub(start) / time.Hour)
	order := int64(end.Sub(start) / time.Hour)
	if order < 1 {
		return Refund{}, &InputError{Field: "expiry", Value: in.Expiry, Reason: "the order must last at least one whole hour"}
	}
	used = min(max(used, 0), order)

	consumed := in.Paid.Amount.Mul(decimal.NewFromInt(used)).DivRound(decimal.NewFromInt(order), IntermediatePlaces)
	rate := decimal.Zero
	if !in.FeeWaived {
		years := 0
		// Only multi-year terms have a rate per year used.
		for in.Mode == Yearly && in.Count > 1 && in.EffectiveAt.AddDate(years+1, 0, 0).Before(in.At) {
			years++
		}
		rate = cfg.HandlingFees.Rate(in.Mode, in.Count, years)
	}
	fee := in.Paid.Amount.Mul(rate)
	total := Money{Amount: in.Paid.Amount.Sub(consumed).Sub(fee), Currency: cur}
	if total.IsNegative() {
		total = Zero(cur)
	}
	total = total.RoundHalfUp()
	return Refund{Kind: InUse, Paid: in.Paid, UsedHours: used, OrderHours: order,
		Consumed: Money{Amount: consumed, Currency: cur}, FeeRate: rate, Fee: Money{Amount: fee, Currency: cur},
		Total: total, NeedsReview: cfg.needsReview(total)}, nil
}

// NegotiatedRefund checks a negotiated refund: 0 < amount ≤ paid, in the
// same currency, at minor-unit precision. The seller's approval is the
// marketplace's business.
//
// Errors: *InputError (ErrInvalidInput), *CurrencyError (ErrUnknownCurrency),
// *MismatchError (ErrCurrencyMismatch).
func NegotiatedRefund(cfg Config, paid, amount Money) (Refund, error) {
	if err := checkPaid(paid); err != nil {
		return Refund{}, err
	}
	c, err := amount.Cmp(paid)
	if err != nil {
		return Refund{}, err
	}
	if !amount.IsPositive() || c > 0 || !inMinorUnits(amount) {
		return Refund{}, &InputError{Field: "refund", Value: amount, Reason: "must be more than 0 and at most the amount paid " + paid.String() + ", in the currency's minor unit"}
	}
	return Refund{Kind: Negotiated, Paid: paid, Consumed: Zero(paid.Currency), FeeRate: decimal.Zero, Fee: Zero(paid.Currency), Total: amount}, nil
}

// needsReview reports whether a refund must be reviewed before payment.
func (c *Config) needsReview(total Money) bool {
	t := c.RefundReviewThreshold
	if total.Currency != t.Currency {
		return total.IsPositive()
	}
	return greater(total.Amount, t.Amount)
}

// greater reports a > b for non-negative a and b. Comparing the number of
// integer digits first settles most cases without Cmp's rescaling
// allocation (a 44.62 refund against a 7000 threshold).
func greater(a, b decimal.Decimal) bool {
	ia, ib := intDigits(a), intDigits(b)
	if ia != ib && !a.IsZero() && !b.IsZero() {
		return ia > ib
	}
	return a.Cmp(b) > 0
}

// intDigits is the number of digits before the decimal point of a nonzero
// d (0 for |d| < 1).
func intDigits(d decimal.Decimal) int {
	return max(d.NumDigits()+int(d.Exponent()), 0)
}

// MarshalJSON encodes the refund with its lines.
//
// Errors: none of its own; only encoding/json's.
func (r Refund) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Kind        RefundKind `json:"kind"`
		Paid        Money      `json:"paid"`
		UsedHours   int64      `json:"used_hours,omitempty"`
		OrderHours  int64      `json:"order_hours,omitempty"`
		FeeRate     string     `json:"fee_rate,omitempty"`
		Lines       []LineItem `json:"lines"`
		Total       Money      `json:"total"`
		NeedsReview bool       `json:"needs_review"`
	}{r.Kind, r.Paid, r.UsedHours, r.OrderHours, rateString(r.FeeRate), r.Lines(), r.Total, r.NeedsReview})
}

func rateString(d decimal.Decimal) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// inMinorUnits reports whether m has no digits below its currency's minor
// unit ("100.00" and "100" do, "100.005" does not). The exponent answers
// without arithmetic in the usual case.
func inMinorUnits(m Money) bool {
	if m.Amount.Exponent() >= -m.minor() {
		return true
	}
	return m.Amount.Equal(m.RoundHalfUp().Amount)
}
