package provisioning_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
)

const pw = "Sup3r-Secret!pw"

func TestSecretReveal(t *testing.T) {
	s := provisioning.NewSecret(pw)
	if s.Reveal() != pw || s.IsZero() {
		t.Fatalf("Reveal = %q, IsZero = %v", s.Reveal(), s.IsZero())
	}
	var zero provisioning.Secret
	if zero.Reveal() != "" || !zero.IsZero() || !provisioning.NewSecret("").IsZero() {
		t.Error("zero secret not empty")
	}
	if !s.Equal(provisioning.NewSecret(pw)) || s.Equal(zero) || !zero.Equal(provisioning.NewSecret("")) {
		t.Error("Equal compares values")
	}
	if zero.String() != "" {
		t.Errorf("empty secret prints %q", zero.String())
	}
}

func TestSecretFormats(t *testing.T) {
	s := provisioning.NewSecret(pw)
	for _, verb := range []string{"%s", "%v", "%+v", "%#v", "%q", "%x", "%X", "%10s", "%d"} {
		got := fmt.Sprintf(verb, s)
		if strings.Contains(got, pw) || strings.Contains(got, fmt.Sprintf("%x", pw)) || strings.Contains(got, fmt.Sprintf("%X", pw)) {
			t.Errorf("%s leaks: %q", verb, got)
		}
		if !strings.Contains(got, provisioning.Redacted) {
			t.Errorf("%s = %q, want it to show %s", verb, got, provisioning.Redacted)
		}
	}
	if got := fmt.Sprint(s); got != provisioning.Redacted {
		t.Errorf("Sprint = %q", got)
	}
	if got := s.GoString(); got != `provisioning.Secret("[REDACTED]")` {
		t.Errorf("GoString = %q", got)
	}
}

func TestSecretEncoders(t *testing.T) {
	s := provisioning.NewSecret(pw)
	b, err := json.Marshal(map[string]any{"p": s})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), `{"p":"[REDACTED]"}`; got != want {
		t.Errorf("JSON = %s, want %s", got, want)
	}
	text, _ := s.MarshalText()
	if string(text) != provisioning.Redacted {
		t.Errorf("MarshalText = %q", text)
	}
	var buf bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	logger.Info("login", "password", s, "login", provisioning.Login{Password: s, ConfirmPassword: s})
	logger = slog.New(slog.NewJSONHandler(&buf, nil))
	logger.Info("login", "password", s)
	if strings.Contains(buf.String(), pw) {
		t.Errorf("slog leaks: %s", buf.String())
	}
}

// TestRequestsNeverPrintPasswords prints and encodes every value that can
// carry a password in every way a log line or response might.
func TestRequestsNeverPrintPasswords(t *testing.T) {
	secret := provisioning.NewSecret(pw)
	quick := quickRequest()
	quick.Password, quick.ConfirmPassword = secret, secret
	custom := customRequest()
	custom.Login.Password, custom.Login.ConfirmPassword = secret, secret
	plan, err := provisioning.PlanCustom(custom, environment())
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]any{
		"quick":      quick,
		"quick ptr":  &quick,
		"custom":     custom,
		"deploy":     plan.Request,
		"plan":       plan,
		"app info":   provisioning.AppInfo{FrontEndURL: "https://x", Password: secret},
		"query info": []provisioning.InstanceInfo{{InstanceID: "i", AppInfo: &provisioning.AppInfo{Password: secret}}},
		"create res": provisioning.CreateResult{InstanceID: "i", AppInfo: &provisioning.AppInfo{Password: secret}},
		"in a map":   map[string]provisioning.Login{"x": custom.Login},
		"in unexported": struct {
			s provisioning.Secret
		}{secret},
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			for _, verb := range []string{"%v", "%+v", "%#v", "%s"} {
				if got := fmt.Sprintf(verb, v); strings.Contains(got, pw) {
					t.Errorf("%s leaks: %s", verb, got)
				}
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(b), pw) {
				t.Errorf("JSON leaks: %s", b)
			}
		})
	}
}

