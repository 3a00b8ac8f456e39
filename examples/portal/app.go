package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/opengallery/opengallery/adapters/httpapi"
	"github.com/opengallery/opengallery/adapters/postgres"
	"github.com/opengallery/opengallery/adapters/saasaccess"
	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
)

// app is a composed portal: store, service, HTTP handler.
type app struct {
	store   marketplace.Store
	closeDB func()
	svc     *marketplace.Service
	clock   *marketplace.SimClock // nil with real time
	// simPath keeps the simulated time across restarts; simSaved is the
	// latest time written there (guarded by simMu).
	simPath  string
	simMu    sync.Mutex
	simSaved time.Time
	api      *httpapi.Handler // served, and swept of uncited uploads
	tokens   map[string]marketplace.Actor
	log      *slog.Logger
}

// openStore opens and migrates the configured store.
func openStore(ctx context.Context, c config) (marketplace.Store, func(), error) {
	if c.postgres != "" {
		var opts []postgres.Option
		if c.pgSchema != "" {
			opts = append(opts, postgres.WithSchema(c.pgSchema))
		}
		s, err := postgres.Open(ctx, c.postgres, opts...)
		if err != nil {
			return nil, nil, err
		}
		if err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, nil, err
		}
		return s, s.Close, nil
	}
	s, err := sqlite.Open(c.db)
	if err != nil {
		return nil, nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, nil, err
	}
	return s, func() { _ = s.Close() }, nil
}

// newApp builds the portal.
func newApp(ctx context.Context, c config, log *slog.Logger) (*app, error) {
	if err := os.MkdirAll(c.state, 0o700); err != nil {
		return nil, err
	}
	key, err := loadOrCreate(filepath.Join(c.state, "credential.key"), func() ([]byte, error) {
		return []byte(randomHex(32)), nil
	})
	if err != nil {
		return nil, err
	}
	credKey, err := hex.DecodeString(strings.TrimSpace(string(key)))
	if err != nil || len(credKey) != 32 {
		return nil, fmt.Errorf("%s: want 64 hex characters", filepath.Join(c.state, "credential.key"))
	}
	tokens, err := loadTokens(filepath.Join(c.state, "tokens.json"))
	if err != nil {
		return nil, err
	}

	store, closeDB, err := openStore(ctx, c)
	if err != nil {
		return nil, err
	}
	a := &app{store: store, closeDB: closeDB, tokens: tokens, log: log}
	var saas provisioning.SaaS = fake.NewSaaS()
	if c.saasEndpoint != "" {
		cl, err := saasaccess.NewClient(c.saasEndpoint, c.saasKey)
		if err != nil {
			closeDB()
			return nil, err
		}
		saas = cl
	}
	opts := []marketplace.Option{
		marketplace.WithCredentialKey(credKey),
		marketplace.WithSaaS(saas),
		marketplace.WithDeployer(fake.NewDeployer(fake.WithSecurityGroups(fake.OpenSecurityGroup())), infrastructure()),
		marketplace.WithLogger(log),
	}
	if c.sim {
		a.simPath = filepath.Join(c.state, "sim-clock")
		start, err := simStart(a.simPath, time.Now())
		if err != nil {
			closeDB()
			return nil, err
		}
		a.clock = marketplace.NewSimClock(start)
		if err := a.saveSimTime(start); err != nil {
			closeDB()
			return nil, err
		}
		opts = append(opts, marketplace.WithClock(a.clock))
	}
	a.svc, err = marketplace.New(store, opts...)
	if err != nil {
		closeDB()
		return nil, err
	}
	if err := seed(ctx, a.svc); err != nil {
		closeDB()
		return nil, fmt.Errorf("seed: %w", err)
	}
	auth, err := httpapi.NewStaticTokens(tokens)
	if err != nil {
		closeDB()
		return nil, err
	}
	blobs, err := httpapi.NewFileBlobs(filepath.Join(c.state, "attachments"))
	if err != nil {
		closeDB()
		return nil, err
	}
	hopts := []httpapi.Option{
		httpapi.WithAuthenticator(auth), httpapi.WithBlobStore(blobs), httpapi.WithLogger(log),
		httpapi.WithHealthCheck(func(ctx context.Context) error {
			_, err := store.Events(ctx, 0, 1)
			return err
		}),
	}
	if a.clock != nil {
		hopts = append(hopts, httpapi.WithRoute("POST /v1/clock/advance", http.HandlerFunc(a.advance)),
			httpapi.WithClock(a.clock))
	}
	a.api = httpapi.NewHandler(a.svc, hopts...)
	return a, nil
}

