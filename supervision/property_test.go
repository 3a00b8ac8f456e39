package supervision_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	sv "github.com/opengallery/opengallery/supervision"
)

// TestPropertyRandomSequences drives 10,000 random action sequences and
// checks the invariants the issue names, plus agreement with Available.
func TestPropertyRandomSequences(t *testing.T) {
	const sequences, maxSteps = 10000, 25
	rng := rand.New(rand.NewPCG(20260301, 3))
	actions, roles, statuses := sv.Actions(), sv.Roles(), sv.Statuses()
	var applied, refused, completed, terminated, frozen int
	for seq := 0; seq < sequences; seq++ {
		fc := flowCases[rng.IntN(len(flowCases))]
		p := sv.DefaultPolicy()
		p.SellerAppealAnyTime = rng.IntN(2) == 0
		if rng.IntN(2) == 0 {
			p.AutoAcceptAfter = time.Duration(1+rng.IntN(10)) * day
		}
		f := mustNew(fc.kind, sv.WithPlatformReview(fc.review))
		now := t0
		for step := 0; step < maxSteps; step++ {
			if f.Status.Terminal() && step%5 == 4 {
				break // a few more attempts on an ended flow are enough
			}
			now = now.Add(time.Duration(rng.Int64N(int64(3 * day))))
			r := roles[rng.IntN(len(roles))]
			a := actions[rng.IntN(len(actions))]
			// Bias toward actions that make progress so sequences go deep.
			if av := sv.Available(f, r, now, p); len(av) > 0 && rng.IntN(3) > 0 {
				a = av[rng.IntN(len(av))]
			}
			c := validCommand(a, r)
			if a == sv.Resume && rng.IntN(2) == 0 {
				c.ResumeStatus = statuses[rng.IntN(len(statuses))]
			}
			avail := slices.Contains(sv.Available(f, r, now, p), a)
			n, rec, err := sv.Apply(f, c, now, p)
			if err != nil {
				refused++
				if n.Status != f.Status || n.Seq != f.Seq || n.Frozen != f.Frozen || !n.StatusSince.Equal(f.StatusSince) {
					t.Fatalf("seq %d step %d: refused %s %s changed the flow", seq, step, r, a)
				}
				if avail && c.ResumeStatus == "" {
					t.Fatalf("seq %d step %d: %s %s listed as available but refused: %v", seq, step, r, a, err)
				}
				continue
			}
			applied++
			if !avail {
				t.Fatalf("seq %d step %d: %s %s applied but not listed as available", seq, step, r, a)
			}
			if err := n.Validate(); err != nil {
				t.Fatalf("seq %d step %d: %s %s reached an undefined state: %v", seq, step, r, a, err)
			}
			if n.SellerRejections < f.SellerRejections || n.BuyerRejections < f.BuyerRejections ||
				n.Reminders < f.Reminders || n.Appeals < f.Appeals || n.Seq != f.Seq+1 {
				t.Fatalf("seq %d step %d: a counter decreased: %+v -> %+v", seq, step, f, n)
			}
			if f.Frozen && r != sv.Operator {
				t.Fatalf("seq %d step %d: frozen flow moved by %s", seq, step, r)
			}
			if f.Status.Terminal() {
				t.Fatalf("seq %d step %d: %s %s left terminal status %s", seq, step, r, a, f.Status)
			}
			if rec.From != f.Status || rec.To != n.Status || rec.Seq != n.Seq || rec.Actor != c.Actor || !rec.At.Equal(now) {
				t.Fatalf("seq %d step %d: record %+v does not describe %s -> %s", seq, step, rec, f.Status, n.Status)
			}
			if n.Frozen {
				frozen++
			}
			f = n
		}
		switch f.Status {
		case sv.Completed:
			completed++
		case sv.Terminated:
			terminated++
		}
	}
	t.Logf("applied %d, refused %d; ended completed %d, terminated %d; froze %d times", applied, refused, completed, terminated, frozen)
	if applied < sequences || completed == 0 || terminated == 0 || frozen == 0 {
		t.Errorf("random walk too shallow to mean anything: applied %d completed %d terminated %d frozen %d",
			applied, completed, terminated, frozen)
	}
}
