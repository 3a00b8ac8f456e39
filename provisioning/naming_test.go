package provisioning_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/provisioning"
)

func TestNames(t *testing.T) {
	tests := []struct {
		name      string
		requested string
		quantity  int
		existing  []string
		allowDup  bool
		want      []string
		wantErr   error
	}{
		{"several, none existing", "ecs", 3, nil, false, []string{"ecs-0001", "ecs-0002", "ecs-0003"}, nil},
		{"continues after ecs-0010", "ecs", 2, []string{"ecs-0010"}, false, []string{"ecs-0011", "ecs-0012"}, nil},
		{"after the highest, gaps are not filled", "ecs", 2, []string{"ecs-0002", "ecs-0010", "ecs-0005"}, false, []string{"ecs-0011", "ecs-0012"}, nil},
		{"other names ignored", "ecs", 2, []string{"ecs", "ecs-10", "ecs-00010", "ecs-abcd", "ecsx-0099", "web-0042", "ECS-0042", "ecs-0042-1"}, false, []string{"ecs-0001", "ecs-0002"}, nil},
		{"name that looks numbered", "ecs-0001", 2, []string{"ecs-0001-0003"}, false, []string{"ecs-0001-0004", "ecs-0001-0005"}, nil},
		{"one keeps its name", "web", 1, []string{"web-0001"}, false, []string{"web"}, nil},
		{"one, name taken", "web", 1, []string{"web"}, false, nil, provisioning.ErrNameConflict},
		{"one, name taken, duplicates allowed", "web", 1, []string{"web"}, true, []string{"web"}, nil},
		{"several, duplicates allowed still number", "web", 2, []string{"web-0001"}, true, []string{"web-0002", "web-0003"}, nil},
		{"up to 9999", "ecs", 2, []string{"ecs-9997"}, false, []string{"ecs-9998", "ecs-9999"}, nil},
		{"past 9999", "ecs", 2, []string{"ecs-9998"}, false, nil, provisioning.ErrNameConflict},
		{"quantity 0", "ecs", 0, nil, false, nil, provisioning.ErrInvalidInput},
		{"quantity 501", "ecs", 501, nil, false, nil, provisioning.ErrInvalidInput},
		{"empty name", "", 2, nil, false, nil, provisioning.ErrInvalidInput},
		{"bad characters", "my ecs", 2, nil, false, nil, provisioning.ErrInvalidInput},
		{"59 characters leaves room", strings.Repeat("a", 59), 2, nil, false, []string{strings.Repeat("a", 59) + "-0001", strings.Repeat("a", 59) + "-0002"}, nil},
		{"60 characters with a suffix", strings.Repeat("a", 60), 2, nil, false, nil, provisioning.ErrInvalidInput},
		{"64 characters alone", strings.Repeat("a", 64), 1, nil, false, []string{strings.Repeat("a", 64)}, nil},
		{"65 characters", strings.Repeat("a", 65), 1, nil, false, nil, provisioning.ErrInvalidInput},
		{"unicode letters", "服务器", 2, []string{"服务器-0007"}, false, []string{"服务器-0008", "服务器-0009"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := provisioning.Names(tt.requested, tt.quantity, tt.existing, tt.allowDup)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("names (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNamesFiveHundred(t *testing.T) {
	got, err := provisioning.Names("ecs", 500, []string{"ecs-0010"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 500 || got[0] != "ecs-0011" || got[499] != "ecs-0510" {
		t.Errorf("got %d names %s..%s", len(got), got[0], got[len(got)-1])
	}
}

func TestNumberedNames(t *testing.T) {
	got, err := provisioning.NumberedNames("ecs", 1, []string{"ecs", "ecs-0003"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"ecs-0004"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	var nc *provisioning.NameConflictError
	if _, err := provisioning.NumberedNames("ecs", 1, []string{"ecs-9999"}); !errors.As(err, &nc) || nc.Name != "ecs" {
		t.Errorf("err = %v, want *NameConflictError for ecs", err)
	}
}

func TestCheckName(t *testing.T) {
	tests := map[string][]string{
		"ecs":                   nil,
		"web_1.prod-a":          nil,
		"":                      {"name:required"},
		"a b":                   {"name:format"},
		"a/b":                   {"name:format"},
		strings.Repeat("n", 65): {"name:max_length"},
	}
	for name, want := range tests {
		if diff := cmp.Diff(want, fieldRules(provisioning.CheckName("name", name))); diff != "" {
			t.Errorf("CheckName(%q) (-want +got):\n%s", name, diff)
		}
	}
}

// FuzzNames: never panics; a successful answer has quantity distinct valid
// names, none of which already exists unless a single duplicate was
// allowed.
func FuzzNames(f *testing.F) {
	f.Add("ecs", 3, "ecs-0010,ecs-0002", false)
	f.Add("web", 1, "web", true)
	f.Add("a-0001", 2, "a-0001-9998,a-0001", false)
	f.Add("x", 600, "", false)
	f.Add("é", 2, "é-0001,\xff-0001", false)
	f.Fuzz(func(t *testing.T, name string, quantity int, existingCSV string, allowDup bool) {
		existing := strings.Split(existingCSV, ",")
		got, err := provisioning.Names(name, quantity, existing, allowDup)
		if err != nil {
			if !errors.Is(err, provisioning.ErrInvalidInput) && !errors.Is(err, provisioning.ErrNameConflict) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if len(got) != quantity {
			t.Fatalf("%d names for quantity %d", len(got), quantity)
		}
		seen := map[string]bool{}
		for _, n := range got {
			if seen[n] {
				t.Fatalf("repeated name %q in %v", n, got)
			}
			seen[n] = true
			if err := provisioning.CheckName("name", n); err != nil {
				t.Fatalf("generated an invalid name: %v", err)
			}
			if slices.Contains(existing, n) && !(quantity == 1 && allowDup) {
				t.Fatalf("generated existing name %q", n)
			}
		}
	})
}

func ExampleNames() {
	fmt.Println(provisioning.Names("ecs", 3, nil, false))
	fmt.Println(provisioning.Names("ecs", 2, []string{"ecs-0010"}, false))
	fmt.Println(provisioning.Names("web", 1, []string{"web"}, false))
	// Output:
	// [ecs-0001 ecs-0002 ecs-0003] <nil>
	// [ecs-0011 ecs-0012] <nil>
	// [] provisioning: name "web": a VM with this name already exists
}
