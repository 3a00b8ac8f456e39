package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengallery/opengallery/marketplace"
)

// staleWriteCode is the SQLSTATE og_expect_rows raises when a batched
// optimistic UPDATE matched fewer rows than it wrote (migration 0002).
const staleWriteCode = "OGV01"

// updConn is the querier of Update. Reads run on the connection as they
// come: outside any transaction until something begins one, each in its
// own snapshot, as every statement of a READ COMMITTED transaction is.
// Statements that must run inside the transaction (saved-item writes,
// eager event numbering) begin it in their own round trip (BEGIN and the
// statement in one pgx.Batch).
type updConn struct {
	conn  *pgxpool.Conn
	begun bool
	// failed is the error that ended the transaction early (a flush that
	// failed): Update returns it even if fn goes on.
	failed error
}

// Exec runs a write inside the transaction.
func (c *updConn) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if c.begun {
		return c.conn.Exec(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	queueBegin(b)
	b.Queue(sql, args...)
	br := c.conn.SendBatch(ctx, b)
	defer br.Close()
	for range beginStatements {
		if _, err := br.Exec(); err != nil {
			return pgconn.CommandTag{}, err
		}
	}
	c.begun = true
	return br.Exec()
}

// Query runs a read as it comes (see updConn).
func (c *updConn) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return c.conn.Query(ctx, sql, args...)
}

// QueryRow runs a read as it comes (see updConn).
func (c *updConn) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return c.conn.QueryRow(ctx, sql, args...)
}

// queryRowTx runs a statement that returns a row inside the transaction.
func (c *updConn) queryRowTx(ctx context.Context, sql string, args ...any) pgx.Row {
	if c.begun {
		return c.conn.QueryRow(ctx, sql, args...)
	}
	b := &pgx.Batch{}
	queueBegin(b)
	b.Queue(sql, args...)
	br := c.conn.SendBatch(ctx, b)
	for range beginStatements {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return &firstRow{err: err}
		}
	}
	c.begun = true
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return &firstRow{err: err}
	}
	return &firstRow{rows: &batchRows{Rows: rows, br: br}}
}

// update runs fn, then sends in one round trip BEGIN (unless a statement
// of fn began the transaction), the buffered writes with their version
// checks, the events with the sequencer, and COMMIT (commitBatch) — with
// the write sets of concurrent transactions (groupCommit) unless fn began
// the transaction on its connection.
func (s *Store) update(ctx context.Context, fn func(t *tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return wrapErr(ctx, "acquire", err)
	}
	c := &updConn{conn: conn}
	t := &tx{ctx: ctx, q: c, s: &s.q, st: s, c: c, w: newWriteSet(), lock: marketplace.Retrying(ctx)}
	err = runUpdateFn(conn, fn, t)
	if err == nil {
		err = c.failed
	}
	if err == nil {
		err = ctx.Err()
	}
	switch {
	case err != nil:
		if c.begun {
			rollback(ctx, conn)
		}
	case c.begun:
		// Once COMMIT is on its way, cancelling could only make the
		// outcome unknown (the server may have committed): the round trip
		// runs to its end, as a group commit's does.
		err = s.commit(context.WithoutCancel(ctx), conn, true, t.w)
	case !t.w.empty():
		return s.groupCommit(ctx, conn, t.w) // releases conn
	}
	// Otherwise nothing was written: the reads needed no transaction.
	conn.Release()
	return err
}

// runUpdateFn runs fn. If fn panics, the connection goes back to the pool
// first: pgxpool closes a connection released inside a transaction, so the
// server rolls back whatever fn began and frees its row locks (due rows
// claimed FOR UPDATE, the sequencer) instead of keeping them for the life
// of the process.
func runUpdateFn(conn *pgxpool.Conn, fn func(t *tx) error, t *tx) error {
	defer func() {
		if r := recover(); r != nil {
			conn.Release()
			panic(r)
		}
	}()
	return fn(t)
}