// runDue runs the due-work runner once (it drains what is due now).
func (a *app) runDue(ctx context.Context) (int, error) {
	rep, err := a.svc.RunDue(ctx)
	return rep.Claimed, err
}

// advanceBody is POST /v1/clock/advance: a Go duration ("72h", "30m").
type advanceBody struct {
	Duration string `json:"duration"`
}

// maxAdvance bounds one advance; testers move months with a few calls.
const maxAdvance = 400 * 24 * time.Hour

// advance moves the simulated clock in steps of at most an hour, running
// the due work after each step, so that what falls due in between (03:00
// auto-renewals, 3-hour completions) happens in order.
func (a *app) advance(w http.ResponseWriter, r *http.Request) {
	actor, _ := httpapi.ActorFrom(r.Context())
	problem := func(status int, code, detail string) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"type": "https://opengallery.dev/problems/" + code,
			"title": http.StatusText(status), "status": status, "code": code, "detail": detail})
	}
	if actor.Role != marketplace.RoleOperator {
		problem(http.StatusForbidden, "forbidden", "only operators move the simulated clock")
		return
	}
	var b advanceBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1024))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		problem(http.StatusBadRequest, "malformed_json", `the body must be {"duration":"72h"}`)
		return
	}
	d, err := time.ParseDuration(b.Duration)
	if err != nil || d <= 0 || d > maxAdvance {
		problem(http.StatusBadRequest, "invalid_input", "duration must be a positive Go duration up to 9600h")
		return
	}
	// The target is saved first: a crash part way leaves the saved time
	// ahead of anything stored, never behind.
	if err := a.saveSimTime(a.clock.Now().Add(d)); err != nil {
		a.log.ErrorContext(r.Context(), "portal: save the simulated time", slog.Any("error", err))
		problem(http.StatusInternalServerError, "internal", "the simulated time could not be saved; it has been logged")
		return
	}
	processed := 0
	for d > 0 {
		step := min(d, time.Hour)
		a.clock.Advance(step)
		d -= step
		n, err := a.runDue(r.Context())
		processed += n
		if err != nil {
			a.log.ErrorContext(r.Context(), "portal: due work", slog.Any("error", err))
			problem(http.StatusInternalServerError, "internal", "the due-work runner failed; it has been logged")
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"now": a.clock.Now().UTC().Format(time.RFC3339), "processed": processed})
}

// sweepEvery is how often the runner deletes attachment uploads nobody
// cited in time (httpapi.Handler.SweepUploads).
const sweepEvery = 10 * time.Minute

// simStart is where a simulated clock starts: the time saved in path by an
// earlier run, so that a restart continues from where the clock was (the
// store holds dates up to it), or now when nothing is saved or now is
// later.
func simStart(path string, now time.Time) (time.Time, error) {
	start := now.UTC().Truncate(time.Second)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return start, nil
	}
	if err != nil {
		return time.Time{}, err
	}
	saved, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if err != nil {
		return time.Time{}, fmt.Errorf("%s: the saved simulated time is not an RFC 3339 time (%v); fix it, or delete the file to start the simulated clock from now", path, err)
	}
	if saved.After(start) {
		return saved.UTC(), nil
	}
	return start, nil
}

// saveSimTime records t as the simulated time, unless a later time is
// already recorded, through a temporary file renamed into place.
func (a *app) saveSimTime(t time.Time) error {
	a.simMu.Lock()
	defer a.simMu.Unlock()
	if !t.After(a.simSaved) {
		return nil
	}
	tmp := a.simPath + ".tmp"
	if err := os.WriteFile(tmp, []byte(t.UTC().Format(time.RFC3339Nano)+"\n"), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, a.simPath); err != nil {
		return err
	}
	a.simSaved = t
	return nil
}

// runner runs due work on a ticker until ctx is done. With a simulated
// clock it still runs (work due "now" after an advance is picked up). Now
// and then it also sweeps uncited attachment uploads.
func (a *app) runner(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	sweep := time.NewTicker(sweepEvery)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := a.runDue(ctx); err != nil && ctx.Err() == nil {
				a.log.ErrorContext(ctx, "portal: due work", slog.Any("error", err))
			}
		case <-sweep.C:
			if _, err := a.api.SweepUploads(ctx); err != nil && ctx.Err() == nil {
				a.log.ErrorContext(ctx, "portal: upload sweep", slog.Any("error", err))
			}
		}
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// loadOrCreate returns a file's content, creating it with make() first.
func loadOrCreate(path string, make func() ([]byte, error)) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return b, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	b, err = make()
	if err != nil {
		return nil, err
	}
	return b, os.WriteFile(path, b, 0o600)
}

