package provisioning

import (
	"fmt"

	"github.com/opengallery/opengallery/billing"
)

// Region is a cloud region and its availability zones.
type Region struct {
	ID    string // "eu-west-101"
	Name  string // "EU-Dublin"
	Zones []Zone
}

// Zone is an availability zone.
type Zone struct {
	ID   string
	Name string
}

// Flavor is a VM size as the purchase page lists it.
type Flavor struct {
	Name        string // "s3.small.1"
	Type        string // "General computing"
	VCPUs       int
	MemoryMiB   int    // 1 GiB = 1024; MiB keeps fractional-GiB flavors exact
	CPU         string // "Intel SkyLake 6161"
	AssuredMbps int    // assured bandwidth, Mbit/s (0.1 Gbit/s = 100)
	MaxMbps     int    // maximum bandwidth, Mbit/s
	PPS         int    // packets per second
}

// DiskType is a kind of block storage and the sizes it may have.
type DiskType struct {
	ID     string // "SAS"
	Name   string // "High I/O"
	MinGiB int
	MaxGiB int
}

// FlavorPrice is the VM (infrastructure) price of a flavor in a billing
// mode: per hour for pay-per-use, per month for monthly, per year for
// yearly. The image's own price is the product's and is not here.
type FlavorPrice struct {
	Region string // empty: every region without a price of its own
	Flavor string
	Mode   billing.Mode
	Price  billing.Money
}

// Catalog is the infrastructure a buyer can deploy an image on: regions and
// zones, flavors, disk types, VM prices, and the flavor the seller
// recommends. It feeds billing's image quotes (VM price + image price) and
// PlanQuick/PlanCustom's checks.
type Catalog struct {
	Regions     []Region
	Flavors     []Flavor
	DiskTypes   []DiskType
	Prices      []FlavorPrice
	Recommended string // the seller-recommended flavor's name; must be in Flavors
	// MaxDataDisks bounds the data disks per VM; 0 means DefaultMaxDataDisks.
	MaxDataDisks int
	// QuickSystemDisk is the system disk quick provisioning gives each VM
	// (the image's requirement, 45 GB on the purchase page's cost table).
	// Zero means the first disk type at its minimum size.
	QuickSystemDisk Disk
}

// QuickDisk returns the system disk of quick provisioning.
//
// Errors: *NotFoundError (ErrNotFound, Kind "disk_type") when the catalog
// has no disk type.
func (c Catalog) QuickDisk() (Disk, error) {
	if c.QuickSystemDisk != (Disk{}) {
		return c.QuickSystemDisk, nil
	}
	if len(c.DiskTypes) == 0 {
		return Disk{}, &NotFoundError{Kind: "disk_type", ID: ""}
	}
	return Disk{Type: c.DiskTypes[0].ID, SizeGiB: c.DiskTypes[0].MinGiB}, nil
}

// DefaultMaxDataDisks is the data-disk limit per VM when a catalog sets none
// (the purchase page: "You can attach 23 more VBD disks").
const DefaultMaxDataDisks = 23

// DataDiskLimit returns MaxDataDisks or its default.
func (c Catalog) DataDiskLimit() int {
	if c.MaxDataDisks > 0 {
		return c.MaxDataDisks
	}
	return DefaultMaxDataDisks
}

