package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/opengallery/opengallery/adapters/internal/doccodec"
	"github.com/opengallery/opengallery/marketplace"
)

// The optimistic transaction (optimistic.go says when it is used): reads
// from a View's snapshot overlaid with the transaction's own writes, and
// writes kept in a write set that the writer applies with its checks.

// otx implements marketplace.Tx optimistically: reads from a View
// snapshot, overlaid with the transaction's own writes; writes into ws.
type otx struct {
	ctx context.Context
	s   *Store
	vt  *viewTx
	ws  writeSet
	// seqBase is the event number provisional numbers count from (-1
	// until the first AppendEvent).
	seqBase int64
	// noKey are idempotency keys the snapshot does not hold (read as
	// not found): PutIdempotency need not look again.
	noKey map[string]bool
}

// writeSet is what an optimistic Update wrote, in the order written.
type writeSet struct {
	rows   []*rowWrite
	at     map[docKey]*rowWrite
	saved  []savedOp
	idem   []idemWrite
	idemAt map[string]int // key → index in idem
	events []eventWrite
}

// savedOp is a PutSavedItem (doc set) or a DeleteSavedItem (doc nil).
type savedOp struct {
	key  savedKey
	item marketplace.SavedItem
	doc  []byte
}

// idemWrite is a PutIdempotency.
type idemWrite struct {
	key string
	doc []byte
}

func (ws *writeSet) empty() bool {
	return len(ws.rows) == 0 && len(ws.saved) == 0 && len(ws.idem) == 0 && len(ws.events) == 0
}

// apply runs the write set in t with its checks, numbering the events.
//
// Errors: *marketplace.ConflictError for a stale or duplicate write (or a
// saved item deleted since it was read); driver errors.
func (ws *writeSet) apply(t *tx) error {
	for _, w := range ws.rows {
		if err := t.execRow(w); err != nil {
			return err
		}
	}
	for _, op := range ws.saved {
		if op.doc != nil {
			if err := t.upsertSavedItem(op.item, op.doc); err != nil {
				return err
			}
			continue
		}
		deleted, err := t.deleteSavedItem(op.key)
		if err != nil {
			return err
		}
		if !deleted {
			return &marketplace.ConflictError{Kind: marketplace.KindSavedItem, ID: op.key.String(), Want: 1}
		}
	}
	for _, r := range ws.idem {
		if err := t.insertIdempotency(r.key, r.doc); err != nil {
			return err
		}
	}
	return t.insertEvents(ws.events, func(i int, seq int64) { ws.events[i].seq = seq })
}

// numbered gives the appended events their committed numbers.
func (ws *writeSet) numbered() {
	for _, ev := range ws.events {
		ev.e.Seq = ev.seq
	}
}

// submit queues the write set for the writer; nil when there is nothing
// to write (or it could not be queued: the error says why).
func (o *otx) submit() (*writeReq, error) {
	if o.ws.empty() {
		return nil, o.ctx.Err()
	}
	req := &writeReq{ctx: o.ctx, replay: true, done: make(chan writeResult, 1), fn: func(ctx context.Context, q sqlTx) error {
		return o.ws.apply(&tx{ctx: ctx, q: q})
	}}
	if err := o.s.enqueue(req); err != nil {
		return nil, err
	}
	return req, nil
}

// await waits for the group commit of the write set submit queued.
func (o *otx) await(req *writeReq) error {
	err := req.wait()
	if err == nil {
		o.ws.numbered()
	}
	return err
}

// put buffers a Put. A second Put of the same aggregate must carry the
// version the first gave it (else *marketplace.ConflictError at once); the
// write set keeps the last document and checks the version first written
// from.
func (o *otx) put(rs rowSpec) error {
	key := docKey{rs.kind, rs.id}
	prev := o.ws.at[key]
	if prev != nil && prev.version != *rs.version {
		return &marketplace.ConflictError{Kind: rs.kind, ID: rs.id, Want: *rs.version, Have: prev.version}
	}
	w, err := prepareRow(rs)
	if err != nil {
		return err
	}
	if prev != nil {
		w.old = prev.old
		*prev = w
		return nil
	}
	if o.ws.at == nil {
		o.ws.at = map[docKey]*rowWrite{}
	}
	o.ws.rows = append(o.ws.rows, &w)
	o.ws.at[key] = &w
	return nil
}

