package provisioning_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/provisioning"
)

// schedule runs p from first and returns the times of every retry.
func schedule(p provisioning.RetryPolicy, first time.Time) []time.Time {
	var at []time.Time
	last := first
	for attempts := 1; ; attempts++ {
		next, ok := p.Next(attempts, first, last)
		if !ok {
			return at
		}
		at = append(at, next)
		last = next
		if len(at) > 10000 {
			panic("policy never ends")
		}
	}
}

func TestDefaultDeliveryPolicy(t *testing.T) {
	first := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	d := provisioning.DefaultDeliveryPolicy()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		op       provisioning.Operation
		retries  int
		lastAt   time.Duration // after first
		interval time.Duration
		then     provisioning.Exhaustion
	}{
		{provisioning.OpCreate, 60, 180 * time.Minute, 3 * time.Minute, provisioning.ExhaustCancelOrder},
		{provisioning.OpRefresh, 60, time.Hour, time.Minute, provisioning.ExhaustManual},
		{provisioning.OpUpdateStatus, 60, time.Hour, time.Minute, provisioning.ExhaustManual},
		{provisioning.OpRelease, 60, time.Hour, time.Minute, provisioning.ExhaustManual},
		{provisioning.OpUpgrade, 60, time.Hour, time.Minute, provisioning.ExhaustManual},
		{provisioning.OpQuery, 180, 3 * time.Hour, time.Minute, provisioning.ExhaustManual},
		{provisioning.OpChangeCheck, 0, 0, 0, provisioning.ExhaustFail},
	}
	for _, tt := range tests {
		t.Run(string(tt.op), func(t *testing.T) {
			p, err := d.For(tt.op)
			if err != nil {
				t.Fatal(err)
			}
			at := schedule(p, first)
			if len(at) != tt.retries {
				t.Fatalf("%d retries, want %d", len(at), tt.retries)
			}
			if p.OnExhausted != tt.then {
				t.Errorf("OnExhausted = %q, want %q", p.OnExhausted, tt.then)
			}
			if tt.retries == 0 {
				if p.Retries() {
					t.Error("Retries() = true")
				}
				return
			}
			if got := at[len(at)-1].Sub(first); got != tt.lastAt {
				t.Errorf("last retry %v after the first attempt, want %v", got, tt.lastAt)
			}
			if got := at[0].Sub(first); got != tt.interval {
				t.Errorf("first retry after %v, want %v", got, tt.interval)
			}
		})
	}
}

func TestRetryPolicyNext(t *testing.T) {
	first := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	both := provisioning.RetryPolicy{Interval: 10 * time.Minute, MaxRetries: 5, Window: 25 * time.Minute, OnExhausted: provisioning.ExhaustManual}
	if got := len(schedule(both, first)); got != 2 {
		t.Errorf("window bounds first: %d retries, want 2", got)
	}
	// A slow attempt pushes the next one out of the window.
	if _, ok := both.Next(2, first, first.Add(20*time.Minute)); ok {
		t.Error("a retry past the window was allowed")
	}
	if _, ok := both.Next(0, first, first); ok {
		t.Error("zero attempts is not a state a policy answers")
	}
	count := provisioning.RetryPolicy{Interval: time.Second, MaxRetries: 3, OnExhausted: provisioning.ExhaustFail}
	want := []time.Time{first.Add(time.Second), first.Add(2 * time.Second), first.Add(3 * time.Second)}
	if diff := cmp.Diff(want, schedule(count, first)); diff != "" {
		t.Errorf("schedule (-want +got):\n%s", diff)
	}
}

func TestRetryPolicyValidate(t *testing.T) {
	checkValidation(t, map[string]struct {
		v    validator
		want []string
	}{
		"no retries":        {provisioning.RetryPolicy{OnExhausted: provisioning.ExhaustFail}, nil},
		"negatives":         {provisioning.RetryPolicy{Interval: -1, MaxRetries: -1, Window: -1, OnExhausted: provisioning.ExhaustFail}, []string{"interval:range", "max_retries:range", "window:range"}},
		"retries, no pause": {provisioning.RetryPolicy{MaxRetries: 3, OnExhausted: provisioning.ExhaustFail}, []string{"interval:required"}},
		"unknown outcome":   {provisioning.RetryPolicy{OnExhausted: "shrug"}, []string{"on_exhausted:one_of"}},
	})
	d := provisioning.DefaultDeliveryPolicy()
	d.Create.Interval = 0
	d.Release.OnExhausted = ""
	if diff := cmp.Diff([]string{"create.interval:required", "release.on_exhausted:one_of"}, fieldRules(d.Validate())); diff != "" {
		t.Errorf("DeliveryPolicy.Validate (-want +got):\n%s", diff)
	}
	if _, err := d.For("reboot"); fmt.Sprint(fieldRules(err)) != "[operation:one_of]" {
		t.Errorf("For(unknown) = %v", err)
	}
}

// The marketplace's create loop: retry every 3 minutes, cancel after the
// 60th retry.
func ExampleRetryPolicy_Next() {
	p := provisioning.DefaultDeliveryPolicy().Create
	first := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	last, attempts := first, 1
	for {
		next, ok := p.Next(attempts, first, last)
		if !ok {
			break
		}
		last, attempts = next, attempts+1
	}
	fmt.Println(attempts, "attempts, the last at", last.Format("15:04"), "then", p.OnExhausted)
	// Output: 61 attempts, the last at 13:00 then cancel_order
}
