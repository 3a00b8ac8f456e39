package provisioning_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
)

var decimalComparer = cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })

func TestCatalogPrice(t *testing.T) {
	cat := fake.Catalog()
	cat.Prices = append(cat.Prices, provisioning.FlavorPrice{Region: fake.Region, Flavor: "s3.small.1", Mode: billing.Monthly, Price: billing.MustMoney("9.79", billing.USD)},
		provisioning.FlavorPrice{Flavor: "s3.small.1", Mode: billing.Monthly, Price: billing.MustMoney("10.00", billing.USD)})
	if err := cat.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		region, flavor string
		mode           billing.Mode
		want           string
		wantErr        error
	}{
		{"seed s3.small.1 hourly", fake.Region, "s3.small.1", billing.PayPerUse, "0.0136 USD", nil},
		{"seed s3.medium.2 hourly", fake.Region, "s3.medium.2", billing.PayPerUse, "0.0236 USD", nil},
		{"seed s3.large.2 hourly", fake.Region, "s3.large.2", billing.PayPerUse, "0.0536 USD", nil},
		{"seed m2.large.8 hourly", fake.Region, "m2.large.8", billing.PayPerUse, "0.7236 USD", nil},
		{"seed s6.xlarge.2 monthly", fake.Region, "s6.xlarge.2", billing.Monthly, "70.37 USD", nil},
		{"region price wins", fake.Region, "s3.small.1", billing.Monthly, "9.79 USD", nil},
		{"fallback for another region", "ap-southeast-1", "s3.small.1", billing.Monthly, "10.00 USD", nil},
		{"region-only price elsewhere", "ap-southeast-1", "s6.xlarge.2", billing.Monthly, "", provisioning.ErrNotFound},
		{"not sold yearly", fake.Region, "s3.small.1", billing.Yearly, "", provisioning.ErrNotFound},
		{"unknown flavor", fake.Region, "z9.huge", billing.PayPerUse, "", provisioning.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cat.Price(tt.region, tt.flavor, tt.mode)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			want, _ := billing.ParseMoney(tt.want)
			if diff := cmp.Diff(want, got, decimalComparer); diff != "" {
				t.Errorf("price (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCatalogLookups(t *testing.T) {
	cat := fake.Catalog()
	f, err := cat.RecommendedFlavor()
	if err != nil {
		t.Fatal(err)
	}
	want := provisioning.Flavor{Name: "s3.small.1", Type: "General computing", VCPUs: 1, MemoryMiB: 1024,
		CPU: "Intel SkyLake 6161", AssuredMbps: 100, MaxMbps: 500, PPS: 50000}
	if diff := cmp.Diff(want, f); diff != "" {
		t.Errorf("recommended (-want +got):\n%s", diff)
	}
	r, err := cat.Region(fake.Region)
	if err != nil {
		t.Fatal(err)
	}
	if z, err := r.Zone("eu-west-101b"); err != nil || z.Name != "AZ2" {
		t.Errorf("Zone = %+v, %v", z, err)
	}
	if d, err := cat.DiskType("SAS"); err != nil || d.Name != "High I/O" {
		t.Errorf("DiskType = %+v, %v", d, err)
	}
	for name, err := range map[string]error{
		"region":    second(cat.Region("mars-1")),
		"zone":      second(r.Zone("AZ9")),
		"flavor":    second(cat.Flavor("z9")),
		"disk":      second(cat.DiskType("TAPE")),
		"recommend": second(provisioning.Catalog{}.RecommendedFlavor()),
	} {
		var nf *provisioning.NotFoundError
		if !errors.As(err, &nf) || !errors.Is(err, provisioning.ErrNotFound) {
			t.Errorf("%s: err = %v, want *NotFoundError", name, err)
		}
	}
	if d, err := cat.QuickDisk(); err != nil || d != (provisioning.Disk{Type: "SAS", SizeGiB: 45}) {
		t.Errorf("QuickDisk = %+v, %v", d, err)
	}
	cat.QuickSystemDisk = provisioning.Disk{}
	if d, err := cat.QuickDisk(); err != nil || d != (provisioning.Disk{Type: "SAS", SizeGiB: 40}) {
		t.Errorf("QuickDisk fallback = %+v, %v", d, err)
	}
	if _, err := (provisioning.Catalog{}).QuickDisk(); !errors.Is(err, provisioning.ErrNotFound) {
		t.Errorf("QuickDisk of an empty catalog: %v", err)
	}
	if got := cat.DataDiskLimit(); got != provisioning.DefaultMaxDataDisks {
		t.Errorf("DataDiskLimit = %d", got)
	}
	cat.MaxDataDisks = 4
	if got := cat.DataDiskLimit(); got != 4 {
		t.Errorf("DataDiskLimit = %d", got)
	}
}

func second[T any](_ T, err error) error { return err }

func TestCatalogValidate(t *testing.T) {
	usd := billing.MustMoney("1", billing.USD)
	bad := provisioning.Catalog{
		Regions: []provisioning.Region{
			{ID: "r1", Zones: []provisioning.Zone{{ID: "z"}, {ID: "z"}}},
			{ID: "r1"},
		},
		Flavors: []provisioning.Flavor{
			{Name: "f1", VCPUs: 1, MemoryMiB: 1024},
			{Name: "f1", VCPUs: 0, MemoryMiB: 0, AssuredMbps: 10, MaxMbps: 5, PPS: -1},
		},
		DiskTypes: []provisioning.DiskType{{ID: "d", MinGiB: 10, MaxGiB: 5}, {ID: "d", MinGiB: 1, MaxGiB: 2}},
		Prices: []provisioning.FlavorPrice{
			{Flavor: "nope", Mode: billing.PayPerUse, Price: usd},
			{Region: "r9", Flavor: "f1", Mode: billing.OneTime, Price: billing.MustMoney("-1", billing.USD)},
			{Flavor: "f1", Mode: billing.Monthly, Price: usd},
			{Flavor: "f1", Mode: billing.Monthly, Price: usd},
			{Flavor: "f1", Mode: billing.Yearly},
		},
		Recommended:     "f9",
		MaxDataDisks:    -1,
		QuickSystemDisk: provisioning.Disk{Type: "d", SizeGiB: 100},
	}
	want := []string{
		"regions[0].zones[1].id:duplicate", "regions[1].id:duplicate",
		"flavors[1].name:duplicate", "flavors[1].vcpus:range", "flavors[1].memory_mib:range", "flavors[1].max_mbps:range", "flavors[1].pps:range",
		"disk_types[0].max_gib:range", "disk_types[1].id:duplicate",
		"prices[0].flavor:unknown", "prices[1].region:unknown", "prices[1].mode:one_of", "prices[1].price:range",
		"prices[3]:duplicate", "prices[4].price:range",
		"recommended:unknown", "quick_system_disk.size_gib:range", "max_data_disks:range",
	}
	if diff := cmp.Diff(want, fieldRules(bad.Validate())); diff != "" {
		t.Errorf("Validate (-want +got):\n%s", diff)
	}
	if err := (provisioning.Catalog{}).Validate(); err != nil {
		t.Errorf("empty catalog: %v", err)
	}
}

// The image purchase page's cost table: VM price plus the image's own
// price, per hour.
func ExampleCatalog_Price() {
	cat := fake.Catalog()
	image := billing.MustMoney("5.00", billing.USD)
	for _, f := range []string{"s3.small.1", "s3.large.2", "m2.large.8"} {
		vm, _ := cat.Price(fake.Region, f, billing.PayPerUse)
		total, _ := vm.Add(image)
		fmt.Printf("%-11s VM %s + image %s = %s /hour\n", f, vm.AmountString(), image.AmountString(), total)
	}
	// Output:
	// s3.small.1  VM 0.0136 + image 5.00 = 5.0136 USD /hour
	// s3.large.2  VM 0.0536 + image 5.00 = 5.0536 USD /hour
	// m2.large.8  VM 0.7236 + image 5.00 = 5.7236 USD /hour
}
