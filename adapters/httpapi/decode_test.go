package httpapi

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/billing"
)

type sample struct {
	Name     string        `json:"name"`
	Quantity int           `json:"quantity"`
	Price    billing.Money `json:"price"`
	Tags     []string      `json:"tags"`
}

func (s sample) Validate() error {
	if s.Quantity < 0 {
		return &billing.InputError{Field: "quantity", Value: s.Quantity, Reason: "must not be negative"}
	}
	return nil
}

func TestDecodeJSON(t *testing.T) {
	h := &Handler{maxBody: 256}
	type want struct {
		Status int
		Code   Code
		Field  string
	}
	tests := []struct {
		name, ct, body string
		want           want
	}{
		{"ok", "application/json", `{"name":"a","quantity":2,"price":{"amount":"5.00","currency":"USD"}}`, want{}},
		{"ok no content type", "", `{"name":"a"}`, want{}},
		{"ok with charset", "application/json; charset=utf-8", `{"name":"a"}`, want{}},
		{"empty", "application/json", ``, want{400, CodeMalformedJSON, ""}},
		{"truncated", "application/json", `{"name":`, want{400, CodeMalformedJSON, ""}},
		{"syntax", "application/json", `{"name" "a"}`, want{400, CodeMalformedJSON, ""}},
		{"two values", "application/json", `{"name":"a"}{"name":"b"}`, want{400, CodeMalformedJSON, ""}},
		{"trailing garbage", "application/json", `{"name":"a"} x`, want{400, CodeMalformedJSON, ""}},
		{"unknown field", "application/json", `{"name":"a","colour":"red"}`, want{400, CodeUnknownField, "colour"}},
		{"wrong type", "application/json", `{"quantity":"2"}`, want{400, CodeInvalidType, "quantity"}},
		{"wrong nested type", "application/json", `{"tags":[1]}`, want{400, CodeInvalidType, "tags"}},
		{"array body", "application/json", `[1,2]`, want{400, CodeInvalidType, "(body)"}},
		{"decimal as number", "application/json", `{"price":{"amount":5.00,"currency":"USD"}}`, want{400, CodeInvalidType, "price.amount"}},
		{"money as number", "application/json", `{"price":5}`, want{400, CodeInvalidType, "price"}},
		{"money as array", "application/json", `{"price":["5.00","USD"]}`, want{400, CodeInvalidType, "price"}},
		{"currency as number", "application/json", `{"price":{"amount":"5.00","currency":840}}`, want{400, CodeInvalidType, "price.currency"}},
		{"unknown member in money", "application/json", `{"price":{"amount":"5.00","currency":"USD","surprise":1}}`, want{400, CodeInvalidInput, "money"}},
		{"null", "application/json", `null`, want{400, CodeInvalidType, "(body)"}},
		{"null with spaces", "application/json", " \n\tnull ", want{400, CodeInvalidType, "(body)"}},
		{"null member", "application/json", `{"name":null}`, want{}},
		{"bad currency", "application/json", `{"price":{"amount":"5.00","currency":"XXX"}}`, want{400, CodeUnknownCurrency, ""}},
		{"validation", "application/json", `{"quantity":-1}`, want{400, CodeInvalidInput, "quantity"}},
		{"too large", "application/json", `{"name":"` + strings.Repeat("a", 300) + `"}`, want{413, CodeBodyTooLarge, ""}},
		{"too large after value", "application/json", `{"name":"a"}` + strings.Repeat(" ", 300), want{413, CodeBodyTooLarge, ""}},
		{"form", "application/x-www-form-urlencoded", `name=a`, want{415, CodeUnsupportedMedia, ""}},
		{"bad media type", "application/", `{}`, want{415, CodeUnsupportedMedia, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/v1/x", strings.NewReader(tt.body))
			if tt.ct != "" {
				r.Header.Set("Content-Type", tt.ct)
			}
			var s sample
			err := h.decodeJSON(httptest.NewRecorder(), r, &s)
			var got want
			if err != nil {
				p, internal := problemFor(err)
				if internal {
					t.Fatalf("decode error %v maps to a 500", err)
				}
				got = want{p.Status, p.Code, p.Field}
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("decode %q (-want +got):\n%s", tt.body, d)
			}
		})
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{}`, `{"name":"a","quantity":1}`, `{"price":{"amount":"1.5","currency":"USD"}}`, `[`, `{"tags":["x"]}`, "\x00",
		`null`, ` null`, `nul`, `{"price":null}`, `{"price":5}`, `{"price":{"amount":"1","currency":"USD","x":1}}`, `{"price":{"amount":1,"currency":"USD"}}`} {
		f.Add(s)
	}
	h := &Handler{maxBody: 1 << 12}
	f.Fuzz(func(t *testing.T, body string) {
		r := httptest.NewRequest("POST", "/v1/x", strings.NewReader(body))
		var s sample
		err := h.decodeJSON(httptest.NewRecorder(), r, &s)
		if err == nil {
			// Only a JSON object is a request body.
			if rest := strings.TrimLeft(body, " \t\r\n"); !strings.HasPrefix(rest, "{") {
				t.Fatalf("decode(%q) accepted a body that is not an object", body)
			}
			return
		}
		p, internal := problemFor(err)
		if internal || p.Status < 400 || p.Status > 499 || p.Code == "" {
			t.Fatalf("decode(%q) = %v → %d %q, want a 4xx problem", body, err, p.Status, p.Code)
		}
	})
}

func TestQueryParams(t *testing.T) {
	r := httptest.NewRequest("GET", "/v1/x?limit=5&bad=x&after=12&at=2026-01-02T03:04:05Z&yes=true", nil)
	if n, err := queryInt(r, "limit", 20, 1, 100); err != nil || n != 5 {
		t.Errorf("limit = %d, %v", n, err)
	}
	if n, err := queryInt(r, "missing", 20, 1, 100); err != nil || n != 20 {
		t.Errorf("default = %d, %v", n, err)
	}
	if _, err := queryInt(r, "bad", 20, 1, 100); err == nil {
		t.Error("bad int accepted")
	}
	if n, err := queryInt64(r, "after"); err != nil || n != 12 {
		t.Errorf("after = %d, %v", n, err)
	}
	if tm, err := queryTime(r, "at"); err != nil || tm.Hour() != 3 {
		t.Errorf("at = %v, %v", tm, err)
	}
	if _, err := queryTime(r, "bad"); err == nil {
		t.Error("bad time accepted")
	}
	if b, err := queryBool(r, "yes"); err != nil || !b {
		t.Errorf("yes = %v, %v", b, err)
	}
	if _, err := queryBool(r, "bad"); err == nil {
		t.Error("bad bool accepted")
	}
	var re *requestError
	if _, err := queryInt64(r, "bad"); !errors.As(err, &re) || re.field != "bad" {
		t.Errorf("error %v does not name the parameter", err)
	}
	for _, id := range []string{"", "a b", strings.Repeat("x", 129), "a\x00"} {
		if validID(id) {
			t.Errorf("validID(%q) = true", id)
		}
	}
	_ = http.MethodGet
}

// TestDecodeJSONNullAfterLongWhiteSpace: a JSON null is refused however
// much white space comes before it. It once passed after more than a read
// buffer's worth (4,096 bytes), as a body of all defaults.
func TestDecodeJSONNullAfterLongWhiteSpace(t *testing.T) {
	h := &Handler{maxBody: DefaultMaxBody}
	for _, n := range []int{4095, 4096, 5000, 70000} {
		r := httptest.NewRequest("PUT", "/v1/x", strings.NewReader(strings.Repeat(" ", n)+"null"))
		r.Header.Set("Content-Type", "application/json")
		var s sample
		err := h.decodeJSON(httptest.NewRecorder(), r, &s)
		p, _ := problemFor(err)
		if err == nil || p.Code != CodeInvalidType || p.Field != "(body)" {
			t.Errorf("%d spaces, then null: %v", n, err)
		}
	}
}
