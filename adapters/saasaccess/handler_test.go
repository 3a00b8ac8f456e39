package saasaccess_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/saasaccess"
	"github.com/opengallery/opengallery/provisioning"
)

// rawCall is one hand-built request to a Handler.
type rawCall struct {
	method    string
	body      []byte
	signBody  []byte // the body the signature covers; body when nil
	nonce     string
	timestamp string
	signature string // computed when empty
	key       string // testKey when empty
	query     url.Values
}

type rawAnswer struct {
	status   int
	code     string
	msg      string
	bodySign string
	body     []byte
}

func (p *pair) send(t *testing.T, c rawCall) rawAnswer {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodPost
	}
	if c.key == "" {
		c.key = testKey
	}
	if c.timestamp == "" {
		c.timestamp = strconv.FormatInt(p.clock.Now().UnixMilli(), 10)
	}
	if c.nonce == "" {
		c.nonce = "nonce-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	signed := c.signBody
	if signed == nil {
		signed = c.body
	}
	if c.signature == "" {
		c.signature = independentSignature(c.key, c.nonce, c.timestamp, signed)
	}
	q := c.query
	if q == nil {
		q = url.Values{"signature": {c.signature}, "timestamp": {c.timestamp}, "nonce": {c.nonce}}
	}
	req := httptest.NewRequest(c.method, "/saasproduce?"+q.Encode(), bytes.NewReader(c.body))
	rec := httptest.NewRecorder()
	p.handler.ServeHTTP(rec, req)
	var r saasaccess.Response
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatalf("answer %q is not a protocol response: %v", rec.Body.String(), err)
	}
	return rawAnswer{status: rec.Code, code: string(r.ResultCode), msg: string(r.ResultMsg), bodySign: rec.Header().Get("Body-Sign"), body: rec.Body.Bytes()}
}

const queryBody = `{"activity":"queryInstance","instanceId":"inst-0001"}`

