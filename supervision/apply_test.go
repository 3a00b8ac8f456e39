package supervision_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	sv "github.com/opengallery/opengallery/supervision"
)

const day = 24 * time.Hour

// outcome summarises an Apply result for table comparison.
type outcome struct {
	Status   sv.Status
	Allowed  bool
	TooEarly bool
	Frozen   bool
	Invalid  bool
}

func outcomeOf(f sv.Flow, err error) outcome {
	return outcome{
		Status:   f.Status,
		Allowed:  err == nil,
		TooEarly: errors.Is(err, sv.ErrTooEarly),
		Frozen:   errors.Is(err, sv.ErrFrozen),
		Invalid:  errors.Is(err, sv.ErrInvalidInput),
	}
}

// standardAt drives a Standard flow to status s through real actions at t0.
func standardAt(s sv.Status) sv.Flow {
	p := sv.DefaultPolicy()
	f := mustNew(sv.Standard)
	steps := map[sv.Status][]sv.Command{
		sv.AwaitingRequest:      nil,
		sv.AwaitingConfirmation: {validCommand(sv.SubmitRequest, sv.Buyer)},
		sv.AwaitingDelivery:     {validCommand(sv.SubmitRequest, sv.Buyer), validCommand(sv.ConfirmRequest, sv.Seller)},
		sv.AwaitingAcceptance: {validCommand(sv.SubmitRequest, sv.Buyer), validCommand(sv.ConfirmRequest, sv.Seller),
			validCommand(sv.Deliver, sv.Seller)},
	}
	for _, c := range steps[s] {
		f = mustApply(f, c, t0, p)
	}
	return f
}

func TestFrozenFlow(t *testing.T) {
	p := sv.DefaultPolicy()
	f := standardAt(sv.AwaitingDelivery)
	f = mustApply(f, validCommand(sv.Appeal, sv.Seller), t0.Add(time.Hour), p)
	want := f
	if !f.Frozen || f.Status != sv.AwaitingOperations || f.StatusBeforeAppeal != sv.AwaitingDelivery || f.AppealedBy != sv.Seller || f.Appeals != 1 {
		t.Fatalf("after appeal: %+v", f)
	}
	for _, r := range []sv.Role{sv.Buyer, sv.Seller, sv.System} {
		for _, a := range sv.Actions() {
			got, _, err := sv.Apply(f, validCommand(a, r), t0.Add(2*time.Hour), p)
			if !errors.Is(err, sv.ErrFrozen) || !errors.Is(err, sv.ErrNotAllowed) {
				t.Errorf("%s %s on frozen flow: err = %v, want ErrFrozen", r, a, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s %s changed the frozen flow:\n%s", r, a, diff)
			}
		}
		if got := sv.Available(f, r, t0.Add(2*time.Hour), p); len(got) != 0 {
			t.Errorf("Available(%s) on frozen flow = %v", r, got)
		}
	}
	if diff := cmp.Diff([]sv.Action{sv.Resume, sv.Complete, sv.Terminate}, sv.Available(f, sv.Operator, t0, p)); diff != "" {
		t.Errorf("operator actions (-want +got):\n%s", diff)
	}
	t.Run("resume defaults to the status before the appeal", func(t *testing.T) {
		got := mustApply(f, validCommand(sv.Resume, sv.Operator), t0.Add(3*time.Hour), p)
		if got.Status != sv.AwaitingDelivery || got.Frozen || !got.StatusSince.Equal(t0.Add(3*time.Hour)) {
			t.Errorf("resumed: status %s frozen %t since %s", got.Status, got.Frozen, got.StatusSince)
		}
	})
	t.Run("terminate with refund", func(t *testing.T) {
		c := validCommand(sv.Terminate, sv.Operator)
		c.Refund = true
		got, rec, err := sv.Apply(f, c, t0.Add(3*time.Hour), p)
		if err != nil || got.Status != sv.Terminated || !got.Refund || !rec.Refund || got.Frozen || got.Accepted() {
			t.Errorf("terminated: %+v %+v %v", got, rec, err)
		}
		if ts := sv.Timers(got, t0.Add(4*time.Hour), p); len(ts) != 0 {
			t.Errorf("terminated flow timers = %v", ts)
		}
	})
	t.Run("complete counts as acceptance", func(t *testing.T) {
		got := mustApply(f, validCommand(sv.Complete, sv.Operator), t0.Add(3*time.Hour), p)
		if start, ok := got.TermStart(); !ok || !start.Equal(t0.Add(3*time.Hour)) || !got.Accepted() {
			t.Errorf("completed: term start %v %v", start, ok)
		}
	})
}

func TestResumeTargets(t *testing.T) {
	p := sv.DefaultPolicy()
	for _, fc := range flowCases {
		for _, target := range sv.Statuses() {
			f, now := flowIn(fc, sv.AwaitingOperations)
			c := validCommand(sv.Resume, sv.Operator)
			c.ResumeStatus = target
			got, rec, err := sv.Apply(f, c, now, p)
			active := target != sv.AwaitingOperations && !target.Terminal() && (target != sv.PlatformReview || fc.review) &&
				(target == sv.AwaitingDelivery || target == sv.AwaitingAcceptance || fc.kind != sv.License)
			if active {
				if err != nil || got.Status != target || rec.To != target || got.Frozen {
					t.Errorf("%s review=%t resume at %s: status %s err %v", fc.kind, fc.review, target, got.Status, err)
				}
				continue
			}
			if !errors.Is(err, sv.ErrNotAllowed) || got.Status != sv.AwaitingOperations {
				t.Errorf("%s review=%t resume at %s: err = %v, want ErrNotAllowed", fc.kind, fc.review, target, err)
			}
		}
	}
	f, now := flowIn(flowCases[0], sv.AwaitingOperations)
	f.StatusBeforeAppeal = ""
	if _, _, err := sv.Apply(f, validCommand(sv.Resume, sv.Operator), now, p); !errors.Is(err, sv.ErrInvalidInput) {
		t.Errorf("resume without any target: err = %v, want ErrInvalidInput", err)
	}
}

func TestTermStartAndOrderCompletion(t *testing.T) {
	p := sv.DefaultPolicy()
	accepted := t0.Add(31 * day)
	enabling := t0.Add(time.Hour)
	tests := []struct {
		name      string
		enabling  time.Time
		wantStart time.Time
	}{
		{"no enabling time: term starts at acceptance", time.Time{}, accepted},
		{"enabling time set: term starts there", enabling, enabling},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := standardAt(sv.AwaitingDelivery)
			if _, ok := f.TermStart(); ok {
				t.Fatal("term started before acceptance")
			}
			d := validCommand(sv.Deliver, sv.Seller)
			d.EnablingTime = tt.enabling
			f = mustApply(f, d, t0.Add(2*time.Hour), p)
			f = mustApply(f, validCommand(sv.Accept, sv.Buyer), accepted, p)
			start, ok := f.TermStart()
			if !ok || !start.Equal(tt.wantStart) {
				t.Errorf("TermStart = %s %t, want %s", start, ok, tt.wantStart)
			}
			at, ok := f.OrderCompletionAt(p)
			if !ok || !at.Equal(accepted.Add(3*time.Hour)) {
				t.Errorf("OrderCompletionAt = %s %t", at, ok)
			}
			if !f.Accepted() {
				t.Error("Accepted() = false after acceptance")
			}
		})
	}
	for _, tc := range []struct {
		name     string
		enabling time.Time
		ok       bool
	}{
		{"enabling time after now is refused", t0.Add(2*time.Hour + time.Second), false},
		{"enabling time at now is accepted", t0.Add(2 * time.Hour), true},
		{"enabling time at the payment is accepted", t0, true},
		{"enabling time before the payment is refused", t0.Add(-time.Second), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := validCommand(sv.Deliver, sv.Seller)
			d.EnablingTime = tc.enabling
			f := standardAt(sv.AwaitingDelivery)
			got, _, err := sv.Apply(f, d, t0.Add(2*time.Hour), p)
			if tc.ok {
				if err != nil || !got.Delivery.EnablingTime.Equal(tc.enabling) {
					t.Errorf("err = %v, enabling time %v", err, got.Delivery.EnablingTime)
				}
				return
			}
			checkInputError(t, err, "enabling_time")
			if got.Status != f.Status || got.Seq != f.Seq {
				t.Errorf("refused delivery changed the flow: %s #%d", got.Status, got.Seq)
			}
		})
	}
}

