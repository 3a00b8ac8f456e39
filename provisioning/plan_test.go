package provisioning_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
)

func servers(names ...string) []provisioning.Server {
	out := make([]provisioning.Server, len(names))
	for i, n := range names {
		out[i] = provisioning.Server{ID: fmt.Sprintf("srv-%d", i), Name: n, Region: fake.Region, Status: provisioning.ServerActive}
	}
	return out
}

func TestPlanQuick(t *testing.T) {
	env := environment()
	env.Inventory.Servers = servers("ecs-0003", "db")
	plan, err := provisioning.PlanQuick(quickRequest(), env)
	if err != nil {
		t.Fatal(err)
	}
	want := provisioning.DeployRequest{
		Account: "acct-1", OrderID: "CS2404", OrderLineID: "CS2404-000001",
		Mode: billing.PayPerUse, Region: fake.Region, Flavor: "s3.small.1", Image: "img-wordpress",
		SystemDisk:     provisioning.Disk{Type: "SAS", SizeGiB: 45},
		Network:        provisioning.Network{VPC: "vpc-1", Subnet: "subnet-1"},
		SecurityGroups: []provisioning.SecurityGroupChoice{{ID: "sg-open"}},
		Names:          []string{"ecs-0004"},
		Login:          provisioning.Login{Mode: provisioning.LoginPassword, Username: "root", Password: goodPassword, ConfirmPassword: goodPassword},
	}
	if diff := cmp.Diff(want, plan.Request); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	if len(plan.Warnings) != 0 {
		t.Errorf("warnings: %+v", plan.Warnings)
	}
	if err := plan.Request.Validate(); err != nil {
		t.Errorf("planned request invalid: %v", err)
	}
	if plan.Request.Key() != (provisioning.DeployKey{OrderID: "CS2404", OrderLineID: "CS2404-000001"}) {
		t.Errorf("Key = %+v", plan.Request.Key())
	}
}

func TestPlanQuickFailures(t *testing.T) {
	with := func(f func(*provisioning.QuickRequest)) provisioning.QuickRequest {
		r := quickRequest()
		f(&r)
		return r
	}
	full := environment()
	full.Quota = 2
	full.Inventory.Servers = servers("a", "b")
	noRecommendation := environment()
	noRecommendation.Catalog.Recommended = ""
	noDisks := environment()
	noDisks.Catalog.DiskTypes, noDisks.Catalog.QuickSystemDisk = nil, provisioning.Disk{}
	exhausted := environment()
	exhausted.Inventory.Servers = servers("ecs-9999")
	tests := []struct {
		name    string
		req     provisioning.QuickRequest
		env     provisioning.Environment
		want    []string
		wantErr error
	}{
		{"invalid request", with(func(r *provisioning.QuickRequest) { r.TermsAgreed = false }), environment(), []string{"terms_agreed:agree"}, provisioning.ErrInvalidInput},
		{"unknown region and flavor", with(func(r *provisioning.QuickRequest) { r.Region, r.Flavor = "mars-1", "z9" }), environment(), []string{"region:unknown", "flavor:unknown"}, provisioning.ErrInvalidInput},
		{"no recommended flavor", quickRequest(), noRecommendation, []string{"flavor:required"}, provisioning.ErrInvalidInput},
		{"no disk types", quickRequest(), noDisks, []string{"system_disk.type:unknown"}, provisioning.ErrInvalidInput},
		{"quota", quickRequest(), full, nil, provisioning.ErrQuotaExceeded},
		{"numbers exhausted", quickRequest(), exhausted, nil, provisioning.ErrNameConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := provisioning.PlanQuick(tt.req, tt.env)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, fieldRules(err)); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
		})
	}
	// A chosen flavor overrides the recommendation.
	plan, err := provisioning.PlanQuick(with(func(r *provisioning.QuickRequest) { r.Flavor = "s3.large.2" }), environment())
	if err != nil || plan.Request.Flavor != "s3.large.2" {
		t.Errorf("flavor = %q, err = %v", plan.Request.Flavor, err)
	}
}

