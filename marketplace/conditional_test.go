package marketplace_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/supervision"
)

// conditional is a use case that takes the version its caller read.
type conditional struct {
	kind marketplace.Kind
	// setup makes the aggregate and returns its id.
	setup func(t *testing.T, e *env) string
	// change applies the use case naming version and returns the version
	// it answered.
	change func(e *env, id string, version int64) (int64, error)
	// stored reads the stored version.
	stored func(t *testing.T, e *env, id string) int64
	// once: the aggregate's state refuses the change made a second time
	// (a flow delivered, a refund decided).
	once bool
}

var conditionals = map[string]conditional{
	"Act": {
		kind: marketplace.KindFlow,
		setup: func(t *testing.T, e *env) string {
			return e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil).FlowID
		},
		change: func(e *env, id string, version int64) (int64, error) {
			f, err := e.svc.Act(ctx, seller, marketplace.FlowActionInput{FlowID: id, Action: supervision.Deliver, Result: "key AAAA", Version: version})
			return f.Version, err
		},
		stored: func(t *testing.T, e *env, id string) int64 {
			return must(e.svc.GetFlow(ctx, operator, id))(t).Version
		},
		once: true,
	},
	"SetAutoRenew": {
		kind: marketplace.KindResource,
		setup: func(t *testing.T, e *env) string {
			return e.buy(buyer, licenseOrder(e, e.license, billing.Yearly), nil).ResourceID
		},
		change: func(e *env, id string, version int64) (int64, error) {
			r, err := e.svc.SetAutoRenew(ctx, buyer, marketplace.AutoRenewInput{ResourceID: id, Enabled: true, Count: 2, Version: version})
			return r.Version, err
		},
		stored: func(t *testing.T, e *env, id string) int64 { return e.resource(id).Version },
	},
	"ReviewRefund": {
		kind: marketplace.KindOrder,
		setup: func(t *testing.T, e *env) string {
			big := e.publish(seller, licenseInput("Enterprise License", billing.Yearly, "8000.00"))
			o := e.buy(buyer, licenseOrder(e, big, billing.Yearly), nil)
			u := must(e.svc.ProposeUnsubscribe(ctx, buyer, marketplace.ProposeInput{ResourceID: o.ResourceID, Amount: usd("7500.00"), Reason: "not needed"}))(t)
			u = must(e.svc.DecideUnsubscribe(ctx, seller, marketplace.DecideInput{RequestID: u.ID, Agree: true}))(t)
			if held := e.order(u.RefundOrderID); held.RefundReview == nil || held.RefundReview.Status != marketplace.RefundReviewPending {
				t.Fatalf("refund not held: %+v", held.RefundReview)
			}
			return u.RefundOrderID
		},
		change: func(e *env, id string, version int64) (int64, error) {
			o, err := e.svc.ReviewRefund(ctx, operator, marketplace.RefundDecisionInput{OrderID: id, Reason: "service was delivered", Version: version})
			return o.Version, err
		},
		stored: func(t *testing.T, e *env, id string) int64 { return e.order(id).Version },
		once:   true,
	},
	"RegisterSeller": {
		kind:  marketplace.KindSeller,
		setup: func(*testing.T, *env) string { return "isv1" },
		change: func(e *env, id string, version int64) (int64, error) {
			s, err := e.svc.RegisterSeller(ctx, seller, marketplace.SellerInput{ID: id, Name: "Contoso Software 2", SupportEmail: "help@contoso.example", Version: version})
			return s.Version, err
		},
		stored: func(t *testing.T, e *env, id string) int64 { return must(e.svc.GetSeller(ctx, buyer, id))(t).Version },
	},
	"SetCreditIf": {
		kind:  marketplace.KindAccount,
		setup: func(*testing.T, *env) string { return "alice" },
		change: func(e *env, id string, version int64) (int64, error) {
			a, err := e.svc.SetCreditIf(ctx, operator, marketplace.CreditInput{AccountID: id, Credit: true, Version: version})
			return a.Version, err
		},
		stored: func(t *testing.T, e *env, id string) int64 {
			return must(e.svc.GetAccount(ctx, operator, id))(t).Version
		},
	},
}

