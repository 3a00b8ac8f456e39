package marketplace

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/supervision"
)

// Service is the marketplace's use cases over a Store. Build it with New;
// it is safe for concurrent use.
type Service struct {
	store     Store
	clock     Clock
	cfg       billing.Config
	policy    supervision.Policy
	delivery  provisioning.DeliveryPolicy
	payments  PaymentPort
	saas      SaaSResolver
	deployer  provisioning.Deployer
	catalog   provisioning.Catalog
	creds     *credentials
	ids       IDGenerator
	payWindow time.Duration
	log       *slog.Logger
	batch     int
	txBatch   int
	// txInFlight is how many transactions claiming due resources RunDue
	// runs at once (WithRunnerTxInFlight).
	txInFlight int
	lease      time.Duration
	owner      string
}

// SaaSResolver finds the SaaS endpoint of a seller's product.
type SaaSResolver interface {
	// SaaSFor returns the endpoint serving product.
	//
	// Errors: ErrNotFound when the seller has none; anything else is
	// treated as unavailable and retried.
	SaaSFor(ctx context.Context, product Product) (provisioning.SaaS, error)
}

type oneSaaS struct{ p provisioning.SaaS }

func (o oneSaaS) SaaSFor(context.Context, Product) (provisioning.SaaS, error) { return o.p, nil }

// Option configures a Service.
type Option func(*Service) error

// WithClock sets the clock (default: real time).
func WithClock(c Clock) Option { return func(s *Service) error { s.clock = c; return nil } }

// WithBillingConfig sets the billing rules (default billing.DefaultConfig).
//
// New fails with billing's *InputError when the configuration is invalid.
func WithBillingConfig(cfg billing.Config) Option {
	return func(s *Service) error {
		if err := cfg.Validate(); err != nil {
			return err
		}
		s.cfg = cfg
		return nil
	}
}

// WithSupervisionPolicy sets the supervision policy (default
// supervision.DefaultPolicy).
func WithSupervisionPolicy(p supervision.Policy) Option {
	return func(s *Service) error {
		if err := p.Validate(); err != nil {
			return err
		}
		s.policy = p
		return nil
	}
}

// WithDeliveryPolicy sets the provisioning retry policy (default
// provisioning.DefaultDeliveryPolicy).
func WithDeliveryPolicy(p provisioning.DeliveryPolicy) Option {
	return func(s *Service) error {
		if err := p.Validate(); err != nil {
			return err
		}
		s.delivery = p
		return nil
	}
}

// WithPayments sets the payment port (default: BalancePayments over the
// store).
func WithPayments(p PaymentPort) Option { return func(s *Service) error { s.payments = p; return nil } }

// WithSaaS sets one SaaS endpoint for every SaaS product.
func WithSaaS(p provisioning.SaaS) Option {
	return func(s *Service) error { s.saas = oneSaaS{p}; return nil }
}

// WithSaaSResolver sets how the SaaS endpoint of a product is found.
func WithSaaSResolver(r SaaSResolver) Option {
	return func(s *Service) error { s.saas = r; return nil }
}

// WithDeployer sets the VM deployer for image products and the
// infrastructure catalog their purchases are planned and priced against.
func WithDeployer(d provisioning.Deployer, catalog provisioning.Catalog) Option {
	return func(s *Service) error {
		if err := catalog.Validate(); err != nil {
			return err
		}
		s.deployer, s.catalog = d, catalog
		return nil
	}
}

// WithCredentialKey sets the AES key (16, 24 or 32 bytes) SaaS passwords
// are sealed with in the store. Without it a random key is made at start,
// so stored passwords do not survive a restart: hosts should supply one.
func WithCredentialKey(key []byte) Option {
	return func(s *Service) error {
		c, err := newCredentials(key)
		if err != nil {
			return err
		}
		s.creds = c
		return nil
	}
}

// WithIDGenerator sets how ids and order numbers are made (default:
// time-ordered ids with 80 random bits, see IDGenerator, and random order
// numbers).
func WithIDGenerator(g IDGenerator) Option { return func(s *Service) error { s.ids = g; return nil } }

// WithPaymentWindow sets how long an order may stay unpaid before it is
// cancelled (default 24 hours).
func WithPaymentWindow(d time.Duration) Option {
	return func(s *Service) error {
		if d <= 0 {
			return inputErr("payment_window", d, "must be positive")
		}
		s.payWindow = d
		return nil
	}
}

// WithLogger sets the logger for failures the runner records and retries
// (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(s *Service) error { s.log = l; return nil } }

// WithRunner tunes RunDue: the batch size, the lease a claim holds, and the
// owner name this process claims as (default 100, 5 minutes, "runner").
func WithRunner(batch int, lease time.Duration, owner string) Option {
	return func(s *Service) error {
		if batch < 1 || lease <= 0 || owner == "" {
			return inputErr("runner", fmt.Sprint(batch, lease, owner), "batch ≥ 1, lease > 0 and an owner are required")
		}
		s.batch, s.lease, s.owner = batch, lease, owner
		return nil
	}
}