func TestPlanCustom(t *testing.T) {
	env := environment()
	env.Inventory.Servers = servers("sap-0010", "sap")
	r := customRequest()
	r.Name, r.Quantity = "sap", 3
	r.Login.Mode = ""
	plan, err := provisioning.PlanCustom(r, env)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"sap-0011", "sap-0012", "sap-0013"}, plan.Request.Names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if plan.Request.Login.Mode != provisioning.LoginPassword || plan.Request.Login.Username != "root" {
		t.Errorf("login defaults not applied: %+v", plan.Request.Login)
	}
	if !plan.Request.AutoRecovery || plan.Request.EIP == nil || plan.Request.Zone != "eu-west-101b" || plan.Request.Duration != 1 {
		t.Errorf("request lost fields: %+v", plan.Request)
	}
	if err := plan.Request.Validate(); err != nil {
		t.Errorf("planned request invalid: %v", err)
	}
}

func TestPlanCustomFailures(t *testing.T) {
	with := func(f func(*provisioning.CustomRequest)) provisioning.CustomRequest {
		r := customRequest()
		f(&r)
		return r
	}
	quotaEnv := environment()
	quotaEnv.Inventory.Servers = servers(make([]string, 2047)...)
	taken := environment()
	taken.Inventory.Servers = servers("ecs")
	many := make([]provisioning.Disk, 24)
	for i := range many {
		many[i] = provisioning.Disk{Type: "SSD", SizeGiB: 10}
	}
	tests := []struct {
		name    string
		req     provisioning.CustomRequest
		env     provisioning.Environment
		want    []string
		wantErr error
	}{
		{"invalid request", with(func(r *provisioning.CustomRequest) { r.Quantity = 0 }), environment(), []string{"quantity:range"}, provisioning.ErrInvalidInput},
		{"unknown region", with(func(r *provisioning.CustomRequest) { r.Region = "mars-1" }), environment(), []string{"region:unknown"}, provisioning.ErrInvalidInput},
		{"unknown zone", with(func(r *provisioning.CustomRequest) { r.Zone = "AZ9" }), environment(), []string{"zone:unknown"}, provisioning.ErrInvalidInput},
		{"unknown flavor", with(func(r *provisioning.CustomRequest) { r.Flavor = "s5.xlarge.2" }), environment(), []string{"flavor:unknown"}, provisioning.ErrInvalidInput},
		{"unknown disk type", with(func(r *provisioning.CustomRequest) { r.DataDisks[0].Type = "TAPE" }), environment(), []string{"data_disks[0].type:unknown"}, provisioning.ErrInvalidInput},
		{"system disk too small", with(func(r *provisioning.CustomRequest) { r.SystemDisk.SizeGiB = 39 }), environment(), []string{"system_disk.size_gib:range"}, provisioning.ErrInvalidInput},
		{"data disk too big", with(func(r *provisioning.CustomRequest) { r.DataDisks[0].SizeGiB = 32769 }), environment(), []string{"data_disks[0].size_gib:range"}, provisioning.ErrInvalidInput},
		{"too many data disks", with(func(r *provisioning.CustomRequest) { r.DataDisks = many }), environment(), []string{"data_disks:range"}, provisioning.ErrInvalidInput},
		{"quota edge passed", with(func(r *provisioning.CustomRequest) { r.Name, r.Quantity = "web", 2 }), quotaEnv, nil, provisioning.ErrQuotaExceeded},
		{"name taken", customRequest(), taken, nil, provisioning.ErrNameConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := provisioning.PlanCustom(tt.req, tt.env)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, fieldRules(err)); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
		})
	}
	// The quota edge itself is allowed: 2047 existing + 1 = 2048.
	if _, err := provisioning.PlanCustom(with(func(r *provisioning.CustomRequest) { r.Name = "web" }), quotaEnv); err != nil {
		t.Errorf("2047 + 1: %v", err)
	}
	// Duplicate names allowed: the taken name is used again.
	plan, err := provisioning.PlanCustom(with(func(r *provisioning.CustomRequest) { r.AllowDuplicateName = true }), taken)
	if err != nil || plan.Request.Names[0] != "ecs" {
		t.Errorf("allow duplicate: %v, %v", plan.Request.Names, err)
	}
}

