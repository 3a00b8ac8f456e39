package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// beginRead starts View's snapshot (queueBegin an Update's transaction).
const beginRead = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

// lazyTx is the querier of View: it sends BEGIN in the same round trip as
// the snapshot's first statement (a pgx.Batch), or, on a connection parked
// with a snapshot of a previous View (see parking), ROLLBACK AND CHAIN: a
// point read costs one round trip.
type lazyTx struct {
	conn     *pgxpool.Conn
	begin    string
	rollback bool // the connection still has a parked snapshot to end
	begun    bool
}

// batch starts the round trip of the first statement: BEGIN, or on a
// parked connection ROLLBACK AND CHAIN (which ends the old snapshot and
// begins a transaction like it, in one statement), then sql; it returns
// the results positioned at sql.
func (l *lazyTx) batch(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{QueuedQueries: make([]*pgx.QueuedQuery, 0, 2)}
	if l.rollback {
		b.Queue("ROLLBACK AND CHAIN")
	} else {
		b.Queue(l.begin)
	}
	b.Queue(sql, args...)
	br := l.conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return nil, err
	}
	l.rollback, l.begun = false, true
	return br, nil
}

func (l *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if l.begun {
		return l.conn.Exec(ctx, sql, args...)
	}
	br, err := l.batch(ctx, sql, args)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	defer br.Close()
	return br.Exec()
}

func (l *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if l.begun {
		return l.conn.Query(ctx, sql, args...)
	}
	br, err := l.batch(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

func (l *lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if l.begun {
		return l.conn.QueryRow(ctx, sql, args...)
	}
	rows, err := l.Query(ctx, sql, args...)
	return &firstRow{rows: rows, err: err}
}

// batchRows closes the batch with the rows.
type batchRows struct {
	pgx.Rows
	br pgx.BatchResults
}

func (r *batchRows) Close() {
	r.Rows.Close()
	r.br.Close()
}

// firstRow is pgx.Row over rows, as pgx's own QueryRow does.
type firstRow struct {
	rows pgx.Rows
	err  error
}

func (r *firstRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

// view runs fn with a lazily begun read snapshot, on a parked connection
// if there is one (its old snapshot is rolled back in the first round
// trip) or a pooled one. Afterwards the connection is parked with its
// snapshot still open, so that the ROLLBACK travels with the next View's
// first statement instead of costing a round trip of its own.
func (s *Store) view(ctx context.Context, fn func(q querier) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	l := &lazyTx{begin: beginRead}
	var parkedAt time.Time
	if l.conn, parkedAt = s.parked.take(); l.conn != nil {
		l.rollback = true
	} else {
		conn, err := s.pool.Acquire(ctx)
		if err != nil {
			return wrapErr(ctx, "acquire", err)
		}
		l.conn = conn
	}
	defer func() {
		// fn panicked: end its snapshot and give the connection back
		// (closed if that fails) before the panic goes on.
		if r := recover(); r != nil {
			release(l.conn)
			panic(r)
		}
	}()
	ferr := fn(l)
	switch {
	case l.begun:
		s.parked.park(l.conn, s.pool, time.Now())
	case l.rollback:
		s.parked.park(l.conn, s.pool, parkedAt)
	default:
		l.conn.Release()
	}
	return ferr
}

// readBatch sends BEGIN (a read-only snapshot) and the queries queue adds
// in one pgx.Batch, so a list query's count and page cost one round trip
// plus the ROLLBACK.
func (s *Store) readBatch(ctx context.Context, queue func(b *pgx.Batch), read func(br pgx.BatchResults) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return wrapErr(ctx, "acquire", err)
	}
	defer conn.Release()
	b := &pgx.Batch{}
	b.Queue(beginRead)
	queue(b)
	br := conn.SendBatch(ctx, b)
	_, berr := br.Exec()
	err = berr
	if err == nil {
		err = read(br)
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if berr == nil {
		if _, rerr := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}
	return err
}
