package marketplace_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// prefetchStore is a store whose write transactions are Prefetchers, as
// adapters/postgres's are: it records, per transaction, the reads that
// would have cost a round trip of their own (not prefetched, not read
// before in the transaction).
type prefetchStore struct {
	marketplace.Store
	mu     sync.Mutex
	missed [][]marketplace.Ref // one list per Update call
	asked  int                 // Prefetch calls
}

func (s *prefetchStore) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	return s.Store.Update(ctx, func(tx marketplace.Tx) error {
		r := &prefetchTx{Tx: tx, s: s, held: map[marketplace.Ref]bool{}}
		s.mu.Lock()
		s.missed = append(s.missed, nil)
		r.n = len(s.missed) - 1
		s.mu.Unlock()
		return fn(r)
	})
}

// reset forgets what was recorded.
func (s *prefetchStore) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.missed, s.asked = nil, 0
}

type prefetchTx struct {
	marketplace.Tx
	s    *prefetchStore
	n    int
	held map[marketplace.Ref]bool
}

func (t *prefetchTx) Prefetch(refs ...marketplace.Ref) {
	t.s.mu.Lock()
	t.s.asked++
	t.s.mu.Unlock()
	for _, r := range refs {
		t.held[r] = true
	}
}

func (t *prefetchTx) read(kind marketplace.Kind, id string) {
	r := marketplace.Ref{Kind: kind, ID: id}
	if t.held[r] {
		return
	}
	t.held[r] = true
	t.s.mu.Lock()
	t.s.missed[t.n] = append(t.s.missed[t.n], r)
	t.s.mu.Unlock()
}

func (t *prefetchTx) Product(id string) (marketplace.Product, error) {
	t.read(marketplace.KindProduct, id)
	return t.Tx.Product(id)
}

func (t *prefetchTx) Order(id string) (marketplace.Order, error) {
	t.read(marketplace.KindOrder, id)
	return t.Tx.Order(id)
}

func (t *prefetchTx) Payment(id string) (marketplace.Payment, error) {
	t.read(marketplace.KindPayment, id)
	return t.Tx.Payment(id)
}

func (t *prefetchTx) Account(id string) (marketplace.Account, error) {
	t.read(marketplace.KindAccount, id)
	return t.Tx.Account(id)
}

func (t *prefetchTx) Resource(id string) (marketplace.Resource, error) {
	t.read(marketplace.KindResource, id)
	return t.Tx.Resource(id)
}

func (t *prefetchTx) Seller(id string) (marketplace.Seller, error) {
	t.read(marketplace.KindSeller, id)
	return t.Tx.Seller(id)
}

func (t *prefetchTx) Idempotency(key string) (marketplace.IdempotencyRecord, error) {
	t.read(marketplace.KindIdempotency, key)
	return t.Tx.Idempotency(key)
}

// TestPrefetchedReads: on a store that prefetches, placing and paying an
// order in one call asks for everything it reads in one Prefetch (the
// charge's idempotency record under the id the new order then gets), and
// paying a placed order asks for all but the product (known only from the
// order); what they do is unchanged.
func TestPrefetchedReads(t *testing.T) {
	st := &prefetchStore{Store: memory.New()}
	e := newEnvWithStore(t, st)
	product := marketplace.Ref{Kind: marketplace.KindProduct, ID: e.licenseMonthly.ID}

	in := licenseOrder(e, e.licenseMonthly, billing.Monthly)
	in.AgreeTerms, in.PayNow, in.IdempotencyKey = true, true, "now"
	st.reset()
	paid := must(e.svc.CreateOrder(ctx, buyer, in))(t)
	if paid.PaidAt == nil {
		t.Fatalf("order not paid: %s", paid.Status)
	}
	if diff := cmp.Diff([][]marketplace.Ref{nil}, st.missed); diff != "" || st.asked != 1 {
		t.Errorf("CreateOrder with PayNow: %d prefetches, reads that missed (-want +got):\n%s", st.asked, diff)
	}

	// The same key again answers with the order it made: its record was
	// prefetched, the order it names is read.
	st.reset()
	again := must(e.svc.CreateOrder(ctx, buyer, in))(t)
	if again.ID != paid.ID {
		t.Errorf("replay made order %s, want %s", again.ID, paid.ID)
	}
	if diff := cmp.Diff([][]marketplace.Ref{{{Kind: marketplace.KindOrder, ID: paid.ID}}}, st.missed); diff != "" {
		t.Errorf("CreateOrder replay: reads that missed (-want +got):\n%s", diff)
	}

	in.PayNow, in.IdempotencyKey = false, "later"
	placed := must(e.svc.CreateOrder(ctx, buyer, in))(t)
	st.reset()
	paidLater := must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: placed.ID}))(t)
	if paidLater.PaidAt == nil {
		t.Fatalf("order not paid: %s", paidLater.Status)
	}
	if diff := cmp.Diff([][]marketplace.Ref{{product}}, st.missed); diff != "" || st.asked != 1 {
		t.Errorf("PayOrder: %d prefetches, reads that missed (-want +got):\n%s", st.asked, diff)
	}
	acc := must(e.svc.GetAccount(ctx, operator, "alice"))(t)
	if want := usd("9990.00"); !acc.Balance.Equal(want) {
		t.Errorf("balance %s, want %s (two orders of 5.00 charged once each)", acc.Balance, want)
	}
}
