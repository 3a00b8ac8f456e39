package sqlite

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opengallery/opengallery/adapters/internal/doccodec"
	"github.com/opengallery/opengallery/marketplace"
)

// The runner's transactions (marketplace.DueResourceTx) on the writer.

var _ marketplace.DueResourceTx = (*tx)(nil)

// leaseQuery leases one due aggregate of a table (ClaimDue, LeaseResources).
func leaseQuery(kind marketplace.Kind) string {
	return "UPDATE " + tables[kind].name + " SET lease_until = ?, lease_owner = ? WHERE id = ?"
}

// dueResourcesQuery reads due, unleased resources oldest first through
// the partial index og_resources_due.
const dueResourcesQuery = `SELECT rowid, doc FROM og_resources
	WHERE due_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1) ORDER BY due_at, id LIMIT ?2`

// dueRow is what DueResources read of a resource, for PutResources: its
// rowid, and its version with the values of the indexed columns it does
// not rewrite (stored from the document at that version).
type dueRow struct {
	rowid, version int64
	buyer, seller  string
	visible        bool
	purchased      int64
}

// sameColumns reports whether v keeps the indexed columns (other than
// status) of the row read.
func (d dueRow) sameColumns(v *marketplace.Resource) bool {
	return d.buyer == v.BuyerID && d.seller == v.SellerID && d.visible == v.Visible && d.purchased == nanos(v.PurchasedAt)
}

