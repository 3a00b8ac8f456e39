package marketplace_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
)

// TestImageRenewalPaysForServers: an image's servers keep running through
// a renewal, so the renewal is priced like the purchase — software plus the
// flavor's price — for manual renewals of any duration and for
// auto-renewal.
func TestImageRenewalPaysForServers(t *testing.T) {
	for _, c := range []struct {
		name   string
		choice *marketplace.ImageChoice
		months int
		want   billing.Money
	}{
		// $20.00 image + $70.37 s6.xlarge.2 per month.
		{"quick, one month", &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}, 1, usd("90.37")},
		{"quick, three months", &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}, 3, usd("271.11")},
		{"customized", &marketplace.ImageChoice{Mode: "customized", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1",
			SecurityGroup: "sg-open", Name: "web", Quantity: 2, SystemDisk: "SAS", SystemDiskGiB: 40}, 1, usd("180.74")}, // two servers, each priced software + VM
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			qi := marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: c.months, Image: c.choice}
			o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: qi}, &pw)
			if !o.Amount.Equal(c.want) {
				t.Fatalf("purchase %s, want %s", o.Amount, c.want)
			}
			ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: o.ResourceID, Duration: c.months, IdempotencyKey: "renew"}))(t)
			if !ro.Amount.Equal(o.Amount) {
				t.Errorf("renewal %s, want the purchase's %s (software + servers)", ro.Amount, o.Amount)
			}
			if diff := cmp.Diff(descriptions(o.Lines), descriptions(ro.Lines)); diff != "" {
				t.Errorf("renewal lines differ from the purchase's (-purchase +renewal):\n%s", diff)
			}
		})
	}
}

// TestImageAutoRenewalPaysForServers: the 03:00 auto-renewal is priced the
// same way.
func TestImageAutoRenewalPaysForServers(t *testing.T) {
	e := newEnv(t)
	quick := &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1, Image: quick}}, &pw)
	r := e.resource(o.ResourceID)
	must(e.svc.SetAutoRenew(ctx, buyer, marketplace.AutoRenewInput{ResourceID: r.ID, Enabled: true}))(t)
	e.advanceTo(r.ExpiresAt.Add(-time.Hour), 24*time.Hour)
	r = e.resource(r.ID)
	if len(r.OrderIDs) != 2 {
		t.Fatalf("not auto-renewed: %v", r.OrderIDs)
	}
	if ren := e.order(r.OrderIDs[1]); ren.Kind != marketplace.OrderRenewal || !ren.Amount.Equal(usd("90.37")) {
		t.Errorf("auto-renewal order %s %s, want a renewal of 90.37", ren.Kind, ren.Amount)
	}
}

