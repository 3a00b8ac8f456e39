package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/adapters/postgres"
	"github.com/opengallery/opengallery/marketplace"
)

// withPool returns a store on st's schema, with opts, over a pool of its
// own with conns connections.
func withPool(t testing.TB, st *postgres.Store, conns int, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxConns = int32(conns)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	out, err := postgres.New(pool, append([]postgres.Option{postgres.WithSchema(st.Schema())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(out.Close)
	return out
}

// seedAccounts stores accounts a0 … a(n-1) at version 1.
func seedAccounts(t *testing.T, st marketplace.Store, n int) {
	t.Helper()
	err := st.Update(context.Background(), func(tx marketplace.Tx) error {
		for i := range n {
			a := marketplace.Account{ID: fmt.Sprintf("a%d", i), Balance: usd("10.00"), CreditUsed: usd("0"), UpdatedAt: t0}
			if err := tx.PutAccount(&a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestGroupCommitConflicts starts two writers per account at once, each
// writing the version 1 it read with an event: whatever commits they share,
// exactly one writer per account commits, the other gets the conflict with
// the versions, and the events of the winners alone are stored, gap-free.
func TestGroupCommitConflicts(t *testing.T) {
	const accounts = 8
	ctx := context.Background()
	// Every writer holds a connection from its read to its commit: the
	// pool must have one for each, or later writers would read version 2.
	st := withPool(t, openTemp(t), 2*accounts)
	seedAccounts(t, st, accounts)
	start := make(chan struct{})
	errs := make([]error, 2*accounts)
	var wg, read sync.WaitGroup
	read.Add(len(errs))
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("a%d", i%accounts)
			errs[i] = st.Update(ctx, func(tx marketplace.Tx) error {
				a, err := tx.Account(id)
				read.Done() // Update calls fn once
				if err != nil {
					return err
				}
				<-start
				a.Balance = usd(fmt.Sprintf("%d.00", 20+i))
				if err := tx.PutAccount(&a); err != nil {
					return err
				}
				return tx.AppendEvent(&marketplace.Event{At: t0, Kind: marketplace.KindAccount, AggregateID: id, Type: "account.touched"})
			})
		}()
	}
	read.Wait() // every writer read version 1
	close(start)
	wg.Wait()
	for i := range accounts {
		a, b := errs[i], errs[i+accounts]
		won, lost := a, b
		if a != nil {
			won, lost = b, a
		}
		if won != nil {
			t.Fatalf("a%d: both writers failed: %v; %v", i, a, b)
		}
		var ce *marketplace.ConflictError
		if !errors.As(lost, &ce) || ce.Kind != marketplace.KindAccount || ce.ID != fmt.Sprintf("a%d", i) || ce.Want != 1 || ce.Have != 2 {
			t.Fatalf("a%d: the losing writer got %v, want a conflict (want 1, have 2)", i, lost)
		}
	}
	evs, err := st.Events(ctx, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != accounts {
		t.Fatalf("%d events stored, want %d", len(evs), accounts)
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
}

// TestViewSnapshotEndsWithTheView: a View leaves its connection parked
// with its snapshot open, but the next View reads a new snapshot, which
// sees what committed in between.
func TestViewSnapshotEndsWithTheView(t *testing.T) {
	st := openTemp(t)
	seedAccounts(t, st, 1)
	ctx := context.Background()
	for want := int64(1); want <= 5; want++ {
		var got marketplace.Account
		err := st.View(ctx, func(tx marketplace.ReadTx) error {
			var err error
			got, err = tx.Account("a0")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.Version != want {
			t.Fatalf("View read version %d, want %d", got.Version, want)
		}
		err = st.Update(ctx, func(tx marketplace.Tx) error {
			a, err := tx.Account("a0")
			if err != nil {
				return err
			}
			return tx.PutAccount(&a)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestStaleWriteBeforeDueResources: DueResources sends the transaction's
// pending writes first; a stale one fails it with the conflict, and the
// transaction is over: Update returns the conflict even when fn goes on
// and returns nil, and nothing it wrote is kept.
func TestStaleWriteBeforeDueResources(t *testing.T) {
	st := openTemp(t)
	storecheck.SeedDue(t, st, 2, 2, t0)
	ctx := context.Background()
	bump := func(id string) {
		err := st.Update(ctx, func(tx marketplace.Tx) error {
			r, err := tx.Resource(id)
			if err != nil {
				return err
			}
			return tx.PutResource(&r)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	bump(storecheck.DueResource(0, t0).ID) // now at version 2
	var dueErr error
	err := st.Update(ctx, func(tx marketplace.Tx) error {
		stale := storecheck.DueResource(0, t0)
		stale.Version = 1
		stale.Status = marketplace.ResourceGrace
		if err := tx.PutResource(&stale); err != nil {
			return err
		}
		other := storecheck.DueResource(1, t0)
		other.Version = 1
		if err := tx.PutResource(&other); err != nil {
			return err
		}
		_, dueErr = tx.(marketplace.DueResourceTx).DueResources(t0.Add(time.Hour), 10)
		return nil
	})
	var ce *marketplace.ConflictError
	if !errors.As(dueErr, &ce) || ce.ID != storecheck.DueResource(0, t0).ID || ce.Want != 1 || ce.Have != 2 {
		t.Fatalf("DueResources after a stale write: %v, want a conflict on r0000000 (want 1, have 2)", dueErr)
	}
	if !errors.As(err, &ce) {
		t.Fatalf("Update: %v, want the conflict", err)
	}
	err = st.View(ctx, func(tx marketplace.ReadTx) error {
		for i, want := range []int64{2, 1} {
			r, err := tx.Resource(storecheck.DueResource(i, t0).ID)
			if err != nil {
				return err
			}
			if r.Version != want || r.Status != marketplace.ResourceActive {
				return fmt.Errorf("%s is at version %d, %s; want %d, active", r.ID, r.Version, r.Status, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRetryLocksWhatItReads: an Update whose ctx says it retries a lost
// race (marketplace.RetryContext) reads with FOR UPDATE, so a plain Update
// that writes the same account after that read waits for it and then
// loses, instead of making the retry lose again.
func TestRetryLocksWhatItReads(t *testing.T) {
	st := openTemp(t)
	storecheck.SeedShop(t, st, "b1")
	ctx := context.Background()
	read, goOn := make(chan struct{}), make(chan struct{})
	var once sync.Once
	release := func() { once.Do(func() { close(goOn) }) }
	t.Cleanup(release) // a failed test must not leave the Update waiting (Close would wait for it)
	retried := make(chan error, 1)
	go func() {
		retried <- st.Update(marketplace.RetryContext(ctx), func(tx marketplace.Tx) error {
			a, err := tx.Account("b1")
			if err != nil {
				return err
			}
			close(read)
			<-goOn
			a.Balance = storecheck.USD("1.00")
			return tx.PutAccount(&a)
		})
	}()
	<-read
	plain := make(chan error, 1)
	go func() {
		plain <- st.Update(ctx, func(tx marketplace.Tx) error {
			a, err := tx.Account("b1")
			if err != nil {
				return err
			}
			a.Balance = storecheck.USD("2.00")
			return tx.PutAccount(&a)
		})
	}()
	select {
	case err := <-plain:
		t.Fatalf("a plain Update finished (%v) while a retried Update held the account it read", err)
	case <-time.After(300 * time.Millisecond):
	}
	release()
	if err := <-retried; err != nil {
		t.Fatalf("the retried Update: %v", err)
	}
	if err := <-plain; !errors.Is(err, marketplace.ErrConflict) {
		t.Errorf("the plain Update: %v, want a conflict", err)
	}
	var got marketplace.Account
	if err := st.View(ctx, func(tx marketplace.ReadTx) error {
		var err error
		got, err = tx.Account("b1")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if !got.Balance.Equal(storecheck.USD("1.00")) {
		t.Errorf("balance %s, want the retried Update's 1.00", got.Balance)
	}
}

// TestRetryDeadlockIsConflict: two retried Updates that lock two accounts
// in opposite orders deadlock; PostgreSQL aborts one of them, which must
// come back as *marketplace.ConflictError (so that the marketplace retries
// it), not as a hard error, while the other commits.
func TestRetryDeadlockIsConflict(t *testing.T) {
	st := openTemp(t)
	storecheck.SeedShop(t, st, "b1", "b2")
	ctx := marketplace.RetryContext(context.Background())
	var first sync.WaitGroup // both hold their first account
	first.Add(2)
	lockBoth := func(a, b string) error {
		return st.Update(ctx, func(tx marketplace.Tx) error {
			acc, err := tx.Account(a)
			if err != nil {
				return err
			}
			first.Done()
			first.Wait()
			if _, err := tx.Account(b); err != nil {
				return err
			}
			acc.Balance = storecheck.USD("3.00")
			return tx.PutAccount(&acc)
		})
	}
	errs := make(chan error, 2)
	go func() { errs <- lockBoth("b1", "b2") }()
	go func() { errs <- lockBoth("b2", "b1") }()
	var conflicts, committed int
	for range 2 {
		switch err := <-errs; {
		case err == nil:
			committed++
		case errors.Is(err, marketplace.ErrConflict):
			conflicts++
		default:
			t.Errorf("Update: %v, want nil or a conflict", err)
		}
	}
	if conflicts != 1 || committed != 1 {
		t.Errorf("%d committed, %d conflicts; want one of each", committed, conflicts)
	}
}
