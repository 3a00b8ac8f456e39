package sqlite_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/marketplace"
)

// TestDurability kills a process that places and pays orders on a SQLite
// file with SIGKILL mid-run, reopens the file and checks that everything
// acknowledged survived and nothing is half-written.
func TestDurability(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a helper process")
	}
	path := filepath.Join(t.TempDir(), "durable.db")
	st := openFile(t, path)
	storecheck.SeedShop(t, st, "b1")
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	storecheck.Durability(t, []string{"-sqlite", path}, func() marketplace.Store {
		// The kill may leave a hot WAL: reopening must recover it.
		if _, err := os.Stat(path + "-wal"); err != nil {
			t.Logf("no WAL file after the kill: %v", err)
		}
		return openFile(t, path)
	})
}
