package marketplace_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// poisonStore fails every transaction that writes the resource poison.
// Its Tx is a marketplace.DueResourceTx only if dueTx is set.
type poisonStore struct {
	countingStore
	poison   string
	dueTx    bool
	dueReads atomic.Int64 // DueResources calls
	// inFlight counts the Update calls under way, maxInFlight the most at
	// once.
	inFlight, maxInFlight atomic.Int64
}

func (p *poisonStore) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	n := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for m := p.maxInFlight.Load(); n > m && !p.maxInFlight.CompareAndSwap(m, n); m = p.maxInFlight.Load() {
	}
	return p.countingStore.Update(ctx, func(tx marketplace.Tx) error {
		ptx := poisonTx{Tx: tx, poison: p.poison}
		if p.dueTx {
			return fn(poisonDueTx{poisonTx: ptx, due: tx.(marketplace.DueResourceTx), reads: &p.dueReads})
		}
		return fn(ptx)
	})
}

type poisonTx struct {
	marketplace.Tx
	poison string
}

func (t poisonTx) PutResource(v *marketplace.Resource) error {
	if v.ID == t.poison {
		return errBoom
	}
	return t.Tx.PutResource(v)
}

// poisonDueTx is a poisonTx that claims due resources in transactions.
type poisonDueTx struct {
	poisonTx
	due   marketplace.DueResourceTx
	reads *atomic.Int64
}

func (t poisonDueTx) DueResources(now time.Time, limit int) ([]marketplace.Resource, error) {
	t.reads.Add(1)
	return t.due.DueResources(now, limit)
}

func (t poisonDueTx) PutResources(vs []*marketplace.Resource) error {
	for _, v := range vs {
		if err := t.PutResource(v); err != nil {
			return err
		}
	}
	return nil
}

func (t poisonDueTx) LeaseResources(ids []string, owner string, until time.Time) error {
	return t.due.LeaseResources(ids, owner, until)
}

