package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/opengallery/opengallery/adapters/httpapi"
	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/marketplace"
)

// benchWorld is a memory-store marketplace with one listed SaaS product,
// the handler over it, and a bare net/http handler doing the same work
// (decode, one use case, encode) without the adapter, for the ratio.
type benchWorld struct {
	svc     *marketplace.Service
	api     http.Handler
	bare    http.Handler
	product string
}

func newBenchWorld(b *testing.B) *benchWorld {
	b.Helper()
	svc, err := marketplace.New(memory.New(), marketplace.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	auth, _ := httpapi.NewStaticTokens(actors)
	api := httpapi.NewHandler(svc, httpapi.WithAuthenticator(auth), httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	w := &benchWorld{svc: svc, api: api}
	// Seed through the API itself.
	do := func(method, path, tok string, body any, hdr ...string) *httptest.ResponseRecorder {
		raw, _ := json.Marshal(body)
		req := httptest.NewRequest(method, path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code >= 300 {
			b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
		return rec
	}
	do("PUT", "/v1/sellers/seller-1", tokOperator, map[string]any{"name": "Acme", "support_email": "s@acme.example"})
	var p marketplace.Product
	_ = json.Unmarshal(do("POST", "/v1/seller/products", tokSeller, saasProduct()).Body.Bytes(), &p)
	do("POST", "/v1/seller/products/"+p.ID+"/submit", tokSeller, nil)
	do("POST", "/v1/review/products/"+p.ID, tokOperator, map[string]any{"approve": true})
	w.product = p.ID

	// The baseline: what any hand-written net/http endpoint must do.
	buyer := actors[tokBuyer]
	mux := http.NewServeMux()
	mux.HandleFunc("GET /products/{id}", func(rw http.ResponseWriter, r *http.Request) {
		p, err := svc.GetProduct(r.Context(), buyer, r.PathValue("id"))
		if err != nil {
			http.Error(rw, err.Error(), http.StatusNotFound)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(p)
	})
	mux.HandleFunc("POST /orders", func(rw http.ResponseWriter, r *http.Request) {
		var in marketplace.CreateOrderInput
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		in.IdempotencyKey = r.Header.Get("Idempotency-Key")
		o, err := svc.CreateOrder(r.Context(), buyer, in)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadRequest)
			return
		}
		rw.Header().Set("Content-Type", "application/json")
		rw.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(rw).Encode(o)
	})
	w.bare = mux
	return w
}

func benchGet(b *testing.B, h http.Handler, path string) {
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", "Bearer "+tokBuyer)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
		}
	}
}

// orderSeq makes every benchmarked order's idempotency key unique, so that
// no iteration is a cheap replay.
var orderSeq atomic.Int64

func benchOrder(b *testing.B, h http.Handler, path, product string) {
	body, _ := json.Marshal(map[string]any{"product_id": product, "spec_id": "basic", "mode": "monthly", "duration": 1, "quantity": 3, "agree_terms": true})
	b.ReportAllocs()
	for b.Loop() {
		n := orderSeq.Add(1)
		req := httptest.NewRequest("POST", path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tokBuyer)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d", n))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
		}
	}
}

// BenchmarkGetProduct: GET a product through the handler (auth, routing,
// ETag, encoding) vs the bare baseline, in one run; the ratio of ns/op is
// what we report (target: the handler ≥ 60% of the baseline's rate).
func BenchmarkGetProduct(b *testing.B) {
	b.Run("handler", func(b *testing.B) { w := newBenchWorld(b); benchGet(b, w.api, "/v1/products/"+w.product) })
	b.Run("bare", func(b *testing.B) { w := newBenchWorld(b); benchGet(b, w.bare, "/products/"+w.product) })
}

// BenchmarkPostOrder: POST an order through the handler (strict decoding,
// validation, Idempotency-Key) vs the bare baseline (target ≥ 50%).
// Each side gets a fresh store, so neither pays for the other's orders.
func BenchmarkPostOrder(b *testing.B) {
	b.Run("handler", func(b *testing.B) { w := newBenchWorld(b); benchOrder(b, w.api, "/v1/orders", w.product) })
	b.Run("bare", func(b *testing.B) { w := newBenchWorld(b); benchOrder(b, w.bare, "/orders", w.product) })
}
