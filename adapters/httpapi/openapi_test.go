package httpapi_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opengallery/opengallery/adapters/httpapi"
	"github.com/opengallery/opengallery/adapters/httpapi/apitest"
)

// TestOpenAPICoversEveryRoute fails when a route the handler serves is not
// in the document, or the document lists an operation nobody serves.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	doc, _ := apitest.Spec(t)
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
	srv := httptest.NewServer(apitest.Conforming(t, httpapi.NewHandler(nil)))
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
