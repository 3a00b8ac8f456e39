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