// oget reads an aggregate: the transaction's own write, else the
// snapshot's.
func oget[T any](o *otx, kind marketplace.Kind, id string) (T, error) {
	w := o.ws.at[docKey{kind, id}]
	if w == nil {
		return viewGet[T](o.vt, kind, id)
	}
	var v T
	if err := doccodec.Unmarshal(w.doc, &v); err != nil {
		return v, fmt.Errorf("sqlite: decode %s %q: %w", kind, id, err)
	}
	return v, nil
}

// Seller implements marketplace.ReadTx.
func (o *otx) Seller(id string) (marketplace.Seller, error) {
	return oget[marketplace.Seller](o, marketplace.KindSeller, id)
}

// Product implements marketplace.ReadTx.
func (o *otx) Product(id string) (marketplace.Product, error) {
	return oget[marketplace.Product](o, marketplace.KindProduct, id)
}

// Order implements marketplace.ReadTx.
func (o *otx) Order(id string) (marketplace.Order, error) {
	return oget[marketplace.Order](o, marketplace.KindOrder, id)
}

// Payment implements marketplace.ReadTx.
func (o *otx) Payment(id string) (marketplace.Payment, error) {
	return oget[marketplace.Payment](o, marketplace.KindPayment, id)
}

// Account implements marketplace.ReadTx.
func (o *otx) Account(id string) (marketplace.Account, error) {
	return oget[marketplace.Account](o, marketplace.KindAccount, id)
}

// Resource implements marketplace.ReadTx.
func (o *otx) Resource(id string) (marketplace.Resource, error) {
	return oget[marketplace.Resource](o, marketplace.KindResource, id)
}

// Flow implements marketplace.ReadTx.
func (o *otx) Flow(id string) (marketplace.Flow, error) {
	return oget[marketplace.Flow](o, marketplace.KindFlow, id)
}

// Invoice implements marketplace.ReadTx.
func (o *otx) Invoice(id string) (marketplace.Invoice, error) {
	return oget[marketplace.Invoice](o, marketplace.KindInvoice, id)
}

// UnsubscribeRequest implements marketplace.ReadTx.
func (o *otx) UnsubscribeRequest(id string) (marketplace.UnsubscribeRequest, error) {
	return oget[marketplace.UnsubscribeRequest](o, marketplace.KindUnsubscribe, id)
}

// SavedItems implements marketplace.ReadTx: the snapshot's list with the
// transaction's own puts and deletes.
func (o *otx) SavedItems(buyerID string) ([]marketplace.SavedItem, error) {
	items, err := o.vt.SavedItems(buyerID)
	if err != nil || !slices.ContainsFunc(o.ws.saved, func(op savedOp) bool { return op.key.buyer == buyerID }) {
		return items, err
	}
	for _, op := range o.ws.saved {
		if op.key.buyer != buyerID {
			continue
		}
		items = slices.DeleteFunc(items, func(it marketplace.SavedItem) bool {
			return it.ProductID == op.key.product && it.SpecID == op.key.spec
		})
		if op.doc != nil {
			// Decoded from the document, as a stored item is read, so
			// that it reads back alike (times as their JSON gives them).
			var it marketplace.SavedItem
			if err := doccodec.Unmarshal(op.doc, &it); err != nil {
				return nil, fmt.Errorf("sqlite: decode saved item %s: %w", op.key, err)
			}
			items = append(items, it)
		}
	}
	// The order of savedItemsQuery.
	slices.SortFunc(items, func(a, b marketplace.SavedItem) int {
		if c := a.AddedAt.Compare(b.AddedAt); c != 0 {
			return c
		}
		if c := strings.Compare(a.ProductID, b.ProductID); c != 0 {
			return c
		}
		return strings.Compare(a.SpecID, b.SpecID)
	})
	return items, nil
}

// Idempotency implements marketplace.ReadTx.
func (o *otx) Idempotency(key string) (marketplace.IdempotencyRecord, error) {
	if i, ok := o.ws.idemAt[key]; ok {
		var v marketplace.IdempotencyRecord
		if err := doccodec.Unmarshal(o.ws.idem[i].doc, &v); err != nil {
			return v, fmt.Errorf("sqlite: decode idempotency %q: %w", key, err)
		}
		return v, nil
	}
	rec, err := o.vt.Idempotency(key)
	if errors.Is(err, marketplace.ErrNotFound) {
		if o.noKey == nil {
			o.noKey = map[string]bool{}
		}
		o.noKey[key] = true
	}
	return rec, err
}

// PutSeller implements marketplace.Tx.
func (o *otx) PutSeller(v *marketplace.Seller) error { return o.put(sellerRow(v)) }

// PutProduct implements marketplace.Tx.
func (o *otx) PutProduct(v *marketplace.Product) error { return o.put(productRow(v)) }

