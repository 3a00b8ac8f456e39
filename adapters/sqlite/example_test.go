package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/marketplace"
)

// Open a file, apply the embedded migrations explicitly, then read and
// write through the marketplace store contract. A stale write is a
// conflict, never a silent overwrite.
func Example() {
	dir, err := os.MkdirTemp("", "og-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	st, err := sqlite.Open(filepath.Join(dir, "gallery.db"))
	if err != nil {
		log.Fatal(err)
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		log.Fatal(err)
	}

	s := marketplace.Seller{ID: "s1", Name: "ACME Software", SupportEmail: "support@acme.example"}
	if err := st.Update(ctx, func(tx marketplace.Tx) error { return tx.PutSeller(&s) }); err != nil {
		log.Fatal(err)
	}
	stale := s
	stale.Version = 0 // as if read before the seller existed
	err = st.Update(ctx, func(tx marketplace.Tx) error { return tx.PutSeller(&stale) })
	fmt.Println("stale write is a conflict:", errors.Is(err, marketplace.ErrConflict))

	_ = st.View(ctx, func(tx marketplace.ReadTx) error {
		got, err := tx.Seller("s1")
		fmt.Println(got.Name, "version", got.Version, err)
		return err
	})
	applied, _ := st.AppliedMigrations(ctx)
	fmt.Println("migrations:", applied)
	// Output:
	// stale write is a conflict: true
	// ACME Software version 1 <nil>
	// migrations: [0001_init.sql 0002_search.sql 0003_writes.sql]
}
