package saasaccess_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	"github.com/opengallery/opengallery/adapters/saasaccess"
)

func body1KiB() []byte {
	b := make([]byte, 1024)
	r := rand.New(rand.NewPCG(3, 4))
	for i := range b {
		b[i] = 'a' + byte(r.UintN(26))
	}
	return b
}

var sinkString string
var sinkBytes []byte

// BenchmarkSignVerify1KiB is one request's signing (client) plus its
// verification (handler) on a 1 KiB body.
func BenchmarkSignVerify1KiB(b *testing.B) {
	s := saasaccess.NewSigner(testKey)
	body := body1KiB()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		sig := s.Sign("3f1a9c0e5b7d2f4a6c8e0b1d3f5a7c9e", "1772366400000", body)
		if err := s.Verify("3f1a9c0e5b7d2f4a6c8e0b1d3f5a7c9e", "1772366400000", body, sig); err != nil {
			b.Fatal(err)
		}
		sinkString = sig
	}
}

// BenchmarkBareHMACTwice1KiB is the baseline: HMAC-SHA256 of the same
// 1 KiB twice with the standard library, nothing else.
func BenchmarkBareHMACTwice1KiB(b *testing.B) {
	key := []byte(testKey)
	body := body1KiB()
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		for range 2 {
			m := hmac.New(sha256.New, key)
			m.Write(body)
			sinkBytes = m.Sum(nil)
		}
	}
}

// handlerRequest prepares a valid signed request; nonces are unique per
// iteration and the cache is large enough for the run.
type benchNonce struct{ n int }

func (b *benchNonce) next() string { b.n++; return strconv.Itoa(b.n) }

// BenchmarkHandlerRequest is a full in-process Handler request
// (queryInstance with app info: verification, nonce cache, decode,
// dispatch, password encryption, JSON, Body-Sign).
func BenchmarkHandlerRequest(b *testing.B) {
	clock := newClock()
	f := newFakeSeller()
	h, err := saasaccess.NewHandler(testKey, f, saasaccess.WithClock(clock.Now), saasaccess.WithNonceCapacity(1<<24))
	if err != nil {
		b.Fatal(err)
	}
	res, err := f.CreateInstance(b.Context(), fullCreateRequest())
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"activity":"queryInstance","instanceId":"` + res.InstanceID + `"}`)
	ts := strconv.FormatInt(clock.Now().UnixMilli(), 10)
	signer := saasaccess.NewSigner(testKey)
	var nonces benchNonce
	b.ReportAllocs()
	for b.Loop() {
		nonce := nonces.next()
		q := url.Values{"signature": {signer.Sign(nonce, ts, body)}, "timestamp": {ts}, "nonce": {nonce}}
		req := httptest.NewRequest(http.MethodPost, "/saasproduce?"+q.Encode(), bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"000000"`)) {
			b.Fatalf("answer %d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkBareHandlerRequest is the baseline for BenchmarkHandlerRequest:
// a bare net/http handler that reads the body and writes a fixed JSON
// answer, driven the same way.
func BenchmarkBareHandlerRequest(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"resultCode":"000000","resultMsg":"success."}`)
	})
	body := []byte(`{"activity":"queryInstance","instanceId":"inst-0001"}`)
	b.ReportAllocs()
	for b.Loop() {
		q := url.Values{"signature": {"x"}, "timestamp": {"1"}, "nonce": {"n"}}
		req := httptest.NewRequest(http.MethodPost, "/saasproduce?"+q.Encode(), bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
