package marketplace_test

import (
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// TestConcurrentRunners: four runners (separate services, as separate
// processes would be) share one store; every due item is handled exactly
// once.
func TestConcurrentRunners(t *testing.T) {
	e := newEnv(t)
	const n = 60
	for i := range n {
		in := licenseOrder(e, e.license, billing.Yearly)
		in.AgreeTerms, in.IdempotencyKey = true, fmt.Sprint("unpaid-", i)
		must(e.svc.CreateOrder(ctx, buyer, in))(t)
	}
	e.clock.Advance(25 * time.Hour)
	var wg sync.WaitGroup
	for w := range 4 {
		svc, err := marketplace.New(e.store, marketplace.WithClock(e.clock), marketplace.WithRunner(7, time.Minute, fmt.Sprint("runner-", w)),
			marketplace.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := svc.RunDue(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	cancelled := map[string]int{}
	for _, ev := range e.events() {
		if ev.Type == "order.cancelled" {
			cancelled[ev.AggregateID]++
		}
	}
	if len(cancelled) != n {
		t.Fatalf("%d orders cancelled, want %d", len(cancelled), n)
	}
	for id, c := range cancelled {
		if c != 1 {
			t.Fatalf("order %s cancelled %d times", id, c)
		}
	}
	if rep := e.advance(0); rep.Claimed != 0 {
		t.Fatalf("work left: %+v", rep)
	}
}

// TestEventsFeed: every change is an event, in order, gap-free.
func TestEventsFeed(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil)
	evs := e.events()
	for i, ev := range evs {
		if ev.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, ev.Seq)
		}
	}
	var types []string
	for _, ev := range evs {
		if ev.AggregateID == o.ID {
			types = append(types, ev.Type+":"+ev.From+">"+ev.To)
		}
	}
	want := []string{"order.created:>pending_payment", "order.paid:pending_payment>processing"}
	if fmt.Sprint(types) != fmt.Sprint(want) {
		t.Fatalf("order events %v, want %v", types, want)
	}
	page := must(e.svc.Events(ctx, operator, evs[len(evs)-3].Seq, 2))(t)
	if len(page) != 2 || page[0].Seq != evs[len(evs)-2].Seq {
		t.Fatalf("paging: %+v", page)
	}
	_, err := e.svc.Events(ctx, operator, 0, 0)
	wantErr(t, err, marketplace.ErrInvalidInput)
}

// TestAutoRenewRefusedByRules: an auto-renewal the rules refuse (the
// product was delisted) is recorded as failed and retried daily, without
// the runner looping on it.
func TestAutoRenewRefusedByRules(t *testing.T) {
	e := newEnv(t)
	in := licenseOrder(e, e.licenseMonthly, billing.Monthly)
	in.AutoRenew = true
	o := e.buy(buyer, in, nil)
	e.act(seller, o.FlowID, "deliver", func(in *marketplace.FlowActionInput) { in.Result = "key" })
	e.act(buyer, o.FlowID, "accept")
	must(e.svc.DelistProduct(ctx, seller, e.licenseMonthly.ID))(t)
	r := e.resource(o.ResourceID)
	e.advanceTo(*r.NextDueAt, 24*time.Hour)
	if !e.hasEvent(r.ID, "resource.auto_renew_failed") {
		t.Fatal("refused auto-renewal not recorded")
	}
	got := e.resource(r.ID)
	if got.AutoRenewFailedAt == nil || got.NextDueAt == nil || !got.NextDueAt.After(e.clock.Now()) {
		t.Fatalf("not rescheduled: %+v", got.NextDueAt)
	}
}
