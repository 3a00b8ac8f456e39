package saasaccess

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strings"
	"sync"
)

// Signer computes and checks the two HMAC-SHA256 signatures of the SaaS
// access protocol V2 with one seller access key:
//
//   - the request signature carried in the signature query parameter:
//     canonical = accessKey + nonce + timestamp + lowercase hex HMAC(key, body),
//     signature = hex HMAC(key, canonical);
//   - the response Body-Sign header: base64 HMAC(key, body).
//
// The access key is both the HMAC key and the canonical-request prefix
// (reference ambiguity 6). A Signer is safe for concurrent use; it pools keyed
// HMAC states so that signing does not re-derive the HMAC pads per call.
type Signer struct {
	accessKey string
	pool      sync.Pool // of *macState
}

// macState is a keyed HMAC-SHA256 with scratch buffers, pooled so that a
// signature costs no allocation beyond its result.
type macState struct {
	h      hash.Hash
	digest [sha256.Size]byte
	hex    [2 * sha256.Size]byte
	canon  []byte
	sig    [sha256.Size]byte
	given  [sha256.Size]byte
}

// NewSigner returns a Signer for accessKey. An empty key is accepted here
// (HMAC allows it); Client and Handler constructors refuse it.
func NewSigner(accessKey string) *Signer {
	s := &Signer{accessKey: accessKey}
	key := []byte(accessKey)
	s.pool.New = func() any { return &macState{h: hmac.New(sha256.New, key), canon: make([]byte, 0, 256)} }
	return s
}

// sum returns HMAC-SHA256(key, msg) into dst.
func (m *macState) sum(dst *[sha256.Size]byte, msg []byte) {
	m.h.Reset()
	m.h.Write(msg)
	m.h.Sum(dst[:0])
}

// sign leaves the binary request signature in m.sig.
func (s *Signer) sign(m *macState, nonce, timestamp string, body []byte) {
	m.sum(&m.digest, body)
	hex.Encode(m.hex[:], m.digest[:]) // hex.Encode writes lowercase
	m.canon = append(m.canon[:0], s.accessKey...)
	m.canon = append(m.canon, nonce...)
	m.canon = append(m.canon, timestamp...)
	m.canon = append(m.canon, m.hex[:]...)
	m.sum(&m.sig, m.canon)
}

func (s *Signer) get() *macState { return s.pool.Get().(*macState) }

func (s *Signer) put(m *macState) {
	if cap(m.canon) > 4096 {
		m.canon = make([]byte, 0, 256) // do not pin a huge nonce's buffer
	}
	s.pool.Put(m)
}

// Sign returns the request signature for nonce, timestamp and the raw body
// as lowercase hex (reference ambiguity 7: emit lowercase).
func (s *Signer) Sign(nonce, timestamp string, body []byte) string {
	m := s.get()
	defer s.put(m)
	s.sign(m, nonce, timestamp, body)
	hex.Encode(m.hex[:], m.sig[:])
	return string(m.hex[:])
}

// Verify checks a request signature. The hex is compared case-insensitively
// and in constant time.
//
// Errors: *AuthError wrapping ErrAuth when the signature is not 64 hex
// characters or does not match.
func (s *Signer) Verify(nonce, timestamp string, body []byte, signature string) error {
	if len(signature) != 2*sha256.Size {
		return &AuthError{Reason: "signature is not 64 hex characters"}
	}
	m := s.get()
	defer s.put(m)
	for i := range m.given {
		hi, ok1 := unhex(signature[2*i])
		lo, ok2 := unhex(signature[2*i+1])
		if !ok1 || !ok2 {
			return &AuthError{Reason: "signature is not hex"}
		}
		m.given[i] = hi<<4 | lo
	}
	s.sign(m, nonce, timestamp, body)
	if !hmac.Equal(m.given[:], m.sig[:]) {
		return &AuthError{Reason: "signature mismatch"}
	}
	return nil
}

// unhex decodes one hex digit of either case.
func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// SignBody returns base64 HMAC-SHA256(key, body), the value of the
// Body-Sign header's signature attribute.
func (s *Signer) SignBody(body []byte) string {
	m := s.get()
	defer s.put(m)
	m.sum(&m.digest, body)
	return base64.StdEncoding.EncodeToString(m.digest[:])
}

// BodySignHeader returns the complete Body-Sign header value for body:
// sign_type="HMAC-SHA256", signature="<base64>".
func (s *Signer) BodySignHeader(body []byte) string {
	return `sign_type="HMAC-SHA256", signature="` + s.SignBody(body) + `"`
}

// VerifyBodySign checks a Body-Sign header value against body. The whole
// body counts, including leading and trailing white space.
//
// Errors: *AuthError wrapping ErrAuth when the header is malformed, names
// another sign_type, or does not match.
func (s *Signer) VerifyBodySign(body []byte, header string) error {
	signType, sig, err := ParseBodySign(header)
	if err != nil {
		return err
	}
	if !strings.EqualFold(signType, "HMAC-SHA256") {
		return &AuthError{Reason: "Body-Sign sign_type " + signType + " is not HMAC-SHA256"}
	}
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return &AuthError{Reason: "Body-Sign signature is not base64"}
	}
	m := s.get()
	defer s.put(m)
	m.sum(&m.digest, body)
	if !hmac.Equal(got, m.digest[:]) {
		return &AuthError{Reason: "Body-Sign signature mismatch"}
	}
	return nil
}

// ParseBodySign splits a Body-Sign header value of the form
// sign_type="HMAC-SHA256", signature="…" into its two attributes. The
// quotation marks are mandatory (as KooGallery's debugger demands); the
// attributes may come in either order, separated by commas and optional
// spaces.
//
// Errors: *AuthError wrapping ErrAuth when an attribute is missing, unquoted
// or repeated.
func ParseBodySign(header string) (signType, signature string, err error) {
	var haveType, haveSig bool
	rest := strings.TrimSpace(header)
	for rest != "" {
		name, after, ok := strings.Cut(rest, "=")
		if !ok {
			return "", "", &AuthError{Reason: "Body-Sign attribute without '='"}
		}
		name = strings.TrimSpace(name)
		after = strings.TrimLeft(after, " ")
		if !strings.HasPrefix(after, `"`) {
			return "", "", &AuthError{Reason: "Body-Sign attribute " + name + " is not quoted"}
		}
		value, tail, ok := strings.Cut(after[1:], `"`)
		if !ok {
			return "", "", &AuthError{Reason: "Body-Sign attribute " + name + " has no closing quote"}
		}
		switch name {
		case "sign_type":
			if haveType {
				return "", "", &AuthError{Reason: "Body-Sign sign_type repeated"}
			}
			signType, haveType = value, true
		case "signature":
			if haveSig {
				return "", "", &AuthError{Reason: "Body-Sign signature repeated"}
			}
			signature, haveSig = value, true
		}
		rest = strings.TrimLeft(tail, " ")
		if rest != "" {
			if rest[0] != ',' {
				return "", "", &AuthError{Reason: "Body-Sign attributes not separated by ','"}
			}
			rest = strings.TrimLeft(rest[1:], " ")
		}
	}
	if !haveType || !haveSig {
		return "", "", &AuthError{Reason: "Body-Sign lacks sign_type or signature"}
	}
	return signType, signature, nil
}

// Sign is a convenience for NewSigner(accessKey).Sign(nonce, timestamp, body).
func Sign(accessKey, nonce, timestamp string, body []byte) string {
	return NewSigner(accessKey).Sign(nonce, timestamp, body)
}
