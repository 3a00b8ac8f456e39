package saasaccess

import (
	"container/heap"
	"errors"
	"sync"
	"time"
)

// ErrBusy reports that the nonce cache is full of nonces that are still
// inside the replay window, so a new request cannot be checked for replay.
// The Handler answers it with 000005 (other internal error), which
// KooGallery retries; accepting the request unchecked would open a replay
// hole. Only correctly signed requests reach the cache, so filling it takes
// the access key.
var ErrBusy = errors.New("saasaccess: nonce cache full")

// MaxNonceLen is the longest nonce accepted. The usage-push API documents 64
// characters; twice that leaves room while bounding the cache's memory.
const MaxNonceLen = 128

// DefaultNonceCapacity is the default number of nonces a NonceCache holds:
// at the default ±60 s window it admits a sustained 800 requests a second,
// far above KooGallery's traffic to one seller, in a few megabytes.
const DefaultNonceCapacity = 100_000

// NonceCache remembers the nonces of accepted requests until their
// timestamp leaves the acceptance window, so that a captured request cannot
// be replayed while its timestamp is still acceptable. Memory is bounded by
// its capacity. It is safe for concurrent use.
type NonceCache struct {
	mu       sync.Mutex
	capacity int
	seen     map[string]time.Time // nonce → expiry
	byExpiry expiryHeap
}

// NewNonceCache returns a cache holding at most capacity nonces;
// capacity ≤ 0 means DefaultNonceCapacity.
func NewNonceCache(capacity int) *NonceCache {
	if capacity <= 0 {
		capacity = DefaultNonceCapacity
	}
	return &NonceCache{capacity: capacity, seen: make(map[string]time.Time)}
}

// Check records nonce as used until expiry and reports whether it was
// already in use. Entries whose expiry is not after now are forgotten
// first. The caller passes expiry = request timestamp + window: after that
// instant the timestamp check alone refuses a replay.
//
// Errors: *AuthError wrapping ErrAuth when the nonce is empty, longer than
// MaxNonceLen, or already seen and not expired; ErrBusy when the cache is
// full of unexpired nonces (nothing is recorded then).
func (c *NonceCache) Check(nonce string, expiry, now time.Time) error {
	if nonce == "" {
		return &AuthError{Reason: "nonce is empty"}
	}
	if len(nonce) > MaxNonceLen {
		return &AuthError{Reason: "nonce is too long"}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expire(now)
	if _, ok := c.seen[nonce]; ok {
		return &AuthError{Reason: "nonce replayed"}
	}
	if !expiry.After(now) {
		// Already outside the window: nothing to remember. The timestamp
		// check refuses such requests before they get here anyway.
		return nil
	}
	if len(c.seen) >= c.capacity {
		return ErrBusy
	}
	c.seen[nonce] = expiry
	heap.Push(&c.byExpiry, nonceEntry{nonce: nonce, expiry: expiry})
	return nil
}

// Len returns the number of nonces currently remembered.
func (c *NonceCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

func (c *NonceCache) expire(now time.Time) {
	for len(c.byExpiry) > 0 && !c.byExpiry[0].expiry.After(now) {
		e := heap.Pop(&c.byExpiry).(nonceEntry)
		delete(c.seen, e.nonce)
	}
}

type nonceEntry struct {
	nonce  string
	expiry time.Time
}

// expiryHeap is a min-heap on expiry. Timestamps inside the window are not
// monotonic across requests, so a FIFO would keep some entries too long.
type expiryHeap []nonceEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expiry.Before(h[j].expiry) }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(nonceEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nonceEntry{}
	*h = old[:n-1]
	return e
}
