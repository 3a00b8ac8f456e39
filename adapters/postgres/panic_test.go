package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/marketplace"
)

// mustPanic runs fn and fails unless it panics.
func mustPanic(t *testing.T, fn func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	fn()
}

// A panic in an Update's closure after it claimed due rows FOR UPDATE must
// give its connection back and free the rows: the next claim sees them all.
func TestPanicInUpdateFreesConnectionAndRows(t *testing.T) {
	st := withPool(t, openTemp(t), 3)
	storecheck.SeedDue(t, st, 4, 4, t0)
	ctx := context.Background()
	mustPanic(t, func() {
		_ = st.Update(ctx, func(tx marketplace.Tx) error {
			rs, err := tx.(marketplace.DueResourceTx).DueResources(t0.Add(time.Hour), 2)
			if err != nil || len(rs) != 2 {
				t.Errorf("DueResources = %d, %v; want 2 rows", len(rs), err)
			}
			panic("closure fails")
		})
	})
	var n int
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := st.Update(ctx, func(tx marketplace.Tx) error {
			rs, err := tx.(marketplace.DueResourceTx).DueResources(t0.Add(time.Hour), 10)
			n = len(rs)
			return err
		})
		if err != nil {
			t.Fatalf("DueResources after the panic: %v", err)
		}
		// The server ends the panicked session's transaction when its
		// connection closes, which pgxpool does in the background.
		if n == 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n != 4 {
		t.Errorf("after a panicking Update, DueResources sees %d of 4 due rows (the others stay locked)", n)
	}
	if got := st.Pool().Stat().AcquiredConns(); got != 0 {
		t.Errorf("%d connections still acquired", got)
	}
}

// Panicking Updates and Views must not use up a small pool.
func TestPanicsDoNotExhaustThePool(t *testing.T) {
	st := withPool(t, openTemp(t), 2)
	ctx := context.Background()
	for range 3 {
		mustPanic(t, func() {
			_ = st.Update(ctx, func(tx marketplace.Tx) error {
				_, _ = tx.Account("x")
				panic("closure fails")
			})
		})
		mustPanic(t, func() {
			_ = st.View(ctx, func(tx marketplace.ReadTx) error {
				_, _ = tx.Account("x")
				panic("closure fails")
			})
		})
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := st.Update(cctx, func(tx marketplace.Tx) error { _, err := tx.Account("x"); return ignoreNotFound(err) }); err != nil {
		t.Errorf("Update after panics on a pool of 2: %v", err)
	}
	if err := st.View(cctx, func(tx marketplace.ReadTx) error { _, err := tx.Account("x"); return ignoreNotFound(err) }); err != nil {
		t.Errorf("View after panics on a pool of 2: %v", err)
	}
}

// A View whose statement the server refuses (an id that is not valid
// UTF-8) aborts its transaction; the next Views must not inherit it.
func TestViewAfterAFailedView(t *testing.T) {
	st := openTemp(t)
	ctx := context.Background()
	read := func(id string) error {
		return st.View(ctx, func(tx marketplace.ReadTx) error { _, err := tx.Order(id); return ignoreNotFound(err) })
	}
	for _, id := range []string{"o1", "o1"} {
		if err := read(id); err != nil {
			t.Fatalf("View: %v", err)
		}
	}
	if err := read("bad\xff"); err == nil {
		t.Fatal("the server accepted an id that is not UTF-8: the case tests nothing")
	}
	for i := range 3 {
		if err := read("o1"); err != nil {
			t.Errorf("View %d after a failed View: %v", i, err)
		}
	}
}

func ignoreNotFound(err error) error {
	if errors.Is(err, marketplace.ErrNotFound) {
		return nil
	}
	return err
}
