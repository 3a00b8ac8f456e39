package sqlite

import (
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"

	"github.com/opengallery/opengallery/adapters/internal/doccodec"
	"github.com/opengallery/opengallery/marketplace"
)

// The document cache keeps decoded aggregates by kind, id and version, so
// that a point read whose row has not changed since it was last decoded
// reads only the row's version and copies the cached value instead of
// decoding JSON (which costs more than the SELECT itself).
//
// The row's version column is authoritative: every committed write of an
// aggregate's document stores a new version (put's optimistic check), and
// aggregates are never deleted, so one (kind, id, version) names one
// document, whichever process wrote it. The version is read in the View's
// own snapshot, together with the document when the cached version is not
// the stored one, so a cached value is only ever returned for the version
// the snapshot holds; the cache never needs to be told about writes. (This
// holds while the file only moves forward: a backup restored under a
// running process could reuse a version for another document, so restore
// with the processes stopped.)
//
// Memory is bounded by an estimate of the decoded values' size (twice the
// document's length plus a fixed overhead per entry); past the budget,
// entries are evicted in CLOCK order: the hand evicts the first entry not
// read since it last passed (a new entry starts unread), clearing the
// mark of those it passes.

// docCacheBudget is the estimated memory the document cache of one Store
// may hold: about 16,000 orders.
const docCacheBudget = 32 << 20

// docEntryOverhead is the estimated fixed size of one entry (struct,
// map slot, key) beyond its document.
const docEntryOverhead = 256

type docKey struct {
	kind marketplace.Kind
	id   string
}

// docEntry is an immutable decoded document; only ref changes.
type docEntry struct {
	key     docKey
	version int64
	val     any // *T, never handed out: readers get deep copies
	size    int64
	ref     atomic.Bool
	slot    int // index in docCache.ring, guarded by docCache.mu
}

// docCache is safe for concurrent use.
type docCache struct {
	mu     sync.RWMutex
	budget int64
	bytes  int64
	m      map[docKey]*docEntry
	ring   []*docEntry
	hand   int
}

func newDocCache(budget int64) *docCache {
	return &docCache{budget: budget, m: map[docKey]*docEntry{}}
}

// get returns the entry cached for (kind, id), whatever its version, or
// nil.
func (c *docCache) get(kind marketplace.Kind, id string) *docEntry {
	if c == nil {
		return nil
	}
	c.mu.RLock()
	e := c.m[docKey{kind, id}]
	c.mu.RUnlock()
	if e != nil && !e.ref.Load() {
		e.ref.Store(true)
	}
	return e
}

// put caches val (a *T the caller no longer uses) as version of (kind,
// id), unless a later version is cached already or the value alone would
// take more than an eighth of the budget. docLen is the document's length.
func (c *docCache) put(kind marketplace.Kind, id string, version int64, val any, docLen int) {
	if c == nil || c.budget <= 0 {
		return
	}
	size := int64(2*docLen + len(id) + docEntryOverhead)
	if size > c.budget/8 {
		return
	}
	e := &docEntry{key: docKey{kind, id}, version: version, val: val, size: size}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.m[e.key]; old != nil {
		if old.version >= version {
			return
		}
		e.slot = old.slot
		c.ring[e.slot] = e
		c.m[e.key] = e
		c.bytes += size - old.size
	} else {
		e.slot = len(c.ring)
		c.ring = append(c.ring, e)
		c.m[e.key] = e
		c.bytes += size
	}
	c.evict(e)
}

// evict removes entries other than keep until the cache fits its budget.
// The caller holds mu.
func (c *docCache) evict(keep *docEntry) {
	for c.bytes > c.budget && len(c.ring) > 1 {
		if c.hand >= len(c.ring) {
			c.hand = 0
		}
		e := c.ring[c.hand]
		if e == keep || e.ref.Load() {
			e.ref.Store(false)
			c.hand++
			continue
		}
		// Evict e: the ring's last entry takes its slot (and is looked at
		// next).
		last := len(c.ring) - 1
		c.ring[c.hand] = c.ring[last]
		c.ring[c.hand].slot = c.hand
		c.ring[last] = nil
		c.ring = c.ring[:last]
		delete(c.m, e.key)
		c.bytes -= e.size
	}
}

// len returns the number of cached entries and their estimated size.
func (c *docCache) len() (entries int, bytes int64) {
	if c == nil {
		return 0, 0
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m), c.bytes
}

// cachedCopy returns a deep copy of e's value, a *T that plan copies.
func cachedCopy[T any](e *docEntry, plan *clonePlan) T {
	out := *e.val.(*T)
	if plan.fix != nil {
		plan.fix(reflect.ValueOf(&out).Elem())
	}
	return out
}

// decodeAndCache decodes doc, version of (kind, id), caches the value and
// returns a deep copy of it (plan copies T).
//
// Errors: the JSON decoding error, naming the aggregate.
func decodeAndCache[T any](c *docCache, plan *clonePlan, kind marketplace.Kind, id string, version int64, doc []byte) (T, error) {
	keep := new(T)
	if err := doccodec.Unmarshal(doc, keep); err != nil {
		var zero T
		return zero, fmt.Errorf("sqlite: decode %s %q: %w", kind, id, err)
	}
	out := *keep
	if plan.fix != nil {
		plan.fix(reflect.ValueOf(&out).Elem())
	}
	c.put(kind, id, version, keep, len(doc))
	return out, nil
}
