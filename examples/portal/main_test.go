package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/postgres"
)

// syncBuffer is a goroutine-safe output sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

var tokenLine = regexp.MustCompile(`(?m)^\s+(buyer|operator|reseller customer|seller)\s+\S+\s+Authorization: Bearer (\S+)$`)

// tokens parses the demo tokens the portal prints.
func tokens(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, g := range tokenLine.FindAllStringSubmatch(out, -1) {
		m[g[1]] = g[2]
	}
	if len(m) != 4 {
		t.Fatalf("demo tokens not printed:\n%s", out)
	}
	return m
}

// startPortal runs the portal in-process (as `go run ./examples/portal`
// does) in a temporary working directory.
func startPortal(t *testing.T, extra ...string) (base string, out *syncBuffer, stop func() error) {
	t.Helper()
	dir := t.TempDir()
	args := append([]string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "opengallery.db"), "-state", filepath.Join(dir, "state"), "-tick", "50ms"}, extra...)
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	out = &syncBuffer{}
	go func() { done <- run(ctx, args, out, ready) }()
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		cancel()
		t.Fatalf("portal did not start: %v\n%s", err, out)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("portal did not start within 30s:\n%s", out)
	}
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() { cancel(); err = <-done })
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return base, out, stop
}

type client struct {
	t    *testing.T
	base string
}

func (c client) do(method, path, token string, body any, hdr ...string) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

func (c client) must(status int, method, path, token string, body any, hdr ...string) map[string]any {
	c.t.Helper()
	got, m := c.do(method, path, token, body, hdr...)
	if got != status {
		c.t.Fatalf("%s %s = %d, want %d: %v", method, path, got, status, m)
	}
	return m
}

// TestSmoke is the README's main command: it starts, answers health within
// seconds, prints the demo tokens, serves the seeded catalog, and stops
// gracefully; a second start on the same files reuses the data.
func TestSmoke(t *testing.T) {
	began := time.Now()
	dir := t.TempDir()
	args := []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "opengallery.db"), "-state", filepath.Join(dir, "state")}
	for round := range 2 {
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done := make(chan error, 1)
		out := &syncBuffer{}
		go func() { done <- run(ctx, args, out, ready) }()
		var addr string
		select {
		case addr = <-ready:
		case err := <-done:
			t.Fatalf("start: %v\n%s", err, out)
		case <-time.After(30 * time.Second):
			t.Fatalf("no start within 30s")
		}
		c := client{t, "http://" + addr}
		if st, m := c.do("GET", "/v1/health", "", nil); st != 200 || m["status"] != "ok" {
			t.Fatalf("health = %d %v", st, m)
		}
		if round == 0 {
			t.Logf("answered health %s after start", time.Since(began))
			if time.Since(began) > 15*time.Second {
				t.Errorf("health took %s", time.Since(began))
			}
		}
		tok := tokens(t, out.String())
		page := c.must(200, "GET", "/v1/products?limit=50", tok["buyer"], nil)
		if page["total"] != float64(5) {
			t.Errorf("round %d: catalog has %v products, want the 5 seeded", round, page["total"])
		}
		acc := c.must(200, "GET", "/v1/accounts/demo-buyer", tok["buyer"], nil)
		if acc["balance"].(map[string]any)["amount"] != "10000.00" {
			t.Errorf("round %d: demo balance %v", round, acc["balance"])
		}
		if st, _ := c.do("POST", "/v1/clock/advance", tok["operator"], map[string]string{"duration": "1h"}); st != 404 && st != 405 {
			t.Errorf("clock advance without -clock=sim = %d, want absent", st)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("graceful stop: %v", err)
		}
		if !strings.Contains(out.String(), "shutting down") {
			t.Errorf("no shutdown message:\n%s", out)
		}
	}
}

func TestFlags(t *testing.T) {
	for _, args := range [][]string{{"-clock", "fast"}, {"-tick", "1ms"}, {"extra"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%v) accepted", args)
		}
	}
	c, err := parseFlags([]string{"-clock=sim"}, io.Discard)
	if err != nil || !c.sim || c.addr != "127.0.0.1:8080" || c.db != "opengallery.db" {
		t.Errorf("defaults: %+v, %v", c, err)
	}
}

