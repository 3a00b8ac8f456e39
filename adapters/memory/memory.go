package memory

import (
	"cmp"
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/opengallery/opengallery/adapters/internal/doccodec"
	"github.com/opengallery/opengallery/marketplace"
)

// Store is an in-memory marketplace.Store. The zero value is not usable;
// call New.
type Store struct {
	mu   sync.RWMutex
	docs map[marketplace.Kind]map[string]*entry
	// list keeps each kind's entries in a slice (creation order) so that
	// queries scan contiguous memory; pos is an entry's index in it.
	list   map[marketplace.Kind][]*entry
	pos    map[marketplace.Kind]map[string]int
	saved  map[string]map[savedKey]marketplace.SavedItem
	idem   map[string]marketplace.IdempotencyRecord
	events []marketplace.Event
}

var _ marketplace.Store = (*Store)(nil)

// entry is one stored aggregate: its JSON document and the decoded value
// queries filter on (never handed out).
type entry struct {
	data       []byte
	version    int64
	val        any
	due        *time.Time
	claimUntil time.Time
	claimOwner string
	words      []string // products only
}

type savedKey struct{ product, spec string }

// New returns an empty store.
func New() *Store {
	return &Store{
		docs:  map[marketplace.Kind]map[string]*entry{},
		list:  map[marketplace.Kind][]*entry{},
		pos:   map[marketplace.Kind]map[string]int{},
		saved: map[string]map[savedKey]marketplace.SavedItem{},
		idem:  map[string]marketplace.IdempotencyRecord{},
	}
}

// Update implements marketplace.Store. Writers are serialised, so a stale
// version is detected when Put runs and commit itself never conflicts.
func (s *Store) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tx := &tx{s: s, staged: map[marketplace.Kind]map[string]*entry{}}
	if err := fn(tx); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for kind, m := range tx.staged {
		if s.docs[kind] == nil {
			s.docs[kind] = map[string]*entry{}
			s.pos[kind] = map[string]int{}
		}
		for id, e := range m {
			if old := s.docs[kind][id]; old != nil {
				s.list[kind][s.pos[kind][id]] = e
				// A claim lives on the entry; writing ends it (the new
				// entry has none).
			} else {
				s.pos[kind][id] = len(s.list[kind])
				s.list[kind] = append(s.list[kind], e)
			}
			s.docs[kind][id] = e
		}
	}
	for _, op := range tx.savedOps {
		m := s.saved[op.buyer]
		if op.del {
			delete(m, op.key)
			continue
		}
		if m == nil {
			m = map[savedKey]marketplace.SavedItem{}
			s.saved[op.buyer] = m
		}
		m[op.key] = op.item
	}
	for k, v := range tx.idem {
		s.idem[k] = v
	}
	s.events = append(s.events, tx.events...)
	tx.commitLeases()
	return nil
}