func TestValidationErrorsNeverPrintPasswords(t *testing.T) {
	tests := map[string]provisioning.Login{
		"mismatch":        {Password: provisioning.NewSecret(pw), ConfirmPassword: provisioning.NewSecret(pw + "x")},
		"too long":        {Password: provisioning.NewSecret(strings.Repeat(pw, 3)), ConfirmPassword: provisioning.NewSecret(pw)},
		"bad characters":  {Password: provisioning.NewSecret(pw + "#~"), ConfirmPassword: provisioning.NewSecret(pw)},
		"username inside": {Username: "Secret", Password: provisioning.NewSecret(pw), ConfirmPassword: provisioning.NewSecret(pw)},
		"key pair mode":   {Mode: provisioning.LoginKeyPair, KeyPair: "kp", Password: provisioning.NewSecret(pw)},
	}
	for name, login := range tests {
		t.Run(name, func(t *testing.T) {
			r := customRequest()
			r.Login = login
			err := r.Validate()
			if err == nil {
				t.Fatal("Validate = nil, want an error")
			}
			if strings.Contains(fmt.Sprintf("%v %+v %#v", err, err, provisioning.FieldErrors(err)), pw) {
				t.Errorf("error leaks the password: %v", err)
			}
			_, err = provisioning.PlanCustom(r, environment())
			if err == nil || strings.Contains(err.Error(), pw) {
				t.Errorf("PlanCustom error %v", err)
			}
		})
	}
}

// environment is the fake catalog with an empty inventory that holds the
// two fake security groups.
func environment() provisioning.Environment {
	return provisioning.Environment{
		Catalog: fake.Catalog(),
		Inventory: provisioning.Inventory{SecurityGroups: []provisioning.SecurityGroup{
			fake.OpenSecurityGroup(), fake.ClosedSecurityGroup(),
		}},
	}
}

// goodPassword passes every rule for user root.
var goodPassword = provisioning.NewSecret("Kg-Pass-2024")

func quickRequest() provisioning.QuickRequest {
	return provisioning.QuickRequest{
		Account: "acct-1", OrderID: "CS2404", OrderLineID: "CS2404-000001",
		Region: fake.Region, Image: "img-wordpress",
		VPC: "vpc-1", Subnet: "subnet-1",
		SecurityGroup: provisioning.SecurityGroupChoice{ID: "sg-open"},
		Password:      goodPassword, ConfirmPassword: goodPassword,
		TermsAgreed: true,
		Mode:        billing.PayPerUse,
	}
}

func customRequest() provisioning.CustomRequest {
	return provisioning.CustomRequest{
		Account: "acct-1", OrderID: "CS2405", OrderLineID: "CS2405-000001",
		Mode: billing.Monthly, Duration: 1,
		Region: fake.Region, Zone: "eu-west-101b", Flavor: "s6.xlarge.2", Image: "img-sap",
		SystemDisk: provisioning.Disk{Type: "SAS", SizeGiB: 40},
		DataDisks:  []provisioning.Disk{{Type: "SSD", SizeGiB: 100}},
		Network: provisioning.Network{VPC: "vpc-1", Subnet: "subnet-1",
			ExtensionNICs: []provisioning.NIC{{Subnet: "subnet-2"}}},
		SecurityGroups: []provisioning.SecurityGroupChoice{{ID: "sg-open"}},
		EIP:            &provisioning.EIP{BandwidthMbps: 5},
		Name:           "ecs",
		Login:          provisioning.Login{Password: goodPassword, ConfirmPassword: goodPassword},
		AutoRecovery:   true,
		Quantity:       1,
		TermsAgreed:    true,
	}
}

func TestFixturesAreValid(t *testing.T) {
	for name, err := range map[string]error{
		"quick":   quickRequest().Validate(),
		"custom":  customRequest().Validate(),
		"catalog": fake.Catalog().Validate(),
	} {
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if diff := cmp.Diff(provisioning.NewSecret("a"), provisioning.NewSecret("a")); diff != "" {
		t.Errorf("cmp uses Secret.Equal: %s", diff)
	}
}

func ExampleSecret() {
	login := provisioning.Login{Password: provisioning.NewSecret("Kg-Pass-2024")}
	fmt.Printf("%v\n%+v\n", login.Password, login)
	b, _ := json.Marshal(login)
	fmt.Println(string(b))
	fmt.Println(len(login.Password.Reveal()), "characters handed to the deployer")
	// Output:
	// [REDACTED]
	// {Mode: Username: Password:[REDACTED] ConfirmPassword: KeyPair:}
	// {"Mode":"","Username":"","Password":"[REDACTED]","ConfirmPassword":"","KeyPair":""}
	// 12 characters handed to the deployer
}
