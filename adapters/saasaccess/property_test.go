package saasaccess_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
)

// randText returns 1..n characters from a mix of ASCII, CJK, emoji and
// JSON-hostile characters, without surrounding white space (the Handler
// trims ids).
func randText(r *rand.Rand, n int) string {
	alphabet := []rune(`abcXYZ019-_./:"\{}[],é中文🔑<>&` + "\t")
	var b strings.Builder
	for range 1 + r.IntN(n) {
		b.WriteRune(alphabet[r.IntN(len(alphabet))])
	}
	return "x" + b.String() + "x"
}

func randCreate(r *rand.Rand, i int) provisioning.CreateRequest {
	modes := []billing.Mode{"", billing.Monthly, billing.Yearly, billing.OneTime, billing.PayPerUse}
	req := provisioning.CreateRequest{
		OrderID: fmt.Sprintf("o-%d-%s", i, randText(r, 20)), OrderLineID: randText(r, 40), BusinessID: randText(r, 40),
		Mode: modes[r.IntN(len(modes))], Test: r.IntN(2) == 0,
	}
	if req.Mode == billing.PayPerUse || r.IntN(2) == 0 {
		req.ProductID = randText(r, 40)
	}
	if r.IntN(3) > 0 {
		req.Buyer = provisioning.Buyer{CustomerID: randText(r, 10), CustomerName: randText(r, 30), UserName: randText(r, 10)}
		if r.IntN(2) == 0 {
			req.Buyer.MobilePhone = fmt.Sprintf("+86-138%08d", r.IntN(1e8))
			req.Buyer.Email = randText(r, 10) + "@example.com"
		}
	}
	o := &req.Order
	switch req.Mode {
	case billing.Monthly:
		o.PeriodType = "month"
	case billing.Yearly:
		o.PeriodType = "year"
	}
	o.Trial = r.IntN(4) == 0
	o.PeriodCount = r.IntN(13)
	if r.IntN(2) == 0 {
		o.Amount = billing.Money{Amount: decimal.New(r.Int64N(10_000_000), -int32(r.IntN(5))), Currency: billing.USD}
	}
	for range r.IntN(3) {
		o.Products = append(o.Products, provisioning.ProductInfo{ProductID: randText(r, 20), SKUCode: randText(r, 20), LinearValue: r.Int64N(1000)})
	}
	if r.IntN(2) == 0 {
		base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
		o.CreatedAt = base.Add(time.Duration(r.Int64N(10*365*24*3600)) * time.Second)
		o.ExpiresAt = o.CreatedAt.AddDate(0, 1+r.IntN(24), 0)
	}
	if r.IntN(2) == 0 {
		o.Extra = map[string]string{}
		for range 1 + r.IntN(3) {
			o.Extra[randText(r, 8)] = randText(r, 20)
		}
	}
	return req
}

// TestCreateRoundTripProperty: for random create requests, what the seller
// receives through Client → signed JSON → Handler equals what was sent.
func TestCreateRoundTripProperty(t *testing.T) {
	f := newFakeSeller()
	p := newPair(t, f, f)
	r := rand.New(rand.NewPCG(2026, 4))
	var sent []any
	for i := range 200 {
		req := randCreate(r, i)
		if _, err := p.client.CreateInstance(context.Background(), req); err != nil {
			t.Fatalf("request %d %+v: %v", i, req, err)
		}
		// The one designed asymmetry: without a top-level productId the
		// Handler takes the first product of the order (where the
		// published example carries it).
		if req.ProductID == "" && len(req.Order.Products) > 0 {
			req.ProductID = req.Order.Products[0].ProductID
		}
		sent = append(sent, req)
	}
	if d := diffAny(sent, f.recorded()); d != "" {
		t.Fatalf("seller received (-sent +received):\n%s", d)
	}
}
