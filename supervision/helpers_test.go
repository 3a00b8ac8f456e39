package supervision_test

import (
	"errors"
	"testing"
	"time"

	sv "github.com/opengallery/opengallery/supervision"
)

// t0 is the payment time of every test flow.
var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

var (
	buyer    = sv.Actor{ID: "buyer-1", Role: sv.Buyer}
	seller   = sv.Actor{ID: "seller-1", Role: sv.Seller}
	operator = sv.Actor{ID: "ops-1", Role: sv.Operator}
	system   = sv.Actor{ID: "runner", Role: sv.System}
)

func actorOf(r sv.Role) sv.Actor {
	switch r {
	case sv.Buyer:
		return buyer
	case sv.Seller:
		return seller
	case sv.Operator:
		return operator
	}
	return system
}

var pdf = sv.Attachment{Name: "requirements.pdf", Size: 4096, ContentType: "application/pdf", Digest: "sha256:ab", BlobRef: "blob/1"}

// validCommand returns a command for action a by role r that passes
// Command.Validate and every per-template input rule.
func validCommand(a sv.Action, r sv.Role) sv.Command {
	c := sv.Command{Actor: actorOf(r), Action: a}
	switch a {
	case sv.SubmitRequest:
		c.Description = "Deploy the CRM for 20 seats"
		c.Attachments = []sv.Attachment{pdf}
	case sv.Deliver:
		c.Result = "Instance ready at https://crm.example.com"
	case sv.RejectRequest, sv.RejectDelivery, sv.ReturnDelivery, sv.Appeal, sv.Resume, sv.Complete, sv.Terminate:
		c.Reason = "reason"
	}
	return c
}

// mustNew starts a flow or panics (test setup only).
func mustNew(k sv.Kind, opts ...sv.Option) sv.Flow {
	f, err := sv.New("flow-1", k, t0, opts...)
	if err != nil {
		panic(err)
	}
	return f
}

// mustApply applies a command or panics (test setup only).
func mustApply(f sv.Flow, c sv.Command, now time.Time, p sv.Policy) sv.Flow {
	n, _, err := sv.Apply(f, c, now, p)
	if err != nil {
		panic(err)
	}
	return n
}

// checkInputError fails t unless err is nil when field is "", or else an
// *InputError on field that wraps ErrInvalidInput.
func checkInputError(t *testing.T, err error, field string) {
	t.Helper()
	if field == "" {
		if err != nil {
			t.Errorf("err = %v, want nil", err)
		}
		return
	}
	var ie *sv.InputError
	if !errors.As(err, &ie) || ie.Field != field || !errors.Is(err, sv.ErrInvalidInput) {
		t.Errorf("err = %v, want InputError on %s", err, field)
	}
}
