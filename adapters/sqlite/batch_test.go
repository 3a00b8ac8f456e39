package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/marketplace"
)

// TestGroupCommitIsolatesFailures runs many concurrent updates, every
// other one failing after it wrote, so that they share commits: each
// failing closure is rolled back alone and every other one commits.
func TestGroupCommitIsolatesFailures(t *testing.T) { inModes(t, testGroupCommitIsolatesFailures) }

func testGroupCommitIsolatesFailures(t *testing.T, mode sqlite.Option) {
	st := openTemp(t, mode)
	ctx := context.Background()
	errBoom := errors.New("boom")
	const n = 64
	var wg sync.WaitGroup
	results := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = st.Update(ctx, func(tx marketplace.Tx) error {
				o := benchOrder(i)
				if err := tx.PutOrder(&o); err != nil {
					return err
				}
				if err := tx.AppendEvent(&marketplace.Event{At: t0, Kind: marketplace.KindOrder, AggregateID: o.ID, Type: "order.created"}); err != nil {
					return err
				}
				if i%2 == 1 {
					return fmt.Errorf("order %d: %w", i, errBoom)
				}
				return nil
			})
		}()
	}
	wg.Wait()
	for i, err := range results {
		if want := i%2 == 1; errors.Is(err, errBoom) != want || (!want && err != nil) {
			t.Fatalf("update %d: %v", i, err)
		}
	}
	for i := range n {
		err := st.View(ctx, func(tx marketplace.ReadTx) error { _, err := tx.Order(benchOrder(i).ID); return err })
		if i%2 == 0 && err != nil || i%2 == 1 && !errors.Is(err, marketplace.ErrNotFound) {
			t.Fatalf("order %d after commit: %v", i, err)
		}
	}
	evs, err := st.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != n/2 {
		t.Fatalf("%d events, want %d", len(evs), n/2)
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: rolled-back closures left a gap", i, e.Seq)
		}
	}
}

// TestPanicInUpdate re-raises a closure's panic in the caller, rolls its
// writes back, and keeps the store usable.
func TestPanicInUpdate(t *testing.T) { inModes(t, testPanicInUpdate) }

func testPanicInUpdate(t *testing.T, mode sqlite.Option) {
	st := openTemp(t, mode)
	ctx := context.Background()
	func() {
		defer func() {
			if p := recover(); p != "closure panicked" {
				t.Fatalf("recovered %v, want the closure's panic", p)
			}
		}()
		_ = st.Update(ctx, func(tx marketplace.Tx) error {
			o := benchOrder(1)
			if err := tx.PutOrder(&o); err != nil {
				return err
			}
			panic("closure panicked")
		})
	}()
	err := st.View(ctx, func(tx marketplace.ReadTx) error { _, err := tx.Order(benchOrder(1).ID); return err })
	if !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("after a panic: %v, want not found", err)
	}
	if err := st.Update(ctx, func(tx marketplace.Tx) error { o := benchOrder(2); return tx.PutOrder(&o) }); err != nil {
		t.Fatalf("update after a panic: %v", err)
	}
}

func TestOpenOptions(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		path string
		opts []sqlite.Option
	}{
		{"empty path", "", nil},
		{"memory", ":memory:", nil},
		{"bad sync", filepath.Join(dir, "a.db"), []sqlite.Option{sqlite.WithSync("OFF")}},
		{"no readers", filepath.Join(dir, "b.db"), []sqlite.Option{sqlite.WithReaders(0)}},
		{"no batch", filepath.Join(dir, "c.db"), []sqlite.Option{sqlite.WithMaxBatch(0)}},
		{"negative busy timeout", filepath.Join(dir, "d.db"), []sqlite.Option{sqlite.WithBusyTimeout(-1)}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st, err := sqlite.Open(c.path, c.opts...)
			if !errors.Is(err, sqlite.ErrInvalidOption) {
				if st != nil {
					st.Close()
				}
				t.Fatalf("Open: %v, want ErrInvalidOption", err)
			}
		})
	}
	st := openTemp(t, sqlite.WithSync(sqlite.SyncNormal), sqlite.WithReaders(1), sqlite.WithMaxBatch(1))
	if err := st.Update(context.Background(), func(tx marketplace.Tx) error { o := benchOrder(1); return tx.PutOrder(&o) }); err != nil {
		t.Fatal(err)
	}
}

func TestMigrate(t *testing.T) {
	st := openTemp(t) // migrated once
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil { // and again: nothing to do
		t.Fatal(err)
	}
	names, err := fs.Glob(sqlite.Migrations(), "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("Migrations(): %v %v", names, err)
	}
	applied, err := st.AppliedMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(names, applied); d != "" {
		t.Fatalf("applied migrations (-files +applied):\n%s", d)
	}
	fresh, err := sqlite.Open(filepath.Join(t.TempDir(), "fresh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if applied, err := fresh.AppliedMigrations(ctx); err != nil || len(applied) != 0 {
		t.Fatalf("before Migrate: %v %v", applied, err)
	}
}

func TestClosed(t *testing.T) {
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "closed.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	err = st.Update(context.Background(), func(tx marketplace.Tx) error { return nil })
	if !errors.Is(err, sqlite.ErrClosed) {
		t.Fatalf("Update after Close: %v, want ErrClosed", err)
	}
	if _, err := st.ClaimDue(context.Background(), t0, 1, "x", 1); !errors.Is(err, sqlite.ErrClosed) {
		t.Fatalf("ClaimDue after Close: %v, want ErrClosed", err)
	}
}
