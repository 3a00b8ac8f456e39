package storecheck

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/opengallery/opengallery/marketplace"
)

// errRollback makes a check's transaction roll back.
var errRollback = errors.New("storecheck: roll back")

// dueTx runs fn in an Update with the Tx as a marketplace.DueResourceTx,
// failing the test if the store's Tx is not one.
func dueTx(t *testing.T, st marketplace.Store, fn func(tx marketplace.DueResourceTx) error) error {
	t.Helper()
	return st.Update(context.Background(), func(tx marketplace.Tx) error {
		dt, ok := tx.(marketplace.DueResourceTx)
		if !ok {
			t.Fatalf("%T is not a marketplace.DueResourceTx", tx)
		}
		return fn(dt)
	})
}

func ids(rs []marketplace.Resource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

// claimedIDs is what ClaimDue returns at now (limit 100), by id.
func claimedIDs(t *testing.T, st marketplace.Store, now time.Time, owner string) []string {
	t.Helper()
	items, err := st.ClaimDue(context.Background(), now, 100, owner, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range items {
		out = append(out, it.ID)
	}
	return out
}

// DueResourceTx checks a store whose Tx implements
// marketplace.DueResourceTx against that interface's contract: which
// resources DueResources returns and in what order, that a transaction
// sees its own writes, that leases are taken at commit only and keep
// resources from ClaimDue and DueResources, and that PutResources writes
// like PutResource (version checks, indexed fields). open returns a new,
// empty store.
func DueResourceTx(t *testing.T, open func(t *testing.T) marketplace.Store) {
	ctx := context.Background()
	// seed stores r0 … r4: r0 due at T0+1h, r1 at T0+2h, r2 at T0+3h, r3 at
	// T0 (leased by ClaimDue to "other" until T0+3h), r4 never due.
	seed := func(t *testing.T) marketplace.Store {
		st := open(t)
		err := st.Update(ctx, func(tx marketplace.Tx) error {
			for i, due := range []time.Time{T0.Add(time.Hour), T0.Add(2 * time.Hour), T0.Add(3 * time.Hour), T0, {}} {
				r := DueResource(i, due)
				if due.IsZero() {
					r.NextDueAt = nil
				}
				if err := tx.PutResource(&r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.ClaimDue(ctx, T0, 1, "other", 3*time.Hour); err != nil {
			t.Fatal(err)
		}
		return st
	}
	now := T0.Add(2*time.Hour + 30*time.Minute)

	t.Run("due and unleased, oldest first, up to limit", func(t *testing.T) {
		st := seed(t)
		err := dueTx(t, st, func(tx marketplace.DueResourceTx) error {
			for _, tc := range []struct {
				limit int
				want  []string
			}{{10, []string{"r0000000", "r0000001"}}, {1, []string{"r0000000"}}} {
				got, err := tx.DueResources(now, tc.limit)
				if err != nil {
					return err
				}
				if !slices.Equal(ids(got), tc.want) {
					t.Errorf("DueResources(limit %d) = %v, want %v", tc.limit, ids(got), tc.want)
				}
			}
			later, err := tx.DueResources(T0.Add(3*time.Hour), 10) // r3's lease has ended
			if err != nil {
				return err
			}
			if want := []string{"r0000003", "r0000000", "r0000001", "r0000002"}; !slices.Equal(ids(later), want) {
				t.Errorf("DueResources after the lease = %v, want %v", ids(later), want)
			}
			if got := later[1]; got.Version != 1 || got.Status != marketplace.ResourceActive || got.NextDueAt == nil ||
				!got.NextDueAt.Equal(T0.Add(time.Hour)) {
				t.Errorf("r0000000 read as version %d, %s, due %v", got.Version, got.Status, got.NextDueAt)
			}
			_, err = tx.DueResources(now, 0)
			if !errors.Is(err, marketplace.ErrInvalidInput) {
				t.Errorf("DueResources(limit 0): %v, want ErrInvalidInput", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("sees the transaction's writes", func(t *testing.T) {
		st := seed(t)
		err := dueTx(t, st, func(tx marketplace.DueResourceTx) error {
			due, err := tx.DueResources(now, 10)
			if err != nil {
				return err
			}
			next := now.Add(time.Hour)
			due[0].NextDueAt = &next
			if err := tx.PutResources([]*marketplace.Resource{&due[0]}); err != nil {
				return err
			}
			again, err := tx.DueResources(now, 10)
			if err != nil {
				return err
			}
			if want := []string{"r0000001"}; !slices.Equal(ids(again), want) {
				t.Errorf("DueResources after writing r0000000 = %v, want %v", ids(again), want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("leases at commit only", func(t *testing.T) {
		st := seed(t)
		err := dueTx(t, st, func(tx marketplace.DueResourceTx) error {
			if err := tx.LeaseResources([]string{"r0000000"}, "", now.Add(time.Minute)); !errors.Is(err, marketplace.ErrInvalidInput) {
				t.Errorf("LeaseResources with no owner: %v, want ErrInvalidInput", err)
			}
			if err := tx.LeaseResources([]string{"r0000000", "missing"}, "me", now.Add(time.Minute)); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("Update = %v, want the closure's error", err)
		}
		err = dueTx(t, st, func(tx marketplace.DueResourceTx) error {
			return tx.LeaseResources([]string{"r0000000"}, "me", now.Add(time.Minute))
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := claimedIDs(t, st, now, "x"), []string{"r0000001"}; !slices.Equal(got, want) {
			t.Errorf("ClaimDue after the lease = %v, want %v (r0000000 leased)", got, want)
		}
		err = dueTx(t, st, func(tx marketplace.DueResourceTx) error {
			got, err := tx.DueResources(now.Add(2*time.Minute), 10)
			if err != nil {
				return err
			}
			if want := []string{"r0000000", "r0000001"}; !slices.Equal(ids(got), want) {
				t.Errorf("DueResources once the leases ended = %v, want %v", ids(got), want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("PutResources writes like PutResource", func(t *testing.T) {
		st := seed(t)
		var written []marketplace.Resource
		err := dueTx(t, st, func(tx marketplace.DueResourceTx) error {
			due, err := tx.DueResources(now, 10)
			if err != nil {
				return err
			}
			graceEnds := now.Add(15 * 24 * time.Hour)
			due[0].Status, due[0].GraceEndsAt, due[0].NextDueAt = marketplace.ResourceGrace, &graceEnds, &graceEnds
			due[1].Visible, due[1].NextDueAt = false, nil // an indexed field besides status changes
			if err := tx.PutResources([]*marketplace.Resource{&due[0], &due[1]}); err != nil {
				return err
			}
			if due[0].Version != 2 || due[1].Version != 2 {
				t.Errorf("versions after PutResources: %d, %d, want 2, 2", due[0].Version, due[1].Version)
			}
			written = due
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = st.View(ctx, func(tx marketplace.ReadTx) error {
			for _, w := range written {
				got, err := tx.Resource(w.ID)
				if err != nil {
					return err
				}
				if got.Version != w.Version || got.Status != w.Status || got.Visible != w.Visible ||
					(got.NextDueAt == nil) != (w.NextDueAt == nil) || (got.GraceEndsAt == nil) != (w.GraceEndsAt == nil) {
					t.Errorf("%s read back as %+v, want %+v", w.ID, got, w)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		grace, err := st.ListResources(ctx, marketplace.ResourceQuery{Status: marketplace.ResourceGrace, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"r0000000"}; !slices.Equal(ids(grace.Items), want) {
			t.Errorf("resources in grace: %v, want %v", ids(grace.Items), want)
		}
		visible, err := st.ListResources(ctx, marketplace.ResourceQuery{VisibleOnly: true, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(ids(visible.Items), "r0000001") || len(visible.Items) != 4 {
			t.Errorf("visible resources: %v, want all but r0000001", ids(visible.Items))
		}
		if got := claimedIDs(t, st, now.Add(30*24*time.Hour), "x"); !slices.Equal(got, []string{"r0000003", "r0000002", "r0000000"}) {
			t.Errorf("ClaimDue after the writes = %v, want r0000003, r0000002 and r0000000 (at its new due time)", got)
		}

		// A stale version fails, leaving that value and the ones after it
		// unchanged and the transaction to be rolled back.
		stale, fresh := written[0], written[1]
		stale.Version = 1
		err = dueTx(t, st, func(tx marketplace.DueResourceTx) error {
			return tx.PutResources([]*marketplace.Resource{&stale, &fresh})
		})
		var conflict *marketplace.ConflictError
		if !errors.As(err, &conflict) || conflict.ID != stale.ID || conflict.Want != 1 || conflict.Have != 2 {
			t.Errorf("PutResources with a stale version: %v, want a conflict on %s (want 1, have 2)", err, stale.ID)
		}
		if stale.Version != 1 || fresh.Version != 2 {
			t.Errorf("versions after the conflict: %d, %d, want 1, 2 (unchanged)", stale.Version, fresh.Version)
		}
	})
}

// RunnersShareDueResources runs three marketplace runners (RunDue) at once
// on st, seeded with n monthly subscriptions whose term has ended, and
// checks that every one moved to grace exactly once: one resource.grace
// event each, none twice, none missed. Runner r works on runnerStore(r):
// st itself, or a store of its own on the same data.
func RunnersShareDueResources(t *testing.T, st marketplace.Store, n int, runnerStore func(r int) marketplace.Store) {
	t.Helper()
	expiry := SeedSubscriptions(t, st, n, 1000)
	clock := marketplace.NewSimClock(expiry.Add(time.Hour))
	var wg sync.WaitGroup
	reports := make([]marketplace.RunReport, 3)
	errs := make([]error, 3)
	for r := range 3 {
		svc, err := marketplace.New(runnerStore(r), marketplace.WithClock(clock), marketplace.WithRunner(100, time.Minute, fmt.Sprintf("runner-%d", r)))
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			reports[r], errs[r] = svc.RunDue(context.Background())
		}()
	}
	wg.Wait()
	claimed := 0
	for r, err := range errs {
		if err != nil {
			t.Fatalf("runner %d: %v", r, err)
		}
		claimed += reports[r].Claimed
		if reports[r].Failed != 0 {
			t.Fatalf("reports %+v: failures", reports)
		}
	}
	t.Logf("%d subscriptions by 3 runners (claimed %d/%d/%d)", n, reports[0].Claimed, reports[1].Claimed, reports[2].Claimed)
	checkGracedOnce(t, st, n, "", claimed)
}

// RunnerTxInFlight runs one marketplace runner (RunDue) on st, seeded with
// n monthly subscriptions whose term has ended, claiming due resources in
// transactions of txBatch with inFlight of them at once
// (WithRunnerTxInFlight). Every subscription must move to grace exactly
// once, except poison (when not ""): a store wrapper fails every write of
// it, and it must fail alone: reported as the pass's one failure, still
// active, while every other one moved on.
func RunnerTxInFlight(t *testing.T, st marketplace.Store, n, txBatch, inFlight int, poison string) {
	t.Helper()
	expiry := SeedSubscriptions(t, st, n, 1000)
	var run marketplace.Store = st
	if poison != "" {
		run = poisonStore{Store: st, poison: poison}
	}
	svc, err := marketplace.New(run, marketplace.WithClock(marketplace.NewSimClock(expiry.Add(time.Hour))),
		marketplace.WithRunner(500, time.Minute, "runner"), marketplace.WithRunnerTxBatch(txBatch),
		marketplace.WithRunnerTxInFlight(inFlight), marketplace.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := svc.RunDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	wantFailed := 0
	if poison != "" {
		wantFailed = 1
	}
	if rep.Failed != wantFailed {
		t.Fatalf("report %+v, want %d failed", rep, wantFailed)
	}
	checkGracedOnce(t, st, n, poison, rep.Claimed)
	if poison == "" {
		return
	}
	err = st.View(context.Background(), func(tx marketplace.ReadTx) error {
		r, err := tx.Resource(poison)
		if err == nil && (r.Status != marketplace.ResourceActive || r.Version != 1) {
			err = fmt.Errorf("%s is %s at version %d, want active at version 1 (never written)", poison, r.Status, r.Version)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// checkGracedOnce checks that each of the n subscriptions SeedSubscriptions
// stored, but skip, has exactly one resource.grace event and is in grace,
// that skip has none, and that the runners claimed n items in all.
func checkGracedOnce(t *testing.T, st marketplace.Store, n int, skip string, claimed int) {
	t.Helper()
	graced := map[string]int{}
	for after := int64(0); ; {
		page, err := st.Events(context.Background(), after, marketplace.MaxPageSize)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if e.Type == "resource.grace" {
				graced[e.AggregateID]++
			}
		}
		after = page[len(page)-1].Seq
	}
	missed, twice, want := 0, 0, n
	if skip != "" {
		want--
		if graced[skip] != 0 {
			t.Errorf("%s, whose writes fail, has %d resource.grace events", skip, graced[skip])
		}
	}
	for i := range n {
		id := DueResource(i, T0).ID
		switch {
		case id == skip:
		case graced[id] == 0:
			missed++
		case graced[id] > 1:
			twice++
		}
	}
	pg, err := st.ListResources(context.Background(), marketplace.ResourceQuery{Status: marketplace.ResourceGrace, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if missed != 0 || twice != 0 || pg.Total != want || claimed != n {
		t.Fatalf("%d subscriptions: %d missed, %d moved to grace more than once, %d in grace (want %d), %d claimed",
			n, missed, twice, pg.Total, want, claimed)
	}
}

// errPoison is what poisonStore's writes of its poisoned resource return.
var errPoison = errors.New("storecheck: this resource cannot be written")

// poisonStore fails every write of the resource poison, whether through
// PutResource or DueResourceTx.PutResources. It wraps stores whose Tx is a
// marketplace.DueResourceTx (RunnerTxInFlight is about those); with any
// other, every Update fails.
type poisonStore struct {
	marketplace.Store
	poison string
}

func (p poisonStore) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	return p.Store.Update(ctx, func(tx marketplace.Tx) error {
		dt, ok := tx.(marketplace.DueResourceTx)
		if !ok {
			return fmt.Errorf("storecheck: %T is not a marketplace.DueResourceTx", tx)
		}
		return fn(poisonDueTx{DueResourceTx: dt, poison: p.poison})
	})
}

type poisonDueTx struct {
	marketplace.DueResourceTx
	poison string
}

func (t poisonDueTx) PutResource(v *marketplace.Resource) error {
	return t.PutResources([]*marketplace.Resource{v})
}

func (t poisonDueTx) PutResources(vs []*marketplace.Resource) error {
	for _, v := range vs {
		if v.ID == t.poison {
			return errPoison
		}
	}
	return t.DueResourceTx.PutResources(vs)
}
