package provisioning

import (
	"fmt"
	"net/netip"

	"github.com/opengallery/opengallery/billing"
)

// Request limits of the image purchase pages.
const (
	// MaxQuantity is the most VMs one request may create.
	MaxQuantity = 500
	// DefaultQuota is an account's VM quota when none is configured.
	DefaultQuota = 2048
	// MaxMonths and MaxYears bound a prepaid duration (the page offers 1–9
	// months and whole years; Huawei Cloud sells ECS for up to 3 years).
	MaxMonths = 9
	MaxYears  = 3
	// MinEIPMbps and MaxEIPMbps bound an EIP's bandwidth.
	MinEIPMbps = 1
	MaxEIPMbps = 2000
)

// LoginMode is how the buyer logs in to the VMs.
type LoginMode string

// The login modes.
const (
	LoginPassword LoginMode = "password"
	LoginKeyPair  LoginMode = "key_pair"
)

// Login is the VMs' login credential.
type Login struct {
	Mode            LoginMode // empty means LoginPassword
	Username        string    // empty means DefaultUsername ("root")
	Password        Secret    // password mode only
	ConfirmPassword Secret
	KeyPair         string // key-pair mode only: the key pair's name
}

// User returns the login user name, defaulted.
func (l Login) User() string {
	if l.Username == "" {
		return DefaultUsername
	}
	return l.Username
}

func (l Login) check(c *checker, prefix string) {
	switch l.Mode {
	case LoginPassword, "":
		checkPassword(c, prefix+"password", l.Password, l.ConfirmPassword, l.User())
		if l.KeyPair != "" {
			c.add(prefix+"key_pair", RuleConflict, l.KeyPair, "must be empty in password login mode")
		}
	case LoginKeyPair:
		c.id(prefix+"key_pair", l.KeyPair, MaxIDLength)
		if !l.Password.IsZero() || !l.ConfirmPassword.IsZero() {
			// A password that will not be used must not travel further.
			c.add(prefix+"password", RuleConflict, nil, "must be empty in key-pair login mode")
		}
	default:
		c.add(prefix+"mode", RuleOneOf, string(l.Mode), "must be password or key_pair")
	}
	c.maxLen(prefix+"username", l.Username, 32)
}

// SecurityRule is one rule of a security group. Port 0..0 with tcp or udp
// means every port; protocol "any" matches every protocol and port.
type SecurityRule struct {
	Direction string // "ingress" or "egress"
	Protocol  string // "tcp", "udp", "icmp" or "any"
	PortMin   int
	PortMax   int
	Source    string // CIDR or a group; informative
}

// allows reports whether r lets inbound traffic of proto reach port.
func (r SecurityRule) allows(proto string, port int) bool {
	if r.Direction != "ingress" {
		return false
	}
	if r.Protocol == "any" {
		return true
	}
	if r.Protocol != proto {
		return false
	}
	if proto == "icmp" || (r.PortMin == 0 && r.PortMax == 0) {
		return true
	}
	return r.PortMin <= port && port <= r.PortMax
}

func (r SecurityRule) check(c *checker, prefix string) {
	if r.Direction != "ingress" && r.Direction != "egress" {
		c.add(prefix+"direction", RuleOneOf, r.Direction, "must be ingress or egress")
	}
	switch r.Protocol {
	case "tcp", "udp", "icmp", "any":
	default:
		c.add(prefix+"protocol", RuleOneOf, r.Protocol, "must be tcp, udp, icmp or any")
	}
	if r.PortMin < 0 || r.PortMax > 65535 || r.PortMin > r.PortMax {
		c.add(prefix+"port_max", RuleRange, r.PortMax, "ports must satisfy 0 <= port_min <= port_max <= 65535")
	}
}

// SecurityGroup is an existing security group the buyer may choose.
type SecurityGroup struct {
	ID          string
	Name        string
	Rules       []SecurityRule
	Recommended bool // recommended by the seller
}

// SecurityGroupSpec describes a security group to create with the VMs.
type SecurityGroupSpec struct {
	Name  string
	Rules []SecurityRule
}

// SecurityGroupChoice is one security group of a request: an existing one
// (ID, such as the seller-recommended one) or a new one (New). Exactly one
// must be set.
type SecurityGroupChoice struct {
	ID  string
	New *SecurityGroupSpec
}

func (s SecurityGroupChoice) check(c *checker, field string) {
	switch {
	case s.ID == "" && s.New == nil:
		c.add(field, RuleRequired, nil, "choose an existing security group or describe a new one")
	case s.ID != "" && s.New != nil:
		c.add(field, RuleConflict, s.ID, "set either an existing group or a new one, not both")
	case s.New != nil:
		c.id(field+".new.name", s.New.Name, MaxIDLength)
		for i, r := range s.New.Rules {
			r.check(c, fmt.Sprintf("%s.new.rules[%d].", field, i))
		}
	default:
		c.maxLen(field, s.ID, MaxIDLength)
	}
}

// Disk is a system or data disk.
type Disk struct {
	Type    string // a DiskType ID
	SizeGiB int
}