// Validate checks that names are present and unique, numbers positive, disk
// ranges ordered, prices valid, non-negative and for a known flavor and a
// mode a VM can be billed in (not one-time), and the recommended flavor
// known.
//
// Errors: *FieldError (ErrInvalidInput), all failures joined.
func (c Catalog) Validate() error {
	var k checker
	regions := map[string]bool{}
	for i, r := range c.Regions {
		f := fmt.Sprintf("regions[%d]", i)
		k.uniqueID(f+".id", r.ID, regions)
		zones := map[string]bool{}
		for j, z := range r.Zones {
			zf := fmt.Sprintf("%s.zones[%d].id", f, j)
			k.uniqueID(zf, z.ID, zones)
		}
	}
	flavors := map[string]bool{}
	for i, fl := range c.Flavors {
		f := fmt.Sprintf("flavors[%d]", i)
		k.uniqueID(f+".name", fl.Name, flavors)
		if fl.VCPUs < 1 {
			k.add(f+".vcpus", RuleRange, fl.VCPUs, "must be at least 1")
		}
		if fl.MemoryMiB < 1 {
			k.add(f+".memory_mib", RuleRange, fl.MemoryMiB, "must be at least 1")
		}
		if fl.AssuredMbps < 0 || fl.MaxMbps < fl.AssuredMbps {
			k.add(f+".max_mbps", RuleRange, fl.MaxMbps, "must be at least the assured bandwidth, which must not be negative")
		}
		if fl.PPS < 0 {
			k.add(f+".pps", RuleRange, fl.PPS, "must not be negative")
		}
	}
	disks := map[string]bool{}
	for i, d := range c.DiskTypes {
		f := fmt.Sprintf("disk_types[%d]", i)
		k.uniqueID(f+".id", d.ID, disks)
		if d.MinGiB < 1 || d.MaxGiB < d.MinGiB {
			k.add(f+".max_gib", RuleRange, d.MaxGiB, "sizes must satisfy 1 <= min_gib <= max_gib")
		}
	}
	type priceKey struct {
		region, flavor string
		mode           billing.Mode
	}
	prices := map[priceKey]bool{}
	for i, p := range c.Prices {
		f := fmt.Sprintf("prices[%d]", i)
		if !flavors[p.Flavor] {
			k.add(f+".flavor", RuleUnknown, p.Flavor, "is not in flavors")
		}
		if p.Region != "" && !regions[p.Region] {
			k.add(f+".region", RuleUnknown, p.Region, "is not in regions")
		}
		if !p.Mode.Valid() || p.Mode == billing.OneTime {
			k.add(f+".mode", RuleOneOf, string(p.Mode), "must be pay_per_use, monthly or yearly")
		}
		if !p.Price.Valid() || p.Price.IsNegative() {
			k.add(f+".price", RuleRange, p.Price.String(), "must be a non-negative amount in a known currency")
		}
		key := priceKey{p.Region, p.Flavor, p.Mode}
		if prices[key] {
			k.add(f, RuleDuplicate, nil, "repeats a region, flavor and mode")
		}
		prices[key] = true
	}
	if c.Recommended != "" && !flavors[c.Recommended] {
		k.add("recommended", RuleUnknown, c.Recommended, "is not in flavors")
	}
	if c.QuickSystemDisk != (Disk{}) {
		checkDiskSize(&k, c, "quick_system_disk.", c.QuickSystemDisk)
	}
	if c.MaxDataDisks < 0 {
		k.add("max_data_disks", RuleRange, c.MaxDataDisks, "must not be negative")
	}
	return k.err()
}

// Region returns the region with id.
//
// Errors: *NotFoundError (ErrNotFound).
func (c Catalog) Region(id string) (Region, error) {
	for _, r := range c.Regions {
		if r.ID == id {
			return r, nil
		}
	}
	return Region{}, &NotFoundError{Kind: "region", ID: id}
}

// Zone returns the zone with id in r.
//
// Errors: *NotFoundError (ErrNotFound).
func (r Region) Zone(id string) (Zone, error) {
	for _, z := range r.Zones {
		if z.ID == id {
			return z, nil
		}
	}
	return Zone{}, &NotFoundError{Kind: "zone", ID: id}
}

// Flavor returns the flavor called name.
//
// Errors: *NotFoundError (ErrNotFound).
func (c Catalog) Flavor(name string) (Flavor, error) {
	for _, f := range c.Flavors {
		if f.Name == name {
			return f, nil
		}
	}
	return Flavor{}, &NotFoundError{Kind: "flavor", ID: name}
}

// RecommendedFlavor returns the seller's recommended flavor.
//
// Errors: *NotFoundError (ErrNotFound) when none is set or it is not in the
// catalog.
func (c Catalog) RecommendedFlavor() (Flavor, error) {
	if c.Recommended == "" {
		return Flavor{}, &NotFoundError{Kind: "recommended_flavor", ID: ""}
	}
	return c.Flavor(c.Recommended)
}

// DiskType returns the disk type with id.
//
// Errors: *NotFoundError (ErrNotFound).
func (c Catalog) DiskType(id string) (DiskType, error) {
	for _, d := range c.DiskTypes {
		if d.ID == id {
			return d, nil
		}
	}
	return DiskType{}, &NotFoundError{Kind: "disk_type", ID: id}
}

// Price returns the VM price of flavor in mode in region: the region's own
// price if listed, else the price listed for every region. The unit is an
// hour for pay-per-use, a month for monthly and a year for yearly.
//
// Errors: *NotFoundError (ErrNotFound, Kind "price") when the flavor is not
// sold in that mode there.
func (c Catalog) Price(region, flavor string, mode billing.Mode) (billing.Money, error) {
	var fallback *FlavorPrice
	for i, p := range c.Prices {
		if p.Flavor != flavor || p.Mode != mode {
			continue
		}
		if p.Region == region {
			return p.Price, nil
		}
		if p.Region == "" {
			fallback = &c.Prices[i]
		}
	}
	if fallback != nil {
		return fallback.Price, nil
	}
	return billing.Money{}, &NotFoundError{Kind: "price", ID: fmt.Sprintf("%s/%s/%s", region, flavor, mode)}
}
