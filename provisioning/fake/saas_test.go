package fake_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
)

var expiry = time.Date(2026, 12, 24, 15, 59, 59, 0, time.UTC)

func create(orderLine string) provisioning.CreateRequest {
	return provisioning.CreateRequest{OrderID: "CS1", OrderLineID: orderLine, BusinessID: "b-" + orderLine,
		ProductID: "prod-1", Mode: billing.Monthly, Order: provisioning.OrderDetails{ExpiresAt: expiry}}
}

func TestSaaSLifecycle(t *testing.T) {
	ctx := context.Background()
	s := fake.NewSaaS()
	res, err := s.CreateInstance(ctx, create("L1"))
	if err != nil {
		t.Fatal(err)
	}
	if res.InstanceID != "inst-0001" || res.Processing {
		t.Fatalf("create = %+v", res)
	}
	again, err := s.CreateInstance(ctx, func() provisioning.CreateRequest { r := create("L1"); r.BusinessID = "b-retry"; return r }())
	if err != nil || again.InstanceID != res.InstanceID {
		t.Fatalf("repeat create = %+v, %v; want the same instance", again, err)
	}
	id := res.InstanceID

	infos, err := s.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{id, "inst-unknown"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || !infos[0].Ready() || infos[0].AppInfo.FrontEndURL != "https://saas.example/i/inst-0001" {
		t.Fatalf("query = %+v", infos)
	}

	steps := []struct {
		name string
		call func() error
	}{
		{"trial to formal", func() error {
			return s.Refresh(ctx, provisioning.RefreshRequest{Scene: provisioning.SceneTrialToFormal, OrderID: "CS2", OrderLineID: "CS2-1",
				InstanceID: id, ProductID: "prod-2", ExpiresAt: expiry.AddDate(0, 1, 0)})
		}},
		{"renewal", func() error {
			return s.Refresh(ctx, provisioning.RefreshRequest{Scene: provisioning.SceneRenewal, OrderID: "CS3", OrderLineID: "CS3-1",
				InstanceID: id, ExpiresAt: expiry.AddDate(0, 2, 0)})
		}},
		{"freeze", func() error {
			return s.UpdateStatus(ctx, provisioning.StatusRequest{InstanceID: id, Status: provisioning.StatusFreeze})
		}},
		{"freeze again", func() error {
			return s.UpdateStatus(ctx, provisioning.StatusRequest{InstanceID: id, Status: provisioning.StatusFreeze})
		}},
	}
	for _, st := range steps {
		if err := st.call(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
	}
	in, _ := s.Instance(id)
	if in.State != fake.InstanceFrozen || in.ProductID != "prod-2" || !in.ExpiresAt.Equal(expiry.AddDate(0, 2, 0)) || len(in.Refreshes) != 2 {
		t.Fatalf("after refresh and freeze: %+v", in)
	}
	if err := s.UpdateStatus(ctx, provisioning.StatusRequest{InstanceID: id, Status: provisioning.StatusUnfreeze}); err != nil {
		t.Fatal(err)
	}
	if err := s.Upgrade(ctx, provisioning.UpgradeRequest{InstanceID: id, OrderID: "CS4", OrderLineID: "CS4-1"}); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangeCheck(ctx, provisioning.ChangeCheckRequest{InstanceID: id, Product: provisioning.ProductInfo{ProductID: "prod-3"}}); err != nil {
		t.Fatal(err)
	}
	in, _ = s.Instance(id)
	if in.State != fake.InstanceActive || in.ID != id || len(in.Upgrades) != 1 {
		t.Fatalf("after upgrade: %+v", in)
	}
	if err := s.Release(ctx, provisioning.ReleaseRequest{InstanceID: id}); err != nil {
		t.Fatal(err)
	}
	if err := s.Release(ctx, provisioning.ReleaseRequest{InstanceID: id}); err != nil {
		t.Fatalf("repeated release: %v", err)
	}
	infos, _ = s.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{id}})
	if len(infos) != 0 {
		t.Errorf("released instance still queried: %+v", infos)
	}
	for name, err := range map[string]error{
		"refresh": s.Refresh(ctx, provisioning.RefreshRequest{Scene: provisioning.SceneRenewal, OrderID: "o", OrderLineID: "l", InstanceID: id, ExpiresAt: expiry}),
		"status":  s.UpdateStatus(ctx, provisioning.StatusRequest{InstanceID: id, Status: provisioning.StatusUnfreeze}),
		"upgrade": s.Upgrade(ctx, provisioning.UpgradeRequest{InstanceID: id, OrderID: "o", OrderLineID: "l"}),
		"change":  s.ChangeCheck(ctx, provisioning.ChangeCheckRequest{InstanceID: id, Product: provisioning.ProductInfo{ProductID: "p"}}),
		"release": s.Release(ctx, provisioning.ReleaseRequest{InstanceID: "nope"}),
	} {
		if !errors.Is(err, provisioning.ErrInstanceNotFound) || provisioning.CodeOf(err) != provisioning.CodeInstanceNotFound {
			t.Errorf("%s on a released/unknown instance: %v", name, err)
		}
	}

	var ops []string
	for _, c := range s.Calls() {
		ops = append(ops, c.Op)
	}
	want := []string{"create", "create", "query", "refresh", "refresh", "update_status", "update_status", "update_status",
		"upgrade", "change_check", "release", "release", "query"}
	if diff := cmp.Diff(want, ops[:len(want)]); diff != "" {
		t.Errorf("calls (-want +got):\n%s", diff)
	}
	if got := len(s.CallsTo(provisioning.OpRefresh)); got != 3 {
		t.Errorf("%d refresh calls, want 3", got)
	}
}

