package sqlite

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// writeReq is one queued write: a closure run inside the writer's current
// transaction.
type writeReq struct {
	ctx context.Context
	fn  func(ctx context.Context, tx sqlTx) error
	// replay: fn may run again after a rollback and does the same (it
	// applies a write set); runBatch then gives it no savepoint while the
	// transaction holds nothing but such requests.
	replay bool
	done   chan writeResult // buffered: the loop never blocks on a caller
}

type writeResult struct {
	err      error
	panicked any // a closure's panic, re-raised in the caller's goroutine
}

// write queues fn for the writer goroutine and waits until the transaction
// that ran it has committed (nil) or fn's changes were rolled back (fn's
// error, or the commit's). Once queued the call always waits for the
// outcome, even if ctx is cancelled meanwhile: returning early could report
// failure for a write that then commits.
func (s *Store) write(ctx context.Context, fn func(ctx context.Context, tx sqlTx) error) error {
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan writeResult, 1)}
	if err := s.enqueue(req); err != nil {
		return err
	}
	return req.wait()
}

// enqueue queues req for the writer goroutine; unless it fails, the caller
// must then wait for req.done.
//
// Errors: ctx.Err() (req was not queued); ErrClosed.
func (s *Store) enqueue(req *writeReq) error {
	if err := req.ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	// The loop keeps receiving until Close, which waits for this RLock, so
	// the send cannot block forever.
	s.pending.Add(1)
	select {
	case s.queue <- req:
		return nil
	case <-req.ctx.Done():
		s.pending.Add(-1)
		return req.ctx.Err()
	}
}

// wait waits for req's outcome and re-raises its closure's panic.
func (r *writeReq) wait() error {
	res := <-r.done
	if res.panicked != nil {
		panic(res.panicked)
	}
	return res.err
}