func (d Disk) check(c *checker, prefix string) {
	c.id(prefix+"type", d.Type, MaxIDLength)
	if d.SizeGiB < 1 {
		c.add(prefix+"size_gib", RuleRange, d.SizeGiB, "must be at least 1")
	}
}

// NIC is an extension network interface.
type NIC struct {
	Subnet string
	IP     string // empty: assigned automatically
}

// Network places the VMs.
type Network struct {
	VPC           string
	Subnet        string
	IP            string // empty: assigned automatically; only with quantity 1
	ExtensionNICs []NIC
}

func (n Network) check(c *checker, prefix string, quantity int) {
	c.id(prefix+"vpc", n.VPC, MaxIDLength)
	c.id(prefix+"subnet", n.Subnet, MaxIDLength)
	checkIP(c, prefix+"ip", n.IP)
	if n.IP != "" && quantity > 1 {
		c.add(prefix+"ip", RuleConflict, n.IP, "a fixed IP address allows only one VM")
	}
	for i, nic := range n.ExtensionNICs {
		f := fmt.Sprintf("%sextension_nics[%d].", prefix, i)
		c.id(f+"subnet", nic.Subnet, MaxIDLength)
		checkIP(c, f+"ip", nic.IP)
		if nic.IP != "" && quantity > 1 {
			c.add(f+"ip", RuleConflict, nic.IP, "a fixed IP address allows only one VM")
		}
	}
}

func checkIP(c *checker, field, ip string) {
	if ip == "" {
		return
	}
	if _, err := netip.ParseAddr(ip); err != nil {
		c.add(field, RuleFormat, truncate(ip), "must be an IP address")
	}
}

// EIP is an elastic (public) IP bound to each VM.
type EIP struct {
	BandwidthMbps int
}

// checkQuantity applies 1..MaxQuantity.
func checkQuantity(c *checker, quantity int) {
	if quantity < 1 || quantity > MaxQuantity {
		c.add("quantity", RuleRange, quantity, fmt.Sprintf("must be 1 to %d per request", MaxQuantity))
	}
}

// CheckQuota reports whether an account with existing VMs may create
// quantity more under quota (DefaultQuota when quota is 0): existing +
// quantity must not exceed it.
//
// Errors: *QuotaError (ErrQuotaExceeded); *FieldError (ErrInvalidInput)
// for negative numbers.
func CheckQuota(existing, quantity, quota int) error {
	if quota == 0 {
		quota = DefaultQuota
	}
	if existing < 0 || quantity < 0 || quota < 0 {
		return &FieldError{Field: "quota", Rule: RuleRange, Value: fmt.Sprintf("%d/%d/%d", existing, quantity, quota),
			Reason: "existing, quantity and quota must not be negative"}
	}
	if existing+quantity > quota {
		return &QuotaError{Existing: existing, Requested: quantity, Quota: quota}
	}
	return nil
}

// checkBilling validates a VM's billing mode, spot flag and duration.
func checkBilling(c *checker, mode billing.Mode, spot bool, duration int) {
	switch mode {
	case billing.Monthly:
		if duration < 1 || duration > MaxMonths {
			c.add("duration", RuleRange, duration, fmt.Sprintf("must be 1 to %d months", MaxMonths))
		}
	case billing.Yearly:
		if duration < 1 || duration > MaxYears {
			c.add("duration", RuleRange, duration, fmt.Sprintf("must be 1 to %d years", MaxYears))
		}
	case billing.PayPerUse:
		if duration != 0 {
			c.add("duration", RuleConflict, duration, "must be 0 for pay-per-use")
		}
	default:
		c.add("mode", RuleOneOf, string(mode), "must be yearly, monthly or pay_per_use")
	}
	if spot && mode != billing.PayPerUse {
		c.add("spot", RuleConflict, spot, "spot VMs are billed pay-per-use")
	}
}

// QuickRequest is the quick provisioning form: one VM of a listed flavor
// (the seller's recommended one when Flavor is empty), a network, one
// security group, a password, the terms, and the billing mode.
type QuickRequest struct {
	Account         string // whose VMs
	OrderID         string
	OrderLineID     string
	Region          string
	Image           string
	Flavor          string // empty: the catalog's recommended flavor
	VPC             string
	Subnet          string
	SecurityGroup   SecurityGroupChoice
	Password        Secret
	ConfirmPassword Secret
	TermsAgreed     bool
	Mode            billing.Mode
	Duration        int // months or years for prepaid modes; 0 for pay-per-use
}