func TestSaaSPayPerUseKey(t *testing.T) {
	ctx := context.Background()
	s := fake.NewSaaS(fake.WithIDPrefix("ppu-"))
	r := create("L1")
	r.Mode = billing.PayPerUse
	a, _ := s.CreateInstance(ctx, r)
	r.OrderLineID = "L2" // same order and product: the same billing item
	b, _ := s.CreateInstance(ctx, r)
	r.ProductID = "prod-2" // another billing item of the order
	c, _ := s.CreateInstance(ctx, r)
	if a.InstanceID != "ppu-0001" || b.InstanceID != a.InstanceID || c.InstanceID != "ppu-0002" {
		t.Errorf("ids %q %q %q", a.InstanceID, b.InstanceID, c.InstanceID)
	}
	if got := len(s.Instances()); got != 2 {
		t.Errorf("%d instances, want 2", got)
	}
}

func TestSaaSFaults(t *testing.T) {
	ctx := context.Background()
	s := fake.NewSaaS()
	s.Fail(provisioning.OpCreate, provisioning.CodeNoResource.Err("busy"), 2)
	for i := range 2 {
		if _, err := s.CreateInstance(ctx, create("L1")); !errors.Is(err, provisioning.ErrNoResource) || !provisioning.Retryable(err) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if len(s.Instances()) != 0 {
		t.Fatal("a failed create created an instance")
	}
	s.Processing(provisioning.OpCreate, 1)
	if res, err := s.CreateInstance(ctx, create("L1")); err != nil || !res.Processing || res.InstanceID != "" {
		t.Fatalf("processing create = %+v, %v", res, err)
	}
	res, err := s.CreateInstance(ctx, create("L1"))
	if err != nil || res.InstanceID == "" {
		t.Fatalf("create after faults = %+v, %v", res, err)
	}
	id := res.InstanceID

	s.Processing(provisioning.OpQuery, 2)
	for range 2 {
		infos, err := s.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{id}})
		if err != nil || len(infos) != 1 || infos[0].Ready() {
			t.Fatalf("processing query = %+v, %v", infos, err)
		}
	}
	if infos, _ := s.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{id}}); !infos[0].Ready() {
		t.Fatal("app info never arrived")
	}

	for _, op := range []provisioning.Operation{provisioning.OpRefresh, provisioning.OpUpdateStatus, provisioning.OpUpgrade, provisioning.OpChangeCheck, provisioning.OpRelease} {
		s.Processing(op, 1)
	}
	calls := map[string]func() error{
		"refresh": func() error {
			return s.Refresh(ctx, provisioning.RefreshRequest{Scene: provisioning.SceneRenewal, OrderID: "o", OrderLineID: "l", InstanceID: id, ExpiresAt: expiry})
		},
		"status": func() error {
			return s.UpdateStatus(ctx, provisioning.StatusRequest{InstanceID: id, Status: provisioning.StatusFreeze})
		},
		"upgrade": func() error {
			return s.Upgrade(ctx, provisioning.UpgradeRequest{InstanceID: id, OrderID: "o", OrderLineID: "l"})
		},
		"change": func() error {
			return s.ChangeCheck(ctx, provisioning.ChangeCheckRequest{InstanceID: id, Product: provisioning.ProductInfo{ProductID: "p"}})
		},
		"release": func() error { return s.Release(ctx, provisioning.ReleaseRequest{InstanceID: id}) },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, provisioning.ErrProcessing) {
			t.Errorf("%s under processing: %v", name, err)
		}
	}
	in, _ := s.Instance(id)
	if in.State != fake.InstanceActive || len(in.Refreshes) != 0 {
		t.Errorf("a processing answer changed the instance: %+v", in)
	}

	// A permanent fault stays until cleared.
	refused := &provisioning.ResultError{Code: provisioning.CodeInvalidParameter, Message: "downgrade exceeds usage"}
	s.Fail(provisioning.OpChangeCheck, refused, 0)
	for range 3 {
		if err := calls["change"](); !errors.Is(err, provisioning.ErrInvalidParameter) {
			t.Fatalf("change check = %v", err)
		}
	}
	s.ClearFaults()
	if err := calls["change"](); err != nil {
		t.Fatalf("after ClearFaults: %v", err)
	}
}

