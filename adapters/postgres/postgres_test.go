package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/postgres"
	"github.com/opengallery/opengallery/adapters/storetest"
	"github.com/opengallery/opengallery/marketplace"
)

// dsnEnv names the environment variable with the test database's DSN.
const dsnEnv = "OPENGALLERY_TEST_POSTGRES_DSN"

// testDSN returns the test database DSN or skips the test.
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(dsnEnv)
	if dsn == "" {
		t.Skipf("set %s to a PostgreSQL URL to run the postgres store tests", dsnEnv)
	}
	return dsn
}

// newSchema returns a fresh schema name for one test.
func newSchema() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "og_test_" + hex.EncodeToString(b)
}

// openSchema opens a store on schema, migrated, closed when the test ends.
func openSchema(t testing.TB, schema string, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, testDSN(t), append([]postgres.Option{postgres.WithSchema(schema)}, opts...)...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(st.Close)
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return st
}

// openTemp opens a store on a new schema that is dropped when the test
// ends.
func openTemp(t testing.TB, opts ...postgres.Option) *postgres.Store {
	t.Helper()
	schema := newSchema()
	st := openSchema(t, schema, opts...)
	dsn := testDSN(t)
	t.Cleanup(func() {
		ctx := context.Background()
		d, err := postgres.Open(ctx, dsn, postgres.WithSchema(schema))
		if err != nil {
			t.Errorf("cleanup: %v", err)
			return
		}
		defer d.Close()
		if err := d.DropSchema(ctx); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return st
}

func TestStore(t *testing.T) {
	storetest.RunWithOptions(t,
		func(t *testing.T) marketplace.Store { return openTemp(t) },
		storetest.Options{Reopen: func(t *testing.T, s marketplace.Store) marketplace.Store {
			st := s.(*postgres.Store)
			st.Close()
			return openSchema(t, st.Schema())
		}})
}

// TestStoreEagerSequence runs the conformance suite with events numbered
// at AppendEvent instead of at commit.
func TestStoreEagerSequence(t *testing.T) {
	storetest.RunWithOptions(t,
		func(t *testing.T) marketplace.Store { return openTemp(t, postgres.WithEagerSequence()) },
		storetest.Options{Reopen: func(t *testing.T, s marketplace.Store) marketplace.Store {
			st := s.(*postgres.Store)
			st.Close()
			return openSchema(t, st.Schema(), postgres.WithEagerSequence())
		}})
}

// TestEventsNumberedAtCommit: concurrent writers, some rolling back, get
// gap-free numbers; after Update returns each event's Seq is the number
// Events reports for it, and a writer's events are consecutive.
func TestEventsNumberedAtCommit(t *testing.T) {
	st := openTemp(t)
	ctx := context.Background()
	const writers, each = 8, 10
	type got struct{ a, b *marketplace.Event }
	results := make([][]got, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("o%d-%d", w, i)
				a := &marketplace.Event{At: time.Unix(int64(i), 0), Kind: marketplace.KindOrder, AggregateID: id, Type: "order.created"}
				b := &marketplace.Event{At: time.Unix(int64(i), 0), Kind: marketplace.KindOrder, AggregateID: id, Type: "order.paid"}
				err := st.Update(ctx, func(tx marketplace.Tx) error {
					if err := tx.AppendEvent(a); err != nil {
						return err
					}
					if err := tx.AppendEvent(b); err != nil {
						return err
					}
					if i%3 == 2 {
						return errRollback
					}
					return nil
				})
				if i%3 == 2 {
					if !errors.Is(err, errRollback) {
						t.Errorf("rolled-back update: %v", err)
					}
					continue
				}
				if err != nil {
					t.Error(err)
					return
				}
				results[w] = append(results[w], got{a, b})
			}
		}()
	}
	wg.Wait()
	evs, err := st.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	bySeq := map[int64]marketplace.Event{}
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: not gap-free", i, e.Seq)
		}
		bySeq[e.Seq] = e
	}
	n := 0
	for _, rs := range results {
		for _, r := range rs {
			n += 2
			if r.b.Seq != r.a.Seq+1 {
				t.Errorf("%s: seqs %d, %d not consecutive", r.a.AggregateID, r.a.Seq, r.b.Seq)
			}
			if e := bySeq[r.a.Seq]; e.AggregateID != r.a.AggregateID || e.Type != r.a.Type {
				t.Errorf("seq %d is %s %s, want %s %s", r.a.Seq, e.AggregateID, e.Type, r.a.AggregateID, r.a.Type)
			}
			if e := bySeq[r.b.Seq]; e.AggregateID != r.b.AggregateID || e.Type != r.b.Type {
				t.Errorf("seq %d is %s %s, want %s %s", r.b.Seq, e.AggregateID, e.Type, r.b.AggregateID, r.b.Type)
			}
		}
	}
	if n != len(evs) {
		t.Fatalf("%d events stored, %d committed", len(evs), n)
	}
}

var errRollback = errors.New("roll back")

func TestOptions(t *testing.T) {
	ctx := context.Background()
	if _, err := postgres.New(nil); !errors.Is(err, postgres.ErrInvalidOption) {
		t.Fatalf("New(nil): %v", err)
	}
	if _, err := postgres.Open(ctx, testDSN(t), postgres.WithSchema("Bad-Name")); !errors.Is(err, postgres.ErrInvalidOption) {
		t.Fatalf("bad schema: %v", err)
	}
	if _, err := postgres.Open(ctx, "postgres://%zz"); err == nil {
		t.Fatal("bad DSN: no error")
	}
	st, err := postgres.Open(ctx, testDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.DropSchema(ctx); !errors.Is(err, postgres.ErrInvalidOption) {
		t.Fatalf("DropSchema without a schema: %v", err)
	}
	// A host-owned pool stays open after Close.
	hosted, err := postgres.New(st.Pool(), postgres.WithSchema(newSchema()))
	if err != nil {
		t.Fatal(err)
	}
	hosted.Close()
	if err := st.Pool().Ping(ctx); err != nil {
		t.Fatalf("host pool closed by the store: %v", err)
	}
}

func TestMigrate(t *testing.T) {
	st := openTemp(t)
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil { // again: nothing to do
		t.Fatal(err)
	}
	names, err := fs.Glob(postgres.Migrations(), "*.sql")
	if err != nil || len(names) == 0 {
		t.Fatalf("Migrations(): %v %v", names, err)
	}
	applied, err := st.AppliedMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(names, applied); d != "" {
		t.Fatalf("applied migrations (-files +applied):\n%s", d)
	}
	// Concurrent Migrate calls on a new schema apply each file once.
	schema := newSchema()
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := postgres.Open(ctx, testDSN(t), postgres.WithSchema(schema))
			if err != nil {
				errs[i] = err
				return
			}
			defer s.Close()
			errs[i] = s.Migrate(ctx)
		}()
	}
	wg.Wait()
	s := openSchema(t, schema)
	t.Cleanup(func() { _ = s.DropSchema(context.Background()) })
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Migrate: %v", err)
		}
	}
	if applied, err := s.AppliedMigrations(ctx); err != nil || len(applied) != len(names) {
		t.Fatalf("after concurrent Migrate: %v %v", applied, err)
	}
}
