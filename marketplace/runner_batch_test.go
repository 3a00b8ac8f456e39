package marketplace_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// poisonStore fails every transaction that writes the resource poison.
type poisonStore struct {
	countingStore
	poison string
}

func (p *poisonStore) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	return p.countingStore.Update(ctx, func(tx marketplace.Tx) error { return fn(poisonTx{Tx: tx, poison: p.poison}) })
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
// state several to a transaction; one that cannot be written fails alone.
func TestRunnerBatches(t *testing.T) {
	const n = 130
	tests := []struct {
		name    string
		txBatch int
		poison  string
		// commits is how many transactions RunDue commits; failed the
		// report's failures.
		commits int64
		failed  int
	}{
		{"64 per transaction", 64, "", 3, 0},
		{"whole claim per transaction", 500, "", 1, 0},
		{"one per transaction", 1, "", n, 0},
		// The poisoned batch fails, then its 64 items run alone: 63 commit.
		{"a bad item is isolated", 64, "r0070", 2 + 63, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &poisonStore{countingStore: countingStore{Store: memory.New()}}
			expiry := seedExpiring(t, st, n)
			st.poison = tt.poison
			clock := marketplace.NewSimClock(expiry.Add(time.Hour))
			svc := must(marketplace.New(st, marketplace.WithClock(clock), marketplace.WithRunner(200, time.Minute, "w"),
				marketplace.WithRunnerTxBatch(tt.txBatch), marketplace.WithLogger(slog.New(slog.DiscardHandler))))(t)
			before := st.commits.Load()
			rep := must(svc.RunDue(ctx))(t)
			type result struct {
				Commits       int64
				Failed, Grace int
				Events        int
			}
			got := result{Commits: st.commits.Load() - before, Failed: rep.Failed}
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
			want := result{Commits: tt.commits, Failed: tt.failed, Grace: ok, Events: ok}
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
