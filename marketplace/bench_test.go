package marketplace_test

import (
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opengallery/opengallery/adapters/memory"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
	"github.com/opengallery/opengallery/supervision"
)

// BenchmarkPlaceAndPay creates and pays one order of a supervised license
// (order, payment, resource, flow, events) on the memory store.
func BenchmarkPlaceAndPay(b *testing.B) {
	e := newEnv(b, marketplace.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "alice", Amount: usd("1000000000.00")}))(b)
	in := licenseOrder(e, e.license, billing.Yearly)
	in.AgreeTerms = true
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		in.IdempotencyKey = fmt.Sprint("bench-", i)
		o, err := e.svc.CreateOrder(ctx, buyer, in)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := e.svc.PayOrder(ctx, buyer, marketplace.PayInput{OrderID: o.ID}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineStoreWrites is the baseline of BenchmarkPlaceAndPay:
// the bare store writes of one placed and paid order (order, idempotency
// record, account, payment, resource, flow, four events) in the same
// number of memory-store transactions (create, charge, pay).
func BenchmarkBaselineStoreWrites(b *testing.B) {
	st := memory.New()
	now := start
	acc := marketplace.Account{ID: "alice", Balance: usd("1000000000.00"), CreditUsed: usd("0")}
	if err := st.Update(ctx, func(tx marketplace.Tx) error { return tx.PutAccount(&acc) }); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprint(i)
		o := marketplace.Order{ID: "o" + id, BuyerID: "alice", Amount: usd("900.00"), CreatedAt: now, PayBy: now, Status: marketplace.OrderPendingPayment,
			Lines: []marketplace.OrderLine{{Description: "x", Amount: usd("900.00")}}}
		_ = st.Update(ctx, func(tx marketplace.Tx) error {
			_ = tx.PutOrder(&o)
			_ = tx.PutIdempotency(marketplace.IdempotencyRecord{Key: "k" + id, ResultID: o.ID})
			return tx.AppendEvent(&marketplace.Event{At: now, Kind: marketplace.KindOrder, AggregateID: o.ID, Type: "order.created"})
		})
		_ = st.Update(ctx, func(tx marketplace.Tx) error {
			a, _ := tx.Account("alice")
			a.Balance, _ = a.Balance.Sub(o.Amount)
			_ = tx.PutAccount(&a)
			p := marketplace.Payment{ID: "p" + id, OrderID: o.ID, Amount: o.Amount}
			_ = tx.PutPayment(&p)
			_ = tx.PutIdempotency(marketplace.IdempotencyRecord{Key: "pay" + id, ResultID: p.ID})
			return tx.AppendEvent(&marketplace.Event{At: now, Kind: marketplace.KindAccount, AggregateID: "alice", Type: "account.charge"})
		})
		_ = st.Update(ctx, func(tx marketplace.Tx) error {
			o, _ := tx.Order(o.ID)
			o.Status = marketplace.OrderProcessing
			r := marketplace.Resource{ID: "r" + id, BuyerID: "alice", Paid: o.Amount, PurchasedAt: now}
			f := marketplace.Flow{ID: "f" + id, BuyerID: "alice", CreatedAt: now}
			_ = tx.PutResource(&r)
			_ = tx.PutFlow(&f)
			_ = tx.PutOrder(&o)
			_ = tx.AppendEvent(&marketplace.Event{At: now, Kind: marketplace.KindOrder, AggregateID: o.ID, Type: "order.paid"})
			return tx.AppendEvent(&marketplace.Event{At: now, Kind: marketplace.KindFlow, AggregateID: f.ID, Type: "flow.started"})
		})
	}
}