// TestSimulatedLicenseJourney buys the $900.00/year license on the demo
// catalog and watches, with the simulated clock, the order complete 3
// hours after acceptance and the license expire a year later.
func TestSimulatedLicenseJourney(t *testing.T) {
	base, out, _ := startPortal(t, "-clock=sim")
	c := client{t, base}
	tok := tokens(t, out.String())
	buyer, seller, op := tok["buyer"], tok["seller"], tok["operator"]

	page := c.must(200, "GET", "/v1/products?text=office&delivery=license", buyer, nil)
	items := page["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("search office: %v", page)
	}
	product := items[0].(map[string]any)["id"].(string)
	q := c.must(200, "POST", "/v1/quotes", buyer, map[string]any{"product_id": product, "spec_id": "annual", "mode": "yearly", "duration": 1})
	if q["total"].(map[string]any)["amount"] != "900.00" {
		t.Fatalf("quote = %v", q)
	}
	o := c.must(201, "POST", "/v1/orders", buyer, map[string]any{"product_id": product, "spec_id": "annual", "mode": "yearly",
		"duration": 1, "agree_terms": true}, "Idempotency-Key", "demo-1")
	id := o["id"].(string)
	o = c.must(200, "POST", "/v1/orders/"+id+"/pay", buyer, nil)
	flow := o["flow_id"].(string)
	c.must(200, "POST", "/v1/flows/"+flow+"/actions/deliver", seller, map[string]any{"result": "License key DEMO-0001"})
	c.must(200, "POST", "/v1/flows/"+flow+"/actions/accept", buyer, nil)
	if st, _ := c.do("POST", "/v1/clock/advance", buyer, map[string]string{"duration": "3h"}); st != 403 {
		t.Errorf("buyer moving the clock = %d, want 403", st)
	}
	adv := c.must(200, "POST", "/v1/clock/advance", op, map[string]string{"duration": "3h1m"})
	if adv["now"] == nil {
		t.Errorf("advance = %v", adv)
	}
	if o = c.must(200, "GET", "/v1/orders/"+id, buyer, nil); o["status"] != "completed" {
		t.Fatalf("3 hours after acceptance: %v", o["status"])
	}
	apps := c.must(200, "GET", "/v1/apps", buyer, nil)
	app := apps["items"].([]any)[0].(map[string]any)
	if app["status"] != "active" {
		t.Fatalf("app = %v", app)
	}
	for range 3 {
		c.must(200, "POST", "/v1/clock/advance", op, map[string]string{"duration": "3000h"})
	}
	app = c.must(200, "GET", "/v1/apps/"+app["id"].(string), buyer, nil)
	if app["status"] == "active" {
		t.Errorf("a year and more later the license is still %v", app["status"])
	}
}

