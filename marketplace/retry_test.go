package marketplace_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/marketplace"
)

// losingStore makes the first lose Update calls lose their race and
// records, for every call, whether its ctx said it was a retry.
type losingStore struct {
	*memory.Store
	lose     int
	mu       sync.Mutex
	retrying []bool
}

func (s *losingStore) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	s.mu.Lock()
	s.retrying = append(s.retrying, marketplace.Retrying(ctx))
	lost := len(s.retrying) <= s.lose
	s.mu.Unlock()
	if lost {
		return &marketplace.ConflictError{Kind: marketplace.KindAccount, ID: "alice", Want: 1, Have: 2}
	}
	return s.Store.Update(ctx, fn)
}

// TestRetrying: a service transaction that loses a race runs again with a
// ctx for which Retrying is true (a store may then run it where it cannot
// lose again); the first attempt, and a transaction that commits at once,
// are not retries.
func TestRetrying(t *testing.T) {
	if marketplace.Retrying(context.Background()) {
		t.Fatal("Retrying(Background) = true")
	}
	tests := []struct {
		name string
		lose int
		want []bool
	}{
		{"commits at once", 0, []bool{false}},
		{"loses once", 1, []bool{false, true}},
		{"loses three times", 3, []bool{false, true, true, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &losingStore{Store: memory.New(), lose: tt.lose}
			svc := must(marketplace.New(st))(t)
			_, err := svc.TopUp(ctx, marketplace.OperatorActor("op"), marketplace.TopUpInput{AccountID: "alice", Amount: usd("10.00")})
			if err != nil {
				t.Fatalf("TopUp: %v", err)
			}
			if diff := cmp.Diff(tt.want, st.retrying); diff != "" {
				t.Errorf("Retrying per attempt (-want +got):\n%s", diff)
			}
		})
	}
}
