package marketplace_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
)

// TestPayPerUse: a pay-per-use subscription is charged by the hour in
// arrears from its quote's hourly rate, all whole hours at each run (each
// hour once, under its own key). A declined charge puts it in arrears:
// grace, then retention (frozen at the seller) from the arrears date; a
// top-up clears the arrears, pays the owed hours and unfreezes it. One
// left in arrears is released at the end of retention.
func TestPayPerUse(t *testing.T) {
	e := newEnv(t)
	p := e.metered("Metered API", "0.10")
	carol, dave := marketplace.BuyerActor("carol"), marketplace.BuyerActor("dave")
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "carol", Amount: usd("20.00")}))(t)
	buy := func(as marketplace.Actor) marketplace.Resource {
		t.Helper()
		o := e.buy(as, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "meter", Mode: billing.PayPerUse}}, nil)
		if o.Status != marketplace.OrderCompleted || !o.Amount.IsZero() || o.HourlyRate == nil || !o.HourlyRate.Equal(usd("0.10")) {
			t.Fatalf("order %s amount %s rate %v", o.Status, o.Amount, o.HourlyRate)
		}
		return e.resource(o.ResourceID)
	}
	r := buy(carol)
	if r.Usage == nil || r.NextDueAt == nil || !r.NextDueAt.Equal(r.Usage.Start.Add(time.Hour)) {
		t.Fatalf("usage %+v due %v", r.Usage, r.NextDueAt)
	}
	usage := func(hours int, charged, balance string) marketplace.Resource {
		t.Helper()
		got := e.resource(r.ID)
		if got.Usage.Hours != hours || !got.Usage.Charged.Equal(usd(charged)) {
			t.Fatalf("usage: %d hours, %s charged; want %d, %s", got.Usage.Hours, got.Usage.Charged, hours, charged)
		}
		if b := e.balance("carol"); !b.Equal(usd(balance)) {
			t.Fatalf("balance %s, want %s", b, balance)
		}
		return got
	}
	e.advance(59 * time.Minute)
	usage(0, "0", "20.00")
	e.advance(time.Minute)
	usage(1, "0.10", "19.90")
	e.advance(0) // running again charges nothing again
	usage(1, "0.10", "19.90")
	// 100 hours at once: all charged in one run, beyond one step's cap.
	e.advance(100 * time.Hour)
	usage(101, "10.10", "9.90")
	if pg := must(e.svc.ListOrders(ctx, carol, marketplace.ListOrdersInput{}))(t); pg.Total != 1 {
		t.Fatalf("usage made orders: %d", pg.Total)
	}
	// The balance covers 99 more hours; the 100th is declined: arrears.
	e.advance(100 * time.Hour)
	got := usage(200, "20.00", "0.00")
	if got.Status != marketplace.ResourceGrace || got.Usage.ArrearsSince == nil || !e.hasEvent(r.ID, "resource.arrears") {
		t.Fatalf("arrears: %s %+v", got.Status, got.Usage)
	}
	arrears := *got.Usage.ArrearsSince
	if app := must(e.svc.GetPurchasedApp(ctx, carol, r.ID))(t); app.Usage == nil || app.Usage.ArrearsSince == nil || app.Status != marketplace.ResourceGrace {
		t.Fatalf("purchased app in arrears: %+v", app)
	}
	lc := billing.NewLifecycle(billing.DefaultConfig(), arrears)
	if !got.GraceEndsAt.Equal(lc.GraceEnd) || !got.RetentionEndsAt.Equal(lc.RetentionEnd) {
		t.Fatalf("lifecycle %v %v, want %v %v", got.GraceEndsAt, got.RetentionEndsAt, lc.GraceEnd, lc.RetentionEnd)
	}
	// Retention from the arrears date: frozen at the seller.
	e.advanceTo(lc.GraceEnd.Add(time.Second), 6*time.Hour)
	got = e.resource(r.ID)
	if in, _ := e.saas.Instance(got.App.InstanceID); got.Status != marketplace.ResourceRetention || in.State != fake.InstanceFrozen {
		t.Fatalf("retention: %s, instance %s", got.Status, in.State)
	}
	// A top-up: the next hourly retry pays every hour up to the freeze,
	// clears the arrears and unfreezes.
	owed := int(lc.GraceEnd.Sub(got.Usage.Start)/time.Hour) - 200
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "carol", Amount: usd("100.00")}))(t)
	e.advance(time.Hour)
	// One run charges at most 8 steps × 24 hours of one resource; the
	// rest goes when the claim's 5-minute lease has run out.
	e.advance(5 * time.Minute)
	got = e.resource(r.ID)
	if got.Status != marketplace.ResourceActive || got.Usage.ArrearsSince != nil || got.Usage.Hours != 200+owed || got.Usage.Skipped == 0 {
		t.Fatalf("after top-up: %s %+v (owed %d)", got.Status, got.Usage, owed)
	}
	if in, _ := e.saas.Instance(got.App.InstanceID); in.State != fake.InstanceActive {
		t.Fatalf("instance %s after the arrears cleared", in.State)
	}
	if !e.hasEvent(r.ID, "resource.arrears_cleared") {
		t.Fatal("no arrears_cleared event")
	}
	hours := got.Usage.Hours
	e.advance(time.Hour)
	if g := e.resource(r.ID); g.Usage.Hours != hours+1 {
		t.Fatalf("after an hour: %d hours, want %d", g.Usage.Hours, hours+1)
	}
	// Dave has no balance: arrears at the first hour, released at the end
	// of retention.
	d := buy(dave)
	e.advance(time.Hour)
	if g := e.resource(d.ID); g.Status != marketplace.ResourceGrace || g.Usage.Hours != 0 {
		t.Fatalf("dave: %s %d", g.Status, g.Usage.Hours)
	}
	e.advanceTo(e.resource(d.ID).RetentionEndsAt.Add(time.Second), 12*time.Hour)
	g := e.resource(d.ID)
	if in, _ := e.saas.Instance(g.App.InstanceID); g.Status != marketplace.ResourceReleased || in.State != fake.InstanceReleased || g.NextDueAt != nil {
		t.Fatalf("dave at the end: %s, instance %s, due %v", g.Status, in.State, g.NextDueAt)
	}
}