func TestSaaSRequestNeedsAttachment(t *testing.T) {
	p := sv.DefaultPolicy()
	c := validCommand(sv.SubmitRequest, sv.Buyer)
	c.Attachments = nil
	for _, tc := range []struct {
		kind    sv.Kind
		invalid bool
	}{{sv.SaaS, true}, {sv.Standard, false}, {sv.WebsiteDeployment, false}} {
		_, _, err := sv.Apply(mustNew(tc.kind), c, t0, p)
		if errors.Is(err, sv.ErrInvalidInput) != tc.invalid || (err != nil) != tc.invalid {
			t.Errorf("%s without attachment: err = %v", tc.kind, err)
		}
	}
}

func TestRequestAndDeliveryStored(t *testing.T) {
	p := sv.DefaultPolicy()
	c := validCommand(sv.SubmitRequest, sv.Buyer)
	atts := []sv.Attachment{pdf}
	c.Attachments = atts
	f := mustApply(mustNew(sv.SaaS), c, t0, p)
	atts[0].Name = "mutated.pdf" // the caller's slice must not alias the flow
	want := sv.Request{Description: c.Description, Attachments: []sv.Attachment{pdf}, SubmittedAt: t0}
	if diff := cmp.Diff(want, f.Request); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	f = mustApply(f, validCommand(sv.ConfirmRequest, sv.Seller), t0, p)
	f = mustApply(f, validCommand(sv.Deliver, sv.Seller), t0.Add(time.Hour), p)
	if f.Delivery.Result == "" || !f.Delivery.DeliveredAt.Equal(t0.Add(time.Hour)) || !f.LastSellerUpdate.Equal(t0.Add(time.Hour)) {
		t.Errorf("delivery = %+v", f.Delivery)
	}
	if f.Label() != "Waiting for the user to confirm acceptance" {
		t.Errorf("label = %q", f.Label())
	}
}

func TestDescriptionLength(t *testing.T) {
	p := sv.DefaultPolicy()
	tests := []struct {
		name string
		desc string
		ok   bool
	}{
		{"1000 multi-byte characters", strings.Repeat("需", 1000), true},
		{"1001 characters", strings.Repeat("a", 1001), false},
		{"1 character", "a", true},
		{"empty", "", false},
		{"blank", "   ", false},
		{"invalid UTF-8", "\xff\xfe", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validCommand(sv.SubmitRequest, sv.Buyer)
			c.Description = tt.desc
			_, _, err := sv.Apply(mustNew(sv.Standard), c, t0, p)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, sv.ErrInvalidInput)) {
				t.Errorf("err = %v, want ok=%t", err, tt.ok)
			}
		})
	}
}
