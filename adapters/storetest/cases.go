package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/shopspring/decimal"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

func (s *suite) testRoundTrip(t *testing.T) {
	st := s.open(t)
	amounts := []string{"0", "0.01", "0.00000001", "-12.5", "12345678901234567890.12345678", "900", "5.0136"}
	times := []time.Time{
		time.Date(2024, 2, 29, 23, 59, 59, 999999000, time.UTC),
		time.Date(1999, 12, 31, 16, 0, 0, 1000, time.FixedZone("X", -5*3600)),
		base,
	}
	for i, a := range amounts {
		o := order(fmt.Sprintf("o%d", i), "b1")
		o.Amount = billing.Money{Amount: decimal.RequireFromString(a), Currency: billing.USD}
		o.Lines = []marketplace.OrderLine{{Description: a, Amount: o.Amount}}
		o.CreatedAt = times[i%len(times)]
		o.PaidAt = ptr(times[(i+1)%len(times)])
		if i == 0 {
			o.Amount.Currency = billing.JPY
			o.Lines[0].Amount.Currency = billing.JPY
		}
		update(t, st, func(tx marketplace.Tx) error { return tx.PutOrder(&o) })
		var got marketplace.Order
		if err := st.View(ctx, func(tx marketplace.ReadTx) error { var err error; got, err = tx.Order(o.ID); return err }); err != nil {
			t.Fatal(err)
		}
		if !got.Amount.Amount.Equal(o.Amount.Amount) || got.Amount.Currency != o.Amount.Currency {
			t.Errorf("amount %s: got %s", o.Amount, got.Amount)
		}
		if !got.CreatedAt.Equal(o.CreatedAt) || !got.PaidAt.Equal(*o.PaidAt) {
			t.Errorf("times: got %v %v, want %v %v", got.CreatedAt, got.PaidAt, o.CreatedAt, o.PaidAt)
		}
		if d := cmp.Diff(o, got, Comparer); d != "" {
			t.Errorf("order %s (-want +got):\n%s", o.ID, d)
		}
	}
}

func (s *suite) testNoAliasing(t *testing.T) {
	st := s.open(t)
	p := product("p1", "s1")
	update(t, st, func(tx marketplace.Tx) error { return tx.PutProduct(&p) })
	// Changing what was written must not change what is stored.
	p.Name = "changed"
	p.Specs[0].Name = "changed"
	p.OperatingSystems[0] = "changed"
	var got marketplace.Product
	read := func() {
		t.Helper()
		if err := st.View(ctx, func(tx marketplace.ReadTx) error { var err error; got, err = tx.Product("p1"); return err }); err != nil {
			t.Fatal(err)
		}
	}
	read()
	if got.Name != "Product p1" || got.Specs[0].Name != "Basic" || got.OperatingSystems[0] != "Linux" {
		t.Fatalf("store aliased the written value: %+v", got)
	}
	// Changing what was read must not change what is stored.
	got.Specs[0].Name = "changed"
	got.OperatingSystems[0] = "changed"
	read()
	if got.Specs[0].Name != "Basic" || got.OperatingSystems[0] != "Linux" {
		t.Fatalf("store aliased the read value: %+v", got)
	}
	// Search results are copies too.
	pg, err := st.SearchProducts(ctx, marketplace.ProductQuery{Limit: 10})
	if err != nil || len(pg.Items) != 1 {
		t.Fatalf("search: %v %v", pg, err)
	}
	pg.Items[0].Specs[0].Name = "changed"
	read()
	if got.Specs[0].Name != "Basic" {
		t.Fatalf("search aliased the stored value")
	}
	// Events too.
	update(t, st, func(tx marketplace.Tx) error {
		return tx.AppendEvent(&marketplace.Event{At: at(0), Kind: marketplace.KindProduct, AggregateID: "p1", Type: "product.created", Data: []byte(`{"a":1}`)})
	})
	evs, err := st.Events(ctx, 0, 10)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events: %v %v", evs, err)
	}
	evs[0].Data[2] = 'b'
	evs, _ = st.Events(ctx, 0, 10)
	if string(evs[0].Data) != `{"a":1}` {
		t.Fatalf("events aliased: %s", evs[0].Data)
	}
}

var errBoom = errors.New("boom")

