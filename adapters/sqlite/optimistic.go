package sqlite

import (
	"context"
	"errors"
	"time"

	"github.com/opengallery/opengallery/marketplace"
)

// Optimistic Update (WithOptimisticUpdates, the default, while the writer
// is busy). The single writer is the store's bottleneck, and much of an
// Update's time is its closure (pricing, validation, decoding what it
// reads, encoding what it writes), not its statements. So Update runs the
// closure in the caller's goroutine: reads come from one snapshot of
// committed state on a reader connection (View's path, with the document
// cache), writes are prepared (validated, encoded, indexed columns
// computed) and kept in a write set, and only the write set goes through
// the writer's queue, to be applied in a group commit with the checks the
// writer's Puts make: an UPDATE must find the row at the version the
// closure wrote from, an INSERT must create its row, an idempotency key
// must be new, a deleted saved item must still be there. A failed check
// rolls the write set back (runBatch begins the group again without it,
// or rolls back to its savepoint) and Update returns
// *marketplace.ConflictError; the group's other members commit.
//
// DueResourceTx cannot work that way: DueResources holds the rows it
// returns by running inside the writer's transaction, which no other
// writer shares. Its first call moves the Update onto the writer: a queued
// request applies the write set so far (with the same checks) inside its
// savepoint and then lends the writer's transaction to the caller's
// goroutine, which goes on with fn on it while the writer goroutine waits;
// when fn returns, the writer keeps the savepoint (or rolls it back) and
// commits with its group. The hand-off over unbuffered channels keeps one
// goroutine at a time on the writer's connection.

// errLoanPanicked rolls back a lent transaction whose closure panicked
// (the caller re-raises the panic).
var errLoanPanicked = errors.New("sqlite: update closure panicked")

// updateOptimistic is Update with WithOptimisticUpdates.
func (s *Store) updateOptimistic(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	select {
	case s.fnSlots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	u := &utx{s: s, slot: true}
	defer u.releaseSlot() // fn panicked
	var fnErr error
	err := s.viewOn(ctx, s.ur, func(vt *viewTx) error {
		u.o = &otx{ctx: ctx, s: s, vt: vt, seqBase: -1}
		u.Tx = u.o
		fnErr = u.run(fn)
		return nil
	})
	if u.req != nil {
		// fn ran on the writer: its outcome is the writer's, whatever
		// ending the read snapshot said.
		return fnErr
	}
	if fnErr == nil && err == nil { // else fn did not run or failed: nothing written
		var req *writeReq
		if req, err = u.o.submit(); req != nil {
			// The slot is given back once the write set is queued, so that
			// a group commit waiting for running closures takes it in.
			u.releaseSlot()
			return u.o.await(req)
		}
	}
	u.releaseSlot()
	if fnErr != nil {
		return fnErr
	}
	return err
}

// utx is the Tx an optimistic Update hands fn: the optimistic otx until fn
// calls a method only the writer's transaction can serve (DueResourceTx),
// then the writer's tx, lent (move).
type utx struct {
	marketplace.Tx // o, then w

	s    *Store
	o    *otx
	w    *tx          // the lent writer transaction; nil before the move
	req  *writeReq    // the request that lent it
	back chan loanEnd // gives it back
	// failed is why the move failed: the Update cannot commit.
	failed error
	slot   bool // holds one of the Store's fnSlots
}

// releaseSlot gives back u's fnSlots slot: when fn returns, or when it
// moves onto the writer (it is then the writer's work, and the closures
// of other Updates may run meanwhile).
func (u *utx) releaseSlot() {
	if u.slot {
		u.slot = false
		u.s.releaseSlot()
	}
}

var _ marketplace.DueResourceTx = (*utx)(nil)

// loanEnd is how fn ended on a lent transaction.
type loanEnd struct {
	err      error
	panicked bool
}

// run calls fn. After a move it gives the writer's transaction back and
// waits for the commit (or the rollback, when fn failed or panicked: a
// panic goes on once the writer has rolled back).
func (u *utx) run(fn func(tx marketplace.Tx) error) error {
	returned := false
	defer func() {
		if !returned && u.req != nil {
			u.back <- loanEnd{panicked: true}
			<-u.req.done
		}
	}()
	err := fn(u)
	returned = true
	if u.req == nil {
		if err == nil {
			err = u.failed
		}
		return err
	}
	u.back <- loanEnd{err: err}
	res := <-u.req.done
	if res.panicked != nil {
		panic(res.panicked) // the writer's side of the loan (applying the write set) panicked
	}
	if err != nil {
		return err
	}
	if res.err == nil {
		u.o.ws.numbered()
	}
	return res.err
}

// move moves the Update onto the writer (see the top of this file). Once
// it has failed, every later call fails alike and so does the Update.
//
// Errors: the write set's conflicts; ctx.Err() when the request was
// cancelled while queued; ErrClosed; driver errors.
func (u *utx) move() error {
	if u.w != nil {
		return nil
	}
	if u.failed != nil {
		return u.failed
	}
	o := u.o
	loan, back := make(chan *tx), make(chan loanEnd)
	req := &writeReq{ctx: o.ctx, done: make(chan writeResult, 1)}
	req.fn = func(ctx context.Context, q sqlTx) error {
		t := &tx{ctx: ctx, q: q}
		if err := o.ws.apply(t); err != nil {
			return err
		}
		loan <- t
		end := <-back
		if end.panicked {
			return errLoanPanicked
		}
		if end.err != nil {
			return end.err
		}
		return t.flush()
	}
	// The write set so far is final: from here fn's work is the writer's,
	// so the slot goes back before the request queues. Kept while waiting
	// for the loan, slots held by Updates queued behind another loan (a
	// runner's transactions in flight) would stop every other optimistic
	// closure, and a group commit would wait for them (join) in vain.
	u.releaseSlot()
	if err := o.s.enqueue(req); err != nil {
		u.failed = err
		return err
	}
	select {
	case t := <-loan:
		u.Tx, u.w, u.req, u.back = t, t, req, back
		return nil
	case res := <-req.done:
		if res.panicked != nil {
			panic(res.panicked)
		}
		u.failed = res.err
		return res.err
	}
}

// DueResources implements marketplace.DueResourceTx on the writer's
// transaction (the Update moves there).
func (u *utx) DueResources(now time.Time, limit int) ([]marketplace.Resource, error) {
	if err := u.move(); err != nil {
		return nil, err
	}
	return u.w.DueResources(now, limit)
}

// PutResources implements marketplace.DueResourceTx on the writer's
// transaction (the Update moves there).
func (u *utx) PutResources(vs []*marketplace.Resource) error {
	if err := u.move(); err != nil {
		return err
	}
	return u.w.PutResources(vs)
}

// LeaseResources implements marketplace.DueResourceTx on the writer's
// transaction (the Update moves there).
func (u *utx) LeaseResources(ids []string, owner string, until time.Time) error {
	if err := u.move(); err != nil {
		return err
	}
	return u.w.LeaseResources(ids, owner, until)
}
