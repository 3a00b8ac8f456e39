package billing_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/opengallery/opengallery/billing"
)

func TestLifecycle(t *testing.T) {
	cfg := billing.DefaultConfig()
	expiry := at(2024, 4, 30, 23, 59, 59)
	tests := []struct {
		name   string
		now    time.Time
		state  billing.State
		next   billing.State
		nextAt time.Time
		nextOK bool
	}{
		{"before expiry", at(2024, 4, 10, 0, 0, 0), billing.Active, billing.Grace, at(2024, 5, 1, 0, 0, 0), true},
		{"at the expiry second", expiry, billing.Active, billing.Grace, at(2024, 5, 1, 0, 0, 0), true},
		{"one second later: grace", at(2024, 5, 1, 0, 0, 0), billing.Grace, billing.Retention, at(2024, 5, 16, 0, 0, 0), true},
		{"2024-05-18 (the renewal example) is past 15 days of grace", at(2024, 5, 18, 10, 0, 0), billing.Retention, billing.Released, at(2024, 5, 31, 0, 0, 0), true},
		{"last grace second", at(2024, 5, 15, 23, 59, 59), billing.Grace, billing.Retention, at(2024, 5, 16, 0, 0, 0), true},
		{"retention", at(2024, 5, 16, 0, 0, 0), billing.Retention, billing.Released, at(2024, 5, 31, 0, 0, 0), true},
		{"released", at(2024, 5, 31, 0, 0, 0), billing.Released, billing.Released, time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := billing.LifecycleState(cfg, expiry, tt.now); got != tt.state {
				t.Errorf("state = %s, want %s", got, tt.state)
			}
			next, nextAt, ok := billing.NextLifecycleChange(cfg, expiry, tt.now)
			if next != tt.next || !nextAt.Equal(tt.nextAt) || ok != tt.nextOK {
				t.Errorf("next = %s at %v (%v), want %s at %v (%v)", next, nextAt, ok, tt.next, tt.nextAt, tt.nextOK)
			}
			if ok && billing.LifecycleState(cfg, expiry, nextAt) != next {
				t.Errorf("state at the change time is not %s", next)
			}
		})
	}
}

func TestLifecyclePayPerUseArrears(t *testing.T) {
	// Pay-per-use in arrears from 2024-06-01 14:00: the same 15 days of
	// grace and 15 of retention, counted from the arrears time.
	cfg := billing.DefaultConfig()
	arrears := at(2024, 6, 1, 14, 0, 0)
	want := billing.Lifecycle{Expiry: arrears.UTC(), GraceEnd: at(2024, 6, 16, 14, 0, 0).UTC(), RetentionEnd: at(2024, 7, 1, 14, 0, 0).UTC()}
	if d := cmp.Diff(want, billing.NewLifecycle(cfg, arrears)); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	for _, tc := range []struct {
		now  time.Time
		want billing.State
	}{
		{at(2024, 6, 1, 14, 0, 0), billing.Active},
		{at(2024, 6, 1, 14, 0, 1), billing.Grace},
		{at(2024, 6, 16, 14, 0, 1), billing.Retention},
		{at(2024, 7, 1, 14, 0, 1), billing.Released},
	} {
		if got := billing.LifecycleState(cfg, arrears, tc.now); got != tc.want {
			t.Errorf("at %v: %s, want %s", tc.now, got, tc.want)
		}
	}
}

func TestLifecycleConfigurable(t *testing.T) {
	cfg := billing.DefaultConfig()
	cfg.GraceDays, cfg.RetentionDays = 7, 0
	arrears := at(2024, 6, 1, 14, 0, 0) // pay-per-use in arrears: the periods run from the arrears time
	l := billing.NewLifecycle(cfg, arrears)
	if !l.GraceEnd.Equal(at(2024, 6, 8, 14, 0, 0)) || !l.RetentionEnd.Equal(l.GraceEnd) {
		t.Errorf("lifecycle = %+v", l)
	}
	if got := l.StateAt(at(2024, 6, 8, 14, 0, 1)); got != billing.Released {
		t.Errorf("state = %s, want released with no retention", got)
	}
}
