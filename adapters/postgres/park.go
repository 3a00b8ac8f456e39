package postgres

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// parkTime is how long a connection stays parked with a read snapshot
// open before the reaper rolls it back and returns it to the pool. A
// parked snapshot holds back vacuum's horizon and AccessShare locks (DDL
// such as DROP SCHEMA waits), so it is short: long enough for the next
// View of a busy store to reuse the connection.
const parkTime = 2 * time.Millisecond

// parking holds the connections View left with their read-only snapshot
// open (at most maxParked, and only while the pool has room for others),
// for the next View to take: its first round trip sends the ROLLBACK with
// BEGIN and its first read, so that a point read costs one round trip.
// A reaper ends snapshots parked for parkTime.
type parking struct {
	mu     sync.Mutex
	conns  []parkedConn // most recent last
	timer  *time.Timer
	closed bool
}

type parkedConn struct {
	conn *pgxpool.Conn
	at   time.Time
}

// maxParked bounds the parked connections.
const maxParked = 2

// take returns the most recently parked connection (its snapshot still
// open) and when it was parked, or nil.
func (p *parking) take() (*pgxpool.Conn, time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.conns)
	if n == 0 {
		return nil, time.Time{}
	}
	c := p.conns[n-1]
	p.conns = p.conns[:n-1]
	return c.conn, c.at
}

// park keeps conn, whose View ended with its snapshot open, for the next
// View; at is when that snapshot was parked first (a View that read
// nothing hands it back unchanged, so a stream of such Views cannot keep
// one snapshot open past parkTime). A connection that is broken, busy or
// not in a healthy transaction (an aborted one, state 'E', would fail
// every statement of the next View), one more than maxParked, or one the
// pool would be short of (no idle connection left for other work) is
// rolled back and released instead.
func (p *parking) park(conn *pgxpool.Conn, pool *pgxpool.Pool, at time.Time) {
	pc := conn.Conn().PgConn()
	ok := !pc.IsClosed() && !pc.IsBusy() && pc.TxStatus() == 'T'
	if ok {
		st := pool.Stat()
		ok = st.IdleConns() > 0 || st.TotalConns() < st.MaxConns()
	}
	p.mu.Lock()
	if !ok || p.closed || len(p.conns) >= maxParked {
		p.mu.Unlock()
		release(conn)
		return
	}
	p.conns = append(p.conns, parkedConn{conn: conn, at: at})
	if p.timer == nil {
		p.timer = time.AfterFunc(parkTime, p.reap)
	} else if len(p.conns) == 1 {
		p.timer.Reset(parkTime)
	}
	p.mu.Unlock()
}

// reap ends the snapshots parked for parkTime or longer and re-arms the
// timer for the others.
func (p *parking) reap() {
	p.mu.Lock()
	now := time.Now()
	var old []parkedConn
	keep := p.conns[:0]
	for _, c := range p.conns {
		if now.Sub(c.at) >= parkTime {
			old = append(old, c)
		} else {
			keep = append(keep, c)
		}
	}
	p.conns = keep
	if len(keep) > 0 {
		p.timer.Reset(parkTime - now.Sub(keep[0].at))
	}
	p.mu.Unlock()
	for _, c := range old {
		release(c.conn)
	}
}

// close ends every parked snapshot and parks nothing from now on.
func (p *parking) close() {
	p.mu.Lock()
	p.closed = true
	conns := p.conns
	p.conns = nil
	if p.timer != nil {
		p.timer.Stop()
	}
	p.mu.Unlock()
	for _, c := range conns {
		release(c.conn)
	}
}

// release rolls back conn's transaction, if it has one, and returns it to
// the pool (closed if the ROLLBACK fails: its state is unknown).
func release(conn *pgxpool.Conn) {
	pc := conn.Conn().PgConn()
	if !pc.IsClosed() && pc.TxStatus() != 'I' {
		if _, err := conn.Exec(context.Background(), "ROLLBACK"); err != nil {
			_ = conn.Conn().Close(context.Background())
		}
	}
	conn.Release()
}
