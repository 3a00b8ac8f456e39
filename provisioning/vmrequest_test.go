package provisioning_test

import (
	"errors"
	"testing"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
)

func TestQuickRequestValidate(t *testing.T) {
	with := func(f func(*provisioning.QuickRequest)) provisioning.QuickRequest {
		r := quickRequest()
		f(&r)
		return r
	}
	other := provisioning.NewSecret("Kg-Pass-2025")
	checkValidation(t, map[string]struct {
		v    validator
		want []string
	}{
		"valid":                {quickRequest(), nil},
		"monthly":              {with(func(r *provisioning.QuickRequest) { r.Mode, r.Duration = billing.Monthly, 9 }), nil},
		"yearly":               {with(func(r *provisioning.QuickRequest) { r.Mode, r.Duration = billing.Yearly, 3 }), nil},
		"recommended security": {with(func(r *provisioning.QuickRequest) { r.SecurityGroup = provisioning.SecurityGroupChoice{ID: "sg-rec"} }), nil},
		"new security group": {with(func(r *provisioning.QuickRequest) {
			r.SecurityGroup = provisioning.SecurityGroupChoice{New: &provisioning.SecurityGroupSpec{Name: "web",
				Rules: []provisioning.SecurityRule{{Direction: "ingress", Protocol: "tcp", PortMin: 80, PortMax: 80}}}}
		}), nil},
		"terms not agreed":     {with(func(r *provisioning.QuickRequest) { r.TermsAgreed = false }), []string{"terms_agreed:agree"}},
		"confirmation differs": {with(func(r *provisioning.QuickRequest) { r.ConfirmPassword = other }), []string{"password_confirm:mismatch"}},
		"password with root": {with(func(r *provisioning.QuickRequest) {
			r.Password = provisioning.NewSecret("Root-2024x")
			r.ConfirmPassword = r.Password
		}), []string{"password:username"}},
		"no password": {with(func(r *provisioning.QuickRequest) {
			r.Password, r.ConfirmPassword = provisioning.Secret{}, provisioning.Secret{}
		}), []string{"password:required"}},
		"ten months":           {with(func(r *provisioning.QuickRequest) { r.Mode, r.Duration = billing.Monthly, 10 }), []string{"duration:range"}},
		"zero months":          {with(func(r *provisioning.QuickRequest) { r.Mode = billing.Monthly }), []string{"duration:range"}},
		"four years":           {with(func(r *provisioning.QuickRequest) { r.Mode, r.Duration = billing.Yearly, 4 }), []string{"duration:range"}},
		"pay-per-use duration": {with(func(r *provisioning.QuickRequest) { r.Duration = 1 }), []string{"duration:conflict"}},
		"one-time":             {with(func(r *provisioning.QuickRequest) { r.Mode = billing.OneTime }), []string{"mode:one_of"}},
		"no security group":    {with(func(r *provisioning.QuickRequest) { r.SecurityGroup = provisioning.SecurityGroupChoice{} }), []string{"security_group:required"}},
		"both security groups": {with(func(r *provisioning.QuickRequest) { r.SecurityGroup.New = &provisioning.SecurityGroupSpec{Name: "x"} }), []string{"security_group:conflict"}},
		"bad new group": {with(func(r *provisioning.QuickRequest) {
			r.SecurityGroup = provisioning.SecurityGroupChoice{New: &provisioning.SecurityGroupSpec{
				Rules: []provisioning.SecurityRule{{Direction: "in", Protocol: "sctp", PortMin: 10, PortMax: 5}}}}
		}), []string{"security_group.new.name:required", "security_group.new.rules[0].direction:one_of", "security_group.new.rules[0].protocol:one_of", "security_group.new.rules[0].port_max:range"}},
		"empty": {provisioning.QuickRequest{}, []string{"account:required", "order_id:required", "order_line_id:required",
			"region:required", "image:required", "vpc:required", "subnet:required", "security_group:required",
			"password:required", "terms_agreed:agree", "mode:one_of"}},
	})
}

