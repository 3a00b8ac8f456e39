package fake

import (
	"context"
	"fmt"
	"slices"
	"sync"

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
	faults[DeployOp] // Inject, Fail, Processing, Slow, ClearFaults, Calls, CallsTo

	mu          sync.Mutex
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
	if _, err := d.apply(ctx, OpInventory); err != nil {
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
	ft, err := d.apply(ctx, OpDeploy)
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
	ft, err := d.apply(ctx, OpDeployment)
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
	if _, err := d.apply(ctx, OpRelease); err != nil {
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
