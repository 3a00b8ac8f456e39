package marketplace_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning/fake"
)

// buyImage buys a monthly quick image: 90.37 (the software and its
// server), from start (2026-01-05 18:30 GMT+08:00) to 2026-02-05 23:59:59.
func buyImage(t *testing.T, e *env) marketplace.Resource {
	t.Helper()
	quick := &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1, Image: quick}}, &pw)
	if !o.Amount.Equal(usd("90.37")) {
		t.Fatalf("image paid %s, want 90.37", o.Amount)
	}
	return e.resource(o.ResourceID)
}

// renewNow renews a resource by a month and pays: 90.37.
func renewNow(t *testing.T, e *env, id, key string) marketplace.Order {
	t.Helper()
	ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: id, Duration: 1, IdempotencyKey: key}))(t)
	ro = must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ro.ID}))(t)
	if !ro.Amount.Equal(usd("90.37")) || ro.Status != marketplace.OrderCompleted {
		t.Fatalf("renewal %s %s, want 90.37 completed", ro.Amount, ro.Status)
	}
	return ro
}

// TestUnsubscribeAfterEarlyRenewal is the reviewer's case: a monthly image
// at 90.37 renewed a month early on its 5th day and unsubscribed then gets
// back the renewal in full (90.37, not started) plus the in-use refund of
// the current term (66.87), 157.24 — not the renewal alone.
func TestUnsubscribeAfterEarlyRenewal(t *testing.T) {
	e := newEnv(t)
	r := buyImage(t, e)
	e.advance(5 * 24 * time.Hour)
	alone := must(e.svc.QuoteUnsubscribe(ctx, buyer, r.ID))(t)
	if !alone.Total.Equal(usd("66.87")) {
		t.Fatalf("in-use refund before renewing %s, want 66.87", alone.Total)
	}
	ro := renewNow(t, e, r.ID, "early")
	got := e.resource(r.ID)
	if len(got.EarlierPeriods) != 1 || got.EarlierPeriods[0].OrderID != r.OrderID || !got.EarlierPeriods[0].Paid.Equal(usd("90.37")) ||
		!got.EarlierPeriods[0].Term.Expiry.Equal(got.Term.Start) {
		t.Fatalf("earlier periods %+v, term %+v", got.EarlierPeriods, got.Term)
	}
	chk := must(e.svc.UnsubscribeEligibility(ctx, buyer, r.ID))(t)
	if !chk.Allowed || chk.Kind != billing.InUse {
		t.Fatalf("eligibility %+v, want allowed in use", chk)
	}
	ref := must(e.svc.QuoteUnsubscribe(ctx, buyer, r.ID))(t)
	if !ref.Total.Equal(usd("157.24")) || ref.Kind != billing.InUse {
		t.Fatalf("refund after renewing %s (%s), want 157.24 (renewal %s in full + in-use %s)", ref.Total, ref.Kind, ro.Amount, alone.Total)
	}
	before := e.balance("alice")
	uo := must(e.svc.Unsubscribe(ctx, buyer, r.ID))(t)
	if !uo.Amount.Equal(usd("157.24")) || uo.Status != marketplace.OrderCompleted {
		t.Fatalf("unsubscription order %s %s", uo.Amount, uo.Status)
	}
	if d, _ := e.balance("alice").Sub(before); !d.Equal(usd("157.24")) {
		t.Fatalf("refunded %s, want 157.24", d)
	}
	var sum billing.Money = usd("0")
	var text []string
	for _, l := range uo.Lines {
		sum, _ = sum.Add(l.Amount)
		text = append(text, l.Description)
	}
	if !sum.Equal(uo.Amount) {
		t.Errorf("lines sum to %s, amount %s", sum, uo.Amount)
	}
	want := []string{
		"2026-01-05 to 2026-02-05: paid $90.37 USD",
		"2026-01-05 to 2026-02-05: consumed $90.37 USD × 120 h / 750 h",
		"2026-01-05 to 2026-02-05: handling fee 10% of $90.37 USD",
		"2026-01-05 to 2026-02-05: rounded half-up to 2 decimal places",
		"2026-02-05 to 2026-03-05: paid $90.37 USD",
	}
	if d := cmp.Diff(want, text); d != "" {
		t.Errorf("order lines (-want +got):\n%s", d)
	}
}