// beginStatements are the statements queueBegin queues.
const beginStatements = 2

// queueBegin queues the start of an Update's transaction: BEGIN (READ
// COMMITTED), and generic plans for its statements. The batched writes
// take arrays, whose length a generic plan cannot know; its estimate is
// higher than a custom plan's, so PostgreSQL would otherwise plan every
// execution again (a few hundred microseconds a statement) to arrive at
// the same plan: unnest, then the primary key index.
func queueBegin(b *pgx.Batch) {
	b.Queue("BEGIN")
	b.Queue("SET LOCAL plan_cache_mode = force_generic_plan")
}

// rollback ends the connection's transaction; a connection that cannot is
// closed (its state is unknown), so the pool does not reuse it.
func rollback(ctx context.Context, conn *pgxpool.Conn) {
	if _, err := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); err != nil {
		_ = conn.Conn().Close(context.WithoutCancel(ctx))
	}
}

// step is one statement of a round trip that writes, and what its
// failure means.
type step struct {
	kind marketplace.Kind // the aggregate kind written (KindIdempotency, "event", "lease", "" for BEGIN/COMMIT)
	rows []*bufRow        // the rows written, for the conflict's details
	keys []string         // the idempotency keys written
	scan bool             // the statement returns one value to read
}

// commit sends w's pending writes and COMMIT in one round trip (BEGIN
// first unless begun) and maps a failure to the store's errors (see
// failure).
func (s *Store) commit(ctx context.Context, conn *pgxpool.Conn, begun bool, w *writeSet) error {
	b := &pgx.Batch{}
	var steps []step
	if !begun {
		queueBegin(b)
		steps = append(steps, make([]step, beginStatements)...)
	}
	steps = s.queueWrites(b, w, steps)
	if len(w.pending) > 0 {
		w.queueEvents(b, &s.q)
		steps = append(steps, step{kind: "event", scan: true})
	}
	b.Queue("COMMIT")
	steps = append(steps, step{})
	last, err := s.roundTrip(ctx, conn, b, steps, nil)
	if err != nil {
		return err
	}
	if len(w.pending) > 0 {
		w.numbered(s, last)
	}
	return nil
}

// flush sends, inside the transaction (begun in the same round trip if
// need be), w's pending writes and then the statements more queues, whose
// results then reads: a statement that must see the transaction's writes
// (DueResources). After it the rows are no longer pending, and a later put
// of one is checked against the version written here.
func (s *Store) flush(ctx context.Context, c *updConn, w *writeSet, more func(b *pgx.Batch), then func(br pgx.BatchResults) error) error {
	b := &pgx.Batch{}
	var steps []step
	if !c.begun {
		queueBegin(b)
		steps = append(steps, make([]step, beginStatements)...)
	}
	steps = s.queueWrites(b, w, steps)
	more(b)
	_, err := s.roundTrip(ctx, c.conn, b, steps, then)
	if err != nil {
		// The transaction is gone (roundTrip rolled it back or closed the
		// connection): Update must not commit.
		c.begun, c.failed = false, err
		return err
	}
	c.begun = true
	w.flushed()
	return nil
}

// roundTrip sends b, reads the results of its first len(steps) statements
// as steps says, then lets then read the rest. It returns the value the
// event step returned. On failure it rolls the transaction back and
// returns the store's error for it (see failure).
func (s *Store) roundTrip(ctx context.Context, conn *pgxpool.Conn, b *pgx.Batch, steps []step, then func(br pgx.BatchResults) error) (int64, error) {
	br := conn.SendBatch(ctx, b)
	var last int64
	failed, err := -1, error(nil)
	for i, st := range steps {
		if st.scan {
			var v int64
			err = br.QueryRow().Scan(&v)
			if st.kind == "event" {
				last = v
			}
		} else {
			var tag pgconn.CommandTag
			tag, err = br.Exec()
			if err == nil && tag.String() == "ROLLBACK" {
				// COMMIT after a statement failed inside the transaction
				// and fn went on: the server rolled everything back.
				err = pgx.ErrTxCommitRollback
			}
		}
		if err != nil {
			failed = i
			break
		}
	}
	if failed < 0 && then != nil {
		if err = then(br); err != nil {
			failed = len(steps)
		}
	}
	cerr := br.Close()
	if failed < 0 && cerr != nil {
		failed, err = len(steps), cerr
	}
	if failed < 0 {
		return last, nil
	}
	st := step{}
	if failed < len(steps) {
		st = steps[failed]
	}
	return 0, s.failure(ctx, conn, st, err)
}

