package saasaccess_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/opengallery/opengallery/adapters/saasaccess"
	"github.com/opengallery/opengallery/provisioning"
)

func TestErrorTexts(t *testing.T) {
	cause := errors.New("cause")
	tests := []struct {
		err  error
		text string
		is   []error
	}{
		{&saasaccess.AuthError{Reason: "nonce replayed"}, "saasaccess: authentication failed: nonce replayed", []error{saasaccess.ErrAuth}},
		{&saasaccess.RequestError{Reason: "not JSON"}, "saasaccess: invalid request: not JSON", []error{saasaccess.ErrBadRequest}},
		{&saasaccess.RequestError{Field: "activity", Reason: "is required"}, "saasaccess: invalid request field activity: is required", []error{saasaccess.ErrBadRequest}},
		{&saasaccess.CredentialError{Reason: "bad padding"}, "saasaccess: credential: bad padding", []error{saasaccess.ErrCredential}},
		{&saasaccess.ResponseError{Activity: "queryInstance", Reason: "no resultCode"}, "saasaccess: queryInstance: invalid response: no resultCode",
			[]error{saasaccess.ErrBadResponse, provisioning.ErrUnavailable}},
		{&saasaccess.ResponseError{Activity: "newInstance", Reason: "Body-Sign", Err: cause}, "saasaccess: newInstance: invalid response: Body-Sign: cause",
			[]error{saasaccess.ErrBadResponse, provisioning.ErrUnavailable, cause}},
		{&saasaccess.ConfigError{Option: "WithTimeout", Reason: "must be positive"}, "saasaccess: invalid WithTimeout: must be positive", []error{saasaccess.ErrConfig}},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.text {
			t.Errorf("Error() = %q, want %q", got, tc.text)
		}
		for _, target := range tc.is {
			if !errors.Is(tc.err, target) {
				t.Errorf("%q does not wrap %v", tc.text, target)
			}
		}
	}
}

// brokenReader fails every read.
type brokenReader struct{}

func (brokenReader) Read([]byte) (int, error) { return 0, errors.New("entropy exhausted") }

func TestRandomSourceFailures(t *testing.T) {
	c, err := saasaccess.NewClient("http://127.0.0.1:1", testKey, saasaccess.WithRandom(brokenReader{}), saasaccess.WithHTTPClient(http.DefaultClient))
	if err != nil {
		t.Fatal(err)
	}
	err = c.UpdateStatus(context.Background(), freezeI1)
	if !errors.Is(err, provisioning.ErrUnavailable) || err.Error() != "saasaccess: updateInstanceStatus: nonce: entropy exhausted" {
		t.Fatalf("err = %v", err)
	}
	// Encrypting the buyer's phone needs randomness too.
	_, err = c.CreateInstance(context.Background(), fullCreateRequest())
	if !errors.Is(err, saasaccess.ErrCredential) || !errors.Is(err, provisioning.ErrUnavailable) {
		t.Fatalf("create err = %v", err)
	}
}
