package provisioning

import (
	"fmt"
	"time"
)

// Exhaustion is what the marketplace does once a retry policy has run out.
type Exhaustion string

// The outcomes of an exhausted retry policy.
const (
	// ExhaustCancelOrder cancels (and refunds) the order: a create that never
	// succeeded delivered nothing.
	ExhaustCancelOrder Exhaustion = "cancel_order"
	// ExhaustManual stops retrying and records the failure for the seller or
	// an operator to restart (KooGallery's "Restart Debugging").
	ExhaustManual Exhaustion = "manual"
	// ExhaustFail returns the failure to the caller at once; used for calls a
	// buyer waits on.
	ExhaustFail Exhaustion = "fail"
)

// Valid reports whether e is a known outcome.
func (e Exhaustion) Valid() bool {
	return e == ExhaustCancelOrder || e == ExhaustManual || e == ExhaustFail
}

// RetryPolicy says when to call again after a retryable failure (see
// Retryable) or, for polling, after an answer that is not final yet. A
// policy is bounded by a retry count, a time window from the first attempt,
// or both; a policy with neither never retries.
type RetryPolicy struct {
	Interval    time.Duration // wait between attempts
	MaxRetries  int           // retries after the first attempt; 0 = bounded by Window only
	Window      time.Duration // no attempt later than first + Window; 0 = bounded by MaxRetries only
	OnExhausted Exhaustion
}

// Validate checks that the numbers are non-negative, that a policy which
// retries has an interval, and that OnExhausted is known.
//
// Errors: *FieldError (ErrInvalidInput), all failures joined.
func (p RetryPolicy) Validate() error {
	var c checker
	p.check(&c, "")
	return c.err()
}

func (p RetryPolicy) check(c *checker, prefix string) {
	if p.Interval < 0 {
		c.add(prefix+"interval", RuleRange, p.Interval, "must not be negative")
	}
	if p.MaxRetries < 0 {
		c.add(prefix+"max_retries", RuleRange, p.MaxRetries, "must not be negative")
	}
	if p.Window < 0 {
		c.add(prefix+"window", RuleRange, p.Window, "must not be negative")
	}
	if (p.MaxRetries > 0 || p.Window > 0) && p.Interval <= 0 {
		c.add(prefix+"interval", RuleRequired, p.Interval, "must be positive when the policy retries")
	}
	if !p.OnExhausted.Valid() {
		c.add(prefix+"on_exhausted", RuleOneOf, string(p.OnExhausted),
			fmt.Sprintf("must be one of %q, %q, %q", ExhaustCancelOrder, ExhaustManual, ExhaustFail))
	}
}

// Retries reports whether p ever retries.
func (p RetryPolicy) Retries() bool { return p.Interval > 0 && (p.MaxRetries > 0 || p.Window > 0) }

// Next returns when to make the next attempt, given that attempts have been
// made so far (at least 1), the first at first and the latest at last. ok is
// false when the policy is exhausted: the caller then applies OnExhausted.
// It is a pure function; the caller stores first, last and attempts.
func (p RetryPolicy) Next(attempts int, first, last time.Time) (at time.Time, ok bool) {
	if !p.Retries() || attempts < 1 {
		return time.Time{}, false
	}
	if p.MaxRetries > 0 && attempts-1 >= p.MaxRetries {
		return time.Time{}, false
	}
	at = last.Add(p.Interval)
	if p.Window > 0 && at.After(first.Add(p.Window)) {
		return time.Time{}, false
	}
	return at, true
}

// DeliveryPolicy is how the marketplace retries each SaaS operation. It is
// data so that a host can tune it and tests can shorten it.
type DeliveryPolicy struct {
	// Create: a failed create is retried; after the last retry the order is
	// cancelled. Create never blocks: success returns an instance id and
	// Query takes over.
	Create RetryPolicy
	// Query is polled after a successful create until app info arrives
	// (InstanceInfo.Ready); the policy bounds the polling.
	Query        RetryPolicy
	Refresh      RetryPolicy
	UpdateStatus RetryPolicy
	Upgrade      RetryPolicy
	ChangeCheck  RetryPolicy
	Release      RetryPolicy
}

// DefaultDeliveryPolicy returns KooGallery's published delivery behaviour:
//
//   - create: every 3 minutes, up to 60 retries (about 3 hours), then the
//     order is cancelled;
//   - refresh, update status and release: retried for 1 hour, once a minute
//     (the 2023 text says "60 times, once every minute", the 2025 text "for
//     an hour": the same budget), then left for a manual restart;
//   - query: polled once a minute until app info arrives. The guide sets no
//     bound; this default gives up after 3 hours (the create budget) and
//     leaves the order for an operator, rather than polling a dead
//     endpoint forever;
//   - upgrade: not documented; treated like refresh (a paid order the
//     seller must apply);
//   - change check: the buyer is waiting on it, so it is not retried.
func DefaultDeliveryPolicy() DeliveryPolicy {
	hourly := RetryPolicy{Interval: time.Minute, Window: time.Hour, OnExhausted: ExhaustManual}
	return DeliveryPolicy{
		Create:       RetryPolicy{Interval: 3 * time.Minute, MaxRetries: 60, OnExhausted: ExhaustCancelOrder},
		Query:        RetryPolicy{Interval: time.Minute, Window: 3 * time.Hour, OnExhausted: ExhaustManual},
		Refresh:      hourly,
		UpdateStatus: hourly,
		Upgrade:      hourly,
		ChangeCheck:  RetryPolicy{OnExhausted: ExhaustFail},
		Release:      hourly,
	}
}

// For returns the policy of op.
//
// Errors: *FieldError (ErrInvalidInput) for an unknown operation.
func (d DeliveryPolicy) For(op Operation) (RetryPolicy, error) {
	switch op {
	case OpCreate:
		return d.Create, nil
	case OpQuery:
		return d.Query, nil
	case OpRefresh:
		return d.Refresh, nil
	case OpUpdateStatus:
		return d.UpdateStatus, nil
	case OpUpgrade:
		return d.Upgrade, nil
	case OpChangeCheck:
		return d.ChangeCheck, nil
	case OpRelease:
		return d.Release, nil
	}
	return RetryPolicy{}, &FieldError{Field: "operation", Rule: RuleOneOf, Value: string(op),
		Reason: fmt.Sprintf("must be one of %v", Operations)}
}

// Validate checks every operation's policy.
//
// Errors: *FieldError (ErrInvalidInput), all failures joined, fields
// prefixed with the operation ("create.interval").
func (d DeliveryPolicy) Validate() error {
	var c checker
	for _, op := range Operations {
		p, _ := d.For(op)
		p.check(&c, string(op)+".")
	}
	return c.err()
}
