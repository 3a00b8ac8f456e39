package conformance_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/saasaccess"
	"github.com/opengallery/opengallery/adapters/saasaccess/conformance"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
)

const key = "conformance-test-access-key-32b!" // 32 bytes: a raw AES-256 key

func serve(t *testing.T, seller saasaccess.Seller, opts ...saasaccess.Option) string {
	t.Helper()
	h, err := saasaccess.NewHandler(key, seller, opts...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/saasproduce"
}

func run(t *testing.T, endpoint string, mutate ...func(*conformance.Config)) conformance.Report {
	t.Helper()
	cfg := conformance.Config{Endpoint: endpoint, AccessKey: key, RunID: "T1", PollInterval: 5 * time.Millisecond, PollTimeout: 200 * time.Millisecond}
	for _, m := range mutate {
		m(&cfg)
	}
	rep, err := conformance.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// statuses maps each check to its status, for comparing reports.
func statuses(r conformance.Report) map[string]conformance.Status {
	m := map[string]conformance.Status{}
	for _, res := range r.Results {
		m[res.Check] = res.Status
	}
	return m
}

// allPassExcept is every check passing except the named ones.
func allPassExcept(except map[string]conformance.Status) map[string]conformance.Status {
	m := map[string]conformance.Status{}
	for _, c := range conformance.Checks() {
		m[c] = conformance.Pass
		if s, ok := except[c]; ok {
			m[c] = s
		}
	}
	return m
}

func TestHandlerWithFakeSellerPassesEverything(t *testing.T) {
	seller := fake.NewSaaS()
	rep := run(t, serve(t, seller))
	var out bytes.Buffer
	if _, err := rep.WriteTo(&out); err != nil {
		t.Fatal(err)
	}
	if !rep.Passed() {
		t.Fatalf("report:\n%s", out.String())
	}
	var got []string
	for _, r := range rep.Results {
		got = append(got, r.Check)
	}
	if d := cmp.Diff(conformance.Checks(), got); d != "" {
		t.Errorf("checks run (-want +got):\n%s", d)
	}
	if !strings.Contains(out.String(), fmt.Sprintf("%d passed, 0 failed, 0 skipped", len(got))) {
		t.Errorf("summary missing:\n%s", out.String())
	}
	// The run really went through the seller: one instance, created once,
	// released at the end, and every scene refreshed.
	insts := seller.Instances()
	if len(insts) != 1 || insts[0].State != fake.InstanceReleased {
		t.Fatalf("seller instances %+v", insts)
	}
	if n := len(seller.CallsTo(provisioning.OpRefresh)); n != len(provisioning.Scenes) {
		t.Errorf("%d refreshes, want %d", n, len(provisioning.Scenes))
	}
	if r, ok := rep.Result(conformance.CheckQueryAppInfo); !ok || !strings.Contains(r.Detail, "password decrypted") {
		t.Errorf("query detail %+v", r)
	}
}

func TestJavaDerivationAndAES128(t *testing.T) {
	opts := []saasaccess.Option{saasaccess.WithKeyDerivation(saasaccess.JavaSHA1PRNG), saasaccess.WithEncryptType(saasaccess.AES128)}
	rep := run(t, serve(t, fake.NewSaaS(), opts...), func(c *conformance.Config) { c.ClientOptions = opts })
	if !rep.Passed() {
		t.Fatalf("%+v", rep.Results)
	}
	// A client with the other derivation cannot read the passwords.
	rep = run(t, serve(t, fake.NewSaaS(), opts...))
	if r, _ := rep.Result(conformance.CheckQueryAppInfo); r.Status != conformance.Fail {
		t.Errorf("query with the wrong key derivation: %+v", r)
	}
}

// forgetful creates a new instance on every call: not idempotent.
type forgetful struct {
	*fake.SaaS
	mu sync.Mutex
	n  int
}

func (f *forgetful) CreateInstance(ctx context.Context, req provisioning.CreateRequest) (provisioning.CreateResult, error) {
	f.mu.Lock()
	f.n++
	req.OrderLineID = fmt.Sprint(req.OrderLineID, "-", f.n)
	f.mu.Unlock()
	return f.SaaS.CreateInstance(ctx, req)
}

// noRefresh refuses a refresh of a trial with the wrong code.
type noRefresh struct{ *fake.SaaS }

func (noRefresh) Refresh(_ context.Context, req provisioning.RefreshRequest) error {
	if req.Scene == provisioning.SceneTrialToFormal {
		return errors.New("this seller cannot convert trials")
	}
	return nil
}

// refusesChanges refuses every change with 000100.
type refusesChanges struct{ *fake.SaaS }

func (refusesChanges) ChangeCheck(context.Context, provisioning.ChangeCheckRequest) error {
	return &provisioning.ResultError{Code: provisioning.CodeNoResource, Message: "no capacity"}
}

func TestDetectsBrokenSellers(t *testing.T) {
	processing := fake.NewSaaS()
	processing.Processing(provisioning.OpCreate, 0)
	neverReady := fake.NewSaaS()
	neverReady.Processing(provisioning.OpQuery, 0)
	skipped := map[string]conformance.Status{conformance.CheckCreate: conformance.Fail, conformance.CheckRelease: conformance.Skip,
		conformance.CheckCreateIdempotent: conformance.Skip, conformance.CheckQueryAppInfo: conformance.Skip,
		conformance.CheckFreeze: conformance.Skip, conformance.CheckUnfreeze: conformance.Skip, conformance.CheckUpgrade: conformance.Skip,
		conformance.CheckChangeCheck: conformance.Skip}
	for _, s := range provisioning.Scenes {
		skipped[conformance.CheckRefreshPrefix+string(s)] = conformance.Skip
	}
	tests := []struct {
		name   string
		url    func(t *testing.T) string
		mutate func(*conformance.Config)
		want   map[string]conformance.Status
	}{
		{"not idempotent", func(t *testing.T) string { return serve(t, &forgetful{SaaS: fake.NewSaaS()}) }, nil,
			allPassExcept(map[string]conformance.Status{conformance.CheckCreateIdempotent: conformance.Fail})},
		{"create stays processing", func(t *testing.T) string { return serve(t, processing) }, nil, allPassExcept(skipped)},
		{"app info never arrives", func(t *testing.T) string { return serve(t, neverReady) }, nil,
			allPassExcept(map[string]conformance.Status{conformance.CheckQueryAppInfo: conformance.Fail})},
		{"one scene fails", func(t *testing.T) string { return serve(t, noRefresh{fake.NewSaaS()}) }, nil,
			allPassExcept(map[string]conformance.Status{conformance.CheckRefreshPrefix + string(provisioning.SceneTrialToFormal): conformance.Fail})},
		{"change refused is a valid answer", func(t *testing.T) string { return serve(t, refusesChanges{fake.NewSaaS()}) }, nil, allPassExcept(nil)},
		{"window too wide", func(t *testing.T) string { return serve(t, fake.NewSaaS(), saasaccess.WithWindow(10*time.Minute)) }, nil,
			allPassExcept(map[string]conformance.Status{conformance.CheckStaleTimestamp: conformance.Fail})},
		{"larger body limit than declared", func(t *testing.T) string {
			return serve(t, fake.NewSaaS(), saasaccess.WithMaxBodySize(4<<20))
		}, nil, allPassExcept(map[string]conformance.Status{conformance.CheckOversizedBody: conformance.Fail})},
		{"declared smaller limit", func(t *testing.T) string { return serve(t, fake.NewSaaS(), saasaccess.WithMaxBodySize(4096)) },
			func(c *conformance.Config) { c.MaxBodySize = 4096 }, allPassExcept(nil)},
		{"unsigned answers refused", func(t *testing.T) string { return serve(t, fake.NewSaaS(), saasaccess.WithoutBodySign()) }, nil,
			func() map[string]conformance.Status {
				m := map[string]conformance.Status{}
				for c, s := range allPassExcept(skipped) {
					m[c] = s
					if s == conformance.Pass {
						m[c] = conformance.Fail // every refusal answer lacks Body-Sign
					}
				}
				return m
			}()},
		{"unsigned answers allowed", func(t *testing.T) string { return serve(t, fake.NewSaaS(), saasaccess.WithoutBodySign()) },
			func(c *conformance.Config) { c.AllowUnsignedResponses = true }, allPassExcept(nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var muts []func(*conformance.Config)
			if tc.mutate != nil {
				muts = append(muts, tc.mutate)
			}
			rep := run(t, tc.url(t), muts...)
			if d := cmp.Diff(tc.want, statuses(rep)); d != "" {
				var out bytes.Buffer
				_, _ = rep.WriteTo(&out)
				t.Errorf("statuses (-want +got):\n%s\n%s", d, out.String())
			}
			if tc.want[conformance.CheckCreate] == conformance.Pass && rep.Passed() != (len(allPassExcept(nil)) == countPass(tc.want)) {
				t.Errorf("Passed() = %v", rep.Passed())
			}
		})
	}
}

func countPass(m map[string]conformance.Status) int {
	n := 0
	for _, s := range m {
		if s == conformance.Pass {
			n++
		}
	}
	return n
}

// naive accepts anything and answers success, signed: every refusal check
// must fail.
func TestNaiveEndpointFailsRefusals(t *testing.T) {
	signer := saasaccess.NewSigner(key)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body := []byte(`{"resultCode":"000000","instanceId":"i-1","info":[{"instanceId":"i-1","appInfo":{"frontEndUrl":"https://x"}}]}`)
		w.Header()["Body-Sign"] = []string{signer.BodySignHeader(body)}
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	rep := run(t, srv.URL)
	want := allPassExcept(map[string]conformance.Status{
		conformance.CheckBadSignature: conformance.Fail, conformance.CheckStaleTimestamp: conformance.Fail,
		conformance.CheckReplayedNonce: conformance.Fail, conformance.CheckTamperedBody: conformance.Fail,
		conformance.CheckOversizedBody: conformance.Fail, conformance.CheckUnknownActivity: conformance.Fail,
	})
	if d := cmp.Diff(want, statuses(rep)); d != "" {
		t.Errorf("statuses (-want +got):\n%s", d)
	}
	if r, _ := rep.Result(conformance.CheckBadSignature); !strings.Contains(r.Detail, "answered 000000") {
		t.Errorf("detail %q", r.Detail)
	}
}

func TestUnreachableEndpoint(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	rep := run(t, url)
	for _, r := range rep.Results {
		if r.Status == conformance.Pass {
			t.Errorf("%s passed against a closed port", r.Check)
		}
	}
	if rep.Passed() {
		t.Error("Passed() = true")
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []conformance.Config{
		{AccessKey: key},
		{Endpoint: "https://x.example"},
		{Endpoint: "https://x.example", AccessKey: "short"}, // not a raw AES key
		{Endpoint: "not a url", AccessKey: key},
	} {
		if _, err := conformance.Run(context.Background(), cfg); !errors.Is(err, conformance.ErrConfig) {
			t.Errorf("Run(%+v) = %v, want ErrConfig", cfg, err)
		}
	}
	if (conformance.Report{}).Passed() {
		t.Error("an empty report passed")
	}
}
