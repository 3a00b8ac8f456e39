package marketplace_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/provisioning/fake"
)

// countingStore counts the store's read-write transactions that commit.
type countingStore struct {
	*memory.Store
	commits atomic.Int64
}

func (c *countingStore) Update(ctx context.Context, fn func(tx marketplace.Tx) error) error {
	err := c.Store.Update(ctx, fn)
	if err == nil {
		c.commits.Add(1)
	}
	return err
}

// countingPort is a payment port outside the store: it counts its charges.
type countingPort struct {
	marketplace.PaymentPort
	charges atomic.Int64
}

func (p *countingPort) Charge(ctx context.Context, req marketplace.ChargeRequest) (marketplace.Receipt, error) {
	p.charges.Add(1)
	return p.PaymentPort.Charge(ctx, req)
}

// txPort is a host's port that opts into charging in the transaction.
type txPort struct {
	countingPort
	bp       *marketplace.BalancePayments
	txCharge atomic.Int64
}

func (p *txPort) ChargesIn(st marketplace.Store) bool { return p.bp.ChargesIn(st) }

func (p *txPort) ChargeTx(tx marketplace.Tx, req marketplace.ChargeRequest) (marketplace.Receipt, error) {
	p.txCharge.Add(1)
	return p.bp.ChargeTx(tx, req)
}

// TestPayNow: placing and paying in one call, in one transaction when the
// payment stays in the store.
func TestPayNow(t *testing.T) {
	type want struct {
		Commits     int64 // transactions committed by CreateOrder
		Status      marketplace.OrderStatus
		Method      marketplace.PaymentMethod
		Balance     string
		PortCharges int64 // calls of the external port's Charge
		TxCharges   int64 // calls of a TxCharger's ChargeTx
	}
	tests := []struct {
		name   string
		port   string // "", "external", "tx"
		credit bool
		want   want
	}{
		{"balance payments: one transaction", "", false,
			want{Commits: 1, Status: marketplace.OrderProcessing, Method: marketplace.PayBalance, Balance: "9100.00"}},
		{"credit account: one transaction, no balance moved", "", true,
			want{Commits: 1, Status: marketplace.OrderProcessing, Method: marketplace.PayCredit, Balance: "10000.00"}},
		{"host port charging in the transaction", "tx", false,
			want{Commits: 1, Status: marketplace.OrderProcessing, Method: marketplace.PayBalance, Balance: "9100.00", TxCharges: 1}},
		// The order, its pending charge (recorded before the port is
		// called), then its payment (the port's charge commits in the
		// port's own store, not counted here).
		{"external port: created, then paid", "external", false,
			want{Commits: 3, Status: marketplace.OrderProcessing, Method: marketplace.PayBalance, Balance: "9100.00", PortCharges: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := &countingStore{Store: memory.New()}
			var ext *countingPort
			var tp *txPort
			var opts []marketplace.Option
			switch tt.port {
			case "external":
				ext = &countingPort{}
				opts = append(opts, marketplace.WithPayments(ext))
			case "tx":
				tp = &txPort{}
				opts = append(opts, marketplace.WithPayments(tp))
			}
			e := newEnvWithStore(t, cs, opts...)
			if ext != nil {
				ext.PaymentPort = marketplace.NewBalancePayments(cs.Store, e.clock.Now, nil) // hidden behind countingPort: called outside transactions
			}
			if tp != nil {
				tp.bp = marketplace.NewBalancePayments(cs, e.clock.Now, nil)
				tp.PaymentPort = tp.bp
			}
			if tt.credit {
				must(e.svc.SetCredit(ctx, operator, "alice", true))(t)
			}
			in := licenseOrder(e, e.license, billing.Yearly)
			in.AgreeTerms, in.IdempotencyKey, in.PayNow = true, "now", true
			before := cs.commits.Load()
			o := must(e.svc.CreateOrder(ctx, buyer, in))(t)
			got := want{Commits: cs.commits.Load() - before, Status: o.Status, Method: o.PaymentMethod, Balance: e.balance("alice").Amount.StringFixed(2)}
			if ext != nil {
				got.PortCharges = ext.charges.Load()
			}
			if tp != nil {
				got.PortCharges, got.TxCharges = tp.charges.Load(), tp.txCharge.Load()
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("PayNow (-want +got):\n%s", diff)
			}
			if o.PaidAt == nil || o.ResourceID == "" || o.FlowID == "" {
				t.Fatalf("order not fulfilled: paid %v resource %q flow %q", o.PaidAt, o.ResourceID, o.FlowID)
			}
			if stored := e.order(o.ID); stored.Version != o.Version || stored.Status != o.Status {
				t.Fatalf("returned order v%d %s, stored v%d %s", o.Version, o.Status, stored.Version, stored.Status)
			}
			// The same key again: the same order, charged once.
			again := must(e.svc.CreateOrder(ctx, buyer, in))(t)
			if again.ID != o.ID || e.balance("alice").Amount.StringFixed(2) != tt.want.Balance {
				t.Fatalf("repeat: order %s (want %s), balance %s", again.ID, o.ID, e.balance("alice"))
			}
		})
	}
}

