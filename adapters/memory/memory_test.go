package memory_test

import (
	"context"
	"errors"
	"testing"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/adapters/storetest"
	"github.com/opengallery/opengallery/marketplace"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) marketplace.Store { return memory.New() })
}

// TestReopen proves the suite's reopen hook with the trivial reopen of a
// memory store: the same value.
func TestReopen(t *testing.T) {
	storetest.RunWithOptions(t, func(t *testing.T) marketplace.Store { return memory.New() },
		storetest.Options{Reopen: func(t *testing.T, s marketplace.Store) marketplace.Store { return s }})
}

// FuzzCursor: any cursor string is either one the store issued or an
// invalid-input error, never a panic.
func FuzzCursor(f *testing.F) {
	st := memory.New()
	f.Add("")
	f.Add("eyJ0IjoiMjAyNi0wMS0wMVQwMDowMDowMFoiLCJpZCI6InAxIn0")
	f.Add("!!")
	f.Fuzz(func(t *testing.T, c string) {
		_, err := st.SearchProducts(context.Background(), marketplace.ProductQuery{Cursor: c, Limit: 10})
		if err != nil && !errors.Is(err, marketplace.ErrInvalidInput) {
			t.Fatalf("cursor %q: %v", c, err)
		}
	})
}

func TestDueResourceTx(t *testing.T) {
	storecheck.DueResourceTx(t, func(t *testing.T) marketplace.Store { return memory.New() })
}

// TestRunnersShareDueResources: three runners on one store move every
// expired subscription to grace exactly once.
func TestRunnersShareDueResources(t *testing.T) {
	st := memory.New()
	storecheck.RunnersShareDueResources(t, st, 2000, func(int) marketplace.Store { return st })
}

// TestRunnerTxInFlight: one runner with four due-resource transactions in
// flight (the store runs them in turn) moves every expired subscription
// to grace exactly once; one that cannot be written fails alone.
func TestRunnerTxInFlight(t *testing.T) {
	for _, tc := range []struct{ name, poison string }{
		{"every item once", ""},
		{"a failing item fails alone", storecheck.DueResource(1000, storecheck.T0).ID},
	} {
		t.Run(tc.name, func(t *testing.T) { storecheck.RunnerTxInFlight(t, memory.New(), 2000, 64, 4, tc.poison) })
	}
}
