package billing

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"
)

// QuantityModel is how a quantity dimension (users, licenses, VMs) is
// priced.
type QuantityModel string

// Quantity pricing models.
const (
	// Linear: every unit costs UnitPrice.
	Linear QuantityModel = "linear"
	// Tiered (graduated): each unit costs the price of the tier it falls in.
	Tiered QuantityModel = "tiered"
	// Volume: every unit costs the price of the tier the total falls in.
	Volume QuantityModel = "volume"
)

// Tier is one band of a tiered or volume price: units up to and including
// UpTo cost UnitPrice per period. The last tier has UpTo 0 (no upper bound).
type Tier struct {
	UpTo      int64 `json:"up_to,omitempty"`
	UnitPrice Money `json:"unit_price"`
}

// DiscountKind is the kind of a price plan's discount.
type DiscountKind string

// Discount kinds, as in the Huawei Cloud upgrade formulas.
const (
	NoDiscount   DiscountKind = ""
	DiscountRate DiscountKind = "rate"        // Rate off the list price
	FixedPrice   DiscountKind = "fixed_price" // Price per unit per period instead of the list price
	AmountOff    DiscountKind = "amount_off"  // Amount off each order
)

// Discount is an optional discount on a price plan.
type Discount struct {
	Kind DiscountKind `json:"kind,omitempty"`
	// Rate is the fraction off for DiscountRate, in [0, 1): 0.2 is 20% off.
	Rate decimal.Decimal `json:"rate,omitzero"`
	// Price is the per-unit, per-period price for FixedPrice.
	Price Money `json:"price"`
	// Amount is taken off each order's software amount for AmountOff.
	Amount Money `json:"amount"`
}

// IsZero reports whether d is unset: no kind and no values. A plan without
// a discount leaves its Discount out of JSON.
func (d Discount) IsZero() bool {
	return d.Kind == NoDiscount && d.Rate.IsZero() && unset(d.Price) && unset(d.Amount)
}

// MarshalJSON encodes the discount with snake_case names, leaving out the
// amounts that are unset (a fixed price of "0.00 USD" is set and kept).
//
// Errors: none of its own; only encoding/json's.
func (d Discount) MarshalJSON() ([]byte, error) {
	return json.Marshal(d.plain())
}

// discountJSON is the JSON form of a Discount.
type discountJSON struct {
	Kind   DiscountKind    `json:"kind,omitempty"`
	Rate   decimal.Decimal `json:"rate,omitzero"`
	Price  *Money          `json:"price,omitempty"`
	Amount *Money          `json:"amount,omitempty"`
}

func (d Discount) plain() *discountJSON {
	return &discountJSON{d.Kind, d.Rate, optional(d.Price), optional(d.Amount)}
}

// PricePlan is a specification's price for one billing mode.
type PricePlan struct {
	Mode Mode `json:"mode"`
	// Model prices the quantity; empty means Linear.
	Model QuantityModel `json:"model,omitempty"`
	// UnitPrice is the price of one unit for one period (an hour for
	// pay-per-use, a month, a year, or once) under the Linear model.
	UnitPrice Money `json:"unit_price"`
	// Tiers price the quantity under the Tiered and Volume models, in
	// increasing UpTo order, the last one unbounded.
	Tiers []Tier `json:"tiers,omitempty"`
	// Quantity bounds the units a buyer may order; zero means 1 to
	// unbounded.
	Quantity CountRange `json:"quantity,omitzero"`
	// Counts narrows the allowed duration counts; zero means the site's.
	Counts CountRange `json:"counts,omitzero"`
	// Discount is optional.
	Discount Discount `json:"discount,omitzero"`
}

// MarshalJSON encodes the plan with snake_case names, leaving out what is
// unset: the unit price of a tiered plan (a linear unit price of
// "0.00 USD" is set and kept), the tiers, the ranges and the discount.
//
// Errors: none of its own; only encoding/json's.
func (p PricePlan) MarshalJSON() ([]byte, error) {
	return json.Marshal(p.plain())
}

