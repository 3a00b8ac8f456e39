package provisioning

import (
	"fmt"
	"log/slog"
)

// Redacted is what a non-empty Secret prints as, in every format.
const Redacted = "[REDACTED]"

// Secret holds a password. Every way of printing or encoding it (String,
// GoString, any fmt verb, JSON, slog) shows Redacted, so a request, result,
// error or log line that contains a Secret never leaks it. Only Reveal
// returns the value, and only the code that hands it on (a deployer, a
// credential encrypter) should call it.
//
// The value sits behind a pointer so that even reflection-based printing
// that bypasses the methods (a Secret inside an unexported field) shows an
// address, not the password. The zero Secret is empty. Secrets are compared
// with Equal (go-cmp uses it automatically).
type Secret struct {
	p *string
}

// NewSecret wraps s.
func NewSecret(s string) Secret {
	if s == "" {
		return Secret{}
	}
	return Secret{p: &s}
}

// Reveal returns the secret value.
func (s Secret) Reveal() string {
	if s.p == nil {
		return ""
	}
	return *s.p
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.p == nil || *s.p == "" }

// Equal reports whether s and o hold the same value.
func (s Secret) Equal(o Secret) bool { return s.Reveal() == o.Reveal() }

// String returns Redacted, or "" for an empty secret (so that "not set" is
// still visible when debugging).
func (s Secret) String() string {
	if s.IsZero() {
		return ""
	}
	return Redacted
}

// GoString returns the redacted form for %#v.
func (s Secret) GoString() string { return fmt.Sprintf("provisioning.Secret(%q)", s.String()) }

// Format prints the redacted form for every verb (%s, %v, %+v, %#v, %q, %x, ...).
func (s Secret) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v':
		if f.Flag('#') {
			_, _ = fmt.Fprint(f, s.GoString())
			return
		}
	case 'q':
		_, _ = fmt.Fprintf(f, "%q", s.String())
		return
	}
	_, _ = fmt.Fprint(f, s.String())
}

// MarshalJSON encodes the redacted form, never the value.
func (s Secret) MarshalJSON() ([]byte, error) {
	return []byte(`"` + s.String() + `"`), nil
}

// MarshalText encodes the redacted form, never the value (for encoders that
// prefer TextMarshaler, such as map keys and XML).
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// LogValue makes slog print the redacted form.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }
