package saasaccess_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/saasaccess"
	"github.com/opengallery/opengallery/provisioning"
)

// scripted is a seller endpoint that answers a fixed body and records the
// last request.
type scripted struct {
	status   int
	body     string
	bodySign []string // nil: sign correctly; empty slice: no header
	delay    time.Duration
	lastURL  string
	lastBody []byte
	lastCT   string
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.lastURL = r.URL.String()
	s.lastBody, _ = io.ReadAll(r.Body)
	s.lastCT = r.Header.Get("Content-Type")
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-r.Context().Done():
			return
		}
	}
	switch {
	case s.bodySign == nil:
		w.Header()["Body-Sign"] = []string{saasaccess.NewSigner(testKey).BodySignHeader([]byte(s.body))}
	default:
		w.Header()["Body-Sign"] = s.bodySign
	}
	if s.status == 0 {
		s.status = http.StatusOK
	}
	w.WriteHeader(s.status)
	_, _ = io.WriteString(w, s.body)
}

func scriptedClient(t *testing.T, s *scripted, opts ...saasaccess.Option) *saasaccess.Client {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := saasaccess.NewClient(srv.URL+"/saas?product=1", testKey, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var freezeI1 = provisioning.StatusRequest{InstanceID: "i-1", Status: provisioning.StatusFreeze}

func TestClientWireFormat(t *testing.T) {
	clock := newClock()
	s := &scripted{body: `{"resultCode":"000000","resultMsg":"success."}`}
	c := scriptedClient(t, s, saasaccess.WithClock(clock.Now))
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"status", func() error { return c.UpdateStatus(context.Background(), freezeI1) },
			`{"activity":"updateInstanceStatus","instanceId":"i-1","status":"FREEZE"}`},
		{"refresh in GMT+08:00, test flag", func() error {
			return c.Refresh(context.Background(), provisioning.RefreshRequest{Scene: provisioning.SceneRenewal, OrderID: "o", OrderLineID: "l", InstanceID: "i",
				ExpiresAt: time.Date(2027, 3, 1, 15, 59, 59, 0, time.UTC), Test: true})
		}, `{"activity":"refreshInstance","scene":"RENEWAL","orderId":"o","orderLineId":"l","instanceId":"i","expireTime":"20270301235959","testFlag":"1"}`},
		{"change check with the right activity", func() error {
			return c.ChangeCheck(context.Background(), provisioning.ChangeCheckRequest{InstanceID: "i", Product: provisioning.ProductInfo{ProductID: "p", LinearValue: 20}})
		}, `{"activity":"changeInstanceCheck","instanceId":"i","productInfo":{"productId":"p","linearValue":20}}`},
		{"query joins ids", func() error {
			_, err := c.QueryInstances(context.Background(), provisioning.QueryRequest{InstanceIDs: []string{"a", "b"}})
			return err
		}, `{"activity":"queryInstance","instanceId":"a,b"}`},
		{"create table and example shapes", func() error {
			_, err := c.CreateInstance(context.Background(), provisioning.CreateRequest{OrderID: "o", OrderLineID: "l", BusinessID: "b", Mode: "yearly"})
			return err
		}, `{"activity":"newInstance","orderId":"o","orderLineId":"l","businessId":"b","orderInfo":[{"businessId":"b","orderId":"o","chargingMode":"PERIOD","periodType":"year"}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.name == "create table and example shapes" {
				// 000000 without instanceId is refused, after sending.
				if !errors.Is(err, saasaccess.ErrBadResponse) {
					t.Fatalf("err = %v, want ErrBadResponse", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if string(s.lastBody) != tc.want {
				t.Errorf("body\n got %s\nwant %s", s.lastBody, tc.want)
			}
			if !strings.HasPrefix(s.lastCT, "application/json") {
				t.Errorf("Content-Type %q", s.lastCT)
			}
			m := regexp.MustCompile(`^/saas\?nonce=([0-9a-f]{32})&product=1&signature=([0-9a-f]{64})&timestamp=(\d+)$`).FindStringSubmatch(s.lastURL)
			if m == nil {
				t.Fatalf("URL %q does not carry nonce, signature and timestamp", s.lastURL)
			}
			if m[3] != "1772366400000" { // 2026-03-01T12:00:00Z in ms
				t.Errorf("timestamp %s", m[3])
			}
			if want := independentSignature(testKey, m[1], m[3], s.lastBody); m[2] != want {
				t.Errorf("signature %s, want %s", m[2], want)
			}
		})
	}
}

func TestClientRefusesBadAnswers(t *testing.T) {
	ok := `{"resultCode":"000000"}`
	tests := []struct {
		name    string
		s       *scripted
		opts    []saasaccess.Option
		wantErr []error
	}{
		{"missing Body-Sign when required", &scripted{body: ok, bodySign: []string{}}, []saasaccess.Option{saasaccess.WithRequireBodySign()},
			[]error{saasaccess.ErrBadResponse, provisioning.ErrUnavailable}},
		{"wrong Body-Sign though not required", &scripted{body: ok, bodySign: []string{`sign_type="HMAC-SHA256", signature="AAAA"`}}, nil,
			[]error{saasaccess.ErrBadResponse, saasaccess.ErrAuth}},
		{"two Body-Sign headers", &scripted{body: ok, bodySign: []string{"a", "b"}}, nil, []error{saasaccess.ErrBadResponse}},
		{"HTML error page", &scripted{status: 502, body: "<html>Bad Gateway</html>"}, nil, []error{saasaccess.ErrBadResponse, provisioning.ErrUnavailable}},
		{"no resultCode", &scripted{body: `{"resultMsg":"hi"}`}, nil, []error{saasaccess.ErrBadResponse}},
		{"HTTP 500 claiming success", &scripted{status: 500, body: ok}, nil, []error{saasaccess.ErrBadResponse}},
		{"HTTP 500 with a code", &scripted{status: 500, body: `{"resultCode":"000005","resultMsg":"db"}`}, nil, []error{provisioning.ErrInternal}},
		{"unknown code", &scripted{body: `{"resultCode":"999999"}`}, nil, []error{provisioning.ErrUnknownResult}},
		{"numeric code", &scripted{body: `{"resultCode":3}`}, nil, []error{provisioning.ErrUnknownResult}},
		{"oversized answer", &scripted{body: `{"resultCode":"000000","pad":"` + strings.Repeat("x", 2000) + `"}`}, []saasaccess.Option{saasaccess.WithMaxBodySize(1024)},
			[]error{saasaccess.ErrBadResponse}},
		{"timeout", &scripted{body: ok, delay: time.Second}, []saasaccess.Option{saasaccess.WithTimeout(50 * time.Millisecond)},
			[]error{provisioning.ErrUnavailable, context.DeadlineExceeded}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := scriptedClient(t, tc.s, tc.opts...)
			err := c.UpdateStatus(context.Background(), freezeI1)
			for _, want := range tc.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("err = %v, want it to wrap %v", err, want)
				}
			}
			if err != nil && !provisioning.Retryable(err) && !errors.Is(err, provisioning.ErrUnknownResult) {
				t.Errorf("err %v is not retryable", err)
			}
		})
	}
}

func TestClientUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, err := saasaccess.NewClient(url, testKey)
	if err != nil {
		t.Fatal(err)
	}
	err = c.Release(context.Background(), provisioning.ReleaseRequest{InstanceID: "i"})
	if !errors.Is(err, provisioning.ErrUnavailable) || !provisioning.Retryable(err) {
		t.Fatalf("err = %v, want retryable ErrUnavailable", err)
	}
}

func encrypted(t *testing.T, typ saasaccess.EncryptType, key, plain string) string {
	t.Helper()
	c, err := saasaccess.NewCrypter(key, saasaccess.JavaSHA1PRNG, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.Encrypt(typ, plain)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestClientQueryAnswers(t *testing.T) {
	java := []saasaccess.Option{saasaccess.WithKeyDerivation(saasaccess.JavaSHA1PRNG)}
	pw256 := encrypted(t, saasaccess.AES256, testKey, "s3cret")
	pw128 := encrypted(t, saasaccess.AES128, testKey, "s3cret")
	tests := []struct {
		name    string
		body    string
		wantPW  string
		wantErr []error
	}{
		{"default AES-256", `{"resultCode":"000000","info":[{"instanceId":"a","appInfo":{"password":"` + pw256 + `"}}]}`, "s3cret", nil},
		{"AES-128 named in appInfo", `{"resultCode":"000000","info":[{"instanceId":"a","appInfo":{"password":"` + pw128 + `","encryptType":2}}]}`, "s3cret", nil},
		{"AES-128 named at the top", `{"resultCode":"000000","encryptType":"2","info":[{"instanceId":"a","appInfo":{"password":"` + pw128 + `"}}]}`, "s3cret", nil},
		{"appInfo's type wins", `{"resultCode":"000000","encryptType":"1","info":[{"instanceId":"a","appInfo":{"password":"` + pw128 + `","encryptType":"2"}}]}`, "s3cret", nil},
		{"wrong type", `{"resultCode":"000000","info":[{"instanceId":"a","appInfo":{"password":"` + pw128 + `"}}]}`, "",
			[]error{saasaccess.ErrBadResponse, saasaccess.ErrCredential}},
		{"unknown type", `{"resultCode":"000000","info":[{"instanceId":"a","appInfo":{"password":"` + pw128 + `","encryptType":"9"}}]}`, "",
			[]error{saasaccess.ErrCredential}},
		{"instance not asked for", `{"resultCode":"000000","info":[{"instanceId":"zzz"}]}`, "", []error{saasaccess.ErrBadResponse}},
		{"front-end URL too long", `{"resultCode":"000000","info":[{"instanceId":"a","appInfo":{"frontEndUrl":"` + strings.Repeat("u", 513) + `"}}]}`, "",
			[]error{saasaccess.ErrBadResponse, provisioning.ErrInvalidInput}},
		{"not ready", `{"resultCode":"000000","info":[{"instanceId":"a"}]}`, "", nil},
		{"failure code", `{"resultCode":"000003","resultMsg":"gone"}`, "", []error{provisioning.ErrInstanceNotFound}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := scriptedClient(t, &scripted{body: tc.body}, java...)
			infos, err := c.QueryInstances(context.Background(), provisioning.QueryRequest{InstanceIDs: []string{"a"}})
			if tc.wantErr != nil {
				for _, want := range tc.wantErr {
					if !errors.Is(err, want) {
						t.Errorf("err = %v, want it to wrap %v", err, want)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var pw string
			if infos[0].AppInfo != nil {
				pw = infos[0].AppInfo.Password.Reveal()
			}
			if pw != tc.wantPW {
				t.Errorf("password %q, want %q", pw, tc.wantPW)
			}
		})
	}
}

func TestClientCreateAnswers(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    provisioning.CreateResult
		wantErr error
	}{
		{"processing with id", `{"resultCode":"000004","instanceId":"i-7"}`, provisioning.CreateResult{InstanceID: "i-7", Processing: true}, nil},
		{"processing without id", `{"resultCode":"000004"}`, provisioning.CreateResult{Processing: true}, nil},
		{"app info at once", `{"resultCode":"000000","instanceId":"i-7","appInfo":{"frontEndUrl":"https://x"}}`,
			provisioning.CreateResult{InstanceID: "i-7", AppInfo: &provisioning.AppInfo{FrontEndURL: "https://x"}}, nil},
		{"bad app info password", `{"resultCode":"000000","instanceId":"i-7","appInfo":{"password":"short"}}`, provisioning.CreateResult{}, saasaccess.ErrCredential},
		{"sold out", `{"resultCode":"000106","resultMsg":"none left"}`, provisioning.CreateResult{}, provisioning.ErrSoldOut},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := scriptedClient(t, &scripted{body: tc.body})
			got, err := c.CreateInstance(context.Background(), provisioning.CreateRequest{OrderID: "o", OrderLineID: "l", BusinessID: "b"})
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := diffAny(tc.want, got); d != "" {
				t.Errorf("result (-want +got):\n%s", d)
			}
		})
	}
}

func TestResponseErrorText(t *testing.T) {
	c := scriptedClient(t, &scripted{body: `nope`})
	err := c.UpdateStatus(context.Background(), freezeI1)
	var re *saasaccess.ResponseError
	if !errors.As(err, &re) || re.Activity != "updateInstanceStatus" || !strings.Contains(err.Error(), "updateInstanceStatus") {
		t.Fatalf("err = %v", err)
	}
	var syn *json.SyntaxError
	if !errors.As(err, &syn) {
		t.Errorf("cause lost: %v", err)
	}
}

func TestClientRefusesOversizedRequest(t *testing.T) {
	s := &scripted{body: `{"resultCode":"000000","instanceId":"i"}`}
	c := scriptedClient(t, s, saasaccess.WithMaxBodySize(512))
	req := provisioning.CreateRequest{OrderID: "o", OrderLineID: "l", BusinessID: "b",
		Order: provisioning.OrderDetails{Extra: map[string]string{"big": strings.Repeat("x", 600)}}}
	_, err := c.CreateInstance(context.Background(), req)
	if !errors.Is(err, provisioning.ErrInvalidInput) || provisioning.Retryable(err) {
		t.Fatalf("err = %v, want a non-retryable ErrInvalidInput", err)
	}
	if s.lastBody != nil {
		t.Errorf("oversized request was sent")
	}
}

// deadlineRecorder is a transport that records each request's deadline and
// answers success without a network.
type deadlineRecorder struct {
	deadline time.Duration // how far ahead of the send the deadline was
	ok       bool
}

func (d *deadlineRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	dl, ok := r.Context().Deadline()
	d.deadline, d.ok = time.Until(dl), ok
	return &http.Response{StatusCode: http.StatusOK, Header: http.Header{}, Body: io.NopCloser(strings.NewReader(`{"resultCode":"000000"}`)), Request: r}, nil
}

// TestClientDefaultTimeoutIsFiveSeconds checks KooGallery's 5-second
// request timeout is applied without any option, and that a caller's
// tighter deadline still wins.
func TestClientDefaultTimeoutIsFiveSeconds(t *testing.T) {
	if saasaccess.DefaultTimeout != 5*time.Second {
		t.Fatalf("DefaultTimeout = %s", saasaccess.DefaultTimeout)
	}
	tests := []struct {
		name     string
		opts     []saasaccess.Option
		ctx      time.Duration // caller's deadline; 0 for none
		min, max time.Duration
	}{
		{"default", nil, 0, 4 * time.Second, 5 * time.Second},
		{"WithTimeout", []saasaccess.Option{saasaccess.WithTimeout(2 * time.Second)}, 0, time.Second, 2 * time.Second},
		{"caller's deadline is shorter", nil, time.Second, 0, time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &deadlineRecorder{}
			opts := append([]saasaccess.Option{saasaccess.WithHTTPClient(&http.Client{Transport: rec})}, tc.opts...)
			c, err := saasaccess.NewClient("https://isv.example/saasproduce", testKey, opts...)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if tc.ctx > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.ctx)
				defer cancel()
			}
			if err := c.UpdateStatus(ctx, freezeI1); err != nil {
				t.Fatal(err)
			}
			if !rec.ok || rec.deadline <= tc.min || rec.deadline > tc.max {
				t.Errorf("request deadline %s ahead (set %v), want in (%s, %s]", rec.deadline, rec.ok, tc.min, tc.max)
			}
		})
	}
}

// failingTransport fails every request with err, as a dead or misnamed
// endpoint does.
type failingTransport struct{ err error }

func (f failingTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, f.err }

// TestTransportErrorHidesEndpoint: a transport failure reports the activity
// and what went wrong, never the endpoint's address or the signed query
// (nonce, signature, timestamp, the endpoint's own query parameters), which
// callers store where buyers read them.
func TestTransportErrorHidesEndpoint(t *testing.T) {
	const endpoint = "http://seller.example:8443/saas?tenant=internal&token=s3cret-token"
	dnsErr := &net.DNSError{Err: "no such host", Name: "seller.example", Server: "10.9.9.9:53", IsNotFound: true}
	tests := []struct {
		name     string
		endpoint string
		opts     []saasaccess.Option
		want     string // in the error text
		is       []error
	}{
		{"connection refused", "http://127.0.0.1:1/saas?tenant=internal&token=s3cret-token", nil,
			"saasaccess: releaseInstance: dial tcp: connect: connection refused", []error{provisioning.ErrUnavailable}},
		{"unknown host", endpoint,
			[]saasaccess.Option{saasaccess.WithHTTPClient(&http.Client{Transport: failingTransport{&net.OpError{Op: "dial", Net: "tcp", Err: dnsErr}}})},
			"saasaccess: releaseInstance: lookup: no such host", []error{provisioning.ErrUnavailable, dnsErr}},
		{"an error naming the host", endpoint,
			[]saasaccess.Option{saasaccess.WithHTTPClient(&http.Client{Transport: failingTransport{errors.New("tls: certificate is not valid for seller.example")}})},
			"saasaccess: releaseInstance: tls: certificate is not valid for the endpoint", []error{provisioning.ErrUnavailable}},
		{"deadline", endpoint,
			[]saasaccess.Option{saasaccess.WithHTTPClient(&http.Client{Transport: failingTransport{context.DeadlineExceeded}})},
			"saasaccess: releaseInstance: context deadline exceeded", []error{provisioning.ErrUnavailable, context.DeadlineExceeded}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := saasaccess.NewClient(tc.endpoint, testKey, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			err = c.Release(context.Background(), provisioning.ReleaseRequest{InstanceID: "i"})
			if err == nil {
				t.Fatal("no error")
			}
			text := err.Error()
			for _, leak := range []string{"seller.example", "127.0.0.1", ":8443", "10.9.9.9", "tenant", "internal", "s3cret", "signature", "nonce", "timestamp", "http://", "?"} {
				if strings.Contains(text, leak) {
					t.Errorf("error %q contains %q", text, leak)
				}
			}
			if !strings.Contains(text, tc.want) {
				t.Errorf("error %q, want it to contain %q", text, tc.want)
			}
			for _, target := range tc.is {
				if !errors.Is(err, target) {
					t.Errorf("error %q does not wrap %v", text, target)
				}
			}
			var ue *url.Error
			if errors.As(err, &ue) {
				t.Errorf("error %q still wraps the *url.Error with the signed URL", text)
			}
		})
	}
}
