package postgres

import (
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opengallery/opengallery/adapters/internal/doccodec"
	"github.com/opengallery/opengallery/marketplace"
)

var _ marketplace.DueResourceTx = (*tx)(nil)

// DueResources implements marketplace.DueResourceTx: SELECT … FOR UPDATE
// SKIP LOCKED inside the transaction, sent in one round trip with BEGIN
// (if nothing began the transaction yet) and the transaction's pending
// writes, so that it sees them. The rows it returns stay locked until the
// transaction ends: ClaimDue and other transactions' DueResources skip
// them, and their versions cannot change, so PutResources checks them
// without asking the database.
//
// Errors: *marketplace.InputError for limit < 1; *marketplace.ConflictError
// when a pending write is stale (the transaction is then over);
// ctx.Err(); pgx errors.
func (t *tx) DueResources(now time.Time, limit int) ([]marketplace.Resource, error) {
	if limit < 1 {
		return nil, &marketplace.InputError{Field: "limit", Value: limit, Reason: "must be at least 1"}
	}
	var docs [][]byte
	err := t.st.flush(t.ctx, t.c, t.w, func(b *pgx.Batch) {
		b.Queue(t.s.dueResources, now.UTC(), limit)
	}, func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var doc []byte
			if err := rows.Scan(&doc); err != nil {
				return err
			}
			docs = append(docs, doc)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	out := make([]marketplace.Resource, len(docs))
	errs := make([]error, len(docs))
	inParallel(len(docs), func(i int) { errs[i] = doccodec.Unmarshal(docs[i], &out[i]) })
	if t.w.locked == nil {
		t.w.locked = map[string]int64{}
	}
	for i, r := range out {
		if errs[i] != nil {
			return nil, fmt.Errorf("postgres: decode resource: %w", errs[i])
		}
		t.w.reads[rowKey{marketplace.KindResource, r.ID}] = docs[i]
		t.w.locked[r.ID] = r.Version
	}
	return out, nil
}

// PutResources implements marketplace.DueResourceTx. Each value is checked
// before any is written, so that a stale one leaves it and those after it
// unchanged: against the transaction's own writes and the versions
// DueResources locked, and, for the resources neither knows, against the
// stored versions, read in one round trip. The commit checks every version
// again.
//
// Errors: *marketplace.ConflictError for a stale version;
// *marketplace.InputError for an empty id; ctx.Err(); pgx errors.
func (t *tx) PutResources(vs []*marketplace.Resource) error {
	var unknown []string
	for _, v := range vs {
		if v.ID == "" {
			continue // PutResource reports it, in order
		}
		if _, ok := t.w.rows[rowKey{marketplace.KindResource, v.ID}]; ok {
			continue
		}
		if _, ok := t.w.locked[v.ID]; !ok {
			unknown = append(unknown, v.ID)
		}
	}
	have := map[string]int64{}
	if len(unknown) > 0 {
		rows, err := t.q.Query(t.ctx, t.s.kinds[marketplace.KindResource].versions, unknown)
		if err != nil {
			return wrapErr(t.ctx, "read resource versions", err)
		}
		for rows.Next() {
			var id string
			var v int64
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return wrapErr(t.ctx, "read resource versions", err)
			}
			have[id] = v
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return wrapErr(t.ctx, "read resource versions", err)
		}
	}
	for _, v := range vs {
		if v.ID == "" {
			return t.PutResource(v)
		}
		stored, ok := have[v.ID]
		if r := t.w.rows[rowKey{marketplace.KindResource, v.ID}]; r != nil {
			stored, ok = r.version, true
		} else if l, locked := t.w.locked[v.ID]; locked {
			stored, ok = l, true
		}
		if !ok {
			stored = 0
		}
		if stored != v.Version {
			return &marketplace.ConflictError{Kind: marketplace.KindResource, ID: v.ID, Want: v.Version, Have: stored}
		}
	}
	// Encode the documents (with their new versions) side by side, then
	// buffer them in order.
	docs := make([][]byte, len(vs))
	errs := make([]error, len(vs))
	inParallel(len(vs), func(i int) {
		v := *vs[i]
		v.Version++
		docs[i], errs[i] = doccodec.Marshal(&v)
	})
	for i, v := range vs {
		if errs[i] != nil {
			return fmt.Errorf("postgres: encode resource %q: %w", v.ID, errs[i])
		}
		if err := t.putResourceDoc(v, docs[i]); err != nil {
			return err
		}
	}
	return nil
}

// LeaseResources implements marketplace.DueResourceTx: the lease is
// written with the commit (after the transaction's other writes), so a
// rolled-back transaction leases nothing. Ids that do not exist are
// ignored.
//
// Errors: *marketplace.InputError for an empty owner.
func (t *tx) LeaseResources(ids []string, owner string, until time.Time) error {
	if owner == "" {
		return &marketplace.InputError{Field: "owner", Value: owner, Reason: "must not be empty"}
	}
	if len(ids) == 0 {
		return nil
	}
	t.w.leases = append(t.w.leases, leaseReq{ids: append([]string(nil), ids...), owner: owner, until: until.UTC()})
	return nil
}

// inParallel calls fn(0) … fn(n-1) on up to GOMAXPROCS goroutines, each
// taking a run of at least 32 indexes: decoding and encoding a batch of
// documents while the database waits for the next statement.
func inParallel(n int, fn func(i int)) {
	const chunk = 32
	workers := min(runtime.GOMAXPROCS(0), (n+chunk-1)/chunk)
	if workers <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w * per; i < min((w+1)*per, n); i++ {
				fn(i)
			}
		}()
	}
	wg.Wait()
}
