package provisioning

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors of the provisioning contracts. Callers test them with
// errors.Is; the typed errors below wrap them and carry the offending values.
var (
	// ErrInvalidInput reports a request that breaks a documented rule
	// (returned wrapped in *FieldError).
	ErrInvalidInput = errors.New("provisioning: invalid input")
	// ErrNotFound reports an unknown region, zone, flavor, disk type,
	// security group, server or deployment.
	ErrNotFound = errors.New("provisioning: not found")
	// ErrQuotaExceeded reports that the account's servers plus the requested
	// quantity would exceed its quota (returned wrapped in *QuotaError).
	ErrQuotaExceeded = errors.New("provisioning: quota exceeded")
	// ErrNameConflict reports a VM name already in use when duplicates are
	// not allowed, or a numbered name that would run past 9999.
	ErrNameConflict = errors.New("provisioning: name conflict")
	// ErrUnavailable reports that the seller's endpoint or the deployer could
	// not be reached or gave no usable answer (timeout, refused connection,
	// unreadable or unverifiable response). It is always worth retrying.
	ErrUnavailable = errors.New("provisioning: endpoint unavailable")
)

// Sentinel errors for the SaaS access protocol's failure result codes. A
// *ResultError unwraps to exactly one of them (ErrUnknownResult for a code
// this package does not know).
var (
	ErrAuthFailed         = errors.New("provisioning: authentication failed")                         // 000001
	ErrInvalidParameter   = errors.New("provisioning: invalid request parameter")                     // 000002
	ErrInstanceNotFound   = errors.New("provisioning: instance does not exist")                       // 000003
	ErrProcessing         = errors.New("provisioning: request is being processed")                    // 000004
	ErrInternal           = errors.New("provisioning: other internal error")                          // 000005
	ErrNoResource         = errors.New("provisioning: no instance resource can be allocated")         // 000100
	ErrMobileConflict     = errors.New("provisioning: mobile number not specified or already exists") // 000101
	ErrEmailConflict      = errors.New("provisioning: email not specified or already exists")         // 000102
	ErrAlreadyPurchased   = errors.New("provisioning: product already purchased")                     // 000103
	ErrServiceError       = errors.New("provisioning: internal service error")                        // 000104
	ErrBenefitsSubscribed = errors.New("provisioning: account has already subscribed to benefits")    // 000105
	ErrSoldOut            = errors.New("provisioning: product resources sold out")                    // 000106
	ErrEmailDomainExists  = errors.New("provisioning: SaaS email domain already exists")              // 000107
	ErrUnknownResult      = errors.New("provisioning: unknown result code")                           // anything else
)

// FieldError is an invalid value of one named request field. It wraps
// ErrInvalidInput. Value is nil for secrets, so the error never prints a
// password.
type FieldError struct {
	Field  string // the offending field, e.g. "quantity", "data_disks[1].size_gib"
	Rule   string // the broken rule, one of the Rule… constants
	Value  any    // the offending value (nil for secrets and absent values)
	Reason string // what the value must be, for people
}

// Rules named by FieldError.Rule.
const (
	RuleRequired      = "required"       // the field is missing or empty
	RuleMaxLength     = "max_length"     // the value is too long
	RuleRange         = "range"          // the number is outside its bounds
	RuleOneOf         = "one_of"         // the value is not one of the allowed values
	RuleFormat        = "format"         // the value has characters or a shape not allowed
	RuleUnknown       = "unknown"        // the value names nothing in the catalog or environment
	RulePasswordChars = "password_chars" // fewer than three character classes, or a character outside them
	RuleUsername      = "username"       // the password contains the username or its reverse
	RuleMismatch      = "mismatch"       // the confirmation differs from the value
	RuleAgree         = "agree"          // the terms must be agreed
	RuleConflict      = "conflict"       // the value contradicts another field
	RuleDuplicate     = "duplicate"      // the value repeats within the request
)

func (e *FieldError) Error() string {
	if e.Value == nil {
		return fmt.Sprintf("provisioning: invalid %s: %s", e.Field, e.Reason)
	}
	return fmt.Sprintf("provisioning: invalid %s %q: %s", e.Field, fmt.Sprint(e.Value), e.Reason)
}

