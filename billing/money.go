package billing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/shopspring/decimal"
)

// IntermediatePlaces is the minimum number of decimal places kept by
// intermediate results (divisions, ratios) before an amount is charged.
const IntermediatePlaces int32 = 8

// Money is an exact amount in one currency. The zero Money has no currency
// and is not valid; build values with NewMoney, ParseMoney or Zero.
type Money struct {
	Amount   decimal.Decimal
	Currency Currency
}

// NewMoney returns amount in currency.
//
// Errors: *CurrencyError for an unknown currency.
func NewMoney(amount decimal.Decimal, currency Currency) (Money, error) {
	if !currency.Valid() {
		return Money{}, &CurrencyError{Code: string(currency)}
	}
	return Money{Amount: amount, Currency: currency}, nil
}

// MustMoney parses "12.34" in currency and panics on error. It is meant for
// tests, examples and package-level tables of constants, never for user input.
func MustMoney(amount string, currency Currency) Money {
	d, err := decimal.NewFromString(amount)
	if err != nil {
		panic(err)
	}
	m, err := NewMoney(d, currency)
	if err != nil {
		panic(err)
	}
	return m
}

// Zero returns zero in currency.
func Zero(currency Currency) Money { return Money{Amount: decimal.Zero, Currency: currency} }

// ParseMoney parses "12.34 USD" (amount, one space, currency code) as
// written by String.
//
// Errors: *InputError (ErrInvalidInput) for a malformed amount or layout,
// *CurrencyError (ErrUnknownCurrency) for an unknown currency.
func ParseMoney(s string) (Money, error) {
	amount, code, ok := strings.Cut(strings.TrimSpace(s), " ")
	if !ok {
		return Money{}, &InputError{Field: "money", Value: s, Reason: `must be "<amount> <currency>"`}
	}
	cur, err := ParseCurrency(code)
	if err != nil {
		return Money{}, err
	}
	d, err := ParseAmount(amount)
	if err != nil {
		return Money{}, err
	}
	return Money{Amount: d, Currency: cur}, nil
}

// maxAmountDigits bounds the length of a parsed amount so that hostile input
// cannot make decimal arithmetic arbitrarily slow.
const maxAmountDigits = 40

// ParseAmount parses a plain decimal amount such as "12.34" or "-0.5". It
// rejects exponents, thousands separators, NaN, infinities and more than 40
// digits.
//
// Errors: *InputError (ErrInvalidInput).
func ParseAmount(s string) (decimal.Decimal, error) {
	bad := func(why string) (decimal.Decimal, error) {
		return decimal.Decimal{}, &InputError{Field: "amount", Value: s, Reason: why}
	}
	if s == "" {
		return bad("empty")
	}
	digits, dot := 0, false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '.' && !dot && i > 0:
			dot = true
		case (r == '-' || r == '+') && i == 0 && len(s) > 1:
		default:
			return bad("must be a plain decimal number")
		}
	}
	if digits == 0 || strings.HasSuffix(s, ".") {
		return bad("must be a plain decimal number")
	}
	if digits > maxAmountDigits {
		return bad("too many digits")
	}
	if s[0] == '.' || strings.HasPrefix(s, "-.") || strings.HasPrefix(s, "+.") {
		return bad("must be a plain decimal number")
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return bad("must be a plain decimal number")
	}
	return d, nil
}

// String formats m as "12.34 USD" with at least the currency's minor-unit
// places and no trailing zeros beyond them.
func (m Money) String() string {
	return m.AmountString() + " " + string(m.Currency)
}

// AmountString formats the amount with at least the currency's minor-unit
// places ("5.00", "5.0136", "900").
func (m Money) AmountString() string {
	places := max(m.Currency.MinorUnits(), 0)
	s := m.Amount.String() // exact, trailing zeros trimmed
	frac := 0
	if i := strings.IndexByte(s, '.'); i >= 0 {
		frac = len(s) - i - 1
	}
	if int32(frac) < places {
		return m.Amount.StringFixed(places)
	}
	return s
}

