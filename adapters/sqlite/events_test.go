package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/marketplace"
)

// TestWriterEventInserts appends events in closures that run on the
// writer: after the first, a closure's events go to the table in
// multi-row INSERTs (32 rows at most), yet each gets its committed number
// from AppendEvent, and a closure that fails leaves no number taken.
func TestWriterEventInserts(t *testing.T) {
	errBoom := errors.New("boom")
	type closure struct {
		events int
		fail   bool
	}
	for _, tc := range []struct {
		name     string
		closures []closure
		// inserts is how many INSERT statements the closures run in all
		// (each Update also runs BEGIN and COMMIT).
		inserts int64
	}{
		{"one event", []closure{{events: 1}}, 1},
		{"two events", []closure{{events: 2}}, 2},
		{"a full buffer", []closure{{events: 33}}, 2},
		{"a full buffer and one", []closure{{events: 34}}, 3},
		{"a hundred", []closure{{events: 100}}, 5},
		{"after a failed closure", []closure{{events: 3}, {events: 40, fail: true}, {events: 5}}, 2 + 2 + 2},
		{"failed after its first flush", []closure{{events: 70, fail: true}, {events: 2}}, 3 + 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openTemp(t, sqlite.WithOptimisticUpdates(false))
			ctx := context.Background()
			var want []string // "seq aggregate" of the events kept, as AppendEvent numbered them
			updates := int64(0)
			before := sqlite.WriterStatements(st)
			for c, cl := range tc.closures {
				var numbered []string
				err := st.Update(ctx, func(tx marketplace.Tx) error {
					numbered = numbered[:0]
					for i := range cl.events {
						e := marketplace.Event{At: t0, Kind: marketplace.KindOrder, AggregateID: fmt.Sprintf("o%d-%d", c, i), Type: "order.created"}
						if err := tx.AppendEvent(&e); err != nil {
							return err
						}
						numbered = append(numbered, fmt.Sprintf("%d %s", e.Seq, e.AggregateID))
					}
					if cl.fail {
						return errBoom
					}
					return nil
				})
				updates++
				if cl.fail != errors.Is(err, errBoom) || !cl.fail && err != nil {
					t.Fatalf("closure %d: %v", c, err)
				}
				if !cl.fail {
					want = append(want, numbered...)
				}
			}
			if got := sqlite.WriterStatements(st) - before - 2*updates; got != tc.inserts {
				t.Errorf("%d INSERT statements, want %d", got, tc.inserts)
			}
			evs, err := st.Events(ctx, 0, 1000)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for i, e := range evs {
				if e.Seq != int64(i+1) {
					t.Fatalf("event %d has seq %d: a gap", i, e.Seq)
				}
				got = append(got, fmt.Sprintf("%d %s", e.Seq, e.AggregateID))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("stored events (-as numbered +stored):\n%s", diff)
			}
		})
	}
}

// TestLentTransactionEvents appends events after an optimistic Update
// moved onto the writer (DueResources): those AppendEvent keeps for a
// multi-row INSERT are written when the closure returns, with the
// numbers it gave them.
func TestLentTransactionEvents(t *testing.T) {
	st := openTemp(t, sqlite.AlwaysOptimistic())
	ctx := context.Background()
	var want []string
	err := st.Update(ctx, func(tx marketplace.Tx) error {
		want = want[:0]
		e := marketplace.Event{At: t0, Kind: marketplace.KindOrder, AggregateID: "before", Type: "order.created"}
		if err := tx.AppendEvent(&e); err != nil { // in the write set, numbered at commit
			return err
		}
		if _, err := tx.(marketplace.DueResourceTx).DueResources(t0, 10); err != nil {
			return err
		}
		want = append(want, "1 before")
		for i := range 40 {
			e := marketplace.Event{At: t0, Kind: marketplace.KindOrder, AggregateID: fmt.Sprintf("o%d", i), Type: "order.created"}
			if err := tx.AppendEvent(&e); err != nil {
				return err
			}
			want = append(want, fmt.Sprintf("%d %s", e.Seq, e.AggregateID))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, fmt.Sprintf("%d %s", e.Seq, e.AggregateID))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored events (-as numbered +stored):\n%s", diff)
	}
}
