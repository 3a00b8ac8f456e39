package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
	"time"

	"github.com/opengallery/opengallery/provisioning"
)

// instance is one mailbox-hosting tenant at this seller.
type instance struct {
	ID        string
	OrderID   string
	ProductID string
	Quantity  int64
	ExpiresAt time.Time
	Frozen    bool
	Password  string
	// readyAt is when app info becomes available: sellers usually
	// provision asynchronously, and the marketplace polls.
	readyAt time.Time
}

// mailSeller is an in-memory SaaS seller: an e-mail hosting service whose
// instances are created at once and become ready after a short delay. It
// implements saasaccess.Seller; wrap it in saasaccess.Idempotent so resent
// creates return the same instance.
type mailSeller struct {
	mu        sync.Mutex
	instances map[string]*instance
	base      string        // front-end URL base
	delay     time.Duration // provisioning delay before app info is ready
	now       func() time.Time
}

func newMailSeller(base string, delay time.Duration, now func() time.Time) *mailSeller {
	return &mailSeller{instances: map[string]*instance{}, base: base, delay: delay, now: now}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// CreateInstance creates a tenant.
func (s *mailSeller) CreateInstance(_ context.Context, req provisioning.CreateRequest) (provisioning.CreateResult, error) {
	in := &instance{ID: "mail-" + randomHex(8), OrderID: req.OrderID, ProductID: req.ProductID,
		ExpiresAt: req.Order.ExpiresAt, Password: "Pw-" + randomHex(6), readyAt: s.now().Add(s.delay)}
	for _, p := range req.Order.Products {
		in.Quantity = max(in.Quantity, p.LinearValue)
		if in.ProductID == "" {
			in.ProductID = p.ProductID
		}
	}
	s.mu.Lock()
	s.instances[in.ID] = in
	s.mu.Unlock()
	return provisioning.CreateResult{InstanceID: in.ID}, nil
}

// QueryInstances reports the known instances; app info once ready.
func (s *mailSeller) QueryInstances(_ context.Context, req provisioning.QueryRequest) ([]provisioning.InstanceInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []provisioning.InstanceInfo
	for _, id := range req.InstanceIDs {
		in, ok := s.instances[id]
		if !ok {
			continue
		}
		info := provisioning.InstanceInfo{InstanceID: id}
		if !s.now().Before(in.readyAt) {
			info.AppInfo = &provisioning.AppInfo{
				FrontEndURL: s.base + "/mail/" + id,
				AdminURL:    s.base + "/mail/" + id + "/admin",
				UserName:    "admin@" + id + ".mail.example",
				Password:    provisioning.NewSecret(in.Password),
				Memo:        fmt.Sprintf("%d mailboxes", max(in.Quantity, 1)),
			}
		}
		out = append(out, info)
	}
	return out, nil
}

func (s *mailSeller) get(id string) (*instance, error) {
	in, ok := s.instances[id]
	if !ok {
		return nil, fmt.Errorf("instance %q: %w", id, provisioning.ErrInstanceNotFound)
	}
	return in, nil
}

// Refresh records a new expiry.
func (s *mailSeller) Refresh(_ context.Context, req provisioning.RefreshRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := s.get(req.InstanceID)
	if err != nil {
		return err
	}
	in.ExpiresAt = req.ExpiresAt
	if req.ProductID != "" {
		in.ProductID = req.ProductID
	}
	return nil
}

// UpdateStatus freezes or unfreezes.
func (s *mailSeller) UpdateStatus(_ context.Context, req provisioning.StatusRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := s.get(req.InstanceID)
	if err != nil {
		return err
	}
	in.Frozen = req.Status == provisioning.StatusFreeze
	return nil
}

// Upgrade accepts the paid upgrade; the instance id stays.
func (s *mailSeller) Upgrade(_ context.Context, req provisioning.UpgradeRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.get(req.InstanceID)
	return err
}

// ChangeCheck allows any change of a known instance.
func (s *mailSeller) ChangeCheck(_ context.Context, req provisioning.ChangeCheckRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err := s.get(req.InstanceID)
	return err
}

// Release deletes the tenant. Releasing an unknown instance succeeds: a
// resent release must not fail once the first one worked.
func (s *mailSeller) Release(_ context.Context, req provisioning.ReleaseRequest) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.instances, req.InstanceID)
	return nil
}

// snapshot returns a copy of an instance for tests and the status page.
func (s *mailSeller) snapshot(id string) (instance, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.instances[id]
	if !ok {
		return instance{}, false
	}
	return *in, true
}

func (s *mailSeller) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.instances)
}
