package saasaccess

import (
	"errors"
	"fmt"

	"github.com/opengallery/opengallery/provisioning"
)

// Sentinel errors of the protocol layer. Callers test them with errors.Is;
// the typed errors below carry the details. Outcomes reported by a seller
// through a resultCode are provisioning errors, not these.
var (
	// ErrAuth reports a request or response whose signature, timestamp or
	// nonce does not authenticate it. A Handler answers it with 000001.
	ErrAuth = errors.New("saasaccess: authentication failed")
	// ErrBadRequest reports a body that cannot be understood: malformed
	// JSON, a missing mandatory field, an unknown activity, a body over the
	// size limit. A Handler answers it with 000002.
	ErrBadRequest = errors.New("saasaccess: invalid request")
	// ErrCredential reports an app-info secret that cannot be encrypted or
	// decrypted (bad key size, bad IV, bad padding, bad base64).
	ErrCredential = errors.New("saasaccess: credential encryption")
	// ErrBadResponse reports a seller response a Client cannot accept: not
	// JSON, no resultCode, a missing or wrong Body-Sign, too large.
	ErrBadResponse = errors.New("saasaccess: invalid response")
	// ErrConfig reports an invalid Client or Handler configuration.
	ErrConfig = errors.New("saasaccess: invalid configuration")
)

// AuthError says why a request or response failed authentication. It wraps
// ErrAuth.
type AuthError struct {
	Reason string
}

func (e *AuthError) Error() string { return "saasaccess: authentication failed: " + e.Reason }

// Unwrap returns ErrAuth.
func (e *AuthError) Unwrap() error { return ErrAuth }

// RequestError says which part of a request body is unacceptable. It wraps
// ErrBadRequest.
type RequestError struct {
	Field  string // the offending JSON field, "" for the body as a whole
	Reason string
}

func (e *RequestError) Error() string {
	if e.Field == "" {
		return "saasaccess: invalid request: " + e.Reason
	}
	return fmt.Sprintf("saasaccess: invalid request field %s: %s", e.Field, e.Reason)
}

// Unwrap returns ErrBadRequest.
func (e *RequestError) Unwrap() error { return ErrBadRequest }

// CredentialError says why a secret could not be encrypted or decrypted. It
// wraps ErrCredential. It never carries the secret itself.
type CredentialError struct {
	Reason string
}

func (e *CredentialError) Error() string { return "saasaccess: credential: " + e.Reason }

// Unwrap returns ErrCredential.
func (e *CredentialError) Unwrap() error { return ErrCredential }

// ResponseError says why a seller response was refused. It wraps
// ErrBadResponse.
type ResponseError struct {
	Activity string
	Reason   string
	Err      error // the underlying cause, if any (e.g. an *AuthError)
}

func (e *ResponseError) Error() string {
	s := fmt.Sprintf("saasaccess: %s: invalid response: %s", e.Activity, e.Reason)
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrBadResponse, provisioning.ErrUnavailable (an answer
// that cannot be used counts as no answer, and is retried) and the cause.
func (e *ResponseError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrBadResponse, provisioning.ErrUnavailable}
	}
	return []error{ErrBadResponse, provisioning.ErrUnavailable, e.Err}
}

// ConfigError names an invalid option. It wraps ErrConfig.
type ConfigError struct {
	Option string
	Reason string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("saasaccess: invalid %s: %s", e.Option, e.Reason)
}

// Unwrap returns ErrConfig.
func (e *ConfigError) Unwrap() error { return ErrConfig }