func TestHandlerRefusals(t *testing.T) {
	p := newFakePair(t, saasaccess.WithMaxBodySize(1024))
	now := p.clock.Now()
	ms := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	// A correctly signed request first, so that its nonce is taken.
	if a := p.send(t, rawCall{body: []byte(queryBody), nonce: "taken"}); a.code != "000000" {
		t.Fatalf("valid request answered %s %s", a.code, a.msg)
	}
	big := []byte(`{"activity":"queryInstance","instanceId":"` + strings.Repeat("x", 1100) + `"}`)
	tests := []struct {
		name string
		call rawCall
		want string
	}{
		{"bad signature", rawCall{body: []byte(queryBody), signature: strings.Repeat("ab", 32)}, "000001"},
		{"signature with another key", rawCall{body: []byte(queryBody), key: "another key"}, "000001"},
		{"tampered body", rawCall{body: []byte(`{"activity":"queryInstance","instanceId":"inst-0002"}`), signBody: []byte(queryBody)}, "000001"},
		{"stale timestamp", rawCall{body: []byte(queryBody), timestamp: ms(-61 * time.Second)}, "000001"},
		{"future timestamp", rawCall{body: []byte(queryBody), timestamp: ms(61 * time.Second)}, "000001"},
		{"seconds timestamp without the option", rawCall{body: []byte(queryBody), timestamp: strconv.FormatInt(now.Unix(), 10)}, "000001"},
		{"timestamp not digits", rawCall{body: []byte(queryBody), timestamp: "17e11"}, "000001"},
		{"timestamp too long", rawCall{body: []byte(queryBody), timestamp: strings.Repeat("1", 20)}, "000001"},
		{"timestamp overflows", rawCall{body: []byte(queryBody), timestamp: strings.Repeat("9", 19)}, "000001"},
		{"replayed nonce", rawCall{body: []byte(queryBody), nonce: "taken"}, "000001"},
		{"nonce too long", rawCall{body: []byte(queryBody), nonce: strings.Repeat("n", 200)}, "000001"},
		{"no query parameters", rawCall{body: []byte(queryBody), query: url.Values{}}, "000001"},
		{"oversized body", rawCall{body: big}, "000002"},
		{"unknown activity", rawCall{body: []byte(`{"activity":"deleteEverything"}`)}, "000002"},
		{"no activity", rawCall{body: []byte(`{"instanceId":"inst-0001"}`)}, "000002"},
		{"not JSON", rawCall{body: []byte(`activity=newInstance`)}, "000002"},
		{"GET", rawCall{method: http.MethodGet}, "000002"},
		{"missing required field", rawCall{body: []byte(`{"activity":"updateInstanceStatus","instanceId":"inst-0001"}`)}, "000002"},
		{"unknown scene", rawCall{body: []byte(`{"activity":"refreshInstance","scene":"FOREVER","orderId":"o","orderLineId":"l","instanceId":"i","expireTime":"20270101000000"}`)}, "000002"},
		{"bad expireTime", rawCall{body: []byte(`{"activity":"refreshInstance","scene":"RENEWAL","orderId":"o","orderLineId":"l","instanceId":"i","expireTime":"2027-01-01"}`)}, "000002"},
		{"too many ids", rawCall{body: []byte(`{"activity":"queryInstance","instanceId":"` + strings.Repeat("i,", 100) + `j"}`)}, "000002"},
		{"fractional linearValue", rawCall{body: []byte(`{"activity":"changeInstanceCheck","instanceId":"i","productInfo":{"productId":"p","linearValue":1.5}}`)}, "000002"},
		{"unknown instance", rawCall{body: []byte(`{"activity":"releaseInstance","instanceId":"nope"}`)}, "000003"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := p.send(t, tc.call)
			if a.status != http.StatusOK || a.code != tc.want {
				t.Fatalf("answer HTTP %d %s %q, want 200 %s", a.status, a.code, a.msg, tc.want)
			}
			if err := saasaccess.NewSigner(testKey).VerifyBodySign(a.body, a.bodySign); err != nil {
				t.Errorf("refusal not signed: %v", err)
			}
		})
	}
}

func TestHandlerWindowEdgesAndSeconds(t *testing.T) {
	p := newFakePair(t, saasaccess.WithSecondsTimestamps())
	now := p.clock.Now()
	tests := []struct {
		name, ts, want string
	}{
		{"exactly 60 s old", strconv.FormatInt(now.Add(-60*time.Second).UnixMilli(), 10), "000000"},
		{"exactly 60 s ahead", strconv.FormatInt(now.Add(60*time.Second).UnixMilli(), 10), "000000"},
		{"60.001 s old", strconv.FormatInt(now.Add(-60001*time.Millisecond).UnixMilli(), 10), "000001"},
		{"10-digit seconds", strconv.FormatInt(now.Unix(), 10), "000000"},
		{"10-digit seconds, stale", strconv.FormatInt(now.Add(-2*time.Minute).Unix(), 10), "000001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if a := p.send(t, rawCall{body: []byte(queryBody), timestamp: tc.ts}); a.code != tc.want {
				t.Fatalf("answer %s %q, want %s", a.code, a.msg, tc.want)
			}
		})
	}
}

func TestHandlerNonceReusableAfterWindow(t *testing.T) {
	p := newFakePair(t)
	if a := p.send(t, rawCall{body: []byte(queryBody), nonce: "n1"}); a.code != "000000" {
		t.Fatal(a.msg)
	}
	p.clock.Advance(61 * time.Second)
	// A fresh timestamp with an old nonce is a new request once the old one
	// can no longer be replayed.
	if a := p.send(t, rawCall{body: []byte(queryBody), nonce: "n1"}); a.code != "000000" {
		t.Fatalf("answer %s %q", a.code, a.msg)
	}
}

