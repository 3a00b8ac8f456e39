package billing_test

import (
	"errors"
	"testing"

	"github.com/opengallery/opengallery/billing"
)

func TestMode(t *testing.T) {
	tests := []struct {
		m       billing.Mode
		prepaid bool
		period  billing.Period
	}{
		{billing.PayPerUse, false, billing.PerHour},
		{billing.Monthly, true, billing.PerMonth},
		{billing.Yearly, true, billing.PerYear},
		{billing.OneTime, false, billing.PerOnce},
	}
	for _, tt := range tests {
		got, err := billing.ParseMode(string(tt.m))
		if err != nil || got != tt.m || got.Prepaid() != tt.prepaid || got.Period() != tt.period {
			t.Errorf("%s: %v %v prepaid %v period %s", tt.m, got, err, got.Prepaid(), got.Period())
		}
	}
	if _, err := billing.ParseMode("weekly"); !errors.Is(err, billing.ErrInvalidInput) {
		t.Errorf("err = %v", err)
	}
	if len(billing.Modes) != 4 {
		t.Errorf("Modes = %v", billing.Modes)
	}
}

func TestDelivery(t *testing.T) {
	for _, d := range billing.Deliveries {
		if got, err := billing.ParseDelivery(string(d)); err != nil || got != d {
			t.Errorf("%s: %v %v", d, got, err)
		}
	}
	var ie *billing.InputError
	if _, err := billing.ParseDelivery("drone"); !errors.As(err, &ie) || ie.Field != "delivery" || ie.Error() == "" {
		t.Errorf("err = %v", err)
	}
}

// FuzzParseModeAndDelivery checks that ParseMode and ParseDelivery return
// exactly the value their input spells, or an *InputError, never panic.
func FuzzParseModeAndDelivery(f *testing.F) {
	for _, s := range []string{"monthly", "pay_per_use", "image", "professional_service", "", "Monthly", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var ie *billing.InputError
		if m, err := billing.ParseMode(s); err != nil {
			if !errors.As(err, &ie) || !errors.Is(err, billing.ErrInvalidInput) {
				t.Fatalf("ParseMode(%q): untyped error %v", s, err)
			}
		} else if string(m) != s || !m.Valid() {
			t.Fatalf("ParseMode(%q) = %q", s, m)
		}
		if d, err := billing.ParseDelivery(s); err != nil {
			if !errors.As(err, &ie) || !errors.Is(err, billing.ErrInvalidInput) {
				t.Fatalf("ParseDelivery(%q): untyped error %v", s, err)
			}
		} else if string(d) != s || !d.Valid() {
			t.Fatalf("ParseDelivery(%q) = %q", s, d)
		}
	})
}