// View implements marketplace.Store.
func (s *Store) View(ctx context.Context, fn func(tx marketplace.ReadTx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return fn(&tx{s: s, readOnly: true})
}

type savedOp struct {
	buyer string
	key   savedKey
	item  marketplace.SavedItem
	del   bool
}

type tx struct {
	s        *Store
	readOnly bool
	staged   map[marketplace.Kind]map[string]*entry
	savedOps []savedOp
	idem     map[string]marketplace.IdempotencyRecord
	events   []marketplace.Event
	leases   map[string]leaseOp // resource id → lease taken at commit
}

func (t *tx) lookup(kind marketplace.Kind, id string) *entry {
	if e, ok := t.staged[kind][id]; ok {
		return e
	}
	return t.s.docs[kind][id]
}

func get[T any](t *tx, kind marketplace.Kind, id string) (T, error) {
	var v T
	e := t.lookup(kind, id)
	if e == nil {
		return v, &marketplace.NotFoundError{Kind: kind, ID: id}
	}
	if err := doccodec.Unmarshal(e.data, &v); err != nil {
		return v, fmt.Errorf("memory: decode %s %q: %w", kind, id, err)
	}
	return v, nil
}

// put writes v (whose Version field versionOf points at) after the
// optimistic check.
func put[T any](t *tx, kind marketplace.Kind, id string, v *T, version *int64, due *time.Time) error {
	if id == "" {
		return &marketplace.InputError{Field: "id", Value: id, Reason: "must not be empty"}
	}
	have := int64(0)
	if e := t.lookup(kind, id); e != nil {
		have = e.version
	}
	if *version != have {
		return &marketplace.ConflictError{Kind: kind, ID: id, Want: *version, Have: have}
	}
	next := have + 1
	old := *version
	*version = next
	data, err := doccodec.Marshal(v)
	if err != nil {
		*version = old
		return fmt.Errorf("memory: encode %s %q: %w", kind, id, err)
	}
	// Decode a private copy for queries so that later changes to *v by the
	// caller cannot reach the store.
	var cp T
	if err := doccodec.Unmarshal(data, &cp); err != nil {
		*version = old
		return fmt.Errorf("memory: decode %s %q: %w", kind, id, err)
	}
	e := &entry{data: data, version: next, val: &cp}
	if due != nil {
		d := *due
		e.due = &d
	}
	if p, ok := any(&cp).(*marketplace.Product); ok {
		e.words = marketplace.Words(p.Name + " " + p.Description + " " + p.SellerName)
	}
	if t.staged[kind] == nil {
		t.staged[kind] = map[string]*entry{}
	}
	t.staged[kind][id] = e
	return nil
}

func (t *tx) Seller(id string) (marketplace.Seller, error) {
	return get[marketplace.Seller](t, marketplace.KindSeller, id)
}
func (t *tx) Product(id string) (marketplace.Product, error) {
	return get[marketplace.Product](t, marketplace.KindProduct, id)
}
func (t *tx) Order(id string) (marketplace.Order, error) {
	return get[marketplace.Order](t, marketplace.KindOrder, id)
}
func (t *tx) Payment(id string) (marketplace.Payment, error) {
	return get[marketplace.Payment](t, marketplace.KindPayment, id)
}
func (t *tx) Account(id string) (marketplace.Account, error) {
	return get[marketplace.Account](t, marketplace.KindAccount, id)
}
func (t *tx) Resource(id string) (marketplace.Resource, error) {
	return get[marketplace.Resource](t, marketplace.KindResource, id)
}
func (t *tx) Flow(id string) (marketplace.Flow, error) {
	return get[marketplace.Flow](t, marketplace.KindFlow, id)
}
func (t *tx) Invoice(id string) (marketplace.Invoice, error) {
	return get[marketplace.Invoice](t, marketplace.KindInvoice, id)
}
func (t *tx) UnsubscribeRequest(id string) (marketplace.UnsubscribeRequest, error) {
	return get[marketplace.UnsubscribeRequest](t, marketplace.KindUnsubscribe, id)
}

func (t *tx) SavedItems(buyerID string) ([]marketplace.SavedItem, error) {
	m := map[savedKey]marketplace.SavedItem{}
	for k, v := range t.s.saved[buyerID] {
		m[k] = v
	}
	for _, op := range t.savedOps {
		if op.buyer != buyerID {
			continue
		}
		if op.del {
			delete(m, op.key)
		} else {
			m[op.key] = op.item
		}
	}
	out := make([]marketplace.SavedItem, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b marketplace.SavedItem) int {
		return cmp.Or(a.AddedAt.Compare(b.AddedAt), cmp.Compare(a.ProductID, b.ProductID), cmp.Compare(a.SpecID, b.SpecID))
	})
	return out, nil
}

func (t *tx) Idempotency(key string) (marketplace.IdempotencyRecord, error) {
	if v, ok := t.idem[key]; ok {
		return v, nil
	}
	if v, ok := t.s.idem[key]; ok {
		return v, nil
	}
	return marketplace.IdempotencyRecord{}, &marketplace.NotFoundError{Kind: marketplace.KindIdempotency, ID: key}
}

func (t *tx) PutSeller(v *marketplace.Seller) error {
	return put(t, marketplace.KindSeller, v.ID, v, &v.Version, nil)
}
func (t *tx) PutProduct(v *marketplace.Product) error {
	return put(t, marketplace.KindProduct, v.ID, v, &v.Version, nil)
}
func (t *tx) PutOrder(v *marketplace.Order) error {
	return put(t, marketplace.KindOrder, v.ID, v, &v.Version, v.NextDueAt)
}
func (t *tx) PutPayment(v *marketplace.Payment) error {
	return put(t, marketplace.KindPayment, v.ID, v, &v.Version, nil)
}
func (t *tx) PutAccount(v *marketplace.Account) error {
	return put(t, marketplace.KindAccount, v.ID, v, &v.Version, nil)
}
func (t *tx) PutResource(v *marketplace.Resource) error {
	return put(t, marketplace.KindResource, v.ID, v, &v.Version, v.NextDueAt)
}
func (t *tx) PutFlow(v *marketplace.Flow) error {
	return put(t, marketplace.KindFlow, v.ID, v, &v.Version, v.NextDueAt)
}
func (t *tx) PutInvoice(v *marketplace.Invoice) error {
	return put(t, marketplace.KindInvoice, v.ID, v, &v.Version, nil)
}
func (t *tx) PutUnsubscribeRequest(v *marketplace.UnsubscribeRequest) error {
	return put(t, marketplace.KindUnsubscribe, v.ID, v, &v.Version, v.NextDueAt)
}

