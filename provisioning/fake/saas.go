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
	mu        sync.Mutex
	faults    faults[provisioning.Operation]
	calls     []Call
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
		faults:    faults[provisioning.Operation]{},
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

// Inject queues f for the next calls of op (after any fault already queued).
func (s *SaaS) Inject(op provisioning.Operation, f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[op] = append(s.faults[op], f)
}

// Fail makes the next times calls of op return err (every call when times
// is 0).
func (s *SaaS) Fail(op provisioning.Operation, err error, times int) {
	s.Inject(op, Fault{Err: err, Times: times})
}

// Processing makes the next times calls of op answer "processing".
func (s *SaaS) Processing(op provisioning.Operation, times int) {
	s.Inject(op, Fault{Processing: true, Times: times})
}

// Slow makes the next times calls of op wait d before answering.
func (s *SaaS) Slow(op provisioning.Operation, d time.Duration, times int) {
	s.Inject(op, Fault{Delay: d, Times: times})
}

// ClearFaults removes every queued fault.
func (s *SaaS) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = faults[provisioning.Operation]{}
}

// Calls returns every call so far, in order.
func (s *SaaS) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// CallsTo returns the calls of op, in order.
func (s *SaaS) CallsTo(op provisioning.Operation) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if c.Op == string(op) {
			out = append(out, c)
		}
	}
	return out
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

// begin validates, records nothing yet, and applies the op's fault: it
// returns the fault to honour (Processing) or the error to return.
func (s *SaaS) begin(ctx context.Context, op provisioning.Operation, validate func() error) (Fault, error) {
	if err := validate(); err != nil {
		return Fault{}, err
	}
	s.mu.Lock()
	ft, _ := s.faults.take(op)
	s.mu.Unlock()
	if err := wait(ctx, ft.Delay); err != nil {
		return Fault{}, err
	}
	if ft.Err != nil {
		return Fault{}, ft.Err
	}
	return ft, nil
}

func (s *SaaS) record(op provisioning.Operation, req any, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, Call{Op: string(op), Request: req, Err: err})
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

// Refresh implements provisioning.SaaS: records the new expiry and, when
// given, the new product.
//
// Errors: *provisioning.FieldError; *provisioning.ResultError 000003 for
// an unknown or released instance, 000004 under a Processing fault;
// injected faults.
func (s *SaaS) Refresh(ctx context.Context, req provisioning.RefreshRequest) (err error) {
	defer func() { s.record(provisioning.OpRefresh, req, err) }()
	ft, err := s.begin(ctx, provisioning.OpRefresh, req.Validate)
	if err != nil {
		return err
	}
	if ft.Processing {
		return processing()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := s.live(req.InstanceID)
	if err != nil {
		return err
	}
	in.ExpiresAt = req.ExpiresAt
	if req.ProductID != "" {
		in.ProductID = req.ProductID
	}
	in.Refreshes = append(in.Refreshes, req)
	return nil
}

// UpdateStatus implements provisioning.SaaS: FREEZE and UNFREEZE are
// idempotent.
//
// Errors: as Refresh.
func (s *SaaS) UpdateStatus(ctx context.Context, req provisioning.StatusRequest) (err error) {
	defer func() { s.record(provisioning.OpUpdateStatus, req, err) }()
	ft, err := s.begin(ctx, provisioning.OpUpdateStatus, req.Validate)
	if err != nil {
		return err
	}
	if ft.Processing {
		return processing()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := s.live(req.InstanceID)
	if err != nil {
		return err
	}
	if req.Status == provisioning.StatusFreeze {
		in.State = InstanceFrozen
	} else {
		in.State = InstanceActive
	}
	return nil
}

// Upgrade implements provisioning.SaaS: records the upgrade order; the
// instance id does not change.
//
// Errors: as Refresh.
func (s *SaaS) Upgrade(ctx context.Context, req provisioning.UpgradeRequest) (err error) {
	defer func() { s.record(provisioning.OpUpgrade, req, err) }()
	ft, err := s.begin(ctx, provisioning.OpUpgrade, req.Validate)
	if err != nil {
		return err
	}
	if ft.Processing {
		return processing()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, err := s.live(req.InstanceID)
	if err != nil {
		return err
	}
	in.Upgrades = append(in.Upgrades, req)
	return nil
}

// ChangeCheck implements provisioning.SaaS: every change of a live
// instance is allowed unless a fault says otherwise.
//
// Errors: as Refresh.
func (s *SaaS) ChangeCheck(ctx context.Context, req provisioning.ChangeCheckRequest) (err error) {
	defer func() { s.record(provisioning.OpChangeCheck, req, err) }()
	ft, err := s.begin(ctx, provisioning.OpChangeCheck, req.Validate)
	if err != nil {
		return err
	}
	if ft.Processing {
		return processing()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, err = s.live(req.InstanceID)
	return err
}

// Release implements provisioning.SaaS: releasing a released instance
// succeeds (the marketplace retries releases).
//
// Errors: *provisioning.FieldError; *provisioning.ResultError 000003 for
// an unknown instance, 000004 under a Processing fault; injected faults.
func (s *SaaS) Release(ctx context.Context, req provisioning.ReleaseRequest) (err error) {
	defer func() { s.record(provisioning.OpRelease, req, err) }()
	ft, err := s.begin(ctx, provisioning.OpRelease, req.Validate)
	if err != nil {
		return err
	}
	if ft.Processing {
		return processing()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.instances[req.InstanceID]
	if !ok {
		return notFound(req.InstanceID)
	}
	in.State = InstanceReleased
	return nil
}
