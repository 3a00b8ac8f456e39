package billing_test

import (
	"errors"
	"testing"

	"github.com/opengallery/opengallery/billing"
)

func TestCurrency(t *testing.T) {
	tests := []struct {
		code  string
		want  billing.Currency
		minor int32
	}{
		{"USD", billing.USD, 2}, {"eur", billing.EUR, 2}, {" cny ", billing.CNY, 2}, {"JPY", billing.JPY, 0}, {"KWD", "KWD", 3}, {"GBP", "GBP", 2},
	}
	for _, tt := range tests {
		c, err := billing.ParseCurrency(tt.code)
		if err != nil || c != tt.want || c.MinorUnits() != tt.minor || !c.Valid() || c.String() != string(tt.want) {
			t.Errorf("%q: %v %v minor %d", tt.code, c, err, c.MinorUnits())
		}
	}
	_, err := billing.ParseCurrency("XYZ")
	var ce *billing.CurrencyError
	if !errors.Is(err, billing.ErrUnknownCurrency) || !errors.As(err, &ce) || ce.Code != "XYZ" || ce.Error() == "" {
		t.Errorf("err = %v", err)
	}
	if billing.Currency("XYZ").MinorUnits() != -1 || billing.Currency("XYZ").Valid() {
		t.Error("unknown currency has minor units")
	}
}

func FuzzParseCurrency(f *testing.F) {
	for _, s := range []string{"USD", "usd", "", "XYZ", " jpy"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := billing.ParseCurrency(s)
		if err != nil {
			if !errors.Is(err, billing.ErrUnknownCurrency) {
				t.Fatal(err)
			}
			return
		}
		if !c.Valid() || c.MinorUnits() < 0 {
			t.Fatalf("%q parsed to invalid %q", s, c)
		}
	})
}
