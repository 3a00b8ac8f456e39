package billing_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/opengallery/opengallery/billing"
	"github.com/shopspring/decimal"
)

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in   string
		want billing.Money
		err  error
	}{
		{"12.34 USD", usd("12.34"), nil},
		{"5.0136 usd", usd("5.0136"), nil},
		{"-0.5 EUR", billing.MustMoney("-0.5", billing.EUR), nil},
		{" 1000 JPY ", billing.MustMoney("1000", billing.JPY), nil},
		{"12.34", billing.Money{}, billing.ErrInvalidInput},
		{"12.34 XYZ", billing.Money{}, billing.ErrUnknownCurrency},
		{"1e3 USD", billing.Money{}, billing.ErrInvalidInput},
		{"1,000 USD", billing.Money{}, billing.ErrInvalidInput},
		{".5 USD", billing.Money{}, billing.ErrInvalidInput},
		{"5. USD", billing.Money{}, billing.ErrInvalidInput},
		{"-.5 USD", billing.Money{}, billing.ErrInvalidInput},
		{"NaN USD", billing.Money{}, billing.ErrInvalidInput},
		{"- USD", billing.Money{}, billing.ErrInvalidInput},
		{"1.2.3 USD", billing.Money{}, billing.ErrInvalidInput},
		{" USD", billing.Money{}, billing.ErrInvalidInput},
		{"12345678901234567890123456789012345678901 USD", billing.Money{}, billing.ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := billing.ParseMoney(tt.in)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if err == nil && !got.Equal(tt.want) {
				t.Errorf("= %s, want %s", got, tt.want)
			}
		})
	}
}

func TestMoneyFormat(t *testing.T) {
	tests := []struct {
		m                 billing.Money
		str, amt, display string
	}{
		{usd("5"), "5.00 USD", "5.00", "$5.00 USD"},
		{usd("5.0136"), "5.0136 USD", "5.0136", "$5.0136 USD"},
		{usd("900.00"), "900.00 USD", "900.00", "$900.00 USD"},
		{usd("-45.38"), "-45.38 USD", "-45.38", "-$45.38 USD"},
		{billing.MustMoney("1000", billing.JPY), "1000 JPY", "1000", "1000 JPY"},
		{billing.MustMoney("3.5", billing.EUR), "3.50 EUR", "3.50", "3.50 EUR"},
		{billing.MustMoney("1.5", "KWD"), "1.500 KWD", "1.500", "1.500 KWD"},
	}
	for _, tt := range tests {
		if tt.m.String() != tt.str || tt.m.AmountString() != tt.amt || tt.m.Display() != tt.display {
			t.Errorf("%v: %q %q %q, want %q %q %q", tt.m.Amount, tt.m.String(), tt.m.AmountString(), tt.m.Display(), tt.str, tt.amt, tt.display)
		}
	}
}