func (s *suite) testRollback(t *testing.T) {
	st := s.open(t)
	o := order("o1", "b1")
	err := st.Update(ctx, func(tx marketplace.Tx) error {
		if err := tx.PutOrder(&o); err != nil {
			return err
		}
		if err := tx.PutSavedItem(marketplace.SavedItem{BuyerID: "b1", ProductID: "p1", AddedAt: at(0)}); err != nil {
			return err
		}
		if err := tx.PutIdempotency(marketplace.IdempotencyRecord{Key: "k", ResultKind: marketplace.KindOrder, ResultID: "o1", CreatedAt: at(0)}); err != nil {
			return err
		}
		if err := tx.AppendEvent(&marketplace.Event{At: at(0), Kind: marketplace.KindOrder, AggregateID: "o1", Type: "order.created"}); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update returned %v, want the closure's error", err)
	}
	err = st.View(ctx, func(tx marketplace.ReadTx) error {
		if _, err := tx.Order("o1"); !errors.Is(err, marketplace.ErrNotFound) {
			return fmt.Errorf("order after rollback: %v", err)
		}
		if items, err := tx.SavedItems("b1"); err != nil || len(items) != 0 {
			return fmt.Errorf("saved items after rollback: %v %v", items, err)
		}
		if _, err := tx.Idempotency("k"); !errors.Is(err, marketplace.ErrNotFound) {
			return fmt.Errorf("idempotency after rollback: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if evs, err := st.Events(ctx, 0, 10); err != nil || len(evs) != 0 {
		t.Fatalf("events after rollback: %v %v", evs, err)
	}
	// A rolled-back transaction consumes no sequence number.
	update(t, st, func(tx marketplace.Tx) error {
		e := marketplace.Event{At: at(0), Kind: marketplace.KindOrder, AggregateID: "o1", Type: "order.created"}
		if err := tx.AppendEvent(&e); err != nil {
			return err
		}
		if e.Seq != 1 {
			return fmt.Errorf("seq after rollback %d, want 1", e.Seq)
		}
		return nil
	})
}

func (s *suite) testReadYourWrites(t *testing.T) {
	st := s.open(t)
	update(t, st, func(tx marketplace.Tx) error {
		o := order("o1", "b1")
		if err := tx.PutOrder(&o); err != nil {
			return err
		}
		got, err := tx.Order("o1")
		if err != nil || got.Version != 1 || got.Number != "CSo1" {
			return fmt.Errorf("read own write: %+v %v", got, err)
		}
		if err := tx.PutSavedItem(marketplace.SavedItem{BuyerID: "b1", ProductID: "p1", AddedAt: at(0)}); err != nil {
			return err
		}
		items, err := tx.SavedItems("b1")
		if err != nil || len(items) != 1 {
			return fmt.Errorf("read own saved item: %v %v", items, err)
		}
		if err := tx.PutIdempotency(marketplace.IdempotencyRecord{Key: "k", ResultID: "o1", CreatedAt: at(0)}); err != nil {
			return err
		}
		if r, err := tx.Idempotency("k"); err != nil || r.ResultID != "o1" {
			return fmt.Errorf("read own idempotency record: %v %v", r, err)
		}
		return nil
	})
}

func (s *suite) testSavedItems(t *testing.T) {
	st := s.open(t)
	items := []marketplace.SavedItem{
		{BuyerID: "b1", ProductID: "p2", SpecID: "", AddedAt: at(2 * time.Second)},
		{BuyerID: "b1", ProductID: "p1", SpecID: "s2", AddedAt: at(time.Second)},
		{BuyerID: "b1", ProductID: "p1", SpecID: "s1", AddedAt: at(time.Second)},
		{BuyerID: "b2", ProductID: "p1", SpecID: "s1", AddedAt: at(0)},
	}
	update(t, st, func(tx marketplace.Tx) error {
		for _, it := range items {
			if err := tx.PutSavedItem(it); err != nil {
				return err
			}
		}
		return nil
	})
	list := func(buyer string) []marketplace.SavedItem {
		var out []marketplace.SavedItem
		if err := st.View(ctx, func(tx marketplace.ReadTx) error { var err error; out, err = tx.SavedItems(buyer); return err }); err != nil {
			t.Fatal(err)
		}
		return out
	}
	want := []marketplace.SavedItem{items[2], items[1], items[0]}
	if d := cmp.Diff(want, list("b1"), Comparer); d != "" {
		t.Fatalf("saved list (-want +got):\n%s", d)
	}
	if got := list("nobody"); len(got) != 0 {
		t.Fatalf("empty saved list: %v", got)
	}
	// Replace keeps one item per key.
	update(t, st, func(tx marketplace.Tx) error {
		it := items[0]
		it.AddedAt = at(time.Hour)
		return tx.PutSavedItem(it)
	})
	if got := list("b1"); len(got) != 3 || !got[2].AddedAt.Equal(at(time.Hour)) {
		t.Fatalf("replace: %v", got)
	}
	update(t, st, func(tx marketplace.Tx) error { return tx.DeleteSavedItem("b1", "p1", "s2") })
	if got := list("b1"); len(got) != 2 {
		t.Fatalf("delete: %v", got)
	}
	err := st.Update(ctx, func(tx marketplace.Tx) error { return tx.DeleteSavedItem("b1", "p1", "s2") })
	wantErr(t, err, marketplace.ErrNotFound, "delete missing")
	err = st.Update(ctx, func(tx marketplace.Tx) error { return tx.PutSavedItem(marketplace.SavedItem{BuyerID: "b1"}) })
	wantErr(t, err, marketplace.ErrInvalidInput, "empty product id")
	if got := list("b2"); len(got) != 1 {
		t.Fatalf("other buyer's list touched: %v", got)
	}
}

func (s *suite) testIdempotency(t *testing.T) {
	st := s.open(t)
	rec := marketplace.IdempotencyRecord{Key: "order:b1:k1", RequestHash: "h", ResultKind: marketplace.KindOrder, ResultID: "o1", CreatedAt: at(0)}
	update(t, st, func(tx marketplace.Tx) error { return tx.PutIdempotency(rec) })
	var got marketplace.IdempotencyRecord
	if err := st.View(ctx, func(tx marketplace.ReadTx) error { var err error; got, err = tx.Idempotency(rec.Key); return err }); err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(rec, got, Comparer); d != "" {
		t.Fatalf("(-want +got):\n%s", d)
	}
	err := st.Update(ctx, func(tx marketplace.Tx) error { return tx.PutIdempotency(rec) })
	wantErr(t, err, marketplace.ErrConflict, "duplicate key")
	err = st.View(ctx, func(tx marketplace.ReadTx) error { _, err := tx.Idempotency("other"); return err })
	wantErr(t, err, marketplace.ErrNotFound, "missing key")
	err = st.Update(ctx, func(tx marketplace.Tx) error { return tx.PutIdempotency(marketplace.IdempotencyRecord{}) })
	wantErr(t, err, marketplace.ErrInvalidInput, "empty key")
}

func (s *suite) testEvents(t *testing.T) {
	st := s.open(t)
	var want []marketplace.Event
	for i := range 25 {
		update(t, st, func(tx marketplace.Tx) error {
			for j := range 2 {
				e := marketplace.Event{At: at(time.Duration(i) * time.Second), Kind: marketplace.KindOrder,
					AggregateID: fmt.Sprintf("o%d", i), Type: "order.paid", Actor: marketplace.BuyerActor("b1"),
					From: "pending_payment", To: "processing", Data: []byte(fmt.Sprintf(`{"j":%d}`, j))}
				if err := tx.AppendEvent(&e); err != nil {
					return err
				}
				if e.Seq != int64(len(want)+1) {
					return fmt.Errorf("assigned seq %d, want %d", e.Seq, len(want)+1)
				}
				want = append(want, e)
			}
			return nil
		})
	}
	var got []marketplace.Event
	after := int64(0)
	for {
		page, err := st.Events(ctx, after, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1].Seq
	}
	if d := cmp.Diff(want, got, Comparer); d != "" {
		t.Fatalf("events (-want +got):\n%s", d)
	}
	if evs, err := st.Events(ctx, 50, 10); err != nil || len(evs) != 0 {
		t.Fatalf("after the end: %v %v", evs, err)
	}
	if evs, err := st.Events(ctx, 48, 10); err != nil || len(evs) != 2 || evs[0].Seq != 49 {
		t.Fatalf("tail: %v %v", evs, err)
	}
	for _, c := range []struct {
		after int64
		limit int
	}{{0, 0}, {0, -1}, {0, marketplace.MaxPageSize + 1}, {-1, 10}} {
		_, err := st.Events(ctx, c.after, c.limit)
		wantErr(t, err, marketplace.ErrInvalidInput, fmt.Sprintf("Events(%d, %d)", c.after, c.limit))
	}
	err := st.Update(ctx, func(tx marketplace.Tx) error { return tx.AppendEvent(&marketplace.Event{}) })
	wantErr(t, err, marketplace.ErrInvalidInput, "empty event")
}

// catalog builds a varied catalog of n products.
func catalog(n int) []marketplace.Product {
	cats := []string{"security", "database", "devops"}
	oss := [][]string{{"Linux"}, {"Windows"}, {"Linux", "Windows"}}
	dels := []marketplace.DeliveryMethod{marketplace.DeliverySaaS, marketplace.DeliveryImage, marketplace.DeliveryLicense, marketplace.DeliveryProfessional}
	statuses := []marketplace.ProductStatus{marketplace.ProductListed, marketplace.ProductListed, marketplace.ProductListed, marketplace.ProductDraft, marketplace.ProductDelisted}
	names := []string{"Firewall Pro", "Mail Hosting", "Backup Vault", "fire alarm", "Postgres Admin", "Data Lake"}
	var out []marketplace.Product
	for i := range n {
		p := product(fmt.Sprintf("p%03d", i), fmt.Sprintf("s%d", i%4))
		p.Name = names[i%len(names)]
		p.Description = fmt.Sprintf("Item number %d for %s", i, cats[i%3])
		p.Category = cats[i%3]
		p.OperatingSystems = oss[i%3]
		p.Delivery = dels[i%4]
		p.Status = statuses[i%5]
		p.CreatedAt = at(time.Duration(i) * time.Minute)
		p.ListedAt = nil
		if p.Status != marketplace.ProductDraft {
			p.ListedAt = ptr(at(time.Duration(i%7) * time.Hour)) // ties on purpose
		}
		if i%2 == 1 {
			p.Specs[0].Pricing = billing.Pricing{Plans: []billing.PricePlan{{Mode: billing.OneTime, UnitPrice: usd("100")}}}
		}
		if i%10 == 9 {
			p.Specs[0].Status = marketplace.SpecDiscontinued
		}
		out = append(out, p)
	}
	return out
}

func (s *suite) testSearch(t *testing.T) {
	st := s.open(t)
	all := catalog(120)
	update(t, st, func(tx marketplace.Tx) error {
		for i := range all {
			if err := tx.PutProduct(&all[i]); err != nil {
				return err
			}
		}
		return nil
	})
	listed := []marketplace.ProductStatus{marketplace.ProductListed}
	cases := []struct {
		name string
		q    marketplace.ProductQuery
		keep func(p marketplace.Product) bool
	}{
		{"all", marketplace.ProductQuery{}, func(marketplace.Product) bool { return true }},
		{"listed", marketplace.ProductQuery{Statuses: listed}, func(p marketplace.Product) bool { return p.Status == marketplace.ProductListed }},
		{"category", marketplace.ProductQuery{Category: "database"}, func(p marketplace.Product) bool { return p.Category == "database" }},
		{"os", marketplace.ProductQuery{OS: "Windows"}, func(p marketplace.Product) bool { return slices.Contains(p.OperatingSystems, "Windows") }},
		{"delivery", marketplace.ProductQuery{Delivery: marketplace.DeliveryImage}, func(p marketplace.Product) bool { return p.Delivery == marketplace.DeliveryImage }},
		{"mode", marketplace.ProductQuery{Mode: billing.Monthly}, func(p marketplace.Product) bool { return slices.Contains(p.Modes(), billing.Monthly) }},
		{"seller", marketplace.ProductQuery{SellerID: "s2"}, func(p marketplace.Product) bool { return p.SellerID == "s2" }},
		{"text prefix", marketplace.ProductQuery{Text: "FIRE"}, func(p marketplace.Product) bool { return p.Name == "Firewall Pro" || p.Name == "fire alarm" }},
		{"text two terms", marketplace.ProductQuery{Text: "fire  wall"}, func(p marketplace.Product) bool { return false }},
		{"text word", marketplace.ProductQuery{Text: "firewall"}, func(p marketplace.Product) bool { return p.Name == "Firewall Pro" }},
		{"text description", marketplace.ProductQuery{Text: "number 42"}, func(p marketplace.Product) bool { return p.ID == "p042" }},
		{"text seller", marketplace.ProductQuery{Text: "seller s3"}, func(p marketplace.Product) bool { return p.SellerID == "s3" }},
		{"text no infix", marketplace.ProductQuery{Text: "wall"}, func(p marketplace.Product) bool { return false }},
		{"combined", marketplace.ProductQuery{Text: "mail", Statuses: listed, Category: "security", Mode: billing.Monthly},
			func(p marketplace.Product) bool {
				return p.Name == "Mail Hosting" && p.Status == marketplace.ProductListed && p.Category == "security" && slices.Contains(p.Modes(), billing.Monthly)
			}},
		{"no match", marketplace.ProductQuery{Category: "none"}, func(marketplace.Product) bool { return false }},
	}
	for _, c := range cases {
		for _, sort := range []marketplace.ProductSort{"", marketplace.SortNewest, marketplace.SortName} {
			for _, limit := range []int{1, 7, 1000} {
				t.Run(fmt.Sprintf("%s/%s/%d", c.name, sort, limit), func(t *testing.T) {
					var want []string
					for _, p := range sortProducts(all, sort) {
						if c.keep(p) {
							want = append(want, p.ID)
						}
					}
					q := c.q
					q.Sort, q.Limit = sort, limit
					var got []string
					pages := 0
					for {
						pg, err := st.SearchProducts(ctx, q)
						if err != nil {
							t.Fatal(err)
						}
						if pg.Total != len(want) {
							t.Fatalf("total %d, want %d", pg.Total, len(want))
						}
						if len(pg.Items) > limit {
							t.Fatalf("page of %d > limit %d", len(pg.Items), limit)
						}
						for _, p := range pg.Items {
							got = append(got, p.ID)
						}
						pages++
						if pg.Next == "" {
							break
						}
						if pages > len(all)+1 {
							t.Fatal("pagination does not end")
						}
						q.Cursor = pg.Next
					}
					if d := cmp.Diff(want, got); d != "" {
						t.Fatalf("ids (-want +got):\n%s", d)
					}
				})
			}
		}
	}
	for _, q := range []marketplace.ProductQuery{{Limit: 0}, {Limit: marketplace.MaxPageSize + 1}, {Limit: 5, Sort: "price"}, {Limit: 5, Cursor: "!!not-a-cursor"}} {
		_, err := st.SearchProducts(ctx, q)
		wantErr(t, err, marketplace.ErrInvalidInput, fmt.Sprintf("search %+v", q))
	}
	// A full product round-trips through search.
	pg, err := st.SearchProducts(ctx, marketplace.ProductQuery{Text: "number 42", Limit: 1})
	if err != nil || len(pg.Items) != 1 {
		t.Fatalf("%v %v", pg, err)
	}
	if d := cmp.Diff(withVersion(all[42], 1), pg.Items[0], Comparer); d != "" {
		t.Fatalf("search result (-want +got):\n%s", d)
	}
}

// sortProducts orders products as the ProductSort documentation says.
func sortProducts(ps []marketplace.Product, sort marketplace.ProductSort) []marketplace.Product {
	out := slices.Clone(ps)
	slices.SortFunc(out, func(a, b marketplace.Product) int {
		if sort == marketplace.SortName {
			if a.Name != b.Name {
				if a.Name < b.Name {
					return -1
				}
				return 1
			}
			return cmpStr(a.ID, b.ID)
		}
		ra, rb := a.ListedAt == nil, b.ListedAt == nil
		if ra != rb {
			if ra {
				return 1
			}
			return -1
		}
		ta, tb := a.CreatedAt, b.CreatedAt
		if !ra {
			ta, tb = *a.ListedAt, *b.ListedAt
		}
		if c := tb.Compare(ta); c != 0 {
			return c
		}
		return cmpStr(a.ID, b.ID)
	})
	return out
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// pageAll walks every page of a list query.
func pageAll[T any](t *testing.T, limit int, list func(cursor string, limit int) (marketplace.Page[T], error), id func(T) string) []string {
	t.Helper()
	var out []string
	cursor := ""
	for range 10000 {
		pg, err := list(cursor, limit)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range pg.Items {
			out = append(out, id(v))
		}
		if pg.Next == "" {
			return out
		}
		cursor = pg.Next
	}
	t.Fatal("pagination does not end")
	return nil
}

func (s *suite) testLists(t *testing.T) {
	st := s.open(t)
	const n = 30
	update(t, st, func(tx marketplace.Tx) error {
		for i := range n {
			buyer := fmt.Sprintf("b%d", i%3)
			o := order(fmt.Sprintf("o%02d", i), buyer)
			o.SellerID = fmt.Sprintf("s%d", i%2)
			o.CreatedAt = at(time.Duration(i/2) * time.Minute) // pairs tie on time
			o.ResourceID = fmt.Sprintf("r%d", i%5)
			if i%4 == 0 {
				o.Status = marketplace.OrderCompleted
			}
			if i%6 == 0 {
				o.Kind = marketplace.OrderRenewal
			}
			r := resource(fmt.Sprintf("r%02d", i), buyer)
			r.SellerID = o.SellerID
			r.PurchasedAt = o.CreatedAt
			r.Visible = i%3 != 1
			if i%4 == 0 {
				r.Status = marketplace.ResourceGrace
			}
			f := flow(fmt.Sprintf("f%02d", i), buyer, o.SellerID)
			f.CreatedAt = o.CreatedAt
			if i%4 == 0 {
				f.Status = "completed"
			}
			inv := invoice(fmt.Sprintf("i%02d", i), buyer)
			inv.SellerID, inv.RequestedAt, inv.OrderID = o.SellerID, o.CreatedAt, o.ID
			if i%4 == 0 {
				inv.Status = marketplace.InvoiceIssued
			}
			u := unsub(fmt.Sprintf("u%02d", i), buyer)
			u.SellerID, u.CreatedAt, u.ResourceID = o.SellerID, o.CreatedAt, r.ID
			if i%4 == 0 {
				u.Status = marketplace.UnsubscribeAgreed
			}
			p := payment(fmt.Sprintf("pay%02d", i), buyer)
			p.OrderID, p.CreatedAt = o.ID, o.CreatedAt
			if i%4 == 0 {
				p.Method, p.SettledAt = marketplace.PayCredit, ptr(at(time.Hour))
			}
			for _, err := range []error{tx.PutOrder(&o), tx.PutResource(&r), tx.PutFlow(&f), tx.PutInvoice(&inv), tx.PutUnsubscribeRequest(&u), tx.PutPayment(&p)} {
				if err != nil {
					return err
				}
			}
		}
		return nil
	})
	// expect computes the ids of fixture i that pass keep, in the list's order.
	newest := func(prefix string, keep func(i int) bool) []string {
		var out []string
		for i := n - 1; i >= 0; i-- { // CreatedAt desc then ID desc equals index desc here
			if keep(i) {
				out = append(out, fmt.Sprintf("%s%02d", prefix, i))
			}
		}
		return out
	}
	buyer := func(b int) func(int) bool { return func(i int) bool { return i%3 == b } }
	type lc struct {
		name string
		want []string
		got  func(limit int) []string
	}
	cases := []lc{
		{"orders/buyer", newest("o", buyer(1)), func(l int) []string {
			return pageAll(t, l, func(c string, l int) (marketplace.Page[marketplace.Order], error) {
				return st.ListOrders(ctx, marketplace.OrderQuery{BuyerID: "b1", Cursor: c, Limit: l})
			}, func(o marketplace.Order) string { return o.ID })
		}},
		{"orders/seller+status", newest("o", func(i int) bool { return i%2 == 0 && i%4 == 0 }), func(l int) []string {
			return pageAll(t, l, func(c string, l int) (marketplace.Page[marketplace.Order], error) {
				return st.ListOrders(ctx, marketplace.OrderQuery{SellerID: "s0", Status: marketplace.OrderCompleted, Cursor: c, Limit: l})
			}, func(o marketplace.Order) string { return o.ID })
		}},
		{"orders/kind+resource", newest("o", func(i int) bool { return i%6 == 0 && i%5 == 0 }), func(l int) []string {
			return pageAll(t, l, func(c string, l int) (marketplace.Page[marketplace.Order], error) {
				return st.ListOrders(ctx, marketplace.OrderQuery{Kind: marketplace.OrderRenewal, ResourceID: "r0", Cursor: c, Limit: l})
			}, func(o marketplace.Order) string { return o.ID })
		}},
		{"resources/buyer+visible", newest("r", func(i int) bool { return i%3 == 2 && i%3 != 1 }), func(l int) []string {
			return pageAll(t, l, func(c string, l int) (marketplace.Page[marketplace.Resource], error) {
				return st.ListResources(ctx, marketplace.ResourceQuery{BuyerID: "b2", VisibleOnly: true, Cursor: c, Limit: l})
			}, func(r marketplace.Resource) string { return r.ID })
		}},
		{"resources/seller+status", newest("r", func(i int) bool { return i%2 == 0 && i%4 == 0 }), func(l int) []string {
			return pageAll(t, l, func(c string, l int) (marketplace.Page[marketplace.Resource], error) {
				return st.ListResources(ctx, marketplace.ResourceQuery{SellerID: "s0", Status: marketplace.ResourceGrace, Cursor: c, Limit: l})
			}, func(r marketplace.Resource) string { return r.ID })
		}},
		{"flows/seller", newest("f", func(i int) bool { return i%2 == 1 }), func(l int) []string {
			return pageAll(t, l, func(c string, l int) (marketplace.Page[marketplace.Flow], error) {
				return st.ListFlows(ctx, marketplace.FlowQuery{SellerID: "s1", Cursor: c, Limit: l})
			}, func(f marketplace.Flow) string { return f.ID })
		}},
		{"flows/buyer+status", newest("f", func(i int) bool { return i%3 == 0 && i%4 == 0 }), func(l int) []string {
			return pageAll(t, l, func(c string, l int) (marketplace.Page[marketplace.Flow], error) {
				return st.ListFlows(ctx, marketplace.FlowQuery{BuyerID: "b0", Status: "completed", Cursor: c, Limit: l})
			}, func(f marketplace.Flow) string { return f.ID })
		}},
		{"invoices/buyer+status", newest("i", func(i int) bool { return i%3 == 0 && i%4 == 0 }), func(l int) []string {
			return pageAll(t, l, func(c string, l int) (marketplace.Page[marketplace.Invoice], error) {
				return st.ListInvoices(ctx, marketplace.InvoiceQuery{BuyerID: "b0", Status: marketplace.InvoiceIssued, Cursor: c, Limit: l})
			}, func(v marketplace.Invoice) string { return v.ID })
		}},
		{"invoices/seller+order", []string{"i03"}, func(l int) []string {
			return pageAll(t, l, func(c string, l int) (marketplace.Page[marketplace.Invoice], error) {
				return st.ListInvoices(ctx, marketplace.InvoiceQuery{SellerID: "s1", OrderID: "o03", Cursor: c, Limit: l})
			}, func(v marketplace.Invoice) string { return v.ID })
		}},
		{"unsubscribes/seller+status", newest("u", func(i int) bool { return i%2 == 0 && i%4 == 0 }), func(l int) []string {
			return pageAll(t, l, func(c string, l int) (marketplace.Page[marketplace.UnsubscribeRequest], error) {
				return st.ListUnsubscribeRequests(ctx, marketplace.UnsubscribeQuery{SellerID: "s0", Status: marketplace.UnsubscribeAgreed, Cursor: c, Limit: l})
			}, func(v marketplace.UnsubscribeRequest) string { return v.ID })
		}},
		{"unsubscribes/buyer+resource", []string{"u07"}, func(l int) []string {
			return pageAll(t, l, func(c string, l int) (marketplace.Page[marketplace.UnsubscribeRequest], error) {
				return st.ListUnsubscribeRequests(ctx, marketplace.UnsubscribeQuery{BuyerID: "b1", ResourceID: "r07", Cursor: c, Limit: l})
			}, func(v marketplace.UnsubscribeRequest) string { return v.ID })
		}},
		{"payments/buyer unsettled (oldest first)", func() []string {
			var out []string
			for i := range n {
				if i%3 == 0 && i%4 != 0 {
					out = append(out, fmt.Sprintf("pay%02d", i))
				}
			}
			return out
		}(), func(l int) []string {
			return pageAll(t, l, func(c string, l int) (marketplace.Page[marketplace.Payment], error) {
				return st.ListPayments(ctx, marketplace.PaymentQuery{BuyerID: "b0", Unsettled: true, Cursor: c, Limit: l})
			}, func(v marketplace.Payment) string { return v.ID })
		}},
		{"payments/order+method", []string{"pay04"}, func(l int) []string {
			return pageAll(t, l, func(c string, l int) (marketplace.Page[marketplace.Payment], error) {
				return st.ListPayments(ctx, marketplace.PaymentQuery{OrderID: "o04", Method: marketplace.PayCredit, Cursor: c, Limit: l})
			}, func(v marketplace.Payment) string { return v.ID })
		}},
	}
	for _, c := range cases {
		for _, limit := range []int{1, 4, 1000} {
			t.Run(fmt.Sprintf("%s/%d", c.name, limit), func(t *testing.T) {
				if d := cmp.Diff(c.want, c.got(limit)); d != "" {
					t.Fatalf("(-want +got):\n%s", d)
				}
			})
		}
	}
	pg, err := st.ListOrders(ctx, marketplace.OrderQuery{BuyerID: "b1", Limit: 2})
	if err != nil || pg.Total != 10 || len(pg.Items) != 2 || pg.Next == "" {
		t.Fatalf("total: %+v %v", pg, err)
	}
	bad := []func() error{
		func() error { _, err := st.ListOrders(ctx, marketplace.OrderQuery{}); return err },
		func() error {
			_, err := st.ListOrders(ctx, marketplace.OrderQuery{Limit: 1, Cursor: "%%%"})
			return err
		},
		func() error { _, err := st.ListResources(ctx, marketplace.ResourceQuery{Limit: 1001}); return err },
		func() error { _, err := st.ListFlows(ctx, marketplace.FlowQuery{Limit: -1}); return err },
		func() error { _, err := st.ListInvoices(ctx, marketplace.InvoiceQuery{}); return err },
		func() error { _, err := st.ListUnsubscribeRequests(ctx, marketplace.UnsubscribeQuery{}); return err },
		func() error {
			_, err := st.ListPayments(ctx, marketplace.PaymentQuery{Limit: 1, Cursor: "x"})
			return err
		},
	}
	for i, f := range bad {
		wantErr(t, f(), marketplace.ErrInvalidInput, fmt.Sprintf("bad list query %d", i))
	}
}

func (s *suite) testClaimDue(t *testing.T) {
	st := s.open(t)
	now := at(10 * time.Hour)
	update(t, st, func(tx marketplace.Tx) error {
		o1 := order("o1", "b1")
		o1.NextDueAt = ptr(now.Add(-time.Hour))
		o2 := order("o2", "b1")
		o2.NextDueAt = ptr(now.Add(time.Hour)) // not yet
		o3 := order("o3", "b1")                // never
		r1 := resource("r1", "b1")
		r1.NextDueAt = ptr(now.Add(-2 * time.Hour))
		f1 := flow("f1", "b1", "s1")
		f1.NextDueAt = ptr(now) // exactly now counts
		u1 := unsub("u1", "b1")
		u1.NextDueAt = ptr(now.Add(-time.Hour)) // ties with o1 on time: kind order decides
		for _, err := range []error{tx.PutOrder(&o1), tx.PutOrder(&o2), tx.PutOrder(&o3), tx.PutResource(&r1), tx.PutFlow(&f1), tx.PutUnsubscribeRequest(&u1)} {
			if err != nil {
				return err
			}
		}
		return nil
	})
	got, err := st.ClaimDue(ctx, now, 3, "w1", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	want := []marketplace.DueItem{
		{Kind: marketplace.KindResource, ID: "r1", Version: 1, DueAt: now.Add(-2 * time.Hour)},
		{Kind: marketplace.KindOrder, ID: "o1", Version: 1, DueAt: now.Add(-time.Hour)},
		{Kind: marketplace.KindUnsubscribe, ID: "u1", Version: 1, DueAt: now.Add(-time.Hour)},
	}
	if d := cmp.Diff(want, got, Comparer); d != "" {
		t.Fatalf("first claim (-want +got):\n%s", d)
	}
	got, err = st.ClaimDue(ctx, now, 10, "w2", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff([]marketplace.DueItem{{Kind: marketplace.KindFlow, ID: "f1", Version: 1, DueAt: now}}, got, Comparer); d != "" {
		t.Fatalf("second claim (-want +got):\n%s", d)
	}
	if got, _ := st.ClaimDue(ctx, now, 10, "w3", time.Minute); len(got) != 0 {
		t.Fatalf("leased items claimed again: %v", got)
	}
	// Writing an aggregate ends its lease: o1 written still due is claimable.
	update(t, st, func(tx marketplace.Tx) error {
		o, err := tx.Order("o1")
		if err != nil {
			return err
		}
		o.Status = marketplace.OrderCancelled
		return tx.PutOrder(&o)
	})
	// Writing with no due time removes it: r1.
	update(t, st, func(tx marketplace.Tx) error {
		r, err := tx.Resource("r1")
		if err != nil {
			return err
		}
		r.NextDueAt = nil
		return tx.PutResource(&r)
	})
	got, _ = st.ClaimDue(ctx, now, 10, "w3", time.Minute)
	if d := cmp.Diff([]marketplace.DueItem{{Kind: marketplace.KindOrder, ID: "o1", Version: 2, DueAt: now.Add(-time.Hour)}}, got, Comparer); d != "" {
		t.Fatalf("after writes (-want +got):\n%s", d)
	}
	// When leases run out, unwritten items come back; later items become due.
	later := now.Add(2 * time.Hour)
	got, _ = st.ClaimDue(ctx, later, 10, "w4", time.Minute)
	var ids []string
	for _, it := range got {
		ids = append(ids, it.ID)
	}
	if d := cmp.Diff([]string{"o1", "u1", "f1", "o2"}, ids); d != "" {
		t.Fatalf("after lease expiry (-want +got):\n%s", d)
	}
	for _, c := range []struct {
		limit int
		owner string
		lease time.Duration
	}{{0, "w", time.Minute}, {1, "", time.Minute}, {1, "w", 0}} {
		_, err := st.ClaimDue(ctx, now, c.limit, c.owner, c.lease)
		wantErr(t, err, marketplace.ErrInvalidInput, fmt.Sprintf("ClaimDue(%d, %q, %v)", c.limit, c.owner, c.lease))
	}
}

func (s *suite) testClaimDueConcurrent(t *testing.T) {
	st := s.open(t)
	const items = 300
	now := at(time.Hour)
	update(t, st, func(tx marketplace.Tx) error {
		for i := range items {
			o := order(fmt.Sprintf("o%03d", i), "b1")
			o.NextDueAt = ptr(now.Add(-time.Duration(i) * time.Second))
			if err := tx.PutOrder(&o); err != nil {
				return err
			}
		}
		return nil
	})
	var mu sync.Mutex
	seen := map[string]int{}
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := st.ClaimDue(ctx, now, 7, fmt.Sprintf("w%d", w), time.Hour)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, it := range got {
					seen[it.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != items {
		t.Fatalf("claimed %d distinct items, want %d", len(seen), items)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("%s claimed %d times", id, n)
		}
	}
}

// race runs f in n goroutines released together.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func countWins(t *testing.T, errs []error) int {
	t.Helper()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, marketplace.ErrConflict):
		default:
			t.Fatalf("unexpected error %v", err)
		}
	}
	return wins
}

func (s *suite) testConcurrentConflict(t *testing.T) {
	st := s.open(t)
	o := order("o1", "b1")
	update(t, st, func(tx marketplace.Tx) error { return tx.PutOrder(&o) })
	// Everyone read version 1; each tries to pay the order from it.
	errs := race(s.opts.Goroutines, func(i int) error {
		return st.Update(ctx, func(tx marketplace.Tx) error {
			v := o // version 1, as read before the race
			v.Status = marketplace.OrderProcessing
			v.PaymentID = fmt.Sprintf("pay%d", i)
			if err := tx.PutOrder(&v); err != nil {
				return err
			}
			return tx.AppendEvent(&marketplace.Event{At: at(0), Kind: marketplace.KindOrder, AggregateID: "o1", Type: "order.paid"})
		})
	})
	if wins := countWins(t, errs); wins != 1 {
		t.Fatalf("%d writers won, want exactly 1", wins)
	}
	if evs, _ := st.Events(ctx, 0, 1000); len(evs) != 1 {
		t.Fatalf("%d events, want 1", len(evs))
	}
	// Read-modify-write inside Update never loses an increment.
	acc := account("b1")
	update(t, st, func(tx marketplace.Tx) error { return tx.PutAccount(&acc) })
	var conflicts atomic.Int64
	race(s.opts.Goroutines, func(int) error {
		for {
			err := st.Update(ctx, func(tx marketplace.Tx) error {
				a, err := tx.Account("b1")
				if err != nil {
					return err
				}
				a.Balance, _ = a.Balance.Sub(usd("1.00"))
				return tx.PutAccount(&a)
			})
			if errors.Is(err, marketplace.ErrConflict) {
				conflicts.Add(1)
				continue // optimistic stores may make a writer retry
			}
			if err != nil {
				t.Error(err)
			}
			return err
		}
	})
	var got marketplace.Account
	_ = st.View(ctx, func(tx marketplace.ReadTx) error { var err error; got, err = tx.Account("b1"); return err })
	want := usd("100.00").Sub
	w, _ := want(usd(fmt.Sprint(s.opts.Goroutines)))
	if !got.Balance.Equal(w) || got.Version != int64(s.opts.Goroutines)+1 {
		t.Fatalf("balance %s version %d after %d decrements (%d retries), want %s", got.Balance, got.Version, s.opts.Goroutines, conflicts.Load(), w)
	}
}

func (s *suite) testConcurrentCreate(t *testing.T) {
	st := s.open(t)
	errs := race(s.opts.Goroutines, func(i int) error {
		return st.Update(ctx, func(tx marketplace.Tx) error {
			sl := seller("s1")
			sl.Name = fmt.Sprint(i)
			return tx.PutSeller(&sl)
		})
	})
	if wins := countWins(t, errs); wins != 1 {
		t.Fatalf("%d creators won, want exactly 1", wins)
	}
}

// testConcurrentIdempotency is the store half of "100 concurrent creations
// with one idempotency key make one order": look the key up, create the
// order and the key in one transaction; losers see a conflict (or, retrying,
// the winner's record).
func (s *suite) testConcurrentIdempotency(t *testing.T) {
	st := s.open(t)
	results := make([]string, s.opts.Goroutines)
	race(s.opts.Goroutines, func(i int) error {
		for attempt := 0; ; attempt++ {
			err := st.Update(ctx, func(tx marketplace.Tx) error {
				if rec, err := tx.Idempotency("order:b1:k"); err == nil {
					results[i] = rec.ResultID
					return nil
				} else if !errors.Is(err, marketplace.ErrNotFound) {
					return err
				}
				o := order(fmt.Sprintf("o%03d", i), "b1")
				if err := tx.PutOrder(&o); err != nil {
					return err
				}
				if err := tx.PutIdempotency(marketplace.IdempotencyRecord{Key: "order:b1:k", ResultKind: marketplace.KindOrder, ResultID: o.ID, CreatedAt: at(0)}); err != nil {
					return err
				}
				results[i] = o.ID
				return nil
			})
			if errors.Is(err, marketplace.ErrConflict) && attempt < 10 {
				continue
			}
			if err != nil {
				t.Error(err)
			}
			return err
		}
	})
	pg, err := st.ListOrders(ctx, marketplace.OrderQuery{BuyerID: "b1", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if pg.Total != 1 {
		t.Fatalf("%d orders created, want 1", pg.Total)
	}
	for i, r := range results {
		if r != pg.Items[0].ID {
			t.Fatalf("goroutine %d got order %q, want %q", i, r, pg.Items[0].ID)
		}
	}
}

func (s *suite) testConcurrentEvents(t *testing.T) {
	st := s.open(t)
	const per = 3
	race(s.opts.Goroutines/2, func(i int) error {
		for {
			err := st.Update(ctx, func(tx marketplace.Tx) error {
				for j := range per {
					e := marketplace.Event{At: at(0), Kind: marketplace.KindOrder, AggregateID: fmt.Sprintf("o%d", i), Type: fmt.Sprintf("e%d", j)}
					if err := tx.AppendEvent(&e); err != nil {
						return err
					}
				}
				return nil
			})
			if errors.Is(err, marketplace.ErrConflict) {
				continue
			}
			if err != nil {
				t.Error(err)
			}
			return err
		}
	})
	evs, err := st.Events(ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != s.opts.Goroutines/2*per {
		t.Fatalf("%d events, want %d", len(evs), s.opts.Goroutines/2*per)
	}
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d: sequence not gap-free", i, e.Seq)
		}
		// A transaction's events are contiguous and in order.
		if j := i % per; e.Type != fmt.Sprintf("e%d", j) || e.AggregateID != evs[i-j].AggregateID {
			t.Fatalf("event %d (%s %s) breaks its transaction's run", i, e.AggregateID, e.Type)
		}
	}
}

func (s *suite) testContext(t *testing.T) {
	st := s.open(t)
	cctx, cancel := contextWithCancel()
	cancel()
	called := false
	err := st.Update(cctx, func(tx marketplace.Tx) error {
		called = true
		o := order("o1", "b1")
		return tx.PutOrder(&o)
	})
	if err == nil {
		t.Fatal("Update with a cancelled context succeeded")
	}
	err = st.View(ctx, func(tx marketplace.ReadTx) error { _, err := tx.Order("o1"); return err })
	wantErr(t, err, marketplace.ErrNotFound, "order written under a cancelled context")
	_ = called
	if _, err := st.Events(cctx, 0, 10); err == nil {
		t.Fatal("Events with a cancelled context succeeded")
	}
}

func (s *suite) testReopen(t *testing.T) {
	st := s.open(t)
	p := product("p1", "s1")
	o := order("o1", "b1")
	o.NextDueAt = ptr(at(0))
	r := resource("r1", "b1")
	update(t, st, func(tx marketplace.Tx) error {
		for _, err := range []error{tx.PutProduct(&p), tx.PutOrder(&o), tx.PutResource(&r),
			tx.PutSavedItem(marketplace.SavedItem{BuyerID: "b1", ProductID: "p1", SpecID: "s1", AddedAt: at(0)}),
			tx.PutIdempotency(marketplace.IdempotencyRecord{Key: "k", ResultKind: marketplace.KindOrder, ResultID: "o1", CreatedAt: at(0)}),
			tx.AppendEvent(&marketplace.Event{At: at(0), Kind: marketplace.KindOrder, AggregateID: "o1", Type: "order.created", Data: []byte(`{"x":1}`)}),
		} {
			if err != nil {
				return err
			}
		}
		return nil
	})
	st = s.opts.Reopen(t, st)
	err := st.View(ctx, func(tx marketplace.ReadTx) error {
		gp, err := tx.Product("p1")
		if err != nil {
			return err
		}
		if d := cmp.Diff(p, gp, Comparer); d != "" {
			return fmt.Errorf("product after reopen (-want +got):\n%s", d)
		}
		gr, err := tx.Resource("r1")
		if err != nil {
			return err
		}
		if d := cmp.Diff(r, gr, Comparer); d != "" {
			return fmt.Errorf("resource after reopen (-want +got):\n%s", d)
		}
		if items, err := tx.SavedItems("b1"); err != nil || len(items) != 1 {
			return fmt.Errorf("saved items after reopen: %v %v", items, err)
		}
		if rec, err := tx.Idempotency("k"); err != nil || rec.ResultID != "o1" {
			return fmt.Errorf("idempotency after reopen: %v %v", rec, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if evs, err := st.Events(ctx, 0, 10); err != nil || len(evs) != 1 || evs[0].Seq != 1 {
		t.Fatalf("events after reopen: %v %v", evs, err)
	}
	if pg, err := st.SearchProducts(ctx, marketplace.ProductQuery{Text: "product", Limit: 10}); err != nil || pg.Total != 1 {
		t.Fatalf("search after reopen: %v %v", pg, err)
	}
	if due, err := st.ClaimDue(ctx, at(time.Hour), 10, "w", time.Minute); err != nil || len(due) != 1 {
		t.Fatalf("due after reopen: %v %v", due, err)
	}
	// The sequence continues.
	update(t, st, func(tx marketplace.Tx) error {
		e := marketplace.Event{At: at(0), Kind: marketplace.KindOrder, AggregateID: "o1", Type: "order.paid"}
		if err := tx.AppendEvent(&e); err != nil {
			return err
		}
		if e.Seq != 2 {
			return fmt.Errorf("seq after reopen %d, want 2", e.Seq)
		}
		// Versions continue too.
		o.Status = marketplace.OrderProcessing
		return tx.PutOrder(&o)
	})
}
