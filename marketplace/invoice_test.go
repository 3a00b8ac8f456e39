package marketplace_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// TestGetInvoiceAndConditionalChanges: an invoice is read by its buyer and
// operators only, and a change naming a version the invoice has left is a
// *PreconditionError that changes nothing.
func TestGetInvoiceAndConditionalChanges(t *testing.T) {
	e := newEnv(t)
	sa := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	inv := must(e.svc.RequestInvoice(ctx, buyer, marketplace.InvoiceInput{OrderID: sa.ID, Title: "Alice"}))(t)

	for _, c := range []struct {
		name  string
		actor marketplace.Actor
		want  error
	}{
		{"buyer", buyer, nil},
		{"operator", operator, nil},
		{"other buyer", other, marketplace.ErrNotFound},
		{"seller", seller, marketplace.ErrNotAllowed},
		{"system", marketplace.SystemActor(), marketplace.ErrNotAllowed},
	} {
		t.Run("get as "+c.name, func(t *testing.T) {
			got, err := e.svc.GetInvoice(ctx, c.actor, inv.ID)
			if c.want != nil {
				wantErr(t, err, c.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(inv, got, decimalEq); diff != "" {
				t.Errorf("GetInvoice (-requested +read):\n%s", diff)
			}
		})
	}
	_, err := e.svc.GetInvoice(ctx, buyer, "no such invoice")
	wantErr(t, err, marketplace.ErrInvalidInput)
	_, err = e.svc.GetInvoice(ctx, buyer, "inv-missing")
	wantErr(t, err, marketplace.ErrNotFound)

	_, err = e.svc.IssueInvoiceIf(ctx, operator, marketplace.InvoiceActionInput{InvoiceID: inv.ID, Version: -1})
	wantErr(t, err, marketplace.ErrInvalidInput)
	_, err = e.svc.IssueInvoiceIf(ctx, operator, marketplace.InvoiceActionInput{InvoiceID: inv.ID, Version: inv.Version + 1})
	var pe *marketplace.PreconditionError
	if !errors.As(err, &pe) || pe.Want != inv.Version+1 || pe.Have != inv.Version {
		t.Fatalf("stale issue: %v, want a *PreconditionError %d vs %d", err, inv.Version+1, inv.Version)
	}
	if cur := must(e.svc.GetInvoice(ctx, operator, inv.ID))(t); cur.Status != marketplace.InvoiceRequested || cur.Version != inv.Version {
		t.Fatalf("a stale issue changed the invoice: %+v", cur)
	}
	issued := must(e.svc.IssueInvoiceIf(ctx, operator, marketplace.InvoiceActionInput{InvoiceID: inv.ID, Version: inv.Version}))(t)
	if issued.Status != marketplace.InvoiceIssued || issued.Version <= inv.Version {
		t.Fatalf("issued = %+v", issued)
	}
	// The buyer returns it against the version read before the issue: refused.
	_, err = e.svc.ReturnInvoiceIf(ctx, buyer, marketplace.InvoiceActionInput{InvoiceID: inv.ID, Version: inv.Version})
	wantErr(t, err, marketplace.ErrConflict)
	_, err = e.svc.ReturnInvoiceIf(ctx, other, marketplace.InvoiceActionInput{InvoiceID: inv.ID, Version: issued.Version})
	wantErr(t, err, marketplace.ErrNotFound)
	returned := must(e.svc.ReturnInvoiceIf(ctx, buyer, marketplace.InvoiceActionInput{InvoiceID: inv.ID, Version: issued.Version}))(t)
	if returned.Status != marketplace.InvoiceReturned {
		t.Errorf("returned = %+v", returned)
	}
}

// TestGetUnsubscribeRequestAndConditionalDecision: a negotiated request is
// read by its buyer, the product's seller and operators; a decision naming
// a stale version is a *PreconditionError and decides nothing.
func TestGetUnsubscribeRequestAndConditionalDecision(t *testing.T) {
	e := newEnv(t)
	lic := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil)
	u := must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: lic.ResourceID, Amount: usd("1.00"), Reason: "x"}))(t)

	for _, c := range []struct {
		name  string
		actor marketplace.Actor
		want  error
	}{
		{"buyer", buyer, nil},
		{"seller", seller, nil},
		{"operator", operator, nil},
		{"other buyer", other, marketplace.ErrNotFound},
		{"other seller", seller2, marketplace.ErrNotFound},
		{"system", marketplace.SystemActor(), marketplace.ErrNotAllowed},
	} {
		t.Run("get as "+c.name, func(t *testing.T) {
			got, err := e.svc.GetUnsubscribeRequest(ctx, c.actor, u.ID)
			if c.want != nil {
				wantErr(t, err, c.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(u, got, decimalEq); diff != "" {
				t.Errorf("GetUnsubscribeRequest (-proposed +read):\n%s", diff)
			}
		})
	}
	_, err := e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Agree: false, Comment: "no", Version: -2})
	wantErr(t, err, marketplace.ErrInvalidInput)
	_, err = e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Agree: false, Comment: "no", Version: u.Version + 5})
	var pe *marketplace.PreconditionError
	if !errors.As(err, &pe) || pe.Want != u.Version+5 || pe.Have != u.Version {
		t.Fatalf("stale decision: %v, want a *PreconditionError", err)
	}
	if cur := must(e.svc.GetUnsubscribeRequest(ctx, buyer, u.ID))(t); cur.Status != marketplace.UnsubscribeProposed {
		t.Fatalf("a stale decision changed the request: %+v", cur)
	}
	got := must(e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Agree: false, Comment: "no", Version: u.Version}))(t)
	if got.Status != marketplace.UnsubscribeRejected {
		t.Errorf("decision = %+v", got)
	}
}

// TestConcurrentInvoiceRequests: two invoice requests for one order racing
// (the second commits after the first looked for an existing invoice) do
// not both create an invoice: the loser is a *StateError.
func TestConcurrentInvoiceRequests(t *testing.T) {
	hs := &hookStore{Store: memory.New()}
	e := newEnvWithStore(t, hs)
	o := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil)
	request := func(title string) (marketplace.Invoice, error) {
		return e.svc.RequestInvoice(ctx, buyer, marketplace.InvoiceInput{OrderID: o.ID, Title: title})
	}
	var secondErr error
	hs.interleave("ListInvoices", func() { _, secondErr = request("Alice Ltd (tab 2)") })
	_, firstErr := request("Alice Ltd (tab 1)")
	if (firstErr == nil) == (secondErr == nil) {
		t.Fatalf("requests: first %v, second %v; want exactly one refused", firstErr, secondErr)
	}
	lost := firstErr
	if lost == nil {
		lost = secondErr
	}
	var se *marketplace.StateError
	if !errors.As(lost, &se) || se.ID != o.ID {
		t.Fatalf("refused request: %v, want a *StateError", lost)
	}
	pg := must(e.svc.ListInvoices(ctx, buyer, "", "", 0))(t)
	if pg.Total != 1 {
		t.Fatalf("%d invoices for one order", pg.Total)
	}
	// Once returned, the order may be invoiced again, once.
	must(e.svc.IssueInvoice(ctx, operator, pg.Items[0].ID))(t)
	must(e.svc.ReturnInvoice(ctx, buyer, pg.Items[0].ID))(t)
	must(request("Alice Ltd"))(t)
	_, err := request("Alice Ltd")
	if !errors.As(err, &se) {
		t.Fatalf("second invoice after a return: %v, want a *StateError", err)
	}
}
