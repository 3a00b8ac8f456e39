package billing_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengallery/opengallery/billing"
)

// roundTrip encodes v, checks the encoding against want (exact JSON), and
// decodes it back into a fresh value, which must equal v.
func roundTrip[T any](t *testing.T, v T, want string) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	if string(b) != want {
		t.Errorf("Marshal:\n got %s\nwant %s", b, want)
	}
	var back T
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("Unmarshal(%s): %v", b, err)
	}
	if diff := cmp.Diff(v, back, decimalComparer); diff != "" {
		t.Errorf("round trip (-sent +decoded):\n%s", diff)
	}
}

func TestPricingJSON(t *testing.T) {
	tests := []struct {
		name string
		in   billing.Pricing
		want string
	}{
		{"linear monthly, nothing optional", pricing(plan(billing.Monthly, "5.00")),
			`{"plans":[{"mode":"monthly","unit_price":{"amount":"5.00","currency":"USD"}}]}`},
		{"a free plan keeps its zero price", pricing(plan(billing.OneTime, "0.00")),
			`{"plans":[{"mode":"one_time","unit_price":{"amount":"0.00","currency":"USD"}}]}`},
		{"ranges, trial and a rate discount", billing.Pricing{TrialDays: 7, Plans: []billing.PricePlan{{
			Mode: billing.Yearly, UnitPrice: usd("900.00"),
			Quantity: billing.CountRange{Min: 1, Max: 50}, Counts: billing.CountRange{Min: 1, Max: 3},
			Discount: billing.Discount{Kind: billing.DiscountRate, Rate: dec("0.2")}}}},
			`{"plans":[{"mode":"yearly","unit_price":{"amount":"900.00","currency":"USD"},"quantity":{"min":1,"max":50},` +
				`"counts":{"min":1,"max":3},"discount":{"kind":"rate","rate":"0.2"}}],"trial_days":7}`},
		{"tiered: no unit price, unbounded last tier", pricing(billing.PricePlan{Mode: billing.Monthly, Model: billing.Tiered,
			Tiers: []billing.Tier{{UpTo: 10, UnitPrice: usd("3.00")}, {UnitPrice: usd("2.00")}}}),
			`{"plans":[{"mode":"monthly","model":"tiered","tiers":[{"up_to":10,"unit_price":{"amount":"3.00","currency":"USD"}},` +
				`{"unit_price":{"amount":"2.00","currency":"USD"}}]}]}`},
		{"a fixed price of zero is kept", pricing(billing.PricePlan{Mode: billing.Monthly, UnitPrice: usd("5.00"),
			Discount: billing.Discount{Kind: billing.FixedPrice, Price: usd("0.00")}}),
			`{"plans":[{"mode":"monthly","unit_price":{"amount":"5.00","currency":"USD"},"discount":{"kind":"fixed_price","price":{"amount":"0.00","currency":"USD"}}}]}`},
		{"amount off", pricing(billing.PricePlan{Mode: billing.Monthly, UnitPrice: usd("5.00"),
			Discount: billing.Discount{Kind: billing.AmountOff, Amount: usd("1.50")}}),
			`{"plans":[{"mode":"monthly","unit_price":{"amount":"5.00","currency":"USD"},"discount":{"kind":"amount_off","amount":{"amount":"1.50","currency":"USD"}}}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { roundTrip(t, tc.in, tc.want) })
	}
}

func TestDiscountIsZero(t *testing.T) {
	tests := []struct {
		name string
		in   billing.Discount
		want bool
	}{
		{"unset", billing.Discount{}, true},
		{"kind only", billing.Discount{Kind: billing.DiscountRate}, false},
		{"a zero price in a currency", billing.Discount{Price: usd("0")}, false},
		{"an amount", billing.Discount{Amount: usd("1")}, false},
		{"a rate", billing.Discount{Rate: dec("0.1")}, false},
	}
	for _, tc := range tests {
		if got := tc.in.IsZero(); got != tc.want {
			t.Errorf("%s: IsZero = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestTermAndRenewalJSON(t *testing.T) {
	start := time.Date(2024, 3, 31, 2, 0, 0, 0, time.UTC)
	exp := time.Date(2024, 4, 30, 15, 59, 59, 0, time.UTC)
	term := billing.Term{Mode: billing.Monthly, Count: 1, Start: start, AnchorDay: 31, Expiry: exp}
	termJSON := `{"mode":"monthly","count":1,"start":"2024-03-31T02:00:00Z","anchor_day":31,"expiry":"2024-04-30T15:59:59Z"}`
	roundTrip(t, term, termJSON)
	roundTrip(t, billing.Renewal{Term: term, Consumed: time.Hour, Remaining: billing.Remaining{Days: 13, Hours: 2}, ExtraDays: 1},
		`{"term":`+termJSON+`,"consumed":3600000000000,"remaining":{"days":13,"hours":2},"extra_days":1}`)
	roundTrip(t, billing.Lifecycle{Expiry: exp, GraceEnd: exp.AddDate(0, 0, 15), RetentionEnd: exp.AddDate(0, 0, 30)},
		`{"expiry":"2024-04-30T15:59:59Z","grace_end":"2024-05-15T15:59:59Z","retention_end":"2024-05-30T15:59:59Z"}`)
}

func TestAutoRenewalJSON(t *testing.T) {
	zero := 0
	tests := []struct {
		name string
		in   billing.AutoRenewal
		want string
	}{
		{"off", billing.AutoRenewal{}, `{"enabled":false}`},
		{"on the expiry day, counted", billing.AutoRenewal{Enabled: true, DaysBefore: &zero, Count: 2, Limit: 3, Done: 1},
			`{"enabled":true,"days_before":0,"count":2,"limit":3,"done":1}`},
		{"do not renew", billing.AutoRenewal{DoNotRenew: true}, `{"enabled":false,"do_not_renew":true}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { roundTrip(t, tc.in, tc.want) })
	}
}

