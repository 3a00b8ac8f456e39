package marketplace

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
)

// retryConflicts runs an optimistic transaction again when it loses a race
// (ErrConflict from the store), a few times: the closure re-reads and
// re-decides, so a retry is safe. State conflicts (StateError) are not
// retried.
func retryConflicts(ctx context.Context, fn func() error) error {
	var err error
	for range 8 {
		err = fn()
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

// fingerprint hashes a request's parts for idempotency checks.
func fingerprint(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])
}

// eventData encodes v for Event.Data; v is always one of our own values.
func eventData(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return b
}
