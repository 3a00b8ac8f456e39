package memory_test

import (
	"testing"

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
