package billing

import (
	"encoding/json"
	"time"

	"github.com/shopspring/decimal"
)

// RemainingPeriods returns the remaining duration of a yearly or monthly
// term that expires at expiry, changed at changeAt, in periods of mode, as
// the Huawei Cloud specification-change rules count it (platform dates, the
// change day excluded):
//
//   - monthly: the days left in the change month / its days, plus the whole
//     months between, plus the days of the final month up to the expiry
//     date / its days (2021-08-15→2021-11-15 changed 08-24:
//     7/31 + 2 + 15/30 = 2.72580645, about 2.73). The published example
//     prints this sum as "2.75 months", but its own terms do not add up
//     to that: 7/31 is 0.2258, not 0.25 (only 7/28 would give 2.75, and
//     August has 31 days), and no other day count (8/31 with the change
//     day: 2.76) or rounding of the terms (2.73, 2.7) gives 2.75 either.
//     We follow the stated rule and its terms, not the printed total;
//     ExampleRemainingPeriods shows both seed cases;
//   - yearly: the days after the change day up to the expiry date, Feb 29
//     not counted, / 365 (2023-11-01→2026-11-01 changed 2024-05-01:
//     914/365 = 2.50410959).
//
// Each division keeps IntermediatePlaces places, rounded half-up.
//
// Errors: *InputError (ErrInvalidInput) when mode is not yearly or
// monthly, a time is zero, or changeAt is after expiry.
func RemainingPeriods(cfg Config, mode Mode, changeAt, expiry time.Time) (decimal.Decimal, error) {
	return remainingPeriods(cfg.loc(), mode, changeAt, expiry)
}

func remainingPeriods(loc *time.Location, mode Mode, changeAt, expiry time.Time) (decimal.Decimal, error) {
	if !mode.Prepaid() {
		return decimal.Decimal{}, &InputError{Field: "mode", Value: mode, Reason: "only yearly and monthly terms are prorated"}
	}
	if changeAt.IsZero() || expiry.IsZero() {
		return decimal.Decimal{}, &InputError{Field: "change_at/expiry", Value: [2]time.Time{changeAt, expiry}, Reason: "must be set"}
	}
	if changeAt.After(expiry) {
		return decimal.Decimal{}, &InputError{Field: "change_at", Value: changeAt, Reason: "must not be after the expiry"}
	}
	cy, cm, cd := changeAt.In(loc).Date()
	ey, em, ed := expiry.In(loc).Date()
	if mode == Yearly {
		return decimal.NewFromInt(daysNoLeap(cy, cm, cd, ey, em, ed)).DivRound(days365, IntermediatePlaces), nil
	}
	if cy == ey && cm == em {
		return frac(int64(ed-cd), int64(daysIn(cy, cm))), nil
	}
	whole := (ey-cy)*12 + int(em-cm) - 1
	first := frac(int64(daysIn(cy, cm)-cd), int64(daysIn(cy, cm)))
	last := frac(int64(ed), int64(daysIn(ey, em)))
	return first.Add(last).Add(decimal.NewFromInt(int64(whole))), nil
}

var days365 = decimal.NewFromInt(365)

func frac(num, den int64) decimal.Decimal {
	return decimal.NewFromInt(num).DivRound(decimal.NewFromInt(den), IntermediatePlaces)
}

// daysNoLeap counts the days after c up to and including e, leaving out
// every Feb 29. It works on civil dates with integer arithmetic: this is on
// the hot path of every upgrade.
func daysNoLeap(cy int, cm time.Month, cd, ey int, em time.Month, ed int) int64 {
	return (civilDays(ey, em, ed) - leapDaysThrough(ey, em, ed)) - (civilDays(cy, cm, cd) - leapDaysThrough(cy, cm, cd))
}