// TestUnsubscribeRenewedPeriods: an unsubscription refunds the period in
// use by the formula and every renewal period not yet started in full;
// periods used up give nothing. Which period is in use follows from the
// time: no transition is needed when one ends and the next starts.
func TestUnsubscribeRenewedPeriods(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		name string
		// act renews and moves the clock; the quote is taken after it.
		act   func(t *testing.T, e *env, r marketplace.Resource)
		total string
		kind  billing.RefundKind
		parts int
	}{
		{
			name:  "no renewal: the term by formula",
			act:   func(t *testing.T, e *env, r marketplace.Resource) { e.advance(5 * day) },
			total: "66.87", kind: billing.InUse,
		},
		{
			name: "renewal not started: the term by formula, the renewal in full",
			act: func(t *testing.T, e *env, r marketplace.Resource) {
				e.advance(5 * day)
				renewNow(t, e, r.ID, "a")
			},
			total: "157.24", kind: billing.InUse, parts: 2, // 66.87 + 90.37
		},
		{
			name: "two renewals queued: both in full",
			act: func(t *testing.T, e *env, r marketplace.Resource) {
				e.advance(5 * day)
				renewNow(t, e, r.ID, "a")
				renewNow(t, e, r.ID, "b")
			},
			total: "247.61", kind: billing.InUse, parts: 3, // 66.87 + 2 × 90.37
		},
		{
			// Day 40 (2026-02-14 18:30): the renewal runs from its
			// 2026-02-05 23:00 hour to 2026-03-06 00:00, 211 of 673 h
			// used: 90.37 − 28.33294205 − 9.037 = 53.00.
			name: "renewal in use: the term used up gives nothing, the renewal by formula",
			act: func(t *testing.T, e *env, r marketplace.Resource) {
				e.advance(5 * day)
				renewNow(t, e, r.ID, "a")
				e.advanceTo(start.Add(40*day), day)
			},
			total: "53.00", kind: billing.InUse,
		},
		{
			name: "renewal in use, another queued after it",
			act: func(t *testing.T, e *env, r marketplace.Resource) {
				e.advance(5 * day)
				renewNow(t, e, r.ID, "a")
				e.advanceTo(start.Add(40*day), day)
				renewNow(t, e, r.ID, "b")
			},
			total: "143.37", kind: billing.InUse, parts: 2, // 53.00 + 90.37
		},
		{
			// Day 32 (2026-02-06 18:30), in grace: the renewal started at
			// the old expiry, 19 of 673 h used: 90.37 − 2.55125 − 9.037.
			name: "renewed in grace: the ended term is not refunded",
			act: func(t *testing.T, e *env, r marketplace.Resource) {
				e.advanceTo(start.Add(32*day), day)
				if st := e.resource(r.ID).Status; st != marketplace.ResourceGrace {
					t.Fatalf("day 32: %s, want grace", st)
				}
				renewNow(t, e, r.ID, "a")
			},
			total: "78.78", kind: billing.InUse,
		},
		{
			// Auto-renewed at 03:00 seven days before expiry, unsubscribed
			// on day 28: 672 of 750 h used, 90.37 − 80.97152 − 9.037 = 0.36,
			// plus the renewal in full.
			name: "auto-renewed, unsubscribed in the term's last days",
			act: func(t *testing.T, e *env, r marketplace.Resource) {
				must(e.svc.SetAutoRenew(ctx, buyer, marketplace.AutoRenewInput{ResourceID: r.ID, Enabled: true}))(t)
				// The runner at the deduction slot, 2026-01-29 03:00
				// GMT+08:00 (a runner late for it waits for the next day's).
				e.advanceTo(start.Add(23*day), day)
				e.advance(8*time.Hour + 30*time.Minute)
				e.advanceTo(start.Add(28*day), day)
				if got := e.resource(r.ID); len(got.OrderIDs) != 2 || got.AutoRenew.Done != 1 {
					t.Fatalf("not auto-renewed: orders %v", got.OrderIDs)
				}
			},
			total: "90.73", kind: billing.InUse, parts: 2,
		},
		{
			name: "a document stored without earlier periods: one term, as before",
			act: func(t *testing.T, e *env, r marketplace.Resource) {
				e.advance(5 * day)
				renewNow(t, e, r.ID, "a")
				err := e.store.Update(ctx, func(tx marketplace.Tx) error {
					cur, err := tx.Resource(r.ID)
					if err != nil {
						return err
					}
					cur.EarlierPeriods = nil
					return tx.PutResource(&cur)
				})
				if err != nil {
					t.Fatal(err)
				}
			},
			total: "90.37", kind: billing.FullRefund,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			r := buyImage(t, e)
			tt.act(t, e, r)
			ref := must(e.svc.QuoteUnsubscribe(ctx, buyer, r.ID))(t)
			type result struct {
				Total string
				Kind  billing.RefundKind
				Parts int
			}
			if d := cmp.Diff(result{tt.total, tt.kind, tt.parts}, result{ref.Total.AmountString(), ref.Kind, len(ref.Parts)}); d != "" {
				t.Errorf("refund (-want +got):\n%s", d)
			}
			chk := must(e.svc.UnsubscribeEligibility(ctx, buyer, r.ID))(t)
			if !chk.Allowed || chk.Kind != tt.kind {
				t.Errorf("eligibility %+v, want kind %s", chk, tt.kind)
			}
			var sum billing.Money = usd("0")
			for _, l := range ref.Lines() {
				sum, _ = sum.Add(l.Amount)
			}
			if !sum.Equal(ref.Total) {
				t.Errorf("lines sum to %s, total %s", sum, ref.Total)
			}
		})
	}
}

