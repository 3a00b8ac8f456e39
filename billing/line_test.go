package billing_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opengallery/opengallery/billing"
)

func TestLineItemRendering(t *testing.T) {
	tests := []struct {
		name                 string
		l                    billing.LineItem
		description, formula string
	}{
		{"software", billing.LineItem{Kind: billing.LineSoftware, Price: usd("5"), Per: billing.PerMonth, Count: dec("1"), Quantity: 1, Amount: usd("5")},
			"$5.00 USD/month × 1 month(s)", "5.00 × 1 × 1 = 5.00"},
		{"hourly software", billing.LineItem{Kind: billing.LineSoftware, Price: usd("5"), Per: billing.PerHour, Count: dec("1"), Quantity: 1, Amount: usd("5")},
			"$5.00 USD/hour", "5.00 × 1 × 1 = 5.00"},
		{"infrastructure", billing.LineItem{Kind: billing.LineInfrastructure, Label: "s3.small.1", Price: usd("0.0136"), Per: billing.PerHour, Count: dec("1"), Quantity: 2, Amount: usd("0.0272")},
			"s3.small.1: $0.0136 USD/hour × 2 unit(s)", "0.0136 × 1 × 2 = 0.0272"},
		{"one-time", billing.LineItem{Kind: billing.LineSoftware, Price: usd("99"), Per: billing.PerOnce, Count: dec("1"), Quantity: 1, Amount: usd("99")},
			"$99.00 USD one-time", "99.00 × 1 × 1 = 99.00"},
		{"fixed price", billing.LineItem{Kind: billing.LineFixedPrice, Price: usd("4"), Per: billing.PerMonth, Count: dec("2"), Quantity: 1, Rate: dec("10"), Amount: usd("-2")},
			"fixed price $4.00 USD/month × 2 month(s)", "4.00 × 2 × 1 − 10 = -2.00"},
		{"discount", billing.LineItem{Kind: billing.LineDiscount, Price: usd("100"), Rate: dec("0.2"), Amount: usd("-20")},
			"discount 20% of $100.00 USD", "−100.00 × 0.2 = -20.00"},
		{"amount off", billing.LineItem{Kind: billing.LineAmountOff, Price: usd("5"), Amount: usd("-5")},
			"amount off $5.00 USD", "−5.00 = -5.00"},
		{"rounding", billing.LineItem{Kind: billing.LineRounding, Price: usd("1.005"), Amount: usd("0.005")},
			"rounded half-up to 2 decimal places", "0.005"},
		{"floor", billing.LineItem{Kind: billing.LineFloor, Amount: usd("3")},
			"a negative result is no refund", "3.00"},
		{"remaining, new", billing.LineItem{Kind: billing.LineRemaining, Price: usd("1200"), Per: billing.PerYear, Count: dec("2.5"), Quantity: 1, Amount: usd("3000")},
			"$1200.00 USD/year × 2.5 year(s) remaining", "1200.00 × 2.5 = 3000.00"},
		{"remaining, current", billing.LineItem{Kind: billing.LineRemaining, Price: usd("900"), Per: billing.PerYear, Count: dec("2.5"), Quantity: 1, Amount: usd("-2250")},
			"−$900.00 USD/year × 2.5 year(s) remaining", "−900.00 × 2.5 = -2250.00"},
		{"paid", billing.LineItem{Kind: billing.LinePaid, Price: usd("100"), Amount: usd("100")}, "paid $100.00 USD", "100.00"},
		{"consumed", billing.LineItem{Kind: billing.LineConsumed, Price: usd("100"), Used: 1, Of: 4, Amount: usd("-25")},
			"consumed $100.00 USD × 1 h / 4 h", "−100.00 × 1 / 4 = -25.00"},
		{"handling fee", billing.LineItem{Kind: billing.LineHandlingFee, Price: usd("100"), Rate: dec("0.15"), Amount: usd("-15")},
			"handling fee 15% of $100.00 USD", "−100.00 × 0.15 = -15.00"},
		{"negotiated", billing.LineItem{Kind: billing.LineNegotiated, Price: usd("100"), Amount: usd("40")}, "negotiated refund $40.00 USD", "40.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.l.Description(); got != tt.description {
				t.Errorf("Description = %q, want %q", got, tt.description)
			}
			if got := tt.l.Formula(); got != tt.formula {
				t.Errorf("Formula = %q, want %q", got, tt.formula)
			}
			if !strings.HasPrefix(tt.l.String(), tt.description) {
				t.Errorf("String = %q", tt.l.String())
			}
		})
	}
}

func TestQuoteJSON(t *testing.T) {
	q, err := billing.NewQuote(billing.DefaultConfig(), billing.QuoteInput{Pricing: pricing(plan(billing.Monthly, "5.00")), Mode: billing.Monthly, Count: 1, Quantity: 1})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"mode": "monthly", "count": float64(1), "quantity": float64(1), "hourly": false,
		"cost_details": "$5.00 USD/month × 1 month(s)",
		"total":        map[string]any{"amount": "5.00", "currency": "USD"},
		"lines": []any{map[string]any{
			"kind": "software", "description": "$5.00 USD/month × 1 month(s)", "formula": "5.00 × 1 × 1 = 5.00",
			"inputs": map[string]any{"price": map[string]any{"amount": "5.00", "currency": "USD"}, "per": "month", "count": "1", "quantity": float64(1)},
			"amount": map[string]any{"amount": "5.00", "currency": "USD"},
		}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if (billing.Quote{}).Lines() != nil || (billing.Upgrade{}).Lines() != nil || (billing.Refund{}).Lines() != nil {
		t.Error("zero results have lines")
	}
}

func TestUpgradeAndRefundJSON(t *testing.T) {
	cfg := billing.DefaultConfig()
	u, err := billing.UpgradeCost(cfg, upgradeBenchInput())
	if err != nil {
		t.Fatal(err)
	}
	r, err := billing.InUseRefund(cfg, seedRefund())
	if err != nil {
		t.Fatal(err)
	}
	for name, v := range map[string]any{"upgrade": u, "refund": r} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Lines []map[string]any  `json:"lines"`
			Total map[string]string `json:"total"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if len(got.Lines) < 3 || got.Total["currency"] != "USD" || got.Lines[0]["formula"] == "" {
			t.Errorf("%s JSON = %s", name, b)
		}
	}
	if _, err := json.Marshal(billing.Refund{}); err != nil {
		t.Error(err)
	}
}