// TestPayNowRefusals: a payment that fails leaves no order behind on the
// in-store path; image orders are refused before anything is written.
func TestPayNowRefusals(t *testing.T) {
	tests := []struct {
		name    string
		product func(e *env) marketplace.CreateOrderInput
		topUp   bool
		want    error
	}{
		{"insufficient balance", func(e *env) marketplace.CreateOrderInput {
			return licenseOrder(e, e.license, billing.Yearly)
		}, false, marketplace.ErrPaymentFailed},
		{"image order", func(e *env) marketplace.CreateOrderInput {
			return marketplace.CreateOrderInput{QuoteInput: imageQuote(e)}
		}, true, marketplace.ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			in := tt.product(e)
			in.AgreeTerms, in.IdempotencyKey, in.PayNow = true, "refused", true
			as := buyer
			if !tt.topUp {
				as = other // bob has no balance
				must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "bob", Amount: usd("1.00")}))(t)
			}
			before := len(e.events())
			_, err := e.svc.CreateOrder(ctx, as, in)
			wantErr(t, err, tt.want)
			if n := len(e.events()) - before; n != 0 {
				t.Fatalf("a refused PayNow wrote %d events", n)
			}
			pg := must(e.svc.ListOrders(ctx, as, marketplace.ListOrdersInput{}))(t)
			if len(pg.Items) != 0 {
				t.Fatalf("a refused PayNow left %d orders", len(pg.Items))
			}
		})
	}
}

// TestPayNowAfterPlainCreate: a key first used without PayNow returns the
// same order with it, now paid; an order already paid is not paid twice.
func TestPayNowAfterPlainCreate(t *testing.T) {
	e := newEnv(t)
	in := licenseOrder(e, e.license, billing.Yearly)
	in.AgreeTerms, in.IdempotencyKey = true, "later"
	o := must(e.svc.CreateOrder(ctx, buyer, in))(t)
	if o.Status != marketplace.OrderPendingPayment {
		t.Fatalf("status %s", o.Status)
	}
	in.PayNow = true
	paid := must(e.svc.CreateOrder(ctx, buyer, in))(t)
	if paid.ID != o.ID || paid.Status != marketplace.OrderProcessing {
		t.Fatalf("PayNow on the key's order: %s %s", paid.ID, paid.Status)
	}
	must(e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: o.ID}))(t)
	if got := e.balance("alice"); !got.Equal(usd("9100.00")) {
		t.Fatalf("balance %s", got)
	}
	// Another input under the key is still a mismatch.
	in.Duration = 2
	_, err := e.svc.CreateOrder(ctx, buyer, in)
	wantErr(t, err, marketplace.ErrIdempotencyMismatch)
}