func TestSecurityGroupWarnings(t *testing.T) {
	inv := environment().Inventory
	rule := func(proto string, lo, hi int) provisioning.SecurityRule {
		return provisioning.SecurityRule{Direction: "ingress", Protocol: proto, PortMin: lo, PortMax: hi}
	}
	newGroup := func(rules ...provisioning.SecurityRule) provisioning.SecurityGroupChoice {
		return provisioning.SecurityGroupChoice{New: &provisioning.SecurityGroupSpec{Name: "n", Rules: rules}}
	}
	tests := []struct {
		name   string
		groups []provisioning.SecurityGroupChoice
		want   []string // "field:code:missing part of the message"
	}{
		{"open group", []provisioning.SecurityGroupChoice{{ID: "sg-open"}}, nil},
		{"closed group", []provisioning.SecurityGroupChoice{{ID: "sg-https"}},
			[]string{"security_groups:ports_closed:22 (SSH), 3389 (RDP), ICMP (ping)"}},
		{"closed plus open", []provisioning.SecurityGroupChoice{{ID: "sg-https"}, {ID: "sg-open"}}, nil},
		{"unknown group", []provisioning.SecurityGroupChoice{{ID: "sg-x"}},
			[]string{"security_groups[0]:rules_unknown:sg-x", "security_groups:ports_closed:22 (SSH), 3389 (RDP), ICMP (ping)"}},
		{"new group allowing all", []provisioning.SecurityGroupChoice{newGroup(provisioning.SecurityRule{Direction: "ingress", Protocol: "any"})}, nil},
		{"port range covers both", []provisioning.SecurityGroupChoice{newGroup(rule("tcp", 1, 65535), rule("icmp", 0, 0))}, nil},
		{"all tcp ports as 0-0", []provisioning.SecurityGroupChoice{newGroup(rule("tcp", 0, 0))},
			[]string{"security_groups:ports_closed:ICMP (ping)"}},
		{"only ssh", []provisioning.SecurityGroupChoice{newGroup(rule("tcp", 22, 22), rule("udp", 3389, 3389))},
			[]string{"security_groups:ports_closed:3389 (RDP), ICMP (ping)"}},
		{"egress does not count", []provisioning.SecurityGroupChoice{newGroup(provisioning.SecurityRule{Direction: "egress", Protocol: "any"})},
			[]string{"security_groups:ports_closed:22 (SSH), 3389 (RDP), ICMP (ping)"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, w := range provisioning.SecurityGroupWarnings(tt.groups, inv) {
				got = append(got, w.Field+":"+w.Code+":"+missingPart(w.Message))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("warnings (-want +got):\n%s", diff)
			}
		})
	}
}

// missingPart extracts what a warning says is missing.
func missingPart(msg string) string {
	if _, rest, ok := strings.Cut(msg, "inbound "); ok {
		part, _, _ := strings.Cut(rest, ";")
		return part
	}
	if _, rest, ok := strings.Cut(msg, `"`); ok {
		id, _, _ := strings.Cut(rest, `"`)
		return id
	}
	return msg
}

func TestPlanWarnsNotFails(t *testing.T) {
	r := quickRequest()
	r.SecurityGroup = provisioning.SecurityGroupChoice{ID: "sg-https"}
	plan, err := provisioning.PlanQuick(r, environment())
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Warnings) != 1 || plan.Warnings[0].Code != provisioning.WarnPortsClosed {
		t.Errorf("warnings = %+v", plan.Warnings)
	}
}

