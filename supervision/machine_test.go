package supervision

import (
	"context"
	"testing"
	"time"

	"github.com/looplab/fsm"
)

// benchFlow is a SaaS flow waiting for acceptance with the records a real
// flow has by then (request, confirmation, delivery).
func benchFlow(b *testing.B) (Flow, time.Time) {
	b.Helper()
	t0 := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	p := DefaultPolicy()
	f, err := New("bench", SaaS, t0)
	if err != nil {
		b.Fatal(err)
	}
	buyer, seller := Actor{ID: "b1", Role: Buyer}, Actor{ID: "s1", Role: Seller}
	for _, c := range []Command{
		{Actor: buyer, Action: SubmitRequest, Description: "Deploy for 20 seats",
			Attachments: []Attachment{{Name: "req.docx", Size: 2048, BlobRef: "blob/1"}}},
		{Actor: seller, Action: ConfirmRequest},
		{Actor: seller, Action: Deliver, Result: "Instance ready"},
	} {
		if f, _, err = Apply(f, c, t0, p); err != nil {
			b.Fatal(err)
		}
	}
	return f, t0.Add(time.Hour)
}

// BenchmarkFSMEventBaseline fires one event on an already-built looplab
// machine of the SaaS template, alternating reject and deliver so that every
// iteration is one real transition. This is the baseline BenchmarkApply is
// compared with.
func BenchmarkFSMEventBaseline(b *testing.B) {
	t, _ := Lookup(SaaS)
	m := fsm.NewFSM(string(AwaitingAcceptance), t.fsmDescs, nil)
	ctx := context.Background()
	events := [2]string{
		mustEvent(b, t, Buyer, RejectDelivery),
		mustEvent(b, t, Seller, Deliver),
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if err := m.Event(ctx, events[i&1]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApply is one complete action through the public API: validation,
// guards, a pooled machine reset with SetState, the event, and the new flow
// value with its operation record.
func BenchmarkApply(b *testing.B) {
	f, now := benchFlow(b)
	p := DefaultPolicy()
	c := Command{Actor: Actor{ID: "b1", Role: Buyer}, Action: RejectDelivery, Reason: "The admin URL does not open"}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Apply(f, c, now, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyVsBaseline interleaves chunks of bare fsm events and of
// Apply calls so both see the same machine load (the shared 2-core machine is
// noisy), and reports each cost and their ratio; the target is ratio <= 2.
// One op is one chunk of each.
func BenchmarkApplyVsBaseline(b *testing.B) {
	const chunk = 64
	t, _ := Lookup(SaaS)
	m := fsm.NewFSM(string(AwaitingAcceptance), t.fsmDescs, nil)
	ctx := context.Background()
	events := [2]string{mustEvent(b, t, Buyer, RejectDelivery), mustEvent(b, t, Seller, Deliver)}
	f, now := benchFlow(b)
	p := DefaultPolicy()
	c := Command{Actor: Actor{ID: "b1", Role: Buyer}, Action: RejectDelivery, Reason: "The admin URL does not open"}
	var base, apply time.Duration
	b.ReportAllocs()
	for b.Loop() {
		start := time.Now()
		for i := 0; i < chunk; i++ {
			if err := m.Event(ctx, events[i&1]); err != nil {
				b.Fatal(err)
			}
		}
		mid := time.Now()
		for i := 0; i < chunk; i++ {
			if _, _, err := Apply(f, c, now, p); err != nil {
				b.Fatal(err)
			}
		}
		apply += time.Since(mid)
		base += mid.Sub(start)
	}
	n := float64(b.N * chunk)
	b.ReportMetric(float64(base.Nanoseconds())/n, "baseline-ns/event")
	b.ReportMetric(float64(apply.Nanoseconds())/n, "apply-ns/action")
	b.ReportMetric(float64(apply)/float64(base), "ratio")
}

// BenchmarkApplyNotAllowed is a refused action (the machine says no).
func BenchmarkApplyNotAllowed(b *testing.B) {
	f, now := benchFlow(b)
	p := DefaultPolicy()
	c := Command{Actor: Actor{ID: "s1", Role: Seller}, Action: ConfirmRequest}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Apply(f, c, now, p); err == nil {
			b.Fatal("allowed")
		}
	}
}

// BenchmarkNewFSMPerAction is the naive design, a fresh machine per action,
// for comparison with the pool.
func BenchmarkNewFSMPerAction(b *testing.B) {
	t, _ := Lookup(SaaS)
	ctx := context.Background()
	ev := mustEvent(b, t, Buyer, RejectDelivery)
	b.ReportAllocs()
	for b.Loop() {
		m := fsm.NewFSM(string(AwaitingAcceptance), t.fsmDescs, nil)
		if err := m.Event(ctx, ev); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAvailable is the buttons query for the buyer.
func BenchmarkAvailable(b *testing.B) {
	f, now := benchFlow(b)
	p := DefaultPolicy()
	b.ReportAllocs()
	for b.Loop() {
		if len(Available(f, Buyer, now, p)) == 0 {
			b.Fatal("no actions")
		}
	}
}

func mustEvent(b *testing.B, t *Template, r Role, a Action) string {
	b.Helper()
	name, ok := t.event(r, a, "", false)
	if !ok {
		b.Fatalf("no event for %s %s", r, a)
	}
	return name
}

// BenchmarkTimers is the runner's "what is due next" query.
func BenchmarkTimers(b *testing.B) {
	f, now := benchFlow(b)
	p := DefaultPolicy()
	p.AutoAcceptAfter = 7 * 24 * time.Hour
	b.ReportAllocs()
	for b.Loop() {
		if len(Timers(f, now, p)) == 0 {
			b.Fatal("no timers")
		}
	}
}