// DueResources implements marketplace.DueResourceTx. The transaction runs
// on the single writer, which holds SQLite's write lock from BEGIN
// IMMEDIATE to the commit: no other transaction or ClaimDue, in this
// process or another, reads these rows before the transaction ends. The
// documents are read through the writer's driver connection into a buffer
// the writer reuses, and decoded on all cores (the decoder keeps no
// reference to its input); the writer notes each resource's rowid and
// indexed columns (dueRow) for the closure's PutResources.
//
// Errors: *marketplace.InputError for limit < 1; driver errors; decoding
// errors.
func (t *tx) DueResources(now time.Time, limit int) ([]marketplace.Resource, error) {
	if limit < 1 {
		return nil, &marketplace.InputError{Field: "limit", Value: limit, Reason: "must be at least 1"}
	}
	w := t.q.w
	buf := &w.dueDocs
	defer func() { *buf = (*buf)[:0] }()
	var rowids []int64
	var ends []int // docs[i] is (*buf)[ends[i-1]:ends[i]]
	err := w.rows(t.ctx, dueResourcesQuery, []any{nanos(now), int64(limit)}, func(row []driver.Value) error {
		rowid, ok := row[0].(int64)
		if !ok {
			return fmt.Errorf("rowid column holds %T", row[0])
		}
		doc, err := docBytes(row[1])
		if err != nil {
			return err
		}
		*buf = append(*buf, doc...)
		rowids, ends = append(rowids, rowid), append(ends, len(*buf))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: due resources: %w", err)
	}
	out := make([]marketplace.Resource, len(ends))
	err = inParallel(len(ends), func(i int) error {
		start := 0
		if i > 0 {
			start = ends[i-1]
		}
		if err := doccodec.Unmarshal((*buf)[start:ends[i]], &out[i]); err != nil {
			return fmt.Errorf("sqlite: decode due resource: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !t.readDue || w.due == nil {
		// The first DueResources of the closure: what earlier ones read
		// (perhaps rolled back since) is forgotten.
		if w.due == nil {
			w.due = make(map[string]dueRow, len(out))
		}
		clear(w.due)
		t.readDue = true
	}
	for i, r := range out {
		w.due[r.ID] = dueRow{rowid: rowids[i], version: r.Version, buyer: r.BuyerID, seller: r.SellerID,
			visible: r.Visible, purchased: nanos(r.PurchasedAt)}
	}
	return out, nil
}

// putReadResourceQuery writes a resource DueResources read in the
// transaction, found by its rowid, when its version is still the one read
// and the indexed columns other than status keep the values read
// (dueRow): SQLite then leaves the indexes on those columns alone, and
// neither the primary-key index nor the columns' values are searched or
// bound.
const putReadResourceQuery = `UPDATE og_resources SET version = ?, doc = ?, status = ?, due_at = ?, lease_until = NULL, lease_owner = NULL
	WHERE rowid = ? AND id = ? AND version = ?`

// putDueResourceQuery writes a resource whose indexed columns other than
// status (buyer_id, seller_id, visible, purchased_at) keep their stored
// values, which it checks with the version: SQLite then leaves the indexes
// on those columns alone instead of deleting and reinserting each entry.
// A row it does not match is written by put's full UPDATE.
const putDueResourceQuery = `UPDATE og_resources SET version = ?, doc = ?, status = ?, due_at = ?, lease_until = NULL, lease_owner = NULL
	WHERE id = ? AND version = ? AND buyer_id = ? AND seller_id = ? AND visible = ? AND purchased_at = ?`

// PutResources implements marketplace.DueResourceTx: other goroutines
// encode the documents, in order, while this one writes those already
// encoded: a resource DueResources read in the transaction, still at the
// version read, with putReadResourceQuery (by rowid) unless its indexed
// columns changed; any other with putDueResourceQuery; each that these
// do not match (a changed column, or a version other than the stored
// one, which PutResource then reports) with PutResource's full UPDATE.
//
// Errors: those of PutResource.
func (t *tx) PutResources(vs []*marketplace.Resource) error {
	docs := make([][]byte, len(vs))
	encoded, stop := ahead(len(vs), func(i int) error {
		if vs[i].ID == "" || vs[i].Version == 0 {
			return nil // PutResource's checks, or its insert
		}
		// A copy with the new version, from a pool: on the heap (Marshal
		// keeps no reference but takes an interface) one per resource is
		// as much garbage as the document itself.
		cp := resourceCopies.Get().(*marketplace.Resource)
		defer resourceCopies.Put(cp)
		*cp = *vs[i]
		defer func() { *cp = marketplace.Resource{} }()
		cp.Version++
		doc, err := doccodec.Marshal(cp)
		if err != nil {
			return fmt.Errorf("sqlite: encode resource %q: %w", cp.ID, err)
		}
		docs[i] = doc
		return nil
	})
	defer stop()
	for i, v := range vs {
		if err := encoded(i); err != nil {
			return err
		}
		var d dueRow
		read := false
		if t.readDue {
			d, read = t.q.w.due[v.ID]
			read = read && d.version == v.Version
		}
		if docs[i] != nil && (!read || d.sameColumns(v)) {
			var res sql.Result
			var err error
			if read {
				res, err = t.q.ExecContext(t.ctx, putReadResourceQuery, v.Version+1, docs[i], string(v.Status), nanosPtr(v.NextDueAt),
					d.rowid, v.ID, v.Version)
			} else {
				res, err = t.q.ExecContext(t.ctx, putDueResourceQuery, v.Version+1, docs[i], string(v.Status), nanosPtr(v.NextDueAt),
					v.ID, v.Version, v.BuyerID, v.SellerID, boolInt(v.Visible), nanos(v.PurchasedAt))
			}
			if err != nil {
				return fmt.Errorf("sqlite: put resource %q: %w", v.ID, err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return fmt.Errorf("sqlite: put resource %q: %w", v.ID, err)
			} else if n == 1 {
				v.Version++
				continue
			}
		}
		if err := t.PutResource(v); err != nil {
			return err
		}
	}
	return nil
}

// resourceCopies are PutResources' scratch copies.
var resourceCopies = sync.Pool{New: func() any { return new(marketplace.Resource) }}

// ahead calls fn(0) … fn(n-1) on up to GOMAXPROCS other goroutines, in
// order, aheadChunk calls at a time, so that the caller can use the first
// results while the rest are computed. done(i) waits for fn(i) and returns
// its error; stop, which the caller must call (once), lets the goroutines
// finish the chunks they are on, start no other, and waits for them.
func ahead(n int, fn func(i int) error) (done func(i int) error, stop func()) {
	chunks := (n + aheadChunk - 1) / aheadChunk
	errs := make([]error, n)
	ready := make([]chan struct{}, chunks)
	for c := range ready {
		ready[c] = make(chan struct{})
	}
	var next atomic.Int64
	var stopped atomic.Bool
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), chunks) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stopped.Load() {
				c := int(next.Add(1)) - 1
				if c >= chunks {
					return
				}
				for i := c * aheadChunk; i < min((c+1)*aheadChunk, n); i++ {
					errs[i] = fn(i)
				}
				close(ready[c])
			}
		}()
	}
	done = func(i int) error {
		<-ready[i/aheadChunk]
		return errs[i]
	}
	stop = func() {
		stopped.Store(true)
		wg.Wait()
	}
	return done, stop
}

// aheadChunk is how many calls ahead hands a goroutine at once.
const aheadChunk = 16

// inParallel calls fn(0) … fn(n-1) on up to GOMAXPROCS goroutines, each
// taking a contiguous share, and returns the first error (by index).
func inParallel(n int, fn func(i int) error) error {
	workers := min(runtime.GOMAXPROCS(0), n/minShare)
	if workers <= 1 {
		for i := range n {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * n / workers; i < (w+1)*n/workers; i++ {
				if err := fn(i); err != nil {
					errs[w] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// minShare is the least work inParallel gives a goroutine: below it,
// starting one costs more than it saves.
const minShare = 16

// LeaseResources implements marketplace.DueResourceTx.
//
// Errors: *marketplace.InputError for an empty owner; driver errors.
func (t *tx) LeaseResources(ids []string, owner string, until time.Time) error {
	if owner == "" {
		return &marketplace.InputError{Field: "owner", Value: owner, Reason: "must not be empty"}
	}
	q := leaseQuery(marketplace.KindResource)
	for _, id := range ids {
		if _, err := t.q.ExecContext(t.ctx, q, nanos(until), owner, id); err != nil {
			return fmt.Errorf("sqlite: lease resource %q: %w", id, err)
		}
	}
	return nil
}
