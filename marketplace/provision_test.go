package marketplace_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
)

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// leakyErr is a transport failure as Go reports it: the seller endpoint's
// signed URL and address, which buyers must never see.
var leakyErr = fmt.Errorf("%w: Post \"https://seller.example/saas?tenant=acme-internal&nonce=n1&signature=sig123&timestamp=1\": dial tcp 10.0.0.7:443: connect: connection refused",
	provisioning.ErrUnavailable)

// secretsIn lists the parts of leakyErr found in s.
func secretsIn(s string) []string {
	var found []string
	for _, x := range []string{"seller.example", "acme-internal", "signature", "sig123", "nonce", "10.0.0.7", "https://", "db-7"} {
		if strings.Contains(s, x) {
			found = append(found, x)
		}
	}
	return found
}

// TestProvisioningErrorsFitForBuyers: a failed provisioning or seller call
// is recorded in the fields buyers read (the order's provisioning error
// and cancel reason, the resource's seller-call error) and in the events
// as the kind of failure only; the full error, with the endpoint's signed
// URL, goes to the service's log.
func TestProvisioningErrorsFitForBuyers(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"unreachable endpoint", leakyErr, "the delivery endpoint is unavailable"},
		{"seller failure code", provisioning.CodeInternal.Err("database db-7 at 10.0.0.7 is down"), "the seller answered 000005 (other internal error)"},
		{"seller refusal", provisioning.CodeEmailConflict.Err("ops@seller.example exists"), "the seller answered 000102 (email not specified or already exists)"},
		{"timeout", fmt.Errorf("%w: Post \"https://seller.example/\": %w", provisioning.ErrUnavailable, context.DeadlineExceeded), "the delivery endpoint did not answer in time"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			log := &syncBuffer{}
			e := newEnv(t, marketplace.WithLogger(slog.New(slog.NewTextHandler(log, nil))))
			e.saas.Fail(provisioning.OpCreate, tc.err, 1)
			o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
			if got := e.order(o.ID).Provisioning.LastError; got != tc.want {
				t.Errorf("last_error %q, want %q", got, tc.want)
			}
			if !strings.Contains(log.String(), tc.err.Error()[:20]) {
				t.Errorf("the full error is not logged; log:\n%s", log)
			}
		})
	}
}

// TestProvisioningCancelReasonFitForBuyers: an order cancelled because the
// seller's endpoint never answered says so without its address, and so do
// a seller call's retries and the events.
func TestProvisioningCancelReasonFitForBuyers(t *testing.T) {
	log := &syncBuffer{}
	e := newEnv(t, marketplace.WithLogger(slog.New(slog.NewTextHandler(log, nil))))
	e.saas.Fail(provisioning.OpCreate, leakyErr, 0)
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	for range 61 {
		e.advance(3 * time.Minute)
	}
	got := e.order(o.ID)
	if got.Status != marketplace.OrderCancelled {
		t.Fatalf("status %s", got.Status)
	}
	if leaks := secretsIn(got.CancelReason + got.Provisioning.LastError); leaks != nil {
		t.Errorf("cancel reason %q / last error %q show %v", got.CancelReason, got.Provisioning.LastError, leaks)
	}
	if got.CancelReason != "provisioning failed: the delivery endpoint is unavailable" {
		t.Errorf("cancel reason %q", got.CancelReason)
	}

	// A renewal's refresh that cannot reach the seller.
	e.saas.ClearFaults()
	o = e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	e.saas.Fail(provisioning.OpRefresh, leakyErr, 0)
	ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: o.ResourceID, Duration: 1, IdempotencyKey: "r1"}))(t)
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ro.ID}))(t)
	r := e.resource(o.ResourceID)
	if len(r.SellerCalls) != 1 || r.SellerCalls[0].LastError != "the delivery endpoint is unavailable" {
		t.Errorf("seller calls %+v", r.SellerCalls)
	}
	for _, ev := range e.events() {
		if leaks := secretsIn(string(ev.Data)); leaks != nil {
			t.Errorf("event %s %s shows %v: %v", ev.AggregateID, ev.Type, leaks, string(ev.Data))
		}
	}
	if !strings.Contains(log.String(), "signature=sig123") {
		t.Errorf("the full error is not logged; log:\n%s", log)
	}
}

// TestDeploymentErrorFitForBuyers: an image order whose deployment call
// fails is cancelled with a reason that does not quote the deployer's
// error.
func TestDeploymentErrorFitForBuyers(t *testing.T) {
	e := newEnv(t)
	e.dep.Fail(fake.OpDeploy, leakyErr, 1)
	quick := &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1, Image: quick}}, &pw)
	got := e.order(o.ID)
	if got.Status != marketplace.OrderCancelled || got.CancelReason != "image deployment failed: the delivery endpoint is unavailable" {
		t.Errorf("order %s, cancel reason %q", got.Status, got.CancelReason)
	}
	if leaks := secretsIn(got.CancelReason + got.Provisioning.LastError); leaks != nil {
		t.Errorf("order shows %v", leaks)
	}
}