// TestBuiltBinaryWithISV builds examples/portal and examples/isv, runs
// both, buys the SaaS mail hosting as the demo buyer and watches it being
// provisioned at the seller's endpoint over the signed protocol; then stops
// the portal with SIGTERM.
func TestBuiltBinaryWithISV(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two binaries")
	}
	dir := t.TempDir()
	for _, cmd := range []string{"portal", "isv"} {
		b := exec.Command("go", "build", "-o", filepath.Join(dir, cmd), "../"+cmd)
		if out, err := b.CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v\n%s", cmd, err, out)
		}
	}
	isv, isvURL := startBinary(t, filepath.Join(dir, "isv"), dir, regexp.MustCompile(`SaaS endpoint (\S+) `), "-addr", "127.0.0.1:0", "-ready-after", "0s")
	_ = isv
	portal, portalLine := startBinary(t, filepath.Join(dir, "portal"), dir, regexp.MustCompile(`portal on (\S+)/v1 `),
		"-addr", "127.0.0.1:0", "-clock=sim", "-tick", "50ms", "-saas-endpoint", isvURL)
	c := client{t, portalLine}
	time.Sleep(100 * time.Millisecond)
	tok := tokens(t, portal.out.String())
	buyer, op := tok["buyer"], tok["operator"]

	page := c.must(200, "GET", "/v1/products?delivery=saas", buyer, nil)
	product := page["items"].([]any)[0].(map[string]any)["id"].(string)
	o := c.must(201, "POST", "/v1/orders", buyer, map[string]any{"product_id": product, "spec_id": "standard", "mode": "monthly",
		"duration": 1, "quantity": 10, "agree_terms": true}, "Idempotency-Key", "mail-1")
	if o["amount"].(map[string]any)["amount"] != "50.00" {
		t.Errorf("10 licenses × $5.00 = %v", o["amount"])
	}
	c.must(200, "POST", "/v1/orders/"+o["id"].(string)+"/pay", buyer, nil)
	var app map[string]any
	for range 50 {
		c.must(200, "POST", "/v1/clock/advance", op, map[string]string{"duration": "1m"})
		apps := c.must(200, "GET", "/v1/apps?status=active", buyer, nil)
		if items := apps["items"].([]any); len(items) == 1 {
			app = items[0].(map[string]any)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if app == nil {
		t.Fatalf("the SaaS app never became active\nportal:\n%s\nisv:\n%s", portal.out, isv.out)
	}
	fe := app["app"].(map[string]any)["front_end_url"].(string)
	if !strings.HasPrefix(fe, strings.TrimSuffix(isvURL, "/saas")+"/mail/") {
		t.Errorf("front-end URL %q is not the isv's", fe)
	}
	pw := c.must(200, "POST", "/v1/apps/"+app["id"].(string)+"/password", buyer, nil)
	if !strings.HasPrefix(pw["password"].(string), "Pw-") {
		t.Errorf("revealed password %v is not the one the isv made", pw)
	}
	if err := portal.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := portal.wait(10 * time.Second); err != nil {
		t.Errorf("portal after SIGTERM: %v\n%s", err, portal.out)
	}
}

type proc struct {
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan error
}

func (p *proc) wait(d time.Duration) error {
	select {
	case err := <-p.done:
		return err
	case <-time.After(d):
		return fmt.Errorf("did not exit within %s", d)
	}
}

// startBinary runs a built command and waits for a stdout line matching re,
// returning its first group.
func startBinary(t *testing.T, path, dir string, re *regexp.Regexp, args ...string) (*proc, string) {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, out: &syncBuffer{}, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); pw.Close() }()
	// Killing an exited process only returns an error.
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(p.out, line)
			if m := re.FindStringSubmatch(line); m != nil && !sent {
				found <- m[1]
				sent = true
			}
		}
	}()
	select {
	case v := <-found:
		return p, v
	case err := <-p.done:
		t.Fatalf("%s exited: %v\n%s", path, err, p.out)
	case <-time.After(30 * time.Second):
		t.Fatalf("%s did not start\n%s", path, p.out)
	}
	return nil, ""
}

