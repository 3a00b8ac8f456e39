package billing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengallery/opengallery/billing"
)

func TestInvoiceLifecycle(t *testing.T) {
	t0 := at(2024, 1, 2, 10, 0, 0)
	inv, err := billing.RequestInvoice(billing.InvoiceRequest{OrderID: "o-1", Paid: usd("100.00"), At: t0})
	if err != nil {
		t.Fatal(err)
	}
	if inv.State.BlocksUnsubscription() {
		t.Error("a requested invoice blocks unsubscription")
	}
	issued, err := inv.Issue(t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if inv.State != billing.InvoiceRequested {
		t.Error("Issue changed its receiver")
	}
	if !issued.State.BlocksUnsubscription() {
		t.Error("an issued invoice does not block unsubscription")
	}
	returned, err := issued.Return(t0.Add(48 * time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	want := billing.Invoice{OrderID: "o-1", Amount: usd("100.00"), State: billing.InvoiceReturned,
		RequestedAt: t0.UTC(), IssuedAt: t0.Add(time.Hour).UTC(), ReturnedAt: t0.Add(48 * time.Hour).UTC(), CreditMemo: usd("-100.00")}
	if d := cmp.Diff(want, returned, decimalComparer); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if returned.State.BlocksUnsubscription() {
		t.Error("a returned invoice blocks unsubscription")
	}
}

func TestInvoiceTransitionsRefused(t *testing.T) {
	t0 := at(2024, 1, 2, 10, 0, 0)
	req, _ := billing.RequestInvoice(billing.InvoiceRequest{OrderID: "o-1", Paid: usd("1"), At: t0})
	issued, _ := req.Issue(t0)
	returned, _ := issued.Return(t0)
	tests := []struct {
		name string
		do   func() (billing.Invoice, error)
		want error
	}{
		{"return a requested invoice", func() (billing.Invoice, error) { return req.Return(t0) }, billing.ErrInvalidTransition},
		{"issue twice", func() (billing.Invoice, error) { return issued.Issue(t0) }, billing.ErrInvalidTransition},
		{"return twice", func() (billing.Invoice, error) { return returned.Return(t0) }, billing.ErrInvalidTransition},
		{"issue a returned invoice", func() (billing.Invoice, error) { return returned.Issue(t0) }, billing.ErrInvalidTransition},
		{"issue before the request", func() (billing.Invoice, error) { return req.Issue(t0.Add(-time.Second)) }, billing.ErrInvalidInput},
		{"return before the issue", func() (billing.Invoice, error) { return issued.Return(t0.Add(-time.Second)) }, billing.ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.do()
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			var te *billing.TransitionError
			if errors.As(err, &te) && te.Error() == "" {
				t.Error("empty message")
			}
		})
	}
}

func TestRequestInvoiceBadInput(t *testing.T) {
	t0 := at(2024, 1, 2, 10, 0, 0)
	tests := []struct {
		name string
		r    billing.InvoiceRequest
		want error
	}{
		{"no order", billing.InvoiceRequest{Paid: usd("1"), At: t0}, billing.ErrInvalidInput},
		{"unpaid", billing.InvoiceRequest{OrderID: "o", Paid: usd("0"), At: t0}, billing.ErrInvalidInput},
		{"unknown currency", billing.InvoiceRequest{OrderID: "o", Paid: billing.Money{Amount: dec("1"), Currency: "ABC"}, At: t0}, billing.ErrUnknownCurrency},
		{"no time", billing.InvoiceRequest{OrderID: "o", Paid: usd("1")}, billing.ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := billing.RequestInvoice(tt.r); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
