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
	pool      sync.Pool // of hash.Hash, keyed HMAC-SHA256
}

// NewSigner returns a Signer for accessKey. An empty key is accepted here
// (HMAC allows it); Client and Handler constructors refuse it.
func NewSigner(accessKey string) *Signer {
	s := &Signer{accessKey: accessKey}
	key := []byte(accessKey)
	s.pool.New = func() any { return hmac.New(sha256.New, key) }
	return s
}

// mac appends HMAC-SHA256(key, msg) to dst[:0].
func (s *Signer) mac(dst, msg []byte) []byte {
	h := s.pool.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	dst = h.Sum(dst[:0])
	s.pool.Put(h)
	return dst
}

// rawSignature returns the binary request signature.
func (s *Signer) rawSignature(nonce, timestamp string, body []byte) [sha256.Size]byte {
	var digest [sha256.Size]byte
	var digestHex [2 * sha256.Size]byte
	s.mac(digest[:0], body)
	hex.Encode(digestHex[:], digest[:]) // hex.Encode writes lowercase
	// The canonical request is built in a stack buffer when it fits: it is
	// accessKey + nonce + timestamp + 64 hex characters.
	var buf [256]byte
	canon := append(buf[:0], s.accessKey...)
	canon = append(canon, nonce...)
	canon = append(canon, timestamp...)
	canon = append(canon, digestHex[:]...)
	var sig [sha256.Size]byte
	s.mac(sig[:0], canon)
	return sig
}

// Sign returns the request signature for nonce, timestamp and the raw body
// as lowercase hex (reference ambiguity 7: emit lowercase).
func (s *Signer) Sign(nonce, timestamp string, body []byte) string {
	sig := s.rawSignature(nonce, timestamp, body)
	return hex.EncodeToString(sig[:])
}

// Verify checks a request signature. The hex is compared case-insensitively
// and in constant time.
//
// Errors: *AuthError wrapping ErrAuth when the signature is not 64 hex
// characters or does not match.
func (s *Signer) Verify(nonce, timestamp string, body []byte, signature string) error {
	var got [sha256.Size]byte
	if len(signature) != 2*sha256.Size {
		return &AuthError{Reason: "signature is not 64 hex characters"}
	}
	if _, err := hex.Decode(got[:], []byte(signature)); err != nil {
		return &AuthError{Reason: "signature is not hex"}
	}
	want := s.rawSignature(nonce, timestamp, body)
	if !hmac.Equal(got[:], want[:]) {
		return &AuthError{Reason: "signature mismatch"}
	}
	return nil
}

// SignBody returns base64 HMAC-SHA256(key, body), the value of the
// Body-Sign header's signature attribute.
func (s *Signer) SignBody(body []byte) string {
	var sum [sha256.Size]byte
	s.mac(sum[:0], body)
	return base64.StdEncoding.EncodeToString(sum[:])
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
	var want [sha256.Size]byte
	s.mac(want[:0], body)
	if !hmac.Equal(got, want[:]) {
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
