package billing_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengallery/opengallery/billing"
)

func TestNextAutoRenewAttempt(t *testing.T) {
	cfg := billing.DefaultConfig()
	may31 := billing.Term{Mode: billing.Monthly, Count: 3, AnchorDay: 31, Expiry: at(2024, 5, 31, 23, 59, 59).UTC()}
	early := func(exp time.Time) billing.Term {
		return billing.Term{Mode: billing.Monthly, Count: 1, AnchorDay: exp.In(gmt8).Day(), Expiry: exp.UTC()}
	}
	on := billing.AutoRenewal{Enabled: true}
	st := func(f func(*billing.AutoRenewState)) billing.AutoRenewState {
		s := billing.AutoRenewState{Delivery: billing.License, Term: may31, Settings: on}
		if f != nil {
			f(&s)
		}
		return s
	}
	tests := []struct {
		name string
		st   billing.AutoRenewState
		now  time.Time
		want billing.Attempt
		ok   bool
	}{
		{"default: 03:00, 7 days before expiry", st(nil), at(2024, 5, 1, 12, 0, 0),
			billing.Attempt{At: at(2024, 5, 24, 3, 0, 0).UTC(), Count: 3}, true},
		{"deduction on the expiry day", st(func(s *billing.AutoRenewState) { s.Settings.DaysBefore = intp(0) }), at(2024, 5, 1, 12, 0, 0),
			billing.Attempt{At: at(2024, 5, 31, 3, 0, 0).UTC(), Count: 3}, true},
		{"3 days before, renewing 6 months each time", st(func(s *billing.AutoRenewState) { s.Settings.DaysBefore = intp(3); s.Settings.Count = 6 }), at(2024, 5, 1, 12, 0, 0),
			billing.Attempt{At: at(2024, 5, 28, 3, 0, 0).UTC(), Count: 6}, true},
		{"at the first slot itself", st(nil), at(2024, 5, 24, 3, 0, 0),
			billing.Attempt{At: at(2024, 5, 24, 3, 0, 0).UTC(), Count: 3}, true},
		{"failed: retried 03:00 next day", st(func(s *billing.AutoRenewState) { s.LastFailure = at(2024, 5, 24, 3, 0, 5) }), at(2024, 5, 24, 3, 1, 0),
			billing.Attempt{At: at(2024, 5, 25, 3, 0, 0).UTC(), Count: 3}, true},
		{"failed on the expiry day: no retry after expiry", st(func(s *billing.AutoRenewState) { s.LastFailure = at(2024, 5, 31, 3, 0, 5) }), at(2024, 5, 31, 4, 0, 0),
			billing.Attempt{}, false},
		{"enabled after the first slot: next 03:00", st(nil), at(2024, 5, 27, 10, 0, 0),
			billing.Attempt{At: at(2024, 5, 28, 3, 0, 0).UTC(), Count: 3}, true},
		{"enabled on the expiry day after 03:00: immediate", st(nil), at(2024, 5, 31, 10, 0, 0),
			billing.Attempt{At: at(2024, 5, 31, 10, 0, 0).UTC(), Immediate: true, Count: 3}, true},
		{"edge case 1: enabled before 03:00, expires before 03:00 that day: immediate",
			st(func(s *billing.AutoRenewState) { s.Term = early(at(2024, 5, 31, 2, 0, 0)) }), at(2024, 5, 31, 1, 0, 0),
			billing.Attempt{At: at(2024, 5, 31, 1, 0, 0).UTC(), Immediate: true, Count: 1}, true},
		{"edge case 2: enabled after 03:00, expires before 03:00 next day: immediate",
			st(func(s *billing.AutoRenewState) { s.Term = early(at(2024, 6, 1, 2, 0, 0)) }), at(2024, 5, 31, 10, 0, 0),
			billing.Attempt{At: at(2024, 5, 31, 10, 0, 0).UTC(), Immediate: true, Count: 1}, true},
		{"expiry-day deduction for an expiry before 03:00 moves to the day before",
			st(func(s *billing.AutoRenewState) {
				s.Term = early(at(2024, 6, 1, 2, 0, 0))
				s.Settings.DaysBefore = intp(0)
			}), at(2024, 5, 1, 10, 0, 0),
			billing.Attempt{At: at(2024, 5, 31, 3, 0, 0).UTC(), Count: 1}, true},
		{"a failure of the previous term is ignored after a manual renewal",
			st(func(s *billing.AutoRenewState) { s.LastFailure = at(2024, 4, 25, 3, 0, 0) }), at(2024, 5, 1, 12, 0, 0),
			billing.Attempt{At: at(2024, 5, 24, 3, 0, 0).UTC(), Count: 3}, true},
		{"delisted: existing auto-renewal continues", st(func(s *billing.AutoRenewState) { s.Status.Delisted = true }), at(2024, 5, 1, 12, 0, 0),
			billing.Attempt{At: at(2024, 5, 24, 3, 0, 0).UTC(), Count: 3}, true},
		{"under the renewal limit", st(func(s *billing.AutoRenewState) { s.Settings.Limit = 2; s.Settings.Done = 1 }), at(2024, 5, 1, 12, 0, 0),
			billing.Attempt{At: at(2024, 5, 24, 3, 0, 0).UTC(), Count: 3}, true},
		{"disabled", st(func(s *billing.AutoRenewState) { s.Settings.Enabled = false }), at(2024, 5, 1, 12, 0, 0), billing.Attempt{}, false},
		{"do not renew", st(func(s *billing.AutoRenewState) { s.Settings.DoNotRenew = true }), at(2024, 5, 1, 12, 0, 0), billing.Attempt{}, false},
		{"renewal limit used up", st(func(s *billing.AutoRenewState) { s.Settings.Limit = 2; s.Settings.Done = 2 }), at(2024, 5, 1, 12, 0, 0), billing.Attempt{}, false},
		{"not offered for SaaS by default", st(func(s *billing.AutoRenewState) { s.Delivery = billing.SaaS }), at(2024, 5, 1, 12, 0, 0), billing.Attempt{}, false},
		{"pay-per-use", st(func(s *billing.AutoRenewState) { s.Term.Mode = billing.PayPerUse }), at(2024, 5, 1, 12, 0, 0), billing.Attempt{}, false},
		{"expired", st(nil), at(2024, 6, 1, 0, 0, 0), billing.Attempt{}, false},
		{"unsubscribed", st(func(s *billing.AutoRenewState) { s.Status.Unsubscribed = true }), at(2024, 5, 1, 12, 0, 0), billing.Attempt{}, false},
		{"reseller-frozen account", st(func(s *billing.AutoRenewState) { s.AccountFrozen = true }), at(2024, 5, 1, 12, 0, 0), billing.Attempt{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := billing.NextAutoRenewAttempt(cfg, tt.st, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.ok, got)
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestNextAutoRenewAttemptRetriesDailyUntilExpiry(t *testing.T) {
	// Fail every attempt: 03:00 on May 24, 25, ... 31, then nothing.
	cfg := billing.DefaultConfig()
	s := billing.AutoRenewState{Delivery: billing.Image, Settings: billing.AutoRenewal{Enabled: true},
		Term: billing.Term{Mode: billing.Monthly, Count: 1, AnchorDay: 31, Expiry: at(2024, 5, 31, 23, 59, 59).UTC()}}
	now := at(2024, 5, 1, 0, 0, 0)
	var days []int
	for range 20 {
		a, ok, err := billing.NextAutoRenewAttempt(cfg, s, now)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		days = append(days, a.At.In(gmt8).Day())
		if h := a.At.In(gmt8).Hour(); h != 3 {
			t.Errorf("attempt at hour %d", h)
		}
		now = a.At.Add(time.Minute)
		s.LastFailure = now
	}
	if d := cmp.Diff([]int{24, 25, 26, 27, 28, 29, 30, 31}, days); d != "" {
		t.Errorf("attempt days (-want +got):\n%s", d)
	}
}

func TestNextAutoRenewAttemptBadInput(t *testing.T) {
	cfg := billing.DefaultConfig()
	term := billing.Term{Mode: billing.Monthly, Count: 1, Expiry: at(2024, 5, 31, 23, 59, 59)}
	for name, s := range map[string]billing.AutoRenewState{
		"8 days before":    {Delivery: billing.License, Term: term, Settings: billing.AutoRenewal{Enabled: true, DaysBefore: intp(8)}},
		"negative limit":   {Delivery: billing.License, Term: term, Settings: billing.AutoRenewal{Enabled: true, Limit: -1}},
		"no expiry":        {Delivery: billing.License, Settings: billing.AutoRenewal{Enabled: true}},
		"unknown delivery": {Delivery: "drone", Term: term, Settings: billing.AutoRenewal{Enabled: true}},
	} {
		if _, _, err := billing.NextAutoRenewAttempt(cfg, s, at(2024, 5, 1, 0, 0, 0)); !errors.Is(err, billing.ErrInvalidInput) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	ok := billing.AutoRenewState{Delivery: billing.License, Term: term, Settings: billing.AutoRenewal{Enabled: true}}
	if _, _, err := billing.NextAutoRenewAttempt(cfg, ok, time.Time{}); !errors.Is(err, billing.ErrInvalidInput) {
		t.Errorf("zero now: err = %v", err)
	}
}

func TestCanChangeAutoRenew(t *testing.T) {
	cfg := billing.DefaultConfig()
	tests := []struct {
		name   string
		mode   billing.Mode
		d      billing.Delivery
		st     billing.RenewalStatus
		reason billing.Reason
	}{
		{"license monthly", billing.Monthly, billing.License, billing.RenewalStatus{}, ""},
		{"professional service yearly", billing.Yearly, billing.ProfessionalService, billing.RenewalStatus{}, ""},
		{"image", billing.Monthly, billing.Image, billing.RenewalStatus{}, ""},
		{"delisted cannot be enabled or changed", billing.Monthly, billing.License, billing.RenewalStatus{Delisted: true}, billing.ReasonDelisted},
		{"SaaS is not on the default list", billing.Monthly, billing.SaaS, billing.RenewalStatus{}, billing.ReasonAutoRenewDisabled},
		{"pay-per-use", billing.PayPerUse, billing.License, billing.RenewalStatus{}, billing.ReasonPayPerUse},
		{"one-time", billing.OneTime, billing.License, billing.RenewalStatus{}, billing.ReasonOneTime},
		{"unsubscribed", billing.Monthly, billing.License, billing.RenewalStatus{Unsubscribed: true}, billing.ReasonUnsubscribed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := billing.CanChangeAutoRenew(cfg, tt.mode, tt.d, tt.st)
			if tt.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var na *billing.NotAllowedError
			if !errors.As(err, &na) || na.Reason != tt.reason || !errors.Is(err, billing.ErrNotAllowed) || na.Error() == "" {
				t.Errorf("err = %v, want reason %q", err, tt.reason)
			}
		})
	}
	for name, f := range map[string]func() error{
		"unknown mode": func() error {
			return billing.CanChangeAutoRenew(cfg, "weekly", billing.License, billing.RenewalStatus{})
		},
		"unknown delivery": func() error {
			return billing.CanChangeAutoRenew(cfg, billing.Monthly, "drone", billing.RenewalStatus{})
		},
	} {
		if err := f(); !errors.Is(err, billing.ErrInvalidInput) {
			t.Errorf("%s: err = %v, want ErrInvalidInput", name, err)
		}
	}
	cfg.AutoRenewDeliveries = append(cfg.AutoRenewDeliveries, billing.SaaS)
	if err := billing.CanChangeAutoRenew(cfg, billing.Monthly, billing.SaaS, billing.RenewalStatus{}); err != nil {
		t.Errorf("SaaS configured: %v", err)
	}
}
