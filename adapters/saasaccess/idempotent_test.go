package saasaccess_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/opengallery/opengallery/adapters/saasaccess"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
)

func TestIdempotent(t *testing.T) {
	ctx := context.Background()
	f := newFakeSeller()
	s := saasaccess.Idempotent(f, &saasaccess.MemoryInstanceIDs{})
	base := provisioning.CreateRequest{OrderID: "o", OrderLineID: "l1", BusinessID: "b1", ProductID: "p1", Mode: billing.Monthly}
	steps := []struct {
		name   string
		mutate func(r *provisioning.CreateRequest)
		want   string
	}{
		{"first", func(*provisioning.CreateRequest) {}, "inst-0001"},
		{"resend with a new business id", func(r *provisioning.CreateRequest) { r.BusinessID = "b2" }, "inst-0001"},
		{"other order line", func(r *provisioning.CreateRequest) { r.OrderLineID = "l2" }, "inst-0002"},
		{"other order", func(r *provisioning.CreateRequest) { r.OrderID = "o2" }, "inst-0003"},
		{"pay-per-use keys on product", func(r *provisioning.CreateRequest) { r.Mode = billing.PayPerUse; r.OrderLineID = "x" }, "inst-0004"},
		{"pay-per-use, same product, other line", func(r *provisioning.CreateRequest) { r.Mode = billing.PayPerUse; r.OrderLineID = "y" }, "inst-0004"},
		{"pay-per-use, other product", func(r *provisioning.CreateRequest) { r.Mode = billing.PayPerUse; r.ProductID = "p2" }, "inst-0005"},
	}
	for _, st := range steps {
		req := base
		st.mutate(&req)
		res, err := s.CreateInstance(ctx, req)
		if err != nil || res.InstanceID != st.want {
			t.Fatalf("%s: %+v, %v; want %s", st.name, res, err, st.want)
		}
	}
	if f.creates != 5 {
		t.Errorf("seller created %d, want 5", f.creates)
	}
	// Other operations pass through.
	if err := s.Release(ctx, provisioning.ReleaseRequest{InstanceID: "inst-0001"}); err != nil {
		t.Fatal(err)
	}
}

func TestIdempotentFailureStoresNothing(t *testing.T) {
	ctx := context.Background()
	f := newFakeSeller()
	f.failWith[provisioning.OpCreate] = provisioning.ErrNoResource
	s := saasaccess.Idempotent(f, &saasaccess.MemoryInstanceIDs{})
	req := provisioning.CreateRequest{OrderID: "o", OrderLineID: "l", BusinessID: "b"}
	if _, err := s.CreateInstance(ctx, req); !errors.Is(err, provisioning.ErrNoResource) {
		t.Fatalf("err = %v", err)
	}
	delete(f.failWith, provisioning.OpCreate)
	if res, err := s.CreateInstance(ctx, req); err != nil || res.InstanceID != "inst-0001" {
		t.Fatalf("retry = %+v, %v", res, err)
	}
}

// racyStore simulates another process storing an id first.
type racyStore struct {
	saasaccess.MemoryInstanceIDs
	earlier string
	fail    error
}

func (r *racyStore) Lookup(ctx context.Context, k provisioning.CreateKey) (string, bool, error) {
	if r.fail != nil {
		return "", false, r.fail
	}
	return "", false, nil
}

func (r *racyStore) Store(ctx context.Context, k provisioning.CreateKey, id string) (string, error) {
	if r.earlier != "" {
		return r.earlier, nil
	}
	return "", errors.New("store down")
}

func TestIdempotentStoreOutcomes(t *testing.T) {
	ctx := context.Background()
	req := provisioning.CreateRequest{OrderID: "o", OrderLineID: "l", BusinessID: "b"}
	s := saasaccess.Idempotent(newFakeSeller(), &racyStore{earlier: "from-other-process"})
	if res, err := s.CreateInstance(ctx, req); err != nil || res.InstanceID != "from-other-process" {
		t.Errorf("lost race: %+v, %v; want the earlier id", res, err)
	}
	s = saasaccess.Idempotent(newFakeSeller(), &racyStore{})
	if _, err := s.CreateInstance(ctx, req); err == nil || err.Error() != "store down" {
		t.Errorf("store failure: %v", err)
	}
	s = saasaccess.Idempotent(newFakeSeller(), &racyStore{fail: errors.New("lookup down")})
	if _, err := s.CreateInstance(ctx, req); err == nil || err.Error() != "lookup down" {
		t.Errorf("lookup failure: %v", err)
	}
}

func TestIdempotentConcurrentSameKey(t *testing.T) {
	f := newFakeSeller()
	s := saasaccess.Idempotent(f, &saasaccess.MemoryInstanceIDs{})
	var wg sync.WaitGroup
	ids := make([]string, 32)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := s.CreateInstance(context.Background(), provisioning.CreateRequest{OrderID: "o", OrderLineID: "l", BusinessID: "b"})
			if err == nil {
				ids[i] = res.InstanceID
			}
		}()
	}
	wg.Wait()
	for i, id := range ids {
		if id != "inst-0001" {
			t.Fatalf("caller %d got %q", i, id)
		}
	}
	if f.creates != 1 {
		t.Errorf("seller created %d instances", f.creates)
	}
}
