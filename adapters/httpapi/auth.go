package httpapi

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/opengallery/opengallery/marketplace"
)

// ErrUnauthenticated is returned by an Authenticator that cannot establish
// who is calling. The handler answers 401 with code "unauthenticated".
var ErrUnauthenticated = errors.New("httpapi: unauthenticated")

// Authenticator is the authentication port: it turns a request into the
// acting party. Hosts plug in their own identity system; authorization
// stays in the marketplace use cases.
type Authenticator interface {
	// Authenticate returns the actor making r.
	//
	// Errors: ErrUnauthenticated (wrapped or not) when r carries no valid
	// credentials; anything else is treated as an internal fault, and so is
	// an actor that does not validate.
	Authenticate(r *http.Request) (marketplace.Actor, error)
}

// AuthenticatorFunc adapts a function to Authenticator.
type AuthenticatorFunc func(r *http.Request) (marketplace.Actor, error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (marketplace.Actor, error) { return f(r) }

// StaticTokens authenticates "Authorization: Bearer <token>" against a fixed
// table, for examples and tests. Tokens are compared by their SHA-256 so
// that lookup time does not depend on how much of a token matches.
type StaticTokens struct {
	byHash map[[sha256.Size]byte]marketplace.Actor
}

// NewStaticTokens builds the table from token → actor.
//
// Errors: marketplace.ErrInvalidInput for an empty token or an invalid actor.
func NewStaticTokens(tokens map[string]marketplace.Actor) (*StaticTokens, error) {
	s := &StaticTokens{byHash: make(map[[sha256.Size]byte]marketplace.Actor, len(tokens))}
	for tok, a := range tokens {
		if tok == "" {
			return nil, fmt.Errorf("httpapi: static tokens: %w", &marketplace.InputError{Field: "token", Value: "", Reason: "must not be empty"})
		}
		if err := a.Validate(); err != nil {
			return nil, fmt.Errorf("httpapi: static token for %s: %w", a, err)
		}
		s.byHash[sha256.Sum256([]byte(tok))] = a
	}
	return s, nil
}

// Authenticate implements Authenticator.
//
// Errors: ErrUnauthenticated for a missing, malformed or unknown token.
func (s *StaticTokens) Authenticate(r *http.Request) (marketplace.Actor, error) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return marketplace.Actor{}, ErrUnauthenticated
	}
	a, ok := s.byHash[sha256.Sum256([]byte(strings.TrimSpace(tok)))]
	if !ok {
		return marketplace.Actor{}, ErrUnauthenticated
	}
	return a, nil
}
