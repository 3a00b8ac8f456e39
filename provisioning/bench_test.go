package provisioning_test

import (
	"fmt"
	"testing"

	"github.com/opengallery/opengallery/provisioning"
)

// existingNames is a nearly full account: 2047 servers, a third of them
// numbered "ecs-NNNN".
func existingNames() []string {
	out := make([]string, 2047)
	for i := range out {
		if i%3 == 0 {
			out[i] = fmt.Sprintf("ecs-%04d", i/3+1)
		} else {
			out[i] = fmt.Sprintf("web%d", i)
		}
	}
	return out
}

// BenchmarkNames numbers the largest batch (500) against 2047 existing
// names. Baseline: BenchmarkNamesBaseline, the bare formatting of the same
// 500 names.
func BenchmarkNames(b *testing.B) {
	existing := existingNames()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := provisioning.Names("ecs", 500, existing, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNamesBaseline formats 500 names with no checks or scan.
func BenchmarkNamesBaseline(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		out := make([]string, 500)
		for i := range out {
			out[i] = fmt.Sprintf("%s-%04d", "ecs", 684+i)
		}
	}
}

// BenchmarkPlanCustom plans a 500-VM customized request in a 1548-server
// account (the quota edge), password rules, catalog lookups, quota, naming
// and warnings included.
func BenchmarkPlanCustom(b *testing.B) {
	env := environment()
	names := existingNames()[:1548]
	env.Inventory.Servers = make([]provisioning.Server, len(names))
	for i, n := range names {
		env.Inventory.Servers[i] = provisioning.Server{Name: n}
	}
	r := customRequest()
	r.Quantity = 500
	b.ReportAllocs()
	for b.Loop() {
		if _, err := provisioning.PlanCustom(r, env); err != nil {
			b.Fatal(err)
		}
	}
}
