package billing

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Infrastructure is the VM flavor an image runs on: its price is added to
// the software price.
type Infrastructure struct {
	Flavor string
	// Price is per period of the quoted mode: per hour for pay-per-use, per
	// month or year for yearly/monthly.
	Price Money
}

// QuoteInput is what a buyer chose on the purchase page.
type QuoteInput struct {
	Pricing Pricing
	Mode    Mode
	// Count is the required duration in months or years; pay-per-use is
	// quoted for one hour and one-time once, so for them Count is 0 or 1.
	Count    int
	Quantity int64
	// Infrastructure is the VM flavor for images; nil otherwise.
	Infrastructure *Infrastructure
	// Label names the specification on the software lines (optional).
	Label string
}

// Validate checks the input against cfg and returns the plan for the mode.
func (in QuoteInput) validate(cfg Config) (PricePlan, error) {
	if err := in.Pricing.Validate(cfg); err != nil {
		return PricePlan{}, err
	}
	if !in.Mode.Valid() {
		return PricePlan{}, &InputError{Field: "mode", Value: in.Mode, Reason: "unknown billing mode"}
	}
	plan, err := in.Pricing.Plan(in.Mode)
	if err != nil {
		return PricePlan{}, err
	}
	if r := cfg.Counts(in.Mode, plan.Counts); !in.Mode.Prepaid() && in.Count == 0 {
		// pay-per-use and one-time may leave the count out
	} else if !r.Contains(in.Count) {
		return PricePlan{}, &InputError{Field: "duration", Value: in.Count, Reason: fmt.Sprintf("must be %d to %d %s(s)", r.Min, r.Max, in.Mode.Period())}
	}
	if err := plan.checkQuantity(in.Quantity); err != nil {
		return PricePlan{}, err
	}
	if inf := in.Infrastructure; inf != nil {
		if inf.Price.Currency != plan.Currency() {
			return PricePlan{}, &MismatchError{Op: "infrastructure price", Left: plan.Currency(), Right: inf.Price.Currency}
		}
		if inf.Price.IsNegative() {
			return PricePlan{}, &InputError{Field: "infrastructure.price", Value: inf.Price, Reason: "must not be negative"}
		}
	}
	return plan, nil
}

// Validate checks the input against cfg.
//
// Errors: *InputError (ErrInvalidInput) for a bad duration or quantity,
// *PriceMissingError (ErrPriceMissing), *CurrencyError (ErrUnknownCurrency),
// *MismatchError (ErrCurrencyMismatch).
func (in QuoteInput) Validate(cfg Config) error {
	_, err := in.validate(cfg)
	return err
}

// Quote is a priced purchase: line items and their exact sum.
type Quote struct {
	Mode     Mode
	Count    int
	Quantity int64
	Lines    []LineItem
	// Total is the amount charged, rounded half-up to the currency's minor
	// unit, for yearly, monthly and one-time purchases. For pay-per-use it
	// is the exact hourly rate (software + VM), which is not rounded: usage
	// is charged later from it.
	Total Money
}

// Hourly reports whether Total is an hourly rate rather than an amount due.
func (q Quote) Hourly() bool { return q.Mode == PayPerUse }

// CostDetails renders the cost details a buyer sees, such as
// "$5.00 USD/month × 1 month(s)", or for several lines their sum:
// "$5.00 USD/hour + s3.small.1: $0.0136 USD/hour = $5.0136 USD/hour".
func (q Quote) CostDetails() string {
	if len(q.Lines) == 1 {
		return q.Lines[0].Description()
	}
	parts := make([]string, len(q.Lines))
	for i, l := range q.Lines {
		parts[i] = l.Description()
	}
	total := q.Total.Display()
	if q.Hourly() {
		total += "/hour"
	}
	return strings.Join(parts, " + ") + " = " + total
}

// NewQuote prices in under cfg: unit price × duration × quantity for the
// software (per tier for tiered pricing), its discount, plus the VM flavor
// for images, then the total rounded half-up to the minor unit (an explicit
// rounding line keeps the lines summing to the total). Pay-per-use quotes
// the hourly rate.
//
// Errors: *InputError (ErrInvalidInput) for a bad duration or quantity,
// *PriceMissingError (ErrPriceMissing) when the specification has no price
// for the mode, *CurrencyError (ErrUnknownCurrency), *MismatchError
// (ErrCurrencyMismatch).
func NewQuote(cfg Config, in QuoteInput) (Quote, error) {
	plan, err := in.validate(cfg)
	if err != nil {
		return Quote{}, err
	}
	count := max(in.Count, 1)
	cnt := decimal.NewFromInt(int64(count))
	per := in.Mode.Period()
	cur := plan.Currency()

	var bandBuf [4]band
	bands := plan.bands(in.Quantity, bandBuf[:0])
	lines := make([]LineItem, 0, len(bands)+4)
	list := Zero(cur)
	for _, b := range bands {
		n := b.to - b.from + 1
		label := in.Label
		if plan.model() == Tiered {
			label = tierLabel(in.Label, b)
		}
		amt := b.price.Amount.Mul(cnt)
		if n != 1 {
			amt = amt.Mul(decimal.NewFromInt(n))
		}
		list.Amount = list.Amount.Add(amt)
		lines = append(lines, LineItem{Kind: LineSoftware, Label: label, Price: b.price, Per: per, Count: cnt, Quantity: n, Amount: Money{Amount: amt, Currency: cur}})
	}
	software := list
	switch d := plan.Discount; d.Kind {
	case DiscountRate:
		off := list.Amount.Mul(d.Rate).Neg()
		software.Amount = list.Amount.Add(off)
		lines = append(lines, LineItem{Kind: LineDiscount, Price: list, Rate: d.Rate, Amount: Money{Amount: off, Currency: cur}})
	case FixedPrice:
		fixed := d.Price.Amount.Mul(cnt).Mul(decimal.NewFromInt(in.Quantity))
		software.Amount = fixed
		lines = append(lines, LineItem{Kind: LineFixedPrice, Price: d.Price, Per: per, Count: cnt, Quantity: in.Quantity, Rate: list.Amount,
			Amount: Money{Amount: fixed.Sub(list.Amount), Currency: cur}})
	case AmountOff:
		off := decimal.Min(d.Amount.Amount, list.Amount)
		software.Amount = list.Amount.Sub(off)
		lines = append(lines, LineItem{Kind: LineAmountOff, Price: d.Amount, Amount: Money{Amount: off.Neg(), Currency: cur}})
	}
	total := software
	if inf := in.Infrastructure; inf != nil {
		amt := inf.Price.Amount.Mul(cnt)
		if in.Quantity != 1 {
			amt = amt.Mul(decimal.NewFromInt(in.Quantity))
		}
		total.Amount = total.Amount.Add(amt)
		lines = append(lines, LineItem{Kind: LineInfrastructure, Label: inf.Flavor, Price: inf.Price, Per: per, Count: cnt, Quantity: in.Quantity, Amount: Money{Amount: amt, Currency: cur}})
	}
	if in.Mode != PayPerUse {
		lines, total = roundTotal(lines, total)
	}
	return Quote{Mode: in.Mode, Count: count, Quantity: in.Quantity, Lines: lines, Total: total}, nil
}

func tierLabel(spec string, b band) string {
	s := fmt.Sprintf("units %d–%d", b.from, b.to)
	if spec != "" {
		s = spec + " " + s
	}
	return s
}
