package postgres_test

import (
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/marketplace"
)

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
	storecheck.RunnersShareDueWork(t, st, n, func(int) marketplace.Store {
		return openSchema(t, st.Schema()) // a pool of its own
	})
}

// TestRunnerProcessesShareDueWork is the same with three separate OS
// processes built from the helper program.
func TestRunnerProcessesShareDueWork(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs helper processes")
	}
	st := openTemp(t)
	payBy := t0.Add(time.Hour)
	ids := storecheck.SeedUnpaid(t, st, dueOrders, payBy)
	bin := storecheck.BuildStoreprog(t)
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
	storecheck.CheckCancelledOnce(t, st, ids)
}

// TestDueResourceTx checks the store's marketplace.DueResourceTx (due
// resources claimed, written and leased inside Update) against its
// contract.
func TestDueResourceTx(t *testing.T) {
	storecheck.DueResourceTx(t, func(t *testing.T) marketplace.Store { return openTemp(t) })
}

// TestRunnersShareDueResources runs three marketplace runners, each with
// its own connection pool, at once on one schema with 10,000 subscriptions
// whose term ended: the runners claim them inside their transactions
// (DueResourceTx), and every one moves to grace exactly once.
func TestRunnersShareDueResources(t *testing.T) {
	n := dueOrders
	if testing.Short() {
		n = 1000
	}
	st := openTemp(t)
	storecheck.RunnersShareDueResources(t, st, n, func(int) marketplace.Store {
		return openSchema(t, st.Schema()) // a pool of its own
	})
}

// TestRunnerTxInFlight runs one marketplace runner with four due-resource
// transactions in flight at once (WithRunnerTxInFlight), 64 resources
// each, on 10,000 subscriptions whose term ended: FOR UPDATE SKIP LOCKED
// keeps the transactions apart, and every one moves to grace exactly once;
// one that cannot be written fails alone.
func TestRunnerTxInFlight(t *testing.T) {
	n := dueOrders
	if testing.Short() {
		n = 1000
	}
	for _, tc := range []struct{ name, poison string }{
		{"every item once", ""},
		{"a failing item fails alone", storecheck.DueResource(n/2, t0).ID},
	} {
		t.Run(tc.name, func(t *testing.T) { storecheck.RunnerTxInFlight(t, openTemp(t), n, 64, 4, tc.poison) })
	}
}