// TestPostgres starts the portal on PostgreSQL when
// OPENGALLERY_TEST_POSTGRES_DSN is set, in a schema of its own.
func TestPostgres(t *testing.T) {
	dsn := os.Getenv("OPENGALLERY_TEST_POSTGRES_DSN")
	if dsn == "" {
		t.Skip("OPENGALLERY_TEST_POSTGRES_DSN is not set")
	}
	schema := fmt.Sprintf("portal_%d", time.Now().UnixNano())
	t.Cleanup(func() {
		s, err := postgres.Open(context.Background(), dsn, postgres.WithSchema(schema))
		if err == nil {
			_ = s.DropSchema(context.Background())
			s.Close()
		}
	})
	base, out, stop := startPortal(t, "-postgres", dsn, "-postgres-schema", schema)
	c := client{t, base}
	tok := tokens(t, out.String())
	if page := c.must(200, "GET", "/v1/products", tok["buyer"], nil); page["total"] != float64(5) {
		t.Errorf("seeded catalog on Postgres: %v", page["total"])
	}
	if !strings.Contains(out.String(), "store: PostgreSQL") {
		t.Errorf("store line missing:\n%s", out)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

// TestSimulatedAutoRenewal buys the $5.00/month chat license with
// auto-renewal and moves the simulated clock past its expiry: the renewal
// is charged on schedule (at 03:00) and the license runs on.
func TestSimulatedAutoRenewal(t *testing.T) {
	base, out, _ := startPortal(t, "-clock=sim")
	c := client{t, base}
	tok := tokens(t, out.String())
	buyer, seller, op := tok["buyer"], tok["seller"], tok["operator"]
	page := c.must(200, "GET", "/v1/products?text=chat", buyer, nil)
	product := page["items"].([]any)[0].(map[string]any)["id"].(string)
	o := c.must(201, "POST", "/v1/orders", buyer, map[string]any{"product_id": product, "spec_id": "monthly", "mode": "monthly",
		"duration": 1, "auto_renew": true, "agree_terms": true}, "Idempotency-Key", "auto-1")
	o = c.must(200, "POST", "/v1/orders/"+o["id"].(string)+"/pay", buyer, nil)
	flow := o["flow_id"].(string)
	c.must(200, "POST", "/v1/flows/"+flow+"/actions/deliver", seller, map[string]any{"result": "License key CHAT-0001"})
	c.must(200, "POST", "/v1/flows/"+flow+"/actions/accept", buyer, nil)
	c.must(200, "POST", "/v1/clock/advance", op, map[string]string{"duration": "3h1m"})
	apps := c.must(200, "GET", "/v1/apps?status=active", buyer, nil)
	if len(apps["items"].([]any)) != 1 {
		t.Fatalf("active apps = %v", apps)
	}
	app := apps["items"].([]any)[0].(map[string]any)
	expires := app["expires_at"].(string)
	c.must(200, "POST", "/v1/clock/advance", op, map[string]string{"duration": "800h"})
	renewals := c.must(200, "GET", "/v1/orders?kind=renewal", buyer, nil)
	if renewals["total"].(float64) < 1 {
		t.Fatalf("no auto-renewal order after a month: %v", renewals)
	}
	app = c.must(200, "GET", "/v1/apps/"+app["id"].(string), buyer, nil)
	if app["status"] != "active" || app["expires_at"].(string) <= expires {
		t.Errorf("after auto-renewal: status %v, expires %v (was %s)", app["status"], app["expires_at"], expires)
	}
	acc := c.must(200, "GET", "/v1/accounts/demo-buyer", buyer, nil)
	if got := acc["balance"].(map[string]any)["amount"]; got != "9990.00" {
		t.Errorf("balance after two months at $5.00: %v", got)
	}
}

// TestSimulatedImageWalkthrough follows the package documentation's image
// walkthrough: the monthly LAMP image on the recommended flavor, deployed
// with the ids the banner names, unsubscribed ten days later and refunded
// by the formula. The banner's shell line names the same tokens.
func TestSimulatedImageWalkthrough(t *testing.T) {
	base, out, _ := startPortal(t, "-clock=sim")
	c := client{t, base}
	tok := tokens(t, out.String())
	buyer, op := tok["buyer"], tok["operator"]
	shell := fmt.Sprintf("shell: export B=%s S=%s O=%s C=%s", buyer, tok["seller"], op, tok["reseller customer"])
	if !strings.Contains(out.String(), shell+"\n") || !strings.Contains(out.String(), "security group sg-open") {
		t.Errorf("banner lacks %q or the fake cloud's ids:\n%s", shell, out)
	}

	items := c.must(200, "GET", "/v1/products?delivery=image", buyer, nil)["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("images: %v", items)
	}
	image := items[0].(map[string]any)["id"].(string)
	choice := map[string]any{"mode": "quick", "region": "eu-west-101", "vpc": "vpc-1", "subnet": "subnet-1", "security_group": "sg-open"}
	q := c.must(200, "POST", "/v1/quotes", buyer, map[string]any{"product_id": image, "spec_id": "standard", "mode": "monthly", "duration": 1, "image": choice})
	if q["total"].(map[string]any)["amount"] != "164.93" { // 155.00 + s3.small.1's 9.93
		t.Fatalf("monthly image quote = %v", q)
	}
	o := c.must(201, "POST", "/v1/orders", buyer, map[string]any{"product_id": image, "spec_id": "standard", "mode": "monthly", "duration": 1,
		"agree_terms": true, "image": choice}, "Idempotency-Key", "i1")
	o = c.must(200, "POST", "/v1/orders/"+o["id"].(string)+"/pay", buyer,
		map[string]any{"login": map[string]string{"password": "Cloud-Pass-2026", "confirm_password": "Cloud-Pass-2026"}})
	res, _ := o["resource_id"].(string)
	if o["status"] != "completed" || res == "" {
		t.Fatalf("paid image order = %v", o)
	}
	c.must(200, "POST", "/v1/clock/advance", op, map[string]string{"duration": "240h"})
	ref := c.must(200, "GET", "/v1/apps/"+res+"/refund-quote", buyer, nil)
	if ref["kind"] != "in_use" || ref["used_hours"] != float64(240) {
		t.Fatalf("refund quote = %v", ref)
	}
	u := c.must(200, "POST", "/v1/apps/"+res+"/unsubscribe", buyer, nil, "Idempotency-Key", "u1")
	if u["kind"] != "unsubscription" || u["amount"].(map[string]any)["amount"] != ref["total"].(map[string]any)["amount"] {
		t.Errorf("unsubscription = %v, want the quoted refund %v", u, ref["total"])
	}
	if app := c.must(200, "GET", "/v1/apps/"+res, buyer, nil); app["status"] != "unsubscribed" {
		t.Errorf("after unsubscribing: %v", app["status"])
	}
}

// TestDocAndGitignore: the package documentation lists every flag, and the
// files a start from the repository root creates by default (the SQLite
// file and the state directory with the credential key and demo tokens)
// are ignored by git.
func TestDocAndGitignore(t *testing.T) {
	var usage bytes.Buffer
	if _, err := parseFlags([]string{"-h"}, &usage); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("-h: %v", err)
	}
	doc, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`(?m)^\s+-([a-z-]+)`).FindAllStringSubmatch(usage.String(), -1)
	if len(names) < 9 {
		t.Fatalf("only %d flags in the usage:\n%s", len(names), usage.String())
	}
	for _, m := range names {
		if !strings.Contains(string(doc), "//\t-"+m[1]+" ") && !strings.Contains(string(doc), "//\t-"+m[1]+"=") {
			t.Errorf("the package documentation does not list -%s", m[1])
		}
	}
	c, err := parseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ignore, err := os.ReadFile(filepath.Join("..", "..", ".gitignore"))
	if err != nil {
		t.Fatal(err)
	}
	patterns := strings.Fields(string(ignore))
	ignored := func(name string, dir bool) bool {
		for _, p := range patterns {
			p = strings.TrimPrefix(p, "/")
			if dir && p == name+"/" {
				return true
			}
			if ok, _ := filepath.Match(p, name); ok {
				return true
			}
		}
		return false
	}
	if !ignored(c.db, false) {
		t.Errorf(".gitignore does not ignore the default -db %s", c.db)
	}
	if !ignored(c.state, true) {
		t.Errorf(".gitignore does not ignore the default -state directory %s/ (it holds the credential key)", c.state)
	}
}

