package sqlite_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/marketplace"
)

func readOrder(t *testing.T, st *sqlite.Store, id string) marketplace.Order {
	t.Helper()
	var o marketplace.Order
	err := st.View(context.Background(), func(tx marketplace.ReadTx) error {
		var err error
		o, err = tx.Order(id)
		return err
	})
	if err != nil {
		t.Fatalf("View Order %s: %v", id, err)
	}
	return o
}

func putOrders(t *testing.T, st *sqlite.Store, os ...*marketplace.Order) {
	t.Helper()
	err := st.Update(context.Background(), func(tx marketplace.Tx) error {
		for _, o := range os {
			if err := tx.PutOrder(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// A point read served from the document cache is the caller's own copy:
// changing it, down to its slices and pointers, changes nothing that a
// later read returns.
func TestViewCachedReadsAreCopies(t *testing.T) {
	st := openTemp(t)
	o := benchOrder(1)
	rate := usd("0.25")
	o.HourlyRate = &rate
	o.Image = &marketplace.ImageDeployment{Mode: "quick", Region: "r1"}
	putOrders(t, st, &o)
	want := readOrder(t, st, o.ID) // decoded, now cached
	if n := sqlite.DocCacheEntries(st); n != 1 {
		t.Fatalf("%d cached documents after one read, want 1", n)
	}
	for range 2 {
		got := readOrder(t, st, o.ID)
		if !equalOrders(got, want) {
			t.Fatalf("cached read = %+v, want %+v", got, want)
		}
		got.Lines[0].Description = "poisoned"
		got.Lines = append(got.Lines, marketplace.OrderLine{Description: "extra"})
		*got.PaidAt = got.PaidAt.Add(time.Hour)
		got.HourlyRate.Currency = "EUR"
		got.Image.Region = "poisoned"
	}
	if got := readOrder(t, st, o.ID); !equalOrders(got, want) {
		t.Fatalf("after writing to earlier results: read = %+v, want %+v", got, want)
	}
}

func equalOrders(a, b marketplace.Order) bool {
	return a.ID == b.ID && a.Version == b.Version && len(a.Lines) == len(b.Lines) &&
		a.Lines[0].Description == b.Lines[0].Description && a.PaidAt.Equal(*b.PaidAt) &&
		a.HourlyRate.Currency == b.HourlyRate.Currency && a.HourlyRate.Amount.Equal(b.HourlyRate.Amount) &&
		a.Image.Region == b.Image.Region && a.Amount.Amount.Equal(b.Amount.Amount)
}

// The row's version decides: a write through another Store on the same
// file (another process) is seen by the next read, with no notice to the
// reader's cache.
func TestViewSeesWritesOfAnotherStore(t *testing.T) {
	st := openTemp(t)
	other := openFile(t, st.Path())
	o := benchOrder(1)
	putOrders(t, st, &o)
	if got := readOrder(t, st, o.ID); got.Version != 1 || got.Status != marketplace.OrderProcessing {
		t.Fatalf("read = version %d %s, want version 1 processing", got.Version, got.Status)
	}
	o.Status = marketplace.OrderCompleted
	putOrders(t, other, &o)
	if got := readOrder(t, st, o.ID); got.Version != 2 || got.Status != marketplace.OrderCompleted {
		t.Fatalf("after another store's write: read = version %d %s, want version 2 completed", got.Version, got.Status)
	}
}

// Every read of one View sees the snapshot its first read took, whether
// that first read is a point read (found or not) or a list, while another
// Store commits in between.
func TestViewIsOneSnapshot(t *testing.T) {
	for _, first := range []string{"point read", "point read of a missing id", "list"} {
		t.Run(first, func(t *testing.T) {
			st := openTemp(t)
			other := openFile(t, st.Path())
			a, b := benchOrder(1), benchOrder(2)
			putOrders(t, st, &a, &b)
			readOrder(t, st, b.ID) // cache version 1 of b
			ctx := context.Background()
			err := st.View(ctx, func(tx marketplace.ReadTx) error {
				switch first {
				case "point read":
					if _, err := tx.Order(a.ID); err != nil {
						return err
					}
				case "point read of a missing id":
					if _, err := tx.Order("o-new"); !errors.Is(err, marketplace.ErrNotFound) {
						return errors.New("o-new exists before it is written")
					}
				case "list":
					if _, err := tx.SavedItems(buyerID(1)); err != nil {
						return err
					}
				}
				// Another process commits a new version of b and a new order.
				b2, n := b, benchOrder(3)
				b2.Status, n.ID = marketplace.OrderCompleted, "o-new"
				putOrders(t, other, &b2, &n)
				got, err := tx.Order(b.ID)
				if err != nil {
					return err
				}
				if got.Version != 1 {
					return errors.New("b: the View saw a version committed after its first read")
				}
				if _, err := tx.Order("o-new"); !errors.Is(err, marketplace.ErrNotFound) {
					return errors.New("o-new: the View saw an order committed after its first read")
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := readOrder(t, st, b.ID); got.Version != 2 {
				t.Fatalf("after the View: b version %d, want 2", got.Version)
			}
			readOrder(t, st, "o-new")
		})
	}
}

// Point reads without the cache decode every time and return the same.
func TestViewWithoutDocCache(t *testing.T) {
	st := openTemp(t, sqlite.WithDocCache(0))
	o := benchOrder(1)
	putOrders(t, st, &o)
	got := readOrder(t, st, o.ID)
	if got.ID != o.ID || got.Version != 1 || !got.Amount.Amount.Equal(o.Amount.Amount) {
		t.Fatalf("read = %+v", got)
	}
	if n := sqlite.DocCacheEntries(st); n != 0 {
		t.Fatalf("%d cached documents with the cache off", n)
	}
}
