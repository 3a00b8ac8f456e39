package main

import (
	"context"
	"errors"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
)

// The demo actors' ids.
const (
	demoBuyer    = "demo-buyer"
	demoCustomer = "demo-customer"
	demoReseller = "demo-reseller"
	demoSeller   = "demo-seller"
	demoOperator = "demo-operator"
)

// demoBalance is the demo buyer's opening prepaid balance.
var demoBalance = billing.MustMoney("10000.00", billing.USD)

func usd(s string) billing.Money { return billing.MustMoney(s, billing.USD) }

func pricing(plans ...billing.PricePlan) billing.Pricing { return billing.Pricing{Plans: plans} }

func linear(mode billing.Mode, price string) billing.PricePlan {
	return billing.PricePlan{Mode: mode, UnitPrice: usd(price)}
}

// infrastructure is the fake cloud's catalog with a monthly VM price for
// each flavor of the cost table, so that the yearly/monthly image can run on
// any of its flavors (the recommended s3.small.1 included). The user guide
// gives only s6.xlarge.2's (70.37 USD/month, in the fake catalog); these are
// derived: the hourly price × 730 hours, rounded to the cent.
func infrastructure() provisioning.Catalog {
	cat := fake.Catalog()
	for _, fp := range [...]struct{ flavor, price string }{
		{"s3.small.1", "9.93"}, {"s3.medium.2", "17.23"}, {"s3.large.2", "39.13"}, {"s2.medium.2", "17.23"}, {"m2.large.8", "528.23"},
	} {
		cat.Prices = append(cat.Prices, provisioning.FlavorPrice{Flavor: fp.flavor, Mode: billing.Monthly, Price: usd(fp.price)})
	}
	return cat
}

// demoCatalog is built from the user guide's own examples.
func demoCatalog() []marketplace.ProductInput {
	return []marketplace.ProductInput{
		{
			Name: "Office Suite License", Description: "A yearly office-suite license delivered by the seller under service supervision.",
			Category: "Productivity", OperatingSystems: []string{"Windows", "Linux"}, Delivery: marketplace.DeliveryLicense,
			Supervised: true, FlowTemplate: "license", SupportRange: "Installation and activation support",
			Specs: []marketplace.Specification{{ID: "annual", Name: "Annual license", Pricing: pricing(linear(billing.Yearly, "900.00"))}},
		},
		{
			Name: "Team Chat License", Description: "A monthly chat-server license for small teams.",
			Category: "Collaboration", OperatingSystems: []string{"Linux"}, Delivery: marketplace.DeliveryLicense,
			Supervised: true, FlowTemplate: "license",
			Specs: []marketplace.Specification{{ID: "monthly", Name: "Monthly license", Pricing: pricing(linear(billing.Monthly, "5.00"))}},
		},
		{
			Name: "Mail Hosting", Description: "Business email hosting delivered as SaaS; add licenses any time.",
			Category: "Email", Delivery: marketplace.DeliverySaaS, SupportRange: "Mailbox setup and migration",
			Specs: []marketplace.Specification{
				{ID: "standard", Name: "Standard", QuantityName: "number of licenses", Upgradable: true,
					Pricing: pricing(linear(billing.Monthly, "5.00"), linear(billing.Yearly, "50.00"))},
				{ID: "premium", Name: "Premium", QuantityName: "number of licenses", Upgradable: true,
					Pricing: pricing(linear(billing.Monthly, "8.00"), linear(billing.Yearly, "80.00"))},
			},
		},
		{
			Name: "LAMP Stack Image", Description: "Linux, Apache, MySQL and PHP, ready to run on a cloud server.",
			Category: "Developer tools", OperatingSystems: []string{"Linux"}, Delivery: marketplace.DeliveryImage,
			Image: &marketplace.ImageInfo{
				Regions: []string{fake.Region}, Versions: []string{"v1.0"}, RecommendedFlavor: "s3.small.1",
				Flavors: []marketplace.Flavor{
					{Name: "s3.small.1", VCPUs: 1, MemoryGiB: 1}, {Name: "s3.medium.2", VCPUs: 1, MemoryGiB: 2},
					{Name: "s3.large.2", VCPUs: 2, MemoryGiB: 4}, {Name: "s2.medium.2", VCPUs: 1, MemoryGiB: 2},
					{Name: "m2.large.8", VCPUs: 2, MemoryGiB: 16}, {Name: "s6.xlarge.2", VCPUs: 4, MemoryGiB: 8},
				},
			},
			// $5.00/hour pay-per-use (the cost table), or $155.00/month as
			// on the ECS confirm page (with s6.xlarge.2 at $70.37/month).
			Specs: []marketplace.Specification{{ID: "standard", Name: "Standard",
				Pricing: pricing(linear(billing.PayPerUse, "5.00"), linear(billing.Monthly, "155.00"))}},
		},
		{
			Name: "Cloud Migration Service", Description: "A professional service: we move your workloads to the cloud.",
			Category: "Professional services", Delivery: marketplace.DeliveryProfessional, Supervised: true, FlowTemplate: "standard",
			SupportRange: "Assessment, migration and cut-over",
			Specs:        []marketplace.Specification{{ID: "project", Name: "One migration project", Pricing: pricing(linear(billing.OneTime, "1200.00"))}},
		},
	}
}

// seed creates the demo seller, catalog and balance unless the seller
// exists already (the store was seeded by an earlier start). It goes
// through the use cases, as a seller and an operator would.
func seed(ctx context.Context, svc *marketplace.Service) error {
	op := marketplace.OperatorActor(demoOperator)
	if _, err := svc.GetSeller(ctx, op, demoSeller); err == nil {
		return nil
	} else if !errors.Is(err, marketplace.ErrNotFound) {
		return err
	}
	if _, err := svc.RegisterSeller(ctx, op, marketplace.SellerInput{ID: demoSeller, Name: "Demo Software Co.",
		SupportEmail: "support@demo-software.example", SupportPhone: "+86 400 000 0000",
		SupportHours: "09:00-18:00 GMT+08:00, Mon-Fri", Certified: true}); err != nil {
		return err
	}
	seller := marketplace.SellerActor(demoSeller)
	for _, in := range demoCatalog() {
		p, err := svc.CreateProduct(ctx, seller, in)
		if err != nil {
			return err
		}
		if _, err := svc.SubmitProduct(ctx, seller, p.ID); err != nil {
			return err
		}
		if _, err := svc.ReviewProduct(ctx, op, marketplace.ReviewInput{ProductID: p.ID, Approve: true}); err != nil {
			return err
		}
	}
	_, err := svc.TopUp(ctx, marketplace.SystemActor(), marketplace.TopUpInput{AccountID: demoBuyer, Amount: demoBalance})
	return err
}
