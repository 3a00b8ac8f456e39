package sqlite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/marketplace"
)

// TestPutResourcesStatements checks which UPDATE PutResources runs for a
// resource: the one by rowid (putReadResourceQuery) when DueResources read
// it in the transaction and its version and indexed columns other than
// status are still the ones read; else the one guarded by those columns
// (putDueResourceQuery), and the full UPDATE when they changed. Whichever
// runs, the row and its columns end up as written.
func TestPutResourcesStatements(t *testing.T) {
	due := storecheck.T0.Add(time.Hour)
	now := due.Add(time.Minute)
	putByRowid, putGuarded, putFull := putReadResourceQuery, putDueResourceQuery, stmts[marketplace.KindResource].update
	for _, tc := range []struct {
		name string
		read bool // DueResources first
		// change changes the resource (as read, or stored) before PutResources.
		change func(r *marketplace.Resource)
		ran    []string // the UPDATEs of og_resources that ran
		err    error
	}{
		{"read, status changed", true, func(r *marketplace.Resource) { r.Status = marketplace.ResourceGrace }, []string{putByRowid}, nil},
		{"read, buyer changed", true, func(r *marketplace.Resource) { r.BuyerID = "b-other" }, []string{putFull}, nil},
		{"read, purchase time changed", true, func(r *marketplace.Resource) { r.PurchasedAt = r.PurchasedAt.Add(time.Second) }, []string{putFull}, nil},
		{"not read", false, func(r *marketplace.Resource) { r.Status = marketplace.ResourceGrace }, []string{putGuarded}, nil},
		{"not read, seller changed", false, func(r *marketplace.Resource) { r.SellerID = "s-other" }, []string{putGuarded, putFull}, nil},
		{"read, version not stored", true, func(r *marketplace.Resource) { r.Version++ }, []string{putGuarded, putFull}, marketplace.ErrConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openReadPath(t, WithOptimisticUpdates(false))
			ctx := context.Background()
			err := st.Update(ctx, func(tx marketplace.Tx) error {
				for i := range 3 {
					r := storecheck.DueResource(i, due)
					if err := tx.PutResource(&r); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			var want marketplace.Resource
			err = st.Update(ctx, func(mtx marketplace.Tx) error {
				dt := mtx.(marketplace.DueResourceTx)
				var r marketplace.Resource
				if tc.read {
					rs, err := dt.DueResources(now, 10)
					if err != nil {
						return err
					}
					r = rs[1]
				} else {
					var err error
					if r, err = mtx.Resource(storecheck.DueResource(1, due).ID); err != nil {
						return err
					}
				}
				tc.change(&r)
				if err := dt.PutResources([]*marketplace.Resource{&r}); err != nil {
					return err
				}
				want = r
				return nil
			})
			if !errors.Is(err, tc.err) || tc.err == nil && err != nil {
				t.Fatalf("Update = %v, want %v", err, tc.err)
			}
			var ran []string
			for _, q := range []string{putByRowid, putGuarded, putFull} {
				if _, ok := st.wconn.stmts[q]; ok {
					ran = append(ran, q)
				}
			}
			if diff := cmp.Diff(tc.ran, ran); diff != "" {
				t.Errorf("UPDATEs run (-want +got):\n%s", diff)
			}
			if tc.err != nil {
				return
			}
			err = st.View(ctx, func(rtx marketplace.ReadTx) error {
				got, err := rtx.Resource(want.ID)
				if err != nil {
					return err
				}
				if got.Version != want.Version || got.Status != want.Status || got.BuyerID != want.BuyerID || got.SellerID != want.SellerID {
					t.Errorf("stored %+v, want %+v", got, want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// The indexed columns follow the document.
			var cols []any
			err = st.wconn.conn.QueryRowContext(ctx, `SELECT version, buyer_id, seller_id, status, purchased_at FROM og_resources WHERE id = ?`, want.ID).
				Scan(appendScan(&cols, 5)...)
			if err != nil {
				t.Fatal(err)
			}
			wantCols := []any{want.Version, want.BuyerID, want.SellerID, string(want.Status), nanos(want.PurchasedAt)}
			if diff := cmp.Diff(wantCols, cols); diff != "" {
				t.Errorf("columns (-want +got):\n%s", diff)
			}
		})
	}
}

// appendScan sets *dst to n values and returns pointers to them for Scan.
func appendScan(dst *[]any, n int) []any {
	*dst = make([]any, n)
	ptrs := make([]any, n)
	for i := range *dst {
		ptrs[i] = &(*dst)[i]
	}
	return ptrs
}
