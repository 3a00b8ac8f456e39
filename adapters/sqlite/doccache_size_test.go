package sqlite_test

import (
	"runtime"
	"testing"

	"github.com/opengallery/opengallery/adapters/sqlite"
)

// The cache's size estimate (twice the document's length plus a fixed
// overhead) covers what its decoded orders take on the heap, so its budget
// bounds its memory (measured: about 0.8 of the estimate for the benchmark
// order, amounts and dates included).
func TestDocCacheEstimateCoversTheHeap(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation sizes")
	}
	st := openTemp(t, sqlite.WithDocCache(1<<30))
	const n = 3000
	for i := range n {
		o := benchOrder(i)
		putOrders(t, st, &o)
	}
	readOrder(t, st, benchOrder(0).ID) // the reader connection's statements
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		readOrder(t, st, benchOrder(i).ID)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	heap, estimate := int64(after.HeapAlloc)-int64(before.HeapAlloc), sqlite.DocCacheBytes(st)
	if sqlite.DocCacheEntries(st) != n {
		t.Fatalf("%d entries cached, want %d", sqlite.DocCacheEntries(st), n)
	}
	if heap > estimate*5/4 {
		t.Fatalf("%d orders take %d bytes on the heap, the cache estimates %d", n, heap, estimate)
	}
}
