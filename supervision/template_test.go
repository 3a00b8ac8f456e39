package supervision_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	sv "github.com/opengallery/opengallery/supervision"
)

func TestTemplates(t *testing.T) {
	type info struct {
		Kind       sv.Kind
		Name       string
		Initial    sv.Status
		Attachment bool
		Review     bool
	}
	var got []info
	for _, tp := range sv.Templates() {
		got = append(got, info{tp.Kind(), tp.Name(), tp.Initial(), tp.AttachmentRequired(), tp.ReviewSupported()})
	}
	want := []info{
		{sv.License, "License", sv.AwaitingDelivery, false, false},
		{sv.Standard, "Standard", sv.AwaitingRequest, false, false},
		{sv.WebsiteDeployment, "Website deployment", sv.AwaitingRequest, false, false},
		{sv.SaaS, "SaaS", sv.AwaitingRequest, true, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, tp := range sv.Templates() {
		for _, r := range tp.Transitions() {
			if !tp.Has(r.From) || !tp.Has(r.To) {
				t.Errorf("%s: row %+v uses a status the template lacks", tp.Kind(), r)
			}
		}
	}
}
