package sqlite

import (
	"context"
	"database/sql/driver"
	"fmt"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/marketplace"
)

// TestPutDueResourceColumns: PutResources' narrow UPDATE (putDueResourceQuery)
// sets status and guards the other indexed columns of og_resources; a
// column added to the table must be added to it too, or PutResources would
// leave it stale.
func TestPutDueResourceColumns(t *testing.T) {
	want := []string{"buyer_id", "seller_id", "status", "visible", "purchased_at"}
	if got := tables[marketplace.KindResource].cols; !slices.Equal(got, want) {
		t.Fatalf("og_resources indexed columns are %v; putDueResourceQuery and PutResources handle %v", got, want)
	}
}

// TestReaderMemoryMaps checks which reads go through a memory map: Views
// (point reads, lists, the catalog's pages) do; an optimistic Update's
// closure reads through a connection without one (see Store.ur).
func TestReaderMemoryMaps(t *testing.T) {
	st := openReadPath(t, AlwaysOptimistic())
	ctx := context.Background()
	mmapSize := func(vt *viewTx) (int64, error) {
		var n int64
		err := vt.query(`PRAGMA mmap_size`, nil, func(row []driver.Value) error {
			n, _ = row[0].(int64)
			return nil
		})
		return n, err
	}
	got := map[string]int64{}
	err := st.view(ctx, func(vt *viewTx) error {
		n, err := mmapSize(vt)
		got["view"] = n
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx marketplace.Tx) error {
		u, ok := tx.(*utx)
		if !ok {
			return fmt.Errorf("the closure got a %T, want an optimistic *utx", tx)
		}
		n, err := mmapSize(u.o.vt)
		got["optimistic update"] = n
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"view": 1 << 30, "optimistic update": 0}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mmap_size by reader (-want +got):\n%s", diff)
	}
}
