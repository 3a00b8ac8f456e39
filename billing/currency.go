package billing

import "strings"

// Currency is an ISO 4217 currency code such as "USD".
type Currency string

// Common currencies.
const (
	USD Currency = "USD"
	EUR Currency = "EUR"
	CNY Currency = "CNY"
	JPY Currency = "JPY"
)

// minorUnits is the number of decimal places of each known currency's minor
// unit (ISO 4217).
var minorUnits = map[Currency]int32{
	"USD": 2, "EUR": 2, "CNY": 2, "GBP": 2, "HKD": 2, "SGD": 2, "AUD": 2,
	"CAD": 2, "CHF": 2, "BRL": 2, "MXN": 2, "ZAR": 2, "THB": 2, "MYR": 2,
	"IDR": 2, "INR": 2, "PHP": 2, "TRY": 2, "SAR": 2, "AED": 2, "EGP": 2,
	"NZD": 2, "SEK": 2, "NOK": 2, "DKK": 2, "PLN": 2, "RUB": 2, "ARS": 2,
	"CLP": 0, "JPY": 0, "KRW": 0, "VND": 0, "ISK": 0, "HUF": 2, "CZK": 2,
	"KWD": 3, "BHD": 3, "OMR": 3, "JOD": 3, "TND": 3, "COP": 2, "PEN": 2,
}

// ParseCurrency returns the currency for an ISO 4217 code, case-insensitive.
//
// Errors: *CurrencyError (wrapping ErrUnknownCurrency) for an unknown code.
func ParseCurrency(code string) (Currency, error) {
	c := Currency(strings.ToUpper(strings.TrimSpace(code)))
	if _, ok := minorUnits[c]; !ok {
		return "", &CurrencyError{Code: code}
	}
	return c, nil
}

// Valid reports whether c is a known currency.
func (c Currency) Valid() bool { return c.MinorUnits() >= 0 }

// MinorUnits returns the number of decimal places of c's minor unit (2 for
// USD, 0 for JPY), or -1 for an unknown currency.
func (c Currency) MinorUnits() int32 {
	switch c { // the common currencies skip the map: money is hot
	case USD, EUR, CNY:
		return 2
	case JPY:
		return 0
	}
	n, ok := minorUnits[c]
	if !ok {
		return -1
	}
	return n
}

func (c Currency) String() string { return string(c) }