// seedExpiring writes n active monthly resources whose term ends at the
// same time, and returns that expiry.
func seedExpiring(t *testing.T, st marketplace.Store, n int) time.Time {
	t.Helper()
	term := must(billing.NewTerm(billing.DefaultConfig(), start, billing.Monthly, 1))(t)
	err := st.Update(ctx, func(tx marketplace.Tx) error {
		for i := range n {
			r := marketplace.Resource{ID: fmt.Sprintf("r%04d", i), BuyerID: "alice", SellerID: "isv1", ProductID: "p1", SpecID: "std",
				ProductName: "Backup", SpecName: "Standard", Delivery: marketplace.DeliveryLicense, Status: marketplace.ResourceActive,
				Visible: true, Mode: billing.Monthly, Duration: 1, Quantity: 1, OrderID: "o1", OrderIDs: []string{"o1"}, Paid: usd("5.00"),
				PurchasedAt: start, EffectiveAt: &start, Term: &term, ExpiresAt: &term.Expiry, NextDueAt: &term.Expiry, UpdatedAt: start}
			if err := tx.PutResource(&r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return term.Expiry
}

// TestRunnerBatches: due resources whose work stays in the store change
// state several to a transaction, whether they are claimed in it
// (DueResourceTx) or before it (ClaimDue); one that cannot be written
// fails alone.
func TestRunnerBatches(t *testing.T) {
	const n = 130
	tests := []struct {
		name    string
		dueTx   bool // claimed in the transaction
		txBatch int
		poison  string
		// commits is how many transactions RunDue commits; failed the
		// report's failures.
		commits int64
		failed  int
	}{
		{"64 per transaction", false, 64, "", 3, 0},
		{"64 per transaction, claimed in it", true, 64, "", 3, 0},
		{"whole claim per transaction", false, 500, "", 1, 0},
		{"whole claim per transaction, claimed in it", true, 500, "", 1, 0},
		{"one per transaction", false, 1, "", n, 0},
		{"one per transaction, not claimed in it", true, 1, "", n, 0},
		// The poisoned batch fails, then its 64 items run alone: 63 commit.
		{"a bad item is isolated", false, 64, "r0070", 2 + 63, 1},
		// The first transaction commits 64; the second fails: then the
		// rest go through ClaimDue, as above (the failed batch's 64 alone,
		// then the last 2).
		{"a bad item is isolated, claimed in the transaction", true, 64, "r0070", 1 + 63 + 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One transaction in flight, so that the commits are counted
			// exactly (with more, the last batches race: see
			// TestRunnerTxInFlight).
			st := &poisonStore{countingStore: countingStore{Store: memory.New()}, dueTx: tt.dueTx}
			expiry := seedExpiring(t, st, n)
			st.poison = tt.poison
			clock := marketplace.NewSimClock(expiry.Add(time.Hour))
			svc := must(marketplace.New(st, marketplace.WithClock(clock), marketplace.WithRunner(200, time.Minute, "w"),
				marketplace.WithRunnerTxBatch(tt.txBatch), marketplace.WithRunnerTxInFlight(1),
				marketplace.WithLogger(slog.New(slog.DiscardHandler))))(t)
			before := st.commits.Load()
			rep := must(svc.RunDue(ctx))(t)
			type result struct {
				Commits       int64
				ClaimedInTx   bool
				Failed, Grace int
				Events        int
			}
			got := result{Commits: st.commits.Load() - before, ClaimedInTx: st.dueReads.Load() > 0, Failed: rep.Failed}
			err := st.View(ctx, func(tx marketplace.ReadTx) error {
				for i := range n {
					r, err := tx.Resource(fmt.Sprintf("r%04d", i))
					if err != nil {
						return err
					}
					if r.Status == marketplace.ResourceGrace {
						got.Grace++
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			evs := must(st.Events(ctx, 0, 1000))(t)
			perResource := map[string]int{}
			for _, ev := range evs {
				if ev.Type == "resource.grace" {
					got.Events++
					perResource[ev.AggregateID]++
				}
			}
			for id, c := range perResource {
				if c != 1 {
					t.Errorf("%s moved to grace %d times", id, c)
				}
			}
			ok := n
			if tt.poison != "" {
				ok--
			}
			want := result{Commits: tt.commits, ClaimedInTx: tt.dueTx && tt.txBatch > 1, Failed: tt.failed, Grace: ok, Events: ok}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("RunDue (-want +got):\n%s", diff)
			}
		})
	}
}

func TestWithRunnerTxBatch(t *testing.T) {
	_, err := marketplace.New(memory.New(), marketplace.WithRunnerTxBatch(0))
	wantErr(t, err, marketplace.ErrInvalidInput)
}

func TestWithRunnerTxInFlight(t *testing.T) {
	_, err := marketplace.New(memory.New(), marketplace.WithRunnerTxInFlight(0))
	wantErr(t, err, marketplace.ErrInvalidInput)
}

// TestRunnerTxInFlight: RunDue starts with one transaction claiming due
// resources and runs more at once (never more than WithRunnerTxInFlight)
// only after a batch came back full, so a pass with a batch or less due
// costs one; once a batch comes back short, no new one starts (those in
// flight end).
func TestRunnerTxInFlight(t *testing.T) {
	tests := []struct {
		name     string
		due      int
		inFlight int // 0: the default
		// the DueResources calls (one a transaction): at least min, at
		// most max.
		min, max int64
	}{
		{"nothing due", 0, 4, 1, 1},
		{"less than a batch", 10, 4, 1, 1},
		{"one at a time", 640, 1, 11, 11},
		// 10 full batches, then up to one empty batch per transaction in
		// flight.
		{"four at a time", 640, 4, 11, 14},
		{"the default: three at a time", 640, 0, 11, 13},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &poisonStore{countingStore: countingStore{Store: memory.New()}, dueTx: true}
			expiry := seedExpiring(t, st, tt.due)
			opts := []marketplace.Option{marketplace.WithClock(marketplace.NewSimClock(expiry.Add(time.Hour))),
				marketplace.WithRunner(500, time.Minute, "w"), marketplace.WithRunnerTxBatch(64),
				marketplace.WithLogger(slog.New(slog.DiscardHandler))}
			if tt.inFlight > 0 {
				opts = append(opts, marketplace.WithRunnerTxInFlight(tt.inFlight))
			}
			svc := must(marketplace.New(st, opts...))(t)
			rep := must(svc.RunDue(ctx))(t)
			if rep.Claimed != tt.due || rep.Failed != 0 {
				t.Errorf("report %+v, want %d claimed", rep, tt.due)
			}
			if got := st.dueReads.Load(); got < tt.min || got > tt.max {
				t.Errorf("%d transactions claimed due resources, want %d to %d", got, tt.min, tt.max)
			}
			limit := int64(tt.inFlight)
			if limit == 0 {
				limit = 3
			}
			if got := st.maxInFlight.Load(); got > limit {
				t.Errorf("%d transactions at once, want at most %d", got, limit)
			}
		})
	}
}

// stickyStore keeps every resource the runner writes due at once, as a
// faulty schedule would.
type stickyStore struct{ *memory.Store }

func (s stickyStore) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	return s.Store.Update(ctx, func(tx marketplace.Tx) error { return fn(stickyTx{tx.(marketplace.DueResourceTx)}) })
}

type stickyTx struct{ marketplace.DueResourceTx }

func (t stickyTx) PutResources(vs []*marketplace.Resource) error {
	for _, v := range vs {
		v.NextDueAt = &start
	}
	return t.DueResourceTx.PutResources(vs)
}

// TestRunnerStepsPerPass: resources that stay due after each step are
// handled 8 times in a pass, then left (leased) for the next: RunDue ends.
func TestRunnerStepsPerPass(t *testing.T) {
	st := stickyStore{memory.New()}
	expiry := seedExpiring(t, st, 2)
	// Batches of 2 come back full, so RunDue keeps claiming in
	// transactions.
	svc := must(marketplace.New(st, marketplace.WithClock(marketplace.NewSimClock(expiry.Add(time.Hour))),
		marketplace.WithRunner(2, time.Minute, "w"), marketplace.WithRunnerTxBatch(2), marketplace.WithLogger(slog.New(slog.DiscardHandler))))(t)
	rep := must(svc.RunDue(ctx))(t)
	if rep.Claimed != 2*8 || rep.Failed != 0 {
		t.Fatalf("report %+v, want 16 claimed: 8 steps for each of 2 resources", rep)
	}
	err := st.View(ctx, func(tx marketplace.ReadTx) error {
		for i := range 2 {
			r, err := tx.Resource(fmt.Sprintf("r%04d", i))
			if err != nil {
				return err
			}
			if r.Version != 1+8 || r.Status != marketplace.ResourceGrace {
				t.Errorf("%s: version %d, %s; want version 9 (8 steps), grace", r.ID, r.Version, r.Status)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// panicDueStore panics in the at-th DueResources call.
type panicDueStore struct {
	poisonStore
	at    int64
	calls atomic.Int64
}

func (p *panicDueStore) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	return p.poisonStore.Update(ctx, func(tx marketplace.Tx) error {
		return fn(panicDueTx{DueResourceTx: tx.(marketplace.DueResourceTx), s: p})
	})
}

type panicDueTx struct {
	marketplace.DueResourceTx
	s *panicDueStore
}

func (t panicDueTx) DueResources(now time.Time, limit int) ([]marketplace.Resource, error) {
	if t.s.calls.Add(1) == t.s.at {
		panic("boom")
	}
	return t.DueResourceTx.DueResources(now, limit)
}

// TestRunnerTxInFlightPanics: a panic in a due-resource transaction, the
// first (in RunDue's goroutine) or one in flight beside it (in a goroutine
// of its own), reaches RunDue's caller once no transaction of the pass is
// under way any more.
func TestRunnerTxInFlightPanics(t *testing.T) {
	for _, at := range []int64{1, 3} {
		t.Run(fmt.Sprintf("transaction %d", at), func(t *testing.T) {
			st := &panicDueStore{poisonStore: poisonStore{countingStore: countingStore{Store: memory.New()}, dueTx: true}, at: at}
			expiry := seedExpiring(t, st, 640)
			svc := must(marketplace.New(st, marketplace.WithClock(marketplace.NewSimClock(expiry.Add(time.Hour))),
				marketplace.WithRunner(500, time.Minute, "w"), marketplace.WithRunnerTxBatch(64),
				marketplace.WithRunnerTxInFlight(4), marketplace.WithLogger(slog.New(slog.DiscardHandler))))(t)
			var got any
			func() {
				defer func() { got = recover() }()
				_, _ = svc.RunDue(ctx)
			}()
			if got != "boom" {
				t.Fatalf("RunDue's caller recovered %v, want boom", got)
			}
			if n := st.inFlight.Load(); n != 0 {
				t.Errorf("%d transactions still under way when the panic reached the caller", n)
			}
		})
	}
}
