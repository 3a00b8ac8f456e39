package supervision_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sv "github.com/opengallery/opengallery/supervision"
)

func TestDefaultPolicy(t *testing.T) {
	want := sv.Policy{
		AppealThreshold: 3, AppealIdle: 5 * day, SellerAppealAnyTime: true,
		ReminderInterval: 24 * time.Hour, OrderCompletionDelay: 3 * time.Hour,
	}
	if diff := cmp.Diff(want, sv.DefaultPolicy()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := sv.DefaultPolicy().Validate(); err != nil {
		t.Error(err)
	}
	if s := sv.DefaultPolicy().String(); s == "" {
		t.Error("empty String")
	}
}

func TestPolicyValidate(t *testing.T) {
	with := func(f func(*sv.Policy)) sv.Policy { p := sv.DefaultPolicy(); f(&p); return p }
	tests := []struct {
		name  string
		p     sv.Policy
		field string
	}{
		{"zero value", sv.Policy{}, "Policy.AppealThreshold"},
		{"no idle", with(func(p *sv.Policy) { p.AppealIdle = 0 }), "Policy.AppealIdle"},
		{"negative cutoff", with(func(p *sv.Policy) { p.AppealCutoff = -1 }), "Policy.AppealCutoff"},
		{"negative auto accept", with(func(p *sv.Policy) { p.AutoAcceptAfter = -1 }), "Policy.AutoAcceptAfter"},
		{"negative reminder", with(func(p *sv.Policy) { p.ReminderInterval = -1 }), "Policy.ReminderInterval"},
		{"negative completion", with(func(p *sv.Policy) { p.OrderCompletionDelay = -1 }), "Policy.OrderCompletionDelay"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkInputError(t, tt.p.Validate(), tt.field)
			if sv.Available(mustNew(sv.Standard), sv.Buyer, t0, tt.p) != nil || sv.Timers(mustNew(sv.Standard), t0, tt.p) != nil {
				t.Error("invalid policy still yields actions or timers")
			}
		})
	}
}
