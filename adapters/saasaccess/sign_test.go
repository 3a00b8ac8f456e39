package saasaccess_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/opengallery/opengallery/adapters/saasaccess"
)

const testKey = "0123456789abcdef0123456789abcdef" // 32 bytes: usable as a raw AES-256 key

// independentSignature recomputes the request signature from the
// published formula with nothing but crypto/hmac.
func independentSignature(key, nonce, ts string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	canonical := key + nonce + ts + strings.ToLower(hex.EncodeToString(m.Sum(nil)))
	m2 := hmac.New(sha256.New, []byte(key))
	m2.Write([]byte(canonical))
	return hex.EncodeToString(m2.Sum(nil))
}

func independentBodySign(key string, body []byte) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func TestSignMatchesIndependentComputation(t *testing.T) {
	tests := []struct {
		name, key, nonce, ts string
		body                 []byte
	}{
		{"empty body", testKey, "n1", "1680508237508", nil},
		{"json body", testKey, "6c6f6e67", "1680508237508", []byte(`{"activity":"newInstance","orderId":"CS1906666666ABCDE"}`)},
		{"white space counts", testKey, "x", "1", []byte(" {\"a\":1}\n")},
		{"unicode", "密钥-key", "随机", "1700000000000", []byte(`{"memo":"中文"}`)},
		{"long key (over the HMAC block)", strings.Repeat("k", 100), "nonce", "1700000000000", []byte("{}")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := independentSignature(tc.key, tc.nonce, tc.ts, tc.body)
			s := saasaccess.NewSigner(tc.key)
			if got := s.Sign(tc.nonce, tc.ts, tc.body); got != want {
				t.Errorf("Sign = %s, want %s", got, want)
			}
			if got := saasaccess.Sign(tc.key, tc.nonce, tc.ts, tc.body); got != want {
				t.Errorf("package Sign = %s, want %s", got, want)
			}
			if err := s.Verify(tc.nonce, tc.ts, tc.body, want); err != nil {
				t.Errorf("Verify(lowercase) = %v", err)
			}
			if err := s.Verify(tc.nonce, tc.ts, tc.body, strings.ToUpper(want)); err != nil {
				t.Errorf("Verify(UPPERCASE) = %v", err)
			}
			if got, want := s.SignBody(tc.body), independentBodySign(tc.key, tc.body); got != want {
				t.Errorf("SignBody = %s, want %s", got, want)
			}
		})
	}
}

func TestVerifyRefusesTampering(t *testing.T) {
	s := saasaccess.NewSigner(testKey)
	body := []byte(`{"activity":"queryInstance","instanceId":"i-1"}`)
	sig := s.Sign("nonce-1", "1700000000000", body)
	flipped := []byte(sig)
	flipped[10] ^= 1
	tests := []struct {
		name, nonce, ts, sig string
		body                 []byte
	}{
		{"tampered body", "nonce-1", "1700000000000", sig, []byte(`{"activity":"queryInstance","instanceId":"i-2"}`)},
		{"other nonce", "nonce-2", "1700000000000", sig, body},
		{"other timestamp", "nonce-1", "1700000000001", sig, body},
		{"signature flipped", "nonce-1", "1700000000000", string(flipped), body},
		{"signature short", "nonce-1", "1700000000000", sig[:62], body},
		{"signature not hex", "nonce-1", "1700000000000", "zz" + sig[2:], body},
		{"signature empty", "nonce-1", "1700000000000", "", body},
		{"other key", "nonce-1", "1700000000000", saasaccess.Sign("another key", "nonce-1", "1700000000000", body), body},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.Verify(tc.nonce, tc.ts, tc.body, tc.sig)
			if !errors.Is(err, saasaccess.ErrAuth) {
				t.Fatalf("Verify = %v, want ErrAuth", err)
			}
			var ae *saasaccess.AuthError
			if !errors.As(err, &ae) || ae.Reason == "" {
				t.Errorf("want an *AuthError with a reason, got %#v", err)
			}
		})
	}
}

