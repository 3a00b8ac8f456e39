package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

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