// TestRenewedResourceLifecycle: with a renewal queued the resource stays
// active through the old expiry (no grace), and the runner leaves the
// periods alone; it expires at the renewal's end.
func TestRenewedResourceLifecycle(t *testing.T) {
	e := newEnv(t)
	r := buyImage(t, e)
	e.advance(5 * 24 * time.Hour)
	renewNow(t, e, r.ID, "a")
	renewed := e.resource(r.ID)
	e.advanceTo(r.Term.Expiry.Add(2*24*time.Hour), 24*time.Hour)
	got := e.resource(r.ID)
	if got.Status != marketplace.ResourceActive || !got.ExpiresAt.Equal(renewed.Term.Expiry) {
		t.Fatalf("after the first term: %s, expires %v", got.Status, got.ExpiresAt)
	}
	if d := cmp.Diff(renewed.EarlierPeriods, got.EarlierPeriods); d != "" {
		t.Errorf("the runner changed the periods (-before +after):\n%s", d)
	}
	e.advanceTo(renewed.Term.Expiry.Add(time.Hour), 24*time.Hour)
	if st := e.resource(r.ID).Status; st != marketplace.ResourceGrace {
		t.Fatalf("after the renewal's expiry: %s, want grace", st)
	}
	_, err := e.svc.QuoteUnsubscribe(ctx, buyer, r.ID)
	wantErr(t, err, billing.ErrNotRefundable)
}

// TestUpgradeAfterEarlyRenewal: an upgrade's price is added to the period
// in use, not to the renewal queued after it.
func TestUpgradeAfterEarlyRenewal(t *testing.T) {
	e := newEnv(t)
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1, Quantity: 2}}, nil)
	e.advance(5 * 24 * time.Hour)
	ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: o.ResourceID, Duration: 1, IdempotencyKey: "r"}))(t)
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ro.ID}))(t)
	uo := must(e.svc.Upgrade(ctx, buyer, marketplace.UpgradeInput{ResourceID: o.ResourceID, Quantity: 4, IdempotencyKey: "u"}))(t)
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: uo.ID}))(t)
	r := e.resource(o.ResourceID)
	if len(r.EarlierPeriods) != 1 {
		t.Fatalf("earlier periods %+v", r.EarlierPeriods)
	}
	inUse, _ := o.Amount.Add(uo.Amount)
	if !r.EarlierPeriods[0].Paid.Equal(inUse) || !r.Paid.Equal(ro.Amount) {
		t.Fatalf("paid: in use %s (want %s), renewal %s (want %s)", r.EarlierPeriods[0].Paid, inUse, r.Paid, ro.Amount)
	}
	if r.Quantity != 4 || r.EarlierPeriods[0].OrderID != o.ID {
		t.Fatalf("quantity %d, earlier period's order %q (want %s)", r.Quantity, r.EarlierPeriods[0].OrderID, o.ID)
	}
}