// failure ends a transaction whose round trip failed at st with err and
// returns the store's error for it: a stale or duplicate write is a
// *marketplace.ConflictError with its kind, id and versions (read after
// the ROLLBACK), a collision PostgreSQL reports (serialization failure,
// deadlock) a *marketplace.ConflictError too, a broken connection or an
// ended context closes the connection.
func (s *Store) failure(ctx context.Context, conn *pgxpool.Conn, st step, err error) error {
	if errors.Is(err, pgx.ErrTxCommitRollback) {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || ctx.Err() != nil {
		// Not the server refusing a statement (the connection broke, the
		// context ended): whether anything ran is unknown, so the
		// connection goes.
		_ = conn.Conn().Close(context.WithoutCancel(ctx))
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("postgres: commit: %w", err)
	}
	// The server refused a statement: the transaction is aborted and the
	// rest of the batch was skipped, COMMIT included.
	if _, rerr := conn.Exec(context.WithoutCancel(ctx), "ROLLBACK"); rerr != nil {
		_ = conn.Conn().Close(context.WithoutCancel(ctx))
		return wrapErr(ctx, "commit", err)
	}
	switch {
	case pgErr.Code == staleWriteCode || (pgErr.Code == "23505" && len(st.rows) > 0):
		return s.staleConflict(ctx, conn, st)
	case pgErr.Code == "23505" && st.kind == marketplace.KindIdempotency:
		return s.idemConflict(ctx, conn, st)
	case pgErr.Code == "25P02":
		// in_failed_sql_transaction: a statement fn ran inside the
		// transaction failed and fn went on.
		return fmt.Errorf("postgres: commit: %w", pgx.ErrTxCommitRollback)
	case isConflict(err):
		kind := st.kind
		if kind == "" {
			kind = "transaction"
		}
		return &marketplace.ConflictError{Kind: kind}
	}
	if st.kind == "" {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return fmt.Errorf("postgres: write %s: %w", st.kind, err)
}

// staleConflict explains a failed write of st's rows from the versions
// stored now: the first row whose version is not the one the transaction
// read (or that exists, for a create).
func (s *Store) staleConflict(ctx context.Context, conn *pgxpool.Conn, st step) error {
	ids := make([]string, len(st.rows))
	for i, r := range st.rows {
		ids[i] = r.id
	}
	have := map[string]int64{}
	rows, err := conn.Query(ctx, s.q.kinds[st.kind].versions, ids)
	if err == nil {
		for rows.Next() {
			var id string
			var v int64
			if rows.Scan(&id, &v) == nil {
				have[id] = v
			}
		}
		rows.Close()
	}
	for _, r := range st.rows {
		if have[r.id] != r.old {
			return &marketplace.ConflictError{Kind: st.kind, ID: r.id, Want: r.old, Have: have[r.id]}
		}
	}
	// Every row is back at the version read (cannot happen: versions only
	// grow) or the lookup failed: name the kind.
	return &marketplace.ConflictError{Kind: st.kind, ID: st.rows[0].id, Want: st.rows[0].old, Have: have[st.rows[0].id]}
}

// idemConflict names the idempotency key that already exists.
func (s *Store) idemConflict(ctx context.Context, conn *pgxpool.Conn, st step) error {
	id := st.keys[0]
	rows, err := conn.Query(ctx, s.q.idemKeys, st.keys)
	if err == nil {
		if rows.Next() {
			_ = rows.Scan(&id)
		}
		rows.Close()
	}
	return &marketplace.ConflictError{Kind: marketplace.KindIdempotency, ID: id, Have: 1}
}

// queueWrites adds w's pending writes to b and their steps to steps: per
// kind (in writeOrder, ids sorted) one UPDATE of the rows read at a version
// and one INSERT of the new ones; one INSERT of the idempotency records;
// the leases LeaseResources asked for.
func (s *Store) queueWrites(b *pgx.Batch, w *writeSet, steps []step) []step {
	for _, kind := range writeOrder {
		var ups, ins []*bufRow
		for _, r := range w.byKind[kind] {
			switch {
			case !r.pending:
			case r.old == 0:
				ins = append(ins, r)
			default:
				ups = append(ups, r)
			}
		}
		q := s.q.kinds[kind]
		if len(ups) > 0 {
			slices.SortFunc(ups, func(a, b *bufRow) int { return strings.Compare(a.id, b.id) })
			b.Queue(q.update, rowArgs(kind, ups, true)...)
			steps = append(steps, step{kind: kind, rows: ups, scan: true})
		}
		if len(ins) > 0 {
			slices.SortFunc(ins, func(a, b *bufRow) int { return strings.Compare(a.id, b.id) })
			b.Queue(q.insert, rowArgs(kind, ins, false)...)
			steps = append(steps, step{kind: kind, rows: ins})
		}
	}
	if n := len(w.idem) - w.idemSent; n > 0 {
		keys, docs := make([]string, n), make([]string, n)
		for i, r := range w.idem[w.idemSent:] {
			keys[i], docs[i] = r.key, string(r.doc)
		}
		b.Queue(s.q.putIdem, keys, docs)
		steps = append(steps, step{kind: marketplace.KindIdempotency, keys: keys})
	}
	for _, l := range w.leases {
		b.Queue(s.q.leaseResources, l.ids, l.until, l.owner)
		steps = append(steps, step{kind: "lease"})
	}
	return steps
}

// rowArgs are the parallel arrays kindSQL.insert (update false) or
// kindSQL.update (update true) takes for rows.
func rowArgs(kind marketplace.Kind, rows []*bufRow, update bool) []any {
	n := len(rows)
	ids, vers, docs := make([]string, n), make([]int64, n), make([]string, n)
	for i, r := range rows {
		ids[i], vers[i], docs[i] = r.id, r.version, string(r.doc)
	}
	args := []any{ids}
	if update {
		olds := make([]int64, n)
		for i, r := range rows {
			olds[i] = r.old
		}
		args = append(args, olds)
	}
	args = append(args, vers, docs)
	t := tables[kind]
	for j, c := range t.cols {
		args = append(args, columnArray(rows, j, c.typ))
	}
	if t.due {
		due := make([]*time.Time, n)
		for i, r := range rows {
			due[i] = r.due
		}
		args = append(args, due)
	}
	if update {
		args = append(args, int64(n))
	}
	return args
}

// columnArray collects the j-th indexed column of rows as a typed slice.
func columnArray(rows []*bufRow, j int, typ colType) any {
	switch typ {
	case colSmallint:
		a := make([]int16, len(rows))
		for i, r := range rows {
			a[i] = r.vals[j].(int16)
		}
		return a
	case colTime:
		a := make([]time.Time, len(rows))
		for i, r := range rows {
			a[i] = r.vals[j].(time.Time)
		}
		return a
	case colBool:
		a := make([]bool, len(rows))
		for i, r := range rows {
			a[i] = r.vals[j].(bool)
		}
		return a
	}
	a := make([]string, len(rows))
	for i, r := range rows {
		a[i] = r.vals[j].(string)
	}
	return a
}
