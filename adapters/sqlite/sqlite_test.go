package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/adapters/storetest"
	"github.com/opengallery/opengallery/marketplace"
)

// openFile opens and migrates a store on path, closing it when the test
// ends.
func openFile(t testing.TB, path string, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(path, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return st
}

func openTemp(t testing.TB, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	return openFile(t, filepath.Join(t.TempDir(), "gallery.db"), opts...)
}

func TestStore(t *testing.T) {
	storetest.RunWithOptions(t,
		func(t *testing.T) marketplace.Store { return openTemp(t) },
		storetest.Options{Reopen: func(t *testing.T, s marketplace.Store) marketplace.Store {
			st := s.(*sqlite.Store)
			if err := st.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return openFile(t, st.Path())
		}})
}