// Display formats m as a buyer sees it: "$5.00 USD" for dollars, otherwise
// "5.00 EUR".
func (m Money) Display() string {
	if m.Currency == USD {
		if m.Amount.IsNegative() {
			return "-$" + m.Abs().AmountString() + " USD"
		}
		return "$" + m.AmountString() + " USD"
	}
	return m.String()
}

// Valid reports whether m has a known currency.
func (m Money) Valid() bool { return m.Currency.Valid() }

// IsZero reports whether the amount is zero.
func (m Money) IsZero() bool { return m.Amount.IsZero() }

// IsNegative reports whether the amount is below zero.
func (m Money) IsNegative() bool { return m.Amount.IsNegative() }

// IsPositive reports whether the amount is above zero.
func (m Money) IsPositive() bool { return m.Amount.IsPositive() }

// Abs returns |m|.
func (m Money) Abs() Money { return Money{Amount: m.Amount.Abs(), Currency: m.Currency} }

// Neg returns -m.
func (m Money) Neg() Money { return Money{Amount: m.Amount.Neg(), Currency: m.Currency} }

func (m Money) same(op string, o Money) error {
	if m.Currency != o.Currency {
		return &MismatchError{Op: op, Left: m.Currency, Right: o.Currency}
	}
	return nil
}

// Add returns m + o.
//
// Errors: *MismatchError (ErrCurrencyMismatch).
func (m Money) Add(o Money) (Money, error) {
	if err := m.same("add", o); err != nil {
		return Money{}, err
	}
	return Money{Amount: m.Amount.Add(o.Amount), Currency: m.Currency}, nil
}

// Sub returns m - o.
//
// Errors: *MismatchError (ErrCurrencyMismatch).
func (m Money) Sub(o Money) (Money, error) {
	if err := m.same("sub", o); err != nil {
		return Money{}, err
	}
	return Money{Amount: m.Amount.Sub(o.Amount), Currency: m.Currency}, nil
}

// Cmp compares m and o: -1, 0 or +1.
//
// Errors: *MismatchError (ErrCurrencyMismatch).
func (m Money) Cmp(o Money) (int, error) {
	if err := m.same("compare", o); err != nil {
		return 0, err
	}
	return m.Amount.Cmp(o.Amount), nil
}

// Equal reports whether m and o have the same currency and numerically equal
// amounts.
func (m Money) Equal(o Money) bool {
	return m.Currency == o.Currency && m.Amount.Equal(o.Amount)
}

// Mul returns m × f, exact.
func (m Money) Mul(f decimal.Decimal) Money {
	return Money{Amount: m.Amount.Mul(f), Currency: m.Currency}
}

// MulInt returns m × n, exact.
func (m Money) MulInt(n int64) Money {
	return Money{Amount: m.Amount.Mul(decimal.NewFromInt(n)), Currency: m.Currency}
}

// RoundHalfUp rounds to the currency's minor unit, half away from zero:
// the rounding of every amount charged or refunded.
func (m Money) RoundHalfUp() Money {
	return Money{Amount: m.Amount.Round(m.minor()), Currency: m.Currency}
}

// RoundDown truncates toward zero at the currency's minor unit.
func (m Money) RoundDown() Money {
	return Money{Amount: m.Amount.Truncate(m.minor()), Currency: m.Currency}
}

func (m Money) minor() int32 {
	if p := m.Currency.MinorUnits(); p >= 0 {
		return p
	}
	return 2
}

// Sum adds amounts, which must share one currency. The sum of nothing is
// zero in fallback.
//
// Errors: *CurrencyError (ErrUnknownCurrency) when that currency (the
// first amount's, or fallback for none) is unknown; *MismatchError
// (ErrCurrencyMismatch) when the amounts' currencies differ.
func Sum(fallback Currency, ms ...Money) (Money, error) {
	total := Zero(fallback)
	if len(ms) > 0 {
		total = Zero(ms[0].Currency)
	}
	if !total.Valid() {
		return Money{}, &CurrencyError{Code: string(total.Currency)}
	}
	for _, m := range ms {
		var err error
		if total, err = total.Add(m); err != nil {
			return Money{}, err
		}
	}
	return total, nil
}