// Validate applies the rules that need no catalog: ids present, password
// rules (username root), terms agreed, billing mode and duration.
//
// Errors: *FieldError (ErrInvalidInput), all failures joined; never
// contains the password.
func (r QuickRequest) Validate() error {
	var c checker
	c.id("account", r.Account, MaxIDLength)
	c.id("order_id", r.OrderID, MaxIDLength)
	c.id("order_line_id", r.OrderLineID, MaxIDLength)
	c.id("region", r.Region, MaxIDLength)
	c.id("image", r.Image, MaxIDLength)
	c.maxLen("flavor", r.Flavor, MaxIDLength)
	c.id("vpc", r.VPC, MaxIDLength)
	c.id("subnet", r.Subnet, MaxIDLength)
	r.SecurityGroup.check(&c, "security_group")
	checkPassword(&c, "password", r.Password, r.ConfirmPassword, DefaultUsername)
	if !r.TermsAgreed {
		c.add("terms_agreed", RuleAgree, false, "the terms must be agreed")
	}
	checkBilling(&c, r.Mode, false, r.Duration)
	return c.err()
}

// CustomRequest is the customized provisioning form.
type CustomRequest struct {
	Account     string
	OrderID     string
	OrderLineID string

	Mode     billing.Mode // yearly, monthly or pay-per-use
	Spot     bool         // spot price; requires pay-per-use
	Duration int          // months or years for prepaid modes; 0 for pay-per-use

	Region string
	Zone   string // empty: a random zone
	Flavor string
	Image  string

	SystemDisk Disk
	DataDisks  []Disk

	Network        Network
	SecurityGroups []SecurityGroupChoice // at least one
	EIP            *EIP                  // nil: no EIP

	Name               string
	AllowDuplicateName bool
	Login              Login

	AutoRecovery      bool
	ServerGroup       string // an anti-affinity VM group; empty for none
	EnterpriseProject string

	Quantity    int
	TermsAgreed bool
}

// Validate applies the rules that need no catalog: ids present, name,
// login (password rules or key pair), billing, disks, network, security
// groups, EIP bandwidth, quantity 1..MaxQuantity and terms.
//
// Errors: *FieldError (ErrInvalidInput), all failures joined; never
// contains the password.
func (r CustomRequest) Validate() error {
	var c checker
	r.deployRequest(nil).checkVMs(&c, r.Quantity)
	checkName(&c, "name", r.Name)
	checkQuantity(&c, r.Quantity)
	if !r.TermsAgreed {
		c.add("terms_agreed", RuleAgree, false, "the terms must be agreed")
	}
	return c.err()
}

// deployRequest carries r's VM settings over to a DeployRequest named
// names, so that validation and planning read them from one place.
func (r CustomRequest) deployRequest(names []string) DeployRequest {
	return DeployRequest{
		Account: r.Account, OrderID: r.OrderID, OrderLineID: r.OrderLineID,
		Mode: r.Mode, Spot: r.Spot, Duration: r.Duration,
		Region: r.Region, Zone: r.Zone, Flavor: r.Flavor, Image: r.Image,
		SystemDisk: r.SystemDisk, DataDisks: r.DataDisks,
		Network: r.Network, SecurityGroups: r.SecurityGroups, EIP: r.EIP,
		Names: names, Login: r.Login,
		AutoRecovery: r.AutoRecovery, ServerGroup: r.ServerGroup, EnterpriseProject: r.EnterpriseProject,
	}
}

// checkVMs applies the rules that need no catalog to the VMs of r, for
// quantity VMs (quantity matters here only for fixed IP addresses; the
// caller checks its range). CustomRequest.Validate and
// DeployRequest.Validate share it, so a hand-built DeployRequest gets
// exactly the protection of a planned one.
func (r DeployRequest) checkVMs(c *checker, quantity int) {
	c.id("account", r.Account, MaxIDLength)
	c.id("order_id", r.OrderID, MaxIDLength)
	c.id("order_line_id", r.OrderLineID, MaxIDLength)
	checkBilling(c, r.Mode, r.Spot, r.Duration)
	c.id("region", r.Region, MaxIDLength)
	c.maxLen("zone", r.Zone, MaxIDLength)
	c.id("flavor", r.Flavor, MaxIDLength)
	c.id("image", r.Image, MaxIDLength)
	r.SystemDisk.check(c, "system_disk.")
	for i, d := range r.DataDisks {
		d.check(c, fmt.Sprintf("data_disks[%d].", i))
	}
	r.Network.check(c, "network.", quantity)
	if len(r.SecurityGroups) == 0 {
		c.add("security_groups", RuleRequired, nil, "at least one security group is required")
	}
	seen := map[string]bool{}
	for i, sg := range r.SecurityGroups {
		f := fmt.Sprintf("security_groups[%d]", i)
		sg.check(c, f)
		if sg.ID != "" && seen[sg.ID] {
			c.add(f, RuleDuplicate, sg.ID, "is repeated")
		}
		seen[sg.ID] = true
	}
	if r.EIP != nil && (r.EIP.BandwidthMbps < MinEIPMbps || r.EIP.BandwidthMbps > MaxEIPMbps) {
		c.add("eip.bandwidth_mbps", RuleRange, r.EIP.BandwidthMbps,
			fmt.Sprintf("must be %d to %d Mbit/s", MinEIPMbps, MaxEIPMbps))
	}
	r.Login.check(c, "login.")
	c.maxLen("server_group", r.ServerGroup, MaxIDLength)
	c.maxLen("enterprise_project", r.EnterpriseProject, MaxIDLength)
}