// civilDays returns the day number of y-m-d in the proleptic Gregorian
// calendar (days since 1970-01-01), after H. Hinnant's days_from_civil.
func civilDays(y int, m time.Month, d int) int64 {
	yy := int64(y)
	if m <= 2 {
		yy--
	}
	era := yy / 400
	if yy < 0 && yy%400 != 0 {
		era--
	}
	yoe := yy - era*400
	mp := (int64(m) + 9) % 12
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

// leapDaysThrough counts the Feb 29s from year 1 up to and including y-m-d.
func leapDaysThrough(y int, m time.Month, d int) int64 {
	prev := int64(y - 1)
	n := prev/4 - prev/100 + prev/400
	if isLeap(y) && (m > time.February || (m == time.February && d == 29)) {
		n++
	}
	return n
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// UpgradeInput is a change of specification or quantity within a yearly or
// monthly term.
type UpgradeInput struct {
	Mode     Mode      `json:"mode"`
	Expiry   time.Time `json:"expiry"`    // the current term's expiry
	ChangeAt time.Time `json:"change_at"` // when the change is priced
	// From and FromQuantity are the current configuration; To and
	// ToQuantity the target (the same plan for a pure scale-out).
	From         PricePlan `json:"from"`
	FromQuantity int64     `json:"from_quantity"`
	To           PricePlan `json:"to"`
	ToQuantity   int64     `json:"to_quantity"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput), *CurrencyError,
// *MismatchError (ErrCurrencyMismatch).
func (in UpgradeInput) Validate() error { return in.validate() }

func (in *UpgradeInput) validate() error {
	if !in.Mode.Prepaid() {
		return &InputError{Field: "mode", Value: in.Mode, Reason: "only yearly and monthly terms can be upgraded"}
	}
	if err := in.From.validate(); err != nil {
		return err
	}
	if err := in.To.validate(); err != nil {
		return err
	}
	if in.From.Mode != in.Mode || in.To.Mode != in.Mode {
		return &InputError{Field: "plan.mode", Value: [2]Mode{in.From.Mode, in.To.Mode}, Reason: "must be the term's billing mode"}
	}
	if err := in.From.checkQuantity(in.FromQuantity); err != nil {
		return err
	}
	if err := in.To.checkQuantity(in.ToQuantity); err != nil {
		return err
	}
	if a, b := in.From.currency(), in.To.currency(); a != b {
		return &MismatchError{Op: "upgrade", Left: a, Right: b}
	}
	return nil
}

// Upgrade is an explained upgrade cost. Lines builds its explanation on
// demand.
type Upgrade struct {
	Mode Mode
	// Remaining is the remaining duration in periods of the mode.
	Remaining decimal.Decimal
	// From and To are the per-period prices of the current and the target
	// configuration (To after a fixed-price discount).
	From, To Money
	// FromQuantity and ToQuantity are the two quantities.
	FromQuantity, ToQuantity int64
	// Total is the amount due, rounded half-up to the minor unit; never
	// negative.
	Total Money

	discount Discount
	// diff is (new − old) × remaining, off the discount taken from it and
	// exact the unrounded total.
	diff, off, exact decimal.Decimal
}

// Lines returns the explanation, summing exactly to Total: the target
// configuration over the remaining duration, minus the current one, the
// discount (rate or amount off, capped so the cost is not negative), and the
// rounding to the minor unit.
func (u Upgrade) Lines() []LineItem {
	if !u.Total.Valid() {
		return nil
	}
	cur, per := u.Total.Currency, u.Mode.Period()
	// new × remaining − old × remaining is exactly diff: both products are
	// exact, so the two lines sum to it.
	newR := u.To.Amount.Mul(u.Remaining)
	lines := make([]LineItem, 2, 4)
	lines[0] = LineItem{Kind: LineRemaining, Label: "target configuration", Price: u.To, Per: per, Count: u.Remaining, Quantity: u.ToQuantity, Amount: Money{Amount: newR, Currency: cur}}
	lines[1] = LineItem{Kind: LineRemaining, Label: "current configuration", Price: u.From, Per: per, Count: u.Remaining, Quantity: u.FromQuantity, Amount: Money{Amount: u.diff.Sub(newR), Currency: cur}}
	switch d := u.discount; d.Kind {
	case DiscountRate:
		lines = append(lines, LineItem{Kind: LineDiscount, Price: Money{Amount: u.diff, Currency: cur}, Rate: d.Rate, Amount: Money{Amount: u.off.Neg(), Currency: cur}})
	case AmountOff:
		lines = append(lines, LineItem{Kind: LineAmountOff, Price: d.Amount, Amount: Money{Amount: u.off.Neg(), Currency: cur}})
	}
	if !u.exact.Equal(u.Total.Amount) {
		lines = append(lines, LineItem{Kind: LineRounding, Price: Money{Amount: u.exact, Currency: cur}, Amount: Money{Amount: u.Total.Amount.Sub(u.exact), Currency: cur}})
	}
	return lines
}

// UpgradeCost prices a change within a term: (new − old) × remaining ×
// (1 − discount rate), or (fixed new − old) × remaining for a fixed price,
// or (new − old) × remaining − amount off, with the target plan's discount.
// Prices are per period for the whole quantity under each plan's model
// (linear, tiered or volume), so a scale-out pays for the added units over
// the remaining time; a volume-priced scale-out on the same prices pays the
// added units at the unit price of the tier the new total falls in (the
// units already bought keep their price until renewal). The result is
// rounded half-up to the minor unit and never negative.
//
// Errors: *InputError (ErrInvalidInput) for bad input, *DowngradeError
// (ErrDowngrade) when the target costs less per period, *MismatchError
// (ErrCurrencyMismatch).
func UpgradeCost(cfg Config, in UpgradeInput) (Upgrade, error) {
	if err := in.validate(); err != nil {
		return Upgrade{}, err
	}
	rem, err := remainingPeriods(cfg.loc(), in.Mode, in.ChangeAt, in.Expiry)
	if err != nil {
		return Upgrade{}, err
	}
	var buf [4]band
	cur := in.From.currency()
	oldP := periodPrice(in.From.bands(in.FromQuantity, buf[:0]), cur)
	var newP Money
	d := in.To.Discount
	switch {
	case d.Kind == FixedPrice:
		newP = d.Price.MulInt(in.ToQuantity)
	case in.To.model() == Volume && in.ToQuantity > in.FromQuantity && samePrices(&in.From, &in.To):
		unit := in.To.bands(in.ToQuantity, buf[:0])[0].price
		newP = Money{Amount: oldP.Amount.Add(unit.Amount.Mul(decimal.NewFromInt(in.ToQuantity - in.FromQuantity))), Currency: cur}
	default:
		newP = periodPrice(in.To.bands(in.ToQuantity, buf[:0]), cur)
	}
	if newP.Amount.Cmp(oldP.Amount) < 0 {
		return Upgrade{}, &DowngradeError{From: oldP, To: newP}
	}
	u := Upgrade{Mode: in.Mode, Remaining: rem, From: oldP, To: newP, FromQuantity: in.FromQuantity, ToQuantity: in.ToQuantity, discount: d}
	// (new − old) × remaining: the two sides of the explanation (new ×
	// remaining, old × remaining) are only computed by Lines.
	u.diff = newP.Amount.Sub(oldP.Amount).Mul(rem)
	u.exact = u.diff
	switch {
	case d.Kind == DiscountRate && !d.Rate.IsZero():
		u.off = u.diff.Mul(d.Rate)
		u.exact = u.diff.Sub(u.off)
	case d.Kind == AmountOff && !d.Amount.IsZero():
		// The cost is never negative: the amount off is capped at the
		// price difference.
		u.off = decimal.Min(d.Amount.Amount, u.diff)
		u.exact = u.diff.Sub(u.off)
	default:
		u.discount = Discount{}
	}
	u.Total = Money{Amount: u.exact, Currency: cur}.RoundHalfUp()
	return u, nil
}

// MarshalJSON encodes the upgrade cost with its lines.
//
// Errors: none of its own; only encoding/json's.
func (u Upgrade) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Mode      Mode       `json:"mode"`
		Remaining string     `json:"remaining"`
		From      Money      `json:"from"`
		To        Money      `json:"to"`
		Lines     []LineItem `json:"lines"`
		Total     Money      `json:"total"`
	}{u.Mode, u.Remaining.String(), u.From, u.To, u.Lines(), u.Total})
}
