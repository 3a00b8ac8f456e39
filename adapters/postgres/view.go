package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengallery/opengallery/marketplace"
)

// beginRead starts View's snapshot; beginWrite an Update's transaction
// (READ COMMITTED).
const (
	beginRead  = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
	beginWrite = "BEGIN"
)

// lazyTx is the querier of View and Update: it sends BEGIN in the same
// round trip as the transaction's first statement (a pgx.Batch), which
// saves a round trip per transaction: a point read costs two (BEGIN+SELECT,
// ROLLBACK) instead of three.
type lazyTx struct {
	conn  *pgxpool.Conn
	begin string
	begun bool
}

func (l *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if l.begun {
		return l.conn.Exec(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(l.begin)
	b.Queue(sql, args...)
	br := l.conn.SendBatch(ctx, b)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		return pgconn.CommandTag{}, err
	}
	l.begun = true
	return br.Exec()
}

func (l *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if l.begun {
		return l.conn.Query(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(l.begin)
	b.Queue(sql, args...)
	br := l.conn.SendBatch(ctx, b)
	if _, err := br.Exec(); err != nil {
		br.Close()
		return nil, err
	}
	l.begun = true
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

// view runs fn on a pooled connection with a lazily begun read snapshot.
func (s *Store) view(ctx context.Context, fn func(q querier) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return wrapErr(ctx, "acquire", err)
	}
	l := &lazyTx{conn: conn, begin: beginRead}
	ferr := fn(l)
	if l.begun {
		if _, err := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
			// The connection is in an unknown state: drop it.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}
	conn.Release()
	return ferr
}

// update runs fn in a READ COMMITTED transaction begun with fn's first
// statement, committing if fn returns nil. The events fn appended are
// numbered and inserted in the same round trip as COMMIT.
func (s *Store) update(ctx context.Context, fn func(t *tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return wrapErr(ctx, "acquire", err)
	}
	defer conn.Release()
	l := &lazyTx{conn: conn, begin: beginWrite}
	t := &tx{ctx: ctx, q: l, s: &s.q, st: s}
	end := func(stmt string) (pgconn.CommandTag, error) {
		tag, err := conn.Exec(context.WithoutCancel(ctx), stmt)
		if err != nil {
			// The connection is in an unknown state: drop it.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
		return tag, err
	}
	if err := fn(t); err != nil {
		if l.begun {
			_, _ = end("ROLLBACK")
		}
		return err
	}
	if !l.begun && len(t.pending) == 0 {
		return nil // nothing was read or written
	}
	if err := ctx.Err(); err != nil {
		if l.begun {
			_, _ = end("ROLLBACK")
		}
		return err
	}
	var tag pgconn.CommandTag
	if len(t.pending) == 0 {
		tag, err = conn.Exec(ctx, "COMMIT")
	} else {
		tag, err = s.commitEvents(ctx, conn, l, t)
	}
	if err != nil {
		_ = conn.Conn().Close(context.WithoutCancel(ctx))
		if isConflict(err) {
			return &marketplace.ConflictError{Kind: "transaction"}
		}
		return wrapErr(ctx, "commit", err)
	}
	if tag.String() == "ROLLBACK" {
		// A statement failed inside the transaction and fn went on: the
		// server rolled everything back.
		return fmt.Errorf("postgres: commit: %w", pgx.ErrTxCommitRollback)
	}
	if len(t.pending) > 0 {
		t.numbered(t.last)
	}
	return nil
}

// commitEvents sends, in one round trip, BEGIN if nothing began the
// transaction yet, the statement that takes the sequencer's row lock and
// numbers and inserts t's events, and COMMIT: the lock is held for this
// round trip only, so transactions that append events run side by side
// and queue only for their commits. On success t.last is the new
// sequencer value.
func (s *Store) commitEvents(ctx context.Context, conn *pgxpool.Conn, l *lazyTx, t *tx) (pgconn.CommandTag, error) {
	b := &pgx.Batch{}
	if !l.begun {
		b.Queue(beginWrite)
	}
	t.queueEvents(b)
	b.Queue("COMMIT")
	br := conn.SendBatch(ctx, b)
	defer br.Close()
	if !l.begun {
		if _, err := br.Exec(); err != nil {
			return pgconn.CommandTag{}, err
		}
		l.begun = true
	}
	if err := br.QueryRow().Scan(&t.last); err != nil {
		return pgconn.CommandTag{}, fmt.Errorf("append events: %w", err)
	}
	return br.Exec()
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
