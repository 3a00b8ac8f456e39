package postgres

import (
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opengallery/opengallery/adapters/internal/doccodec"
	"github.com/opengallery/opengallery/marketplace"
)

// pendingEvent is one event waiting for its sequence number.
type pendingEvent struct {
	e    *marketplace.Event
	at   time.Time
	kind string
	agg  string
	typ  string
	doc  string
}

// AppendEvent implements marketplace.Tx. By default it only queues the
// event: Update numbers and inserts the transaction's events in the round
// trip that commits (see commitBatch), so the sequencer row is locked only
// for that round trip. e.Seq is then provisional until Update returns nil
// (the last number this store saw committed plus the event's position),
// exact when no other transaction commits events in between, and Update
// sets it to the committed number. WithEagerSequence numbers the event
// here instead, in the transaction (begun by it if need be), holding the
// sequencer lock from now until the transaction ends, and e.Seq is exact
// at once.
//
// Errors: *marketplace.InputError for an event without kind, aggregate id
// or type; *marketplace.ConflictError when the eager numbering collides
// with a concurrent transaction; ctx.Err(); pgx errors.
func (t *tx) AppendEvent(e *marketplace.Event) error {
	if e.Kind == "" || e.AggregateID == "" || e.Type == "" {
		return &marketplace.InputError{Field: "event", Value: e.Type, Reason: "kind, aggregate id and type must not be empty"}
	}
	cp := *e
	cp.At = cp.At.UTC()
	cp.Seq = 0
	doc, err := doccodec.Marshal(cp)
	if err != nil {
		return fmt.Errorf("postgres: encode event: %w", err)
	}
	if !t.st.eagerSeq {
		base, err := t.st.lastCommittedSeq(t)
		if err != nil {
			return err
		}
		t.w.pending = append(t.w.pending, pendingEvent{e: e, at: cp.At, kind: string(cp.Kind), agg: cp.AggregateID, typ: cp.Type, doc: string(doc)})
		e.Seq = base + int64(len(t.w.pending))
		return nil
	}
	var seq int64
	err = t.c.queryRowTx(t.ctx, `WITH s AS (UPDATE `+t.s.t("og_sequencer")+` SET last = last + 1 WHERE id = 1 RETURNING last)
		INSERT INTO `+t.s.t("og_events")+` (seq, at, kind, aggregate_id, type, doc)
		SELECT last, $1, $2, $3, $4, $5 FROM s RETURNING seq`,
		cp.At, string(cp.Kind), cp.AggregateID, cp.Type, doc).Scan(&seq)
	if err != nil {
		if isConflict(err) {
			return &marketplace.ConflictError{Kind: marketplace.Kind("event"), ID: cp.AggregateID}
		}
		return wrapErr(t.ctx, "append event", err)
	}
	e.Seq = seq
	return nil
}

// lastCommittedSeq is the highest sequence number this store has seen
// committed, read from the sequencer (without locking it) the first time.
func (s *Store) lastCommittedSeq(t *tx) (int64, error) {
	if s.seqKnown.Load() {
		return s.lastSeq.Load(), nil
	}
	var last int64
	if err := t.q.QueryRow(t.ctx, `SELECT last FROM `+t.s.t("og_sequencer")+` WHERE id = 1`).Scan(&last); err != nil {
		return 0, wrapErr(t.ctx, "read sequencer", err)
	}
	s.sawSeq(last)
	return s.lastSeq.Load(), nil
}

// sawSeq records a committed sequence number.
func (s *Store) sawSeq(last int64) {
	for {
		cur := s.lastSeq.Load()
		if last <= cur || s.lastSeq.CompareAndSwap(cur, last) {
			break
		}
	}
	s.seqKnown.Store(true)
}

// appendEventsSQL numbers and inserts n queued events: it increments the
// sequencer by n (taking its row lock until the transaction ends) and
// inserts the events with the n numbers ending at the new value, in the
// order they were appended. It returns the new value.
func appendEventsSQL(s *sqlText) string {
	return `WITH s AS (UPDATE ` + s.t("og_sequencer") + ` SET last = last + $1::bigint WHERE id = 1 RETURNING last),
	ins AS (INSERT INTO ` + s.t("og_events") + ` (seq, at, kind, aggregate_id, type, doc)
		SELECT s.last - $1::bigint + e.ord, e.at, e.kind, e.agg, e.typ, e.doc::json
		FROM s, unnest($2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS e(at, kind, agg, typ, doc, ord))
	SELECT last FROM s`
}

// queueEvents adds the statement that numbers and inserts the pending
// events to b.
func (w *writeSet) queueEvents(b *pgx.Batch, s *sqlText) {
	n := len(w.pending)
	ats := make([]time.Time, n)
	kinds, aggs, typs, docs := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, p := range w.pending {
		ats[i], kinds[i], aggs[i], typs[i], docs[i] = p.at, p.kind, p.agg, p.typ, p.doc
	}
	b.Queue(s.appendEvents, int64(n), ats, kinds, aggs, typs, docs)
}

// numbered sets the caller's events to their committed numbers, the n
// ending at last.
func (w *writeSet) numbered(st *Store, last int64) {
	n := int64(len(w.pending))
	for i, p := range w.pending {
		p.e.Seq = last - n + int64(i) + 1
	}
	st.sawSeq(last)
}
