package supervision_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sv "github.com/opengallery/opengallery/supervision"
)

func TestTimers(t *testing.T) {
	strict := sv.DefaultPolicy()
	strict.SellerAppealAnyTime = false
	auto := sv.DefaultPolicy()
	auto.AutoAcceptAfter = 7 * day
	accepted := mustApply(standardAt(sv.AwaitingAcceptance), validCommand(sv.Accept, sv.Buyer), t0.Add(time.Hour), sv.DefaultPolicy())
	reminded := mustApply(standardAt(sv.AwaitingDelivery), validCommand(sv.Remind, sv.Buyer), t0.Add(time.Hour), sv.DefaultPolicy())
	rejected3 := standardAt(sv.AwaitingDelivery)
	rejected3.BuyerRejections = 3
	frozen := mustApply(standardAt(sv.AwaitingDelivery), validCommand(sv.Appeal, sv.Seller), t0, sv.DefaultPolicy())

	tests := []struct {
		name string
		f    sv.Flow
		now  time.Time
		p    sv.Policy
		want []sv.Timer
	}{
		{"waiting on the seller: buyer appeal after 5 idle days", standardAt(sv.AwaitingDelivery), t0, sv.DefaultPolicy(),
			[]sv.Timer{{Kind: sv.AppealAvailable, Role: sv.Buyer, At: t0.Add(5 * day)}}},
		{"appeal timer not due at exactly 5 days", standardAt(sv.AwaitingDelivery), t0.Add(5 * day), sv.DefaultPolicy(),
			[]sv.Timer{{Kind: sv.AppealAvailable, Role: sv.Buyer, At: t0.Add(5 * day)}}},
		{"appeal timer due 1s later", standardAt(sv.AwaitingDelivery), t0.Add(5*day + time.Second), sv.DefaultPolicy(),
			[]sv.Timer{{Kind: sv.AppealAvailable, Role: sv.Buyer, At: t0.Add(5 * day), Due: true}}},
		{"waiting on the buyer, seller any time: nothing", standardAt(sv.AwaitingRequest), t0, sv.DefaultPolicy(), nil},
		{"waiting on the buyer, strict seller", standardAt(sv.AwaitingRequest), t0, strict,
			[]sv.Timer{{Kind: sv.AppealAvailable, Role: sv.Seller, At: t0.Add(5 * day)}}},
		{"threshold reached: no appeal timer", rejected3, t0, sv.DefaultPolicy(), nil},
		{"auto acceptance when on", standardAt(sv.AwaitingAcceptance), t0.Add(7 * day), auto,
			[]sv.Timer{{Kind: sv.AutoAcceptance, Role: sv.System, At: t0.Add(7 * day), Due: true}}},
		{"order completion 3h after acceptance", accepted, t0.Add(2 * time.Hour), sv.DefaultPolicy(),
			[]sv.Timer{{Kind: sv.OrderCompletion, Role: sv.System, At: t0.Add(4 * time.Hour)}}},
		{"order completion due", accepted, t0.Add(4 * time.Hour), sv.DefaultPolicy(),
			[]sv.Timer{{Kind: sv.OrderCompletion, Role: sv.System, At: t0.Add(4 * time.Hour), Due: true}}},
		{"reminder and appeal, earliest first", reminded, t0.Add(2 * time.Hour), sv.DefaultPolicy(),
			[]sv.Timer{
				{Kind: sv.ReminderAvailable, Role: sv.Buyer, At: t0.Add(25 * time.Hour)},
				{Kind: sv.AppealAvailable, Role: sv.Buyer, At: t0.Add(5 * day)},
			}},
		{"frozen: operators act on their own schedule", frozen, t0, sv.DefaultPolicy(), nil},
		{"invalid flow", sv.Flow{}, t0, sv.DefaultPolicy(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, sv.Timers(tt.f, tt.now, tt.p)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestTimersAgreeWithAvailable checks that a due timer means the action is
// available, and a timer not yet due means it is not.
func TestTimersAgreeWithAvailable(t *testing.T) {
	p := sv.DefaultPolicy()
	p.AutoAcceptAfter = 7 * day
	p.SellerAppealAnyTime = false
	action := map[sv.TimerKind]sv.Action{sv.AppealAvailable: sv.Appeal, sv.AutoAcceptance: sv.AutoAccept, sv.ReminderAvailable: sv.Remind}
	for _, s := range []sv.Status{sv.AwaitingRequest, sv.AwaitingConfirmation, sv.AwaitingDelivery, sv.AwaitingAcceptance} {
		f := mustApply(standardAt(s), validCommand(sv.Appeal, sv.Seller), t0, sv.DefaultPolicy())
		f = mustApply(f, validCommand(sv.Resume, sv.Operator), t0, p)
		if s == sv.AwaitingConfirmation || s == sv.AwaitingDelivery {
			f = mustApply(f, validCommand(sv.Remind, sv.Buyer), t0, p)
		}
		for _, tm := range sv.Timers(f, t0, p) {
			a, ok := action[tm.Kind]
			if !ok {
				continue
			}
			for _, now := range []time.Time{tm.At.Add(-time.Second), tm.At, tm.At.Add(time.Second)} {
				due := sv.Timers(f, now, p)
				var isDue bool
				for _, d := range due {
					if d.Kind == tm.Kind && d.Role == tm.Role {
						isDue = d.Due
					}
				}
				if avail := containsAction(sv.Available(f, tm.Role, now, p), a); avail != isDue {
					t.Errorf("%s %s at %s: timer due %t, available %t", s, tm.Kind, now.Sub(tm.At), isDue, avail)
				}
			}
		}
	}
}