// writeLoop owns the writer connection. It takes whatever requests are
// queued (up to maxBatch), runs them in one transaction and commits once,
// so N concurrent writers pay for one fsync instead of N.
func (s *Store) writeLoop() {
	defer close(s.loopDone)
	batch := make([]*writeReq, 0, s.opts.maxBatch)
	for {
		var first *writeReq
		select {
		case first = <-s.queue:
		case <-s.closing:
			// Close holds the lock: nothing new arrives. Finish what is
			// queued.
			for {
				select {
				case r := <-s.queue:
					clear(s.runBatch(append(batch[:0], r)))
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < s.opts.maxBatch {
			select {
			case r := <-s.queue:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		clear(s.runBatch(batch))
	}
}

// runBatch runs the batch's requests in one IMMEDIATE transaction, and
// the requests queued while it runs (up to maxBatch in all): a larger
// group shares the pages it changes (index pages, the events table's last
// page) and one fsync. It returns the batch with those joined.
//
// Replayable requests (an optimistic Update's write set: running it again
// after a rollback does the same) run with no savepoint while the
// transaction holds nothing else: a savepoint makes SQLite copy every page
// a request changes into the sub-journal first, which costs as much as a
// quarter of applying a write set. If one of them fails, the transaction
// is rolled back and begun again without it, and the others are replayed
// (a conflict is rare).
//
// Closures (fn run on the writer, ClaimDue, Migrate, an Update moved onto
// the writer) cannot run twice. With anything else in the transaction
// each runs inside its own SAVEPOINT, and so does every request after the
// first closure kept: a request that fails (or panics) is rolled back to
// its savepoint and the others still commit.
func (s *Store) runBatch(batch []*writeReq) []*writeReq {
	results := make([]writeResult, len(batch))
	keep := make([]bool, len(batch)) // to run, or ran and not failed
	live := 0
	admit := func(i int) {
		if err := batch[i].ctx.Err(); err != nil {
			results[i].err = err // cancelled while queued: never ran
			return
		}
		keep[i] = true
		live++
	}
	for i := range batch {
		admit(i)
	}
	if live == 0 {
		s.answer(batch, results)
		return batch
	}
	ctx := context.Background()
	w := s.wconn
	if err := w.ready(ctx); err != nil {
		s.fail(batch, results, fmt.Errorf("sqlite: writer connection: %w", err))
		return batch
	}
	q := sqlTx{tx: w.conn, w: w}
	rollback := func() { _, _ = w.exec(ctx, "ROLLBACK") }
	if _, err := w.exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		s.fail(batch, results, fmt.Errorf("sqlite: begin: %w", err))
		return batch
	}
	w.rolledBack.Store(false)
	pure := true      // the transaction holds replayable work only
	var lastSeq int64 // the highest event number of the requests kept
	var j joining
	defer j.stop()
	for i := 0; ; i++ {
		if i == len(batch) {
			r := s.join(len(batch), &j)
			if r == nil {
				break
			}
			batch, results, keep = append(batch, r), append(results, writeResult{}), append(keep, false)
			admit(i)
		}
		r := batch[i]
		if !keep[i] {
			continue
		}
		w.lastSeq = 0
		switch {
		case r.replay && pure:
			if results[i] = s.runGuarded(r, q); !results[i].failed() {
				lastSeq = max(lastSeq, w.lastSeq)
				continue
			}
			rollback()
			keep[i] = false
			if live--; live == 0 {
				s.answer(batch, results)
				return batch
			}
			if _, err := w.exec(ctx, "BEGIN IMMEDIATE"); err != nil {
				s.fail(batch, results, fmt.Errorf("sqlite: begin: %w", err))
				return batch
			}
			w.rolledBack.Store(false)
			lastSeq, i = 0, -1 // replay the others
		case live == 1:
			// Alone: the transaction is the closure's; no savepoint needed.
			results[i] = s.runGuarded(r, q)
			if results[i].failed() {
				rollback()
				s.answer(batch, results)
				return batch
			}
			pure, lastSeq = false, w.lastSeq
		default:
			if _, err := w.exec(ctx, "SAVEPOINT og_batch"); err != nil {
				rollback()
				s.fail(batch, results, fmt.Errorf("sqlite: savepoint: %w", err))
				return batch
			}
			results[i] = s.runGuarded(r, q)
			if w.rolledBack.Load() {
				// The group's transaction is gone with its savepoint.
				rollback()
				s.fail(batch, results, errRolledBack)
				return batch
			}
			if !results[i].failed() {
				pure, lastSeq = false, max(lastSeq, w.lastSeq)
			} else {
				keep[i] = false
				live--
				if _, err := w.exec(ctx, "ROLLBACK TO og_batch"); err != nil {
					rollback()
					s.fail(batch, results, fmt.Errorf("sqlite: rollback to savepoint: %w", err))
					return batch
				}
			}
			if _, err := w.exec(ctx, "RELEASE og_batch"); err != nil {
				rollback()
				s.fail(batch, results, fmt.Errorf("sqlite: release savepoint: %w", err))
				return batch
			}
		}
	}
	w.commitOK.Store(true)
	_, err := w.exec(ctx, "COMMIT")
	w.commitOK.Store(false)
	if err != nil {
		// A failed COMMIT may leave the transaction open: end it, so that
		// the next batch starts clean (an error here only says that
		// SQLite had already rolled back).
		rollback()
		s.fail(batch, results, fmt.Errorf("sqlite: commit: %w", err))
		return batch
	}
	s.commits.Add(1)
	if lastSeq > 0 {
		s.sawSeq(lastSeq)
	}
	s.updates.Add(int64(live))
	s.lastGroup.Store(int64(live))
	s.answer(batch, results)
	return batch
}

// joinWait bounds how long a group commit waits for the write sets of
// optimistic closures running when its own requests are done (join).
// Closures should do no slow I/O, so theirs come within microseconds; a
// slow one only delays the commit by this much.
const joinWait = time.Millisecond

// joining is a group commit's wait for joiners (join).
type joining struct {
	timer   *time.Timer
	expired bool
}

func (j *joining) stop() {
	if j.timer != nil {
		j.timer.Stop()
	}
}

// join returns a request to add to a batch of n: one queued meanwhile, or,
// while optimistic closures are running, the first queued within joinWait
// (a running closure is about to queue its write set, and committing it
// with this group spares an fsync and shares the pages both change). It
// returns nil when the batch is full, or nothing is queued and no closure
// runs, or the wait is over.
func (s *Store) join(n int, j *joining) *writeReq {
	if n >= s.opts.maxBatch {
		return nil
	}
	for {
		select {
		case r := <-s.queue:
			return r
		default:
		}
		if j.expired || len(s.fnSlots) == 0 {
			return nil
		}
		if j.timer == nil {
			j.timer = time.NewTimer(joinWait)
		}
		select {
		case r := <-s.queue:
			return r
		case <-s.slotsIdle: // look again: the last closure is done
		case <-j.timer.C:
			j.expired = true
		}
	}
}

func (r writeResult) failed() bool { return r.err != nil || r.panicked != nil }

// errRolledBack is what the requests of a group get when SQLite rolled the
// group's transaction back under one of its closures (guardCommits).
var errRolledBack = errors.New("sqlite: SQLite rolled the group commit's transaction back after an error in one of its updates; nothing of it was written")

// runGuarded runs r's closure (runClosure) and fails it if SQLite rolled
// the transaction back meanwhile, even if the closure ignored the error
// that did it: its statements after that were refused (the commit hook of
// guardCommits), and the writes before it are gone.
func (s *Store) runGuarded(r *writeReq, q sqlTx) writeResult {
	res := runClosure(r, q)
	if q.w.rolledBack.Load() && !res.failed() {
		res.err = errRolledBack
	}
	return res
}

// runClosure runs one request's closure, turning a panic into a result so
// that the writer goroutine survives it. Statements use a context without
// cancellation: cancelling a statement interrupts the connection, which
// SQLite may answer by rolling back the whole shared transaction.
func runClosure(r *writeReq, tx sqlTx) (res writeResult) {
	defer func() {
		if p := recover(); p != nil {
			res = writeResult{panicked: p}
		}
	}()
	return writeResult{err: r.fn(context.WithoutCancel(r.ctx), tx)}
}

// fail gives err to every request of the batch that had not failed on its
// own: the transaction was rolled back, so none of them took effect.
func (s *Store) fail(batch []*writeReq, results []writeResult, err error) {
	for i := range batch {
		if !results[i].failed() {
			results[i].err = err
		}
	}
	s.answer(batch, results)
}

func (s *Store) answer(batch []*writeReq, results []writeResult) {
	for i, r := range batch {
		s.pending.Add(-1) // first: the caller may look as soon as it wakes
		r.done <- results[i]
	}
}
