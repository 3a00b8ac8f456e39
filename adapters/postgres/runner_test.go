package postgres_test

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

var t0 = time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC)

func usd(s string) billing.Money { return billing.MustMoney(s, billing.USD) }

func buyerID(i int) string { return fmt.Sprintf("b%03d", i) }

// seedUnpaid stores n orders awaiting payment whose payment window closed
// at payBy, in transactions of 1,000.
func seedUnpaid(tb testing.TB, st marketplace.Store, n int, payBy time.Time) []string {
	tb.Helper()
	ids := make([]string, n)
	for start := 0; start < n; start += 1000 {
		err := st.Update(context.Background(), func(tx marketplace.Tx) error {
			for i := start; i < min(start+1000, n); i++ {
				o := marketplace.Order{ID: fmt.Sprintf("o%06d", i), Number: fmt.Sprintf("CS%06d", i), Kind: marketplace.OrderNew,
					Status: marketplace.OrderPendingPayment, BuyerID: buyerID(i % 100), SellerID: "s1", ProductID: "p1",
					SpecID: "sp1", ProductName: "Firewall", SpecName: "Basic", Delivery: marketplace.DeliveryLicense,
					Mode: billing.Monthly, Duration: 1, Quantity: 1, Amount: usd("5.00"),
					Lines:         []marketplace.OrderLine{{Description: "Basic × 1 month", Amount: usd("5.00")}},
					PaymentMethod: marketplace.PayBalance, TermsAgreedAt: t0, CreatedAt: t0, PayBy: payBy,
					NextDueAt: &payBy, UpdatedAt: t0}
				if err := tx.PutOrder(&o); err != nil {
					return err
				}
				ids[i] = o.ID
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("seed unpaid orders: %v", err)
		}
	}
	return ids
}

// checkCancelledOnce checks that every order was cancelled by exactly one
// runner: it is cancelled and has exactly one cancellation event.
func checkCancelledOnce(t *testing.T, st marketplace.Store, ids []string) {
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

// dueOrders is the size of the runner tests (the 10,000).
const dueOrders = 10000

// TestRunnersShareDueWork runs three marketplace runners (RunDue), each
// with its own connection pool, at once on one PostgreSQL schema with
// 10,000 orders whose payment window closed: every order is cancelled
// exactly once, none twice, none missed.
func TestRunnersShareDueWork(t *testing.T) {
	n := dueOrders
	if testing.Short() {
		n = 1000
	}
	st := openTemp(t)
	payBy := t0.Add(time.Hour)
	ids := seedUnpaid(t, st, n, payBy)
	clock := marketplace.NewSimClock(payBy.Add(time.Minute))
	var wg sync.WaitGroup
	reports := make([]marketplace.RunReport, 3)
	errs := make([]error, 3)
	start := time.Now()
	for r := range 3 {
		own := openSchema(t, st.Schema()) // a pool of its own
		svc, err := marketplace.New(own, marketplace.WithClock(clock), marketplace.WithRunner(100, time.Minute, fmt.Sprintf("runner-%d", r)))
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
	checkCancelledOnce(t, st, ids)
}

// TestRunnerProcessesShareDueWork is the same with three separate OS
// processes built from the helper program.
func TestRunnerProcessesShareDueWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs helper processes")
	}
	st := openTemp(t)
	payBy := t0.Add(time.Hour)
	ids := seedUnpaid(t, st, dueOrders, payBy)
	bin := buildStoreprog(t)
	start := time.Now()
	cmds := make([]*exec.Cmd, 3)
	outs := make([]*strings.Builder, 3)
	for r := range cmds {
		outs[r] = &strings.Builder{}
		cmds[r] = exec.Command(bin, "-postgres", testDSN(t), "-schema", st.Schema(), "run-due",
			"-owner", fmt.Sprintf("process-%d", r), "-now", payBy.Add(time.Minute).Format(time.RFC3339Nano))
		cmds[r].Stdout, cmds[r].Stderr = outs[r], outs[r]
		if err := cmds[r].Start(); err != nil {
			t.Fatal(err)
		}
	}
	claimed := 0
	for r, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", r, err, outs[r])
		}
		var c, f int
		if _, err := fmt.Sscanf(strings.TrimSpace(outs[r].String()[strings.LastIndex(outs[r].String(), "done"):]), "done claimed=%d failed=%d", &c, &f); err != nil || f != 0 {
			t.Fatalf("process %d: %q (%v)", r, outs[r], err)
		}
		t.Logf("process %d claimed %d", r, c)
		claimed += c
	}
	t.Logf("%d orders by 3 processes in %s", dueOrders, time.Since(start).Round(time.Millisecond))
	if claimed != dueOrders {
		t.Fatalf("claimed %d items, want %d", claimed, dueOrders)
	}
	checkCancelledOnce(t, st, ids)
}