func TestBodySign(t *testing.T) {
	s := saasaccess.NewSigner(testKey)
	body := []byte(`{"resultCode":"000000","resultMsg":"success."}`)
	sig := independentBodySign(testKey, body)
	if got, want := s.BodySignHeader(body), `sign_type="HMAC-SHA256", signature="`+sig+`"`; got != want {
		t.Fatalf("BodySignHeader = %s, want %s", got, want)
	}
	tests := []struct {
		name, header string
		body         []byte
		ok           bool
	}{
		{"as written", `sign_type="HMAC-SHA256", signature="` + sig + `"`, body, true},
		{"no space, reordered", `signature="` + sig + `",sign_type="HMAC-SHA256"`, body, true},
		{"sign_type any case", `sign_type="hmac-sha256", signature="` + sig + `"`, body, true},
		{"trailing white space in body counts", `sign_type="HMAC-SHA256", signature="` + sig + `"`, append(append([]byte{}, body...), '\n'), false},
		{"tampered body", `sign_type="HMAC-SHA256", signature="` + sig + `"`, []byte(`{"resultCode":"000001"}`), false},
		{"unquoted", `sign_type=HMAC-SHA256, signature="` + sig + `"`, body, false},
		{"unclosed quote", `sign_type="HMAC-SHA256, signature="` + sig, body, false},
		{"no signature", `sign_type="HMAC-SHA256"`, body, false},
		{"no sign_type", `signature="` + sig + `"`, body, false},
		{"repeated signature", `sign_type="HMAC-SHA256", signature="` + sig + `", signature="` + sig + `"`, body, false},
		{"repeated sign_type", `sign_type="HMAC-SHA256", sign_type="HMAC-SHA256", signature="` + sig + `"`, body, false},
		{"other algorithm", `sign_type="HMAC-SHA1", signature="` + sig + `"`, body, false},
		{"not base64", `sign_type="HMAC-SHA256", signature="!!!"`, body, false},
		{"missing '='", `sign_type`, body, false},
		{"bad separator", `sign_type="HMAC-SHA256"; signature="` + sig + `"`, body, false},
		{"empty", ``, body, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := s.VerifyBodySign(tc.body, tc.header)
			if tc.ok && err != nil {
				t.Fatalf("VerifyBodySign = %v, want nil", err)
			}
			if !tc.ok && !errors.Is(err, saasaccess.ErrAuth) {
				t.Fatalf("VerifyBodySign = %v, want ErrAuth", err)
			}
		})
	}
}

func TestSignerConcurrentUse(t *testing.T) {
	s := saasaccess.NewSigner(testKey)
	done := make(chan error)
	for g := range 8 {
		go func() {
			var err error
			for i := range 200 {
				body := fmt.Appendf(nil, `{"g":%d,"i":%d}`, g, i)
				sig := s.Sign("n", "1", body)
				if sig != independentSignature(testKey, "n", "1", body) {
					err = fmt.Errorf("goroutine %d: signature %d differs", g, i)
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func FuzzVerify(f *testing.F) {
	s := saasaccess.NewSigner(testKey)
	f.Add("nonce", "1700000000000", []byte(`{"activity":"newInstance"}`), "")
	f.Add("", "", []byte{}, strings.Repeat("A", 64))
	f.Add("n", "1", []byte("x"), "sign_type=\"HMAC-SHA256\", signature=\"\"")
	f.Fuzz(func(t *testing.T, nonce, ts string, body []byte, sig string) {
		// Arbitrary input must not panic and must not verify, unless it is
		// the genuine signature.
		err := s.Verify(nonce, ts, body, sig)
		genuine := strings.EqualFold(sig, independentSignature(testKey, nonce, ts, body))
		if (err == nil) != genuine {
			t.Fatalf("Verify(%q) = %v, genuine %v", sig, err, genuine)
		}
		if err := s.Verify(nonce, ts, body, s.Sign(nonce, ts, body)); err != nil {
			t.Fatalf("own signature refused: %v", err)
		}
		_ = s.VerifyBodySign(body, sig)
		if err := s.VerifyBodySign(body, s.BodySignHeader(body)); err != nil {
			t.Fatalf("own Body-Sign refused: %v", err)
		}
	})
}

func ExampleSigner_Sign() {
	s := saasaccess.NewSigner("my-access-key")
	body := []byte(`{"activity":"queryInstance","instanceId":"i-1"}`)
	sig := s.Sign("e1c8d0f5", "1700000000000", body)
	// Case does not matter when verifying.
	fmt.Println(len(sig), s.Verify("e1c8d0f5", "1700000000000", body, strings.ToUpper(sig)))
	// A changed body does not verify.
	fmt.Println(s.Verify("e1c8d0f5", "1700000000000", []byte(`{}`), sig) != nil)
	// Output:
	// 64 <nil>
	// true
}
