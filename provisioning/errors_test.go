package provisioning_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/provisioning"
)

func TestResultCodes(t *testing.T) {
	tests := []struct {
		code      provisioning.ResultCode
		sentinel  error
		retryable bool
		meaning   string
	}{
		{provisioning.CodeAuthFailed, provisioning.ErrAuthFailed, false, "authentication failed"},
		{provisioning.CodeInvalidParameter, provisioning.ErrInvalidParameter, false, "invalid request parameter"},
		{provisioning.CodeInstanceNotFound, provisioning.ErrInstanceNotFound, false, "instance does not exist"},
		{provisioning.CodeProcessing, provisioning.ErrProcessing, true, "request is being processed"},
		{provisioning.CodeInternal, provisioning.ErrInternal, true, "other internal error"},
		{provisioning.CodeNoResource, provisioning.ErrNoResource, true, "no instance resource can be allocated"},
		{provisioning.CodeMobileConflict, provisioning.ErrMobileConflict, false, "mobile number not specified or already exists"},
		{provisioning.CodeEmailConflict, provisioning.ErrEmailConflict, false, "email not specified or already exists"},
		{provisioning.CodeAlreadyPurchased, provisioning.ErrAlreadyPurchased, false, "product already purchased"},
		{provisioning.CodeServiceError, provisioning.ErrServiceError, true, "internal service error"},
		{provisioning.CodeBenefitsSubscribed, provisioning.ErrBenefitsSubscribed, false, "account has already subscribed to benefits"},
		{provisioning.CodeSoldOut, provisioning.ErrSoldOut, false, "product resources sold out"},
		{provisioning.CodeEmailDomainExists, provisioning.ErrEmailDomainExists, false, "SaaS email domain already exists"},
		{"000999", provisioning.ErrUnknownResult, true, "unknown result code"},
		{"", provisioning.ErrUnknownResult, true, "unknown result code"},
	}
	for _, tt := range tests {
		t.Run(string(tt.code), func(t *testing.T) {
			err := tt.code.Err("seller says no")
			if !errors.Is(err, tt.sentinel) {
				t.Fatalf("errors.Is(%v, %v) = false", err, tt.sentinel)
			}
			re, ok := errors.AsType[*provisioning.ResultError](err)
			if !ok {
				t.Fatalf("not a *ResultError: %T", err)
			}
			if re.Retryable() != tt.retryable || provisioning.Retryable(err) != tt.retryable {
				t.Errorf("Retryable = %v/%v, want %v", re.Retryable(), provisioning.Retryable(err), tt.retryable)
			}
			if got := tt.code.Meaning(); got != tt.meaning {
				t.Errorf("Meaning = %q, want %q", got, tt.meaning)
			}
			if want := tt.sentinel != provisioning.ErrUnknownResult; tt.code.Known() != want {
				t.Errorf("Known = %v, want %v", tt.code.Known(), want)
			}
			if !strings.Contains(err.Error(), string(tt.code)) || !strings.Contains(err.Error(), "seller says no") {
				t.Errorf("Error() = %q lacks code or message", err.Error())
			}
			if got := provisioning.CodeOf(err); got != tt.code {
				t.Errorf("CodeOf = %q, want %q", got, tt.code)
			}
			if tt.code.Success() {
				t.Error("a failure code reports Success")
			}
		})
	}
}

func TestResultCodesListed(t *testing.T) {
	var got []string
	for _, c := range provisioning.ResultCodes {
		if !c.Known() {
			t.Errorf("listed code %q is not Known", c)
		}
		got = append(got, string(c))
	}
	want := []string{"000000", "000001", "000002", "000003", "000004", "000005",
		"000100", "000101", "000102", "000103", "000104", "000105", "000106", "000107"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ResultCodes (-want +got):\n%s", diff)
	}
}

