package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/opengallery/opengallery/adapters/httpapi"
)

var (
	specOnce   sync.Once
	specDoc    *openapi3.T
	specRouter routers.Router
	specErr    error
)

// spec loads and validates the embedded OpenAPI document once.
func spec(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	specOnce.Do(func() {
		loader := openapi3.NewLoader()
		specDoc, specErr = loader.LoadFromData(httpapi.OpenAPI())
		if specErr != nil {
			return
		}
		if specErr = specDoc.Validate(context.Background()); specErr != nil {
			return
		}
		specRouter, specErr = legacy.NewRouter(specDoc)
	})
	if specErr != nil {
		t.Fatalf("OpenAPI document: %v", specErr)
	}
	return specDoc, specRouter
}

// conforming wraps h so that every request and response passing through
// is checked against the OpenAPI document: every response must match the
// operation's declared responses, and every request that succeeded (2xx)
// must match the operation's parameters and body. Requests answered with a
// 4xx are the malformed-request tests' own business: they are meant to
// break the schema, and the check is that the problem answered conforms.
func conforming(t testing.TB, h http.Handler) http.Handler {
	_, router := spec(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		multipart := strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/")
		if r.Body != nil && !multipart {
			body, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		// The router matches absolute URLs against the document's servers.
		probe := r.Clone(r.Context())
		probe.URL.Scheme, probe.URL.Host = "http", "localhost"
		probe.Body = io.NopCloser(bytes.NewReader(body))
		route, params, ferr := router.FindRoute(probe)

		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())

		if ferr != nil {
			if rec.Code != http.StatusNotFound && rec.Code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: answered %d but the route is not in the OpenAPI document: %v", r.Method, r.URL.Path, rec.Code, ferr)
			}
			return
		}
		opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, ExcludeRequestBody: multipart,
			IncludeResponseStatus: true, MultiError: true}
		in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route, Options: opts}
		if rec.Code < 300 {
			probe.Body = io.NopCloser(bytes.NewReader(body))
			if err := openapi3filter.ValidateRequest(r.Context(), in); err != nil {
				t.Errorf("%s %s answered %d but the request does not conform: %v", r.Method, r.URL.Path, rec.Code, err)
			}
		}
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(),
			Options: opts}
		out.SetBodyBytes(rec.Body.Bytes())
		if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
			t.Errorf("%s %s → %d: the response does not conform: %v\nbody: %s", r.Method, r.URL.Path, rec.Code, err, truncate(rec.Body.String()))
		}
	})
}

func truncate(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}

// TestOpenAPICoversEveryRoute fails when a route the handler serves is not
// in the document, or the document lists an operation nobody serves.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc, _ := spec(t)
	h := httpapi.NewHandler(nil)
	served := map[string]bool{}
	for _, pat := range h.Routes() {
		method, path, ok := strings.Cut(pat, " ")
		if !ok {
			t.Errorf("route %q has no method", pat)
			continue
		}
		served[method+" "+path] = true
		item := doc.Paths.Value(path)
		if item == nil || item.GetOperation(method) == nil {
			t.Errorf("route %s %s is missing from the OpenAPI document", method, path)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if path == "/v1/clock/advance" {
				continue // served only by the portal with a simulated clock
			}
			if !served[method+" "+path] {
				t.Errorf("the document lists %s %s, which the handler does not serve", method, path)
			}
		}
	}
}

func TestOpenAPIServed(t *testing.T) {
	srv := httptest.NewServer(conforming(t, httpapi.NewHandler(nil)))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(got, httpapi.OpenAPI()) {
		t.Fatalf("GET /v1/openapi.json = %d, %d bytes; want 200 and the embedded document", resp.StatusCode, len(got))
	}
	if !strings.Contains(string(got), `"openapi":"3.1`) && !strings.Contains(string(got), `"openapi": "3.1`) {
		t.Error("not an OpenAPI 3.1 document")
	}
}
