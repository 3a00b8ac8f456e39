package provisioning

import (
	"errors"
	"fmt"
	"strings"
)

// Environment is what planning checks a request against: the catalog, the
// account's inventory (from Deployer.Inventory) and its VM quota.
type Environment struct {
	Catalog   Catalog
	Inventory Inventory
	Quota     int // 0: DefaultQuota
}

// Warning is advice that does not stop a purchase.
type Warning struct {
	Field   string
	Code    string // one of the Warn… constants
	Message string
}

// Warning codes.
const (
	// WarnPortsClosed: the chosen security groups do not open 22 (SSH),
	// 3389 (Windows remote desktop) and ICMP (ping) inbound.
	WarnPortsClosed = "ports_closed"
	// WarnRulesUnknown: a chosen security group is not in the inventory, so
	// its rules could not be checked.
	WarnRulesUnknown = "rules_unknown"
)

// Plan is a request checked against its environment: the DeployRequest to
// hand to Deployer.Deploy and the warnings to show the buyer.
type Plan struct {
	Request  DeployRequest
	Warnings []Warning
}

// PlanQuick checks a quick provisioning request against env and plans one
// VM: the seller's recommended flavor when none is chosen, a random zone,
// the catalog's quick system disk (Catalog.QuickDisk), and a numbered name
// "ecs-NNNN" that never collides.
//
// Errors: every error of QuickRequest.Validate; *FieldError with Rule
// RuleUnknown for a region, flavor or disk type not in the catalog (or no
// recommended flavor); *QuotaError (ErrQuotaExceeded); *NameConflictError
// (ErrNameConflict) when the numbers run out.
func PlanQuick(r QuickRequest, env Environment) (Plan, error) {
	if err := r.Validate(); err != nil {
		return Plan{}, err
	}
	var c checker
	if _, err := env.Catalog.Region(r.Region); err != nil {
		c.add("region", RuleUnknown, r.Region, "is not in the catalog")
	}
	flavor := r.Flavor
	if flavor == "" {
		f, err := env.Catalog.RecommendedFlavor()
		if err != nil {
			c.add("flavor", RuleRequired, nil, "the catalog recommends no flavor: choose one")
		}
		flavor = f.Name
	} else if _, err := env.Catalog.Flavor(flavor); err != nil {
		c.add("flavor", RuleUnknown, flavor, "is not in the catalog")
	}
	disk, err := env.Catalog.QuickDisk()
	if err != nil {
		c.add("system_disk.type", RuleUnknown, nil, "the catalog lists no disk type")
	}
	if err := c.err(); err != nil {
		return Plan{}, err
	}
	existing := env.Inventory.Names()
	if err := CheckQuota(len(existing), 1, env.Quota); err != nil {
		return Plan{}, err
	}
	names, err := NumberedNames(QuickName, 1, existing)
	if err != nil {
		return Plan{}, err
	}
	req := DeployRequest{
		Account: r.Account, OrderID: r.OrderID, OrderLineID: r.OrderLineID,
		Mode: r.Mode, Duration: r.Duration,
		Region: r.Region, Flavor: flavor, Image: r.Image,
		SystemDisk:     disk,
		Network:        Network{VPC: r.VPC, Subnet: r.Subnet},
		SecurityGroups: []SecurityGroupChoice{r.SecurityGroup},
		Names:          names,
		Login:          Login{Mode: LoginPassword, Username: DefaultUsername, Password: r.Password, ConfirmPassword: r.ConfirmPassword},
	}
	return Plan{Request: req, Warnings: SecurityGroupWarnings(req.SecurityGroups, env.Inventory)}, nil
}

// QuickName is the name quick provisioning gives its VM before numbering.
const QuickName = "ecs"

