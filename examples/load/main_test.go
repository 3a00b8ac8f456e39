package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseRefusesNonLoopback(t *testing.T) {
	tests := []struct {
		name string
		args []string
		ok   bool
	}{
		{"default", nil, true},
		{"ipv6 loopback", []string{"-url", "http://[::1]:8080"}, true},
		{"localhost", []string{"-url", "http://localhost:8080"}, true},
		{"remote host", []string{"-url", "http://example.com"}, false},
		{"remote ip", []string{"-url", "http://10.0.0.1:8080"}, false},
		{"not http", []string{"-url", "ftp://127.0.0.1"}, false},
		{"too many clients", []string{"-c", "1000"}, false},
		{"no clients", []string{"-c", "0"}, false},
		{"too long", []string{"-d", "1h"}, false},
		{"relative path", []string{"-path", "v1/products"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(tt.args)
			if (err == nil) != tt.ok {
				t.Errorf("parse(%v) err = %v, want ok=%v", tt.args, err, tt.ok)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 90: 90 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := percentile(d, p); got != want {
			t.Errorf("percentile(%v) = %v, want %v", p, got, want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("percentile(nil) = %v", got)
	}
}

func TestRunAgainstLoopbackServer(t *testing.T) {
	var hits, keyed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost && r.Header.Get("Idempotency-Key") != "" {
			keyed.Add(1)
		}
		w.Write([]byte(`{}`))
	}))
	defer srv.Close()
	var out bytes.Buffer
	err := run([]string{"-url", srv.URL, "-token", "tok", "-c", "4", "-d", "200ms", "-path", "/v1/orders", "-body", `{"x":1}`}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if hits.Load() == 0 || keyed.Load() != hits.Load() {
		t.Errorf("hits %d, with idempotency key %d", hits.Load(), keyed.Load())
	}
	for _, want := range []string{"POST /v1/orders with 4 clients", "throughput:", "p50", "p99", "status 200:", "failed 0"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
