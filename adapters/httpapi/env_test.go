package httpapi_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/httpapi"
	"github.com/opengallery/opengallery/adapters/httpapi/apitest"
	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/adapters/postgres"
	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning/fake"
)

// advance moves simulated time in steps of at most an hour, running the
// due work after each, as the portal's clock endpoint does.
func (e *env) advance(d time.Duration) {
	e.T.Helper()
	for d > 0 {
		step := min(d, time.Hour)
		e.clock.Advance(step)
		d -= step
		if _, err := e.svc.RunDue(context.Background()); err != nil {
			e.T.Fatalf("RunDue: %v", err)
		}
	}
}

// The actors of the end-to-end suite and their bearer tokens.
const (
	tokBuyer    = "tok-buyer"
	tokBuyer2   = "tok-buyer2"
	tokCustomer = "tok-customer" // a reseller's associated customer
	tokSeller   = "tok-seller"
	tokSeller2  = "tok-seller2"
	tokOperator = "tok-operator"
)

var actors = map[string]marketplace.Actor{
	tokBuyer:    {Role: marketplace.RoleBuyer, ID: "buyer-1"},
	tokBuyer2:   {Role: marketplace.RoleBuyer, ID: "buyer-2"},
	tokCustomer: {Role: marketplace.RoleBuyer, ID: "customer-1", ResellerID: "reseller-1"},
	tokSeller:   {Role: marketplace.RoleSeller, ID: "seller-1"},
	tokSeller2:  {Role: marketplace.RoleSeller, ID: "seller-2"},
	tokOperator: {Role: marketplace.RoleOperator, ID: "op-1"},
}

// env is one API over one store, behind the OpenAPI conformance check.
type env struct {
	*apitest.Client
	svc     *marketplace.Service
	clock   *marketplace.SimClock
	store   marketplace.Store
	api     *httpapi.Handler
	blobDir string
}

// start is a fixed simulated start: a weekday morning in GMT+08:00.
var start = time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)

// stores are the stores the suite runs on: memory always, SQLite always,
// Postgres when OPENGALLERY_TEST_POSTGRES_DSN is set.
func stores(t *testing.T) map[string]func(t *testing.T) marketplace.Store {
	m := map[string]func(t *testing.T) marketplace.Store{
		"memory": func(*testing.T) marketplace.Store { return memory.New() },
		"sqlite": func(t *testing.T) marketplace.Store {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "api.db"), sqlite.WithSync(sqlite.SyncNormal))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			if err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	if dsn := os.Getenv("OPENGALLERY_TEST_POSTGRES_DSN"); dsn != "" {
		m["postgres"] = func(t *testing.T) marketplace.Store {
			schema := fmt.Sprintf("httpapi_%d", time.Now().UnixNano())
			s, err := postgres.Open(context.Background(), dsn, postgres.WithSchema(schema))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.DropSchema(context.Background()); s.Close() })
			if err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			return s
		}
	}
	return m
}

func newEnv(t *testing.T, store marketplace.Store, opts ...marketplace.Option) *env {
	t.Helper()
	clock := marketplace.NewSimClock(start)
	base := []marketplace.Option{marketplace.WithClock(clock), marketplace.WithSaaS(fake.NewSaaS()),
		marketplace.WithDeployer(fake.NewDeployer(fake.WithSecurityGroups(fake.OpenSecurityGroup())), fake.Catalog()),
		marketplace.WithCredentialKey([]byte("0123456789abcdef0123456789abcdef")),
		marketplace.WithLogger(slog.New(slog.DiscardHandler))}
	svc, err := marketplace.New(store, append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := httpapi.NewStaticTokens(actors)
	if err != nil {
		t.Fatal(err)
	}
	blobDir := t.TempDir()
	blobs, err := httpapi.NewFileBlobs(blobDir)
	if err != nil {
		t.Fatal(err)
	}
	h := httpapi.NewHandler(svc, httpapi.WithAuthenticator(auth), httpapi.WithBlobStore(blobs),
		httpapi.WithClock(clock), httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	srv := httptest.NewServer(apitest.Conforming(t, h))
	t.Cleanup(srv.Close)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	return &env{Client: &apitest.Client{T: t, Base: srv.URL, HTTP: hc}, svc: svc, clock: clock, store: store,
		api: h, blobDir: blobDir}
}

// eachStore runs fn once per store.
func eachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	for name, open := range stores(t) {
		t.Run(name, func(t *testing.T) { fn(t, newEnv(t, open(t))) })
	}
}
