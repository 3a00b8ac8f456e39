package sqlite

import (
	"fmt"
	"testing"

	"github.com/opengallery/opengallery/marketplace"
)

func TestDocCacheKeepsTheLatestVersion(t *testing.T) {
	c := newDocCache(1 << 20)
	c.put(marketplace.KindOrder, "o1", 2, "v2", 10)
	c.put(marketplace.KindOrder, "o1", 1, "v1", 10) // an older snapshot's read
	if e := c.get(marketplace.KindOrder, "o1"); e == nil || e.version != 2 || e.val != "v2" {
		t.Fatalf("get = %+v, want version 2", e)
	}
	c.put(marketplace.KindOrder, "o1", 3, "v3", 10)
	if e := c.get(marketplace.KindOrder, "o1"); e == nil || e.version != 3 || e.val != "v3" {
		t.Fatalf("get = %+v, want version 3", e)
	}
	if e := c.get(marketplace.KindPayment, "o1"); e != nil {
		t.Fatalf("another kind's id: get = %+v, want nil", e)
	}
	if n, _ := c.len(); n != 1 {
		t.Fatalf("%d entries, want 1", n)
	}
}

func TestDocCacheStaysWithinItsBudget(t *testing.T) {
	const docLen = 1000
	size := int64(2*docLen + len("o0000") + docEntryOverhead)
	c := newDocCache(10 * size)
	for i := range 100 {
		c.put(marketplace.KindOrder, fmt.Sprintf("o%04d", i), 1, i, docLen)
		if n, b := c.len(); b > c.budget || int64(n)*size != b {
			t.Fatalf("after %d puts: %d entries, %d bytes, budget %d", i+1, n, b, c.budget)
		}
	}
	if n, _ := c.len(); n != 10 {
		t.Fatalf("%d entries, want 10", n)
	}
	// The newest entry is always kept.
	if e := c.get(marketplace.KindOrder, "o0099"); e == nil {
		t.Fatal("the last entry put was evicted")
	}
	// A document larger than an eighth of the budget is not cached.
	c.put(marketplace.KindOrder, "big", 1, "big", int(c.budget))
	if e := c.get(marketplace.KindOrder, "big"); e != nil {
		t.Fatal("an oversized document was cached")
	}
}

// CLOCK: an entry read since the hand last passed survives one more turn.
func TestDocCacheKeepsWhatIsRead(t *testing.T) {
	const docLen = 1000
	size := int64(2*docLen + len("o0000") + docEntryOverhead)
	c := newDocCache(16 * size)
	for i := range 16 {
		c.put(marketplace.KindOrder, fmt.Sprintf("o%04d", i), 1, i, docLen)
	}
	for i := 16; i < 100; i++ {
		if c.get(marketplace.KindOrder, "o0000") == nil {
			t.Fatalf("o0000, read before every put, was evicted at put %d", i)
		}
		c.put(marketplace.KindOrder, fmt.Sprintf("o%04d", i), 1, i, docLen)
	}
}

func TestDocCacheNilAndDisabled(t *testing.T) {
	var c *docCache
	c.put(marketplace.KindOrder, "o1", 1, "v", 10)
	if e := c.get(marketplace.KindOrder, "o1"); e != nil {
		t.Fatalf("nil cache: get = %+v", e)
	}
	c = newDocCache(0)
	c.put(marketplace.KindOrder, "o1", 1, "v", 10)
	if e := c.get(marketplace.KindOrder, "o1"); e != nil {
		t.Fatalf("zero budget: get = %+v", e)
	}
}
