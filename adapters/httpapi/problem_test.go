package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/supervision"
)

func TestProblemFor(t *testing.T) {
	type want struct {
		Status   int
		Code     Code
		Field    string
		Internal bool
	}
	tests := []struct {
		name string
		err  error
		want want
	}{
		{"not found", fmt.Errorf("get order: %w", &marketplace.NotFoundError{Kind: marketplace.KindOrder, ID: "o1"}), want{404, CodeNotFound, "", false}},
		{"provisioning not found", provisioning.ErrNotFound, want{404, CodeNotFound, "", false}},
		{"no such specification", fmt.Errorf("quote: %w", &marketplace.NotFoundError{Kind: "specification", ID: "std"}), want{404, CodeNotFound, "spec_id", false}},
		{"not allowed", &marketplace.NotAllowedError{Actor: marketplace.Actor{Role: marketplace.RoleBuyer, ID: "b"}, Action: "review"}, want{403, CodeForbidden, "", false}},
		{"stale write", &marketplace.ConflictError{Kind: marketplace.KindOrder, ID: "o", Want: 1, Have: 2}, want{409, CodeConflict, "", false}},
		{"state", &marketplace.StateError{Kind: marketplace.KindOrder, ID: "o", State: "cancelled", Action: "pay"}, want{409, CodeConflict, "", false}},
		{"marketplace input", &marketplace.InputError{Field: "quantity", Value: 0, Reason: "must be positive"}, want{400, CodeInvalidInput, "quantity", false}},
		{"billing input", &billing.InputError{Field: "duration", Value: 0, Reason: "x"}, want{400, CodeInvalidInput, "duration", false}},
		{"supervision input", &supervision.InputError{Field: "description", Value: 0, Reason: "x"}, want{400, CodeInvalidInput, "description", false}},
		{"provisioning field", &provisioning.FieldError{Field: "password", Reason: "x"}, want{400, CodeInvalidInput, "password", false}},
		{"payment", &marketplace.PaymentError{Account: "b", Amount: "5.00 USD", Reason: "insufficient"}, want{402, CodePaymentFailed, "", false}},
		{"idempotency", &marketplace.IdempotencyError{Key: "k"}, want{422, CodeIdempotencyMismatch, "", false}},
		{"frozen before not allowed", errors.Join(supervision.ErrNotAllowed, supervision.ErrFrozen), want{409, CodeFlowFrozen, "", false}},
		{"too early", errors.Join(supervision.ErrNotAllowed, supervision.ErrTooEarly), want{409, CodeTooEarly, "", false}},
		{"flow action", supervision.ErrNotAllowed, want{403, CodeActionNotAllowed, "", false}},
		{"flow action wrapped by marketplace", fmt.Errorf("%w: act: %w", marketplace.ErrNotAllowed, errors.Join(supervision.ErrNotAllowed, supervision.ErrTooEarly)), want{409, CodeTooEarly, "", false}},
		{"price missing", billing.ErrPriceMissing, want{422, CodePriceMissing, "", false}},
		{"downgrade", billing.ErrDowngrade, want{422, CodeDowngrade, "", false}},
		{"not renewable", billing.ErrNotRenewable, want{409, CodeNotRenewable, "", false}},
		{"not refundable", billing.ErrNotRefundable, want{409, CodeNotRefundable, "", false}},
		{"quota", provisioning.ErrQuotaExceeded, want{409, CodeQuotaExceeded, "", false}},
		{"unavailable", fmt.Errorf("create: dial tcp 10.0.0.5:443: %w", marketplace.ErrUnavailable), want{503, CodeDependencyUnavailable, "", true}},
		{"unauthenticated", ErrUnauthenticated, want{401, CodeUnauthenticated, "", false}},
		{"precondition", errPrecondition, want{412, CodePreconditionFailed, "", false}},
		{"stale If-Match", fmt.Errorf("act: %w", &marketplace.PreconditionError{Kind: marketplace.KindFlow, ID: "f", Want: 1, Have: 2}), want{412, CodePreconditionFailed, "", false}},
		{"race lost with a current If-Match", &marketplace.ConflictError{Kind: marketplace.KindFlow, ID: "f", Want: 1, Have: 2}, want{409, CodeConflict, "", false}},
		{"adapter error", badParam("limit", "bad"), want{400, CodeInvalidParameter, "limit", false}},
		{"unknown fault", errors.New("disk on fire"), want{500, CodeInternal, "", true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, internal := problemFor(tt.err)
			got := want{p.Status, p.Code, p.Field, internal}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("problemFor(%v) (-want +got):\n%s", tt.err, d)
			}
			if p.Title == "" {
				t.Error("empty title")
			}
			if internal && strings.Contains(p.Detail, tt.err.Error()) {
				t.Error("internal error detail leaked to the client")
			}
			if p.Status == http.StatusNotFound && p.Detail != "no such resource, or not yours" {
				t.Errorf("404 detail %q names what was asked for", p.Detail)
			}
		})
	}
}

func TestWriteErrorCancelledIsNotAFault(t *testing.T) {
	var logged bytes.Buffer
	h := &Handler{log: slog.New(slog.NewTextHandler(&logged, nil))}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest("GET", "/v1/products", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	h.writeError(rec, r, fmt.Errorf("search: %w", context.Canceled))
	if rec.Code != http.StatusRequestTimeout || logged.Len() != 0 {
		t.Errorf("cancelled request: %d, logged %q", rec.Code, logged.String())
	}
	rec = httptest.NewRecorder()
	h.writeError(rec, httptest.NewRequest("GET", "/v1/products", nil), errors.New("disk on fire"))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(logged.String(), "disk on fire") || strings.Contains(rec.Body.String(), "disk on fire") {
		t.Errorf("fault: %d %s, logged %q", rec.Code, rec.Body, logged.String())
	}
}