// TestSimulatedClockSurvivesRestart: the simulated time is kept in the
// state directory, so a restart with -clock=sim continues from where the
// clock was instead of going back to the real now while the database holds
// later dates; an unreadable saved time stops the start with a clear error.
func TestSimulatedClockSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-addr", "127.0.0.1:0", "-db", filepath.Join(dir, "opengallery.db"), "-state", filepath.Join(dir, "state"), "-clock=sim"}
	start := func() (client, map[string]string, func()) {
		ctx, cancel := context.WithCancel(context.Background())
		ready := make(chan string, 1)
		done := make(chan error, 1)
		out := &syncBuffer{}
		go func() { done <- run(ctx, args, out, ready) }()
		select {
		case addr := <-ready:
			return client{t, "http://" + addr}, tokens(t, out.String()), func() {
				cancel()
				if err := <-done; err != nil {
					t.Fatalf("stop: %v", err)
				}
			}
		case err := <-done:
			cancel()
			t.Fatalf("start: %v\n%s", err, out)
		case <-time.After(30 * time.Second):
			cancel()
			t.Fatal("no start within 30s")
		}
		return client{}, nil, nil
	}
	c, tok, stop := start()
	m := c.must(200, "POST", "/v1/clock/advance", tok["operator"], map[string]string{"duration": "720h"})
	advanced, err := time.Parse(time.RFC3339, m["now"].(string))
	if err != nil {
		t.Fatal(err)
	}
	stop()

	c, tok, stop = start()
	m = c.must(200, "POST", "/v1/clock/advance", tok["operator"], map[string]string{"duration": "1h"})
	if got, want := m["now"], advanced.Add(time.Hour).Format(time.RFC3339); got != want {
		t.Errorf("after a restart and 1h: now %v, want %s (continuing from before the restart)", got, want)
	}
	stop()

	if err := os.WriteFile(filepath.Join(dir, "state", "sim-clock"), []byte("yesterday"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second) // a start that wrongly succeeds serves until then
	defer cancel()
	err = run(ctx, args, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "sim-clock") {
		t.Errorf("start with an unreadable sim-clock: %v, want an error naming the file", err)
	}
}