func (t *tx) PutSavedItem(v marketplace.SavedItem) error {
	if v.BuyerID == "" || v.ProductID == "" {
		return &marketplace.InputError{Field: "saved_item", Value: v, Reason: "buyer and product ids must not be empty"}
	}
	t.savedOps = append(t.savedOps, savedOp{buyer: v.BuyerID, key: savedKey{v.ProductID, v.SpecID}, item: v})
	return nil
}

func (t *tx) DeleteSavedItem(buyerID, productID, specID string) error {
	items, _ := t.SavedItems(buyerID)
	for _, it := range items {
		if it.ProductID == productID && it.SpecID == specID {
			t.savedOps = append(t.savedOps, savedOp{buyer: buyerID, key: savedKey{productID, specID}, del: true})
			return nil
		}
	}
	return &marketplace.NotFoundError{Kind: marketplace.KindSavedItem, ID: buyerID + "/" + productID + "/" + specID}
}

func (t *tx) PutIdempotency(v marketplace.IdempotencyRecord) error {
	if v.Key == "" {
		return &marketplace.InputError{Field: "key", Value: v.Key, Reason: "must not be empty"}
	}
	if _, err := t.Idempotency(v.Key); err == nil {
		return &marketplace.ConflictError{Kind: marketplace.KindIdempotency, ID: v.Key, Have: 1}
	}
	if t.idem == nil {
		t.idem = map[string]marketplace.IdempotencyRecord{}
	}
	t.idem[v.Key] = v
	return nil
}

func (t *tx) AppendEvent(e *marketplace.Event) error {
	if e.Kind == "" || e.AggregateID == "" || e.Type == "" {
		return &marketplace.InputError{Field: "event", Value: e.Type, Reason: "kind, aggregate id and type must not be empty"}
	}
	e.Seq = int64(len(t.s.events)+len(t.events)) + 1
	cp := *e
	cp.Data = slices.Clone(e.Data)
	cp.At = cp.At.UTC()
	t.events = append(t.events, cp)
	return nil
}

// cursorKey is the position of an item in a sorted list.
type cursorKey struct {
	R  int       `json:"r,omitempty"`
	T  time.Time `json:"t"`
	S  string    `json:"s,omitempty"`
	ID string    `json:"id"`
}

func encodeCursor(k cursorKey) string {
	b, _ := doccodec.Marshal(k)
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string) (cursorKey, error) {
	var k cursorKey
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || doccodec.Unmarshal(b, &k) != nil || k.ID == "" {
		return k, marketplace.BadCursor(c)
	}
	return k, nil
}