// planJSON is the JSON form of a PricePlan: the same fields as its tags, in
// the same order, with the optional values as pointers. Pricing and
// PricePlan encode through it, and the discount is inlined, because
// encoding/json re-validates the output of every nested MarshalJSON.
type planJSON struct {
	Mode      Mode          `json:"mode"`
	Model     QuantityModel `json:"model,omitempty"`
	UnitPrice *Money        `json:"unit_price,omitempty"`
	Tiers     []Tier        `json:"tiers,omitempty"`
	Quantity  CountRange    `json:"quantity,omitzero"`
	Counts    CountRange    `json:"counts,omitzero"`
	Discount  *discountJSON `json:"discount,omitempty"`
}

func (p *PricePlan) plain() planJSON {
	var d *discountJSON
	if !p.Discount.IsZero() {
		d = p.Discount.plain()
	}
	return planJSON{p.Mode, p.Model, optional(p.UnitPrice), p.Tiers, p.Quantity, p.Counts, d}
}

// unset reports whether m is the zero Money (no currency, no amount), as
// opposed to a zero amount in a currency.
func unset(m Money) bool { return m.Currency == "" && m.Amount.IsZero() }

// optional returns nil for an unset m, so that JSON leaves it out.
func optional(m Money) *Money {
	if unset(m) {
		return nil
	}
	return &m
}

func (p *PricePlan) model() QuantityModel {
	if p.Model == "" {
		return Linear
	}
	return p.Model
}

// Currency returns the currency the plan is priced in.
func (p PricePlan) Currency() Currency { return p.currency() }

// The unexported methods of PricePlan take pointers: plans are copied a lot
// otherwise, and the rules are hot.
func (p *PricePlan) currency() Currency {
	if p.model() != Linear && len(p.Tiers) > 0 {
		return p.Tiers[0].UnitPrice.Currency
	}
	return p.UnitPrice.Currency
}

// Validate checks the plan.
//
// Errors: *InputError (ErrInvalidInput), *CurrencyError (ErrUnknownCurrency),
// *MismatchError (ErrCurrencyMismatch).
func (p PricePlan) Validate() error { return p.validate() }

func (p *PricePlan) validate() error {
	if !p.Mode.Valid() {
		return &InputError{Field: "mode", Value: p.Mode, Reason: "unknown billing mode"}
	}
	cur := p.currency()
	if !cur.Valid() {
		return &CurrencyError{Code: string(cur)}
	}
	price := func(field string, m Money) error {
		if m.Currency != cur {
			return &MismatchError{Op: field, Left: cur, Right: m.Currency}
		}
		if m.IsNegative() {
			return &InputError{Field: field, Value: m, Reason: "must not be negative"}
		}
		return nil
	}
	switch p.model() {
	case Linear:
		if len(p.Tiers) > 0 {
			return &InputError{Field: "tiers", Value: len(p.Tiers), Reason: "linear pricing takes no tiers"}
		}
		if err := price("unit_price", p.UnitPrice); err != nil {
			return err
		}
	case Tiered, Volume:
		if len(p.Tiers) == 0 {
			return &InputError{Field: "tiers", Value: 0, Reason: "tiered and volume pricing need tiers"}
		}
		var prev int64
		for i, t := range p.Tiers {
			if err := price("tiers.unit_price", t.UnitPrice); err != nil {
				return err
			}
			last := i == len(p.Tiers)-1
			if last != (t.UpTo == 0) || (!last && t.UpTo <= prev) {
				return &InputError{Field: "tiers.up_to", Value: t.UpTo, Reason: "must increase, and only the last tier is unbounded (0)"}
			}
			prev = t.UpTo
		}
	default:
		return &InputError{Field: "model", Value: p.Model, Reason: "must be linear, tiered or volume"}
	}
	if !p.Quantity.IsZero() && (p.Quantity.Min < 1 || p.Quantity.Max < p.Quantity.Min) {
		return &InputError{Field: "quantity", Value: p.Quantity, Reason: "must satisfy 1 <= min <= max"}
	}
	if !p.Counts.IsZero() {
		if !p.Mode.Prepaid() {
			return &InputError{Field: "counts", Value: p.Counts, Reason: "only yearly and monthly plans take duration counts"}
		}
		if p.Counts.Min < 1 || p.Counts.Max < p.Counts.Min {
			return &InputError{Field: "counts", Value: p.Counts, Reason: "must satisfy 1 <= min <= max"}
		}
	}
	switch p.Discount.Kind {
	case NoDiscount:
	case DiscountRate:
		if p.Discount.Rate.IsNegative() || !belowOne(p.Discount.Rate) {
			return &InputError{Field: "discount.rate", Value: p.Discount.Rate, Reason: "must be in [0, 1)"}
		}
	case FixedPrice:
		if err := price("discount.price", p.Discount.Price); err != nil {
			return err
		}
	case AmountOff:
		if err := price("discount.amount", p.Discount.Amount); err != nil {
			return err
		}
	default:
		return &InputError{Field: "discount.kind", Value: p.Discount.Kind, Reason: "unknown discount kind"}
	}
	return nil
}

