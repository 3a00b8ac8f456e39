package supervision_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/supervision"
)

var update = flag.Bool("update", false, "rewrite the generated diagrams in README.md")

const (
	beginDiagrams = "<!-- BEGIN GENERATED DIAGRAMS -->\n"
	endDiagrams   = "<!-- END GENERATED DIAGRAMS -->\n"
)

// diagrams renders every template's diagram as the README section.
func diagrams() string {
	var b strings.Builder
	for _, t := range supervision.Templates() {
		b.WriteString("\n### " + t.Name() + " (`" + string(t.Kind()) + "`)\n\n```mermaid\n" + t.Mermaid() + "```\n\n")
	}
	return b.String()
}

// TestDiagrams fails when README.md's diagrams differ from the tables.
func TestDiagrams(t *testing.T) {
	raw, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	i, j := strings.Index(doc, beginDiagrams), strings.Index(doc, endDiagrams)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q ... %q markers", beginDiagrams, endDiagrams)
	}
	got, want := doc[i+len(beginDiagrams):j], diagrams()
	if *update {
		doc = doc[:i+len(beginDiagrams)] + want + doc[j:]
		if err := os.WriteFile("README.md", []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README.md diagrams drifted from the transition tables; run go test -run TestDiagrams -update (-want +got):\n%s", diff)
	}
}

// TestMermaidFromTable checks that every table row appears as an edge label
// and every status as a labelled state, so the diagram cannot silently lose
// rows.
func TestMermaidFromTable(t *testing.T) {
	for _, tp := range supervision.Templates() {
		m := tp.Mermaid()
		for _, s := range tp.Statuses() {
			if !strings.Contains(m, `state "`+tp.Label(s)+`" as `+string(s)+"\n") {
				t.Errorf("%s: diagram lacks state %s", tp.Kind(), s)
			}
		}
		for _, r := range tp.Transitions() {
			line := "    " + string(r.From) + " --> " + string(r.To) + ": "
			k := strings.Index(m, line)
			if k < 0 {
				t.Errorf("%s: diagram lacks edge %s -> %s", tp.Kind(), r.From, r.To)
				continue
			}
			edge := m[k : k+strings.Index(m[k:], "\n")]
			if !strings.Contains(edge, string(r.Role)+" "+string(r.Action)) {
				t.Errorf("%s: edge %q lacks %s %s", tp.Kind(), edge, r.Role, r.Action)
			}
		}
	}
}
