package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/saasaccess"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
)

// TestEndpointOverTheProtocol runs the command and drives every activity
// through the marketplace-side client.
func TestEndpointOverTheProtocol(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-ready-after", "0s"}, &out, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()

	resp, err := http.Get("http://" + addr + "/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("health = %d", resp.StatusCode)
	}

	c, err := saasaccess.NewClient("http://"+addr+"/saas", DemoKey)
	if err != nil {
		t.Fatal(err)
	}
	req := provisioning.CreateRequest{OrderID: "o1", OrderLineID: "o1-1", BusinessID: "b1", ProductID: "mail", Mode: billing.Yearly,
		Order: provisioning.OrderDetails{Products: []provisioning.ProductInfo{{ProductID: "mail", SKUCode: "std", LinearValue: 10}}}}
	first, err := c.CreateInstance(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	req.BusinessID = "b2" // a resend carries a new business id
	again, err := c.CreateInstance(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if first.InstanceID == "" || again.InstanceID != first.InstanceID {
		t.Fatalf("create twice: %q then %q, want the same id", first.InstanceID, again.InstanceID)
	}
	id := first.InstanceID
	infos, err := c.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || !infos[0].Ready() || infos[0].AppInfo.Password.Reveal() == "" {
		t.Fatalf("query: %+v, want ready app info with a password", infos)
	}
	exp := time.Date(2027, 1, 1, 15, 59, 59, 0, time.UTC)
	steps := []struct {
		name string
		call func() error
	}{
		{"refresh", func() error {
			return c.Refresh(ctx, provisioning.RefreshRequest{Scene: provisioning.SceneRenewal, OrderID: "o2", OrderLineID: "o2-1", InstanceID: id, ExpiresAt: exp})
		}},
		{"freeze", func() error {
			return c.UpdateStatus(ctx, provisioning.StatusRequest{InstanceID: id, Status: provisioning.StatusFreeze})
		}},
		{"upgrade", func() error {
			return c.Upgrade(ctx, provisioning.UpgradeRequest{InstanceID: id, OrderID: "o3", OrderLineID: "o3-1"})
		}},
		{"change check", func() error {
			return c.ChangeCheck(ctx, provisioning.ChangeCheckRequest{InstanceID: id, Product: provisioning.ProductInfo{ProductID: "mail-pro"}})
		}},
	}
	for _, s := range steps {
		if err := s.call(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
	}
	// The seller is in-process only through run; check through the
	// protocol that unknown instances are refused with 000003.
	err = c.UpdateStatus(ctx, provisioning.StatusRequest{InstanceID: "nope", Status: provisioning.StatusUnfreeze})
	if !errors.Is(err, provisioning.ErrInstanceNotFound) {
		t.Errorf("freeze unknown: %v, want ErrInstanceNotFound", err)
	}
	if err := c.Release(ctx, provisioning.ReleaseRequest{InstanceID: id}); err != nil {
		t.Fatal(err)
	}
	infos, err = c.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{id}})
	if err == nil && len(infos) != 0 {
		t.Errorf("after release query = %+v, want nothing", infos)
	}
	// A wrongly signed request is refused.
	bad, _ := saasaccess.NewClient("http://"+addr+"/saas", "another-key-of-thirty-two-bytes!")
	// The endpoint refuses it (000001) and signs its answer with the real
	// key, which the wrong-key client in turn cannot verify.
	if _, err := bad.CreateInstance(ctx, req); !errors.Is(err, provisioning.ErrAuthFailed) && !errors.Is(err, saasaccess.ErrAuth) {
		t.Errorf("bad key: %v, want an authentication failure", err)
	}
}

func TestSellerState(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newMailSeller("http://x", time.Minute, func() time.Time { return now })
	ctx := context.Background()
	res, err := s.CreateInstance(ctx, provisioning.CreateRequest{OrderID: "o", OrderLineID: "l",
		Order: provisioning.OrderDetails{Products: []provisioning.ProductInfo{{ProductID: "p", LinearValue: 5}}}})
	if err != nil {
		t.Fatal(err)
	}
	infos, _ := s.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{res.InstanceID, "unknown"}})
	if len(infos) != 1 || infos[0].Ready() {
		t.Fatalf("before the delay: %+v, want one instance not ready", infos)
	}
	now = now.Add(time.Minute)
	infos, _ = s.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{res.InstanceID}})
	if len(infos) != 1 || !infos[0].Ready() || infos[0].AppInfo.Memo != "5 mailboxes" {
		t.Fatalf("after the delay: %+v", infos)
	}
	if err := s.UpdateStatus(ctx, provisioning.StatusRequest{InstanceID: res.InstanceID, Status: provisioning.StatusFreeze}); err != nil {
		t.Fatal(err)
	}
	if in, _ := s.snapshot(res.InstanceID); !in.Frozen || in.Quantity != 5 || in.ProductID != "p" {
		t.Errorf("snapshot = %+v", in)
	}
}