// Unwrap returns ErrInvalidInput.
func (e *FieldError) Unwrap() error { return ErrInvalidInput }

// FieldErrors returns every *FieldError in err's tree (Validate methods join
// all failures with errors.Join), in order. It returns nil for nil.
func FieldErrors(err error) []*FieldError {
	var out []*FieldError
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if fe, ok := e.(*FieldError); ok {
			out = append(out, fe)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}

// NotFoundError reports an unknown catalog or environment item. It wraps
// ErrNotFound.
type NotFoundError struct {
	Kind string // "region", "zone", "flavor", "disk_type", "security_group", "price", "deployment", ...
	ID   string
}

func (e *NotFoundError) Error() string {
	return fmt.Sprintf("provisioning: %s %q not found", e.Kind, e.ID)
}

// Unwrap returns ErrNotFound.
func (e *NotFoundError) Unwrap() error { return ErrNotFound }

// QuotaError reports that Existing + Requested servers would exceed Quota.
// It wraps ErrQuotaExceeded.
type QuotaError struct {
	Existing, Requested, Quota int
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("provisioning: quota exceeded: %d existing + %d requested > quota %d",
		e.Existing, e.Requested, e.Quota)
}

// Unwrap returns ErrQuotaExceeded.
func (e *QuotaError) Unwrap() error { return ErrQuotaExceeded }

// NameConflictError reports a VM name that cannot be used. It wraps
// ErrNameConflict.
type NameConflictError struct {
	Name   string
	Reason string
}

func (e *NameConflictError) Error() string {
	return fmt.Sprintf("provisioning: name %q: %s", e.Name, e.Reason)
}

// Unwrap returns ErrNameConflict.
func (e *NameConflictError) Unwrap() error { return ErrNameConflict }

// ResultCode is a SaaS access protocol result code: six digits, "000000"
// meaning success. The codes and their meaning are those of KooGallery's
// SaaS access guide V2; intl and EU wordings differ but the codes are the
// same, so they are mapped by code.
type ResultCode string

// The protocol's result codes.
const (
	CodeSuccess            ResultCode = "000000" // succeeded
	CodeAuthFailed         ResultCode = "000001" // authentication failed (EU: access denied)
	CodeInvalidParameter   ResultCode = "000002" // invalid request parameter
	CodeInstanceNotFound   ResultCode = "000003" // instance ID does not exist
	CodeProcessing         ResultCode = "000004" // request is being processed
	CodeInternal           ResultCode = "000005" // other internal errors
	CodeNoResource         ResultCode = "000100" // no instance resource can be allocated
	CodeMobileConflict     ResultCode = "000101" // mobile number not specified or already exists
	CodeEmailConflict      ResultCode = "000102" // email not specified or already exists
	CodeAlreadyPurchased   ResultCode = "000103" // product already purchased
	CodeServiceError       ResultCode = "000104" // internal service error
	CodeBenefitsSubscribed ResultCode = "000105" // account has already subscribed to benefits
	CodeSoldOut            ResultCode = "000106" // product resources sold out
	CodeEmailDomainExists  ResultCode = "000107" // SaaS email domain already exists
)

type codeInfo struct {
	sentinel  error
	retryable bool
}

// codes maps each known failure code to its sentinel and whether a retry
// may succeed. Retryable: the transient ones (processing, internal errors,
// no resource allocatable right now). Not retryable: failures that need a
// person (authentication, bad parameters, missing instance, conflicts with
// the buyer's data, already purchased, sold out).
var codes = map[ResultCode]codeInfo{
	CodeAuthFailed:         {ErrAuthFailed, false},
	CodeInvalidParameter:   {ErrInvalidParameter, false},
	CodeInstanceNotFound:   {ErrInstanceNotFound, false},
	CodeProcessing:         {ErrProcessing, true},
	CodeInternal:           {ErrInternal, true},
	CodeNoResource:         {ErrNoResource, true},
	CodeMobileConflict:     {ErrMobileConflict, false},
	CodeEmailConflict:      {ErrEmailConflict, false},
	CodeAlreadyPurchased:   {ErrAlreadyPurchased, false},
	CodeServiceError:       {ErrServiceError, true},
	CodeBenefitsSubscribed: {ErrBenefitsSubscribed, false},
	CodeSoldOut:            {ErrSoldOut, false},
	CodeEmailDomainExists:  {ErrEmailDomainExists, false},
}

// ResultCodes lists every known code, success first, in numeric order.
var ResultCodes = []ResultCode{
	CodeSuccess, CodeAuthFailed, CodeInvalidParameter, CodeInstanceNotFound, CodeProcessing, CodeInternal,
	CodeNoResource, CodeMobileConflict, CodeEmailConflict, CodeAlreadyPurchased, CodeServiceError,
	CodeBenefitsSubscribed, CodeSoldOut, CodeEmailDomainExists,
}

// Known reports whether c is one of the protocol's documented codes.
func (c ResultCode) Known() bool {
	if c == CodeSuccess {
		return true
	}
	_, ok := codes[c]
	return ok
}

// Success reports whether c is "000000".
func (c ResultCode) Success() bool { return c == CodeSuccess }

// Meaning returns the documented meaning of c ("succeeded" for success,
// "unknown result code" for an undocumented one).
func (c ResultCode) Meaning() string {
	if c == CodeSuccess {
		return "succeeded"
	}
	info, ok := codes[c]
	if !ok {
		info.sentinel = ErrUnknownResult
	}
	return strings.TrimPrefix(info.sentinel.Error(), "provisioning: ")
}

// Err returns the error a caller sees for c with the seller's message: nil
// for success, otherwise a *ResultError.
func (c ResultCode) Err(message string) error {
	if c == CodeSuccess {
		return nil
	}
	return &ResultError{Code: c, Message: message}
}

// ResultError is a failure answered by a seller's SaaS endpoint (or, on the
// seller side, a failure to answer with). It unwraps to the sentinel of its
// code (ErrUnknownResult for an undocumented code), so callers write
// errors.Is(err, provisioning.ErrInstanceNotFound).
type ResultError struct {
	Code    ResultCode
	Message string // resultMsg as sent by the seller, at most 255 characters on the wire
}

func (e *ResultError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("provisioning: result %s: %s", e.Code, e.Code.Meaning())
	}
	return fmt.Sprintf("provisioning: result %s: %s: %s", e.Code, e.Code.Meaning(), e.Message)
}

