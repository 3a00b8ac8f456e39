package marketplace

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"time"
)

// IDGenerator makes aggregate ids and order numbers. The default makes
// time-ordered ids (see NewID); tests may supply a sequence.
type IDGenerator interface {
	// NewID returns a new unique id for an aggregate of kind.
	NewID(kind Kind) string
	// OrderNumber returns a new human-facing order number for an order
	// created at now.
	OrderNumber(now time.Time) string
}

// randomIDs is the default IDGenerator.
type randomIDs struct{}

// NewID returns the kind's prefix and 32 hex digits: the creation time in
// Unix milliseconds (48 bits, as in a UUIDv7) followed by 80 random bits.
// Ids made later sort after earlier ones, so the stores' primary-key
// indexes grow at their end: the orders of one group commit share index
// pages instead of each dirtying a page at a random place. 80 random bits
// keep ids made in the same millisecond apart (a collision is as likely as
// two random UUIDs colliding) and unguessable; an id does reveal when it
// was made.
func (randomIDs) NewID(kind Kind) string {
	return prefix(kind) + timeOrderedHex(time.Now())
}

func timeOrderedHex(now time.Time) string {
	var b [16]byte
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		b[i] = byte(ms)
		ms >>= 8
	}
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

func (randomIDs) OrderNumber(now time.Time) string {
	var b [5]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("CS%s%s", now.UTC().Format("060102"), hex.EncodeToString(b[:]))
}

func prefix(kind Kind) string {
	switch kind {
	case KindSeller:
		return "sel_"
	case KindProduct:
		return "prd_"
	case KindOrder:
		return "ord_"
	case KindPayment:
		return "pay_"
	case KindResource:
		return "res_"
	case KindFlow:
		return "flw_"
	case KindInvoice:
		return "inv_"
	case KindUnsubscribe:
		return "uns_"
	}
	return string(kind) + "_"
}

// SequentialIDs is an IDGenerator that counts: "ord_1", "ord_2", and order
// numbers "CS00000001", ... Deterministic ids make tests and examples
// readable. It is safe for concurrent use.
type SequentialIDs struct {
	n atomic.Int64
}

// NewID implements IDGenerator.
func (g *SequentialIDs) NewID(kind Kind) string {
	return fmt.Sprintf("%s%d", prefix(kind), g.n.Add(1))
}

// OrderNumber implements IDGenerator.
func (g *SequentialIDs) OrderNumber(time.Time) string {
	return fmt.Sprintf("CS%08d", g.n.Add(1))
}

func randRead(b []byte) (int, error) { return rand.Read(b) }