type moneyJSON struct {
	Amount   string   `json:"amount"`
	Currency Currency `json:"currency"`
}

// MarshalJSON encodes {"amount":"5.00","currency":"USD"}; the amount is a
// string so that no JSON reader turns it into a float.
//
// Errors: none of its own; only encoding/json's.
func (m Money) MarshalJSON() ([]byte, error) {
	amt := m.AmountString()
	if !plainJSON(amt) || !plainJSON(string(m.Currency)) {
		return json.Marshal(moneyJSON{Amount: amt, Currency: m.Currency})
	}
	// The bytes encoding/json writes for these strings, without its
	// reflection: money is in every document the marketplace stores.
	b := make([]byte, 0, len(moneyJSONPrefix)+len(amt)+len(moneyJSONMiddle)+len(m.Currency)+len(moneyJSONSuffix))
	b = append(b, moneyJSONPrefix...)
	b = append(b, amt...)
	b = append(b, moneyJSONMiddle...)
	b = append(b, m.Currency...)
	return append(b, moneyJSONSuffix...), nil
}

// The parts of the form MarshalJSON writes around the amount and the
// currency.
const (
	moneyJSONPrefix = `{"amount":"`
	moneyJSONMiddle = `","currency":"`
	moneyJSONSuffix = `"}`
)

// plainJSON reports whether s holds only letters, digits, '.', '+' and
// '-': characters that a JSON string holds as themselves.
func plainJSON[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || c == '.' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}

// parseMoneyJSON reads the exact form MarshalJSON writes when amount and
// currency are plain (plainJSON); ok is false for anything else, which
// encoding/json then reads.
func parseMoneyJSON(b []byte) (v moneyJSON, ok bool) {
	if len(b) < len(moneyJSONPrefix)+len(moneyJSONMiddle)+len(moneyJSONSuffix) ||
		string(b[:len(moneyJSONPrefix)]) != moneyJSONPrefix || string(b[len(b)-len(moneyJSONSuffix):]) != moneyJSONSuffix {
		return v, false
	}
	rest := b[len(moneyJSONPrefix) : len(b)-len(moneyJSONSuffix)]
	i := strings.Index(string(rest), moneyJSONMiddle)
	if i < 0 {
		return v, false
	}
	amt, cur := rest[:i], rest[i+len(moneyJSONMiddle):]
	if !plainJSON(amt) || !plainJSON(cur) {
		return v, false
	}
	return moneyJSON{Amount: string(amt), Currency: Currency(cur)}, true
}

// UnmarshalJSON decodes the form written by MarshalJSON, strictly: members
// other than amount and currency are refused.
//
// Errors: *InputError or *CurrencyError for malformed values (an unknown
// member is an *InputError on field "money"); *json.UnmarshalTypeError when
// the value is not an object or a member is not a string, to which
// encoding/json adds the path of the field being decoded.
func (m *Money) UnmarshalJSON(b []byte) error {
	v, ok := parseMoneyJSON(b)
	if !ok {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&v); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) {
				if te.Field == "" {
					te.Type = reflect.TypeFor[Money]()
				}
				te.Struct = ""
				return te
			}
			return &InputError{Field: "money", Value: string(b), Reason: fmt.Sprintf("malformed JSON: %v", err)}
		}
	}
	if v.Currency == "" && (v.Amount == "" || v.Amount == "0") {
		// The zero Money (an unset optional amount, such as a discount's
		// price) round-trips as itself.
		*m = Money{}
		return nil
	}
	cur, err := ParseCurrency(string(v.Currency))
	if err != nil {
		return err
	}
	d, err := ParseAmount(v.Amount)
	if err != nil {
		return err
	}
	*m = Money{Amount: d, Currency: cur}
	return nil
}