func TestInvoiceJSON(t *testing.T) {
	cfgAt := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	inv, err := billing.RequestInvoice(billing.InvoiceRequest{OrderID: "o1", Paid: usd("900.00"), At: cfgAt})
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, inv, `{"order_id":"o1","amount":{"amount":"900.00","currency":"USD"},"state":"requested","requested_at":"2024-01-02T03:04:05Z"}`)
	issued, err := inv.Issue(cfgAt.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ret, err := issued.Return(cfgAt.Add(2 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(ret)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"credit_memo":{"amount":"-900.00","currency":"USD"}`) {
		t.Errorf("returned invoice %s: want its credit memo", b)
	}
	var back billing.Invoice
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ret, back, decimalComparer); diff != "" {
		t.Errorf("round trip (-sent +decoded):\n%s", diff)
	}
}

// FuzzPricingJSON: whatever decodes re-encodes to a value that decodes to
// the same thing.
func FuzzPricingJSON(f *testing.F) {
	f.Add(`{"plans":[{"mode":"monthly","unit_price":{"amount":"5.00","currency":"USD"}}]}`)
	f.Add(`{"plans":[{"mode":"yearly","discount":{"kind":"fixed_price","price":{"amount":"0","currency":"USD"}},"counts":{"min":1,"max":3}}],"trial_days":7}`)
	f.Fuzz(func(t *testing.T, s string) {
		var p billing.Pricing
		if json.Unmarshal([]byte(s), &p) != nil {
			return
		}
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("Marshal(%+v): %v", p, err)
		}
		var back billing.Pricing
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("Unmarshal(%s): %v", b, err)
		}
		if diff := cmp.Diff(p, back, decimalComparer); diff != "" {
			t.Errorf("round trip of %s (-first +second):\n%s", b, diff)
		}
	})
}

// benchPricing is a catalog page's typical pricing: two linear plans, one
// with ranges and a discount.
func benchPricing() billing.Pricing {
	return billing.Pricing{TrialDays: 7, Plans: []billing.PricePlan{
		plan(billing.Monthly, "5.00"),
		{Mode: billing.Yearly, UnitPrice: usd("50.00"), Quantity: billing.CountRange{Min: 1, Max: 100},
			Counts: billing.CountRange{Min: 1, Max: 3}, Discount: billing.Discount{Kind: billing.DiscountRate, Rate: dec("0.2")}},
	}}
}

// BenchmarkPricingJSON encodes a pricing through the types' MarshalJSON
// (unset amounts left out).
func BenchmarkPricingJSON(b *testing.B) {
	p := benchPricing()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPricingJSONBaseline encodes the same document from plain tagged
// structs with no MarshalJSON of their own: the cost of encoding/json
// alone.
func BenchmarkPricingJSONBaseline(b *testing.B) {
	type discount struct {
		Kind string `json:"kind,omitempty"`
		Rate string `json:"rate,omitempty"`
	}
	type plainPlan struct {
		Mode      billing.Mode        `json:"mode"`
		UnitPrice *billing.Money      `json:"unit_price,omitempty"`
		Quantity  *billing.CountRange `json:"quantity,omitempty"`
		Counts    *billing.CountRange `json:"counts,omitempty"`
		Discount  *discount           `json:"discount,omitempty"`
	}
	type plainPricing struct {
		Plans     []plainPlan `json:"plans"`
		TrialDays int         `json:"trial_days,omitempty"`
	}
	src := benchPricing()
	p := plainPricing{TrialDays: src.TrialDays}
	for _, pl := range src.Plans {
		pp := plainPlan{Mode: pl.Mode, UnitPrice: &pl.UnitPrice}
		if !pl.Quantity.IsZero() {
			pp.Quantity, pp.Counts = &pl.Quantity, &pl.Counts
			pp.Discount = &discount{Kind: string(pl.Discount.Kind), Rate: pl.Discount.Rate.String()}
		}
		p.Plans = append(p.Plans, pp)
	}
	want, _ := json.Marshal(src)
	if got, _ := json.Marshal(p); string(got) != string(want) {
		b.Fatalf("baseline encodes %s, want %s", got, want)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(p); err != nil {
			b.Fatal(err)
		}
	}
}
