package marketplace_test

import (
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning/fake"
)

// TestUnsubscribeIdempotent: an image unsubscription under an idempotency
// key happens once; a repeat returns the same order, another resource
// under the same key is refused.
func TestUnsubscribeIdempotent(t *testing.T) {
	e := newEnv(t)
	quick := &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}
	in := marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1, Image: quick}}
	o1 := e.buy(buyer, in, &pw)
	o2 := e.buy(buyer, in, &pw)
	e.advance(24 * time.Hour)
	_, err := e.svc.UnsubscribeResource(ctx, buyer, marketplace.UnsubscribeInput{ResourceID: o1.ResourceID})
	wantErr(t, err, marketplace.ErrInvalidInput)
	before := e.balance("alice")
	in1 := marketplace.UnsubscribeInput{ResourceID: o1.ResourceID, IdempotencyKey: "u1"}
	first := must(e.svc.UnsubscribeResource(ctx, buyer, in1))(t)
	again := must(e.svc.UnsubscribeResource(ctx, buyer, in1))(t)
	if first.ID != again.ID || again.Status != marketplace.OrderCompleted {
		t.Fatalf("repeat gave %s (%s), first %s", again.ID, again.Status, first.ID)
	}
	if got, _ := e.balance("alice").Sub(before); !got.Equal(first.Amount) {
		t.Fatalf("refunded %s, want %s once", got, first.Amount)
	}
	if n := countOp(e.dep.Calls(), string(fake.OpRelease)); n != 1 {
		t.Fatalf("%d release calls", n)
	}
	_, err = e.svc.UnsubscribeResource(ctx, buyer, marketplace.UnsubscribeInput{ResourceID: o2.ResourceID, IdempotencyKey: "u1"})
	wantErr(t, err, marketplace.ErrIdempotencyMismatch)
	// Keys are per buyer: another buyer's key never returns alice's order.
	_, err = e.svc.UnsubscribeResource(ctx, other, in1)
	wantErr(t, err, marketplace.ErrNotFound)
	if got := e.resource(o2.ResourceID).Status; got != marketplace.ResourceActive {
		t.Fatalf("second resource %s", got)
	}
}
