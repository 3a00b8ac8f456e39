package billing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/shopspring/decimal"
)

func TestDefaultConfig(t *testing.T) {
	cfg := billing.DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if _, off := time.Date(2024, 1, 1, 0, 0, 0, 0, cfg.Location).Zone(); off != 8*3600 {
		t.Errorf("zone offset = %d", off)
	}
	if cfg.GraceDays != 15 || cfg.RetentionDays != 15 || cfg.AutoRenewDaysBefore != 7 || cfg.AutoRenewHour != 3 {
		t.Errorf("config = %+v", cfg)
	}
	if !cfg.RefundReviewThreshold.Equal(usd("7000")) {
		t.Errorf("threshold = %s", cfg.RefundReviewThreshold)
	}
	if cfg.Counts(billing.Monthly, billing.CountRange{}) != (billing.CountRange{Min: 1, Max: 9}) ||
		cfg.Counts(billing.Yearly, billing.CountRange{}) != (billing.CountRange{Min: 1, Max: 3}) ||
		cfg.Counts(billing.Monthly, billing.CountRange{Min: 2, Max: 4}) != (billing.CountRange{Min: 2, Max: 4}) ||
		cfg.Counts(billing.PayPerUse, billing.CountRange{}) != (billing.CountRange{Min: 0, Max: 1}) {
		t.Error("Counts")
	}
}

func TestHandlingFeeRate(t *testing.T) {
	h := billing.DefaultConfig().HandlingFees
	tests := []struct {
		name        string
		mode        billing.Mode
		count, used int
		want        string
	}{
		{"monthly", billing.Monthly, 1, 0, "0.10"},
		{"6 months", billing.Monthly, 6, 0, "0.10"},
		{"1-year", billing.Yearly, 1, 0, "0.10"},
		{"2-year, first year", billing.Yearly, 2, 0, "0.15"},
		{"2-year, second year", billing.Yearly, 2, 1, "0.10"},
		{"3-year, first year", billing.Yearly, 3, 0, "0.15"},
		{"3-year, second year", billing.Yearly, 3, 1, "0.10"},
		{"3-year, third year", billing.Yearly, 3, 2, "0.05"},
		{"5-year term uses the 3-year row", billing.Yearly, 5, 4, "0.05"},
	}
	for _, tt := range tests {
		if got := h.Rate(tt.mode, tt.count, tt.used); !got.Equal(dec(tt.want)) {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
	empty := billing.HandlingFees{Monthly: dec("0.2")}
	if got := empty.Rate(billing.Yearly, 2, 0); !got.Equal(dec("0.2")) {
		t.Errorf("no yearly rows: %s", got)
	}
}

func TestConfigValidate(t *testing.T) {
	mod := func(f func(*billing.Config)) billing.Config { c := billing.DefaultConfig(); f(&c); return c }
	tests := map[string]billing.Config{
		"no location":           mod(func(c *billing.Config) { c.Location = nil }),
		"negative grace":        mod(func(c *billing.Config) { c.GraceDays = -1 }),
		"months 0–9":            mod(func(c *billing.Config) { c.Months = billing.CountRange{Max: 9} }),
		"years 3–1":             mod(func(c *billing.Config) { c.Years = billing.CountRange{Min: 3, Max: 1} }),
		"trial days 0":          mod(func(c *billing.Config) { c.TrialDays = billing.CountRange{} }),
		"8 days before":         mod(func(c *billing.Config) { c.AutoRenewDaysBefore = 8 }),
		"hour 24":               mod(func(c *billing.Config) { c.AutoRenewHour = 24 }),
		"unknown delivery":      mod(func(c *billing.Config) { c.AutoRenewDeliveries = []billing.Delivery{"drone"} }),
		"threshold currency":    mod(func(c *billing.Config) { c.RefundReviewThreshold = billing.Money{} }),
		"negative auto-approve": mod(func(c *billing.Config) { c.RefundReviewAutoApprove = -time.Hour }),
		"monthly fee 110%":      mod(func(c *billing.Config) { c.HandlingFees.Monthly = dec("1.1") }),
		"no 1-year row":         mod(func(c *billing.Config) { c.HandlingFees.Yearly = map[int][]decimal.Decimal{2: {dec("0.1")}} }),
		"row longer than term": mod(func(c *billing.Config) {
			c.HandlingFees.Yearly = map[int][]decimal.Decimal{1: {dec("0.1"), dec("0.1")}}
		}),
		"negative yearly rate": mod(func(c *billing.Config) {
			c.HandlingFees.Yearly = map[int][]decimal.Decimal{1: {dec("-0.1")}}
		}),
	}
	for name, cfg := range tests {
		var ie *billing.InputError
		if err := cfg.Validate(); !errors.Is(err, billing.ErrInvalidInput) || !errors.As(err, &ie) || ie.Error() == "" {
			t.Errorf("%s: err = %v", name, err)
		}
	}
}
