package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/marketplace"
)

// testPrefetch checks a store whose write transactions implement
// marketplace.Prefetcher: after Prefetch, every getter answers as it would
// have without it (found, not found, the transaction's own writes first),
// refs it cannot read are ignored, and the writes that follow commit.
func (s *suite) testPrefetch(t *testing.T) {
	st := s.open(t)
	o1, acc := order("o1", "b1"), account("b1")
	rec := marketplace.IdempotencyRecord{Key: "k", RequestHash: "h", ResultKind: marketplace.KindOrder, ResultID: "o1", CreatedAt: at(0)}
	update(t, st, func(tx marketplace.Tx) error {
		if _, ok := tx.(marketplace.Prefetcher); !ok {
			return nil
		}
		if err := tx.PutOrder(&o1); err != nil {
			return err
		}
		if err := tx.PutAccount(&acc); err != nil {
			return err
		}
		return tx.PutIdempotency(rec)
	})
	if o1.Version == 0 {
		t.Skip("the store's write transactions do not implement marketplace.Prefetcher")
	}
	ref := func(kind marketplace.Kind, id string) marketplace.Ref { return marketplace.Ref{Kind: kind, ID: id} }
	o9 := order("o9", "b1")
	rec9 := marketplace.IdempotencyRecord{Key: "k9", ResultKind: marketplace.KindOrder, ResultID: "o9", CreatedAt: at(0)}
	update(t, st, func(tx marketplace.Tx) error {
		tx.(marketplace.Prefetcher).Prefetch(ref(marketplace.KindOrder, "o1"), ref(marketplace.KindOrder, "o9"),
			ref(marketplace.KindAccount, "b1"), ref(marketplace.KindIdempotency, "k"), ref(marketplace.KindIdempotency, "k9"),
			ref(marketplace.KindOrder, "o1"), ref(marketplace.KindProduct, ""), ref(marketplace.KindSavedItem, "b1"), ref("no such kind", "x"))
		if got, err := tx.Order("o1"); err != nil || !cmp.Equal(o1, got, Comparer) {
			return fmt.Errorf("prefetched order: %v, diff (-want +got):\n%s", err, cmp.Diff(o1, got, Comparer))
		}
		if got, err := tx.Account("b1"); err != nil || !cmp.Equal(acc, got, Comparer) {
			return fmt.Errorf("prefetched account: %v, diff (-want +got):\n%s", err, cmp.Diff(acc, got, Comparer))
		}
		if got, err := tx.Idempotency("k"); err != nil || !cmp.Equal(rec, got, Comparer) {
			return fmt.Errorf("prefetched idempotency record: %v, diff (-want +got):\n%s", err, cmp.Diff(rec, got, Comparer))
		}
		if _, err := tx.Order("o9"); !errors.Is(err, marketplace.ErrNotFound) {
			return fmt.Errorf("prefetched missing order: got %v, want not found", err)
		}
		if _, err := tx.Idempotency("k9"); !errors.Is(err, marketplace.ErrNotFound) {
			return fmt.Errorf("prefetched missing idempotency record: got %v, want not found", err)
		}
		if _, err := tx.Product("p1"); !errors.Is(err, marketplace.ErrNotFound) {
			return fmt.Errorf("missing product: got %v, want not found", err)
		}
		// What the transaction writes is read back, prefetched or not.
		if err := tx.PutOrder(&o9); err != nil {
			return err
		}
		if err := tx.PutIdempotency(rec9); err != nil {
			return err
		}
		o1.Status = marketplace.OrderCancelled
		if err := tx.PutOrder(&o1); err != nil {
			return err
		}
		tx.(marketplace.Prefetcher).Prefetch(ref(marketplace.KindOrder, "o1"), ref(marketplace.KindOrder, "o9"), ref(marketplace.KindIdempotency, "k9"))
		for _, want := range []marketplace.Order{o1, o9} {
			if got, err := tx.Order(want.ID); err != nil || !cmp.Equal(want, got, Comparer) {
				return fmt.Errorf("own write of %s after Prefetch: %v, diff (-want +got):\n%s", want.ID, err, cmp.Diff(want, got, Comparer))
			}
		}
		if got, err := tx.Idempotency("k9"); err != nil || !cmp.Equal(rec9, got, Comparer) {
			return fmt.Errorf("own idempotency record after Prefetch: %v, diff (-want +got):\n%s", err, cmp.Diff(rec9, got, Comparer))
		}
		return nil
	})
	err := st.View(ctx, func(tx marketplace.ReadTx) error {
		for _, want := range []marketplace.Order{o1, o9} {
			if got, err := tx.Order(want.ID); err != nil || !cmp.Equal(want, got, Comparer) {
				return fmt.Errorf("committed %s: %v, diff (-want +got):\n%s", want.ID, err, cmp.Diff(want, got, Comparer))
			}
		}
		_, err := tx.Idempotency("k9")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
