package billing

import "fmt"

// Mode is a billing mode.
type Mode string

// The billing modes KooGallery offers.
const (
	PayPerUse Mode = "pay_per_use" // billed hourly in arrears
	Monthly   Mode = "monthly"     // prepaid, a count of months
	Yearly    Mode = "yearly"      // prepaid, a count of years
	OneTime   Mode = "one_time"    // buyout, no expiry
)

// Modes lists every billing mode in display order.
var Modes = []Mode{Yearly, Monthly, PayPerUse, OneTime}

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool {
	switch m {
	case PayPerUse, Monthly, Yearly, OneTime:
		return true
	}
	return false
}

// Prepaid reports whether m is yearly or monthly: the modes that expire,
// renew, auto-renew and can be unsubscribed.
func (m Mode) Prepaid() bool { return m == Monthly || m == Yearly }

// ParseMode parses a mode's string form.
//
// Errors: *InputError (ErrInvalidInput) for an unknown mode.
func ParseMode(s string) (Mode, error) {
	m := Mode(s)
	if !m.Valid() {
		return "", &InputError{Field: "billing_mode", Value: s, Reason: fmt.Sprintf("must be one of %v", Modes)}
	}
	return m, nil
}
