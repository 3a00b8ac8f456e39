package saasaccess_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/opengallery/opengallery/adapters/saasaccess"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
)

var decimalEqual = cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })

// testClock is a settable clock safe for concurrent use.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *testClock {
	return &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// pair is a Client talking to a Handler over a real HTTP test server.
type pair struct {
	client  *saasaccess.Client
	handler *saasaccess.Handler
	server  *httptest.Server
	clock   *testClock
	seller  *fakeSeller
}

func newPair(t *testing.T, seller saasaccess.Seller, fake *fakeSeller, opts ...saasaccess.Option) *pair {
	t.Helper()
	clock := newClock()
	base := []saasaccess.Option{saasaccess.WithClock(clock.Now), saasaccess.WithRandom(rand.NewChaCha8([32]byte{1}))}
	h, err := saasaccess.NewHandler(testKey, seller, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := saasaccess.NewClient(srv.URL+"/saasproduce", testKey, append(base, append(opts, saasaccess.WithRequireBodySign())...)...)
	if err != nil {
		t.Fatal(err)
	}
	return &pair{client: c, handler: h, server: srv, clock: clock, seller: fake}
}

func newFakePair(t *testing.T, opts ...saasaccess.Option) *pair {
	f := newFakeSeller()
	return newPair(t, saasaccess.Idempotent(f, &saasaccess.MemoryInstanceIDs{}), f, opts...)
}

func fullCreateRequest() provisioning.CreateRequest {
	return provisioning.CreateRequest{
		OrderID: "CS2603010001ABCDE", OrderLineID: "CS2603010001ABCDE-000001", BusinessID: "biz-1",
		ProductID: "00301-666666-0--0", Mode: billing.Monthly,
		Buyer: provisioning.Buyer{
			CustomerID: "cust-1", CustomerName: "Acme", UserID: "u-1", UserName: "alice",
			MobilePhone: "+86-13800000000", Email: "alice@example.com",
		},
		Order: provisioning.OrderDetails{
			Amount: billing.MustMoney("99.50", billing.USD), PeriodType: "month", PeriodCount: 3, ProvisionType: "1",
			Products:  []provisioning.ProductInfo{{ProductID: "00301-666666-0--0", SKUCode: "sku-basic", LinearValue: 10}},
			CreatedAt: time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC), ExpiresAt: time.Date(2026, 6, 1, 15, 59, 59, 0, time.UTC),
			Extra: map[string]string{"region": "ap-southeast-1", "note": "x"},
		},
		Test: true,
	}
}

func TestRoundTripEveryActivity(t *testing.T) {
	p := newFakePair(t)
	ctx := context.Background()
	create := fullCreateRequest()

	res, err := p.client.CreateInstance(ctx, create)
	if err != nil {
		t.Fatal(err)
	}
	id := res.InstanceID
	if diff := cmp.Diff(provisioning.CreateResult{InstanceID: "inst-0001"}, res); diff != "" {
		t.Errorf("create result (-want +got):\n%s", diff)
	}
	again := create
	again.BusinessID = "biz-2" // differs on every resend
	res2, err := p.client.CreateInstance(ctx, again)
	if err != nil || res2.InstanceID != id {
		t.Fatalf("second create = %+v, %v; want the same instance %s", res2, err, id)
	}

	infos, err := p.client.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{id, "unknown"}})
	if err != nil {
		t.Fatal(err)
	}
	wantInfos := []provisioning.InstanceInfo{{InstanceID: id, AppInfo: &provisioning.AppInfo{
		FrontEndURL: "https://saas.example.com/login/" + id, AdminURL: "https://saas.example.com/admin",
		UserName: "admin-" + id, Password: provisioning.NewSecret("pw-" + id + "-!秘"), Memo: "welcome",
	}}}
	if diff := cmp.Diff(wantInfos, infos); diff != "" {
		t.Errorf("query (-want +got):\n%s", diff)
	}

	expires := time.Date(2027, 3, 1, 15, 59, 59, 0, time.UTC)
	var sent []any
	sent = append(sent, create, provisioning.QueryRequest{InstanceIDs: []string{id, "unknown"}})
	for _, scene := range provisioning.Scenes {
		r := provisioning.RefreshRequest{Scene: scene, OrderID: "order-" + string(scene), OrderLineID: "line-1", InstanceID: id, ProductID: "p-2", ExpiresAt: expires}
		if err := p.client.Refresh(ctx, r); err != nil {
			t.Fatalf("refresh %s: %v", scene, err)
		}
		sent = append(sent, r)
	}
	for _, st := range []provisioning.InstanceStatus{provisioning.StatusFreeze, provisioning.StatusUnfreeze} {
		r := provisioning.StatusRequest{InstanceID: id, Status: st}
		if err := p.client.UpdateStatus(ctx, r); err != nil {
			t.Fatalf("status %s: %v", st, err)
		}
		sent = append(sent, r)
	}
	up := provisioning.UpgradeRequest{InstanceID: id, OrderID: "upgrade-order", OrderLineID: "upgrade-line"}
	if err := p.client.Upgrade(ctx, up); err != nil {
		t.Fatal(err)
	}
	cc := provisioning.ChangeCheckRequest{InstanceID: id, Product: provisioning.ProductInfo{ProductID: "p-3", SKUCode: "sku-pro", LinearValue: 50}, Test: true}
	if err := p.client.ChangeCheck(ctx, cc); err != nil {
		t.Fatal(err)
	}
	rel := provisioning.ReleaseRequest{InstanceID: id, OrderID: "unsub-order", OrderLineID: "unsub-line"}
	if err := p.client.Release(ctx, rel); err != nil {
		t.Fatal(err)
	}
	sent = append(sent, up, cc, rel)

	// Everything the seller received equals what the marketplace sent: the
	// buyer's phone and e-mail were encrypted and decrypted on the way, the
	// expiry survived the GMT+08:00 wire format, the amount its decimals.
	if diff := cmp.Diff(sent, p.seller.recorded(), decimalEqual); diff != "" {
		t.Errorf("seller received (-sent +received):\n%s", diff)
	}

	// After release the instance is gone: the seller's 000003 comes back
	// as the typed error.
	err = p.client.UpdateStatus(ctx, provisioning.StatusRequest{InstanceID: id, Status: provisioning.StatusFreeze})
	var re *provisioning.ResultError
	if !errors.As(err, &re) || re.Code != provisioning.CodeInstanceNotFound || !errors.Is(err, provisioning.ErrInstanceNotFound) {
		t.Fatalf("status after release = %v, want 000003", err)
	}
	if re.Message != "no instance "+id || provisioning.Retryable(err) {
		t.Errorf("result error %+v: message lost or retryable", re)
	}
}

