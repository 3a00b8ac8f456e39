package saasaccess

import (
	"context"
	"sync"

	"github.com/opengallery/opengallery/provisioning"
)

// InstanceIDs remembers which instance was created for each create key,
// so that KooGallery's resends of newInstance get the same instance id.
// Implementations over a database make the guarantee survive restarts;
// MemoryInstanceIDs is the in-process one.
type InstanceIDs interface {
	// Lookup returns the instance id stored for key and whether there is
	// one.
	//
	// Errors: whatever the storage reports.
	Lookup(ctx context.Context, key provisioning.CreateKey) (id string, ok bool, err error)
	// Store records id for key unless an id is already stored, and
	// returns the id stored in the end (the earlier one if there was one).
	//
	// Errors: whatever the storage reports.
	Store(ctx context.Context, key provisioning.CreateKey, id string) (stored string, err error)
}

// MemoryInstanceIDs is an in-memory InstanceIDs, safe for concurrent use.
// The zero value is ready.
type MemoryInstanceIDs struct {
	mu  sync.Mutex
	ids map[provisioning.CreateKey]string
}

// Lookup implements InstanceIDs. It never fails.
func (m *MemoryInstanceIDs) Lookup(_ context.Context, key provisioning.CreateKey) (string, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.ids[key]
	return id, ok, nil
}

// Store implements InstanceIDs. It never fails.
func (m *MemoryInstanceIDs) Store(_ context.Context, key provisioning.CreateKey, id string) (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev, ok := m.ids[key]; ok {
		return prev, nil
	}
	if m.ids == nil {
		m.ids = make(map[provisioning.CreateKey]string)
	}
	m.ids[key] = id
	return id, nil
}

// Idempotent wraps a Seller so that CreateInstance runs at most once per
// create key (order id + order line id, or order id + product id for
// pay-per-use; see provisioning.CreateRequest.Key): a repeat returns the
// stored instance id without calling the seller, which is what the
// protocol demands of a resent newInstance. Concurrent creates with one key
// wait for each other in this process; across processes the store's
// Store decides, and a seller whose own create is not idempotent may then
// create an instance the key does not point to, so sellers running several
// processes should also key their creates on CreateRequest.Key. A
// "processing" answer or a failure stores nothing, so the next resend tries
// again. The other methods pass through.
func Idempotent(seller Seller, ids InstanceIDs) Seller {
	return &idempotent{Seller: seller, ids: ids, locks: make(map[provisioning.CreateKey]*keyLock)}
}

type idempotent struct {
	Seller
	ids   InstanceIDs
	mu    sync.Mutex
	locks map[provisioning.CreateKey]*keyLock
}

type keyLock struct {
	mu   sync.Mutex
	refs int
}

func (s *idempotent) lock(key provisioning.CreateKey) func() {
	s.mu.Lock()
	l := s.locks[key]
	if l == nil {
		l = &keyLock{}
		s.locks[key] = l
	}
	l.refs++
	s.mu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		s.mu.Lock()
		if l.refs--; l.refs == 0 {
			delete(s.locks, key)
		}
		s.mu.Unlock()
	}
}

// CreateInstance returns the stored instance id for req.Key(), or creates
// the instance and stores its id.
//
// Errors: the seller's errors; the store's errors (answered as 000005).
func (s *idempotent) CreateInstance(ctx context.Context, req provisioning.CreateRequest) (provisioning.CreateResult, error) {
	key := req.Key()
	unlock := s.lock(key)
	defer unlock()
	if id, ok, err := s.ids.Lookup(ctx, key); err != nil {
		return provisioning.CreateResult{}, err
	} else if ok {
		return provisioning.CreateResult{InstanceID: id}, nil
	}
	res, err := s.Seller.CreateInstance(ctx, req)
	if err != nil || res.Processing || res.InstanceID == "" {
		return res, err
	}
	stored, err := s.ids.Store(ctx, key, res.InstanceID)
	if err != nil {
		return provisioning.CreateResult{}, err
	}
	if stored != res.InstanceID {
		return provisioning.CreateResult{InstanceID: stored}, nil
	}
	return res, nil
}
