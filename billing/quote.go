package billing

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// Infrastructure is the VM flavor an image runs on: its price is added to
// the software price.
type Infrastructure struct {
	Flavor string `json:"flavor"`
	// Price is per period of the quoted mode: per hour for pay-per-use, per
	// month or year for yearly/monthly.
	Price Money `json:"price"`
}

// QuoteInput is what a buyer chose on the purchase page.
type QuoteInput struct {
	Pricing Pricing `json:"pricing"`
	Mode    Mode    `json:"mode"`
	// Count is the required duration in months or years; pay-per-use is
	// quoted for one hour and one-time once, so for them Count is 0 or 1.
	Count    int   `json:"count,omitempty"`
	Quantity int64 `json:"quantity"`
	// Infrastructure is the VM flavor for images; nil otherwise.
	Infrastructure *Infrastructure `json:"infrastructure,omitempty"`
	// Label names the specification on the software lines (optional).
	Label string `json:"label,omitempty"`
}

// validate checks the input against cfg and returns the plan for the mode.
func (in *QuoteInput) validate(cfg *Config) (*PricePlan, error) {
	if err := in.Pricing.validate(cfg); err != nil {
		return nil, err
	}
	if !in.Mode.Valid() {
		return nil, &InputError{Field: "mode", Value: in.Mode, Reason: "unknown billing mode"}
	}
	plan, err := in.Pricing.plan(in.Mode)
	if err != nil {
		return nil, err
	}
	// Pay-per-use and one-time may leave the count out (0).
	if r := cfg.counts(in.Mode, plan.Counts); (in.Mode.Prepaid() || in.Count != 0) && !r.Contains(in.Count) {
		return nil, &InputError{Field: "duration", Value: in.Count, Reason: fmt.Sprintf("must be %d to %d %s(s)", r.Min, r.Max, in.Mode.Period())}
	}
	if err := plan.checkQuantity(in.Quantity); err != nil {
		return nil, err
	}
	if inf := in.Infrastructure; inf != nil {
		if cur := plan.currency(); inf.Price.Currency != cur {
			return nil, &MismatchError{Op: "infrastructure price", Left: cur, Right: inf.Price.Currency}
		}
		if inf.Price.IsNegative() {
			return nil, &InputError{Field: "infrastructure.price", Value: inf.Price, Reason: "must not be negative"}
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
	_, err := in.validate(&cfg)
	return err
}

// Quote is a priced purchase: its total and the line items that explain
// it. The lines are built on demand by Lines, so that pricing a catalog
// page, which needs only totals, formats and allocates no explanation.
type Quote struct {
	Mode     Mode
	Count    int
	Quantity int64
	// Software is the software amount after its discount; Infrastructure
	// the VM flavor's (zero without one). Both are exact.
	Software, Infrastructure Money
	// Total is the amount charged, rounded half-up to the currency's minor
	// unit, for yearly, monthly and one-time purchases. For pay-per-use it
	// is the exact hourly rate (software + VM), which is not rounded: usage
	// is charged later from it.
	Total Money

	// what Lines needs to explain the quote
	plan      PricePlan
	label     string
	infra     *Infrastructure
	list, adj decimal.Decimal
	cnt       decimal.Decimal
	exact     Money
}

// Hourly reports whether Total is an hourly rate rather than an amount due.
func (q Quote) Hourly() bool { return q.Mode == PayPerUse }

// Lines returns the line items of the quote, whose amounts sum exactly to
// Total: one software line per priced band (one per tier for tiered
// pricing), the discount, the VM flavor, and the rounding to the minor unit
// when it changed the exact sum.
func (q Quote) Lines() []LineItem {
	if !q.Total.Valid() {
		return nil
	}
	cur, per := q.Total.Currency, q.Mode.Period()
	var bandBuf [4]band
	bands := q.plan.bands(q.Quantity, bandBuf[:0])
	lines := make([]LineItem, 0, len(bands)+3)
	for _, b := range bands {
		units := b.to - b.from + 1
		label := q.label
		amt := q.list
		if len(bands) > 1 || q.plan.model() == Tiered {
			label = tierLabel(q.label, b)
			amt = b.price.Amount.Mul(q.cnt).Mul(decimal.NewFromInt(units))
		}
		lines = append(lines, LineItem{Kind: LineSoftware, Label: label, Price: b.price, Per: per, Count: q.cnt, Quantity: units, Amount: Money{Amount: amt, Currency: cur}})
	}
	switch d := q.plan.Discount; d.Kind {
	case DiscountRate:
		lines = append(lines, LineItem{Kind: LineDiscount, Price: Money{Amount: q.list, Currency: cur}, Rate: d.Rate, Amount: Money{Amount: q.adj, Currency: cur}})
	case FixedPrice:
		lines = append(lines, LineItem{Kind: LineFixedPrice, Price: d.Price, Per: per, Count: q.cnt, Quantity: q.Quantity, Rate: q.list, Amount: Money{Amount: q.adj, Currency: cur}})
	case AmountOff:
		lines = append(lines, LineItem{Kind: LineAmountOff, Price: d.Amount, Amount: Money{Amount: q.adj, Currency: cur}})
	}
	if q.infra != nil {
		lines = append(lines, LineItem{Kind: LineInfrastructure, Label: q.infra.Flavor, Price: q.infra.Price, Per: per, Count: q.cnt, Quantity: q.Quantity, Amount: q.Infrastructure})
	}
	if !q.exact.Amount.Equal(q.Total.Amount) {
		lines = append(lines, LineItem{Kind: LineRounding, Price: q.exact, Amount: Money{Amount: q.Total.Amount.Sub(q.exact.Amount), Currency: cur}})
	}
	return lines
}

// CostDetails renders the cost details a buyer sees, such as
// "$5.00 USD/month × 1 month(s)", or for several lines their sum:
// "$5.00 USD/hour + s3.small.1: $0.0136 USD/hour = $5.0136 USD/hour".
func (q Quote) CostDetails() string {
	lines := q.Lines()
	if len(lines) == 1 {
		return lines[0].Description()
	}
	parts := make([]string, len(lines))
	for i, l := range lines {
		parts[i] = l.Description()
	}
	total := q.Total.Display()
	if q.Hourly() {
		total += "/hour"
	}
	return strings.Join(parts, " + ") + " = " + total
}

// MarshalJSON encodes the quote with its lines, cost details and total.
//
// Errors: none of its own; only encoding/json's.
func (q Quote) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Mode        Mode       `json:"mode"`
		Count       int        `json:"count"`
		Quantity    int64      `json:"quantity"`
		Lines       []LineItem `json:"lines"`
		CostDetails string     `json:"cost_details"`
		Hourly      bool       `json:"hourly"`
		Total       Money      `json:"total"`
	}{q.Mode, q.Count, q.Quantity, q.Lines(), q.CostDetails(), q.Hourly(), q.Total})
}

