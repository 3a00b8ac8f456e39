package sqlite_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/adapters/storetest"
	"github.com/opengallery/opengallery/marketplace"
)

// holdWriter starts an Update that moves onto the writer (DueResources)
// and keeps it until release is called; it returns once the writer is
// held. Requests queued meanwhile are then committed together with it,
// and Updates started meanwhile run optimistically (the writer is busy).
func holdWriter(t *testing.T, st *sqlite.Store) (release func()) {
	t.Helper()
	held, rel, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- st.Update(context.Background(), func(tx marketplace.Tx) error {
			if _, err := tx.(marketplace.DueResourceTx).DueResources(t0, 1); err != nil {
				return err
			}
			close(held)
			<-rel
			return nil
		})
	}()
	select {
	case <-held:
	case err := <-done:
		t.Fatalf("holding the writer: %v", err)
	}
	return func() {
		close(rel)
		if err := <-done; err != nil {
			t.Errorf("the update holding the writer: %v", err)
		}
	}
}

// waitQueued waits until n requests wait for the writer.
func waitQueued(t *testing.T, st *sqlite.Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for sqlite.QueuedWrites(st) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued, want %d", sqlite.QueuedWrites(st), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// orderEvent is the event the tests append with an order.
func orderEvent(id, typ string) *marketplace.Event {
	return &marketplace.Event{At: t0, Kind: marketplace.KindOrder, AggregateID: id, Type: typ}
}

// TestOptimisticConflictInGroup places, in one group commit, two Updates
// that read the same version of o1 and both write it (each with an order
// of its own and an event) and one that writes something else: exactly one
// of the two commits, the other gets *marketplace.ConflictError and none
// of its writes, and the third commits; the event numbers stay gap-free.
func TestOptimisticConflictInGroup(t *testing.T) {
	st := openTemp(t)
	ctx := context.Background()
	o1 := benchOrder(1)
	if err := st.Update(ctx, func(tx marketplace.Tx) error { return tx.PutOrder(&o1) }); err != nil {
		t.Fatal(err)
	}
	before := st.Stats()
	release := holdWriter(t, st)
	type result struct {
		err   error
		event *marketplace.Event
	}
	results := make([]result, 3)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := benchOrder(10 + i)
			ev := orderEvent(own.ID, "order.created")
			err := st.Update(ctx, func(tx marketplace.Tx) error {
				if i < 2 {
					o, err := tx.Order(o1.ID)
					if err != nil {
						return err
					}
					o.PaymentID = fmt.Sprintf("pay%d", i)
					if err := tx.PutOrder(&o); err != nil {
						return err
					}
				}
				if err := tx.PutOrder(&own); err != nil {
					return err
				}
				return tx.AppendEvent(ev)
			})
			results[i] = result{err, ev}
		}()
		waitQueued(t, st, i+1) // each read o1 at version 1, then queued
	}
	release()
	wg.Wait()
	if got := st.Stats().Commits - before.Commits; got != 1 {
		t.Errorf("%d commits, want 1: the queued updates joined the held one's", got)
	}
	winner, loser := 0, 1
	if results[0].err != nil {
		winner, loser = 1, 0
	}
	var ce *marketplace.ConflictError
	if !errors.As(results[loser].err, &ce) || !errors.Is(results[loser].err, marketplace.ErrConflict) {
		t.Fatalf("updates returned %v and %v, want one *marketplace.ConflictError", results[0].err, results[1].err)
	}
	if want := (marketplace.ConflictError{Kind: marketplace.KindOrder, ID: o1.ID, Want: 1, Have: 2}); *ce != want {
		t.Errorf("conflict %+v, want %+v", *ce, want)
	}
	for _, i := range []int{winner, 2} {
		if results[i].err != nil {
			t.Fatalf("update %d: %v", i, results[i].err)
		}
	}
	err := st.View(ctx, func(tx marketplace.ReadTx) error {
		if o, err := tx.Order(o1.ID); err != nil || o.Version != 2 || o.PaymentID != fmt.Sprintf("pay%d", winner) {
			return fmt.Errorf("o1 after the race: %+v %v", o, err)
		}
		if _, err := tx.Order(benchOrder(10 + loser).ID); !errors.Is(err, marketplace.ErrNotFound) {
			return fmt.Errorf("the loser's own order: %v, want not found", err)
		}
		for _, i := range []int{winner, 2} {
			if _, err := tx.Order(benchOrder(10 + i).ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Errorf("event %d has seq %d: a gap", i, e.Seq)
		}
		got = append(got, fmt.Sprintf("%d %s", e.Seq, e.AggregateID))
	}
	want := []string{fmt.Sprintf("%d %s", results[winner].event.Seq, benchOrder(10+winner).ID),
		fmt.Sprintf("%d %s", results[2].event.Seq, benchOrder(12).ID)}
	if want[0] > want[1] {
		want[0], want[1] = want[1], want[0]
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events (-set by Update +stored):\n%s", d)
	}
}

// TestOptimisticCancelWhileQueued cancels an Update whose write set waits
// for the writer: it returns the context's error and writes nothing.
func TestOptimisticCancelWhileQueued(t *testing.T) {
	st := openTemp(t)
	release := holdWriter(t, st)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- st.Update(ctx, func(tx marketplace.Tx) error { o := benchOrder(1); return tx.PutOrder(&o) })
	}()
	waitQueued(t, st, 1)
	cancel()
	release()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Update = %v, want context.Canceled", err)
	}
	err := st.View(context.Background(), func(tx marketplace.ReadTx) error { _, err := tx.Order(benchOrder(1).ID); return err })
	if !errors.Is(err, marketplace.ErrNotFound) {
		t.Fatalf("order of the cancelled update: %v, want not found", err)
	}
}

