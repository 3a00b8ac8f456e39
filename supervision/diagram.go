package supervision

import (
	"strings"
)

// Mermaid returns the template's state diagram in Mermaid syntax, generated
// from its transition table: states carry the seed's labels, edges the role
// and action (several on one edge when they share source and destination),
// with [review on]/[review off] where the platform review switch decides.
// README.md keeps these diagrams; a test fails when they drift.
func (t *Template) Mermaid() string {
	var b strings.Builder
	b.WriteString("stateDiagram-v2\n")
	for _, s := range t.statuses {
		b.WriteString("    state \"" + t.labels[s] + "\" as " + string(s) + "\n")
	}
	b.WriteString("    [*] --> " + string(t.initial) + "\n")
	type edge struct{ from, to Status }
	labels := map[edge][]string{}
	var order []edge
	for _, r := range t.table {
		e := edge{r.From, r.To}
		if _, ok := labels[e]; !ok {
			order = append(order, e)
		}
		l := string(r.Role) + " " + string(r.Action)
		switch r.Review {
		case ReviewOn:
			l += " [review on]"
		case ReviewOff:
			l += " [review off]"
		}
		labels[e] = append(labels[e], l)
	}
	for _, e := range order {
		b.WriteString("    " + string(e.from) + " --> " + string(e.to) + ": " + strings.Join(labels[e], ", ") + "\n")
	}
	for _, s := range t.statuses {
		if s.Terminal() {
			b.WriteString("    " + string(s) + " --> [*]\n")
		}
	}
	return b.String()
}