// quantityRange returns the allowed quantities.
func (p *PricePlan) quantityRange() CountRange {
	if p.Quantity.IsZero() {
		return CountRange{1, int(^uint(0) >> 1)}
	}
	return p.Quantity
}

// checkQuantity validates a quantity against the plan.
func (p *PricePlan) checkQuantity(q int64) error {
	r := p.quantityRange()
	if q < 1 || q < int64(r.Min) || q > int64(r.Max) {
		return &InputError{Field: "quantity", Value: q, Reason: fmt.Sprintf("must be %d to %d", max(r.Min, 1), r.Max)}
	}
	return nil
}

// band is the part of a quantity priced at one unit price.
type band struct {
	from, to int64 // units from..to, inclusive
	price    Money
}

// bands splits quantity q into the bands it is priced in (one band for
// Linear and Volume). The plan and q must be valid.
func (p *PricePlan) bands(q int64, buf []band) []band {
	switch p.model() {
	case Tiered:
		var from int64 = 1
		for _, t := range p.Tiers {
			to := t.UpTo
			if to == 0 || to > q {
				to = q
			}
			if to >= from {
				buf = append(buf, band{from, to, t.UnitPrice})
			}
			if to == q {
				break
			}
			from = to + 1
		}
		return buf
	case Volume:
		for _, t := range p.Tiers {
			if t.UpTo == 0 || q <= t.UpTo {
				return append(buf, band{1, q, t.UnitPrice})
			}
		}
	}
	return append(buf, band{1, q, p.UnitPrice})
}

// PeriodPrice returns the list price of q units for one period (before
// any discount), exact.
//
// Errors: *InputError (ErrInvalidInput) for an invalid plan or quantity.
func (p PricePlan) PeriodPrice(q int64) (Money, error) {
	if err := p.validate(); err != nil {
		return Money{}, err
	}
	if err := p.checkQuantity(q); err != nil {
		return Money{}, err
	}
	var buf [4]band
	return periodPrice(p.bands(q, buf[:0]), p.currency()), nil
}

func periodPrice(bs []band, cur Currency) Money {
	var total decimal.Decimal
	for i, b := range bs {
		amt := b.price.Amount
		if n := b.to - b.from + 1; n != 1 {
			amt = amt.Mul(decimal.NewFromInt(n))
		}
		if i == 0 {
			total = amt
		} else {
			total = total.Add(amt)
		}
	}
	return Money{Amount: total, Currency: cur}
}

// samePrices reports whether two plans price quantities identically.
func samePrices(a, b *PricePlan) bool {
	if a.model() != b.model() || len(a.Tiers) != len(b.Tiers) || !a.UnitPrice.Equal(b.UnitPrice) {
		return false
	}
	for i := range a.Tiers {
		if a.Tiers[i].UpTo != b.Tiers[i].UpTo || !a.Tiers[i].UnitPrice.Equal(b.Tiers[i].UnitPrice) {
			return false
		}
	}
	return true
}

