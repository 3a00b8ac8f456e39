package billing

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
)

// LineKind says what a line item of a quote, upgrade cost or refund is.
type LineKind string

// Line kinds.
const (
	LineSoftware       LineKind = "software"       // Price/Per × Count × Quantity
	LineInfrastructure LineKind = "infrastructure" // the VM flavor under an image: Price/Per × Count × Quantity
	LineDiscount       LineKind = "discount"       // −Price × Rate
	LineFixedPrice     LineKind = "fixed_price"    // Price/Per × Count × Quantity − the list amount (Rate holds the list amount)
	LineAmountOff      LineKind = "amount_off"     // −Price (capped so the order is not negative)
	LineRounding       LineKind = "rounding"       // the total rounded half-up to the currency's minor unit
	LineFloor          LineKind = "floor"          // brings a negative total up to zero
	LineRemaining      LineKind = "remaining"      // ±Price/Per × Count (the remaining duration): new minus current configuration
	LinePaid           LineKind = "paid"           // the amount paid for the order
	LineConsumed       LineKind = "consumed"       // −Price × Used/Of hours
	LineHandlingFee    LineKind = "handling_fee"   // −Price × Rate
	LineNegotiated     LineKind = "negotiated"     // the refund the buyer and seller agreed on
)

// LineItem is one step of a quote, upgrade cost or refund. It carries its
// inputs; Description and Formula render them on demand, so that computing
// a price formats no text. The Amounts of a result's lines sum exactly to
// its total.
type LineItem struct {
	Kind  LineKind
	Label string // what the line prices: specification, flavor or tier name
	// Price is the unit price (per Per) or the base amount a rate applies to.
	Price Money
	// Per is the period Price is quoted per; empty for a plain amount.
	Per Period
	// Count is the number of periods: whole for a quote, fractional for a
	// remaining duration.
	Count decimal.Decimal
	// Quantity is the number of units.
	Quantity int64
	// Rate is the fraction applied: a discount, a handling fee.
	Rate decimal.Decimal
	// Used and Of are the hours used and the order's hours of a consumption
	// line.
	Used, Of int64
	// Amount is the line's result, signed.
	Amount Money
}

func perSuffix(m Money, per Period) string {
	s := m.Display()
	switch per {
	case "":
		return s
	case PerOnce:
		return s + " one-time"
	}
	return s + "/" + string(per)
}

func (l LineItem) countText() string {
	unit := string(l.Per)
	if l.Per == PerOnce || l.Per == "" {
		return ""
	}
	return " × " + l.Count.String() + " " + unit + "(s)"
}

// Description renders the line as a buyer sees it, such as
// "$5.00 USD/month × 1 month(s)".
func (l LineItem) Description() string {
	var b strings.Builder
	if l.Label != "" {
		b.WriteString(l.Label)
		b.WriteString(": ")
	}
	switch l.Kind {
	case LineSoftware, LineInfrastructure, LineFixedPrice:
		if l.Kind == LineFixedPrice {
			b.WriteString("fixed price ")
		}
		b.WriteString(perSuffix(l.Price, l.Per))
		if !(l.Per == PerHour && l.Count.Equal(one)) {
			b.WriteString(l.countText())
		}
		if l.Quantity != 1 {
			b.WriteString(" × " + strconv.FormatInt(l.Quantity, 10) + " unit(s)")
		}
	case LineDiscount:
		b.WriteString("discount " + percent(l.Rate) + " of " + l.Price.Display())
	case LineHandlingFee:
		b.WriteString("handling fee " + percent(l.Rate) + " of " + l.Price.Display())
	case LineAmountOff:
		b.WriteString("amount off " + l.Price.Display())
	case LineRounding:
		b.WriteString("rounded half-up to " + strconv.Itoa(int(l.Amount.minor())) + " decimal places")
	case LineFloor:
		b.WriteString("a negative result is no refund")
	case LineRemaining:
		if l.Amount.IsNegative() {
			b.WriteString("−")
		}
		b.WriteString(perSuffix(l.Price, l.Per) + " × " + l.Count.String() + " " + string(l.Per) + "(s) remaining")
	case LinePaid:
		b.WriteString("paid " + l.Price.Display())
	case LineConsumed:
		b.WriteString("consumed " + l.Price.Display() + " × " + strconv.FormatInt(l.Used, 10) + " h / " + strconv.FormatInt(l.Of, 10) + " h")
	case LineNegotiated:
		b.WriteString("negotiated refund " + l.Amount.Display())
	}
	return b.String()
}

// Formula renders the line's arithmetic with its result, such as
// "5.00 × 1 × 1 = 5.00".
func (l LineItem) Formula() string {
	amt := l.Amount.AmountString()
	switch l.Kind {
	case LineSoftware, LineInfrastructure:
		return l.Price.AmountString() + " × " + l.Count.String() + " × " + strconv.FormatInt(l.Quantity, 10) + " = " + amt
	case LineFixedPrice:
		return l.Price.AmountString() + " × " + l.Count.String() + " × " + strconv.FormatInt(l.Quantity, 10) + " − " + l.Rate.String() + " = " + amt
	case LineDiscount, LineHandlingFee:
		return "−" + l.Price.AmountString() + " × " + l.Rate.String() + " = " + amt
	case LineAmountOff:
		return "−" + l.Price.AmountString() + " = " + amt
	case LineRemaining:
		f := l.Price.AmountString() + " × " + l.Count.String() + " = " + amt
		if l.Amount.IsNegative() {
			f = "−" + f
		}
		return f
	case LineConsumed:
		return "−" + l.Price.AmountString() + " × " + strconv.FormatInt(l.Used, 10) + " / " + strconv.FormatInt(l.Of, 10) + " = " + amt
	}
	return amt
}

// String renders "description = amount".
func (l LineItem) String() string { return l.Description() + " = " + l.Amount.Display() }

func percent(r decimal.Decimal) string { return r.Mul(hundred).String() + "%" }

// MarshalJSON encodes the line with its rendered description and formula,
// amounts as strings.
//
// Errors: none of its own; only encoding/json's.
func (l LineItem) MarshalJSON() ([]byte, error) {
	type input struct {
		Price    *Money `json:"price,omitempty"`
		Per      Period `json:"per,omitempty"`
		Count    string `json:"count,omitempty"`
		Quantity int64  `json:"quantity,omitempty"`
		Rate     string `json:"rate,omitempty"`
		Used     int64  `json:"used_hours,omitempty"`
		Of       int64  `json:"order_hours,omitempty"`
	}
	in := input{Per: l.Per, Quantity: l.Quantity, Used: l.Used, Of: l.Of}
	if l.Price.Valid() {
		in.Price = &l.Price
	}
	if !l.Count.IsZero() {
		in.Count = l.Count.String()
	}
	if !l.Rate.IsZero() {
		in.Rate = l.Rate.String()
	}
	return json.Marshal(struct {
		Kind        LineKind `json:"kind"`
		Label       string   `json:"label,omitempty"`
		Description string   `json:"description"`
		Formula     string   `json:"formula"`
		Inputs      input    `json:"inputs"`
		Amount      Money    `json:"amount"`
	}{l.Kind, l.Label, l.Description(), l.Formula(), in, l.Amount})
}
