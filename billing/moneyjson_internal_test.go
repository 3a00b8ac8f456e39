package billing

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzParseMoneyJSON: the fast reader of MarshalJSON's form agrees with
// encoding/json on everything it accepts, and accepts what MarshalJSON
// writes for plain amounts and currencies.
func FuzzParseMoneyJSON(f *testing.F) {
	for _, s := range []string{`{"amount":"5.00","currency":"USD"}`, `{"amount":"-1","currency":"jpy"}`, `{"amount":"","currency":""}`,
		`{"amount":"1","currency":"US\"D"}`, `{"amount":"1","currency":"USD","x":1}`, `{"amount":"1","currency":"USD"}}`,
		`{"amount":"1","currency":"","currency":"EUR"}`, ` {"amount":"1","currency":"USD"}`, `{}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := parseMoneyJSON([]byte(s))
		if !ok {
			return
		}
		var want moneyJSON
		if err := json.Unmarshal([]byte(s), &want); err != nil {
			t.Fatalf("%q: fast reader accepted what encoding/json rejects: %v", s, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("%q: fast reader disagrees with encoding/json (-want +got):\n%s", s, diff)
		}
	})
}

// FuzzMoneyMarshalJSON: MarshalJSON writes the bytes encoding/json writes
// for the same fields, and its fast reader reads them back.
func FuzzMoneyMarshalJSON(f *testing.F) {
	for _, s := range [][2]string{{"5.00", "USD"}, {"-0.125", "CNY"}, {"1", "U<D"}, {"1", `U"D`}, {"1", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, amount, currency string) {
		m := Money{Currency: Currency(currency)}
		if d, err := ParseAmount(amount); err == nil {
			m.Amount = d
		}
		got, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(moneyJSON{Amount: m.AmountString(), Currency: m.Currency})
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("MarshalJSON %s, encoding/json %s", got, want)
		}
		if v, ok := parseMoneyJSON(got); ok != (plainJSON(m.AmountString()) && plainJSON(currency)) || ok && v.Currency != m.Currency {
			t.Fatalf("%s: fast reader ok=%v, %+v", got, ok, v)
		}
	})
}
