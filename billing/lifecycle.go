package billing

import "time"

// State is where a resource is in its life after purchase.
type State string

// Lifecycle states.
const (
	Active    State = "active"    // within its term (or paid up, for pay-per-use)
	Grace     State = "grace"     // expired (or in arrears) but still usable
	Retention State = "retention" // frozen and unusable; data kept
	Released  State = "released"  // deleted; cannot be renewed or recovered
)

// Lifecycle is the timeline of a resource after its expiry (or, for
// pay-per-use, after the date it fell into arrears). Each end is the last
// instant of its period: the next period starts one second later.
type Lifecycle struct {
	Expiry       time.Time `json:"expiry"`        // end of the active period
	GraceEnd     time.Time `json:"grace_end"`     // end of the grace period
	RetentionEnd time.Time `json:"retention_end"` // end of the retention period; release follows
}

// NewLifecycle returns the timeline that follows expiry (or an arrears
// date): cfg.GraceDays of grace, then cfg.RetentionDays of retention, counted
// in calendar days of the platform zone.
func NewLifecycle(cfg Config, expiry time.Time) Lifecycle {
	loc := cfg.loc()
	l := expiry.In(loc)
	g := l.AddDate(0, 0, cfg.GraceDays)
	r := g.AddDate(0, 0, cfg.RetentionDays)
	return Lifecycle{Expiry: expiry.UTC(), GraceEnd: g.UTC(), RetentionEnd: r.UTC()}
}

// StateAt returns the state at now.
func (l Lifecycle) StateAt(now time.Time) State {
	switch {
	case !now.After(l.Expiry):
		return Active
	case !now.After(l.GraceEnd):
		return Grace
	case !now.After(l.RetentionEnd):
		return Retention
	}
	return Released
}

// Next returns the state that follows now's and when it begins (one second
// after the current period's end). ok is false once released.
func (l Lifecycle) Next(now time.Time) (next State, at time.Time, ok bool) {
	switch l.StateAt(now) {
	case Active:
		return Grace, l.Expiry.Add(time.Second), true
	case Grace:
		return Retention, l.GraceEnd.Add(time.Second), true
	case Retention:
		return Released, l.RetentionEnd.Add(time.Second), true
	}
	return Released, time.Time{}, false
}

// LifecycleState returns the state at now of a resource that expires (or
// fell into arrears) at expiry: active until expiry, then grace, retention
// and released. Expired 2024-04-30 23:59:59 GMT+08:00: grace from May 1,
// retention from May 16, released from May 31.
func LifecycleState(cfg Config, expiry, now time.Time) State {
	return NewLifecycle(cfg, expiry).StateAt(now)
}

// NextLifecycleChange returns the next state after now's and when it is
// due; ok is false once released.
func NextLifecycleChange(cfg Config, expiry, now time.Time) (next State, at time.Time, ok bool) {
	return NewLifecycle(cfg, expiry).Next(now)
}
