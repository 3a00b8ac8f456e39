package supervision_test

import (
	"testing"

	sv "github.com/opengallery/opengallery/supervision"
)

func TestActionLabels(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range sv.Actions() {
		l := a.Label()
		if l == string(a) || seen[l] {
			t.Errorf("%s: label %q missing or duplicated", a, l)
		}
		seen[l] = true
	}
	if sv.Accept.Label() != "Accept service" || sv.RejectDelivery.Label() != "Reject service" {
		t.Error("seed button texts changed")
	}
	if got := sv.Action("x").Label(); got != "x" {
		t.Errorf("unknown action label = %q", got)
	}
}
