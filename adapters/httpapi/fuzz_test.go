package httpapi_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opengallery/opengallery/adapters/httpapi"
	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/marketplace"
)

// FuzzHandler sends arbitrary requests through the whole handler: none may
// panic or answer 5xx, and every error is a problem with a code.
func FuzzHandler(f *testing.F) {
	svc, err := marketplace.New(memory.New(), marketplace.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		f.Fatal(err)
	}
	auth, _ := httpapi.NewStaticTokens(actors)
	h := httpapi.NewHandler(svc, httpapi.WithAuthenticator(auth), httpapi.WithLogger(slog.New(slog.DiscardHandler)))
	seeds := []struct{ method, path, token, body string }{
		{"GET", "/v1/products?limit=5&text=mail", tokBuyer, ""},
		{"POST", "/v1/orders", tokBuyer, `{"product_id":"p","spec_id":"s","mode":"monthly","duration":1,"agree_terms":true}`},
		{"POST", "/v1/quotes", tokBuyer, `{"product_id":"p","spec_id":"s","mode":"yearly"}`},
		{"PUT", "/v1/sellers/x", tokOperator, `{"name":"n","support_email":"a@b.c"}`},
		{"POST", "/v1/flows/f/actions/accept", tokBuyer, `{"reason":""}`},
		{"PUT", "/v1/renewal-day", tokBuyer, `{"resource_ids":["r"],"day":3}`},
		{"GET", "/v1/events?after=1&limit=2", tokOperator, ""},
		{"DELETE", "/v1/saved/p?spec_id=s", tokBuyer, ""},
		{"POST", "/v1/accounts/b/top-up", tokOperator, `{"amount":{"amount":"1","currency":"USD"}}`},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.token, s.body)
	}
	f.Fuzz(func(t *testing.T, method, path, token, body string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req, err := http.NewRequest(method, "http://x"+path, strings.NewReader(body))
		if err != nil {
			return // not a request a server could receive
		}
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "fuzz")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q → %d: %s", method, path, body, rec.Code, rec.Body)
		}
		if rec.Code >= 400 {
			if rec.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(rec.Body.String(), `"code":"`) {
				t.Fatalf("%s %s → %d without a problem: %s", method, path, rec.Code, rec.Body)
			}
		}
	})
}
