package marketplace_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// updateCountStore counts every Store.Update the Service runs, committed
// or not.
type updateCountStore struct {
	*memory.Store
	updates atomic.Int64
}

func (s *updateCountStore) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

// staleOnly are use cases taking the version their caller read that
// TestConditionalChanges does not cover: each applies change with a
// version the aggregate is not at.
var staleOnly = map[string]conditional{
	"DecideUnsubscribe": {
		kind: marketplace.KindUnsubscribe,
		setup: func(t *testing.T, e *env) string {
			o := e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil)
			return must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("1.00"), Reason: "x"}))(t).ID
		},
		change: func(e *env, id string, version int64) (int64, error) {
			u, err := e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: id, Agree: false, Comment: "no", Version: version})
			return u.Version, err
		},
		stored: func(t *testing.T, e *env, id string) int64 {
			return must(e.svc.GetUnsubscribeRequest(ctx, seller, id))(t).Version
		},
	},
	"IssueInvoiceIf": {
		kind:  marketplace.KindInvoice,
		setup: func(t *testing.T, e *env) string { return requestedInvoice(t, e) },
		change: func(e *env, id string, version int64) (int64, error) {
			inv, err := e.svc.IssueInvoiceIf(ctx, operator, marketplace.InvoiceActionInput{InvoiceID: id, Version: version})
			return inv.Version, err
		},
		stored: func(t *testing.T, e *env, id string) int64 {
			return must(e.svc.GetInvoice(ctx, operator, id))(t).Version
		},
	},
	"ReturnInvoiceIf": {
		kind: marketplace.KindInvoice,
		setup: func(t *testing.T, e *env) string {
			return must(e.svc.IssueInvoice(ctx, operator, requestedInvoice(t, e)))(t).ID
		},
		change: func(e *env, id string, version int64) (int64, error) {
			inv, err := e.svc.ReturnInvoiceIf(ctx, buyer, marketplace.InvoiceActionInput{InvoiceID: id, Version: version})
			return inv.Version, err
		},
		stored: func(t *testing.T, e *env, id string) int64 {
			return must(e.svc.GetInvoice(ctx, operator, id))(t).Version
		},
	},
	"UpdateProduct": {
		kind: marketplace.KindProduct,
		setup: func(t *testing.T, e *env) string {
			return must(e.svc.CreateProduct(ctx, seller, licenseInput("Draft License", billing.Yearly, "10.00")))(t).ID
		},
		change: func(e *env, id string, version int64) (int64, error) {
			p, err := e.svc.UpdateProduct(ctx, seller, id, version, licenseInput("Draft License 2", billing.Yearly, "12.00"))
			return p.Version, err
		},
		stored: func(t *testing.T, e *env, id string) int64 { return must(e.svc.GetProduct(ctx, seller, id))(t).Version },
	},
}

// TestStaleVersionRunsOnce: a version the aggregate is not at is the
// caller's failed precondition, not a lost race: the use case answers at
// once (one Store.Update, no retry) with a *PreconditionError naming both
// versions, which errors.Is ErrConflict and is not a *ConflictError (the
// type of a lost race, which the Service retries).
func TestStaleVersionRunsOnce(t *testing.T) {
	cases := map[string]conditional{}
	for name, uc := range conditionals {
		cases[name] = uc
	}
	for name, uc := range staleOnly {
		cases[name] = uc
	}
	for name, uc := range cases {
		t.Run(name, func(t *testing.T) {
			st := &updateCountStore{Store: memory.New()}
			e := newEnvWithStore(t, st)
			id := uc.setup(t, e)
			have := uc.stored(t, e, id)
			want := have + 5
			st.updates.Store(0)
			_, err := uc.change(e, id, want)
			if n := st.updates.Load(); n != 1 {
				t.Errorf("a stale version ran %d transactions, want 1 (%v)", n, err)
			}
			if !errors.Is(err, marketplace.ErrConflict) {
				t.Fatalf("got %v, want an error wrapping ErrConflict", err)
			}
			var pe *marketplace.PreconditionError
			if !errors.As(err, &pe) {
				t.Fatalf("got %T %v, want a *PreconditionError", err, err)
			}
			if diff := cmp.Diff(&marketplace.PreconditionError{Kind: uc.kind, ID: id, Want: want, Have: have}, pe); diff != "" {
				t.Errorf("PreconditionError (-want +got):\n%s", diff)
			}
			var ce *marketplace.ConflictError
			if errors.As(err, &ce) {
				t.Errorf("a stale version is also a *ConflictError (a lost race): %v", ce)
			}
			if now := uc.stored(t, e, id); now != have {
				t.Errorf("a refused change moved the version from %d to %d", have, now)
			}
		})
	}
}

// TestPreconditionNotRetried: a *ConflictError from the store (a lost race)
// is still retried, and a *PreconditionError returned from the
// transaction is not, whatever its versions.
func TestPreconditionNotRetried(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		retried bool
	}{
		{"lost race", &marketplace.ConflictError{Kind: marketplace.KindAccount, ID: "alice", Want: 1, Have: 2}, true},
		{"failed precondition", &marketplace.PreconditionError{Kind: marketplace.KindAccount, ID: "alice", Want: 1, Have: 2}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &failingUpdateStore{Store: memory.New(), err: tt.err}
			svc := must(marketplace.New(st))(t)
			_, err := svc.TopUp(ctx, marketplace.OperatorActor("op"), marketplace.TopUpInput{AccountID: "alice", Amount: usd("10.00")})
			if !errors.Is(err, marketplace.ErrConflict) {
				t.Fatalf("TopUp: %v, want ErrConflict", err)
			}
			if n := st.updates.Load(); (n > 1) != tt.retried {
				t.Errorf("Store.Update ran %d times; retried want %v", n, tt.retried)
			}
		})
	}
}

// failingUpdateStore fails every Update with err.
type failingUpdateStore struct {
	*memory.Store
	err     error
	updates atomic.Int64
}

func (s *failingUpdateStore) Update(context.Context, func(tx marketplace.Tx) error) error {
	s.updates.Add(1)
	return s.err
}

// requestedInvoice buys a monthly SaaS and requests its invoice; it returns
// the invoice's id.
func requestedInvoice(t *testing.T, e *env) string {
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	return must(e.svc.RequestInvoice(ctx, buyer, marketplace.InvoiceInput{OrderID: o.ID, Title: "Alice"}))(t).ID
}
