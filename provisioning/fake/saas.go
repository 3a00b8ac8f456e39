package fake

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/opengallery/opengallery/provisioning"
)

// InstanceState is the state of a fake SaaS instance.
type InstanceState string

// Instance states.
const (
	InstanceActive   InstanceState = "active"
	InstanceFrozen   InstanceState = "frozen"
	InstanceReleased InstanceState = "released"
)

// Instance is what the fake seller keeps per instance.
type Instance struct {
	ID        string
	Key       provisioning.CreateKey
	Create    provisioning.CreateRequest
	State     InstanceState
	ProductID string    // the latest product (changed by trial→formal or renewal change)
	ExpiresAt time.Time // set by Refresh
	AppInfo   provisioning.AppInfo
	Refreshes []provisioning.RefreshRequest
	Upgrades  []provisioning.UpgradeRequest
}

// Call is one recorded call to a fake.
type Call struct {
	Op      string // a provisioning.Operation or a DeployOp
	Request any    // the request as received (for Deploy, without the password)
	Err     error  // what the call returned
}

// SaaS is an in-memory seller SaaS endpoint implementing
// provisioning.SaaS. The zero value is not usable; call NewSaaS.
type SaaS struct {
	faults[provisioning.Operation] // Inject, Fail, Processing, Slow, ClearFaults, Calls, CallsTo

	mu        sync.Mutex
	instances map[string]*Instance
	byKey     map[provisioning.CreateKey]string
	next      int
	appInfo   func(instanceID string) provisioning.AppInfo
	prefix    string
}

var _ provisioning.SaaS = (*SaaS)(nil)

// SaaSOption configures NewSaaS.
type SaaSOption func(*SaaS)

// WithAppInfo sets how app info is made for a new instance. The default
// gives https://saas.example/i/<id> URLs, user "admin" and a password.
func WithAppInfo(f func(instanceID string) provisioning.AppInfo) SaaSOption {
	return func(s *SaaS) { s.appInfo = f }
}

// WithIDPrefix sets the prefix of instance ids (default "inst-").
func WithIDPrefix(p string) SaaSOption { return func(s *SaaS) { s.prefix = p } }

