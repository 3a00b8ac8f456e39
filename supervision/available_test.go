package supervision_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sv "github.com/opengallery/opengallery/supervision"
)

// TestAvailable lists the buttons each party sees along a SaaS flow with
// review, under the default policy, a day after each step.
func TestAvailable(t *testing.T) {
	p := sv.DefaultPolicy()
	type buttons map[sv.Role][]sv.Action
	f := mustNew(sv.SaaS, sv.WithPlatformReview(true))
	steps := []struct {
		cmd  *sv.Command // applied before looking
		want buttons
	}{
		{nil, buttons{sv.Buyer: {sv.SubmitRequest}, sv.Seller: {sv.Appeal}}},
		{ptr(validCommand(sv.SubmitRequest, sv.Buyer)), buttons{sv.Buyer: {sv.Remind}, sv.Seller: {sv.ConfirmRequest, sv.RejectRequest, sv.Appeal}}},
		{ptr(validCommand(sv.ConfirmRequest, sv.Seller)), buttons{sv.Buyer: {sv.Remind}, sv.Seller: {sv.Deliver, sv.Appeal}}},
		{ptr(validCommand(sv.Deliver, sv.Seller)), buttons{sv.Seller: {sv.Appeal}, sv.Operator: {sv.ApproveDelivery, sv.ReturnDelivery}}},
		{ptr(validCommand(sv.ApproveDelivery, sv.Operator)), buttons{sv.Buyer: {sv.Accept, sv.RejectDelivery}, sv.Seller: {sv.Appeal}}},
		{ptr(validCommand(sv.Accept, sv.Buyer)), buttons{}},
	}
	now := t0
	for i, st := range steps {
		now = now.Add(24 * time.Hour)
		if st.cmd != nil {
			f = mustApply(f, *st.cmd, now, p)
		}
		got := buttons{}
		for _, r := range sv.Roles() {
			if as := sv.Available(f, r, now.Add(24*time.Hour), p); len(as) > 0 {
				got[r] = as
			}
		}
		if diff := cmp.Diff(st.want, got); diff != "" {
			t.Errorf("step %d (%s) (-want +got):\n%s", i, f.Status, diff)
		}
	}
}

func ptr[T any](v T) *T { return &v }
