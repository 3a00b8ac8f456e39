// Command load drives a running portal with N concurrent clients for a fixed
// time and prints throughput and latency percentiles.
//
//	go run ./examples/load -url http://127.0.0.1:8080 -token <buyer token> -c 16 -d 10s
//
// It refuses any host other than the loopback interface: it is a tool for
// measuring your own portal, not for loading someone else's server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// config is the parsed command line.
type config struct {
	base     *url.URL
	token    string
	clients  int
	duration time.Duration
	path     string
	body     string
}

func parse(args []string) (config, error) {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	raw := fs.String("url", "http://127.0.0.1:8080", "portal base URL (loopback only)")
	token := fs.String("token", "", "bearer token sent with every request")
	clients := fs.Int("c", 8, "concurrent clients (1-256)")
	dur := fs.Duration("d", 10*time.Second, "how long to run (at most 10m)")
	path := fs.String("path", "/v1/products?limit=20", "request path (GET), or with -body a POST")
	body := fs.String("body", "", "JSON body; when set, requests are POSTs")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	u, err := url.Parse(*raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return config{}, fmt.Errorf("-url %q: must be an http(s) URL", *raw)
	}
	if !loopback(u.Hostname()) {
		return config{}, fmt.Errorf("-url %q: only loopback hosts are allowed", *raw)
	}
	if *clients < 1 || *clients > 256 {
		return config{}, fmt.Errorf("-c %d: must be 1-256", *clients)
	}
	if *dur <= 0 || *dur > 10*time.Minute {
		return config{}, fmt.Errorf("-d %s: must be positive and at most 10m", *dur)
	}
	if !strings.HasPrefix(*path, "/") {
		return config{}, fmt.Errorf("-path %q: must start with /", *path)
	}
	return config{base: u, token: *token, clients: *clients, duration: *dur, path: *path, body: *body}, nil
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// result is what the clients measured.
type result struct {
	ok, failed int
	elapsed    time.Duration
	latencies  []time.Duration
	statuses   map[int]int
}

func run(args []string, out io.Writer) error {
	cfg, err := parse(args)
	if err != nil {
		return err
	}
	res, err := drive(context.Background(), cfg)
	if err != nil {
		return err
	}
	report(out, cfg, res)
	return nil
}

// drive runs the clients until the duration is over.
func drive(ctx context.Context, cfg config) (result, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: cfg.clients, MaxConnsPerHost: cfg.clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	target := strings.TrimSuffix(cfg.base.String(), "/") + cfg.path

	ctx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	var (
		mu  sync.Mutex
		res = result{statuses: map[int]int{}}
		wg  sync.WaitGroup
	)
	start := time.Now()
	for i := range cfg.clients {
		wg.Add(1)
		go func(worker int) {
			defer wg.Done()
			var lat []time.Duration
			ok, failed := 0, 0
			statuses := map[int]int{}
			for n := 0; ctx.Err() == nil; n++ {
				t0 := time.Now()
				status, err := once(ctx, client, cfg, target, fmt.Sprintf("load-%d-%d-%d", start.UnixNano(), worker, n))
				if ctx.Err() != nil {
					break // the run ended mid-request: not a measurement
				}
				lat = append(lat, time.Since(t0))
				statuses[status]++
				if err != nil || status >= 400 {
					failed++
				} else {
					ok++
				}
			}
			mu.Lock()
			res.ok += ok
			res.failed += failed
			res.latencies = append(res.latencies, lat...)
			for s, c := range statuses {
				res.statuses[s] += c
			}
			mu.Unlock()
		}(i)
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	if res.ok+res.failed == 0 {
		return res, errors.New("no request completed; is the portal running?")
	}
	return res, nil
}

func once(ctx context.Context, c *http.Client, cfg config, target, key string) (int, error) {
	method := http.MethodGet
	var body io.Reader
	if cfg.body != "" {
		method = http.MethodPost
		body = strings.NewReader(cfg.body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return 0, err
	}
	if cfg.token != "" {
		req.Header.Set("Authorization", "Bearer "+cfg.token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// percentile returns the p-th percentile (0-100) of sorted latencies by the
// nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999999) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return sorted[rank]
}

func report(out io.Writer, cfg config, res result) {
	slices.Sort(res.latencies)
	total := res.ok + res.failed
	fmt.Fprintf(out, "%s %s with %d clients for %s\n", methodOf(cfg), cfg.path, cfg.clients, res.elapsed.Round(time.Millisecond))
	fmt.Fprintf(out, "requests: %d (ok %d, failed %d)\n", total, res.ok, res.failed)
	fmt.Fprintf(out, "throughput: %.1f req/s\n", float64(total)/res.elapsed.Seconds())
	fmt.Fprintf(out, "latency: p50 %s  p90 %s  p99 %s  max %s\n",
		percentile(res.latencies, 50), percentile(res.latencies, 90), percentile(res.latencies, 99), res.latencies[len(res.latencies)-1])
	codes := make([]int, 0, len(res.statuses))
	for s := range res.statuses {
		codes = append(codes, s)
	}
	slices.Sort(codes)
	for _, s := range codes {
		fmt.Fprintf(out, "status %d: %d\n", s, res.statuses[s])
	}
}

func methodOf(cfg config) string {
	if cfg.body != "" {
		return http.MethodPost
	}
	return http.MethodGet
}