// TestReadsInsideUpdate checks, in both modes, what fn reads of its own
// writes and what the Tx refuses at once.
func TestReadsInsideUpdate(t *testing.T) {
	inModes(t, func(t *testing.T, mode sqlite.Option) {
		st := openTemp(t, mode)
		ctx := context.Background()
		saved := func(product string, at time.Duration) marketplace.SavedItem {
			return marketplace.SavedItem{BuyerID: "b1", ProductID: product, AddedAt: t0.Add(at)}
		}
		rec := func(key string) marketplace.IdempotencyRecord {
			return marketplace.IdempotencyRecord{Key: key, ResultKind: marketplace.KindOrder, ResultID: "o", CreatedAt: t0}
		}
		err := st.Update(ctx, func(tx marketplace.Tx) error {
			for _, it := range []marketplace.SavedItem{saved("p1", 0), saved("p2", time.Second)} {
				if err := tx.PutSavedItem(it); err != nil {
					return err
				}
			}
			return tx.PutIdempotency(rec("committed"))
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			fn   func(tx marketplace.Tx) (got, want any, err error)
		}{
			{"a put order reads back at its new version", func(tx marketplace.Tx) (any, any, error) {
				o := benchOrder(1)
				if err := tx.PutOrder(&o); err != nil {
					return nil, nil, err
				}
				got, err := tx.Order(o.ID)
				return got, o, err
			}},
			{"a second put carries the first one's version", func(tx marketplace.Tx) (any, any, error) {
				o := benchOrder(1)
				if err := tx.PutOrder(&o); err != nil {
					return nil, nil, err
				}
				stale := o
				stale.Version = 0
				err := tx.PutOrder(&stale)
				o.Status = marketplace.OrderCompleted
				if err := tx.PutOrder(&o); err != nil {
					return nil, nil, err
				}
				got, rerr := tx.Order(o.ID)
				return []any{got.Version, got.Status, errors.Is(err, marketplace.ErrConflict)},
					[]any{int64(2), marketplace.OrderCompleted, true}, rerr
			}},
			{"saved items with the transaction's put and delete", func(tx marketplace.Tx) (any, any, error) {
				if err := tx.PutSavedItem(saved("p0", 2*time.Second)); err != nil {
					return nil, nil, err
				}
				if err := tx.DeleteSavedItem("b1", "p1", ""); err != nil {
					return nil, nil, err
				}
				got, err := tx.SavedItems("b1")
				return got, []marketplace.SavedItem{saved("p2", time.Second), saved("p0", 2*time.Second)}, err
			}},
			{"deleting a missing saved item", func(tx marketplace.Tx) (any, any, error) {
				if err := tx.DeleteSavedItem("b1", "p1", ""); err != nil {
					return nil, nil, err
				}
				again := tx.DeleteSavedItem("b1", "p1", "")
				never := tx.DeleteSavedItem("b1", "nothing", "")
				return []bool{errors.Is(again, marketplace.ErrNotFound), errors.Is(never, marketplace.ErrNotFound)},
					[]bool{true, true}, nil
			}},
			{"an idempotency record put reads back", func(tx marketplace.Tx) (any, any, error) {
				if err := tx.PutIdempotency(rec("new")); err != nil {
					return nil, nil, err
				}
				got, err := tx.Idempotency("new")
				return got, rec("new"), err
			}},
			{"an existing idempotency key conflicts at once", func(tx marketplace.Tx) (any, any, error) {
				if err := tx.PutIdempotency(rec("new")); err != nil {
					return nil, nil, err
				}
				var again, stored *marketplace.ConflictError
				errors.As(tx.PutIdempotency(rec("new")), &again)
				errors.As(tx.PutIdempotency(rec("committed")), &stored)
				return []*marketplace.ConflictError{again, stored}, []*marketplace.ConflictError{
					{Kind: marketplace.KindIdempotency, ID: "new", Have: 1},
					{Kind: marketplace.KindIdempotency, ID: "committed", Have: 1}}, nil
			}},
			{"a put with an empty id", func(tx marketplace.Tx) (any, any, error) {
				o := benchOrder(1)
				o.ID = ""
				err := tx.PutOrder(&o)
				var ie *marketplace.InputError
				return []any{errors.As(err, &ie), o.Version}, []any{true, int64(0)}, nil
			}},
		} {
			t.Run(c.name, func(t *testing.T) {
				errRollback := errors.New("roll back")
				err := st.Update(ctx, func(tx marketplace.Tx) error {
					got, want, err := c.fn(tx)
					if err != nil {
						return err
					}
					if d := cmp.Diff(want, got, storetest.Comparer); d != "" {
						t.Errorf("(-want +got):\n%s", d)
					}
					return errRollback // each case starts from the same state
				})
				if !errors.Is(err, errRollback) {
					t.Fatalf("Update = %v", err)
				}
			})
		}
		// Nothing the cases wrote was kept.
		err = st.View(ctx, func(tx marketplace.ReadTx) error {
			items, err := tx.SavedItems("b1")
			if err != nil || len(items) != 2 {
				return fmt.Errorf("saved items %v %v, want the two committed", items, err)
			}
			if _, err := tx.Order(benchOrder(1).ID); !errors.Is(err, marketplace.ErrNotFound) {
				return fmt.Errorf("order: %v, want not found", err)
			}
			if _, err := tx.Idempotency("new"); !errors.Is(err, marketplace.ErrNotFound) {
				return fmt.Errorf("idempotency record: %v, want not found", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestCommitTimeConflicts writes, from snapshots taken before a held
// writer lets anything commit, what another Update then commits first: an
// idempotency key, and the delete of a saved item. The later Update gets
// *marketplace.ConflictError at commit (the delete's would otherwise be
// reported for a row that is not there) and keeps nothing.
func TestCommitTimeConflicts(t *testing.T) {
	for _, c := range []struct {
		name string
		fn   func(tx marketplace.Tx) error
		want marketplace.ConflictError
	}{
		{"idempotency key", func(tx marketplace.Tx) error {
			return tx.PutIdempotency(marketplace.IdempotencyRecord{Key: "k", ResultKind: marketplace.KindOrder, ResultID: "o", CreatedAt: t0})
		}, marketplace.ConflictError{Kind: marketplace.KindIdempotency, ID: "k", Have: 1}},
		{"deleted saved item", func(tx marketplace.Tx) error {
			return tx.DeleteSavedItem("b1", "p1", "")
		}, marketplace.ConflictError{Kind: marketplace.KindSavedItem, ID: "b1/p1/", Want: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := openTemp(t)
			ctx := context.Background()
			err := st.Update(ctx, func(tx marketplace.Tx) error {
				return tx.PutSavedItem(marketplace.SavedItem{BuyerID: "b1", ProductID: "p1", AddedAt: t0})
			})
			if err != nil {
				t.Fatal(err)
			}
			release := holdWriter(t, st)
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = st.Update(ctx, func(tx marketplace.Tx) error {
						o := benchOrder(i)
						if err := tx.PutOrder(&o); err != nil {
							return err
						}
						return c.fn(tx)
					})
				}()
				waitQueued(t, st, i+1)
			}
			release()
			wg.Wait()
			var ce *marketplace.ConflictError
			if errs[0] != nil || !errors.As(errs[1], &ce) || *ce != c.want {
				t.Fatalf("Updates = %v, %v; want nil and %+v", errs[0], errs[1], c.want)
			}
			err = st.View(ctx, func(tx marketplace.ReadTx) error {
				_, err := tx.Order(benchOrder(1).ID)
				return err
			})
			if !errors.Is(err, marketplace.ErrNotFound) {
				t.Fatalf("the conflicting update's order: %v, want not found", err)
			}
		})
	}
}

// TestEventNumbersAfterUpdate has concurrent Updates append events: after
// each returns, its events carry their committed numbers, which Events
// reports for them, gap-free and in order.
func TestEventNumbersAfterUpdate(t *testing.T) {
	inModes(t, func(t *testing.T, mode sqlite.Option) {
		st := openTemp(t, mode)
		ctx := context.Background()
		const writers, per = 16, 3
		got := make([]*marketplace.Event, 0, writers*per)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				evs := make([]*marketplace.Event, per)
				err := st.Update(ctx, func(tx marketplace.Tx) error {
					for j := range evs {
						evs[j] = orderEvent(fmt.Sprintf("o%d", i), fmt.Sprintf("e%d", j))
						if err := tx.AppendEvent(evs[j]); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				got = append(got, evs...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		stored, err := st.Events(ctx, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(stored) != writers*per {
			t.Fatalf("%d events stored, want %d", len(stored), writers*per)
		}
		for _, e := range got {
			if e.Seq < 1 || e.Seq > int64(len(stored)) {
				t.Fatalf("event %s %s has seq %d", e.AggregateID, e.Type, e.Seq)
			}
			s := stored[e.Seq-1]
			if s.Seq != e.Seq || s.AggregateID != e.AggregateID || s.Type != e.Type {
				t.Errorf("event %s %s has seq %d, which Events gives %s %s (seq %d)", e.AggregateID, e.Type, e.Seq, s.AggregateID, s.Type, s.Seq)
			}
		}
		for i, e := range stored {
			if e.Seq != int64(i+1) {
				t.Fatalf("stored event %d has seq %d", i, e.Seq)
			}
		}
	})
}

// TestMovedUpdate writes optimistically, then calls DueResources, which
// moves the rest of fn onto the writer: DueResources sees the buffered
// writes, and the Update commits all of it, or nothing when fn fails or
// panics (the panic is re-raised; the writer goes on).
func TestMovedUpdate(t *testing.T) {
	now := t0.Add(time.Hour)
	seed := func(t *testing.T) *sqlite.Store {
		st := openTemp(t, sqlite.AlwaysOptimistic())
		err := st.Update(context.Background(), func(tx marketplace.Tx) error {
			for i := range 2 {
				r := storecheck.DueResource(i, t0)
				if err := tx.PutResource(&r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// fn moves r0 out of reach, adds r2 (due), reads the due resources on
	// the writer and then writes an order.
	fn := func(t *testing.T, end func() error) func(tx marketplace.Tx) error {
		return func(tx marketplace.Tx) error {
			r0, err := tx.Resource(storecheck.DueResource(0, t0).ID)
			if err != nil {
				return err
			}
			later := now.Add(time.Hour)
			r0.NextDueAt = &later
			r2 := storecheck.DueResource(2, t0)
			for _, r := range []*marketplace.Resource{&r0, &r2} {
				if err := tx.PutResource(r); err != nil {
					return err
				}
			}
			due, err := tx.(marketplace.DueResourceTx).DueResources(now, 10)
			if err != nil {
				return err
			}
			var ids []string
			for _, r := range due {
				ids = append(ids, r.ID)
			}
			if want := []string{"r0000001", "r0000002"}; !cmp.Equal(ids, want) {
				t.Errorf("DueResources = %v, want %v", ids, want)
			}
			o := benchOrder(1)
			if err := tx.PutOrder(&o); err != nil {
				return err
			}
			return end()
		}
	}
	stored := func(t *testing.T, st *sqlite.Store) (order bool, r2 bool) {
		t.Helper()
		err := st.View(context.Background(), func(tx marketplace.ReadTx) error {
			_, err := tx.Order(benchOrder(1).ID)
			order = err == nil
			_, err = tx.Resource(storecheck.DueResource(2, t0).ID)
			r2 = err == nil
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return order, r2
	}
	errBoom := errors.New("boom")
	for _, c := range []struct {
		name  string
		end   func() error
		want  error
		panic bool
	}{
		{"commits", func() error { return nil }, nil, false},
		{"fails", func() error { return errBoom }, errBoom, false},
		{"panics", func() error { panic("fn panicked") }, nil, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := seed(t)
			var err error
			func() {
				defer func() {
					if p := recover(); (p != nil) != c.panic {
						t.Fatalf("recovered %v", p)
					}
				}()
				err = st.Update(context.Background(), fn(t, c.end))
			}()
			if !c.panic && !errors.Is(err, c.want) || c.want == nil && err != nil {
				t.Fatalf("Update = %v, want %v", err, c.want)
			}
			kept := c.want == nil && !c.panic
			if order, r2 := stored(t, st); order != kept || r2 != kept {
				t.Fatalf("order stored %v, r2 stored %v; want %v", order, r2, kept)
			}
			// The writer goes on.
			if err := st.Update(context.Background(), func(tx marketplace.Tx) error { o := benchOrder(2); return tx.PutOrder(&o) }); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestMovedUpdateConflict moves an Update whose buffered write is stale by
// then: DueResources returns the *marketplace.ConflictError, and so does
// Update even if fn ignores it.
func TestMovedUpdateConflict(t *testing.T) {
	st := openTemp(t, sqlite.AlwaysOptimistic())
	ctx := context.Background()
	o := benchOrder(1)
	if err := st.Update(ctx, func(tx marketplace.Tx) error { return tx.PutOrder(&o) }); err != nil {
		t.Fatal(err)
	}
	var dueErr error
	err := st.Update(ctx, func(tx marketplace.Tx) error {
		stale := o
		stale.Version = 0 // an insert of an existing id
		if err := tx.PutOrder(&stale); err != nil {
			return err
		}
		_, dueErr = tx.(marketplace.DueResourceTx).DueResources(t0, 1)
		return nil
	})
	if !errors.Is(dueErr, marketplace.ErrConflict) || !errors.Is(err, marketplace.ErrConflict) {
		t.Fatalf("DueResources = %v, Update = %v; want conflicts", dueErr, err)
	}
}

// TestConcurrentBuyersOneProduct places and pays orders of one product
// through the marketplace, four at once for each of 16 buyers: orders of
// one buyer race for the buyer's account, the losers' conflicts are
// retried by the service, and every order is placed and paid once.
func TestConcurrentBuyersOneProduct(t *testing.T) {
	inDefaultAndModes(t, func(t *testing.T, mode sqlite.Option) {
		st := openTemp(t, mode)
		const buyers, each = 16, 4
		var ids []string
		for i := range buyers {
			ids = append(ids, buyerID(i))
		}
		storecheck.SeedShop(t, st, ids...)
		svc, err := marketplace.New(st)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		var wg sync.WaitGroup
		for i := range buyers * each {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := storecheck.ServicePlacePayNow(ctx, svc, buyerID(i%buyers), fmt.Sprintf("k%d", i)); err != nil {
					t.Errorf("order %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		for _, b := range ids {
			pg, err := st.ListOrders(ctx, marketplace.OrderQuery{BuyerID: b, Status: marketplace.OrderCompleted, Limit: 10})
			if err != nil || pg.Total != each {
				t.Fatalf("buyer %s: %d completed orders, %v; want %d", b, pg.Total, err, each)
			}
			err = st.View(ctx, func(tx marketplace.ReadTx) error {
				a, err := tx.Account(b)
				if want := storecheck.USD("999980.00"); err == nil && !a.Balance.Amount.Equal(want.Amount) {
					err = fmt.Errorf("balance %s, want %s", a.Balance, want)
				}
				return err
			})
			if err != nil {
				t.Fatalf("buyer %s: %v", b, err)
			}
		}
		evs, err := st.Events(ctx, 0, 1000)
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range evs {
			if e.Seq != int64(i+1) {
				t.Fatalf("event %d has seq %d", i, e.Seq)
			}
		}
	})
}

// TestDefaultDispatch: by default a closure runs optimistically while the
// writer is busy (it runs while the writer is held) and on the writer when
// the writer is idle (a stale Put then fails at the Put, and the closure
// may go on and commit the rest).
func TestDefaultDispatch(t *testing.T) {
	st := openTemp(t)
	ctx := context.Background()
	o := benchOrder(1)
	if err := st.Update(ctx, func(tx marketplace.Tx) error { return tx.PutOrder(&o) }); err != nil {
		t.Fatal(err)
	}
	var putErr error
	err := st.Update(ctx, func(tx marketplace.Tx) error {
		stale := o
		stale.Version = 0
		putErr = tx.PutOrder(&stale)
		other := benchOrder(2)
		return tx.PutOrder(&other)
	})
	if err != nil || !errors.Is(putErr, marketplace.ErrConflict) {
		t.Fatalf("idle writer: Update = %v, stale Put = %v; want nil and a conflict from the Put", err, putErr)
	}
	release := holdWriter(t, st)
	ran := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- st.Update(ctx, func(tx marketplace.Tx) error {
			close(ran)
			other := benchOrder(3)
			return tx.PutOrder(&other)
		})
	}()
	select {
	case <-ran:
	case <-time.After(10 * time.Second):
		t.Fatal("busy writer: the closure did not run while the writer was held")
	}
	release()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestQueuedMovesGiveBackSlots: Updates waiting to move onto the writer
// (a runner's transactions in flight, queued behind another one's loan)
// hold no closure slot, so other Updates' closures still run meanwhile.
func TestQueuedMovesGiveBackSlots(t *testing.T) {
	st := openTemp(t)
	release := holdWriter(t, st)
	ctx := context.Background()
	moves := runtime.GOMAXPROCS(0) // as many as there are slots
	done := make(chan error, moves+1)
	for range moves {
		go func() {
			done <- st.Update(ctx, func(tx marketplace.Tx) error {
				_, err := tx.(marketplace.DueResourceTx).DueResources(t0, 1)
				return err
			})
		}()
	}
	waitQueued(t, st, moves)
	ran := make(chan struct{})
	go func() {
		done <- st.Update(ctx, func(tx marketplace.Tx) error {
			close(ran)
			o := benchOrder(7)
			return tx.PutOrder(&o)
		})
	}()
	select {
	case <-ran:
	case <-time.After(5 * time.Second):
		t.Errorf("no closure started in 5s while %d Updates waited to move onto the writer", moves)
	}
	release()
	for range moves + 1 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestRetryRunsOnWriter: an Update whose ctx says it retries a lost race
// (marketplace.RetryContext) runs on the writer even on a store that runs
// every other Update optimistically: a stale Put fails at the Put, as on
// the writer, instead of at commit.
func TestRetryRunsOnWriter(t *testing.T) {
	tests := []struct {
		name  string
		retry bool
		atPut bool // the stale Put fails at once
	}{
		{"first attempt: optimistic, the conflict comes at commit", false, false},
		{"retry: on the writer, the conflict comes at the Put", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openTemp(t, sqlite.AlwaysOptimistic())
			ctx := context.Background()
			storecheck.SeedShop(t, st, "b1")
			if tt.retry {
				ctx = marketplace.RetryContext(ctx)
			}
			var putErr error
			err := st.Update(ctx, func(tx marketplace.Tx) error {
				a := marketplace.Account{ID: "b1", Balance: storecheck.USD("1.00"), CreditUsed: storecheck.USD("0"), UpdatedAt: t0}
				putErr = tx.PutAccount(&a) // version 0: b1 exists
				return putErr
			})
			if got := putErr != nil; got != tt.atPut {
				t.Errorf("the Put failed at once: %v (%v), want %v", got, putErr, tt.atPut)
			}
			if !errors.Is(err, marketplace.ErrConflict) {
				t.Errorf("Update: %v, want a conflict", err)
			}
		})
	}
}