// TestConditionalChanges: each use case that takes the version its caller
// read applies the change at the current version or with none (0), and
// refuses any other with a *PreconditionError naming both versions, checked
// in the update's transaction: nothing is written, no event is appended.
// A version read before another change landed is refused even where the
// aggregate's state would refuse the action anyway.
func TestConditionalChanges(t *testing.T) {
	for name, uc := range conditionals {
		for _, c := range []struct {
			name string
			// landed: another caller's unconditional change lands after
			// the version is read.
			landed  bool
			version func(read int64) int64
			want    error // nil, ErrConflict (a *PreconditionError) or ErrInvalidInput
		}{
			{"current version", false, func(read int64) int64 { return read }, nil},
			{"no version", false, func(int64) int64 { return 0 }, nil},
			{"no version after another change", true, func(int64) int64 { return 0 }, nil},
			{"version read before another change", true, func(read int64) int64 { return read }, marketplace.ErrConflict},
			{"version not reached", false, func(read int64) int64 { return read + 1 }, marketplace.ErrConflict},
			{"negative version", false, func(int64) int64 { return -1 }, marketplace.ErrInvalidInput},
		} {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				e := newEnv(t)
				id := uc.setup(t, e)
				read := uc.stored(t, e, id)
				if c.landed {
					must(uc.change(e, id, 0))(t)
				}
				have := uc.stored(t, e, id)
				events := len(e.events())
				v := c.version(read)
				got, err := uc.change(e, id, v)
				switch {
				case c.want == nil && c.landed && uc.once:
					// Unconditional: the state refuses it, not the version.
					var ce *marketplace.ConflictError
					var pe *marketplace.PreconditionError
					if err == nil || errors.As(err, &ce) || errors.As(err, &pe) {
						t.Fatalf("the change made twice, unconditionally: %v", err)
					}
					return
				case c.want == nil:
					if err != nil {
						t.Fatalf("version %d (stored %d): %v", v, have, err)
					}
					if now := uc.stored(t, e, id); got <= have || now != got {
						t.Fatalf("answered version %d, stored %d, was %d", got, now, have)
					}
					return
				case errors.Is(c.want, marketplace.ErrConflict):
					var pe *marketplace.PreconditionError
					if !errors.As(err, &pe) {
						t.Fatalf("version %d (stored %d): %v, want a *PreconditionError", v, have, err)
					}
					if diff := cmp.Diff(&marketplace.PreconditionError{Kind: uc.kind, ID: id, Want: v, Have: have}, pe); diff != "" {
						t.Errorf("PreconditionError (-want +got):\n%s", diff)
					}
				default:
					wantErr(t, err, c.want)
				}
				if now := uc.stored(t, e, id); now != have {
					t.Errorf("a refused change moved the version from %d to %d", have, now)
				}
				if n := len(e.events()); n != events {
					t.Errorf("a refused change appended %d events", n-events)
				}
			})
		}
	}
}

// TestRegisterSellerVersionOfNoSeller: a version names a seller as read, so
// naming one for a seller not registered registers nothing.
func TestRegisterSellerVersionOfNoSeller(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.RegisterSeller(ctx, operator, marketplace.SellerInput{ID: "isv9", Name: "New", SupportEmail: "n@new.example", Version: 1})
	var pe *marketplace.PreconditionError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *PreconditionError", err)
	}
	if diff := cmp.Diff(&marketplace.PreconditionError{Kind: marketplace.KindSeller, ID: "isv9", Want: 1, Have: 0}, pe); diff != "" {
		t.Errorf("PreconditionError (-want +got):\n%s", diff)
	}
	_, err = e.svc.GetSeller(ctx, operator, "isv9")
	wantErr(t, err, marketplace.ErrNotFound)
}