func TestHandlerNonceCacheFullIsRetryable(t *testing.T) {
	p := newFakePair(t, saasaccess.WithNonceCapacity(1))
	if a := p.send(t, rawCall{body: []byte(queryBody), nonce: "n1"}); a.code != "000000" {
		t.Fatal(a.msg)
	}
	if a := p.send(t, rawCall{body: []byte(queryBody), nonce: "n2"}); a.code != "000005" {
		t.Fatalf("answer %s %q, want 000005", a.code, a.msg)
	}
}

func TestHandlerWithoutBodySign(t *testing.T) {
	p := newFakePair(t, saasaccess.WithoutBodySign())
	if a := p.send(t, rawCall{body: []byte(queryBody)}); a.code != "000000" || a.bodySign != "" {
		t.Fatalf("answer %s, Body-Sign %q", a.code, a.bodySign)
	}
	// The pair's client requires Body-Sign, so it refuses these answers.
	_, err := p.client.QueryInstances(context.Background(), provisioning.QueryRequest{InstanceIDs: []string{"i"}})
	if !errors.Is(err, saasaccess.ErrBadResponse) || !errors.Is(err, provisioning.ErrUnavailable) {
		t.Fatalf("err = %v, want ErrBadResponse", err)
	}
}

func TestHandlerTolerantBodies(t *testing.T) {
	p := newFakePair(t)
	bodies := []struct {
		name string
		body string
		want any
	}{
		{"changeInstanceCheck published with activity upgradeInstance", `{"activity":"upgradeInstance","instanceId":"i-9","productInfo":{"productId":"p","skuCode":"s","linearValue":"20"}}`,
			provisioning.ChangeCheckRequest{InstanceID: "i-9", Product: provisioning.ProductInfo{ProductID: "p", SKUCode: "s", LinearValue: 20}}},
		{"numbers, case, unknown fields, BOM", "\ufeff" + `{"Activity":" UPDATEINSTANCESTATUS ","instanceId":"i-9","status":"FREEZE","testFlag":1,"extra":{"a":[1,2]}}`,
			provisioning.StatusRequest{InstanceID: "i-9", Status: provisioning.StatusFreeze, Test: true}},
		{"query ids with blanks", `{"activity":"queryInstance","instanceId":" a, b ,,c "}`,
			provisioning.QueryRequest{InstanceIDs: []string{"a", "b", "c"}}},
		{"newInstance table shape only", `{"activity":"newInstance","orderId":"o","orderLineId":"l","businessId":"b"}`,
			provisioning.CreateRequest{OrderID: "o", OrderLineID: "l", BusinessID: "b"}},
		{"newInstance example shape, one orderInfo object, undecryptable phone dropped", `{"activity":"newInstance","orderLineId":"l","buyerInfo":{"customerId":"c","mobilePhone":"plain-13800000000"},
			"orderInfo":{"businessId":"b","orderId":"o2","trialFlag":"1","orderAmount":"12.30","chargingMode":"PERIOD","periodType":"day","periodNumber":"7",
			"productInfo":[{"skuCode":"s","productId":"p","linearValue":"3.0"}],"createTime":"20260301120000","expireTime":"garbage","extendParams":[{"name":"k","value":"v"}]}}`,
			nil},
	}
	for _, tc := range bodies {
		t.Run(tc.name, func(t *testing.T) {
			before := len(p.seller.recorded())
			if a := p.send(t, rawCall{body: []byte(tc.body)}); a.code == "000001" || a.code == "000002" || a.code == "000005" {
				t.Fatalf("answer %s %q", a.code, a.msg)
			}
			got := p.seller.recorded()
			if len(got) != before+1 {
				t.Fatalf("seller not called")
			}
			if tc.want == nil {
				cr := got[before].(provisioning.CreateRequest)
				if cr.OrderID != "o2" || cr.BusinessID != "b" || cr.ProductID != "p" || cr.Buyer.MobilePhone != "" || cr.Buyer.CustomerID != "c" ||
					!cr.Order.Trial || cr.Order.PeriodCount != 7 || cr.Order.Amount.String() != "12.30 USD" || cr.Order.Products[0].LinearValue != 3 ||
					!cr.Order.ExpiresAt.IsZero() || !cr.Order.CreatedAt.Equal(time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC)) || cr.Order.Extra["k"] != "v" || cr.Mode != "" {
					t.Fatalf("create request %+v", cr)
				}
				return
			}
			if d := diffAny(tc.want, got[before]); d != "" {
				t.Fatalf("seller got (-want +got):\n%s", d)
			}
		})
	}
}

