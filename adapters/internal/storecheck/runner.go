package storecheck

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opengallery/opengallery/marketplace"
)

// CheckCancelledOnce checks that every order was cancelled by exactly one
// runner: it is cancelled and has exactly one cancellation event.
func CheckCancelledOnce(t *testing.T, st marketplace.Store, ids []string) {
	t.Helper()
	ctx := context.Background()
	cancels := map[string]int{}
	for after := int64(0); ; {
		page, err := st.Events(ctx, after, marketplace.MaxPageSize)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if e.Type == "order.cancelled" {
				cancels[e.AggregateID]++
			}
		}
		after = page[len(page)-1].Seq
	}
	missed, twice := 0, 0
	for _, id := range ids {
		switch cancels[id] {
		case 1:
		case 0:
			missed++
		default:
			twice++
		}
	}
	pg, err := st.ListOrders(ctx, marketplace.OrderQuery{Status: marketplace.OrderCancelled, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if missed != 0 || twice != 0 || pg.Total != len(ids) || len(cancels) != len(ids) {
		t.Fatalf("%d orders: %d missed, %d processed more than once, %d cancelled, %d with events", len(ids), missed, twice, pg.Total, len(cancels))
	}
}

// RunnersShareDueWork runs three marketplace runners (RunDue) at once on
// st, seeded with n orders whose payment window closed, and checks that
// every order is cancelled exactly once, none twice, none missed. Runner r
// works on runnerStore(r): st itself, or a store of its own on the same
// data (its own connection pool).
func RunnersShareDueWork(t *testing.T, st marketplace.Store, n int, runnerStore func(r int) marketplace.Store) {
	t.Helper()
	payBy := T0.Add(time.Hour)
	ids := SeedUnpaid(t, st, n, payBy)
	clock := marketplace.NewSimClock(payBy.Add(time.Minute))
	var wg sync.WaitGroup
	reports := make([]marketplace.RunReport, 3)
	errs := make([]error, 3)
	start := time.Now()
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
	for r, err := range errs {
		if err != nil {
			t.Fatalf("runner %d: %v", r, err)
		}
	}
	claimed := 0
	for _, rep := range reports {
		claimed += rep.Claimed
		if rep.Failed != 0 {
			t.Fatalf("reports %+v: failures", reports)
		}
	}
	t.Logf("%d orders by 3 runners in %s (claimed %d/%d/%d)", n, time.Since(start).Round(time.Millisecond),
		reports[0].Claimed, reports[1].Claimed, reports[2].Claimed)
	if claimed != n {
		t.Fatalf("claimed %d items, want %d", claimed, n)
	}
	CheckCancelledOnce(t, st, ids)
}
