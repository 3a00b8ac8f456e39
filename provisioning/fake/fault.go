package fake

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Fault tells a fake how to answer calls of one operation.
type Fault struct {
	// Err is returned instead of performing the operation (nothing
	// changes). Use a *provisioning.ResultError for a seller's failure code,
	// or an error wrapping provisioning.ErrUnavailable for a dead endpoint.
	Err error
	// Processing answers "being processed": CreateInstance returns
	// CreateResult.Processing without creating anything, QueryInstances
	// returns the instances without app info, Deploy leaves the deployment
	// building and Deployment keeps it building; other SaaS operations
	// fail with result code 000004.
	Processing bool
	// Delay waits before answering; a context that ends first makes the
	// call return its error.
	Delay time.Duration
	// Times is how many calls the fault applies to; 0 means every call
	// until ClearFaults.
	Times int
}

// faults holds a fake's per-operation fault queues and its record of calls.
// SaaS and Deployer embed it (with their own operation type), so both get
// the same Inject, Fail, Processing, Slow, ClearFaults, Calls and CallsTo.
// It has its own lock: a slow call waits without holding the fake's state
// lock.
type faults[Op ~string] struct {
	fmu    sync.Mutex
	queues map[Op][]Fault
	calls  []Call
}

// Inject queues f for the next calls of op (after any fault already
// queued). op is a provisioning.Operation for SaaS and a DeployOp for
// Deployer.
func (q *faults[Op]) Inject(op Op, f Fault) {
	q.fmu.Lock()
	defer q.fmu.Unlock()
	if q.queues == nil {
		q.queues = map[Op][]Fault{}
	}
	q.queues[op] = append(q.queues[op], f)
}

// Fail makes the next times calls of op return err (every call when times
// is 0).
func (q *faults[Op]) Fail(op Op, err error, times int) { q.Inject(op, Fault{Err: err, Times: times}) }

// Processing makes the next times calls of op answer "processing" (every
// call when times is 0).
func (q *faults[Op]) Processing(op Op, times int) {
	q.Inject(op, Fault{Processing: true, Times: times})
}

// Slow makes the next times calls of op wait d before answering (every call
// when times is 0).
func (q *faults[Op]) Slow(op Op, d time.Duration, times int) {
	q.Inject(op, Fault{Delay: d, Times: times})
}

// ClearFaults removes every queued fault.
func (q *faults[Op]) ClearFaults() {
	q.fmu.Lock()
	defer q.fmu.Unlock()
	q.queues = nil
}

// Calls returns every call so far, in order.
func (q *faults[Op]) Calls() []Call {
	q.fmu.Lock()
	defer q.fmu.Unlock()
	return slices.Clone(q.calls)
}

// CallsTo returns the calls of op (a provisioning.Operation for SaaS, a
// DeployOp for Deployer), in order.
func (q *faults[Op]) CallsTo(op Op) []Call {
	q.fmu.Lock()
	defer q.fmu.Unlock()
	var out []Call
	for _, c := range q.calls {
		if c.Op == string(op) {
			out = append(out, c)
		}
	}
	return out
}

// record appends one call.
func (q *faults[Op]) record(op Op, req any, err error) {
	q.fmu.Lock()
	defer q.fmu.Unlock()
	q.calls = append(q.calls, Call{Op: string(op), Request: req, Err: err})
}

// take returns the fault for the next call of op and consumes one use.
func (q *faults[Op]) take(op Op) Fault {
	q.fmu.Lock()
	defer q.fmu.Unlock()
	queue := q.queues[op]
	if len(queue) == 0 {
		return Fault{}
	}
	ft := queue[0]
	if ft.Times > 0 {
		queue[0].Times--
		if queue[0].Times == 0 {
			q.queues[op] = queue[1:]
		}
	}
	return ft
}

// apply takes op's fault and honours its delay and error: it returns the
// fault (for Processing) or the error the call must return.
func (q *faults[Op]) apply(ctx context.Context, op Op) (Fault, error) {
	ft := q.take(op)
	if err := wait(ctx, ft.Delay); err != nil {
		return Fault{}, err
	}
	if ft.Err != nil {
		return Fault{}, ft.Err
	}
	return ft, nil
}

// wait sleeps for d unless ctx ends first.
func wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
