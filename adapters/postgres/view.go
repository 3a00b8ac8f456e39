package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// beginRead starts View's snapshot.
const beginRead = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

// lazyRead is View's querier: it sends BEGIN in the same round trip as
// the first statement (a pgx.Batch), so a point read costs two round trips
// (BEGIN+SELECT, ROLLBACK) instead of three.
type lazyRead struct {
	conn  *pgxpool.Conn
	begun bool
}

func (l *lazyRead) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if err := l.begin(ctx); err != nil {
		return pgconn.CommandTag{}, err
	}
	return l.conn.Exec(ctx, sql, args...)
}

func (l *lazyRead) begin(ctx context.Context) error {
	if l.begun {
		return nil
	}
	if _, err := l.conn.Exec(ctx, beginRead); err != nil {
		return err
	}
	l.begun = true
	return nil
}

func (l *lazyRead) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if l.begun {
		return l.conn.Query(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	b.Queue(beginRead)
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

func (l *lazyRead) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
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
	l := &lazyRead{conn: conn}
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
