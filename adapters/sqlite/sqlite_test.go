package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/adapters/storetest"
	"github.com/opengallery/opengallery/billing"
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

// updateModes are the two places Update runs its closure: tests of what
// both must do run in each. By default (WithOptimisticUpdates(true)) the
// closure runs on the writer when the writer is idle, as in sequential
// tests; AlwaysOptimistic makes it run optimistically anyway.
var updateModes = []struct {
	name string
	opt  sqlite.Option
}{
	{"optimistic", sqlite.AlwaysOptimistic()},
	{"writer", sqlite.WithOptimisticUpdates(false)},
}

// inDefaultAndModes runs test in each update mode and with the default,
// which mixes them.
func inDefaultAndModes(t *testing.T, test func(t *testing.T, mode sqlite.Option)) {
	t.Run("default", func(t *testing.T) { test(t, sqlite.WithOptimisticUpdates(true)) })
	inModes(t, test)
}

// inModes runs test once per update mode, with that mode's option.
func inModes(t *testing.T, test func(t *testing.T, mode sqlite.Option)) {
	for _, m := range updateModes {
		t.Run(m.name, func(t *testing.T) { test(t, m.opt) })
	}
}

func TestStore(t *testing.T) {
	inDefaultAndModes(t, func(t *testing.T, mode sqlite.Option) {
		storetest.RunWithOptions(t,
			func(t *testing.T) marketplace.Store { return openTemp(t, mode) },
			storetest.Options{Reopen: func(t *testing.T, s marketplace.Store) marketplace.Store {
				st := s.(*sqlite.Store)
				if err := st.Close(); err != nil {
					t.Fatalf("Close: %v", err)
				}
				return openFile(t, st.Path(), mode)
			}})
	})
}

// TestWALCheckpoints places and pays orders one at a time and watches the
// WAL: it grows well past SQLite's default checkpoint threshold (1000 frames;
// the writer checkpoints at 4000) and never much past 4000 frames, and the
// store reopens with every order.
func TestWALCheckpoints(t *testing.T) {
	const frame = 4096 + 24 // page + frame header
	st := openTemp(t)
	storecheck.SeedShop(t, st, "b1")
	svc, err := marketplace.New(st)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var most int64
	const orders = 400 // about 28 frames each: three checkpoints
	for i := range orders {
		_, err := svc.CreateOrder(ctx, marketplace.BuyerActor("b1"), marketplace.CreateOrderInput{
			QuoteInput: marketplace.QuoteInput{ProductID: "p1", SpecID: "sp1", Mode: billing.Monthly, Duration: 1},
			AgreeTerms: true, IdempotencyKey: fmt.Sprintf("k%d", i), PayNow: true})
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(st.Path() + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		most = max(most, fi.Size())
	}
	if most <= 2000*frame || most > 4200*frame {
		t.Errorf("the WAL reached %d frames, want 2000 < n <= 4200", most/frame)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = openFile(t, st.Path())
	pg, err := st.ListOrders(ctx, marketplace.OrderQuery{BuyerID: "b1", Limit: 1})
	if err != nil || pg.Total != orders {
		t.Fatalf("after reopen: %d orders, %v; want %d", pg.Total, err, orders)
	}
}