// Unwrap returns the sentinel of e.Code.
func (e *ResultError) Unwrap() error {
	if info, ok := codes[e.Code]; ok {
		return info.sentinel
	}
	return ErrUnknownResult
}

// Retryable reports whether calling again later may succeed. An
// undocumented code is treated like 000005 "other internal errors" and is
// retryable: the delivery policy bounds the retries anyway, and giving up at
// once on a seller's garbled answer would cancel orders that a retry saves.
func (e *ResultError) Retryable() bool {
	if info, ok := codes[e.Code]; ok {
		return info.retryable
	}
	return e.Code != CodeSuccess
}

// Retryable reports whether err is worth retrying under the delivery
// policy: a retryable *ResultError, ErrUnavailable, or a context deadline
// (the 5-second request timeout). Validation errors, non-retryable result
// codes and cancellation are not. nil is not retryable.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	if re, ok := errors.AsType[*ResultError](err); ok {
		return re.Retryable()
	}
	return errors.Is(err, ErrUnavailable) || errors.Is(err, context.DeadlineExceeded)
}

// CodeOf returns the result code a seller-side handler answers for err:
// CodeSuccess for nil; the code of a *ResultError; 000002 for
// ErrInvalidInput; 000003 for ErrInstanceNotFound or ErrNotFound; 000004
// for ErrProcessing; the matching code for any result sentinel; 000005 for
// anything else.
func CodeOf(err error) ResultCode {
	if err == nil {
		return CodeSuccess
	}
	if re, ok := errors.AsType[*ResultError](err); ok {
		return re.Code
	}
	switch {
	case errors.Is(err, ErrInvalidInput):
		return CodeInvalidParameter
	case errors.Is(err, ErrNotFound):
		return CodeInstanceNotFound
	}
	for _, c := range ResultCodes[1:] {
		if errors.Is(err, codes[c].sentinel) {
			return c
		}
	}
	return CodeInternal
}
