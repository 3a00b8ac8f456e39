package postgres

import (
	"errors"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/opengallery/opengallery/marketplace"
)

// Prefetch implements marketplace.Prefetcher: the point reads of refs that
// the Update holds nothing of (not written, read or found missing) go in
// one round trip (a pgx.Batch), on the Update's connection as its reads
// do: outside any transaction until something began one. Found rows are
// kept as reads are, missing ones as absent, so the getters that follow
// answer from memory. Nothing is read in View, in an Update that locks what
// it reads (marketplace.Retrying: a prefetched row would be read without
// its lock), for fewer than two refs (a batch of one saves nothing) or for
// kinds with no getter by id; a failed round trip keeps nothing, and the
// getters read for themselves (and report the failure).
func (t *tx) Prefetch(refs ...marketplace.Ref) {
	if t.w == nil || t.c == nil || t.lock {
		return
	}
	b := &pgx.Batch{}
	keys := make([]rowKey, 0, len(refs))
	for _, r := range refs {
		k := rowKey{r.Kind, r.ID}
		if r.ID == "" || t.w.holds(k) || slices.Contains(keys, k) {
			continue
		}
		if r.Kind == marketplace.KindIdempotency {
			b.Queue(t.s.getIdem, r.ID)
		} else if ks, ok := t.s.kinds[r.Kind]; ok {
			b.Queue(ks.get, r.ID)
		} else {
			continue
		}
		keys = append(keys, k)
	}
	if len(keys) < 2 {
		return
	}
	docs := make([][]byte, len(keys))
	br := t.c.conn.SendBatch(t.ctx, b)
	for i := range keys {
		err := br.QueryRow().Scan(&docs[i])
		if err != nil && !errors.Is(err, pgx.ErrNoRows) {
			_ = br.Close()
			return
		}
	}
	if err := br.Close(); err != nil {
		return
	}
	for i, k := range keys {
		if docs[i] != nil {
			t.w.reads[k] = docs[i]
			continue
		}
		if t.w.absent == nil {
			t.w.absent = map[rowKey]bool{}
		}
		t.w.absent[k] = true
	}
}

// holds reports whether the write set can answer a read of k: written,
// read, or found missing.
func (w *writeSet) holds(k rowKey) bool {
	if k.kind == marketplace.KindIdempotency {
		if _, ok := w.idemAt[k.id]; ok {
			return true
		}
	} else if w.rows[k] != nil {
		return true
	}
	return w.reads[k] != nil || w.absent[k]
}