// NewSaaS returns an empty fake SaaS endpoint.
func NewSaaS(opts ...SaaSOption) *SaaS {
	s := &SaaS{
		instances: map[string]*Instance{},
		byKey:     map[provisioning.CreateKey]string{},
		prefix:    "inst-",
		appInfo: func(id string) provisioning.AppInfo {
			return provisioning.AppInfo{
				FrontEndURL: "https://saas.example/i/" + id,
				AdminURL:    "https://saas.example/admin/" + id,
				UserName:    "admin",
				Password:    provisioning.NewSecret("Pw-" + id + "-1a!"),
			}
		},
	}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Instance returns a copy of the instance with id.
func (s *SaaS) Instance(id string) (Instance, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.instances[id]
	if !ok {
		return Instance{}, false
	}
	return in.clone(), true
}

// Instances returns copies of every instance, ordered by id.
func (s *SaaS) Instances() []Instance {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Instance, 0, len(s.instances))
	for _, in := range s.instances {
		out = append(out, in.clone())
	}
	slices.SortFunc(out, func(a, b Instance) int {
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
	return out
}

func (in *Instance) clone() Instance {
	c := *in
	c.Refreshes = slices.Clone(in.Refreshes)
	c.Upgrades = slices.Clone(in.Upgrades)
	return c
}

// begin validates req and applies the op's fault: it returns the fault to
// honour (Processing) or the error to return.
func (s *SaaS) begin(ctx context.Context, op provisioning.Operation, validate func() error) (Fault, error) {
	if err := validate(); err != nil {
		return Fault{}, err
	}
	return s.apply(ctx, op)
}

func processing() error { return provisioning.CodeProcessing.Err("fake: processing") }

func notFound(id string) error {
	return provisioning.CodeInstanceNotFound.Err(fmt.Sprintf("fake: no instance %q", id))
}

// live returns a non-released instance. The caller holds the lock.
func (s *SaaS) live(id string) (*Instance, error) {
	in, ok := s.instances[id]
	if !ok || in.State == InstanceReleased {
		return nil, notFound(id)
	}
	return in, nil
}

// CreateInstance implements provisioning.SaaS: idempotent per req.Key.
//
// Errors: *provisioning.FieldError; injected faults.
func (s *SaaS) CreateInstance(ctx context.Context, req provisioning.CreateRequest) (res provisioning.CreateResult, err error) {
	defer func() { s.record(provisioning.OpCreate, req, err) }()
	ft, err := s.begin(ctx, provisioning.OpCreate, req.Validate)
	if err != nil {
		return provisioning.CreateResult{}, err
	}
	if ft.Processing {
		return provisioning.CreateResult{Processing: true}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	key := req.Key()
	if id, ok := s.byKey[key]; ok {
		return provisioning.CreateResult{InstanceID: id}, nil
	}
	s.next++
	id := fmt.Sprintf("%s%04d", s.prefix, s.next)
	s.instances[id] = &Instance{ID: id, Key: key, Create: req, State: InstanceActive,
		ProductID: req.ProductID, ExpiresAt: req.Order.ExpiresAt, AppInfo: s.appInfo(id)}
	s.byKey[key] = id
	return provisioning.CreateResult{InstanceID: id}, nil
}

// QueryInstances implements provisioning.SaaS: known, unreleased ids come
// back with app info (without it under a Processing fault).
//
// Errors: *provisioning.FieldError; injected faults.
func (s *SaaS) QueryInstances(ctx context.Context, req provisioning.QueryRequest) (out []provisioning.InstanceInfo, err error) {
	defer func() { s.record(provisioning.OpQuery, req, err) }()
	ft, err := s.begin(ctx, provisioning.OpQuery, req.Validate)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range req.InstanceIDs {
		in, err := s.live(id)
		if err != nil {
			continue
		}
		info := provisioning.InstanceInfo{InstanceID: id}
		if !ft.Processing {
			ai := in.AppInfo
			info.AppInfo = &ai
		}
		out = append(out, info)
	}
	return out, nil
}

// change runs an operation that changes one instance and answers only
// success or failure: it validates, applies op's fault (Processing answers
// 000004), finds the instance (000003 when unknown, or released unless
// released is allowed) and applies f under the lock. The call is recorded
// with its outcome.
func (s *SaaS) change(ctx context.Context, op provisioning.Operation, req interface{ Validate() error }, id string,
	released bool, f func(*Instance)) (err error) {
	defer func() { s.record(op, req, err) }()
	ft, err := s.begin(ctx, op, req.Validate)
	if err != nil {
		return err
	}
	if ft.Processing {
		return processing()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.instances[id]
	if !ok || (in.State == InstanceReleased && !released) {
		return notFound(id)
	}
	f(in)
	return nil
}

// Refresh implements provisioning.SaaS: records the new expiry and, when
// given, the new product.
//
// Errors: *provisioning.FieldError; *provisioning.ResultError 000003 for
// an unknown or released instance, 000004 under a Processing fault;
// injected faults.
func (s *SaaS) Refresh(ctx context.Context, req provisioning.RefreshRequest) error {
	return s.change(ctx, provisioning.OpRefresh, req, req.InstanceID, false, func(in *Instance) {
		in.ExpiresAt = req.ExpiresAt
		if req.ProductID != "" {
			in.ProductID = req.ProductID
		}
		in.Refreshes = append(in.Refreshes, req)
	})
}

// UpdateStatus implements provisioning.SaaS: FREEZE and UNFREEZE are
// idempotent.
//
// Errors: as Refresh.
func (s *SaaS) UpdateStatus(ctx context.Context, req provisioning.StatusRequest) error {
	return s.change(ctx, provisioning.OpUpdateStatus, req, req.InstanceID, false, func(in *Instance) {
		if req.Status == provisioning.StatusFreeze {
			in.State = InstanceFrozen
		} else {
			in.State = InstanceActive
		}
	})
}

// Upgrade implements provisioning.SaaS: records the upgrade order; the
// instance id does not change.
//
// Errors: as Refresh.
func (s *SaaS) Upgrade(ctx context.Context, req provisioning.UpgradeRequest) error {
	return s.change(ctx, provisioning.OpUpgrade, req, req.InstanceID, false, func(in *Instance) {
		in.Upgrades = append(in.Upgrades, req)
	})
}

// ChangeCheck implements provisioning.SaaS: every change of a live
// instance is allowed unless a fault says otherwise.
//
// Errors: as Refresh.
func (s *SaaS) ChangeCheck(ctx context.Context, req provisioning.ChangeCheckRequest) error {
	return s.change(ctx, provisioning.OpChangeCheck, req, req.InstanceID, false, func(*Instance) {})
}

// Release implements provisioning.SaaS: releasing a released instance
// succeeds (the marketplace retries releases).
//
// Errors: *provisioning.FieldError; *provisioning.ResultError 000003 for
// an unknown instance, 000004 under a Processing fault; injected faults.
func (s *SaaS) Release(ctx context.Context, req provisioning.ReleaseRequest) error {
	return s.change(ctx, provisioning.OpRelease, req, req.InstanceID, true, func(in *Instance) {
		in.State = InstanceReleased
	})
}