// TestHourlyChargesSumExactly: hours charged one by one sum to the rounded
// cost of all of them, whatever the rate's precision.
func TestHourlyChargesSumExactly(t *testing.T) {
	e := newEnv(t)
	p := e.metered("Fine Meter", "0.0137")
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "meter", Mode: billing.PayPerUse}}, nil)
	before := e.balance("alice")
	for range 7 {
		e.advance(time.Hour)
	}
	r := e.resource(o.ResourceID)
	if r.Usage.Hours != 7 || !r.Usage.Charged.Equal(usd("0.10")) { // 7 × 0.0137 = 0.0959 → 0.10
		t.Fatalf("charged %s for %d hours", r.Usage.Charged, r.Usage.Hours)
	}
	if d, _ := before.Sub(e.balance("alice")); !d.Equal(usd("0.10")) {
		t.Fatalf("balance moved %s", d)
	}
}

// metered publishes a SaaS product with one pay-per-use specification
// ("meter") at an hourly price.
func (e *env) metered(name, hourly string) marketplace.Product {
	e.t.Helper()
	in := saasInput(name, false, false)
	in.Specs = []marketplace.Specification{{ID: "meter", Name: "Metered", Pricing: billing.Pricing{Plans: []billing.PricePlan{
		{Mode: billing.PayPerUse, UnitPrice: usd(hourly)}}}}}
	return e.publish(seller, in)
}