// NewQuote prices in under cfg: unit price × duration × quantity for the
// software (per tier for tiered pricing), its discount, plus the VM flavor
// for images, then the total rounded half-up to the minor unit (the lines
// carry an explicit rounding step so that they sum to the total).
// Pay-per-use quotes the exact hourly rate.
//
// Errors: *InputError (ErrInvalidInput) for a bad duration or quantity,
// *PriceMissingError (ErrPriceMissing) when the specification has no price
// for the mode, *CurrencyError (ErrUnknownCurrency), *MismatchError
// (ErrCurrencyMismatch).
func NewQuote(cfg Config, in QuoteInput) (Quote, error) {
	plan, err := in.validate(&cfg)
	if err != nil {
		return Quote{}, err
	}
	count := max(in.Count, 1)
	cur := plan.currency()
	cnt := decimal.NewFromInt(int64(count))
	var bandBuf [4]band
	// The list price of one period for the whole quantity, times the
	// duration: exact, so it equals the sum of the per-band lines.
	list := periodPrice(plan.bands(in.Quantity, bandBuf[:0]), cur).Amount.Mul(cnt)
	software, adj := list, decimal.Zero
	d := plan.Discount
	switch d.Kind {
	case DiscountRate:
		adj = list.Mul(d.Rate).Neg()
		software = list.Add(adj)
	case FixedPrice:
		software = d.Price.Amount.Mul(cnt).Mul(decimal.NewFromInt(in.Quantity))
		adj = software.Sub(list)
	case AmountOff:
		adj = decimal.Min(d.Amount.Amount, list).Neg()
		software = list.Add(adj)
	}
	q := Quote{Mode: in.Mode, Count: count, Quantity: in.Quantity,
		Software: Money{Amount: software, Currency: cur}, Infrastructure: Zero(cur),
		plan: *plan, label: in.Label, infra: in.Infrastructure, list: list, adj: adj, cnt: cnt}
	q.exact = q.Software
	if inf := in.Infrastructure; inf != nil {
		amt := inf.Price.Amount.Mul(cnt)
		if in.Quantity != 1 {
			amt = amt.Mul(decimal.NewFromInt(in.Quantity))
		}
		q.Infrastructure.Amount = amt
		q.exact.Amount = software.Add(amt)
	}
	q.Total = q.exact
	if in.Mode != PayPerUse {
		q.Total = q.exact.RoundHalfUp()
	}
	return q, nil
}

func tierLabel(spec string, b band) string {
	s := fmt.Sprintf("units %d–%d", b.from, b.to)
	if spec != "" {
		s = spec + " " + s
	}
	return s
}
