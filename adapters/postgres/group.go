package postgres

import (
	"context"
	"errors"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/opengallery/opengallery/marketplace"
)

// Group commit. Every transaction that appends events takes the
// sequencer's row lock in its commit and holds it until the commit is
// durable, so such commits run one at a time, each waiting for its own
// WAL flush. Update therefore commits the write sets of concurrent
// transactions together: while commits are in flight (maxLeaders), the
// transactions that finish meanwhile queue, and the next commit sends all
// of them (up to maxGroup) as one PostgreSQL transaction: one round trip,
// one sequencer lock, one flush. Nothing about a member changes: each row it
// writes is still checked against the version it read (or must not exist),
// its idempotency keys must still be new, its events are numbered
// consecutively; the group commits all or nothing. A group that fails is
// committed again member by member, so that each gets its own result
// (a conflict goes to the member that caused it, the others commit).
// Members whose writes overlap (the same aggregate or idempotency key) are
// never grouped: the later one waits for the next commit.

// maxLeaders is how many group commits may be in flight at once: two, so
// that one group's statements run while the other's COMMIT waits for its
// WAL flush (the sequencer, taken last, orders them).
const maxLeaders = 2

// maxGroup bounds the members of one group commit, and maxGroupRows the
// rows, so that one commit's round trip stays short.
const (
	maxGroup     = 32
	maxGroupRows = 2048
)

// errLeaderPanicked is what the members of a group commit get when the
// goroutine committing it panicked: whether it committed is unknown.
var errLeaderPanicked = errors.New("postgres: the group commit carrying this transaction panicked; it may or may not have committed")

// committer queues write sets for group commits; up to maxLeaders commits
// are in flight, each led by one of the waiting transactions on its
// connection.
type committer struct {
	mu      sync.Mutex
	leaders int // commits in flight, at most maxLeaders
	queue   []*member
}

// member is one transaction's write set waiting for a group commit.
type member struct {
	w  *writeSet
	ch chan groupMsg
}

// groupMsg tells a waiting member its result, or that it leads the next
// commit (on conn, or on a connection of its own when conn is nil).
type groupMsg struct {
	err  error
	lead bool
	conn *pgxpool.Conn
}

// groupCommit commits w with other transactions' write sets. It takes
// over conn (and releases it, or hands it to the next leader).
func (s *Store) groupCommit(ctx context.Context, conn *pgxpool.Conn, w *writeSet) error {
	g := &s.group
	m := &member{w: w}
	g.mu.Lock()
	if g.leaders == maxLeaders {
		m.ch = make(chan groupMsg, 1)
		g.queue = append(g.queue, m)
		g.mu.Unlock()
		conn.Release() // not needed while waiting
		msg := <-m.ch
		if !msg.lead {
			return msg.err
		}
		conn = msg.conn
		if conn == nil {
			var err error
			if conn, err = s.pool.Acquire(context.WithoutCancel(ctx)); err != nil {
				err = wrapErr(ctx, "acquire", err)
				s.handOff(nil, err)
				return err
			}
		}
	} else {
		g.leaders++
		g.mu.Unlock()
	}
	// Lead: take the queued members whose writes do not overlap.
	g.mu.Lock()
	group := []*member{m}
	keys := map[rowKey]bool{}
	addKeys(keys, w)
	rows := w.size()
	rest := g.queue[:0:0]
	for _, q := range g.queue {
		if len(group) < maxGroup && rows+q.w.size() <= maxGroupRows && !overlaps(keys, q.w) {
			group = append(group, q)
			addKeys(keys, q.w)
			rows += q.w.size()
		} else {
			rest = append(rest, q)
		}
	}
	g.queue = rest
	g.mu.Unlock()

	done := false
	defer func() {
		if done {
			return
		}
		// commitGroup panicked: the members' outcome is unknown, and the
		// next leader must still be chosen, or every later Update would
		// wait for ever.
		for _, q := range group[1:] {
			q.ch <- groupMsg{err: errLeaderPanicked}
		}
		_ = conn.Conn().Close(context.WithoutCancel(ctx))
		conn.Release()
		s.handOff(nil, nil)
	}()
	errs := s.commitGroup(context.WithoutCancel(ctx), conn, group)
	done = true
	for i, q := range group[1:] {
		q.ch <- groupMsg{err: errs[i+1]}
	}
	if conn.Conn().IsClosed() {
		conn.Release()
		conn = nil
	}
	s.handOff(conn, nil)
	return errs[0]
}

// handOff ends a leader's turn: the first queued member leads next, on
// conn (nil: on its own connection); with none queued the committer is
// idle and conn goes back to the pool. A leader that could not get a
// connection (failed) passes its error to the member it would have led
// instead, so that no member waits for ever.
func (s *Store) handOff(conn *pgxpool.Conn, failed error) {
	g := &s.group
	g.mu.Lock()
	if len(g.queue) == 0 {
		g.leaders--
		g.mu.Unlock()
		if conn != nil {
			conn.Release()
		}
		return
	}
	next := g.queue[0]
	g.queue = g.queue[1:]
	g.mu.Unlock()
	if failed != nil {
		next.ch <- groupMsg{err: failed}
		s.handOff(nil, failed)
		return
	}
	next.ch <- groupMsg{lead: true, conn: conn}
}

// commitGroup commits the members' write sets in one transaction, or,
// when that fails and the connection survived, one transaction each. It
// returns each member's result.
func (s *Store) commitGroup(ctx context.Context, conn *pgxpool.Conn, group []*member) []error {
	errs := make([]error, len(group))
	if len(group) == 1 {
		errs[0] = s.commit(ctx, conn, false, group[0].w)
		return errs
	}
	all := newWriteSet()
	for _, m := range group {
		for k, rows := range m.w.byKind {
			all.byKind[k] = append(all.byKind[k], rows...)
		}
		all.idem = append(all.idem, m.w.idem...)
		all.leases = append(all.leases, m.w.leases...)
		all.pending = append(all.pending, m.w.pending...)
	}
	err := s.commit(ctx, conn, false, all)
	if err == nil || conn.Conn().IsClosed() {
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	for i, m := range group {
		errs[i] = s.commit(ctx, conn, false, m.w)
		if conn.Conn().IsClosed() {
			for j := i + 1; j < len(group); j++ {
				errs[j] = errs[i]
			}
			break
		}
	}
	return errs
}

// size is the number of statements' rows w writes.
func (w *writeSet) size() int { return len(w.rows) + len(w.idem) + len(w.pending) }

// addKeys adds the aggregates and idempotency keys w writes to keys.
func addKeys(keys map[rowKey]bool, w *writeSet) {
	for k := range w.rows {
		keys[k] = true
	}
	for _, r := range w.idem {
		keys[rowKey{marketplace.KindIdempotency, r.key}] = true
	}
	for _, l := range w.leases {
		for _, id := range l.ids {
			keys[rowKey{marketplace.KindResource, id}] = true
		}
	}
}

// overlaps reports whether w writes any of keys.
func overlaps(keys map[rowKey]bool, w *writeSet) bool {
	for k := range w.rows {
		if keys[k] {
			return true
		}
	}
	for _, r := range w.idem {
		if keys[rowKey{marketplace.KindIdempotency, r.key}] {
			return true
		}
	}
	for _, l := range w.leases {
		for _, id := range l.ids {
			if keys[rowKey{marketplace.KindResource, id}] {
				return true
			}
		}
	}
	return false
}