func TestCustomRequestValidate(t *testing.T) {
	with := func(f func(*provisioning.CustomRequest)) provisioning.CustomRequest {
		r := customRequest()
		f(&r)
		return r
	}
	checkValidation(t, map[string]struct {
		v    validator
		want []string
	}{
		"valid":       {customRequest(), nil},
		"spot":        {with(func(r *provisioning.CustomRequest) { r.Mode, r.Duration, r.Spot = billing.PayPerUse, 0, true }), nil},
		"random zone": {with(func(r *provisioning.CustomRequest) { r.Zone = "" }), nil},
		"500":         {with(func(r *provisioning.CustomRequest) { r.Quantity = 500 }), nil},
		"key pair": {with(func(r *provisioning.CustomRequest) {
			r.Login = provisioning.Login{Mode: provisioning.LoginKeyPair, KeyPair: "kp-1"}
		}), nil},
		"fixed ip, one VM":   {with(func(r *provisioning.CustomRequest) { r.Network.IP = "192.168.0.10" }), nil},
		"ipv6":               {with(func(r *provisioning.CustomRequest) { r.Network.ExtensionNICs[0].IP = "fd00::1" }), nil},
		"no eip":             {with(func(r *provisioning.CustomRequest) { r.EIP = nil }), nil},
		"spot prepaid":       {with(func(r *provisioning.CustomRequest) { r.Spot = true }), []string{"spot:conflict"}},
		"quantity 0":         {with(func(r *provisioning.CustomRequest) { r.Quantity = 0 }), []string{"quantity:range"}},
		"quantity 501":       {with(func(r *provisioning.CustomRequest) { r.Quantity = 501 }), []string{"quantity:range"}},
		"terms":              {with(func(r *provisioning.CustomRequest) { r.TermsAgreed = false }), []string{"terms_agreed:agree"}},
		"fixed ip, two VMs":  {with(func(r *provisioning.CustomRequest) { r.Network.IP, r.Quantity = "192.168.0.10", 2 }), []string{"network.ip:conflict"}},
		"bad ip":             {with(func(r *provisioning.CustomRequest) { r.Network.IP = "192.168.0.300" }), []string{"network.ip:format"}},
		"nic ip, two VMs":    {with(func(r *provisioning.CustomRequest) { r.Network.ExtensionNICs[0].IP, r.Quantity = "10.0.0.9", 2 }), []string{"network.extension_nics[0].ip:conflict"}},
		"nic without subnet": {with(func(r *provisioning.CustomRequest) { r.Network.ExtensionNICs[0].Subnet = "" }), []string{"network.extension_nics[0].subnet:required"}},
		"nic bad ip":         {with(func(r *provisioning.CustomRequest) { r.Network.ExtensionNICs[0].IP = "x" }), []string{"network.extension_nics[0].ip:format"}},
		"no security group":  {with(func(r *provisioning.CustomRequest) { r.SecurityGroups = nil }), []string{"security_groups:required"}},
		"repeated group": {with(func(r *provisioning.CustomRequest) {
			r.SecurityGroups = append(r.SecurityGroups, provisioning.SecurityGroupChoice{ID: "sg-open"})
		}), []string{"security_groups[1]:duplicate"}},
		"eip 0":    {with(func(r *provisioning.CustomRequest) { r.EIP.BandwidthMbps = 0 }), []string{"eip.bandwidth_mbps:range"}},
		"eip 2001": {with(func(r *provisioning.CustomRequest) { r.EIP.BandwidthMbps = 2001 }), []string{"eip.bandwidth_mbps:range"}},
		"bad name": {with(func(r *provisioning.CustomRequest) { r.Name = "my vm" }), []string{"name:format"}},
		"no disks": {with(func(r *provisioning.CustomRequest) { r.SystemDisk = provisioning.Disk{}; r.DataDisks[0].SizeGiB = 0 }), []string{"system_disk.type:required", "system_disk.size_gib:range", "data_disks[0].size_gib:range"}},
		"key pair and password": {with(func(r *provisioning.CustomRequest) {
			r.Login = provisioning.Login{Mode: provisioning.LoginKeyPair, KeyPair: "kp", Password: goodPassword}
		}), []string{"login.password:conflict"}},
		"key pair missing":      {with(func(r *provisioning.CustomRequest) { r.Login = provisioning.Login{Mode: provisioning.LoginKeyPair} }), []string{"login.key_pair:required"}},
		"password and key pair": {with(func(r *provisioning.CustomRequest) { r.Login.KeyPair = "kp" }), []string{"login.key_pair:conflict"}},
		"unknown login mode":    {with(func(r *provisioning.CustomRequest) { r.Login.Mode = "token" }), []string{"login.mode:one_of"}},
		"password has the username": {with(func(r *provisioning.CustomRequest) {
			r.Login.Username = "Administrator"
			r.Login.Password = provisioning.NewSecret("Administrator-1")
			r.Login.ConfirmPassword = r.Login.Password
		}), []string{"login.password:username"}},
		"long ids": {with(func(r *provisioning.CustomRequest) {
			r.ServerGroup, r.EnterpriseProject, r.Zone = long65, long65, long65
		}),
			[]string{"zone:max_length", "server_group:max_length", "enterprise_project:max_length"}},
	})
}

func TestCheckQuota(t *testing.T) {
	tests := []struct {
		name                      string
		existing, quantity, quota int
		wantErr                   error
	}{
		{"empty account", 0, 500, 0, nil},
		{"reaches the default quota exactly", 1548, 500, 0, nil},
		{"one past the default quota", 1549, 500, 0, provisioning.ErrQuotaExceeded},
		{"last VM", 2047, 1, 0, nil},
		{"quota full", 2048, 1, 0, provisioning.ErrQuotaExceeded},
		{"custom quota reached", 8, 2, 10, nil},
		{"custom quota passed", 9, 2, 10, provisioning.ErrQuotaExceeded},
		{"negative", -1, 1, 0, provisioning.ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := provisioning.CheckQuota(tt.existing, tt.quantity, tt.quota)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var qe *provisioning.QuotaError
			if errors.As(err, &qe) {
				want := tt.quota
				if want == 0 {
					want = provisioning.DefaultQuota
				}
				if qe.Existing != tt.existing || qe.Requested != tt.quantity || qe.Quota != want {
					t.Errorf("QuotaError = %+v", qe)
				}
			}
		})
	}
}

func TestLoginUser(t *testing.T) {
	if got := (provisioning.Login{}).User(); got != "root" {
		t.Errorf("User = %q", got)
	}
	if got := (provisioning.Login{Username: "Administrator"}).User(); got != "Administrator" {
		t.Errorf("User = %q", got)
	}
}