// Pricing is the set of price plans of one specification, at most one per
// billing mode, plus its trial.
type Pricing struct {
	Plans []PricePlan `json:"plans"`
	// TrialDays is the trial length offered on the yearly/monthly plans; 0
	// means no trial.
	TrialDays int `json:"trial_days,omitempty"`
}

// MarshalJSON encodes the pricing as its plans (each as PricePlan's
// MarshalJSON does) and trial days.
//
// Errors: none of its own; only encoding/json's.
func (s Pricing) MarshalJSON() ([]byte, error) {
	plans := make([]planJSON, len(s.Plans))
	for i := range s.Plans {
		plans[i] = s.Plans[i].plain()
	}
	if s.Plans == nil {
		plans = nil
	}
	return json.Marshal(struct {
		Plans     []planJSON `json:"plans"`
		TrialDays int        `json:"trial_days,omitempty"`
	}{plans, s.TrialDays})
}

// Plan returns the plan for mode.
//
// Errors: *PriceMissingError (ErrPriceMissing) when there is none.
func (s Pricing) Plan(mode Mode) (PricePlan, error) {
	p, err := s.plan(mode)
	if err != nil {
		return PricePlan{}, err
	}
	return *p, nil
}

// plan returns a pointer to the plan for mode in s.Plans.
func (s *Pricing) plan(mode Mode) (*PricePlan, error) {
	for i := range s.Plans {
		if s.Plans[i].Mode == mode {
			return &s.Plans[i], nil
		}
	}
	return nil, &PriceMissingError{Mode: mode}
}

// Validate checks every plan, that the plans share one currency and one
// plan per mode, and the trial: only for specifications with a yearly or
// monthly plan, and within cfg.TrialDays.
//
// Errors: *InputError (ErrInvalidInput), *CurrencyError,
// *MismatchError (ErrCurrencyMismatch).
func (s Pricing) Validate(cfg Config) error { return s.validate(&cfg) }

func (s *Pricing) validate(cfg *Config) error {
	if len(s.Plans) == 0 {
		return &InputError{Field: "plans", Value: 0, Reason: "a specification needs at least one price plan"}
	}
	var seenBuf [4]Mode // at most four modes: no map, no allocation
	seen := seenBuf[:0]
	prepaid := false
	for i := range s.Plans {
		p := &s.Plans[i]
		if err := p.validate(); err != nil {
			return err
		}
		if slices.Contains(seen, p.Mode) {
			return &InputError{Field: "plans.mode", Value: p.Mode, Reason: "one plan per billing mode"}
		}
		seen = append(seen, p.Mode)
		prepaid = prepaid || p.Mode.Prepaid()
		if c0, c := s.Plans[0].currency(), p.currency(); c != c0 {
			return &MismatchError{Op: fmt.Sprintf("plans[%d]", i), Left: c0, Right: c}
		}
	}
	if s.TrialDays != 0 {
		if !prepaid {
			return &InputError{Field: "trial_days", Value: s.TrialDays, Reason: "trials are offered only on yearly/monthly specifications"}
		}
		if !cfg.TrialDays.Contains(s.TrialDays) {
			return &InputError{Field: "trial_days", Value: s.TrialDays, Reason: fmt.Sprintf("must be %d to %d", cfg.TrialDays.Min, cfg.TrialDays.Max)}
		}
	}
	return nil
}

// TrialAllowed reports whether a trial may be bought under mode: the
// specification offers one and mode is yearly or monthly.
func (s Pricing) TrialAllowed(mode Mode) bool {
	if s.TrialDays == 0 || !mode.Prepaid() {
		return false
	}
	_, err := s.plan(mode)
	return err == nil
}

var (
	one     = decimal.NewFromInt(1)
	hundred = decimal.NewFromInt(100)
)

// belowOne reports whether |d| < 1 without allocating (Cmp would rescale):
// a nonzero d is below one when it has no more digits than decimal places.
func belowOne(d decimal.Decimal) bool {
	return d.IsZero() || d.NumDigits()+int(d.Exponent()) <= 0
}