func TestSaaSInvalidRequests(t *testing.T) {
	ctx := context.Background()
	s := fake.NewSaaS()
	s.Fail(provisioning.OpCreate, errors.New("must not be consumed by invalid calls"), 1)
	if _, err := s.CreateInstance(ctx, provisioning.CreateRequest{}); !errors.Is(err, provisioning.ErrInvalidInput) {
		t.Fatalf("invalid create: %v", err)
	}
	if _, err := s.QueryInstances(ctx, provisioning.QueryRequest{}); !errors.Is(err, provisioning.ErrInvalidInput) {
		t.Fatalf("invalid query: %v", err)
	}
	if _, err := s.CreateInstance(ctx, create("L1")); err == nil || errors.Is(err, provisioning.ErrInvalidInput) {
		t.Fatalf("the injected fault was consumed by an invalid call: %v", err)
	}
	calls := s.Calls()
	if len(calls) != 3 || !errors.Is(calls[0].Err, provisioning.ErrInvalidInput) {
		t.Errorf("calls = %+v", calls)
	}
}

func TestSaaSSlow(t *testing.T) {
	s := fake.NewSaaS()
	s.Slow(provisioning.OpQuery, time.Hour, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{"i"}})
	if !errors.Is(err, context.DeadlineExceeded) || !provisioning.Retryable(err) {
		t.Fatalf("slow query = %v", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("the slow call ignored its context")
	}
	s.Slow(provisioning.OpQuery, 5*time.Millisecond, 1)
	if _, err := s.QueryInstances(context.Background(), provisioning.QueryRequest{InstanceIDs: []string{"i"}}); err != nil {
		t.Fatalf("short delay: %v", err)
	}
	s.Inject(provisioning.OpRelease, fake.Fault{Delay: time.Millisecond, Err: provisioning.ErrUnavailable, Times: 1})
	if err := s.Release(context.Background(), provisioning.ReleaseRequest{InstanceID: "i"}); !errors.Is(err, provisioning.ErrUnavailable) {
		t.Fatalf("slow failure = %v", err)
	}
}

// TestSaaSConcurrentCreates: many goroutines repeating the same create
// (as KooGallery's retries may) get one instance.
func TestSaaSConcurrentCreates(t *testing.T) {
	s := fake.NewSaaS(fake.WithAppInfo(func(id string) provisioning.AppInfo {
		return provisioning.AppInfo{FrontEndURL: "https://x/" + id}
	}))
	s.Slow(provisioning.OpCreate, time.Millisecond, 10)
	var wg sync.WaitGroup
	ids := make([]string, 64)
	for i := range ids {
		wg.Go(func() {
			res, err := s.CreateInstance(context.Background(), create(fmt.Sprintf("L%d", i%4)))
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = res.InstanceID
			_, _ = s.QueryInstances(context.Background(), provisioning.QueryRequest{InstanceIDs: []string{res.InstanceID}})
			_ = s.Calls()
		})
	}
	wg.Wait()
	for i := range ids {
		if ids[i] != ids[i%4] {
			t.Errorf("order line L%d got %q and %q", i%4, ids[i], ids[i%4])
		}
	}
	if got := len(s.Instances()); got != 4 {
		t.Errorf("%d instances, want 4", got)
	}
	if in, _ := s.Instance(ids[0]); in.AppInfo.FrontEndURL != "https://x/"+ids[0] {
		t.Errorf("WithAppInfo not used: %+v", in.AppInfo)
	}
	if _, ok := s.Instance("nope"); ok {
		t.Error("unknown instance found")
	}
}

// The marketplace's delivery: create, then poll until app info arrives.
func Example_saas() {
	ctx := context.Background()
	seller := fake.NewSaaS()
	seller.Processing(provisioning.OpQuery, 2) // provisioning takes two polls

	var saas provisioning.SaaS = seller
	res, _ := saas.CreateInstance(ctx, provisioning.CreateRequest{OrderID: "CS1", OrderLineID: "CS1-000001", BusinessID: "b1"})
	for poll := 1; ; poll++ {
		infos, _ := saas.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{res.InstanceID}})
		if len(infos) == 1 && infos[0].Ready() {
			fmt.Println("poll", poll, infos[0].AppInfo.FrontEndURL, "password", infos[0].AppInfo.Password)
			break
		}
		fmt.Println("poll", poll, "not ready")
	}
	// Output:
	// poll 1 not ready
	// poll 2 not ready
	// poll 3 https://saas.example/i/inst-0001 password [REDACTED]
}