// TestConcurrentRunnersChargeOnce: several runners over one store, with
// due seller calls and pay-per-use hours: each hour is charged once and
// each owed call succeeds once.
func TestConcurrentRunnersChargeOnce(t *testing.T) {
	e := newEnv(t)
	p := e.metered("Metered API", "0.10")
	var rids []string
	for range 10 {
		o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "meter", Mode: billing.PayPerUse}}, nil)
		rids = append(rids, o.ResourceID)
	}
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	e.saas.Fail(provisioning.OpRefresh, provisioning.CodeInternal.Err("down"), 1)
	ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: o.ResourceID, Duration: 1, IdempotencyKey: "r"}))(t)
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: ro.ID}))(t)
	before := e.balance("alice")
	e.clock.Advance(5 * time.Hour)
	var wg sync.WaitGroup
	for w := range 4 {
		svc, err := marketplace.New(e.store, marketplace.WithClock(e.clock), marketplace.WithSaaS(e.saas),
			marketplace.WithRunner(3, time.Minute, fmt.Sprint("runner-", w)), marketplace.WithLogger(slog.New(slog.DiscardHandler)))
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			if _, err := svc.RunDue(ctx); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, id := range rids {
		if r := e.resource(id); r.Usage.Hours != 5 {
			t.Fatalf("resource %s: %d hours", id, r.Usage.Hours)
		}
	}
	if d, _ := before.Sub(e.balance("alice")); !d.Equal(usd("5.00")) { // 10 × 5 h × 0.10
		t.Fatalf("charged %s, want 5.00", d)
	}
	in, _ := e.saas.Instance(e.resource(o.ResourceID).App.InstanceID)
	if len(in.Refreshes) != 1 || len(e.saas.CallsTo(provisioning.OpRefresh)) != 2 {
		t.Fatalf("%d refreshes from %d calls", len(in.Refreshes), len(e.saas.CallsTo(provisioning.OpRefresh)))
	}
}

// outagePort is a host payment port (not the default) that can be down.
type outagePort struct {
	marketplace.PaymentPort
	down bool
}

func (p *outagePort) Charge(ctx context.Context, req marketplace.ChargeRequest) (marketplace.Receipt, error) {
	if p.down {
		return marketplace.Receipt{}, fmt.Errorf("%w: gateway timeout at https://pay.example/charge?key=secret", marketplace.ErrUnavailable)
	}
	return p.PaymentPort.Charge(ctx, req)
}

// declinePort is a host payment port that declines every charge with its
// own text (as a port may: not a *PaymentError), naming its gateway.
type declinePort struct{ marketplace.PaymentPort }

func (declinePort) Charge(context.Context, marketplace.ChargeRequest) (marketplace.Receipt, error) {
	return marketplace.Receipt{}, fmt.Errorf("gateway https://10.1.2.3/charge?key=secret: card refused: %w", marketplace.ErrPaymentFailed)
}

// TestUsageDeclineToldToBuyer: a declined hourly charge puts the resource
// in arrears and tells the buyer it was declined, not the port's text.
func TestUsageDeclineToldToBuyer(t *testing.T) {
	port := &outagePort{}
	e := newEnvWithStore(t, nil, marketplace.WithPayments(lazyPort{func() marketplace.PaymentPort { return port }}))
	port.PaymentPort = marketplace.NewBalancePayments(e.store, e.clock.Now, nil)
	p := e.metered("Metered API", "0.10")
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "meter", Mode: billing.PayPerUse}}, nil)
	port.PaymentPort = declinePort{port.PaymentPort}
	e.advance(2 * time.Hour)
	r := e.resource(o.ResourceID)
	if r.Usage.ArrearsSince == nil || r.Usage.LastError != "the payment was declined" {
		t.Errorf("after a declined charge: arrears since %v, LastError %q", r.Usage.ArrearsSince, r.Usage.LastError)
	}
}

