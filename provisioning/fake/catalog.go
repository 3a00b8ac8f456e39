package fake

import (
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
)

// Region is the region of Catalog.
const Region = "eu-west-101"

// Catalog returns the infrastructure of the KooGallery image purchase page
// (user guide, "Purchasing and Using an Image"): region EU-Dublin with
// zones AZ1 and AZ2; the general-computing flavors of the quick and
// customized provisioning tables; High I/O and Ultra-high I/O disks; the
// pay-per-use VM prices of the cost table (s3.small.1 0.0136 USD/hour ...
// m2.large.8 0.7236 USD/hour) and the monthly price the confirm page shows
// for s6.xlarge.2 (70.37 USD/month); s3.small.1 (the starred row)
// recommended; quick provisioning gives a 45 GB High I/O system disk as the
// cost table shows.
func Catalog() provisioning.Catalog {
	usd := func(s string) billing.Money { return billing.MustMoney(s, billing.USD) }
	gib := func(n int) int { return n * 1024 }
	sky, cascade := "Intel SkyLake 6161", "Intel Cascade Lake 2.6GHz"
	gc := "General computing"
	return provisioning.Catalog{
		Regions: []provisioning.Region{{ID: Region, Name: "EU-Dublin", Zones: []provisioning.Zone{
			{ID: "eu-west-101a", Name: "AZ1"}, {ID: "eu-west-101b", Name: "AZ2"},
		}}},
		Flavors: []provisioning.Flavor{
			{Name: "s2rm.8u.6g", Type: gc, VCPUs: 8, MemoryMiB: gib(6), CPU: sky, AssuredMbps: 800, MaxMbps: 3000, PPS: 200000},
			{Name: "s3.small.1", Type: gc, VCPUs: 1, MemoryMiB: gib(1), CPU: sky, AssuredMbps: 100, MaxMbps: 500, PPS: 50000},
			{Name: "s3.medium.2", Type: gc, VCPUs: 1, MemoryMiB: gib(2), CPU: sky, AssuredMbps: 100, MaxMbps: 500, PPS: 50000},
			{Name: "s3.large.2", Type: gc, VCPUs: 2, MemoryMiB: gib(4), CPU: sky, AssuredMbps: 200, MaxMbps: 800, PPS: 100000},
			{Name: "s2.medium.2", Type: gc, VCPUs: 1, MemoryMiB: gib(2)},
			{Name: "m2.large.8", Type: "Memory-optimized", VCPUs: 2, MemoryMiB: gib(16)},
			{Name: "s6.small.1", Type: gc, VCPUs: 1, MemoryMiB: gib(1), CPU: cascade, AssuredMbps: 100, MaxMbps: 800, PPS: 100000},
			{Name: "s6.medium.2", Type: gc, VCPUs: 1, MemoryMiB: gib(2), CPU: cascade, AssuredMbps: 100, MaxMbps: 800, PPS: 100000},
			{Name: "s6.medium.4", Type: gc, VCPUs: 1, MemoryMiB: gib(4), CPU: cascade, AssuredMbps: 100, MaxMbps: 800, PPS: 100000},
			{Name: "s6.large.05", Type: gc, VCPUs: 2, MemoryMiB: gib(1), CPU: cascade, AssuredMbps: 200, MaxMbps: 1500, PPS: 150000},
			{Name: "s6.large.1", Type: gc, VCPUs: 2, MemoryMiB: gib(2), CPU: cascade, AssuredMbps: 200, MaxMbps: 1500, PPS: 150000},
			{Name: "s6.large.2", Type: gc, VCPUs: 2, MemoryMiB: gib(4), CPU: cascade, AssuredMbps: 200, MaxMbps: 1500, PPS: 150000},
			{Name: "s6.large.4", Type: gc, VCPUs: 2, MemoryMiB: gib(8), CPU: cascade, AssuredMbps: 200, MaxMbps: 1500, PPS: 150000},
			{Name: "s6.xlarge.2", Type: gc, VCPUs: 4, MemoryMiB: gib(8), CPU: cascade, AssuredMbps: 350, MaxMbps: 2000, PPS: 250000},
			{Name: "s6.xlarge.4", Type: gc, VCPUs: 4, MemoryMiB: gib(16), CPU: cascade, AssuredMbps: 350, MaxMbps: 2000, PPS: 250000},
			{Name: "s6.2xlarge.2", Type: gc, VCPUs: 8, MemoryMiB: gib(16), CPU: cascade, AssuredMbps: 750, MaxMbps: 3000, PPS: 500000},
			{Name: "s6.2xlarge.4", Type: gc, VCPUs: 8, MemoryMiB: gib(32), CPU: cascade, AssuredMbps: 750, MaxMbps: 3000, PPS: 500000},
		},
		DiskTypes: []provisioning.DiskType{
			{ID: "SAS", Name: "High I/O", MinGiB: 40, MaxGiB: 1024},
			{ID: "SSD", Name: "Ultra-high I/O", MinGiB: 10, MaxGiB: 32768},
		},
		Prices: []provisioning.FlavorPrice{
			{Flavor: "s3.small.1", Mode: billing.PayPerUse, Price: usd("0.0136")},
			{Flavor: "s3.medium.2", Mode: billing.PayPerUse, Price: usd("0.0236")},
			{Flavor: "s3.large.2", Mode: billing.PayPerUse, Price: usd("0.0536")},
			{Flavor: "s2.medium.2", Mode: billing.PayPerUse, Price: usd("0.0236")},
			{Flavor: "m2.large.8", Mode: billing.PayPerUse, Price: usd("0.7236")},
			{Region: Region, Flavor: "s6.xlarge.2", Mode: billing.Monthly, Price: usd("70.37")},
		},
		Recommended:     "s3.small.1",
		QuickSystemDisk: provisioning.Disk{Type: "SAS", SizeGiB: 45},
	}
}

// OpenSecurityGroup returns a seller-recommended security group that opens
// 22, 3389 and ICMP inbound.
func OpenSecurityGroup() provisioning.SecurityGroup {
	return provisioning.SecurityGroup{ID: "sg-open", Name: "Sys-WebServer", Recommended: true, Rules: []provisioning.SecurityRule{
		{Direction: "ingress", Protocol: "tcp", PortMin: 22, PortMax: 22, Source: "0.0.0.0/0"},
		{Direction: "ingress", Protocol: "tcp", PortMin: 3389, PortMax: 3389, Source: "0.0.0.0/0"},
		{Direction: "ingress", Protocol: "icmp", Source: "0.0.0.0/0"},
		{Direction: "egress", Protocol: "any", Source: "0.0.0.0/0"},
	}}
}

// ClosedSecurityGroup returns a group that lets in only HTTPS.
func ClosedSecurityGroup() provisioning.SecurityGroup {
	return provisioning.SecurityGroup{ID: "sg-https", Name: "https-only", Rules: []provisioning.SecurityRule{
		{Direction: "ingress", Protocol: "tcp", PortMin: 443, PortMax: 443, Source: "0.0.0.0/0"},
		{Direction: "egress", Protocol: "any", Source: "0.0.0.0/0"},
	}}
}
