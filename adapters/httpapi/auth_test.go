package httpapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/httpapi"
	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/marketplace"
)

func TestStaticTokens(t *testing.T) {
	auth, err := httpapi.NewStaticTokens(map[string]marketplace.Actor{
		"buyer-token":  marketplace.Actor{Role: marketplace.RoleBuyer, ID: "b1"},
		"seller-token": marketplace.Actor{Role: marketplace.RoleSeller, ID: "s1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		header string
		want   marketplace.Actor
		err    error
	}{
		{"buyer", "Bearer buyer-token", marketplace.Actor{Role: marketplace.RoleBuyer, ID: "b1"}, nil},
		{"scheme case", "bearer seller-token", marketplace.Actor{Role: marketplace.RoleSeller, ID: "s1"}, nil},
		{"missing", "", marketplace.Actor{}, httpapi.ErrUnauthenticated},
		{"basic", "Basic YnV5ZXI6eA==", marketplace.Actor{}, httpapi.ErrUnauthenticated},
		{"unknown", "Bearer nope", marketplace.Actor{}, httpapi.ErrUnauthenticated},
		{"prefix of a token", "Bearer buyer", marketplace.Actor{}, httpapi.ErrUnauthenticated},
		{"empty token", "Bearer ", marketplace.Actor{}, httpapi.ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/v1/orders", nil)
			if tt.header != "" {
				r.Header.Set("Authorization", tt.header)
			}
			got, err := auth.Authenticate(r)
			if !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Fatalf("Authenticate err = %v, want %v", err, tt.err)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("actor (-want +got):\n%s", d)
			}
		})
	}
}

func TestNewStaticTokensRejectsBadInput(t *testing.T) {
	for name, m := range map[string]map[string]marketplace.Actor{
		"empty token": {"": marketplace.Actor{Role: marketplace.RoleBuyer, ID: "b"}},
		"bad actor":   {"t": {Role: "king", ID: "x"}},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := httpapi.NewStaticTokens(m); !errors.Is(err, marketplace.ErrInvalidInput) {
				t.Errorf("err = %v, want ErrInvalidInput", err)
			}
		})
	}
}

// TestInvalidActorFromAuthenticator: an authenticator that returns an
// actor that does not validate is the host's bug: the client gets a 500
// internal error (not a 400 blaming its input) and the log gets why.
func TestInvalidActorFromAuthenticator(t *testing.T) {
	tests := []struct {
		name  string
		actor marketplace.Actor
	}{
		{"no id", marketplace.Actor{Role: marketplace.RoleBuyer}},
		{"unknown role", marketplace.Actor{Role: "king", ID: "x"}},
		{"zero actor", marketplace.Actor{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log bytes.Buffer
			h := httpapi.NewHandler(newEnv(t, memory.New()).svc, httpapi.WithLogger(slog.New(slog.NewTextHandler(&log, nil))),
				httpapi.WithAuthenticator(httpapi.AuthenticatorFunc(func(*http.Request) (marketplace.Actor, error) { return tt.actor, nil })))
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/v1/apps", nil)
			r.Header.Set("Authorization", "Bearer x")
			h.ServeHTTP(w, r)
			var p httpapi.Problem
			if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
				t.Fatalf("%d %s: %v", w.Code, w.Body, err)
			}
			if diff := cmp.Diff(httpapi.Problem{Status: 500, Code: httpapi.CodeInternal, Field: ""}, httpapi.Problem{Status: p.Status, Code: p.Code, Field: p.Field}); diff != "" {
				t.Errorf("problem (-want +got):\n%s", diff)
			}
			if !strings.Contains(log.String(), "invalid actor") {
				t.Errorf("not logged: %q", log.String())
			}
		})
	}
}
