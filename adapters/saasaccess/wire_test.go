package saasaccess_test

import (
	"testing"

	"github.com/opengallery/opengallery/adapters/saasaccess"
)

func TestActivityKnown(t *testing.T) {
	for _, a := range saasaccess.Activities {
		if !a.Known() {
			t.Errorf("%s not known", a)
		}
	}
	if saasaccess.Activity("expireInstance").Known() {
		t.Error("V1 expireInstance is not a V2 activity")
	}
}
