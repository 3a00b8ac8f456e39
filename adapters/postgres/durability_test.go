package postgres_test

import (
	"testing"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/marketplace"
)

// TestDurability kills a process that places and pays orders on
// PostgreSQL with SIGKILL mid-run, reconnects and checks that everything
// acknowledged survived and nothing is half-written.
func TestDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a helper process")
	}
	st := openTemp(t)
	storecheck.SeedShop(t, st, "b1")
	storecheck.Durability(t, []string{"-postgres", testDSN(t), "-schema", st.Schema()}, func() marketplace.Store {
		return openSchema(t, st.Schema())
	})
}