// The demo actors.
var demoActors = map[string]marketplace.Actor{
	"buyer":    {Role: marketplace.RoleBuyer, ID: demoBuyer},
	"customer": {Role: marketplace.RoleBuyer, ID: demoCustomer, ResellerID: demoReseller},
	"seller":   {Role: marketplace.RoleSeller, ID: demoSeller},
	"operator": {Role: marketplace.RoleOperator, ID: demoOperator},
}

// loadTokens returns token → actor for the demo actors, making random
// tokens at first start and keeping them in path so they survive restarts.
func loadTokens(path string) (map[string]marketplace.Actor, error) {
	raw, err := loadOrCreate(path, func() ([]byte, error) {
		m := map[string]string{}
		for name := range demoActors {
			m[name] = name + "-" + randomHex(12)
		}
		return json.MarshalIndent(m, "", "  ")
	})
	if err != nil {
		return nil, err
	}
	var byName map[string]string
	if err := json.Unmarshal(raw, &byName); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := map[string]marketplace.Actor{}
	for name, a := range demoActors {
		tok := byName[name]
		if tok == "" {
			return nil, fmt.Errorf("%s: no token for %s", path, name)
		}
		out[tok] = a
	}
	return out, nil
}

// printTokens writes the demo actors and their tokens, sorted.
func printTokens(out io.Writer, tokens map[string]marketplace.Actor) {
	var lines []string
	for tok, a := range tokens {
		who := string(a.Role)
		if a.ResellerID != "" {
			who = "reseller customer"
		}
		lines = append(lines, fmt.Sprintf("  %-18s %-22s Authorization: Bearer %s", who, a.ID, tok))
	}
	sort.Strings(lines)
	for _, l := range lines {
		fmt.Fprintln(out, l)
	}
}

// shellTokens renders the tokens as the shell variables the walkthrough in
// the package documentation uses: B (buyer), S (seller), O (operator) and
// C (the reseller's customer).
func shellTokens(tokens map[string]marketplace.Actor) string {
	vars := map[string]string{}
	for tok, a := range tokens {
		switch {
		case a.Role == marketplace.RoleBuyer && a.ResellerID != "":
			vars["C"] = tok
		case a.Role == marketplace.RoleBuyer:
			vars["B"] = tok
		case a.Role == marketplace.RoleSeller:
			vars["S"] = tok
		case a.Role == marketplace.RoleOperator:
			vars["O"] = tok
		}
	}
	line := "shell: export"
	for _, v := range []string{"B", "S", "O", "C"} {
		if tok, ok := vars[v]; ok {
			line += " " + v + "=" + tok
		}
	}
	return line
}

// run serves until ctx is done. When ready is not nil it receives the
// address once the server listens.
func run(ctx context.Context, args []string, out io.Writer, ready chan<- string) error {
	c, err := parseFlags(args, out)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelInfo}))
	a, err := newApp(ctx, c, log)
	if err != nil {
		return err
	}
	defer a.closeDB()
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.api, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(out, "OpenGallery portal on %s/v1 (OpenAPI: %s/v1/openapi.json)\n", base, base)
	if c.postgres != "" {
		fmt.Fprintln(out, "store: PostgreSQL")
	} else {
		fmt.Fprintf(out, "store: SQLite %s\n", c.db)
	}
	if a.clock != nil {
		fmt.Fprintf(out, "clock: simulated, now %s; POST /v1/clock/advance {\"duration\":\"72h\"} (operator)\n", a.clock.Now().Format(time.RFC3339))
	}
	fmt.Fprintln(out, "demo actors:")
	printTokens(out, a.tokens)
	fmt.Fprintln(out, shellTokens(a.tokens))
	fmt.Fprintln(out, "images deploy to a fake cloud: region eu-west-101, any vpc and subnet id, security group sg-open")
	for tok, act := range a.tokens {
		if act.Role == marketplace.RoleBuyer && act.ResellerID == "" {
			fmt.Fprintf(out, "try: curl -H 'Authorization: Bearer %s' '%s/v1/products?text=mail'\n", tok, base)
		}
	}

	runCtx, stopRunner := context.WithCancel(ctx)
	runnerDone := make(chan struct{})
	go func() { defer close(runnerDone); a.runner(runCtx, c.tick) }()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	if ready != nil {
		ready <- ln.Addr().String()
	}
	select {
	case err = <-errc:
	case <-ctx.Done():
		fmt.Fprintln(out, "shutting down")
		shut, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(shut)
		cancel()
		if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	stopRunner()
	<-runnerDone
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
