package apitest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opengallery/opengallery/adapters/httpapi"
	"github.com/opengallery/opengallery/adapters/httpapi/apitest"
)

// recTB records the failures Conforming reports instead of failing.
type recTB struct {
	testing.TB
	errs []string
}

func (r *recTB) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recTB) Helper() {}

func TestConformingCatchesDrift(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		method  string
		path    string
		want    string // a fragment of the reported failure; "" for none
	}{
		{"conforming health", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"status":"ok"}`)
		}, "GET", "/v1/health", ""},
		{"wrong response shape", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"status":5}`)
		}, "GET", "/v1/health", "does not conform"},
		{"undocumented route answered", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusOK)
		}, "GET", "/v1/secret-route", "not in the OpenAPI document"},
		{"problem without a code", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"type":"x","title":"Not found","status":404}`)
		}, "GET", "/v1/orders/o1", "does not conform"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recTB{TB: t}
			srv := httptest.NewServer(apitest.Conforming(rec, tt.handler))
			defer srv.Close()
			c := &apitest.Client{T: t, Base: srv.URL}
			c.Do(tt.method, tt.path, "tok", nil)
			got := strings.Join(rec.errs, "\n")
			if tt.want == "" && got != "" {
				t.Errorf("unexpected failure: %s", got)
			}
			if tt.want != "" && !strings.Contains(got, tt.want) {
				t.Errorf("failures %q do not mention %q", got, tt.want)
			}
		})
	}
}

func TestClientHelpers(t *testing.T) {
	srv := httptest.NewServer(httpapi.NewHandler(nil))
	defer srv.Close()
	c := &apitest.Client{T: t, Base: srv.URL}
	r := c.Must(http.StatusUnauthorized, "GET", "/v1/products", "tok", nil)
	if r.Code() != "unauthenticated" || !strings.HasPrefix(r.String(), "401 ") {
		t.Errorf("response = %s", r)
	}
	if m := c.Must(http.StatusOK, "GET", "/v1/health", "", nil).Map(t); m["status"] != "ok" {
		t.Errorf("health = %v", m)
	}
	if r := c.Do("POST", "/v1/quotes", "tok", []byte(`{}`), "X-Test", "1"); r.Status != 401 {
		t.Errorf("bytes body: %s", r)
	}
}