// TestReleasedImageListsNoServers: once an image ended and its servers
// were released in the cloud, Purchased Apps and the resource list them as
// released servers, not as servers the buyer has.
func TestReleasedImageListsNoServers(t *testing.T) {
	e := newEnv(t)
	quick := &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}
	buyImage := func() marketplace.Resource {
		o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1, Image: quick}}, &pw)
		r := must(e.svc.GetResource(ctx, buyer, o.ResourceID))(t)
		if len(r.App.Servers) != 1 || len(r.App.ReleasedServers) != 0 {
			t.Fatalf("running image servers %v, released %v", r.App.Servers, r.App.ReleasedServers)
		}
		return r
	}
	check := func(when string, id string, servers []string) {
		t.Helper()
		app := must(e.svc.GetPurchasedApp(ctx, buyer, id))(t)
		if len(app.App.Servers) != 0 || !cmp.Equal(app.App.ReleasedServers, servers) {
			t.Errorf("%s: app servers %v, released %v; want none and %v", when, app.App.Servers, app.App.ReleasedServers, servers)
		}
		r := must(e.svc.GetResource(ctx, operator, id))(t)
		if len(r.App.Servers) != 0 || !cmp.Equal(r.App.ReleasedServers, servers) {
			t.Errorf("%s: resource servers %v, released %v", when, r.App.Servers, r.App.ReleasedServers)
		}
		page := must(e.svc.ListPurchasedApps(ctx, buyer, marketplace.ListAppsInput{}))(t)
		for _, a := range page.Items {
			if a.ID == id && len(a.App.Servers) != 0 {
				t.Errorf("%s: listed with servers %v", when, a.App.Servers)
			}
		}
	}

	unsub := buyImage()
	e.advance(24 * time.Hour)
	must(e.svc.Unsubscribe(ctx, buyer, unsub.ID))(t)
	check("unsubscribed", unsub.ID, unsub.App.Servers)

	lapsed := buyImage()
	must(e.svc.SetAutoRenew(ctx, buyer, marketplace.AutoRenewInput{ResourceID: lapsed.ID}))(t)
	e.advanceTo(lapsed.ExpiresAt.Add(-2*time.Hour), 24*time.Hour)
	if a := must(e.svc.GetPurchasedApp(ctx, buyer, lapsed.ID))(t); len(a.App.Servers) != 1 {
		t.Fatalf("an active image lost its servers: %+v", a.App)
	}
	e.advanceTo(lapsed.ExpiresAt.Add(31*24*time.Hour), 5*24*time.Hour)
	if st := e.resource(lapsed.ID).Status; st != marketplace.ResourceReleased {
		t.Fatalf("after retention: %s", st)
	}
	check("released", lapsed.ID, lapsed.App.Servers)
}

func descriptions(lines []marketplace.OrderLine) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		// The count differs with the duration; the kinds of line must not.
		out[i], _, _ = strings.Cut(l.Description, " ")
	}
	return out
}

// TestRefusedImageReleaseKeepsServers: servers count as released only once
// the cloud confirmed it; a release the cloud refused for good leaves them
// listed (for the seller or an operator) with the exhausted call recorded.
func TestRefusedImageReleaseKeepsServers(t *testing.T) {
	e := newEnv(t)
	quick := &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1, Image: quick}}, &pw)
	e.advance(24 * time.Hour)
	e.dep.Fail(fake.OpRelease, provisioning.ErrInvalidInput, 1)
	must(e.svc.Unsubscribe(ctx, buyer, o.ResourceID))(t)
	r := e.resource(o.ResourceID)
	if len(r.App.Servers) != 1 || len(r.App.ReleasedServers) != 0 || !e.hasEvent(r.ID, "resource.seller_call_exhausted") {
		t.Errorf("after a refused release: servers %v, released %v, calls %+v", r.App.Servers, r.App.ReleasedServers, r.SellerCalls)
	}
}

// TestAutoRenewalFailureToldToBuyer: the renewal order an auto-renewal
// cancels after a failed payment tells the buyer what kind of failure it
// was, never the payment port's own text (which may name the gateway).
func TestAutoRenewalFailureToldToBuyer(t *testing.T) {
	port := &outagePort{}
	e := newEnvWithStore(t, nil, marketplace.WithPayments(lazyPort{func() marketplace.PaymentPort { return port }}))
	port.PaymentPort = marketplace.NewBalancePayments(e.store, e.clock.Now, nil)
	quick := &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1, Image: quick}}, &pw)
	e.advance(time.Hour)
	must(e.svc.SetAutoRenew(ctx, buyer, marketplace.AutoRenewInput{ResourceID: o.ResourceID, Enabled: true, Count: 1}))(t)
	port.down = true
	e.advanceTo(e.resource(o.ResourceID).ExpiresAt.Add(-time.Hour), 6*time.Hour)
	var reasons []string
	orders := must(e.svc.ListOrders(ctx, buyer, marketplace.ListOrdersInput{}))(t)
	for _, x := range orders.Items {
		if x.Kind == marketplace.OrderRenewal {
			reasons = append(reasons, x.CancelReason)
		}
	}
	if len(reasons) == 0 {
		t.Fatal("no auto-renewal attempt")
	}
	for _, r := range reasons {
		if r != "auto-renewal payment failed: the payment service is unavailable" {
			t.Errorf("cancel reason %q", r)
		}
	}
}
