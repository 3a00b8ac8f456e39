package postgres

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrInvalidOption is returned by Open and New for an option value they
// cannot use.
var ErrInvalidOption = errors.New("postgres: invalid option")

type options struct {
	schema   string
	eagerSeq bool
}

// Option configures Open and New.
type Option func(*options)

// WithSchema keeps every table in the named schema instead of the
// connection's search_path (the default, normally "public"). Migrate creates
// the schema if it does not exist. Tests use it to give each run its own
// schema.
func WithSchema(name string) Option { return func(o *options) { o.schema = name } }

// WithEagerSequence makes AppendEvent number the event at once, taking the
// sequencer's row lock for the rest of the transaction, so that e.Seq is
// exact when AppendEvent returns. By default the events are numbered in
// the round trip that commits, which holds that lock far shorter (event
// writers no longer commit strictly one at a time for the whole
// transaction) but leaves e.Seq provisional until Update returns; see the
// package documentation.
func WithEagerSequence() Option { return func(o *options) { o.eagerSeq = true } }

var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// Store is the PostgreSQL implementation of marketplace.Store, for
// marketplaces that run as several processes on one database. It is safe for
// concurrent use.
type Store struct {
	pool     *pgxpool.Pool
	owned    bool   // Close closes the pool
	schema   string // empty: search_path
	q        sqlText
	eagerSeq bool
	// lastSeq is the highest event number this store has seen committed
	// (valid once seqKnown): the base of AppendEvent's provisional numbers.
	lastSeq  atomic.Int64
	seqKnown atomic.Bool
	// group queues concurrent Updates' writes for shared commits.
	group committer
	// parked are View connections whose snapshot ends with the next View.
	parked parking
}

// Open connects a pool to dsn (a PostgreSQL URL or key=value string) and
// returns a store that owns it. It does not change the schema: call Migrate.
//
// Errors: ErrInvalidOption; an error wrapping pgx's when the DSN is invalid
// or the server cannot be reached.
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse dsn: %w", err)
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: ping: %w", err)
	}
	return newStore(pool, true, o), nil
}

// New returns a store over a pool the host owns (Close leaves it open).
//
// Errors: ErrInvalidOption for a nil pool or a bad option.
func New(pool *pgxpool.Pool, opts ...Option) (*Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("%w: nil pool", ErrInvalidOption)
	}
	o, err := buildOptions(opts)
	if err != nil {
		return nil, err
	}
	return newStore(pool, false, o), nil
}

func buildOptions(opts []Option) (options, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.schema != "" && !schemaName.MatchString(o.schema) {
		return o, fmt.Errorf("%w: schema %q (want lower-case letters, digits and _)", ErrInvalidOption, o.schema)
	}
	return o, nil
}

func newStore(pool *pgxpool.Pool, owned bool, o options) *Store {
	return &Store{pool: pool, owned: owned, schema: o.schema, q: buildSQL(o.schema), eagerSeq: o.eagerSeq}
}

// Pool returns the store's connection pool.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Schema returns the schema the store's tables live in ("" for the
// connection's search_path).
func (s *Store) Schema() string { return s.schema }

// Close ends the read snapshots View keeps open between calls (returning
// their connections to the pool) and closes the pool if Open created it.
func (s *Store) Close() {
	s.parked.close()
	if s.owned {
		s.pool.Close()
	}
}

// DropSchema drops the store's schema and everything in it. Tests call it
// on cleanup; it refuses to run without WithSchema.
//
// Errors: ErrInvalidOption without a schema; pgx errors.
func (s *Store) DropSchema(ctx context.Context) error {
	if s.schema == "" {
		return fmt.Errorf("%w: DropSchema needs WithSchema", ErrInvalidOption)
	}
	_, err := s.pool.Exec(ctx, "DROP SCHEMA IF EXISTS "+pgx.Identifier{s.schema}.Sanitize()+" CASCADE")
	if err != nil {
		return fmt.Errorf("postgres: drop schema %s: %w", s.schema, err)
	}
	return nil
}