// TestUsageChargeOutage: a payment port that is down is not the buyer's
// arrears: the hours wait and are charged once it is back, each recorded
// as a payment.
func TestUsageChargeOutage(t *testing.T) {
	port := &outagePort{}
	e := newEnvWithStore(t, nil, marketplace.WithPayments(lazyPort{func() marketplace.PaymentPort { return port }}))
	port.PaymentPort = marketplace.NewBalancePayments(e.store, e.clock.Now, nil)
	p := e.metered("Metered API", "0.10")
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "meter", Mode: billing.PayPerUse}}, nil)
	port.down = true
	e.advance(2 * time.Hour)
	r := e.resource(o.ResourceID)
	if r.Status != marketplace.ResourceActive || r.Usage.ArrearsSince != nil || r.Usage.Hours != 0 || r.Usage.LastError == "" {
		t.Fatalf("during the outage: %s %+v", r.Status, r.Usage)
	}
	// The buyer reads LastError: it says what happened, not the port's
	// text (which may name the gateway's address).
	if want := "the payment service is unavailable; the charge is retried"; r.Usage.LastError != want {
		t.Errorf("LastError = %q, want %q", r.Usage.LastError, want)
	}
	port.down = false
	e.advance(5 * time.Minute)
	r = e.resource(o.ResourceID)
	if r.Usage.Hours != 2 || !r.Usage.Charged.Equal(usd("0.20")) {
		t.Fatalf("after the outage: %+v", r.Usage)
	}
	pg := must(e.store.ListPayments(ctx, marketplace.PaymentQuery{OrderID: o.ID, Limit: 100}))(t)
	recorded := 0 // the marketplace records a host port's charges, with the port's reference
	for _, pay := range pg.Items {
		if pay.Reference != "" && strings.HasPrefix(pay.IdempotencyKey, "usage:"+r.ID+":") {
			recorded++
		}
	}
	if recorded != 2 {
		t.Fatalf("%d usage payments recorded, want 2: %+v", recorded, pg.Items)
	}
}

// lazyPort resolves the port at call time (the test builds it after the
// service).
type lazyPort struct {
	get func() marketplace.PaymentPort
}

func (l lazyPort) Charge(ctx context.Context, req marketplace.ChargeRequest) (marketplace.Receipt, error) {
	return l.get().Charge(ctx, req)
}

func (l lazyPort) Refund(ctx context.Context, req marketplace.RefundRequest) (marketplace.Receipt, error) {
	return l.get().Refund(ctx, req)
}

// TestEndPayPerUse: the buyer ends a pay-per-use purchase: the hours used
// are charged (the hour under way as a whole one), the resource is
// unsubscribed and released at the seller, and nothing more is charged.
// A buyer who cannot pay the final hours cannot end it.
func TestEndPayPerUse(t *testing.T) {
	e := newEnv(t)
	p := e.metered("Metered API", "0.10")
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "meter", Mode: billing.PayPerUse}}, nil)
	before := e.balance("alice")
	e.clock.Advance(30*time.Hour + 10*time.Minute) // the runner has not run: 31 hours to settle
	_, err := e.svc.EndPayPerUse(ctx, other, o.ResourceID)
	wantErr(t, err, marketplace.ErrNotFound)
	r := must(e.svc.EndPayPerUse(ctx, buyer, o.ResourceID))(t)
	if r.Status != marketplace.ResourceUnsubscribed || r.Usage.Hours != 31 || !r.Usage.Charged.Equal(usd("3.10")) {
		t.Fatalf("ended: %s %+v", r.Status, r.Usage)
	}
	if d, _ := before.Sub(e.balance("alice")); !d.Equal(usd("3.10")) {
		t.Fatalf("charged %s", d)
	}
	if in, _ := e.saas.Instance(r.App.InstanceID); in.State != fake.InstanceReleased {
		t.Fatalf("instance %s", in.State)
	}
	e.advance(48 * time.Hour)
	if d, _ := before.Sub(e.balance("alice")); !d.Equal(usd("3.10")) {
		t.Fatalf("charged %s after the end", d)
	}
	_, err = e.svc.EndPayPerUse(ctx, buyer, o.ResourceID)
	wantErr(t, err, marketplace.ErrConflict)
	// Not pay-per-use.
	m := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	_, err = e.svc.EndPayPerUse(ctx, buyer, m.ResourceID)
	wantErr(t, err, marketplace.ErrConflict)
	// Dave cannot pay his final hour: the resource stays, in arrears.
	dave := marketplace.BuyerActor("dave")
	d := e.buy(dave, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "meter", Mode: billing.PayPerUse}}, nil)
	e.clock.Advance(10 * time.Minute)
	_, err = e.svc.EndPayPerUse(ctx, dave, d.ResourceID)
	wantErr(t, err, marketplace.ErrPaymentFailed)
	if g := e.resource(d.ResourceID); g.Status != marketplace.ResourceGrace {
		t.Fatalf("dave's resource %s", g.Status)
	}
}

