package saasaccess

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
)

// EncryptType selects the cipher of app-info secrets, as the protocol's
// encryptType field: 1 = AES-256-CBC-PKCS5Padding (the default), 2 =
// AES-128-CBC-PKCS5Padding.
type EncryptType int

// The encryption types of the protocol.
const (
	AES256 EncryptType = 1
	AES128 EncryptType = 2
)

// keySize returns the AES key length in bytes.
func (t EncryptType) keySize() (int, error) {
	switch t {
	case AES256:
		return 32, nil
	case AES128:
		return 16, nil
	}
	return 0, &CredentialError{Reason: fmt.Sprintf("unknown encryptType %d", int(t))}
}

// Valid reports whether t is AES256 or AES128.
func (t EncryptType) Valid() bool { _, err := t.keySize(); return err == nil }

// String returns "AES256" or "AES128".
func (t EncryptType) String() string {
	switch t {
	case AES256:
		return "AES256"
	case AES128:
		return "AES128"
	}
	return fmt.Sprintf("EncryptType(%d)", int(t))
}

// KeyDerivation turns the seller access key into the AES key for an
// encryption type.
type KeyDerivation int

// The key derivations. The reference cannot settle which one KooGallery
// uses (it is never stated; see rules §1.5), so both are offered.
const (
	// RawKey uses the access key's UTF-8 bytes as the AES key; the key must
	// then be exactly 32 bytes for AES256 and 16 for AES128. It is the
	// default.
	RawKey KeyDerivation = iota
	// JavaSHA1PRNG reproduces Huawei's Java sample: the key is what
	// KeyGenerator("AES").init(bits, SHA1PRNG seeded with the access key's
	// UTF-8 bytes) generates. Any access key length works.
	JavaSHA1PRNG
)

// String returns "raw" or "java-sha1prng".
func (d KeyDerivation) String() string {
	switch d {
	case RawKey:
		return "raw"
	case JavaSHA1PRNG:
		return "java-sha1prng"
	}
	return fmt.Sprintf("KeyDerivation(%d)", int(d))
}

// DeriveKey returns the AES key for accessKey under derivation d and type t.
//
// Errors: *CredentialError wrapping ErrCredential for an unknown type or
// derivation, or a raw key of the wrong length.
func DeriveKey(accessKey string, t EncryptType, d KeyDerivation) ([]byte, error) {
	n, err := t.keySize()
	if err != nil {
		return nil, err
	}
	switch d {
	case RawKey:
		if len(accessKey) != n {
			return nil, &CredentialError{Reason: fmt.Sprintf("raw key derivation needs a %d-byte access key for %s, got %d bytes", n, t, len(accessKey))}
		}
		return []byte(accessKey), nil
	case JavaSHA1PRNG:
		return javaSHA1PRNGKey([]byte(accessKey), n), nil
	}
	return nil, &CredentialError{Reason: "unknown key derivation " + d.String()}
}

// ivLen is the clear-text IV prefix length of an encrypted value.
const ivLen = aes.BlockSize

// ivAlphabet is what the Java sample draws its IV characters from.
const ivAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// Crypter encrypts and decrypts app-info secrets in the protocol format
// iv + base64(AES-CBC-PKCS5(key, plaintext)), where iv is 16 ASCII
// characters used as the IV bytes. It holds the AES keys for both
// encryption types, so it can read either. It is safe for concurrent use.
type Crypter struct {
	blocks map[EncryptType]cipher.Block
	rand   io.Reader
}

// NewCrypter derives the AES keys for accessKey under d. A type whose key
// cannot be derived (a raw key of the wrong length) is left out; Encrypt and
// Decrypt then report it. rnd supplies IV randomness; nil means crypto/rand.
//
// Errors: *CredentialError wrapping ErrCredential when no encryption type
// is usable with this key and derivation.
func NewCrypter(accessKey string, d KeyDerivation, rnd io.Reader) (*Crypter, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	c := &Crypter{blocks: make(map[EncryptType]cipher.Block, 2), rand: rnd}
	var firstErr error
	for _, t := range []EncryptType{AES256, AES128} {
		key, err := DeriveKey(accessKey, t, d)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, &CredentialError{Reason: err.Error()}
		}
		c.blocks[t] = block
	}
	if len(c.blocks) == 0 {
		return nil, firstErr
	}
	return c, nil
}

// Supports reports whether t can be used with this Crypter's key.
func (c *Crypter) Supports(t EncryptType) bool { return c.blocks[t] != nil }

func (c *Crypter) block(t EncryptType) (cipher.Block, error) {
	if _, err := t.keySize(); err != nil {
		return nil, err
	}
	b := c.blocks[t]
	if b == nil {
		return nil, &CredentialError{Reason: fmt.Sprintf("no %s key: the access key does not fit this derivation", t)}
	}
	return b, nil
}

// Encrypt returns iv + base64(ciphertext) for plaintext under type t, with
// a fresh random alphanumeric IV.
//
// Errors: *CredentialError wrapping ErrCredential for an unusable type or a
// failing random source.
func (c *Crypter) Encrypt(t EncryptType, plaintext string) (string, error) {
	block, err := c.block(t)
	if err != nil {
		return "", err
	}
	var iv [ivLen]byte
	if _, err := io.ReadFull(c.rand, iv[:]); err != nil {
		return "", &CredentialError{Reason: "reading IV randomness: " + err.Error()}
	}
	for i, b := range iv {
		// 256 is a multiple of neither 62 nor a power of two near it; the
		// slight bias only affects the IV, which needs uniqueness, not
		// uniformity.
		iv[i] = ivAlphabet[int(b)%len(ivAlphabet)]
	}
	return encryptWithIV(block, iv[:], plaintext), nil
}

func encryptWithIV(block cipher.Block, iv []byte, plaintext string) string {
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	buf := make([]byte, len(plaintext)+pad)
	copy(buf, plaintext)
	for i := len(plaintext); i < len(buf); i++ {
		buf[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
	return string(iv) + base64.StdEncoding.EncodeToString(buf)
}

// Decrypt reverses Encrypt for a value produced under type t.
//
// Errors: *CredentialError wrapping ErrCredential when the type is
// unusable, the value is shorter than its IV, the rest is not base64 of
// whole AES blocks, or the padding is wrong (usually: a wrong key or type).
func (c *Crypter) Decrypt(t EncryptType, value string) (string, error) {
	block, err := c.block(t)
	if err != nil {
		return "", err
	}
	if len(value) < ivLen {
		return "", &CredentialError{Reason: "value shorter than its 16-character IV"}
	}
	iv := []byte(value[:ivLen])
	ct, err := base64.StdEncoding.DecodeString(value[ivLen:])
	if err != nil {
		return "", &CredentialError{Reason: "ciphertext is not base64"}
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return "", &CredentialError{Reason: "ciphertext is not a whole number of AES blocks"}
	}
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(ct, ct)
	pad := int(ct[len(ct)-1])
	if pad == 0 || pad > aes.BlockSize || !bytes.Equal(ct[len(ct)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return "", &CredentialError{Reason: "bad padding: wrong key, encryptType or derivation"}
	}
	return string(ct[:len(ct)-pad]), nil
}
