package marketplace_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
	"github.com/opengallery/opengallery/supervision"
)

var ctx = context.Background()

var decimalEq = cmp.Comparer(func(a, b decimal.Decimal) bool { return a.Equal(b) })

// start is Monday 2026-01-05 10:30 UTC (18:30 GMT+08:00).
var start = time.Date(2026, 1, 5, 10, 30, 0, 0, time.UTC)

var (
	operator = marketplace.OperatorActor("op1")
	seller   = marketplace.SellerActor("isv1")
	buyer    = marketplace.BuyerActor("alice")
	other    = marketplace.BuyerActor("bob")
	seller2  = marketplace.SellerActor("isv2")
)

func usd(s string) billing.Money { return billing.MustMoney(s, billing.USD) }

type env struct {
	t     testing.TB
	svc   *marketplace.Service
	store *memory.Store
	clock *marketplace.SimClock
	saas  *fake.SaaS
	dep   *fake.Deployer
	n     int // idempotency keys made by buy
	// products by name
	license, licenseMonthly, saasPlain, saasSup, pro, image marketplace.Product
}

func newEnv(t testing.TB, opts ...marketplace.Option) *env {
	t.Helper()
	return newEnvWithStore(t, nil, opts...)
}

// newEnvWithStore builds the environment over st (a fresh memory store
// when nil).
func newEnvWithStore(t testing.TB, st marketplace.Store, opts ...marketplace.Option) *env {
	t.Helper()
	mem := memory.New()
	if st == nil {
		st = mem
	} else if f, ok := st.(*flakyStore); ok {
		mem = f.Store
	} else if h, ok := st.(*hookStore); ok {
		mem = h.Store
	} else if c, ok := st.(*updateCountStore); ok {
		mem = c.Store
	}
	e := &env{t: t, store: mem, clock: marketplace.NewSimClock(start), saas: fake.NewSaaS(),
		dep: fake.NewDeployer(fake.WithSecurityGroups(fake.OpenSecurityGroup()))}
	all := append([]marketplace.Option{
		marketplace.WithClock(e.clock), marketplace.WithIDGenerator(&marketplace.SequentialIDs{}),
		marketplace.WithSaaS(e.saas), marketplace.WithDeployer(e.dep, fake.Catalog()),
		marketplace.WithCredentialKey([]byte("0123456789abcdef0123456789abcdef")),
		marketplace.WithLogger(slog.New(slog.DiscardHandler)),
	}, opts...)
	svc, err := marketplace.New(st, all...)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	must(svc.RegisterSeller(ctx, operator, marketplace.SellerInput{ID: "isv1", Name: "Contoso Software", SupportEmail: "help@contoso.example", SupportPhone: "+1 555 0100", Certified: true}))(t)
	must(svc.RegisterSeller(ctx, operator, marketplace.SellerInput{ID: "isv2", Name: "Other ISV", SupportEmail: "help@other.example"}))(t)
	e.license = e.publish(seller, licenseInput("Antivirus License", billing.Yearly, "900.00"))
	e.licenseMonthly = e.publish(seller, licenseInput("Backup License", billing.Monthly, "5.00"))
	e.saasPlain = e.publish(seller, saasInput("Mail Hosting", false, false))
	e.saasSup = e.publish(seller, saasInput("CRM Cloud", true, true))
	e.pro = e.publish(seller, marketplace.ProductInput{
		Name: "Migration Service", Description: "We migrate your data", Category: "services", Delivery: marketplace.DeliveryProfessional,
		Supervised: true, FlowTemplate: "standard",
		Specs: []marketplace.Specification{{ID: "std", Name: "Standard", Pricing: billing.Pricing{Plans: []billing.PricePlan{{Mode: billing.OneTime, UnitPrice: usd("300.00")}}}}},
	})
	e.image = e.publish(seller, marketplace.ProductInput{
		Name: "LAMP Stack Image", Description: "Linux, Apache, MySQL, PHP", Category: "devops", Delivery: marketplace.DeliveryImage,
		OperatingSystems: []string{"Linux"}, Image: &marketplace.ImageInfo{Regions: []string{fake.Region}, Versions: []string{"1.0"}},
		Specs: []marketplace.Specification{{ID: "img", Name: "Standard", Pricing: billing.Pricing{Plans: []billing.PricePlan{
			{Mode: billing.Monthly, UnitPrice: usd("20.00")}, {Mode: billing.PayPerUse, UnitPrice: usd("0.05")}}}}},
	})
	must(svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "alice", Amount: usd("10000.00")}))(t)
	return e
}

func licenseInput(name string, mode billing.Mode, price string) marketplace.ProductInput {
	return marketplace.ProductInput{
		Name: name, Description: "A software license", Category: "security", Delivery: marketplace.DeliveryLicense,
		OperatingSystems: []string{"Windows"}, Supervised: true, FlowTemplate: "license", SupportRange: "9-18 Mon-Fri",
		Specs: []marketplace.Specification{{ID: "std", Name: "Standard", Pricing: billing.Pricing{Plans: []billing.PricePlan{{Mode: mode, UnitPrice: usd(price)}}}}},
	}
}

