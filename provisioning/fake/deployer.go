package fake

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/opengallery/opengallery/provisioning"
)

// DeployOp names a Deployer operation, for fault injection and call records.
type DeployOp string

// The Deployer operations.
const (
	OpInventory  DeployOp = "inventory"
	OpDeploy     DeployOp = "deploy"
	OpDeployment DeployOp = "deployment"
	OpRelease    DeployOp = "release_deployment"
)

// Deployer is an in-memory provisioning.Deployer. Servers are created
// active at once (building under a Processing fault, until a later
// Deployment call without one). The login password is checked and then
// dropped: neither the recorded calls nor any returned value hold it.
type Deployer struct {
	mu          sync.Mutex
	faults      faults[DeployOp]
	calls       []Call
	deployments map[string]*provisioning.Deployment
	byKey       map[provisioning.DeployKey]string
	servers     map[string][]provisioning.Server // by account, including released
	groups      []provisioning.SecurityGroup
	quota       int
	nextDep     int
	nextSrv     int
	zones       map[string]string // region → zone picked when the request leaves it empty
}

var _ provisioning.Deployer = (*Deployer)(nil)

// DeployerOption configures NewDeployer.
type DeployerOption func(*Deployer)

// WithSecurityGroups makes groups available to every account.
func WithSecurityGroups(groups ...provisioning.SecurityGroup) DeployerOption {
	return func(d *Deployer) { d.groups = append(d.groups, groups...) }
}

// WithServers gives account existing servers (their Status defaults to
// active).
func WithServers(account string, servers ...provisioning.Server) DeployerOption {
	return func(d *Deployer) {
		for _, s := range servers {
			if s.Status == "" {
				s.Status = provisioning.ServerActive
			}
			d.servers[account] = append(d.servers[account], s)
		}
	}
}

// WithQuota sets the per-account server quota Deploy enforces (default
// provisioning.DefaultQuota).
func WithQuota(n int) DeployerOption { return func(d *Deployer) { d.quota = n } }

// WithZone sets the zone picked in region when a request leaves the zone
// empty ("random"); without it the zone stays empty.
func WithZone(region, zone string) DeployerOption {
	return func(d *Deployer) { d.zones[region] = zone }
}

// NewDeployer returns a fake deployer.
func NewDeployer(opts ...DeployerOption) *Deployer {
	d := &Deployer{
		faults:      faults[DeployOp]{},
		deployments: map[string]*provisioning.Deployment{},
		byKey:       map[provisioning.DeployKey]string{},
		servers:     map[string][]provisioning.Server{},
		zones:       map[string]string{},
	}
	for _, o := range opts {
		o(d)
	}
	return d
}

// Inject queues f for the next calls of op.
func (d *Deployer) Inject(op DeployOp, f Fault) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults[op] = append(d.faults[op], f)
}

// Fail makes the next times calls of op return err (every call when times
// is 0).
func (d *Deployer) Fail(op DeployOp, err error, times int) {
	d.Inject(op, Fault{Err: err, Times: times})
}

// Processing makes the next times calls of op answer "processing".
func (d *Deployer) Processing(op DeployOp, times int) {
	d.Inject(op, Fault{Processing: true, Times: times})
}

// Slow makes the next times calls of op wait dur first.
func (d *Deployer) Slow(op DeployOp, dur time.Duration, times int) {
	d.Inject(op, Fault{Delay: dur, Times: times})
}

// ClearFaults removes every queued fault.
func (d *Deployer) ClearFaults() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.faults = faults[DeployOp]{}
}

// Calls returns every call so far, in order.
func (d *Deployer) Calls() []Call {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.calls)
}

func (d *Deployer) record(op DeployOp, req any, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.calls = append(d.calls, Call{Op: string(op), Request: req, Err: err})
}

func (d *Deployer) begin(ctx context.Context, op DeployOp) (Fault, error) {
	d.mu.Lock()
	ft, _ := d.faults.take(op)
	d.mu.Unlock()
	if err := wait(ctx, ft.Delay); err != nil {
		return Fault{}, err
	}
	if ft.Err != nil {
		return Fault{}, ft.Err
	}
	return ft, nil
}

// InventoryRequest is what a recorded Inventory call asked for.
type InventoryRequest struct{ Account, Region string }