// TestEndPayPerUseResellerCustomer: a reseller's customer's pay-per-use
// purchase is not metered here (the reseller bills its customer), and it
// is ended like any other: unsubscribed, released at the seller or the
// cloud, with the same event, and nothing charged.
func TestEndPayPerUseResellerCustomer(t *testing.T) {
	dave := marketplace.ResellerCustomer("dave", "reseller1")
	quick := &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s3.small.1", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}
	type got struct {
		Status          marketplace.ResourceStatus
		Released        bool // ReleasedAt set
		Event           bool // resource.unsubscribed
		Servers         int
		ReleasedServers int
		Instance        fake.InstanceState
		Charges         int // usage charged and payments recorded after the purchase
	}
	for _, c := range []struct {
		name string
		buy  func(e *env) marketplace.Order
		want got
	}{
		{"SaaS", func(e *env) marketplace.Order {
			p := e.metered("Metered API", "0.10")
			return e.buy(dave, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "meter", Mode: billing.PayPerUse}}, nil)
		}, got{Status: marketplace.ResourceUnsubscribed, Released: true, Event: true, Instance: fake.InstanceReleased}},
		{"image", func(e *env) marketplace.Order {
			return e.buy(dave, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.PayPerUse, Image: quick}}, &pw)
		}, got{Status: marketplace.ResourceUnsubscribed, Released: true, Event: true, ReleasedServers: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			o := c.buy(e)
			if r := e.resource(o.ResourceID); r.Status != marketplace.ResourceActive || r.Usage != nil {
				t.Fatalf("bought: %s, usage %+v", r.Status, r.Usage)
			}
			payments := func() int {
				return must(e.store.ListPayments(ctx, marketplace.PaymentQuery{BuyerID: "dave", Limit: 100}))(t).Total
			}
			bought := payments() // the reference order's
			e.advance(30*time.Hour + 10*time.Minute)
			_, err := e.svc.EndPayPerUse(ctx, marketplace.ResellerCustomer("erin", "reseller1"), o.ResourceID)
			wantErr(t, err, marketplace.ErrNotFound)
			must(e.svc.EndPayPerUse(ctx, dave, o.ResourceID))(t)
			e.advance(48 * time.Hour)
			r := e.resource(o.ResourceID)
			g := got{Status: r.Status, Released: r.ReleasedAt != nil, Event: e.hasEvent(r.ID, "resource.unsubscribed"),
				Servers: len(r.App.Servers), ReleasedServers: len(r.App.ReleasedServers)}
			if r.App.InstanceID != "" {
				in, _ := e.saas.Instance(r.App.InstanceID)
				g.Instance = in.State
			}
			for _, ev := range e.events() {
				if ev.AggregateID == r.ID && ev.Type == "resource.usage_charged" {
					g.Charges++
				}
			}
			g.Charges += payments() - bought
			if diff := cmp.Diff(c.want, g); diff != "" {
				t.Errorf("ended (-want +got):\n%s", diff)
			}
			_, err = e.svc.EndPayPerUse(ctx, dave, o.ResourceID)
			wantErr(t, err, marketplace.ErrConflict)
		})
	}
	// A reseller's customer's monthly purchase is still not ended this way.
	e := newEnv(t)
	m := e.buy(dave, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1}}, nil)
	_, err := e.svc.EndPayPerUse(ctx, dave, m.ResourceID)
	wantErr(t, err, marketplace.ErrConflict)
}