// WithRunnerTxBatch sets how many due items the runner applies in one
// store transaction when their work stays in the store (a resource moving
// through grace, retention and release, or rescheduled): default 64; 1
// gives every item its own transaction. If a batch's transaction fails,
// its items are retried one by one, so one bad item cannot hold up the
// others.
//
// Errors: *InputError when n < 1.
func WithRunnerTxBatch(n int) Option {
	return func(s *Service) error {
		if n < 1 {
			return inputErr("runner_tx_batch", n, "must be at least 1")
		}
		s.txBatch = n
		return nil
	}
}

// WithRunnerTxInFlight sets how many transactions that claim due
// resources (when the store's Tx is a DueResourceTx: see RunDue) the
// runner keeps in flight at once: default 3, so that on PostgreSQL one
// transaction's commit waits for its WAL flush while another's statements
// run and a third's documents are decoded, moved on and encoded in the
// client; 1 runs them one after another. More start only once a batch
// came back full, so a pass with little due work costs one transaction.
// Each transaction holds the resources it claimed until it ends, so no
// resource is claimed twice however many run. On PostgreSQL each holds a
// pool connection while it runs (the others wait for one). A store that
// runs one transaction at a time (SQLite's writer, memory) runs them in
// turn; SQLite's writer may commit them together.
//
// Errors: *InputError when n < 1.
func WithRunnerTxInFlight(n int) Option {
	return func(s *Service) error {
		if n < 1 {
			return inputErr("runner_tx_in_flight", n, "must be at least 1")
		}
		s.txInFlight = n
		return nil
	}
}

// New returns a Service over store.
//
// Errors: *InputError (ErrInvalidInput) for a nil store or a bad option;
// the option's own validation errors (billing, supervision, provisioning).
func New(store Store, opts ...Option) (*Service, error) {
	if store == nil {
		return nil, inputErr("store", nil, "is required")
	}
	s := &Service{
		store: store, cfg: billing.DefaultConfig(), policy: supervision.DefaultPolicy(),
		delivery: provisioning.DefaultDeliveryPolicy(), ids: randomIDs{}, payWindow: 24 * time.Hour,
		log: slog.Default(), batch: 100, txBatch: 64, txInFlight: 3, lease: 5 * time.Minute, owner: "runner",
	}
	for _, o := range opts {
		if err := o(s); err != nil {
			return nil, err
		}
	}
	if s.creds == nil {
		key := make([]byte, 32)
		_, _ = randRead(key)
		s.creds, _ = newCredentials(key)
	}
	if s.payments == nil {
		s.payments = NewBalancePayments(store, s.now, s.ids)
	}
	return s, nil
}

// now reads the clock once, in UTC at microsecond precision (what every
// store keeps).
func (s *Service) now() time.Time {
	var t time.Time
	if s.clock == nil {
		t = realNow()
	} else {
		t = s.clock.Now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// Store returns the service's store, for hosts that read it directly.
func (s *Service) Store() Store { return s.store }

// BillingConfig returns the billing rules in force.
func (s *Service) BillingConfig() billing.Config { return s.cfg }

// SupervisionPolicy returns the supervision policy in force.
func (s *Service) SupervisionPolicy() supervision.Policy { return s.policy }

// update runs fn in a store transaction, retrying lost optimistic races.
func (s *Service) update(ctx context.Context, fn func(tx Tx) error) error {
	return retryConflicts(ctx, func(ctx context.Context) error { return s.store.Update(ctx, fn) })
}

// emit appends an event.
func emit(tx Tx, at time.Time, actor Actor, kind Kind, id, typ, from, to string, data any) error {
	e := Event{At: at, Kind: kind, AggregateID: id, Type: typ, Actor: actor, From: from, To: to}
	if data != nil {
		e.Data = eventData(data)
	}
	return tx.AppendEvent(&e)
}

// checkActor validates the actor and, when roles is not empty, that its
// role is one of them.
func checkActor(a Actor, action string, roles ...Role) error {
	if err := a.Validate(); err != nil {
		return err
	}
	if len(roles) == 0 {
		return nil
	}
	for _, r := range roles {
		if a.Role == r {
			return nil
		}
	}
	return &NotAllowedError{Actor: a, Action: action}
}

// notFound is the answer for things that do not exist or are not the
// actor's.
func notFound(kind Kind, id string) error { return &NotFoundError{Kind: kind, ID: id} }

// wrapBilling turns billing's refusals into marketplace errors that keep
// billing's sentinel in the chain: input errors stay input errors; the
// rules' refusals are state conflicts.
func wrapBilling(kind Kind, id, action string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, billing.ErrInvalidInput) || errors.Is(err, billing.ErrUnknownCurrency) ||
		errors.Is(err, billing.ErrPriceMissing) || errors.Is(err, billing.ErrCurrencyMismatch) || errors.Is(err, billing.ErrDowngrade) {
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return &ruleError{StateError: StateError{Kind: kind, ID: id, Action: action, Reason: err.Error()}, err: err}
}

// ruleError is a StateError caused by a billing or supervision rule; it
// wraps both ErrConflict and the rule's own error.
type ruleError struct {
	StateError
	err error
}

func (e *ruleError) Unwrap() []error { return []error{ErrConflict, e.err} }
