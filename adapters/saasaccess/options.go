package saasaccess

import (
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/opengallery/opengallery/billing"
)

// Defaults of the protocol.
const (
	// DefaultTimeout is KooGallery's request timeout.
	DefaultTimeout = 5 * time.Second
	// DefaultMaxBodySize bounds request and response bodies (1 MiB).
	DefaultMaxBodySize = 1 << 20
	// DefaultWindow is how far a request timestamp may be from now.
	DefaultWindow = 60 * time.Second
)

// config is shared by Client and Handler; each option says which side
// reads it.
type config struct {
	now            func() time.Time
	random         io.Reader
	httpClient     *http.Client
	timeout        time.Duration
	maxBody        int64
	window         time.Duration
	allowSeconds   bool
	nonces         *NonceCache
	nonceCapacity  int
	requireBodySig bool
	bodySign       bool
	encryptType    EncryptType
	derivation     KeyDerivation
	location       *time.Location
	currency       billing.Currency
	logger         *slog.Logger
}

func defaultConfig() config {
	return config{
		now:         time.Now,
		timeout:     DefaultTimeout,
		maxBody:     DefaultMaxBodySize,
		window:      DefaultWindow,
		bodySign:    true,
		encryptType: AES256,
		derivation:  RawKey,
		location:    gmt8,
		currency:    billing.USD,
	}
}

// Option configures a Client or a Handler.
type Option func(*config)

// WithClock sets the clock (both sides): the Client stamps requests with it,
// the Handler checks timestamps and expires nonces with it. Default
// time.Now.
func WithClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// WithRandom sets the randomness (both sides) for nonces and credential
// IVs. Default crypto/rand. Tests pass a seeded source, which need not be
// safe for concurrent use: reads are serialised by a lock made here, so
// one Option value given to both a Client and a Handler shares the lock
// (two WithRandom calls over one source would not).
func WithRandom(r io.Reader) Option {
	var sr io.Reader
	if r != nil {
		sr = &syncReader{r: r}
	}
	return func(c *config) { c.random = sr }
}

// WithHTTPClient sets the Client's HTTP client (e.g. with custom TLS). Its
// own Timeout is left alone; WithTimeout still bounds each call.
func WithHTTPClient(hc *http.Client) Option { return func(c *config) { c.httpClient = hc } }

// WithTimeout sets the Client's per-call timeout. Default 5 s.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithMaxBodySize bounds request bodies (Handler) and response bodies
// (Client). Default 1 MiB.
func WithMaxBodySize(n int64) Option { return func(c *config) { c.maxBody = n } }

// WithWindow sets how far a request timestamp may be from the Handler's
// clock, either way. Default 60 s.
func WithWindow(d time.Duration) Option { return func(c *config) { c.window = d } }

// WithSecondsTimestamps makes the Handler also accept a 10-digit timestamp
// as UNIX seconds (reference ambiguity 4). Off by default.
func WithSecondsTimestamps() Option { return func(c *config) { c.allowSeconds = true } }

// WithNonceCache sets the Handler's nonce cache, e.g. to share one between
// several Handlers with the same key. Default: a new cache of
// DefaultNonceCapacity.
func WithNonceCache(nc *NonceCache) Option { return func(c *config) { c.nonces = nc } }

// WithRequireBodySign makes the Client refuse responses without a valid
// Body-Sign header. Off by default: a present header is always verified,
// a missing one is accepted, because V2's response signing format is not
// published (reference ambiguity 6).
func WithRequireBodySign() Option { return func(c *config) { c.requireBodySig = true } }

// WithoutBodySign stops the Handler from adding the Body-Sign header to
// its responses. It is added by default.
func WithoutBodySign() Option { return func(c *config) { c.bodySign = false } }

// WithEncryptType sets the AES variant (both sides) for credentials the
// Handler encrypts and the Client's default when a response names none.
// Default AES256 (encryptType 1).
func WithEncryptType(t EncryptType) Option { return func(c *config) { c.encryptType = t } }

// WithKeyDerivation sets how the AES key is derived from the access key
// (both sides). Default RawKey.
func WithKeyDerivation(d KeyDerivation) Option { return func(c *config) { c.derivation = d } }

// WithTimeZone sets the zone of the wire's yyyyMMddHHmmss times (both
// sides). Default GMT+08:00 (reference ambiguity 19).
func WithTimeZone(loc *time.Location) Option { return func(c *config) { c.location = loc } }

// WithCurrency sets the currency of orderAmount, which the wire does not
// carry (Handler). Default USD.
func WithCurrency(cur billing.Currency) Option { return func(c *config) { c.currency = cur } }

// WithLogger sets where the Handler reports refused requests and seller
// failures (never secrets or bodies). Default: discard.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// WithNonceCapacity sets the capacity of the Handler's own nonce cache
// (ignored with WithNonceCache). Default DefaultNonceCapacity.
func WithNonceCapacity(n int) Option { return func(c *config) { c.nonceCapacity = n } }

// build applies opts and checks the result.
func build(accessKey string, opts []Option) (config, error) {
	c := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.random == nil {
		c.random = rand.Reader
	}
	switch {
	case accessKey == "":
		return c, &ConfigError{Option: "access key", Reason: "is empty"}
	case c.now == nil:
		return c, &ConfigError{Option: "WithClock", Reason: "nil clock"}
	case c.timeout <= 0:
		return c, &ConfigError{Option: "WithTimeout", Reason: "must be positive"}
	case c.maxBody <= 0:
		return c, &ConfigError{Option: "WithMaxBodySize", Reason: "must be positive"}
	case c.window <= 0:
		return c, &ConfigError{Option: "WithWindow", Reason: "must be positive"}
	case !c.encryptType.Valid():
		return c, &ConfigError{Option: "WithEncryptType", Reason: "must be AES256 (1) or AES128 (2)"}
	case c.derivation != RawKey && c.derivation != JavaSHA1PRNG:
		return c, &ConfigError{Option: "WithKeyDerivation", Reason: "unknown derivation"}
	case c.location == nil:
		return c, &ConfigError{Option: "WithTimeZone", Reason: "nil location"}
	case !c.currency.Valid():
		return c, &ConfigError{Option: "WithCurrency", Reason: "unknown currency " + string(c.currency)}
	}
	return c, nil
}

// syncReader serialises reads from a caller's random source, which need not
// be safe for concurrent use (a seeded test source).
type syncReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (s *syncReader) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r.Read(p)
}