// PlanCustom checks a customized provisioning request against env and plans
// its VMs: region, zone (empty: random), flavor and disk types must be in
// the catalog, disk sizes within their type's range, data disks within the
// catalog's limit, the quota respected, and the names given by Names.
//
// Errors: every error of CustomRequest.Validate; *FieldError with Rule
// RuleUnknown (not in the catalog) or RuleRange (disk size, data-disk
// count); *QuotaError (ErrQuotaExceeded); *NameConflictError
// (ErrNameConflict).
func PlanCustom(r CustomRequest, env Environment) (Plan, error) {
	if err := r.Validate(); err != nil {
		return Plan{}, err
	}
	var c checker
	region, err := env.Catalog.Region(r.Region)
	if err != nil {
		c.add("region", RuleUnknown, r.Region, "is not in the catalog")
	} else if r.Zone != "" {
		if _, err := region.Zone(r.Zone); err != nil {
			c.add("zone", RuleUnknown, r.Zone, "is not a zone of "+r.Region)
		}
	}
	if _, err := env.Catalog.Flavor(r.Flavor); err != nil {
		c.add("flavor", RuleUnknown, r.Flavor, "is not in the catalog")
	}
	checkDiskSize(&c, env.Catalog, "system_disk.", r.SystemDisk)
	for i, d := range r.DataDisks {
		checkDiskSize(&c, env.Catalog, fmt.Sprintf("data_disks[%d].", i), d)
	}
	if limit := env.Catalog.DataDiskLimit(); len(r.DataDisks) > limit {
		c.add("data_disks", RuleRange, len(r.DataDisks), fmt.Sprintf("at most %d data disks per VM", limit))
	}
	if err := c.err(); err != nil {
		return Plan{}, err
	}
	existing := env.Inventory.Names()
	if err := CheckQuota(len(existing), r.Quantity, env.Quota); err != nil {
		return Plan{}, err
	}
	names, err := Names(r.Name, r.Quantity, existing, r.AllowDuplicateName)
	if err != nil {
		return Plan{}, err
	}
	req := r.deployRequest(names)
	if req.Login.Mode == "" {
		req.Login.Mode = LoginPassword
	}
	req.Login.Username = req.Login.User()
	return Plan{Request: req, Warnings: SecurityGroupWarnings(req.SecurityGroups, env.Inventory)}, nil
}

func checkDiskSize(c *checker, cat Catalog, prefix string, d Disk) {
	dt, err := cat.DiskType(d.Type)
	if err != nil {
		c.add(prefix+"type", RuleUnknown, d.Type, "is not in the catalog")
		return
	}
	if d.SizeGiB < dt.MinGiB || d.SizeGiB > dt.MaxGiB {
		c.add(prefix+"size_gib", RuleRange, d.SizeGiB, fmt.Sprintf("must be %d to %d GiB for %s", dt.MinGiB, dt.MaxGiB, dt.ID))
	}
}

// access is one kind of inbound traffic a buyer needs to reach a VM.
type access struct {
	label, proto string
	port         int
}

var requiredAccess = []access{{"22 (SSH)", "tcp", 22}, {"3389 (RDP)", "tcp", 3389}, {"ICMP (ping)", "icmp", 0}}

// SecurityGroupWarnings returns a WarnPortsClosed warning when the chosen
// groups, taken together, do not let in TCP 22, TCP 3389 and ICMP, and a
// WarnRulesUnknown warning for each existing group missing from inv. It
// never fails: a closed port is the buyer's choice, not an error.
func SecurityGroupWarnings(groups []SecurityGroupChoice, inv Inventory) []Warning {
	var rules []SecurityRule
	var warnings []Warning
	for i, g := range groups {
		switch {
		case g.New != nil:
			rules = append(rules, g.New.Rules...)
		case g.ID != "":
			sg, err := inv.SecurityGroup(g.ID)
			if errors.Is(err, ErrNotFound) {
				warnings = append(warnings, Warning{Field: fmt.Sprintf("security_groups[%d]", i), Code: WarnRulesUnknown,
					Message: fmt.Sprintf("security group %q is not in the inventory; its rules were not checked", g.ID)})
				continue
			}
			rules = append(rules, sg.Rules...)
		}
	}
	var missing []string
	for _, a := range requiredAccess {
		open := false
		for _, r := range rules {
			if r.allows(a.proto, a.port) {
				open = true
				break
			}
		}
		if !open {
			missing = append(missing, a.label)
		}
	}
	if len(missing) > 0 {
		warnings = append(warnings, Warning{Field: "security_groups", Code: WarnPortsClosed,
			Message: "the security groups do not allow inbound " + strings.Join(missing, ", ") +
				"; logging in or pinging the VM may fail"})
	}
	return warnings
}