// TestPayNowSaaS: a SaaS order paid at once is provisioned after the
// commit, as PayOrder does.
func TestPayNowSaaS(t *testing.T) {
	e := newEnv(t)
	in := marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.saasPlain.ID, SpecID: "basic", Mode: billing.Monthly, Duration: 1, Quantity: 1},
		AgreeTerms: true, IdempotencyKey: "saas", PayNow: true}
	o := must(e.svc.CreateOrder(ctx, buyer, in))(t)
	if o.Provisioning.Phase != marketplace.PhaseDone || o.Status != marketplace.OrderCompleted {
		t.Fatalf("SaaS PayNow: phase %s status %s", o.Provisioning.Phase, o.Status)
	}
}

// TestPayNowConcurrentSameKey: 100 buyers' retries with one key at once
// make one order, charged once.
func TestPayNowConcurrentSameKey(t *testing.T) {
	e := newEnv(t)
	in := licenseOrder(e, e.license, billing.Yearly)
	in.AgreeTerms, in.IdempotencyKey, in.PayNow = true, "same", true
	const n = 100
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, err := e.svc.CreateOrder(ctx, buyer, in)
			ids[i], errs[i] = o.ID, err
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("call %d made order %s, call 0 %s", i, ids[i], ids[0])
		}
	}
	pg := must(e.svc.ListOrders(ctx, buyer, marketplace.ListOrdersInput{}))(t)
	if len(pg.Items) != 1 || pg.Items[0].Status != marketplace.OrderProcessing {
		t.Fatalf("orders: %d", len(pg.Items))
	}
	if got := e.balance("alice"); !got.Equal(usd("9100.00")) {
		t.Fatalf("balance %s: charged more than once", got)
	}
	charges := 0
	for _, ev := range e.events() {
		if ev.Type == "account.charge" {
			charges++
		}
	}
	if charges != 1 {
		t.Fatalf("%d charge events", charges)
	}
}

// TestChargesIn: the default port charges in a transaction of its own
// store only.
func TestChargesIn(t *testing.T) {
	st := memory.New()
	p := marketplace.NewBalancePayments(st, nil, nil)
	for _, tt := range []struct {
		name  string
		store marketplace.Store
		want  bool
	}{
		{"own store", st, true},
		{"another store", memory.New(), false},
		{"uncomparable store", uncomparableStore{Store: st}, false},
	} {
		if got := p.ChargesIn(tt.store); got != tt.want {
			t.Errorf("%s: ChargesIn = %v, want %v", tt.name, got, tt.want)
		}
	}
	_, err := p.ChargeTx(nil, marketplace.ChargeRequest{AccountID: "a", Amount: usd("1")})
	wantErr(t, err, marketplace.ErrInvalidInput)
}

// uncomparableStore cannot be compared with ==.
type uncomparableStore struct {
	marketplace.Store
	_ []int
}

func imageQuote(e *env) marketplace.QuoteInput {
	return marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly, Duration: 1, Image: &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, VPC: "v", Subnet: "s", SecurityGroup: "sg-open"}}
}

