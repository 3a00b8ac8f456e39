package saasaccess_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/saasaccess"
)

func TestNonceCache(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := saasaccess.NewNonceCache(3)
	steps := []struct {
		name   string
		nonce  string
		expiry time.Time
		now    time.Time
		want   error // nil, ErrAuth or ErrBusy
		len    int
	}{
		{"first use", "a", t0.Add(time.Minute), t0, nil, 1},
		{"replay", "a", t0.Add(time.Minute), t0.Add(time.Second), saasaccess.ErrAuth, 1},
		{"replay with other expiry", "a", t0.Add(2 * time.Minute), t0.Add(time.Second), saasaccess.ErrAuth, 1},
		{"second", "b", t0.Add(30 * time.Second), t0, nil, 2},
		{"third", "c", t0.Add(90 * time.Second), t0, nil, 3},
		{"full", "d", t0.Add(time.Minute), t0.Add(time.Second), saasaccess.ErrBusy, 3},
		{"b expired frees a slot", "d", t0.Add(time.Minute), t0.Add(30 * time.Second), nil, 3},
		{"b may be used again", "b", t0.Add(2 * time.Minute), t0.Add(61 * time.Second), nil, 2}, // a and d expired; c stays, b in
		{"already expired is not kept", "e", t0, t0.Add(62 * time.Second), nil, 2},
		{"empty", "", t0.Add(time.Hour), t0, saasaccess.ErrAuth, 2},
		{"too long", strings.Repeat("n", saasaccess.MaxNonceLen+1), t0.Add(time.Hour), t0, saasaccess.ErrAuth, 2},
		{"longest allowed", strings.Repeat("n", saasaccess.MaxNonceLen), t0.Add(time.Hour), t0.Add(62 * time.Second), nil, 3},
	}
	for _, s := range steps {
		err := c.Check(s.nonce, s.expiry, s.now)
		switch {
		case s.want == nil && err != nil, s.want != nil && !errors.Is(err, s.want):
			t.Fatalf("%s: Check = %v, want %v", s.name, err, s.want)
		}
		if got := c.Len(); got != s.len {
			t.Fatalf("%s: Len = %d, want %d", s.name, got, s.len)
		}
	}
}

func TestNonceCacheDefaultCapacityAndConcurrency(t *testing.T) {
	c := saasaccess.NewNonceCache(0)
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	var mu sync.Mutex
	accepted := map[string]int{}
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				// Every goroutine tries the same 500 nonces: each must be
				// accepted exactly once.
				n := fmt.Sprint(i)
				if err := c.Check(n, t0.Add(time.Minute), t0); err == nil {
					mu.Lock()
					accepted[n]++
					mu.Unlock()
				}
			}
			_ = g
		}()
	}
	wg.Wait()
	if len(accepted) != 500 {
		t.Fatalf("%d distinct nonces accepted, want 500", len(accepted))
	}
	for n, k := range accepted {
		if k != 1 {
			t.Fatalf("nonce %s accepted %d times", n, k)
		}
	}
}