func TestHandlerModes(t *testing.T) {
	p := newFakePair(t)
	for _, tc := range []struct {
		charging, period string
		want             string
	}{
		{"PERIOD", "year", "yearly"}, {"PERIOD", "month", "monthly"}, {"ONETIME", "", "one_time"}, {"ONDEMAND", "", "pay_per_use"},
	} {
		before := len(p.seller.recorded())
		body := `{"activity":"newInstance","orderId":"o-` + tc.want + `","orderLineId":"l","businessId":"b","productId":"p","orderInfo":[{"chargingMode":"` + tc.charging + `","periodType":"` + tc.period + `"}]}`
		if a := p.send(t, rawCall{body: []byte(body)}); a.code != "000000" {
			t.Fatalf("%s: %s %s", tc.want, a.code, a.msg)
		}
		if got := p.seller.recorded()[before].(provisioning.CreateRequest).Mode; string(got) != tc.want {
			t.Errorf("mode = %s, want %s", got, tc.want)
		}
	}
}

func TestHandlerLogsRefusals(t *testing.T) {
	var buf bytes.Buffer
	p := newFakePair(t, saasaccess.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	p.send(t, rawCall{body: []byte(queryBody), signature: strings.Repeat("00", 32)})
	if !strings.Contains(buf.String(), "resultCode=000001") {
		t.Fatalf("log %q lacks the refusal", buf.String())
	}
}

// errReader fails every read.
type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestHandlerBodyReadError(t *testing.T) {
	p := newFakePair(t)
	// A hand-built request without a body is an unsigned empty request.
	nilBody := httptest.NewRequest(http.MethodPost, "/x", nil)
	nilBody.Body = nil
	rec0 := httptest.NewRecorder()
	p.handler.ServeHTTP(rec0, nilBody)
	if !strings.Contains(rec0.Body.String(), `"000001"`) {
		t.Fatalf("nil body answered %s", rec0.Body)
	}
	req := httptest.NewRequest(http.MethodPost, "/x", io.NopCloser(errReader{}))
	rec := httptest.NewRecorder()
	p.handler.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"000002"`) {
		t.Fatalf("answer %d %s", rec.Code, rec.Body)
	}
}

func TestNewHandlerAndClientConfig(t *testing.T) {
	f := newFakeSeller()
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"handler nil seller", func() error { _, err := saasaccess.NewHandler(testKey, nil); return err }(), saasaccess.ErrConfig},
		{"handler empty key", func() error { _, err := saasaccess.NewHandler("", f); return err }(), saasaccess.ErrConfig},
		{"handler raw key of wrong size", func() error { _, err := saasaccess.NewHandler("short", f); return err }(), saasaccess.ErrCredential},
		{"handler AES128 with a 32-byte raw key", func() error {
			_, err := saasaccess.NewHandler(testKey, f, saasaccess.WithEncryptType(saasaccess.AES128))
			return err
		}(), saasaccess.ErrCredential},
		{"client bad endpoint", func() error { _, err := saasaccess.NewClient("ftp://x", testKey); return err }(), saasaccess.ErrConfig},
		{"client relative endpoint", func() error { _, err := saasaccess.NewClient("/saas", testKey); return err }(), saasaccess.ErrConfig},
		{"client raw key of wrong size", func() error { _, err := saasaccess.NewClient("https://x.example", "short"); return err }(), saasaccess.ErrCredential},
		{"nil clock", func() error {
			_, err := saasaccess.NewClient("https://x.example", testKey, saasaccess.WithClock(nil))
			return err
		}(), saasaccess.ErrConfig},
		{"zero timeout", func() error {
			_, err := saasaccess.NewClient("https://x.example", testKey, saasaccess.WithTimeout(0))
			return err
		}(), saasaccess.ErrConfig},
		{"zero body size", func() error { _, err := saasaccess.NewHandler(testKey, f, saasaccess.WithMaxBodySize(0)); return err }(), saasaccess.ErrConfig},
		{"zero window", func() error { _, err := saasaccess.NewHandler(testKey, f, saasaccess.WithWindow(0)); return err }(), saasaccess.ErrConfig},
		{"bad encrypt type", func() error { _, err := saasaccess.NewHandler(testKey, f, saasaccess.WithEncryptType(5)); return err }(), saasaccess.ErrConfig},
		{"bad derivation", func() error { _, err := saasaccess.NewHandler(testKey, f, saasaccess.WithKeyDerivation(5)); return err }(), saasaccess.ErrConfig},
		{"nil zone", func() error { _, err := saasaccess.NewHandler(testKey, f, saasaccess.WithTimeZone(nil)); return err }(), saasaccess.ErrConfig},
		{"bad currency", func() error { _, err := saasaccess.NewHandler(testKey, f, saasaccess.WithCurrency("XXX")); return err }(), saasaccess.ErrConfig},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, tc.want) {
				t.Fatalf("err = %v, want %v", tc.err, tc.want)
			}
		})
	}
	// Shared nonce cache: a nonce used on one Handler is refused by the other.
	nc := saasaccess.NewNonceCache(10)
	clock := newClock()
	h1, _ := saasaccess.NewHandler(testKey, f, saasaccess.WithNonceCache(nc), saasaccess.WithClock(clock.Now))
	h2, _ := saasaccess.NewHandler(testKey, f, saasaccess.WithNonceCache(nc), saasaccess.WithClock(clock.Now))
	for i, h := range []*saasaccess.Handler{h1, h2} {
		p := &pair{handler: h, clock: clock}
		want := []string{"000000", "000001"}[i]
		if a := p.send(t, rawCall{body: []byte(queryBody), nonce: "shared"}); a.code != want {
			t.Fatalf("handler %d answered %s, want %s", i+1, a.code, want)
		}
	}
}

func FuzzHandler(f *testing.F) {
	f.Add([]byte(queryBody), "nonce", true)
	f.Add([]byte(`{"activity":"newInstance","orderId":"o","orderLineId":"l","businessId":"b","buyerInfo":{"email":"x"}}`), "n", true)
	f.Add([]byte(`{"activity":"changeInstanceCheck","instanceId":"i","productInfo":{"productId":"p","linearValue":"1e400"}}`), "n", false)
	p := &pair{clock: newClock()}
	fake := newFakeSeller()
	h, err := saasaccess.NewHandler(testKey, saasaccess.Idempotent(fake, &saasaccess.MemoryInstanceIDs{}), saasaccess.WithClock(p.clock.Now), saasaccess.WithNonceCapacity(1<<20))
	if err != nil {
		f.Fatal(err)
	}
	p.handler = h
	n := 0
	f.Fuzz(func(t *testing.T, body []byte, nonce string, sign bool) {
		// Whatever the body, signed or not, the answer is a signed protocol
		// response with a documented code and HTTP 200.
		n++
		c := rawCall{body: body, nonce: strconv.Itoa(n) + nonce}
		if !sign {
			c.signature = strings.Repeat("0", 64)
		}
		a := p.send(t, c)
		if a.status != http.StatusOK || !provisioning.ResultCode(a.code).Known() {
			t.Fatalf("answer HTTP %d code %q", a.status, a.code)
		}
		if !sign && a.code != "000001" {
			t.Fatalf("unsigned request answered %s", a.code)
		}
	})
}

// TestHandlerAcceptsPublishedNewInstanceExample follows reference
// ambiguity 8: the signature page's newInstance example carries buyerInfo
// and orderInfo[] but no top-level orderLineId or businessId, and a seller
// must accept it (only activity and orderId are required, and productId
// for pay-per-use, whose idempotency it keys). Resends with another
// businessId get the same instance.
func TestHandlerAcceptsPublishedNewInstanceExample(t *testing.T) {
	example := func(businessID, chargingMode, productInfo string) []byte {
		return []byte(`{"activity":"newInstance","testFlag":"1",
			"buyerInfo":{"customerId":"68cbc86abc2018ab880d92f36422fa0e","customerName":"huaweicloud","userId":"6c9b1d8f","userName":"huaweicloud"},
			"orderInfo":[{"businessId":"` + businessID + `","orderId":"CS2210241640FAOJA","trialFlag":"0","orderAmount":100.00,
			"chargingMode":"` + chargingMode + `","periodType":"month","periodNumber":5,"provisionType":1,
			"productInfo":[` + productInfo + `],
			"createTime":"20221024164003","expireTime":"20221224235959","extendParams":[{"name":"emailDomainName","value":"example.com"}]}]}`)
	}
	const product = `{"skuCode":"c5a0b6d8-sku","productId":"00301-666666-0--0","linearValue":10}`
	tests := []struct {
		name    string
		bodies  [][]byte
		want    []string // result code per body
		wantKey provisioning.CreateKey
	}{
		{"periodic order, resent with a new businessId",
			[][]byte{example("biz-1", "PERIOD", product), example("biz-2", "PERIOD", product)},
			[]string{"000000", "000000"}, provisioning.CreateKey{OrderID: "CS2210241640FAOJA"}},
		{"pay-per-use keyed on the product of orderInfo",
			[][]byte{example("biz-3", "ONDEMAND", product)},
			[]string{"000000"}, provisioning.CreateKey{OrderID: "CS2210241640FAOJA", ProductID: "00301-666666-0--0"}},
		{"pay-per-use without any product id is refused",
			[][]byte{example("biz-4", "ONDEMAND", "")},
			[]string{"000002"}, provisioning.CreateKey{}},
		{"no orderId anywhere is refused",
			[][]byte{[]byte(`{"activity":"newInstance","orderLineId":"l","businessId":"b"}`)},
			[]string{"000002"}, provisioning.CreateKey{}},
		{"an over-long orderLineId is still refused",
			[][]byte{[]byte(`{"activity":"newInstance","orderId":"o","orderLineId":"` + strings.Repeat("l", 65) + `"}`)},
			[]string{"000002"}, provisioning.CreateKey{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newFakePair(t)
			var ids []string
			for i, body := range tc.bodies {
				a := p.send(t, rawCall{body: body})
				if a.code != tc.want[i] {
					t.Fatalf("body %d answered %s %q, want %s", i, a.code, a.msg, tc.want[i])
				}
				var r saasaccess.NewInstanceResponse
				if err := json.Unmarshal(a.body, &r); err != nil {
					t.Fatal(err)
				}
				if a.code == "000000" {
					ids = append(ids, string(r.InstanceID))
				}
			}
			got := p.seller.recorded()
			if tc.wantKey == (provisioning.CreateKey{}) {
				if len(got) != 0 {
					t.Fatalf("seller called with %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("seller called %d times, want once (resends answered from the idempotency store)", len(got))
			}
			cr := got[0].(provisioning.CreateRequest)
			if cr.Key() != tc.wantKey || cr.BusinessID != "biz-1" && cr.BusinessID != "biz-3" || cr.OrderLineID != "" || !cr.Test {
				t.Errorf("seller got key %v, request %+v", cr.Key(), cr)
			}
			for _, id := range ids[1:] {
				if id != ids[0] {
					t.Errorf("resend answered instance %s, want %s", id, ids[0])
				}
			}
		})
	}
}
