package fake

import (
	"context"
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

// faults is a per-operation queue of faults. The caller holds the fake's
// lock.
type faults[K comparable] map[K][]Fault

// take returns the fault for the next call of op and consumes one use.
func (f faults[K]) take(op K) (Fault, bool) {
	q := f[op]
	if len(q) == 0 {
		return Fault{}, false
	}
	ft := q[0]
	if ft.Times > 0 {
		q[0].Times--
		if q[0].Times == 0 {
			f[op] = q[1:]
		}
	}
	return ft, true
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
