// Package apitest helps hosts and our own end-to-end suites test the REST
// adapter: Conforming checks every request and response passing through a
// handler against the embedded OpenAPI document (with kin-openapi), and
// Client is a small JSON client for test journeys. It is for tests only;
// production binaries never import it.
package apitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
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

// Spec loads and validates the embedded OpenAPI document (once per
// process) and returns it with a router over it.
func Spec(t testing.TB) (*openapi3.T, routers.Router) {
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

// Conforming wraps h so that every request and response passing through is
// checked against the OpenAPI document, reporting mismatches with t.Errorf:
// every response must match the operation's declared responses; every
// request answered with a success must match the operation's parameters
// and body; an answered route (not 404/405) must be in the document.
// Requests answered with 4xx are the malformed-request tests' own business:
// they are meant to break the schema, and the check is that the problem
// answered conforms. Multipart bodies are not buffered or checked.
func Conforming(t testing.TB, h http.Handler) http.Handler {
	_, router := Spec(t)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		multipart := strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/")
		if r.Body != nil && !multipart {
			body, _ = io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
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
		out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: rec.Code, Header: rec.Header(), Options: opts}
		out.SetBodyBytes(rec.Body.Bytes())
		if err := openapi3filter.ValidateResponse(r.Context(), out); err != nil {
			t.Errorf("%s %s → %d: the response does not conform: %v\nbody: %s", r.Method, r.URL.Path, rec.Code, err, truncate(rec.Body.String()))
		}
	})
}

func truncate(s string) string {
	if len(s) > 800 {
		return s[:800] + "…"
	}
	return s
}

// Client is a JSON client for test journeys against one base URL.
type Client struct {
	T    testing.TB
	Base string
	HTTP *http.Client
}

// Response is a decoded answer.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body into v, failing the test on error.
func (r Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %d response %s: %v", r.Status, truncate(string(r.Body)), err)
	}
}

// Map decodes the body as a JSON object.
func (r Response) Map(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.JSON(t, &m)
	return m
}

// Code returns the problem code of an error response ("" for none).
func (r Response) Code() string {
	var p struct {
		Code string `json:"code"`
	}
	_ = json.Unmarshal(r.Body, &p)
	return p.Code
}

// Do sends a request. body may be nil, a []byte or string (sent as is), or
// any value (encoded as JSON). headers are name, value pairs.
func (c *Client) Do(method, path, token string, body any, headers ...string) Response {
	c.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			c.T.Fatalf("encode body: %v", err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}

// Must sends a request and fails the test unless the status is want.
func (c *Client) Must(want int, method, path, token string, body any, headers ...string) Response {
	c.T.Helper()
	r := c.Do(method, path, token, body, headers...)
	if r.Status != want {
		c.T.Fatalf("%s %s = %d, want %d: %s", method, path, r.Status, want, truncate(string(r.Body)))
	}
	return r
}

// String describes a response for failure messages.
func (r Response) String() string { return fmt.Sprintf("%d %s", r.Status, truncate(string(r.Body))) }
