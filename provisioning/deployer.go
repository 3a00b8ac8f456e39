package provisioning

import (
	"context"
	"fmt"

	"github.com/opengallery/opengallery/billing"
)

// Deployer creates and deletes the buyer's VMs running a seller's image. The
// host implements it against its cloud; provisioning/fake implements it in
// memory. The marketplace calls Inventory, plans the request with PlanQuick
// or PlanCustom, then calls Deploy with the plan's DeployRequest.
type Deployer interface {
	// Inventory returns the account's servers (all regions when region is
	// empty) and the security groups it may choose in region. The servers
	// count against the quota and their names steer numbering.
	//
	// Errors: *FieldError (empty account), ErrUnavailable.
	Inventory(ctx context.Context, account, region string) (Inventory, error)

	// Deploy creates the servers of req. It is idempotent per req.Key:
	// repeating a request returns the existing deployment and creates
	// nothing. It may return before the servers run (StatusBuilding); poll
	// Deployment. The login password is used to create the servers and is
	// never kept or returned.
	//
	// Errors: *FieldError (invalid request), *QuotaError, ErrUnavailable.
	Deploy(ctx context.Context, req DeployRequest) (Deployment, error)

	// Deployment returns a deployment and its servers.
	//
	// Errors: *NotFoundError (ErrNotFound), ErrUnavailable.
	Deployment(ctx context.Context, id string) (Deployment, error)

	// Release deletes a deployment's servers. Releasing a released
	// deployment succeeds.
	//
	// Errors: *NotFoundError (ErrNotFound), ErrUnavailable.
	Release(ctx context.Context, id string) error
}

// Inventory is what an account already has.
type Inventory struct {
	Servers        []Server
	SecurityGroups []SecurityGroup
}

// Names returns the servers' names.
func (inv Inventory) Names() []string {
	out := make([]string, len(inv.Servers))
	for i, s := range inv.Servers {
		out[i] = s.Name
	}
	return out
}

// SecurityGroup returns the group with id.
//
// Errors: *NotFoundError (ErrNotFound).
func (inv Inventory) SecurityGroup(id string) (SecurityGroup, error) {
	for _, g := range inv.SecurityGroups {
		if g.ID == id {
			return g, nil
		}
	}
	return SecurityGroup{}, &NotFoundError{Kind: "security_group", ID: id}
}

// ServerStatus is a server's state.
type ServerStatus string

// Server states.
const (
	ServerBuilding ServerStatus = "building"
	ServerActive   ServerStatus = "active"
	ServerReleased ServerStatus = "released"
)

// Server is one VM.
type Server struct {
	ID     string
	Name   string
	Region string
	Zone   string
	Flavor string
	Status ServerStatus
}

// DeploymentStatus is a deployment's state.
type DeploymentStatus string

// Deployment states.
const (
	DeploymentBuilding DeploymentStatus = "building"
	DeploymentActive   DeploymentStatus = "active"
	DeploymentFailed   DeploymentStatus = "failed"
	DeploymentReleased DeploymentStatus = "released"
)

// DeployKey is what Deploy is idempotent on.
type DeployKey struct {
	OrderID     string
	OrderLineID string
}

// Deployment is the result of Deploy: the servers of one order line. It
// never holds the login password.
type Deployment struct {
	ID      string
	Key     DeployKey
	Status  DeploymentStatus
	Servers []Server
}

// DeployRequest is a planned, validated deployment: what the Deployer
// needs and nothing to decide. Build it with PlanQuick or PlanCustom.
type DeployRequest struct {
	Account     string
	OrderID     string
	OrderLineID string

	Mode     billing.Mode
	Spot     bool
	Duration int

	Region string
	Zone   string // empty: the deployer picks one at random
	Flavor string
	Image  string

	SystemDisk Disk
	DataDisks  []Disk

	Network        Network
	SecurityGroups []SecurityGroupChoice
	EIP            *EIP

	Names []string // one per VM, len = quantity
	Login Login    // the password is a Secret: it prints redacted

	AutoRecovery      bool
	ServerGroup       string
	EnterpriseProject string
}

// Key returns the idempotency key of r.
func (r DeployRequest) Key() DeployKey {
	return DeployKey{OrderID: r.OrderID, OrderLineID: r.OrderLineID}
}

// Validate checks what a Deployer relies on: ids, 1..MaxQuantity valid and
// distinct names, and everything CustomRequest.Validate checks of the VMs
// (billing, flavor and image, disks, network, security groups, EIP, the
// login credential with the password rules again), so a hand-built request
// gets the same protection as a planned one.
//
// Errors: *FieldError (ErrInvalidInput), all failures joined; never
// contains the password.
func (r DeployRequest) Validate() error {
	var c checker
	r.checkVMs(&c, len(r.Names))
	checkQuantity(&c, len(r.Names))
	seen := make(map[string]bool, len(r.Names))
	for i, n := range r.Names {
		f := fmt.Sprintf("names[%d]", i)
		checkName(&c, f, n)
		if seen[n] {
			c.add(f, RuleDuplicate, n, "is repeated")
		}
		seen[n] = true
	}
	return c.err()
}