// TestImageQuantityIsServers: an image is priced per server, so the quoted
// quantity is the number of servers deployed (image.quantity in customized
// mode, one in quick mode), and an explicit quantity that differs, or an
// image.quantity in quick mode, is refused before anything is written.
func TestImageQuantityIsServers(t *testing.T) {
	e := newEnv(t)
	choice := func(mode string, n int) *marketplace.ImageChoice {
		if mode == "quick" {
			return &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1",
				SecurityGroup: "sg-open", Quantity: n}
		}
		return &marketplace.ImageChoice{Mode: "customized", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1",
			SecurityGroup: "sg-open", Name: "web", Quantity: n, SystemDisk: "SAS", SystemDiskGiB: 40}
	}
	for _, c := range []struct {
		name     string
		mode     string // image.mode
		quantity int
		servers  int    // image.quantity
		want     string // total, or "" for an input error
	}{
		{"one server", "customized", 0, 1, "90.37"},
		{"image.quantity left out is one server", "customized", 0, 0, "90.37"},
		{"three servers, quantity left out", "customized", 0, 3, "271.11"},
		{"three servers, quantity equal", "customized", 3, 3, "271.11"},
		{"quantity disagrees with servers", "customized", 2, 3, ""},
		{"quantity one, five servers", "customized", 1, 5, ""},
		{"quantity five, image.quantity left out", "customized", 5, 0, ""},
		{"negative image.quantity", "customized", 0, -1, ""},
		{"quick: one server", "quick", 0, 0, "90.37"},
		{"quick: quantity one", "quick", 1, 0, "90.37"},
		{"quick: image.quantity one", "quick", 0, 1, "90.37"},
		{"quick: image.quantity four", "quick", 0, 4, ""},
		{"quick: quantity four", "quick", 4, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			q, err := e.svc.Quote(ctx, buyer, marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly,
				Duration: 1, Quantity: c.quantity, Image: choice(c.mode, c.servers)})
			if c.want == "" {
				if !errors.Is(err, marketplace.ErrInvalidInput) {
					t.Fatalf("err = %v, want ErrInvalidInput", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !q.Total.Equal(usd(c.want)) {
				t.Errorf("total = %s, want %s", q.Total, c.want)
			}
		})
	}
}

// TestImageOrderPaysForServersDeployed: an image order is priced for, and
// renews, exactly the servers it deploys; a mismatched checkout is refused
// and leaves no order behind.
func TestImageOrderPaysForServersDeployed(t *testing.T) {
	type got struct {
		Quantity, Servers, Renewal int
		Amount                     string
	}
	custom := &marketplace.ImageChoice{Mode: "customized", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1",
		SecurityGroup: "sg-open", Name: "web", Quantity: 5, SystemDisk: "SAS", SystemDiskGiB: 40}
	quick := &marketplace.ImageChoice{Mode: "quick", Region: fake.Region, Flavor: "s6.xlarge.2", VPC: "vpc-1", Subnet: "subnet-1", SecurityGroup: "sg-open"}
	for _, c := range []struct {
		name     string
		quantity int
		image    *marketplace.ImageChoice
		want     *got // nil: refused with ErrInvalidInput
	}{
		{"customized, five servers", 0, custom, &got{Quantity: 5, Servers: 5, Renewal: 5, Amount: "451.85"}},
		{"customized, quantity one for five servers", 1, custom, nil},
		{"quick, one server", 0, quick, &got{Quantity: 1, Servers: 1, Renewal: 1, Amount: "90.37"}},
		{"quick, image.quantity four", 0, func() *marketplace.ImageChoice { q := *quick; q.Quantity = 4; return &q }(), nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			in := marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.image.ID, SpecID: "img", Mode: billing.Monthly,
				Duration: 1, Quantity: c.quantity, Image: c.image}, AgreeTerms: true, IdempotencyKey: "k"}
			if c.want == nil {
				_, err := e.svc.CreateOrder(ctx, buyer, in)
				wantErr(t, err, marketplace.ErrInvalidInput)
				if pg := must(e.svc.ListOrders(ctx, buyer, marketplace.ListOrdersInput{}))(t); len(pg.Items) != 0 {
					t.Errorf("a refused checkout left %d orders", len(pg.Items))
				}
				return
			}
			o := e.buy(buyer, in, &pw)
			r := e.resource(o.ResourceID)
			ro := must(e.svc.Renew(ctx, buyer, marketplace.RenewInput{ResourceID: r.ID, Duration: 1, IdempotencyKey: "renew"}))(t)
			g := got{Quantity: o.Quantity, Servers: len(r.App.Servers), Renewal: ro.Quantity, Amount: o.Amount.Amount.StringFixed(2)}
			if diff := cmp.Diff(*c.want, g); diff != "" {
				t.Errorf("order (-want +got):\n%s", diff)
			}
		})
	}
}
