package sqlite

import (
	"context"
	"fmt"
)

// writeReq is one queued write: a closure run inside the writer's current
// transaction.
type writeReq struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx sqlTx) error
	done chan writeResult // buffered: the loop never blocks on a caller
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
	select {
	case s.queue <- req:
		return nil
	case <-req.ctx.Done():
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
					s.runBatch(append(batch[:0], r))
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
		s.runBatch(batch)
		clear(batch)
	}
}

// runBatch runs the batch's closures in one IMMEDIATE transaction. With more
// than one closure each runs inside its own SAVEPOINT: a closure that fails
// (or panics) is rolled back to its savepoint and the others still commit.
func (s *Store) runBatch(batch []*writeReq) {
	results := make([]writeResult, len(batch))
	run := make([]bool, len(batch))
	live := 0
	for i, r := range batch {
		if err := r.ctx.Err(); err != nil {
			results[i].err = err // cancelled while queued: never ran
			continue
		}
		run[i] = true
		live++
	}
	if live == 0 {
		s.answer(batch, results)
		return
	}
	ctx := context.Background()
	w := s.wconn
	if err := w.ready(ctx); err != nil {
		s.fail(batch, results, fmt.Errorf("sqlite: writer connection: %w", err))
		return
	}
	q := sqlTx{tx: w.conn, w: w}
	if _, err := w.exec(ctx, "BEGIN IMMEDIATE"); err != nil {
		s.fail(batch, results, fmt.Errorf("sqlite: begin: %w", err))
		return
	}
	rollback := func() { _, _ = w.exec(ctx, "ROLLBACK") }
	var lastSeq int64 // the highest event number of the closures kept
	for i, r := range batch {
		if !run[i] {
			continue
		}
		w.lastSeq = 0
		if live == 1 {
			// Alone: the transaction is the closure's; no savepoint needed.
			results[i] = runClosure(r, q)
			if results[i].failed() {
				rollback()
				s.answer(batch, results)
				return
			}
			lastSeq = w.lastSeq
			continue
		}
		if _, err := w.exec(ctx, "SAVEPOINT og_batch"); err != nil {
			rollback()
			s.fail(batch, results, fmt.Errorf("sqlite: savepoint: %w", err))
			return
		}
		results[i] = runClosure(r, q)
		if !results[i].failed() {
			lastSeq = max(lastSeq, w.lastSeq)
		} else {
			if _, err := w.exec(ctx, "ROLLBACK TO og_batch"); err != nil {
				rollback()
				s.fail(batch, results, fmt.Errorf("sqlite: rollback to savepoint: %w", err))
				return
			}
		}
		if _, err := w.exec(ctx, "RELEASE og_batch"); err != nil {
			rollback()
			s.fail(batch, results, fmt.Errorf("sqlite: release savepoint: %w", err))
			return
		}
	}
	if _, err := w.exec(ctx, "COMMIT"); err != nil {
		// A failed COMMIT may leave the transaction open: end it, so that
		// the next batch starts clean (an error here only says that
		// SQLite had already rolled back).
		rollback()
		s.fail(batch, results, fmt.Errorf("sqlite: commit: %w", err))
		return
	}
	s.commits.Add(1)
	if lastSeq > 0 {
		s.sawSeq(lastSeq)
	}
	for i := range batch {
		if run[i] && !results[i].failed() {
			s.updates.Add(1)
		}
	}
	s.answer(batch, results)
}

func (r writeResult) failed() bool { return r.err != nil || r.panicked != nil }

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
		r.done <- results[i]
	}
}
