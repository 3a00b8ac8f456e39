package httpapi

import (
	"net/http/httptest"
	"testing"
)

func TestIfMatch(t *testing.T) {
	tests := []struct {
		name   string
		header string
		want   int64
		bad    bool
	}{
		{"absent", "", 0, false},
		{"any", "*", 0, false},
		{"ours", `"v7"`, 7, false},
		{"round trip", etag(42), 42, false},
		{"weak", `W/"v7"`, 0, true},
		{"unquoted", `v7`, 0, true},
		{"zero", `"v0"`, 0, true},
		{"negative", `"v-1"`, 0, true},
		{"garbage", `"abc"`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("PUT", "/v1/x", nil)
			if tt.header != "" {
				r.Header.Set("If-Match", tt.header)
			}
			got, err := ifMatch(r)
			if (err != nil) != tt.bad {
				t.Fatalf("ifMatch(%q) err = %v, want bad=%v", tt.header, err, tt.bad)
			}
			if got != tt.want {
				t.Errorf("ifMatch(%q) = %d, want %d", tt.header, got, tt.want)
			}
		})
	}
}
