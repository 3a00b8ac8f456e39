package marketplace_test

import (
	"errors"
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/supervision"
)

// TestProvisioningFailureTerminatesFlow: a supervised SaaS order whose
// create never succeeds is cancelled and refunded, and its supervision
// flow is terminated by the system with an operation record, in the same
// update.
func TestProvisioningFailureTerminatesFlow(t *testing.T) {
	e := newEnv(t)
	e.saas.Fail(provisioning.OpCreate, provisioning.CodeInternal.Err("down"), 0)
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasSup.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	if o.FlowID == "" {
		t.Fatal("no flow")
	}
	for range 61 {
		e.advance(3 * time.Minute)
	}
	got := e.order(o.ID)
	if got.Status != marketplace.OrderCancelled || got.RefundedAt == nil {
		t.Fatalf("order %s refunded %v", got.Status, got.RefundedAt)
	}
	f := must(e.svc.GetFlow(ctx, operator, o.FlowID))(t)
	if f.Status != string(supervision.Terminated) || f.Supervision.TerminatedAt.IsZero() {
		t.Fatalf("flow %s", f.Status)
	}
	last := f.Records[len(f.Records)-1]
	if last.Action != supervision.Terminate || last.Actor.Role != supervision.System || last.From != supervision.AwaitingRequest ||
		last.Seq != f.Supervision.Seq || last.Reason == "" {
		t.Fatalf("record %+v", last)
	}
	if len(f.Available) != 0 {
		t.Fatalf("actions still available: %v", f.Available)
	}
	// The cancellation, the flow's end and the resource's failure share one
	// transaction: their events are consecutive.
	var seqs []int64
	for _, ev := range e.events() {
		if (ev.AggregateID == o.ID && ev.Type == "order.cancelled") || (ev.AggregateID == o.FlowID && ev.Type == "flow.terminate") ||
			(ev.AggregateID == o.ResourceID && ev.Type == "resource.failed") {
			seqs = append(seqs, ev.Seq)
		}
	}
	if len(seqs) != 3 || seqs[2]-seqs[0] != 2 {
		t.Fatalf("events %v", seqs)
	}
	// A buyer's action on the ended flow is refused.
	_, err := e.svc.Act(ctx, buyer, marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.SubmitRequest, Description: "x",
		Attachments: []supervision.Attachment{{Name: "a.pdf", Size: 1, BlobRef: "blob://a"}}})
	wantErr(t, err, marketplace.ErrNotAllowed)
}

// TestListFlowsStatus: the status filter takes supervision statuses only;
// anything else is an input error, not an empty page.
func TestListFlowsStatus(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil)
	f := must(e.svc.GetFlow(ctx, buyer, o.FlowID))(t)
	pg := must(e.svc.ListFlows(ctx, buyer, marketplace.ListFlowsInput{Status: string(f.Supervision.Status)}))(t)
	if pg.Total != 1 {
		t.Errorf("flows in %s: %d", f.Supervision.Status, pg.Total)
	}
	_, err := e.svc.ListFlows(ctx, buyer, marketplace.ListFlowsInput{Status: "bogus"})
	var ie *marketplace.InputError
	if !errors.As(err, &ie) || ie.Field != "status" {
		t.Errorf("status bogus: %v", err)
	}
}
