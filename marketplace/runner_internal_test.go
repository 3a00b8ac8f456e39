package marketplace

import (
	"sync/atomic"
	"testing"
)

// TestEachPanics: a panic in one of each's calls reaches the caller's
// goroutine, after every call under way has returned.
func TestEachPanics(t *testing.T) {
	const n = 1000
	var running atomic.Int64
	var got any
	func() {
		defer func() { got = recover() }()
		(&Service{}).each(n, func(i int) {
			running.Add(1)
			defer running.Add(-1)
			if i == 10 {
				panic("boom")
			}
		})
	}()
	if got != "boom" {
		t.Fatalf("recovered %v, want boom", got)
	}
	if r := running.Load(); r != 0 {
		t.Errorf("%d calls still running when the panic reached the caller", r)
	}
}