// page sorts the matching entries, skips to the cursor and decodes one page.
func page[T any](s *Store, ctx context.Context, kind marketplace.Kind, limit int, cursor string,
	match func(v *T, e *entry) bool, key func(v *T) cursorKey, less func(a, b cursorKey) int) (marketplace.Page[T], error) {
	var out marketplace.Page[T]
	if err := marketplace.CheckLimit(limit); err != nil {
		return out, err
	}
	var after *cursorKey
	if cursor != "" {
		k, err := decodeCursor(cursor)
		if err != nil {
			return out, err
		}
		after = &k
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	type hit struct {
		k cursorKey
		e *entry
	}
	var hits []hit
	for _, e := range s.list[kind] {
		v := e.val.(*T)
		if match(v, e) {
			hits = append(hits, hit{key(v), e})
		}
	}
	out.Total = len(hits)
	slices.SortFunc(hits, func(a, b hit) int { return less(a.k, b.k) })
	start := 0
	if after != nil {
		start, _ = slices.BinarySearchFunc(hits, *after, func(h hit, k cursorKey) int {
			if c := less(h.k, k); c != 0 {
				return c
			}
			return -1 // equal to the cursor: it was on the previous page
		})
	}
	end := min(start+limit, len(hits))
	out.Items = make([]T, 0, end-start)
	for _, h := range hits[start:end] {
		var v T
		if err := doccodec.Unmarshal(h.e.data, &v); err != nil {
			return marketplace.Page[T]{}, fmt.Errorf("memory: decode %s: %w", kind, err)
		}
		out.Items = append(out.Items, v)
	}
	if end < len(hits) {
		out.Next = encodeCursor(hits[end-1].k)
	}
	return out, nil
}

// newestFirst orders by T descending, then ID descending.
func newestFirst(a, b cursorKey) int {
	return cmp.Or(b.T.Compare(a.T), cmp.Compare(b.ID, a.ID))
}

// SearchProducts implements marketplace.Store.
func (s *Store) SearchProducts(ctx context.Context, q marketplace.ProductQuery) (marketplace.Page[marketplace.Product], error) {
	if err := marketplace.CheckSort(q.Sort); err != nil {
		return marketplace.Page[marketplace.Product]{}, err
	}
	terms := marketplace.SearchTerms(q.Text)
	match := func(p *marketplace.Product, e *entry) bool {
		if q.Category != "" && p.Category != q.Category ||
			q.Delivery != "" && p.Delivery != q.Delivery ||
			q.SellerID != "" && p.SellerID != q.SellerID ||
			q.OS != "" && !slices.Contains(p.OperatingSystems, q.OS) ||
			q.Mode != "" && !slices.Contains(p.Modes(), q.Mode) ||
			len(q.Statuses) > 0 && !slices.Contains(q.Statuses, p.Status) {
			return false
		}
		return marketplace.MatchesWords(e.words, terms)
	}
	if q.Sort == marketplace.SortName {
		return page(s, ctx, marketplace.KindProduct, q.Limit, q.Cursor, match,
			func(p *marketplace.Product) cursorKey { return cursorKey{S: p.Name, ID: p.ID} },
			func(a, b cursorKey) int { return cmp.Or(cmp.Compare(a.S, b.S), cmp.Compare(a.ID, b.ID)) })
	}
	return page(s, ctx, marketplace.KindProduct, q.Limit, q.Cursor, match,
		func(p *marketplace.Product) cursorKey {
			if p.ListedAt != nil {
				return cursorKey{T: p.ListedAt.UTC(), ID: p.ID}
			}
			return cursorKey{R: 1, T: p.CreatedAt.UTC(), ID: p.ID}
		},
		func(a, b cursorKey) int {
			return cmp.Or(cmp.Compare(a.R, b.R), b.T.Compare(a.T), cmp.Compare(a.ID, b.ID))
		})
}

// ListOrders implements marketplace.Store.
func (s *Store) ListOrders(ctx context.Context, q marketplace.OrderQuery) (marketplace.Page[marketplace.Order], error) {
	return page(s, ctx, marketplace.KindOrder, q.Limit, q.Cursor,
		func(o *marketplace.Order, _ *entry) bool {
			return (q.BuyerID == "" || o.BuyerID == q.BuyerID) && (q.SellerID == "" || o.SellerID == q.SellerID) &&
				(q.ResourceID == "" || o.ResourceID == q.ResourceID) && (q.Status == "" || o.Status == q.Status) &&
				(q.Kind == "" || o.Kind == q.Kind)
		},
		func(o *marketplace.Order) cursorKey { return cursorKey{T: o.CreatedAt.UTC(), ID: o.ID} }, newestFirst)
}

// ListResources implements marketplace.Store.
func (s *Store) ListResources(ctx context.Context, q marketplace.ResourceQuery) (marketplace.Page[marketplace.Resource], error) {
	return page(s, ctx, marketplace.KindResource, q.Limit, q.Cursor,
		func(r *marketplace.Resource, _ *entry) bool {
			return (q.BuyerID == "" || r.BuyerID == q.BuyerID) && (q.SellerID == "" || r.SellerID == q.SellerID) &&
				(q.Status == "" || r.Status == q.Status) && (!q.VisibleOnly || r.Visible)
		},
		func(r *marketplace.Resource) cursorKey { return cursorKey{T: r.PurchasedAt.UTC(), ID: r.ID} }, newestFirst)
}

// ListFlows implements marketplace.Store.
func (s *Store) ListFlows(ctx context.Context, q marketplace.FlowQuery) (marketplace.Page[marketplace.Flow], error) {
	return page(s, ctx, marketplace.KindFlow, q.Limit, q.Cursor,
		func(f *marketplace.Flow, _ *entry) bool {
			return (q.BuyerID == "" || f.BuyerID == q.BuyerID) && (q.SellerID == "" || f.SellerID == q.SellerID) &&
				(q.Status == "" || f.Status == q.Status)
		},
		func(f *marketplace.Flow) cursorKey { return cursorKey{T: f.CreatedAt.UTC(), ID: f.ID} }, newestFirst)
}

// ListInvoices implements marketplace.Store.
func (s *Store) ListInvoices(ctx context.Context, q marketplace.InvoiceQuery) (marketplace.Page[marketplace.Invoice], error) {
	return page(s, ctx, marketplace.KindInvoice, q.Limit, q.Cursor,
		func(v *marketplace.Invoice, _ *entry) bool {
			return (q.BuyerID == "" || v.BuyerID == q.BuyerID) && (q.SellerID == "" || v.SellerID == q.SellerID) &&
				(q.OrderID == "" || v.OrderID == q.OrderID) && (q.Status == "" || v.Status == q.Status)
		},
		func(v *marketplace.Invoice) cursorKey { return cursorKey{T: v.RequestedAt.UTC(), ID: v.ID} }, newestFirst)
}

// ListUnsubscribeRequests implements marketplace.Store.
func (s *Store) ListUnsubscribeRequests(ctx context.Context, q marketplace.UnsubscribeQuery) (marketplace.Page[marketplace.UnsubscribeRequest], error) {
	return page(s, ctx, marketplace.KindUnsubscribe, q.Limit, q.Cursor,
		func(v *marketplace.UnsubscribeRequest, _ *entry) bool {
			return (q.BuyerID == "" || v.BuyerID == q.BuyerID) && (q.SellerID == "" || v.SellerID == q.SellerID) &&
				(q.ResourceID == "" || v.ResourceID == q.ResourceID) && (q.Status == "" || v.Status == q.Status)
		},
		func(v *marketplace.UnsubscribeRequest) cursorKey { return cursorKey{T: v.CreatedAt.UTC(), ID: v.ID} }, newestFirst)
}

// ListPayments implements marketplace.Store.
func (s *Store) ListPayments(ctx context.Context, q marketplace.PaymentQuery) (marketplace.Page[marketplace.Payment], error) {
	return page(s, ctx, marketplace.KindPayment, q.Limit, q.Cursor,
		func(v *marketplace.Payment, _ *entry) bool {
			return (q.BuyerID == "" || v.BuyerID == q.BuyerID) && (q.OrderID == "" || v.OrderID == q.OrderID) &&
				(q.Method == "" || v.Method == q.Method) && (!q.Unsettled || v.SettledAt == nil)
		},
		func(v *marketplace.Payment) cursorKey { return cursorKey{T: v.CreatedAt.UTC(), ID: v.ID} },
		func(a, b cursorKey) int { return cmp.Or(a.T.Compare(b.T), cmp.Compare(a.ID, b.ID)) })
}

var dueKinds = []marketplace.Kind{marketplace.KindOrder, marketplace.KindResource, marketplace.KindFlow, marketplace.KindUnsubscribe}

// ClaimDue implements marketplace.Store.
func (s *Store) ClaimDue(ctx context.Context, now time.Time, limit int, owner string, lease time.Duration) ([]marketplace.DueItem, error) {
	switch {
	case limit < 1:
		return nil, &marketplace.InputError{Field: "limit", Value: limit, Reason: "must be at least 1"}
	case owner == "":
		return nil, &marketplace.InputError{Field: "owner", Value: owner, Reason: "must not be empty"}
	case lease <= 0:
		return nil, &marketplace.InputError{Field: "lease", Value: lease, Reason: "must be positive"}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type cand struct {
		item marketplace.DueItem
		e    *entry
	}
	var cands []cand
	for _, kind := range dueKinds {
		for id, e := range s.docs[kind] {
			if e.due == nil || e.due.After(now) || e.claimUntil.After(now) {
				continue
			}
			cands = append(cands, cand{marketplace.DueItem{Kind: kind, ID: id, Version: e.version, DueAt: e.due.UTC()}, e})
		}
	}
	slices.SortFunc(cands, func(a, b cand) int {
		return cmp.Or(a.item.DueAt.Compare(b.item.DueAt), cmp.Compare(a.item.Kind, b.item.Kind), cmp.Compare(a.item.ID, b.item.ID))
	})
	cands = cands[:min(limit, len(cands))]
	out := make([]marketplace.DueItem, len(cands))
	for i, c := range cands {
		c.e.claimUntil = now.Add(lease)
		c.e.claimOwner = owner
		out[i] = c.item
	}
	return out, nil
}

// Events implements marketplace.Store.
func (s *Store) Events(ctx context.Context, after int64, limit int) ([]marketplace.Event, error) {
	if err := marketplace.CheckLimit(limit); err != nil {
		return nil, err
	}
	if after < 0 {
		return nil, &marketplace.InputError{Field: "after", Value: after, Reason: "must not be negative"}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if after >= int64(len(s.events)) {
		return []marketplace.Event{}, nil
	}
	src := s.events[after:min(int(after)+limit, len(s.events))]
	out := make([]marketplace.Event, len(src))
	for i, e := range src {
		e.Data = slices.Clone(e.Data)
		out[i] = e
	}
	return out, nil
}
