package marketplace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"strings"
)

// retryConflicts runs an optimistic transaction again when it loses a race
// (*ConflictError from the store), a few times: the closure re-reads and
// re-decides, so a retry is safe. Other conflicts are answered at once:
// state conflicts (StateError), and a version the caller named that the
// aggregate is not at (PreconditionError), which every attempt would find
// again. Every attempt after the first gets a ctx for which Retrying
// reports true, so that a store can run it where it cannot lose again.
func retryConflicts(ctx context.Context, fn func(ctx context.Context) error) error {
	var err error
	for attempt := range 8 {
		if attempt == 1 {
			ctx = RetryContext(ctx)
		}
		err = fn(ctx)
		var ce *ConflictError
		if !errors.As(err, &ce) {
			return err
		}
		if ctx.Err() != nil {
			return err
		}
	}
	return err
}

type retryingKey struct{}

// Retrying reports whether ctx is that of a Store.Update the marketplace
// runs again because its previous attempt lost a race (*ConflictError). A
// store that runs transactions optimistically may run such a one
// pessimistically instead, so that a hot aggregate (a buyer's account
// paying several orders at once) cannot make the same caller lose every
// attempt: the SQLite store runs it on its writer, where no other
// transaction can change what it read. Stores may ignore it.
func Retrying(ctx context.Context) bool {
	v, _ := ctx.Value(retryingKey{}).(bool)
	return v
}

// RetryContext returns ctx marked as that of a retry (Retrying reports
// true). The Service marks its own retries; a host that runs Store.Update
// itself and retries a lost race can mark its retries the same way.
func RetryContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, retryingKey{}, true)
}

// fingerprint hashes a request's parts for idempotency checks.
func fingerprint(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

// eventData encodes v for Event.Data; v is always one of our own values.
// A map of plain strings (the usual event data: ids, amounts, statuses) is
// written directly, as encoding/json would write it.
func eventData(v any) json.RawMessage {
	if m, ok := v.(map[string]string); ok {
		if b, ok := plainStringMap(m); ok {
			return b
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}

// plainStringMap encodes m as encoding/json does (keys sorted) when no key
// or value needs escaping (printable ASCII without '"', '\\', '<', '>'
// and '&'); ok is false otherwise.
func plainStringMap(m map[string]string) (b []byte, ok bool) {
	keys := make([]string, 0, len(m))
	n := 2
	for k, v := range m {
		if !plainString(k) || !plainString(v) {
			return nil, false
		}
		keys = append(keys, k)
		n += len(k) + len(v) + 6
	}
	slices.Sort(keys)
	b = make([]byte, 0, n)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, `":"`...)
		b = append(b, m[k]...)
		b = append(b, '"')
	}
	return append(b, '}'), true
}

// plainString reports whether encoding/json writes s between its quotes
// as it is.
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// checkVersionInput validates a version a caller read: 0 (no condition) or
// a version an aggregate can be at.
//
// Errors: *InputError (ErrInvalidInput) for a negative version.
func checkVersionInput(v int64) error {
	if v < 0 {
		return inputErr("version", v, "must not be negative")
	}
	return nil
}

// checkVersion is the condition of a change made on the version want the
// caller read (0: none) of the aggregate kind id, now at have.
//
// Errors: *PreconditionError (ErrConflict) when the aggregate moved on.
func checkVersion(kind Kind, id string, want, have int64) error {
	if want != 0 && want != have {
		return &PreconditionError{Kind: kind, ID: id, Want: want, Have: have}
	}
	return nil
}