func TestSellerFailuresBecomeResultCodes(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode provisioning.ResultCode
		wantMsg  string
	}{
		{"result error keeps code and message", &provisioning.ResultError{Code: provisioning.CodeSoldOut, Message: "all gone"}, provisioning.CodeSoldOut, "all gone"},
		{"sentinel maps by code", provisioning.ErrNoResource, provisioning.CodeNoResource, "no instance resource can be allocated"},
		{"wrapped sentinel", errors.Join(errors.New("db down"), provisioning.ErrMobileConflict), provisioning.CodeMobileConflict, "mobile number not specified or already exists"},
		{"anything else is internal, text hidden", errors.New("secret database password is hunter2"), provisioning.CodeInternal, "other internal error"},
		{"invalid input", &provisioning.FieldError{Field: "x", Rule: provisioning.RuleRequired, Reason: "is required"}, provisioning.CodeInvalidParameter, "provisioning: invalid x: is required"},
		{"result error with success code", &provisioning.ResultError{Code: provisioning.CodeSuccess}, provisioning.CodeInternal, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSeller()
			f.failWith[provisioning.OpCreate] = tc.err
			p := newPair(t, f, f)
			_, err := p.client.CreateInstance(context.Background(), fullCreateRequest())
			var re *provisioning.ResultError
			if !errors.As(err, &re) || re.Code != tc.wantCode {
				t.Fatalf("err = %v, want code %s", err, tc.wantCode)
			}
			if tc.wantMsg != "" && re.Message != tc.wantMsg {
				t.Errorf("message = %q, want %q", re.Message, tc.wantMsg)
			}
		})
	}
}

func TestCreateProcessing(t *testing.T) {
	f := newFakeSeller()
	f.processing = true
	p := newPair(t, saasaccess.Idempotent(f, &saasaccess.MemoryInstanceIDs{}), f)
	res, err := p.client.CreateInstance(context.Background(), fullCreateRequest())
	if err != nil || !res.Processing || res.InstanceID != "" {
		t.Fatalf("create = %+v, %v; want processing", res, err)
	}
	// Processing stores nothing: once the seller is done, the resend
	// creates the instance.
	f.mu.Lock()
	f.processing = false
	f.mu.Unlock()
	res, err = p.client.CreateInstance(context.Background(), fullCreateRequest())
	if err != nil || res.Processing || res.InstanceID != "inst-0001" {
		t.Fatalf("resend = %+v, %v", res, err)
	}
}

func TestSellerPanicIsInternalError(t *testing.T) {
	f := newFakeSeller()
	f.panicOn = provisioning.OpRefresh
	p := newPair(t, f, f)
	err := p.client.Refresh(context.Background(), provisioning.RefreshRequest{
		Scene: provisioning.SceneRenewal, OrderID: "o", OrderLineID: "l", InstanceID: "i", ExpiresAt: time.Now(),
	})
	if !errors.Is(err, provisioning.ErrInternal) || !provisioning.Retryable(err) {
		t.Fatalf("err = %v, want retryable 000005", err)
	}
}

// badSeller returns results that break the contract.
type badSeller struct{ *fakeSeller }

func (badSeller) CreateInstance(context.Context, provisioning.CreateRequest) (provisioning.CreateResult, error) {
	return provisioning.CreateResult{}, nil // no instance id, not processing
}

func (badSeller) QueryInstances(_ context.Context, req provisioning.QueryRequest) ([]provisioning.InstanceInfo, error) {
	long := make([]byte, 600)
	for i := range long {
		long[i] = 'a'
	}
	return []provisioning.InstanceInfo{{InstanceID: req.InstanceIDs[0], AppInfo: &provisioning.AppInfo{FrontEndURL: string(long)}}}, nil
}

func TestInvalidSellerResultsAreInternalErrors(t *testing.T) {
	f := newFakeSeller()
	p := newPair(t, badSeller{f}, f)
	if _, err := p.client.CreateInstance(context.Background(), fullCreateRequest()); !errors.Is(err, provisioning.ErrInternal) {
		t.Errorf("create = %v, want 000005", err)
	}
	if _, err := p.client.QueryInstances(context.Background(), provisioning.QueryRequest{InstanceIDs: []string{"i"}}); !errors.Is(err, provisioning.ErrInternal) {
		t.Errorf("query = %v, want 000005", err)
	}
}

func TestClientValidatesBeforeCalling(t *testing.T) {
	p := newFakePair(t)
	ctx := context.Background()
	errs := []error{
		func() error { _, err := p.client.CreateInstance(ctx, provisioning.CreateRequest{}); return err }(),
		func() error { _, err := p.client.QueryInstances(ctx, provisioning.QueryRequest{}); return err }(),
		p.client.Refresh(ctx, provisioning.RefreshRequest{}),
		p.client.UpdateStatus(ctx, provisioning.StatusRequest{}),
		p.client.Upgrade(ctx, provisioning.UpgradeRequest{}),
		p.client.ChangeCheck(ctx, provisioning.ChangeCheckRequest{}),
		p.client.Release(ctx, provisioning.ReleaseRequest{}),
	}
	for i, err := range errs {
		if !errors.Is(err, provisioning.ErrInvalidInput) {
			t.Errorf("call %d: %v, want ErrInvalidInput", i, err)
		}
	}
	if n := len(p.seller.recorded()); n != 0 {
		t.Errorf("seller received %d calls", n)
	}
}

func TestAES128AndJavaDerivationEndToEnd(t *testing.T) {
	tests := []struct {
		name string
		key  string
		opts []saasaccess.Option
	}{
		{"AES-128 raw", testKey[:16], []saasaccess.Option{saasaccess.WithEncryptType(saasaccess.AES128)}},
		{"AES-256 java", "seller-console-key", []saasaccess.Option{saasaccess.WithKeyDerivation(saasaccess.JavaSHA1PRNG)}},
		{"AES-128 java", "seller-console-key", []saasaccess.Option{saasaccess.WithKeyDerivation(saasaccess.JavaSHA1PRNG), saasaccess.WithEncryptType(saasaccess.AES128)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeSeller()
			h, err := saasaccess.NewHandler(tc.key, f, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			c, err := saasaccess.NewClient(srv.URL, tc.key, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			req := fullCreateRequest()
			res, err := c.CreateInstance(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			infos, err := c.QueryInstances(context.Background(), provisioning.QueryRequest{InstanceIDs: []string{res.InstanceID}})
			if err != nil || len(infos) != 1 {
				t.Fatalf("query = %v, %v", infos, err)
			}
			if got := infos[0].AppInfo.Password.Reveal(); got != "pw-"+res.InstanceID+"-!秘" {
				t.Errorf("password = %q", got)
			}
			got := f.recorded()[0].(provisioning.CreateRequest).Buyer
			if got.MobilePhone != req.Buyer.MobilePhone || got.Email != req.Buyer.Email {
				t.Errorf("buyer contact = %q %q", got.MobilePhone, got.Email)
			}
		})
	}
}

func TestConcurrentRequestsToOneHandler(t *testing.T) {
	p := newFakePair(t)
	ctx := context.Background()
	const workers, perWorker, orders = 8, 25, 10
	var wg sync.WaitGroup
	ids := make([][]string, workers)
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				req := fullCreateRequest()
				req.OrderID = "order-" + string(rune('A'+i%orders))
				res, err := p.client.CreateInstance(ctx, req)
				if err != nil {
					errs <- err
					return
				}
				ids[w] = append(ids[w], res.InstanceID)
				if _, err := p.client.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{res.InstanceID}}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	// Every worker saw the same instance for the same order.
	for w := 1; w < workers; w++ {
		if diff := cmp.Diff(ids[0], ids[w]); diff != "" {
			t.Fatalf("worker %d saw other ids (-w0 +w):\n%s", w, diff)
		}
	}
	p.seller.mu.Lock()
	defer p.seller.mu.Unlock()
	if p.seller.creates != orders {
		t.Errorf("seller created %d instances, want %d", p.seller.creates, orders)
	}
}