func TestSuccessCode(t *testing.T) {
	if err := provisioning.CodeSuccess.Err("ok"); err != nil {
		t.Errorf("CodeSuccess.Err = %v, want nil", err)
	}
	if !provisioning.CodeSuccess.Success() || !provisioning.CodeSuccess.Known() {
		t.Error("CodeSuccess not Success/Known")
	}
	if got := provisioning.CodeSuccess.Meaning(); got != "succeeded" {
		t.Errorf("Meaning = %q", got)
	}
	re := &provisioning.ResultError{Code: provisioning.CodeSuccess}
	if re.Retryable() {
		t.Error("a success code is not retryable")
	}
	bare := &provisioning.ResultError{Code: provisioning.CodeSoldOut}
	if got, want := bare.Error(), "provisioning: result 000106: product resources sold out"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestCodeOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want provisioning.ResultCode
	}{
		{"nil", nil, provisioning.CodeSuccess},
		{"field error", &provisioning.FieldError{Field: "x", Reason: "bad"}, provisioning.CodeInvalidParameter},
		{"joined field errors", errors.Join(&provisioning.FieldError{Field: "a"}, &provisioning.FieldError{Field: "b"}), provisioning.CodeInvalidParameter},
		{"not found", &provisioning.NotFoundError{Kind: "instance", ID: "i"}, provisioning.CodeInstanceNotFound},
		{"wrapped result error", fmt.Errorf("op: %w", provisioning.CodeSoldOut.Err("")), provisioning.CodeSoldOut},
		{"bare sentinel", fmt.Errorf("seller: %w", provisioning.ErrEmailConflict), provisioning.CodeEmailConflict},
		{"processing sentinel", provisioning.ErrProcessing, provisioning.CodeProcessing},
		{"instance sentinel", provisioning.ErrInstanceNotFound, provisioning.CodeInstanceNotFound},
		{"anything else", errors.New("boom"), provisioning.CodeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := provisioning.CodeOf(tt.err); got != tt.want {
				t.Errorf("CodeOf = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"unavailable", fmt.Errorf("dial: %w", provisioning.ErrUnavailable), true},
		{"deadline", fmt.Errorf("post: %w", context.DeadlineExceeded), true},
		{"canceled", context.Canceled, false},
		{"invalid input", &provisioning.FieldError{Field: "x"}, false},
		{"processing", provisioning.CodeProcessing.Err(""), true},
		{"auth failed", provisioning.CodeAuthFailed.Err(""), false},
		{"wrapped internal", fmt.Errorf("x: %w", provisioning.CodeInternal.Err("")), true},
		{"quota", &provisioning.QuotaError{Existing: 1, Requested: 1, Quota: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := provisioning.Retryable(tt.err); got != tt.want {
				t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestTypedErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		sentinel error
		text     string
	}{
		{"field with value", &provisioning.FieldError{Field: "quantity", Value: 0, Reason: "must be 1 to 500"},
			provisioning.ErrInvalidInput, `provisioning: invalid quantity "0": must be 1 to 500`},
		{"field without value", &provisioning.FieldError{Field: "password", Reason: "is required"},
			provisioning.ErrInvalidInput, "provisioning: invalid password: is required"},
		{"not found", &provisioning.NotFoundError{Kind: "flavor", ID: "x1"},
			provisioning.ErrNotFound, `provisioning: flavor "x1" not found`},
		{"quota", &provisioning.QuotaError{Existing: 2048, Requested: 1, Quota: 2048},
			provisioning.ErrQuotaExceeded, "provisioning: quota exceeded: 2048 existing + 1 requested > quota 2048"},
		{"name", &provisioning.NameConflictError{Name: "ecs", Reason: "taken"},
			provisioning.ErrNameConflict, `provisioning: name "ecs": taken`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.sentinel) {
				t.Errorf("errors.Is(%v, %v) = false", tt.err, tt.sentinel)
			}
			if got := tt.err.Error(); got != tt.text {
				t.Errorf("Error() = %q, want %q", got, tt.text)
			}
		})
	}
}

func TestFieldErrors(t *testing.T) {
	a := &provisioning.FieldError{Field: "a"}
	b := &provisioning.FieldError{Field: "b"}
	c := &provisioning.FieldError{Field: "c"}
	err := fmt.Errorf("plan: %w", errors.Join(a, errors.Join(b, errors.New("other")), fmt.Errorf("x: %w", c)))
	got := provisioning.FieldErrors(err)
	if diff := cmp.Diff([]string{"a", "b", "c"}, fieldNames(got)); diff != "" {
		t.Errorf("FieldErrors (-want +got):\n%s", diff)
	}
	if provisioning.FieldErrors(nil) != nil {
		t.Error("FieldErrors(nil) != nil")
	}
}

// fieldNames lists the Field of each error.
func fieldNames(errs []*provisioning.FieldError) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Field)
	}
	return out
}

// fieldRules lists "field:rule" of every FieldError in err.
func fieldRules(err error) []string {
	var out []string
	for _, e := range provisioning.FieldErrors(err) {
		out = append(out, e.Field+":"+e.Rule)
	}
	return out
}

// A seller's answer becomes an error the marketplace can test and retry.
func ExampleResultCode_Err() {
	for _, code := range []provisioning.ResultCode{"000000", "000004", "000103", "000999"} {
		err := code.Err("from the seller")
		fmt.Printf("%s: %v (retry: %v, instance missing: %v)\n", code, err,
			provisioning.Retryable(err), errors.Is(err, provisioning.ErrInstanceNotFound))
	}
	// Output:
	// 000000: <nil> (retry: false, instance missing: false)
	// 000004: provisioning: result 000004: request is being processed: from the seller (retry: true, instance missing: false)
	// 000103: provisioning: result 000103: product already purchased: from the seller (retry: false, instance missing: false)
	// 000999: provisioning: result 000999: unknown result code: from the seller (retry: true, instance missing: false)
}
