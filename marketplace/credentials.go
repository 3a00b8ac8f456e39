package marketplace

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"fmt"
)

// credentials seals SaaS passwords with AES-GCM under the host's key, so
// that the store never holds them in clear. The nonce is prepended to the
// ciphertext; the resource id is the additional data, so a ciphertext
// copied to another resource does not open.
type credentials struct {
	aead cipher.AEAD
}

func newCredentials(key []byte) (*credentials, error) {
	switch len(key) {
	case 16, 24, 32:
	default:
		return nil, inputErr("credential_key", fmt.Sprintf("%d bytes", len(key)), "must be 16, 24 or 32 bytes (AES-128/192/256)")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("marketplace: credential key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("marketplace: credential key: %w", err)
	}
	return &credentials{aead: aead}, nil
}

func (c *credentials) seal(resourceID, password string) []byte {
	if password == "" {
		return nil
	}
	nonce := make([]byte, c.aead.NonceSize(), c.aead.NonceSize()+len(password)+c.aead.Overhead())
	_, _ = rand.Read(nonce)
	return c.aead.Seal(nonce, nonce, []byte(password), []byte(resourceID))
}

func (c *credentials) open(resourceID string, sealed []byte) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	n := c.aead.NonceSize()
	if len(sealed) < n {
		return "", fmt.Errorf("marketplace: stored credential is truncated")
	}
	plain, err := c.aead.Open(nil, sealed[:n], sealed[n:], []byte(resourceID))
	if err != nil {
		return "", fmt.Errorf("marketplace: stored credential does not open with this key: %w", err)
	}
	return string(plain), nil
}
