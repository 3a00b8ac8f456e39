package postgres_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengallery/opengallery/adapters/postgres"
	"github.com/opengallery/opengallery/marketplace"
)

// roundTrips counts the statements and batches a pool sends.
type roundTrips struct{ n atomic.Int64 }

func (c *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// tracedStore returns a store on st's schema whose pool counts its round
// trips.
func tracedStore(t *testing.T, st *postgres.Store) (*postgres.Store, *roundTrips) {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	rt := &roundTrips{}
	cfg.ConnConfig.Tracer = rt
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	out, err := postgres.New(pool, postgres.WithSchema(st.Schema()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(out.Close)
	return out, rt
}

func refOf(kind marketplace.Kind, id string) marketplace.Ref {
	return marketplace.Ref{Kind: kind, ID: id}
}

// TestPrefetchRoundTrips: Prefetch reads its refs in one round trip and
// the getters that follow cost none, found or not; a single ref, refs the
// transaction holds and a transaction that retries (its reads lock) send
// nothing.
func TestPrefetchRoundTrips(t *testing.T) {
	base := openTemp(t)
	seedAccounts(t, base, 2)
	st, rt := tracedStore(t, base)
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		refs []marketplace.Ref
		// prefetch and reads: the round trips of Prefetch, and of the
		// getters of every ref after it.
		prefetch, reads int64
	}{
		{"four refs", ctx, []marketplace.Ref{refOf(marketplace.KindAccount, "a0"), refOf(marketplace.KindAccount, "a1"),
			refOf(marketplace.KindAccount, "nobody"), refOf(marketplace.KindIdempotency, "k")}, 1, 0},
		{"one ref", ctx, []marketplace.Ref{refOf(marketplace.KindAccount, "a0")}, 0, 1},
		{"duplicates are one ref", ctx, []marketplace.Ref{refOf(marketplace.KindAccount, "a0"), refOf(marketplace.KindAccount, "a0")}, 0, 1},
		{"retrying reads lock", marketplace.RetryContext(ctx), []marketplace.Ref{refOf(marketplace.KindAccount, "a0"),
			refOf(marketplace.KindAccount, "a1")}, 0, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := st.Update(tc.ctx, func(tx marketplace.Tx) error {
				before := rt.n.Load()
				tx.(marketplace.Prefetcher).Prefetch(tc.refs...)
				if got := rt.n.Load() - before; got != tc.prefetch {
					t.Errorf("Prefetch: %d round trips, want %d", got, tc.prefetch)
				}
				before = rt.n.Load()
				for _, r := range tc.refs {
					var err error
					if r.Kind == marketplace.KindIdempotency {
						_, err = tx.Idempotency(r.ID)
					} else {
						_, err = tx.Account(r.ID)
					}
					if err != nil && !errors.Is(err, marketplace.ErrNotFound) {
						return err
					}
				}
				if got := rt.n.Load() - before; got != tc.reads {
					t.Errorf("reads after Prefetch: %d round trips, want %d", got, tc.reads)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestPrefetchStale: a row or key that changes between Prefetch and the
// commit makes the commit a conflict, as a read that came earlier would:
// the account written from the prefetched version, and the idempotency key
// that Prefetch found missing.
func TestPrefetchStale(t *testing.T) {
	st := openTemp(t)
	seedAccounts(t, st, 1)
	other := withPool(t, st, 1)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		other func(tx marketplace.Tx) error // what another transaction commits after the Prefetch
		mine  func(tx marketplace.Tx) error
	}{
		{"account", func(tx marketplace.Tx) error {
			a, err := tx.Account("a0")
			if err != nil {
				return err
			}
			return tx.PutAccount(&a)
		}, func(tx marketplace.Tx) error {
			a, err := tx.Account("a0")
			if err != nil {
				return err
			}
			return tx.PutAccount(&a)
		}},
		{"idempotency key", func(tx marketplace.Tx) error {
			return tx.PutIdempotency(marketplace.IdempotencyRecord{Key: "k", ResultID: "theirs", CreatedAt: t0})
		}, func(tx marketplace.Tx) error {
			if _, err := tx.Idempotency("k"); !errors.Is(err, marketplace.ErrNotFound) {
				return err
			}
			return tx.PutIdempotency(marketplace.IdempotencyRecord{Key: "k", ResultID: "mine", CreatedAt: t0})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := st.Update(ctx, func(tx marketplace.Tx) error {
				tx.(marketplace.Prefetcher).Prefetch(refOf(marketplace.KindAccount, "a0"), refOf(marketplace.KindIdempotency, "k"))
				if err := other.Update(ctx, tc.other); err != nil {
					t.Fatalf("other transaction: %v", err)
				}
				return tc.mine(tx)
			})
			if !errors.Is(err, marketplace.ErrConflict) {
				t.Fatalf("got %v, want a conflict", err)
			}
		})
	}
}

// TestPrefetchFailure: a Prefetch whose round trip fails keeps nothing;
// the getter that follows reads for itself and reports the failure.
func TestPrefetchFailure(t *testing.T) {
	st := openTemp(t)
	seedAccounts(t, st, 1)
	ctx, cancel := context.WithCancel(context.Background())
	err := st.Update(ctx, func(tx marketplace.Tx) error {
		cancel()
		tx.(marketplace.Prefetcher).Prefetch(refOf(marketplace.KindAccount, "a0"), refOf(marketplace.KindAccount, "nobody"))
		_, err := tx.Account("nobody")
		return err
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled (not the not-found of a kept answer)", err)
	}
}