// Inventory implements provisioning.Deployer.
//
// Errors: *provisioning.FieldError for an empty account; injected faults.
func (d *Deployer) Inventory(ctx context.Context, account, region string) (inv provisioning.Inventory, err error) {
	defer func() { d.record(OpInventory, InventoryRequest{account, region}, err) }()
	if account == "" {
		return provisioning.Inventory{}, &provisioning.FieldError{Field: "account", Rule: provisioning.RuleRequired, Reason: "is required"}
	}
	if _, err := d.begin(ctx, OpInventory); err != nil {
		return provisioning.Inventory{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.servers[account] {
		if s.Status != provisioning.ServerReleased && (region == "" || s.Region == region) {
			inv.Servers = append(inv.Servers, s)
		}
	}
	inv.SecurityGroups = slices.Clone(d.groups)
	return inv, nil
}

func (d *Deployer) liveCount(account string) int {
	n := 0
	for _, s := range d.servers[account] {
		if s.Status != provisioning.ServerReleased {
			n++
		}
	}
	return n
}

// Deploy implements provisioning.Deployer: idempotent per req.Key, quota
// enforced.
//
// Errors: *provisioning.FieldError; *provisioning.QuotaError; injected
// faults.
func (d *Deployer) Deploy(ctx context.Context, req provisioning.DeployRequest) (dep provisioning.Deployment, err error) {
	recorded := req
	recorded.Login.Password, recorded.Login.ConfirmPassword = provisioning.Secret{}, provisioning.Secret{}
	recorded.Names = slices.Clone(req.Names)
	defer func() { d.record(OpDeploy, recorded, err) }()
	if err := req.Validate(); err != nil {
		return provisioning.Deployment{}, err
	}
	ft, err := d.begin(ctx, OpDeploy)
	if err != nil {
		return provisioning.Deployment{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if id, ok := d.byKey[req.Key()]; ok {
		return clone(d.deployments[id]), nil
	}
	if err := provisioning.CheckQuota(d.liveCount(req.Account), len(req.Names), d.quota); err != nil {
		return provisioning.Deployment{}, err
	}
	status, srvStatus := provisioning.DeploymentActive, provisioning.ServerActive
	if ft.Processing {
		status, srvStatus = provisioning.DeploymentBuilding, provisioning.ServerBuilding
	}
	zone := req.Zone
	if zone == "" {
		zone = d.zones[req.Region]
	}
	d.nextDep++
	dp := &provisioning.Deployment{ID: fmt.Sprintf("dep-%04d", d.nextDep), Key: req.Key(), Status: status}
	for _, name := range req.Names {
		d.nextSrv++
		srv := provisioning.Server{ID: fmt.Sprintf("srv-%04d", d.nextSrv), Name: name, Region: req.Region,
			Zone: zone, Flavor: req.Flavor, Status: srvStatus}
		dp.Servers = append(dp.Servers, srv)
		d.servers[req.Account] = append(d.servers[req.Account], srv)
	}
	d.deployments[dp.ID] = dp
	d.byKey[dp.Key] = dp.ID
	return clone(dp), nil
}

// Deployment implements provisioning.Deployer. A building deployment
// becomes active on the first call without a Processing fault.
//
// Errors: *provisioning.NotFoundError; injected faults.
func (d *Deployer) Deployment(ctx context.Context, id string) (dep provisioning.Deployment, err error) {
	defer func() { d.record(OpDeployment, id, err) }()
	ft, err := d.begin(ctx, OpDeployment)
	if err != nil {
		return provisioning.Deployment{}, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	dp, ok := d.deployments[id]
	if !ok {
		return provisioning.Deployment{}, &provisioning.NotFoundError{Kind: "deployment", ID: id}
	}
	if dp.Status == provisioning.DeploymentBuilding && !ft.Processing {
		d.setStatus(dp, provisioning.DeploymentActive, provisioning.ServerActive)
	}
	return clone(dp), nil
}

// Release implements provisioning.Deployer: idempotent.
//
// Errors: *provisioning.NotFoundError; injected faults.
func (d *Deployer) Release(ctx context.Context, id string) (err error) {
	defer func() { d.record(OpRelease, id, err) }()
	if _, err := d.begin(ctx, OpRelease); err != nil {
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	dp, ok := d.deployments[id]
	if !ok {
		return &provisioning.NotFoundError{Kind: "deployment", ID: id}
	}
	d.setStatus(dp, provisioning.DeploymentReleased, provisioning.ServerReleased)
	return nil
}

// setStatus updates a deployment and its servers, in the deployment and in
// the account's server list. The caller holds the lock.
func (d *Deployer) setStatus(dp *provisioning.Deployment, ds provisioning.DeploymentStatus, ss provisioning.ServerStatus) {
	dp.Status = ds
	ids := map[string]bool{}
	for i := range dp.Servers {
		dp.Servers[i].Status = ss
		ids[dp.Servers[i].ID] = true
	}
	for acct, list := range d.servers {
		for i := range list {
			if ids[list[i].ID] {
				d.servers[acct][i].Status = ss
			}
		}
	}
}

func clone(dp *provisioning.Deployment) provisioning.Deployment {
	c := *dp
	c.Servers = slices.Clone(dp.Servers)
	return c
}