func TestDeployRequestValidate(t *testing.T) {
	plan, err := provisioning.PlanCustom(customRequest(), environment())
	if err != nil {
		t.Fatal(err)
	}
	with := func(f func(*provisioning.DeployRequest)) provisioning.DeployRequest {
		r := plan.Request
		r.Names = append([]string(nil), r.Names...)
		f(&r)
		return r
	}
	checkValidation(t, map[string]struct {
		v    validator
		want []string
	}{
		"planned":        {plan.Request, nil},
		"no names":       {with(func(r *provisioning.DeployRequest) { r.Names = nil }), []string{"quantity:range"}},
		"repeated names": {with(func(r *provisioning.DeployRequest) { r.Names = []string{"a", "a"} }), []string{"names[1]:duplicate"}},
		"bad name":       {with(func(r *provisioning.DeployRequest) { r.Names = []string{"a b"} }), []string{"names[0]:format"}},
		"two VMs, one fixed IP": {with(func(r *provisioning.DeployRequest) { r.Names = []string{"a", "b"}; r.Network.IP = "10.0.0.1" }),
			[]string{"network.ip:conflict"}},
		"weak password": {with(func(r *provisioning.DeployRequest) {
			r.Login.Password, r.Login.ConfirmPassword = provisioning.NewSecret("weakweak"), provisioning.NewSecret("weakweak")
		}), []string{"login.password:password_chars"}},
		"empty": {provisioning.DeployRequest{}, []string{"account:required", "order_id:required", "order_line_id:required",
			"mode:one_of", "region:required", "flavor:required", "image:required", "system_disk.type:required", "system_disk.size_gib:range",
			"network.vpc:required", "network.subnet:required", "security_groups:required", "login.password:required", "quantity:range"}},
		"bad group":     {with(func(r *provisioning.DeployRequest) { r.SecurityGroups = []provisioning.SecurityGroupChoice{{}} }), []string{"security_groups[0]:required"}},
		"bad data disk": {with(func(r *provisioning.DeployRequest) { r.DataDisks = []provisioning.Disk{{Type: "SSD"}} }), []string{"data_disks[0].size_gib:range"}},
		// The rules a customized request obeys hold for a hand-built deploy
		// request too.
		"EIP bandwidth": {with(func(r *provisioning.DeployRequest) {
			r.EIP = &provisioning.EIP{BandwidthMbps: provisioning.MaxEIPMbps + 1}
		}),
			[]string{"eip.bandwidth_mbps:range"}},
		"repeated group": {with(func(r *provisioning.DeployRequest) {
			r.SecurityGroups = []provisioning.SecurityGroupChoice{{ID: "sg-open"}, {ID: "sg-open"}}
		}), []string{"security_groups[1]:duplicate"}},
		"long VM group and enterprise project": {with(func(r *provisioning.DeployRequest) { r.ServerGroup, r.EnterpriseProject = long65, long65 }),
			[]string{"server_group:max_length", "enterprise_project:max_length"}},
	})
}

// Customized provisioning of three VMs named "ecs" in an account that
// already has ecs-0010, with a security group that keeps SSH closed.
func ExamplePlanCustom() {
	env := provisioning.Environment{
		Catalog: fake.Catalog(),
		Inventory: provisioning.Inventory{
			Servers:        []provisioning.Server{{ID: "srv-1", Name: "ecs-0010"}},
			SecurityGroups: []provisioning.SecurityGroup{fake.ClosedSecurityGroup()},
		},
	}
	password := provisioning.NewSecret("Kg-Pass-2024")
	plan, err := provisioning.PlanCustom(provisioning.CustomRequest{
		Account: "acct-1", OrderID: "CS2405", OrderLineID: "CS2405-000001",
		Mode: billing.Monthly, Duration: 1,
		Region: fake.Region, Flavor: "s6.xlarge.2", Image: "img-sap",
		SystemDisk:     provisioning.Disk{Type: "SAS", SizeGiB: 40},
		Network:        provisioning.Network{VPC: "vpc-1", Subnet: "subnet-1"},
		SecurityGroups: []provisioning.SecurityGroupChoice{{ID: "sg-https"}},
		Name:           "ecs",
		Login:          provisioning.Login{Password: password, ConfirmPassword: password},
		Quantity:       3,
		TermsAgreed:    true,
	}, env)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(plan.Request.Names)
	fmt.Println("password:", plan.Request.Login.Password)
	for _, w := range plan.Warnings {
		fmt.Println("warning:", w.Message)
	}
	// Output:
	// [ecs-0011 ecs-0012 ecs-0013]
	// password: [REDACTED]
	// warning: the security groups do not allow inbound 22 (SSH), 3389 (RDP), ICMP (ping); logging in or pinging the VM may fail
}
