package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"sync"
	"testing"

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
func openSchema(t testing.TB, schema string) *postgres.Store {
	t.Helper()
	ctx := context.Background()
	st, err := postgres.Open(ctx, testDSN(t), postgres.WithSchema(schema))
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
func openTemp(t testing.TB) *postgres.Store {
	t.Helper()
	schema := newSchema()
	st := openSchema(t, schema)
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
