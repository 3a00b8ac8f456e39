package supervision_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sv "github.com/opengallery/opengallery/supervision"
)

func TestAppealIdleBoundary(t *testing.T) {
	strict := sv.DefaultPolicy()
	strict.SellerAppealAnyTime = false
	tests := []struct {
		name   string
		status sv.Status
		role   sv.Role
		policy sv.Policy
		after  time.Duration
		want   outcome
	}{
		{"buyer, seller idle exactly 5 days", sv.AwaitingDelivery, sv.Buyer, sv.DefaultPolicy(), 5 * day,
			outcome{Status: sv.AwaitingDelivery, TooEarly: true}},
		{"buyer, seller idle 5 days + 1s", sv.AwaitingDelivery, sv.Buyer, sv.DefaultPolicy(), 5*day + time.Second,
			outcome{Status: sv.AwaitingOperations, Allowed: true}},
		{"buyer, confirmation idle 5 days + 1s", sv.AwaitingConfirmation, sv.Buyer, sv.DefaultPolicy(), 5*day + time.Second,
			outcome{Status: sv.AwaitingOperations, Allowed: true}},
		{"buyer cannot blame the seller while the flow waits on the buyer", sv.AwaitingRequest, sv.Buyer, sv.DefaultPolicy(), 60 * day,
			outcome{Status: sv.AwaitingRequest, TooEarly: true}},
		{"seller any time (default)", sv.AwaitingDelivery, sv.Seller, sv.DefaultPolicy(), 0,
			outcome{Status: sv.AwaitingOperations, Allowed: true}},
		{"seller strict, buyer idle exactly 5 days", sv.AwaitingAcceptance, sv.Seller, strict, 5 * day,
			outcome{Status: sv.AwaitingAcceptance, TooEarly: true}},
		{"seller strict, buyer idle 5 days + 1s", sv.AwaitingAcceptance, sv.Seller, strict, 5*day + time.Second,
			outcome{Status: sv.AwaitingOperations, Allowed: true}},
		{"seller strict, request idle 5 days + 1s", sv.AwaitingRequest, sv.Seller, strict, 5*day + time.Second,
			outcome{Status: sv.AwaitingOperations, Allowed: true}},
		{"seller strict, own delivery pending", sv.AwaitingDelivery, sv.Seller, strict, 60 * day,
			outcome{Status: sv.AwaitingDelivery, TooEarly: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := standardAt(tt.status)
			got, _, err := sv.Apply(f, validCommand(sv.Appeal, tt.role), t0.Add(tt.after), tt.policy)
			if diff := cmp.Diff(tt.want, outcomeOf(got, err)); diff != "" {
				t.Errorf("(-want +got) err=%v:\n%s", err, diff)
			}
		})
	}
}

func TestAppealAfterThirdRejection(t *testing.T) {
	strict := sv.DefaultPolicy()
	strict.SellerAppealAnyTime = false
	for _, tc := range []struct {
		name         string
		reject       func(sv.Flow) sv.Flow // one rejection round back to a rejectable status
		appealStatus sv.Status
	}{
		{"seller rejects the request", func(f sv.Flow) sv.Flow {
			f = mustApply(f, validCommand(sv.SubmitRequest, sv.Buyer), t0, strict)
			return mustApply(f, validCommand(sv.RejectRequest, sv.Seller), t0, strict)
		}, sv.AwaitingRequest},
		{"buyer rejects the delivery", func(f sv.Flow) sv.Flow {
			f = mustApply(f, validCommand(sv.Deliver, sv.Seller), t0, strict)
			return mustApply(f, validCommand(sv.RejectDelivery, sv.Buyer), t0, strict)
		}, sv.AwaitingDelivery},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := mustNew(sv.Standard)
			if tc.appealStatus == sv.AwaitingDelivery {
				f = standardAt(sv.AwaitingDelivery)
			}
			for i := 1; i <= 3; i++ {
				f = tc.reject(f)
				for _, r := range []sv.Role{sv.Buyer, sv.Seller} {
					_, _, err := sv.Apply(f, validCommand(sv.Appeal, r), t0, strict)
					if (err == nil) != (i == 3) {
						t.Errorf("after %d rejections, %s appeal err = %v", i, r, err)
					}
					if i < 3 && !errors.Is(err, sv.ErrTooEarly) {
						t.Errorf("after %d rejections, err = %v, want ErrTooEarly", i, err)
					}
				}
			}
			if f.Status != tc.appealStatus {
				t.Errorf("status = %s, want %s", f.Status, tc.appealStatus)
			}
		})
	}
	t.Run("threshold is policy", func(t *testing.T) {
		p := strict
		p.AppealThreshold = 2 // the seed's "rejected twice" NOTE
		f := standardAt(sv.AwaitingConfirmation)
		f.SellerRejections = 2
		if _, _, err := sv.Apply(f, validCommand(sv.Appeal, sv.Buyer), t0, p); err != nil {
			t.Errorf("threshold 2, 2 rejections: %v", err)
		}
	})
}

