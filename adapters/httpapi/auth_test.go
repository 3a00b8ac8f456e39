package httpapi_test

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/httpapi"
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