func TestMoneyArithmetic(t *testing.T) {
	a, b, e := usd("10.25"), usd("0.75"), billing.MustMoney("1", billing.EUR)
	if s, err := a.Add(b); err != nil || !s.Equal(usd("11")) {
		t.Errorf("Add = %v, %v", s, err)
	}
	if s, err := a.Sub(b); err != nil || !s.Equal(usd("9.5")) {
		t.Errorf("Sub = %v, %v", s, err)
	}
	if c, err := a.Cmp(b); err != nil || c != 1 {
		t.Errorf("Cmp = %v, %v", c, err)
	}
	for name, f := range map[string]func() error{
		"add": func() error { _, err := a.Add(e); return err },
		"sub": func() error { _, err := a.Sub(e); return err },
		"cmp": func() error { _, err := a.Cmp(e); return err },
		"sum": func() error { _, err := billing.Sum(billing.USD, a, e); return err },
	} {
		err := f()
		var me *billing.MismatchError
		if !errors.Is(err, billing.ErrCurrencyMismatch) || !errors.As(err, &me) || me.Left != billing.USD || me.Right != billing.EUR || me.Error() == "" {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if got := a.Mul(dec("2")); !got.Equal(usd("20.5")) {
		t.Errorf("Mul = %s", got)
	}
	if got := a.MulInt(3); !got.Equal(usd("30.75")) {
		t.Errorf("MulInt = %s", got)
	}
	if got := a.Neg().Abs(); !got.Equal(a) || !a.Neg().IsNegative() || !a.IsPositive() || a.IsZero() {
		t.Errorf("Neg/Abs = %s", got)
	}
	if s, err := billing.Sum(billing.CNY); err != nil || s.Currency != billing.CNY || !s.IsZero() {
		t.Errorf("empty Sum = %v, %v", s, err)
	}
	for name, f := range map[string]func() error{
		"unknown fallback": func() error { _, err := billing.Sum("QQQ"); return err },
		"zero Money":       func() error { _, err := billing.Sum(billing.USD, billing.Money{}, a); return err },
	} {
		var ce *billing.CurrencyError
		if err := f(); !errors.Is(err, billing.ErrUnknownCurrency) || !errors.As(err, &ce) {
			t.Errorf("Sum %s: err = %v, want *CurrencyError", name, err)
		}
	}
	if !billing.Zero(billing.USD).Valid() || (billing.Money{}).Valid() {
		t.Error("Valid")
	}
}

func TestMoneyRounding(t *testing.T) {
	tests := []struct {
		in       billing.Money
		up, down string
	}{
		{usd("0.005"), "0.01", "0.00"},
		{usd("0.0049"), "0.00", "0.00"},
		{usd("-0.005"), "-0.01", "0.00"},
		{usd("44.61741425"), "44.62", "44.61"},
		{usd("2.345"), "2.35", "2.34"},
		{billing.MustMoney("666.5", billing.JPY), "667", "666"},
	}
	for _, tt := range tests {
		if got := tt.in.RoundHalfUp(); !got.Amount.Equal(dec(tt.up)) {
			t.Errorf("RoundHalfUp(%s) = %s, want %s", tt.in, got, tt.up)
		}
		if got := tt.in.RoundDown(); !got.Amount.Equal(dec(tt.down)) {
			t.Errorf("RoundDown(%s) = %s, want %s", tt.in, got, tt.down)
		}
	}
}

func TestMoneyJSON(t *testing.T) {
	b, err := json.Marshal(usd("5"))
	if err != nil || string(b) != `{"amount":"5.00","currency":"USD"}` {
		t.Fatalf("= %s, %v", b, err)
	}
	var m billing.Money
	if err := json.Unmarshal([]byte(`{"amount":"5.0136","currency":"usd"}`), &m); err != nil || !m.Equal(usd("5.0136")) {
		t.Errorf("= %v, %v", m, err)
	}
	for _, bad := range []string{`{"amount":5,"currency":"USD"}`, `{"amount":"5","currency":"ZZZ"}`, `{"amount":"1e2","currency":"USD"}`, `[]`} {
		if err := json.Unmarshal([]byte(bad), &m); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestNewMoneyAndMust(t *testing.T) {
	if _, err := billing.NewMoney(decimal.NewFromInt(1), "QQQ"); !errors.Is(err, billing.ErrUnknownCurrency) {
		t.Errorf("err = %v", err)
	}
	for name, f := range map[string]func(){
		"bad amount":   func() { billing.MustMoney("x", billing.USD) },
		"bad currency": func() { billing.MustMoney("1", "QQQ") },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"12.34 USD", "5.0136 usd", "-0.5 EUR", "1000 JPY", "1e3 USD", ".5 USD", "", " ", "+1 CNY", "0.000000001 KWD"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := billing.ParseMoney(s)
		if err != nil {
			if !errors.Is(err, billing.ErrInvalidInput) && !errors.Is(err, billing.ErrUnknownCurrency) {
				t.Fatalf("%q: untyped error %v", s, err)
			}
			return
		}
		// What parses formats back to the same value.
		back, err := billing.ParseMoney(m.String())
		if err != nil || !back.Equal(m) {
			t.Fatalf("%q → %q → %v, %v", s, m.String(), back, err)
		}
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		var j billing.Money
		if err := json.Unmarshal(b, &j); err != nil || !j.Equal(m) {
			t.Fatalf("JSON %s → %v, %v", b, j, err)
		}
	})
}

func FuzzMoneyJSON(f *testing.F) {
	for _, s := range []string{`{"amount":"5.00","currency":"USD"}`, `{"amount":"-1","currency":"jpy"}`, `{}`, `null`, `{"amount":"1e9","currency":"USD"}`,
		`{"amount":"5.00","currency":"USD","x":1}`, `{"Amount":"5.00","CURRENCY":"USD"}`, `5`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var m billing.Money
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			return
		}
		// The zero Money (an unset optional amount) round-trips as itself.
		if !m.Valid() && !m.Equal(billing.Money{}) {
			t.Fatalf("%q decoded to invalid %v", s, m)
		}
	})
}

// TestMoneyJSONErrors: a money object is decoded strictly. A member that
// is not amount or currency is refused; a value or member of the wrong JSON
// type is a *json.UnmarshalTypeError, to which encoding/json adds the path
// of the field being decoded, so a decoder can name it.
func TestMoneyJSONErrors(t *testing.T) {
	type holder struct {
		Price billing.Money `json:"price"`
	}
	type want struct {
		TypeError bool   // a *json.UnmarshalTypeError…
		Field     string // …naming this path
		Input     bool   // a *billing.InputError
	}
	tests := []struct {
		name, in string
		want     want
	}{
		{"unknown member", `{"price":{"amount":"5.00","currency":"USD","surprise":1}}`, want{Input: true}},
		{"unknown member only", `{"price":{"surprise":1}}`, want{Input: true}},
		{"amount as number", `{"price":{"amount":5,"currency":"USD"}}`, want{TypeError: true, Field: "price.amount"}},
		{"currency as number", `{"price":{"amount":"5","currency":840}}`, want{TypeError: true, Field: "price.currency"}},
		{"money as number", `{"price":5}`, want{TypeError: true, Field: "price"}},
		{"money as string", `{"price":"5.00 USD"}`, want{TypeError: true, Field: "price"}},
		{"money as array", `{"price":[]}`, want{TypeError: true, Field: "price"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var h holder
			err := json.Unmarshal([]byte(tt.in), &h)
			var (
				te  *json.UnmarshalTypeError
				ie  *billing.InputError
				got want
			)
			if errors.As(err, &te) {
				got.TypeError, got.Field = true, te.Field
			}
			got.Input = errors.As(err, &ie)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Unmarshal(%s) = %v (-want +got):\n%s", tt.in, err, diff)
			}
		})
	}
}
