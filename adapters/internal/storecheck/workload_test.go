package storecheck

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRunClients(t *testing.T) {
	errBoom := errors.New("boom")
	tests := []struct {
		name              string
		clients, first, n int
		failAt            int // the i whose call fails (-1: none)
		wantErr           error
		want              []int // every i called, sorted
	}{
		{name: "one client", clients: 1, first: 0, n: 5, failAt: -1, want: []int{0, 1, 2, 3, 4}},
		{name: "several clients from first", clients: 4, first: 100, n: 6, failAt: -1, want: []int{100, 101, 102, 103, 104, 105}},
		{name: "more clients than calls", clients: 8, first: 0, n: 3, failAt: -1, want: []int{0, 1, 2}},
		{name: "nothing to do", clients: 3, first: 7, n: 0, failAt: -1, want: []int{}},
		// One client makes its calls in order: none after the failure.
		{name: "a failure stops the calls not started", clients: 1, first: 0, n: 10, failAt: 3, wantErr: errBoom, want: []int{0, 1, 2, 3}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			called := []int{}
			_, err := RunClients(tc.clients, tc.first, tc.n, func(client, i int) error {
				mu.Lock()
				defer mu.Unlock()
				if client < 0 || client >= tc.clients {
					t.Errorf("client %d, want 0 … %d", client, tc.clients-1)
				}
				called = append(called, i)
				if i == tc.failAt {
					return errBoom
				}
				return nil
			})
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			slices.Sort(called)
			if diff := cmp.Diff(tc.want, called); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
		})
	}
}

// With several clients, a failure stops the others too: they start no call
// after it (but for those already claimed).
func TestRunClientsFailureStopsOtherClients(t *testing.T) {
	errBoom := errors.New("boom")
	var calls atomic.Int64
	_, err := RunClients(2, 0, 1000, func(_, i int) error {
		calls.Add(1)
		if i == 0 {
			return errBoom
		}
		time.Sleep(time.Millisecond) // without the stop: ~1 s of calls
		return nil
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("err = %v, want %v", err, errBoom)
	}
	if n := calls.Load(); n > 50 {
		t.Errorf("%d calls after a failure at the first; want a few", n)
	}
}