// BenchmarkSupervisionAction takes one supervision action (a request
// submitted or rejected, alternately) through the service on the memory
// store: read, authorize, apply, write the flow, its record and an event.
// A flow keeps its operation records, so every 20 actions the benchmark
// moves to a fresh flow (outside the timer) to measure a flow of realistic
// length rather than one with b.N records.
func BenchmarkSupervisionAction(b *testing.B) {
	e := newEnv(b)
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "alice", Amount: usd("1000000000.00")}))(b)
	var submit, reject marketplace.FlowActionInput
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%20 == 0 {
			b.StopTimer()
			o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.pro.ID, SpecID: "std", Mode: billing.OneTime}}, nil)
			submit = marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.SubmitRequest, Description: "Migrate 2 TB"}
			reject = marketplace.FlowActionInput{FlowID: o.FlowID, Action: supervision.RejectRequest, Reason: "more detail"}
			b.StartTimer()
		}
		var err error
		if i%2 == 0 {
			_, err = e.svc.Act(ctx, buyer, submit)
		} else {
			_, err = e.svc.Act(ctx, seller, reject)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBaselineSupervisionApply is the baseline of
// BenchmarkSupervisionAction: the pure supervision.Apply of the same
// actions, with nothing stored.
func BenchmarkBaselineSupervisionApply(b *testing.B) {
	f, err := supervision.New("f1", supervision.Standard, start)
	if err != nil {
		b.Fatal(err)
	}
	p := supervision.DefaultPolicy()
	submit := supervision.Command{Actor: supervision.Actor{ID: "alice", Role: supervision.Buyer}, Action: supervision.SubmitRequest, Description: "Migrate 2 TB"}
	reject := supervision.Command{Actor: supervision.Actor{ID: "isv1", Role: supervision.Seller}, Action: supervision.RejectRequest, Reason: "more detail"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c := submit
		if i%2 == 1 {
			c = reject
		}
		if f, _, err = supervision.Apply(f, c, start, p); err != nil {
			b.Fatal(err)
		}
	}
}

const benchProducts = 100_000

var benchWords = []string{"firewall", "mail", "backup", "database", "analytics", "crm", "antivirus", "storage", "monitor", "gateway"}

func benchProduct(i int) marketplace.Product {
	cats := []string{"security", "database", "devops", "productivity"}
	dels := []marketplace.DeliveryMethod{marketplace.DeliverySaaS, marketplace.DeliveryImage, marketplace.DeliveryLicense, marketplace.DeliveryProfessional}
	listed := start.Add(time.Duration(i) * time.Second)
	return marketplace.Product{
		ID: fmt.Sprintf("p%06d", i), SellerID: fmt.Sprintf("s%d", i%100), SellerName: fmt.Sprintf("Seller %d", i%100),
		Name: fmt.Sprintf("%s %s %d", benchWords[i%10], benchWords[(i/10)%10], i), Description: "Product number " + fmt.Sprint(i),
		Category: cats[i%4], Delivery: dels[(i/4)%4], OperatingSystems: []string{"Linux"}, Status: marketplace.ProductListed,
		Specs: []marketplace.Specification{{ID: "s", Name: "S", Status: marketplace.SpecActive,
			Pricing: billing.Pricing{Plans: []billing.PricePlan{{Mode: billing.Monthly, UnitPrice: usd("5.00")}}}}},
		CreatedAt: listed, UpdatedAt: listed, ListedAt: &listed,
	}
}

var benchQuery = marketplace.SearchInput{Text: "firewall", Category: "security", Delivery: marketplace.DeliverySaaS, Limit: 20}

// BenchmarkSearch100k searches 100,000 listed products on the memory
// store: text + 2 filters, first page of 20, with the total.
func BenchmarkSearch100k(b *testing.B) {
	st := memory.New()
	for lo := 0; lo < benchProducts; lo += 5000 {
		if err := st.Update(ctx, func(tx marketplace.Tx) error {
			for i := lo; i < lo+5000; i++ {
				p := benchProduct(i)
				if err := tx.PutProduct(&p); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
	}
	svc, err := marketplace.New(st)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		pg, err := svc.Search(ctx, buyer, benchQuery)
		if err != nil {
			b.Fatal(err)
		}
		if pg.Total == 0 || len(pg.Items) != 20 {
			b.Fatalf("total %d, %d items", pg.Total, len(pg.Items))
		}
	}
}

// BenchmarkBaselineSearchScan is the baseline of BenchmarkSearch100k: the
// same match over a plain slice of 100,000 products with their words
// pre-split, sorted newest first, first 20 taken — no store, no copies.
func BenchmarkBaselineSearchScan(b *testing.B) {
	type row struct {
		p     marketplace.Product
		words []string
	}
	rows := make([]row, benchProducts)
	for i := range rows {
		p := benchProduct(i)
		rows[i] = row{p, marketplace.Words(p.Name + " " + p.Description + " " + p.SellerName)}
	}
	terms := marketplace.SearchTerms(benchQuery.Text)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		var hits []*marketplace.Product
		for i := range rows {
			r := &rows[i]
			if r.p.Category == benchQuery.Category && r.p.Delivery == benchQuery.Delivery && marketplace.MatchesWords(r.words, terms) {
				hits = append(hits, &r.p)
			}
		}
		slices.SortFunc(hits, func(a, b *marketplace.Product) int { return b.ListedAt.Compare(*a.ListedAt) })
		if len(hits) < 20 || !strings.HasPrefix(hits[0].Name, "firewall") {
			b.Fatal("bad baseline")
		}
	}
}

// BenchmarkBaselineFlowReadWrite is the store-side baseline of
// BenchmarkSupervisionAction: one memory-store transaction that reads a
// flow of the same length, writes it back with one more record, and
// appends an event — what an action costs without authorization and the
// state machine.
func BenchmarkBaselineFlowReadWrite(b *testing.B) {
	e := newEnv(b)
	must(e.svc.TopUp(ctx, operator, marketplace.TopUpInput{AccountID: "alice", Amount: usd("1000000000.00")}))(b)
	var flowID string
	rec := supervision.Record{Actor: supervision.Actor{ID: "alice", Role: supervision.Buyer}, Action: supervision.SubmitRequest,
		From: supervision.AwaitingRequest, To: supervision.AwaitingConfirmation, Description: "Migrate 2 TB"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if i%20 == 0 {
			b.StopTimer()
			o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: e.pro.ID, SpecID: "std", Mode: billing.OneTime}}, nil)
			flowID = o.FlowID
			b.StartTimer()
		}
		err := e.store.Update(ctx, func(tx marketplace.Tx) error {
			f, err := tx.Flow(flowID)
			if err != nil {
				return err
			}
			f.Records = append(f.Records, rec)
			f.UpdatedAt = start
			if err := tx.PutFlow(&f); err != nil {
				return err
			}
			return tx.AppendEvent(&marketplace.Event{At: start, Kind: marketplace.KindFlow, AggregateID: f.ID, Type: "flow.submit_request"})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
