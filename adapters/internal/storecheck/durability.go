package storecheck

import (
	"bufio"
	"context"
	"errors"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// KillMidRun starts the place-pay loop, lets it acknowledge at least want
// orders (or run for at most limit), kills it with SIGKILL and returns
// every order id it acknowledged.
func KillMidRun(t *testing.T, bin string, args []string, want int, limit time.Duration) []string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var acked []string
	enough := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			id, ok := strings.CutPrefix(sc.Text(), "ack ")
			if !ok {
				continue
			}
			mu.Lock()
			acked = append(acked, id)
			if len(acked) == want {
				close(enough)
			}
			mu.Unlock()
		}
	}()
	select {
	case <-enough:
	case <-done:
		// It closed its output: it ended (or is ending) on its own, an
		// error, not the crash under test.
		err := cmd.Wait()
		t.Fatalf("storeprog ended on its own (%v) after %d acknowledgements: %s", err, len(acked), stderr.String())
	case <-time.After(limit):
	}
	// Mid-run: a little later the loop is inside its next order, most
	// likely between or inside transactions.
	time.Sleep(time.Duration(time.Now().UnixNano()%5000) * time.Microsecond)
	_ = cmd.Process.Kill()
	<-done // everything printed before the kill was acknowledged
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("storeprog ended on its own (%v): %s", err, stderr.String())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(acked) == 0 {
		t.Fatalf("storeprog acknowledged nothing: %s", stderr.String())
	}
	return acked
}

// CheckDurable checks, after a crash, that every acknowledged order is
// paid once with its event, and that nothing is half-written: every order
// has its creation event, every paid order exactly one charge and one paid
// event, the money moved equals the charges, and the event sequence has no
// gap.
func CheckDurable(t *testing.T, st marketplace.Store, buyer string, acked []string) {
	t.Helper()
	ctx := context.Background()
	var events []marketplace.Event
	for after := int64(0); ; {
		page, err := st.Events(ctx, after, marketplace.MaxPageSize)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		events = append(events, page...)
		after = page[len(page)-1].Seq
	}
	byType := map[string]map[string]int{}
	for i, e := range events {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: the sequence has a gap", i, e.Seq)
		}
		if byType[e.Type] == nil {
			byType[e.Type] = map[string]int{}
		}
		byType[e.Type][e.AggregateID]++
	}
	var orders []marketplace.Order
	for cur := ""; ; {
		page, err := st.ListOrders(ctx, marketplace.OrderQuery{BuyerID: buyer, Cursor: cur, Limit: marketplace.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		orders = append(orders, page.Items...)
		if cur = page.Next; cur == "" {
			break
		}
	}
	var payments []marketplace.Payment
	for cur := ""; ; {
		page, err := st.ListPayments(ctx, marketplace.PaymentQuery{BuyerID: buyer, Cursor: cur, Limit: marketplace.MaxPageSize})
		if err != nil {
			t.Fatal(err)
		}
		payments = append(payments, page.Items...)
		if cur = page.Next; cur == "" {
			break
		}
	}
	charges := map[string]int{}
	spent := billing.Zero(billing.USD)
	for _, p := range payments {
		var err error
		switch p.Kind {
		case marketplace.PaymentCharge:
			charges[p.OrderID]++
			spent, err = spent.Add(p.Amount)
		case marketplace.PaymentRefund:
			spent, err = spent.Sub(p.Amount)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	byID := map[string]marketplace.Order{}
	for _, o := range orders {
		byID[o.ID] = o
		if n := byType["order.created"][o.ID]; n != 1 {
			t.Errorf("order %s has %d creation events", o.ID, n)
		}
		if charges[o.ID] > 1 {
			t.Errorf("order %s charged %d times", o.ID, charges[o.ID])
		}
		if o.PaidAt != nil {
			if charges[o.ID] != 1 || byType["order.paid"][o.ID] != 1 || o.PaymentID == "" {
				t.Errorf("paid order %s: %d charges, %d paid events, payment %q", o.ID, charges[o.ID], byType["order.paid"][o.ID], o.PaymentID)
			}
		} else if byType["order.paid"][o.ID] != 0 {
			t.Errorf("unpaid order %s has a paid event", o.ID)
		}
	}
	for _, id := range acked {
		o, ok := byID[id]
		if !ok {
			t.Errorf("acknowledged order %s is missing", id)
			continue
		}
		if o.PaidAt == nil || o.Status == marketplace.OrderPendingPayment || o.Status == marketplace.OrderCancelled {
			t.Errorf("acknowledged order %s is %s (paid at %v)", id, o.Status, o.PaidAt)
		}
	}
	var acct marketplace.Account
	if err := st.View(ctx, func(tx marketplace.ReadTx) error {
		var err error
		acct, err = tx.Account(buyer)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	left, err := USD("1000000.00").Sub(spent)
	if err != nil {
		t.Fatal(err)
	}
	if !acct.Balance.Equal(left) {
		t.Errorf("balance %s, want %s: money moved without its payment record", acct.Balance, left)
	}
	t.Logf("%d acknowledged, %d orders, %d payments, %d events after the crash", len(acked), len(orders), len(payments), len(events))
}

// Durability is the crash check both stores run, on a store the caller
// has already seeded with SeedShop(..., "b1"): args are the helper
// program's flags that select that store, and reopen opens it again after
// a kill. The helper places and pays orders until it has acknowledged 300
// (or for 30s) and is killed with SIGKILL mid-run; CheckDurable then
// checks the reopened store. It runs twice on the same store: with one
// client (each transaction alone; SQLite runs it on its idle writer) and
// then with four, whose transactions share group commits and conflict on
// the buyer's account (SQLite's optimistic path).
func Durability(t *testing.T, args []string, reopen func() marketplace.Store) {
	t.Helper()
	bin := BuildStoreprog(t)
	var acked []string
	for _, clients := range []string{"1", "4"} {
		run := append(slices.Clone(args), "place-pay", "-buyer", "b1", "-product", "p1", "-spec", "sp1", "-clients", clients)
		acked = append(acked, KillMidRun(t, bin, run, 300, 30*time.Second)...)
		CheckDurable(t, reopen(), "b1", acked)
	}
}