// PutOrder implements marketplace.Tx.
func (o *otx) PutOrder(v *marketplace.Order) error { return o.put(orderRow(v)) }

// PutPayment implements marketplace.Tx.
func (o *otx) PutPayment(v *marketplace.Payment) error { return o.put(paymentRow(v)) }

// PutAccount implements marketplace.Tx.
func (o *otx) PutAccount(v *marketplace.Account) error { return o.put(accountRow(v)) }

// PutResource implements marketplace.Tx.
func (o *otx) PutResource(v *marketplace.Resource) error { return o.put(resourceRow(v)) }

// PutFlow implements marketplace.Tx.
func (o *otx) PutFlow(v *marketplace.Flow) error { return o.put(flowRow(v)) }

// PutInvoice implements marketplace.Tx.
func (o *otx) PutInvoice(v *marketplace.Invoice) error { return o.put(invoiceRow(v)) }

// PutUnsubscribeRequest implements marketplace.Tx.
func (o *otx) PutUnsubscribeRequest(v *marketplace.UnsubscribeRequest) error {
	return o.put(unsubscribeRow(v))
}

// PutSavedItem implements marketplace.Tx.
func (o *otx) PutSavedItem(v marketplace.SavedItem) error {
	doc, err := encodeSavedItem(v)
	if err != nil {
		return err
	}
	o.ws.saved = append(o.ws.saved, savedOp{key: savedKey{v.BuyerID, v.ProductID, v.SpecID}, item: v, doc: doc})
	return nil
}

// DeleteSavedItem implements marketplace.Tx. The item must be on the list
// as the transaction sees it (else *marketplace.NotFoundError at once), and
// still be there at commit (else *marketplace.ConflictError).
func (o *otx) DeleteSavedItem(buyerID, productID, specID string) error {
	items, err := o.SavedItems(buyerID)
	if err != nil {
		return err
	}
	k := savedKey{buyerID, productID, specID}
	if !slices.ContainsFunc(items, func(it marketplace.SavedItem) bool { return it.ProductID == productID && it.SpecID == specID }) {
		return &marketplace.NotFoundError{Kind: marketplace.KindSavedItem, ID: k.String()}
	}
	o.ws.saved = append(o.ws.saved, savedOp{key: k})
	return nil
}

// PutIdempotency implements marketplace.Tx. A key the transaction or its
// snapshot holds is *marketplace.ConflictError at once; one committed
// since, at commit.
func (o *otx) PutIdempotency(v marketplace.IdempotencyRecord) error {
	doc, err := encodeIdempotency(v)
	if err != nil {
		return err
	}
	if _, ok := o.ws.idemAt[v.Key]; ok {
		return idempotencyConflict(v.Key)
	}
	if !o.noKey[v.Key] {
		if _, err := o.vt.Idempotency(v.Key); err == nil {
			return idempotencyConflict(v.Key)
		} else if !errors.Is(err, marketplace.ErrNotFound) {
			return err
		}
	}
	if o.ws.idemAt == nil {
		o.ws.idemAt = map[string]int{}
	}
	o.ws.idemAt[v.Key] = len(o.ws.idem)
	o.ws.idem = append(o.ws.idem, idemWrite{key: v.Key, doc: doc})
	return nil
}

// AppendEvent implements marketplace.Tx. e.Seq is provisional (the last
// number this Store saw committed plus the event's position in the
// transaction) until Update returns nil, which sets the committed number.
func (o *otx) AppendEvent(e *marketplace.Event) error {
	ev, err := encodeEvent(e)
	if err != nil {
		return err
	}
	if o.seqBase < 0 {
		if o.seqBase, err = o.committedSeq(); err != nil {
			return err
		}
	}
	o.ws.events = append(o.ws.events, ev)
	e.Seq = o.seqBase + int64(len(o.ws.events))
	return nil
}

// committedSeq is the last event number committed: as this Store last saw
// it, else as the snapshot holds it.
func (o *otx) committedSeq() (int64, error) {
	if n := o.s.lastSeq.Load(); n >= 0 {
		return n, nil
	}
	var n int64
	err := o.vt.query(`SELECT coalesce(max(seq), 0) FROM og_events`, nil, func(row []driver.Value) error {
		v, ok := row[0].(int64)
		if !ok {
			return fmt.Errorf("sqlite: max(seq) holds %T", row[0])
		}
		n = v
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("sqlite: append event: last number: %w", err)
	}
	o.s.sawSeq(n)
	return n, nil
}
