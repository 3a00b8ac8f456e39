package fake_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
)

const loginPassword = "Kg-Pass-2024"

func deployRequest(line string, names ...string) provisioning.DeployRequest {
	pw := provisioning.NewSecret(loginPassword)
	return provisioning.DeployRequest{
		Account: "acct-1", OrderID: "CS9", OrderLineID: line,
		Mode: billing.PayPerUse, Region: fake.Region, Flavor: "s3.small.1", Image: "img-1",
		SystemDisk:     provisioning.Disk{Type: "SAS", SizeGiB: 40},
		Network:        provisioning.Network{VPC: "vpc-1", Subnet: "subnet-1"},
		SecurityGroups: []provisioning.SecurityGroupChoice{{ID: "sg-open"}},
		Names:          names,
		Login:          provisioning.Login{Password: pw, ConfirmPassword: pw},
	}
}

func TestDeployerLifecycle(t *testing.T) {
	ctx := context.Background()
	d := fake.NewDeployer(
		fake.WithSecurityGroups(fake.OpenSecurityGroup()),
		fake.WithServers("acct-1", provisioning.Server{ID: "old-1", Name: "ecs-0001", Region: fake.Region},
			provisioning.Server{ID: "old-2", Name: "far", Region: "ap-southeast-1"}),
		fake.WithZone(fake.Region, "eu-west-101a"),
	)
	inv, err := d.Inventory(ctx, "acct-1", fake.Region)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ecs-0001"}, inv.Names()); diff != "" {
		t.Errorf("inventory in region (-want +got):\n%s", diff)
	}
	if len(inv.SecurityGroups) != 1 || inv.SecurityGroups[0].ID != "sg-open" {
		t.Errorf("groups = %+v", inv.SecurityGroups)
	}
	if all, _ := d.Inventory(ctx, "acct-1", ""); len(all.Servers) != 2 {
		t.Errorf("all regions: %+v", all.Servers)
	}

	dep, err := d.Deploy(ctx, deployRequest("L1", "ecs-0002", "ecs-0003"))
	if err != nil {
		t.Fatal(err)
	}
	want := provisioning.Deployment{ID: "dep-0001", Key: provisioning.DeployKey{OrderID: "CS9", OrderLineID: "L1"},
		Status: provisioning.DeploymentActive, Servers: []provisioning.Server{
			{ID: "srv-0001", Name: "ecs-0002", Region: fake.Region, Zone: "eu-west-101a", Flavor: "s3.small.1", Status: provisioning.ServerActive},
			{ID: "srv-0002", Name: "ecs-0003", Region: fake.Region, Zone: "eu-west-101a", Flavor: "s3.small.1", Status: provisioning.ServerActive},
		}}
	if diff := cmp.Diff(want, dep); diff != "" {
		t.Errorf("deployment (-want +got):\n%s", diff)
	}
	again, err := d.Deploy(ctx, deployRequest("L1", "other"))
	if err != nil || again.ID != dep.ID || len(again.Servers) != 2 {
		t.Fatalf("repeat deploy = %+v, %v", again, err)
	}
	if inv, _ := d.Inventory(ctx, "acct-1", fake.Region); len(inv.Servers) != 3 {
		t.Errorf("inventory after deploy: %v", inv.Names())
	}
	got, err := d.Deployment(ctx, dep.ID)
	if err != nil || got.Status != provisioning.DeploymentActive {
		t.Fatalf("Deployment = %+v, %v", got, err)
	}
	if err := d.Release(ctx, dep.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.Release(ctx, dep.ID); err != nil {
		t.Fatalf("repeat release: %v", err)
	}
	got, _ = d.Deployment(ctx, dep.ID)
	if got.Status != provisioning.DeploymentReleased || got.Servers[0].Status != provisioning.ServerReleased {
		t.Errorf("after release: %+v", got)
	}
	if inv, _ := d.Inventory(ctx, "acct-1", fake.Region); len(inv.Servers) != 1 {
		t.Errorf("released servers still in inventory: %v", inv.Names())
	}
	for name, err := range map[string]error{
		"deployment": second(d.Deployment(ctx, "dep-x")),
		"release":    d.Release(ctx, "dep-x"),
	} {
		if !errors.Is(err, provisioning.ErrNotFound) {
			t.Errorf("%s of unknown: %v", name, err)
		}
	}
	if _, err := d.Inventory(ctx, "", ""); !errors.Is(err, provisioning.ErrInvalidInput) {
		t.Errorf("empty account: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }

func TestDeployerNeverKeepsPasswords(t *testing.T) {
	d := fake.NewDeployer()
	dep, err := d.Deploy(context.Background(), deployRequest("L1", "vm"))
	if err != nil {
		t.Fatal(err)
	}
	calls := d.Calls()
	if deploys := d.CallsTo(fake.OpDeploy); len(calls) != 1 || len(deploys) != 1 || len(d.CallsTo(fake.OpRelease)) != 0 {
		t.Fatalf("calls %+v, deploys %+v", calls, deploys)
	}
	recorded := calls[0].Request.(provisioning.DeployRequest)
	if !recorded.Login.Password.IsZero() || !recorded.Login.ConfirmPassword.IsZero() {
		t.Error("the recorded request keeps the password")
	}
	b, _ := json.Marshal(dep)
	everything := fmt.Sprintf("%+v %#v %s", calls, dep, b)
	if strings.Contains(everything, loginPassword) {
		t.Errorf("password kept: %s", everything)
	}
}

func TestDeployerValidationAndQuota(t *testing.T) {
	ctx := context.Background()
	d := fake.NewDeployer(fake.WithQuota(3), fake.WithServers("acct-1", provisioning.Server{ID: "s", Name: "a"}))
	bad := deployRequest("L1", "x")
	bad.Login.ConfirmPassword = provisioning.NewSecret("different-1A")
	if _, err := d.Deploy(ctx, bad); !errors.Is(err, provisioning.ErrInvalidInput) {
		t.Fatalf("invalid deploy: %v", err)
	}
	if _, err := d.Deploy(ctx, deployRequest("L1", "b", "c", "d")); !errors.Is(err, provisioning.ErrQuotaExceeded) {
		t.Fatalf("over quota: %v", err)
	}
	if _, err := d.Deploy(ctx, deployRequest("L1", "b", "c")); err != nil {
		t.Fatalf("at quota: %v", err)
	}
}

func TestDeployerFaults(t *testing.T) {
	ctx := context.Background()
	d := fake.NewDeployer()
	d.Fail(fake.OpDeploy, fmt.Errorf("cloud: %w", provisioning.ErrUnavailable), 1)
	if _, err := d.Deploy(ctx, deployRequest("L1", "vm")); !provisioning.Retryable(err) {
		t.Fatalf("failing deploy: %v", err)
	}
	d.Processing(fake.OpDeploy, 1)
	dep, err := d.Deploy(ctx, deployRequest("L1", "vm"))
	if err != nil || dep.Status != provisioning.DeploymentBuilding || dep.Servers[0].Status != provisioning.ServerBuilding {
		t.Fatalf("processing deploy = %+v, %v", dep, err)
	}
	if inv, _ := d.Inventory(ctx, "acct-1", ""); inv.Servers[0].Status != provisioning.ServerBuilding {
		t.Errorf("inventory = %+v", inv.Servers)
	}
	d.Processing(fake.OpDeployment, 1)
	if got, _ := d.Deployment(ctx, dep.ID); got.Status != provisioning.DeploymentBuilding {
		t.Errorf("still processing: %+v", got)
	}
	if got, _ := d.Deployment(ctx, dep.ID); got.Status != provisioning.DeploymentActive || got.Servers[0].Status != provisioning.ServerActive {
		t.Errorf("finished: %+v", got)
	}
	if inv, _ := d.Inventory(ctx, "acct-1", ""); inv.Servers[0].Status != provisioning.ServerActive {
		t.Errorf("inventory not updated: %+v", inv.Servers)
	}
	d.Slow(fake.OpInventory, time.Hour, 0)
	tctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	if _, err := d.Inventory(tctx, "acct-1", ""); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow inventory: %v", err)
	}
	d.ClearFaults()
	d.Inject(fake.OpRelease, fake.Fault{Err: errors.New("boom"), Times: 1})
	if err := d.Release(ctx, dep.ID); err == nil {
		t.Error("release fault ignored")
	}
	if _, err := d.Inventory(ctx, "acct-1", ""); err != nil {
		t.Errorf("after ClearFaults: %v", err)
	}
}

func TestDeployerConcurrent(t *testing.T) {
	d := fake.NewDeployer()
	var wg sync.WaitGroup
	ids := make([]string, 40)
	for i := range ids {
		wg.Go(func() {
			dep, err := d.Deploy(context.Background(), deployRequest(fmt.Sprintf("L%d", i%5), fmt.Sprintf("vm%d", i%5)))
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = dep.ID
			_, _ = d.Deployment(context.Background(), dep.ID)
			_, _ = d.Inventory(context.Background(), "acct-1", "")
		})
	}
	wg.Wait()
	for i := range ids {
		if ids[i] != ids[i%5] {
			t.Errorf("line L%d deployed twice: %s, %s", i%5, ids[i], ids[i%5])
		}
	}
	if inv, _ := d.Inventory(context.Background(), "acct-1", ""); len(inv.Servers) != 5 {
		t.Errorf("%d servers, want 5", len(inv.Servers))
	}
}

// Quick provisioning end to end: inventory, plan, deploy.
func Example_deployer() {
	ctx := context.Background()
	deployer := fake.NewDeployer(fake.WithSecurityGroups(fake.OpenSecurityGroup()),
		fake.WithServers("acct-1", provisioning.Server{ID: "srv-old", Name: "ecs-0001", Region: fake.Region}))

	inv, _ := deployer.Inventory(ctx, "acct-1", fake.Region)
	pw := provisioning.NewSecret("Kg-Pass-2024")
	plan, err := provisioning.PlanQuick(provisioning.QuickRequest{
		Account: "acct-1", OrderID: "CS7", OrderLineID: "CS7-000001",
		Region: fake.Region, Image: "img-wordpress",
		VPC: "vpc-1", Subnet: "subnet-1",
		SecurityGroup: provisioning.SecurityGroupChoice{ID: "sg-open"},
		Password:      pw, ConfirmPassword: pw,
		TermsAgreed: true, Mode: billing.Monthly, Duration: 1,
	}, provisioning.Environment{Catalog: fake.Catalog(), Inventory: inv})
	if err != nil {
		fmt.Println(err)
		return
	}
	dep, _ := deployer.Deploy(ctx, plan.Request)
	for _, s := range dep.Servers {
		fmt.Println(s.Name, s.Flavor, s.Status)
	}
	// Output: ecs-0002 s3.small.1 active
}