func TestReminderRateLimit(t *testing.T) {
	p := sv.DefaultPolicy()
	f := standardAt(sv.AwaitingConfirmation)
	f = mustApply(f, validCommand(sv.Remind, sv.Buyer), t0.Add(time.Hour), p)
	if f.Reminders != 1 || !f.LastReminderAt.Equal(t0.Add(time.Hour)) || f.Status != sv.AwaitingConfirmation {
		t.Fatalf("after reminder: %+v", f)
	}
	tests := []struct {
		name  string
		after time.Duration
		want  outcome
	}{
		{"24h - 1s after", 24*time.Hour - time.Second, outcome{Status: sv.AwaitingConfirmation, TooEarly: true}},
		{"exactly 24h after", 24 * time.Hour, outcome{Status: sv.AwaitingConfirmation, Allowed: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0.Add(time.Hour + tt.after)
			got, _, err := sv.Apply(f, validCommand(sv.Remind, sv.Buyer), now, p)
			if diff := cmp.Diff(tt.want, outcomeOf(got, err)); diff != "" {
				t.Errorf("(-want +got) err=%v:\n%s", err, diff)
			}
			if avail := containsAction(sv.Available(f, sv.Buyer, now, p), sv.Remind); avail != tt.want.Allowed {
				t.Errorf("Available lists remind = %t", avail)
			}
		})
	}
	t.Run("not while waiting on the buyer", func(t *testing.T) {
		_, _, err := sv.Apply(standardAt(sv.AwaitingAcceptance), validCommand(sv.Remind, sv.Buyer), t0, p)
		if !errors.Is(err, sv.ErrNotAllowed) || errors.Is(err, sv.ErrTooEarly) {
			t.Errorf("err = %v", err)
		}
	})
}

func containsAction(as []sv.Action, a sv.Action) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}

func TestAppealCutoff(t *testing.T) {
	p := sv.DefaultPolicy()
	p.AppealCutoff = 15 * day
	expected := t0.Add(40 * day)
	f := mustNew(sv.Standard, sv.WithExpectedCompletion(expected))
	f = mustApply(f, validCommand(sv.SubmitRequest, sv.Buyer), t0, p)
	tests := []struct {
		name string
		now  time.Time
		ok   bool
	}{
		{"just before the window", expected.Add(-15*day - time.Second), true},
		{"window opens", expected.Add(-15 * day), false},
		{"inside the window", expected.Add(-time.Hour), false},
		{"overdue flows may appeal again", expected, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := sv.Apply(f, validCommand(sv.Appeal, sv.Seller), tt.now, p)
			if (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok=%t", err, tt.ok)
			}
		})
	}
	t.Run("off by default and without a date", func(t *testing.T) {
		if _, _, err := sv.Apply(f, validCommand(sv.Appeal, sv.Seller), expected.Add(-time.Hour), sv.DefaultPolicy()); err != nil {
			t.Errorf("default policy: %v", err)
		}
		g := standardAt(sv.AwaitingConfirmation)
		if _, _, err := sv.Apply(g, validCommand(sv.Appeal, sv.Seller), t0, p); err != nil {
			t.Errorf("no expected completion: %v", err)
		}
	})
}

func TestAutoAccept(t *testing.T) {
	f := standardAt(sv.AwaitingAcceptance)
	tests := []struct {
		name  string
		after time.Duration
		on    bool
		want  outcome
	}{
		{"off by default", 365 * day, false, outcome{Status: sv.AwaitingAcceptance}},
		{"on, 1s early", 7*day - time.Second, true, outcome{Status: sv.AwaitingAcceptance, TooEarly: true}},
		{"on, exactly 7 days", 7 * day, true, outcome{Status: sv.Completed, Allowed: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := sv.DefaultPolicy()
			if tt.on {
				p.AutoAcceptAfter = 7 * day
			}
			got, _, err := sv.Apply(f, validCommand(sv.AutoAccept, sv.System), t0.Add(tt.after), p)
			if diff := cmp.Diff(tt.want, outcomeOf(got, err)); diff != "" {
				t.Errorf("(-want +got) err=%v:\n%s", err, diff)
			}
			if tt.want.Allowed && !got.AcceptedAt.Equal(t0.Add(tt.after)) {
				t.Errorf("AcceptedAt = %s", got.AcceptedAt)
			}
		})
	}
}