func saasInput(name string, supervised, review bool) marketplace.ProductInput {
	in := marketplace.ProductInput{
		Name: name, Description: "Hosted " + name, Category: "productivity", Delivery: marketplace.DeliverySaaS, GuideURL: "https://docs.example/" + name,
		Specs: []marketplace.Specification{
			{ID: "basic", Name: "Basic", QuantityName: "number of licenses", Upgradable: true, Pricing: billing.Pricing{Plans: []billing.PricePlan{
				{Mode: billing.Monthly, UnitPrice: usd("5.00"), Quantity: billing.CountRange{Min: 1, Max: 100}},
				{Mode: billing.Yearly, UnitPrice: usd("50.00"), Quantity: billing.CountRange{Min: 1, Max: 100}}}}},
			{ID: "pro", Name: "Pro", QuantityName: "number of licenses", Upgradable: true, Pricing: billing.Pricing{Plans: []billing.PricePlan{
				{Mode: billing.Monthly, UnitPrice: usd("8.00"), Quantity: billing.CountRange{Min: 1, Max: 100}}}}},
		},
	}
	if supervised {
		in.Supervised, in.FlowTemplate, in.ReviewDelivery = true, "saas", review
	}
	return in
}

// publish creates, submits and approves a product.
func (e *env) publish(as marketplace.Actor, in marketplace.ProductInput) marketplace.Product {
	e.t.Helper()
	p := must(e.svc.CreateProduct(ctx, as, in))(e.t)
	must(e.svc.SubmitProduct(ctx, as, p.ID))(e.t)
	return must(e.svc.ReviewProduct(ctx, operator, marketplace.ReviewInput{ProductID: p.ID, Approve: true}))(e.t)
}

// buy creates and pays an order.
func (e *env) buy(as marketplace.Actor, in marketplace.CreateOrderInput, login *marketplace.ImageLogin) marketplace.Order {
	e.t.Helper()
	in.AgreeTerms = true
	if in.IdempotencyKey == "" {
		e.n++
		in.IdempotencyKey = fmt.Sprintf("k-%d", e.n)
	}
	o := must(e.svc.CreateOrder(ctx, as, in))(e.t)
	return must(e.svc.PayOrder(ctx, as, marketplace.PayInput{OrderID: o.ID, Login: login}))(e.t)
}

func (e *env) act(as marketplace.Actor, flowID string, action supervision.Action, mod ...func(*marketplace.FlowActionInput)) marketplace.Flow {
	e.t.Helper()
	in := marketplace.FlowActionInput{FlowID: flowID, Action: action}
	for _, m := range mod {
		m(&in)
	}
	return must(e.svc.Act(ctx, as, in))(e.t)
}

// advance moves the clock and runs the due work.
func (e *env) advance(d time.Duration) marketplace.RunReport {
	e.t.Helper()
	e.clock.Advance(d)
	rep, err := e.svc.RunDue(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return rep
}

// advanceTo moves the clock to t in steps of at most step, running the due
// work after each.
func (e *env) advanceTo(t time.Time, step time.Duration) {
	e.t.Helper()
	for e.clock.Now().Before(t) {
		d := min(step, t.Sub(e.clock.Now()))
		e.advance(d)
	}
}

func (e *env) order(id string) marketplace.Order {
	e.t.Helper()
	return must(e.svc.GetOrder(ctx, operator, id))(e.t)
}

func (e *env) resource(id string) marketplace.Resource {
	e.t.Helper()
	return must(e.svc.GetResource(ctx, operator, id))(e.t)
}

func (e *env) balance(id string) billing.Money {
	e.t.Helper()
	return must(e.svc.GetAccount(ctx, operator, id))(e.t).Balance
}

func (e *env) events() []marketplace.Event {
	e.t.Helper()
	var out []marketplace.Event
	after := int64(0)
	for {
		evs := must(e.svc.Events(ctx, operator, after, 1000))(e.t)
		if len(evs) == 0 {
			return out
		}
		out = append(out, evs...)
		after = evs[len(evs)-1].Seq
	}
}

func (e *env) hasEvent(aggregate, typ string) bool {
	for _, ev := range e.events() {
		if ev.AggregateID == aggregate && ev.Type == typ {
			return true
		}
	}
	return false
}

// must returns v, failing the test on err: must(f())(t).
func must[T any](v T, err error) func(testing.TB) T {
	return func(t testing.TB) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

// wantErr fails unless err matches target.
func wantErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("got error %v, want %v", err, target)
	}
}

var _ = provisioning.Secret{}

// hookStore runs a hook once, the next time the Service calls one of the
// queries it makes before a transaction (ListUnsubscribeRequests,
// ListInvoices, ListPayments), just after that query read: a deterministic interleaving
// in which another request commits after this one read what it queried.
type hookStore struct {
	*memory.Store
	mu    sync.Mutex
	hooks map[string]func()
}

// interleave sets the hook the next call of the query named runs.
func (h *hookStore) interleave(query string, f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.hooks == nil {
		h.hooks = map[string]func(){}
	}
	h.hooks[query] = f
}

func (h *hookStore) runHook(query string) {
	h.mu.Lock()
	f := h.hooks[query]
	delete(h.hooks, query)
	h.mu.Unlock()
	if f != nil {
		f()
	}
}

func (h *hookStore) ListUnsubscribeRequests(ctx context.Context, q marketplace.UnsubscribeQuery) (marketplace.Page[marketplace.UnsubscribeRequest], error) {
	pg, err := h.Store.ListUnsubscribeRequests(ctx, q)
	h.runHook("ListUnsubscribeRequests")
	return pg, err
}

func (h *hookStore) ListInvoices(ctx context.Context, q marketplace.InvoiceQuery) (marketplace.Page[marketplace.Invoice], error) {
	pg, err := h.Store.ListInvoices(ctx, q)
	h.runHook("ListInvoices")
	return pg, err
}

func (h *hookStore) ListPayments(ctx context.Context, q marketplace.PaymentQuery) (marketplace.Page[marketplace.Payment], error) {
	pg, err := h.Store.ListPayments(ctx, q)
	h.runHook("ListPayments")
	return pg, err
}
