package marketplace_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

func TestProductLifecycle(t *testing.T) {
	e := newEnv(t)
	in := licenseInput("Firewall", billing.Yearly, "100.00")
	p := must(e.svc.CreateProduct(ctx, seller, in))(t)
	if p.Status != marketplace.ProductDraft || p.SellerName != "Contoso Software" || p.Specs[0].Status != marketplace.SpecActive {
		t.Fatalf("created: %+v", p)
	}
	// Drafts are invisible to buyers and search.
	if pg := must(e.svc.Search(ctx, buyer, marketplace.SearchInput{Text: "firewall"}))(t); pg.Total != 0 {
		t.Fatal("a draft is searchable")
	}
	in.Description = "Edited"
	_, err := e.svc.UpdateProduct(ctx, seller, p.ID, p.Version+1, in)
	wantErr(t, err, marketplace.ErrConflict)
	p = must(e.svc.UpdateProduct(ctx, seller, p.ID, p.Version, in))(t)
	if p.Description != "Edited" {
		t.Fatal("not updated")
	}
	p = must(e.svc.SubmitProduct(ctx, seller, p.ID))(t)
	if q := must(e.svc.ReviewQueue(ctx, operator, "", 0))(t); q.Total != 1 || q.Items[0].ID != p.ID {
		t.Fatalf("review queue: %+v", q)
	}
	_, err = e.svc.ReviewQueue(ctx, seller, "", 0)
	wantErr(t, err, marketplace.ErrNotAllowed)
	_, err = e.svc.UpdateProduct(ctx, seller, p.ID, p.Version, in)
	wantErr(t, err, marketplace.ErrConflict)
	_, err = e.svc.SubmitProduct(ctx, seller, p.ID)
	wantErr(t, err, marketplace.ErrConflict)
	_, err = e.svc.ReviewProduct(ctx, operator, marketplace.ReviewInput{ProductID: p.ID})
	wantErr(t, err, marketplace.ErrInvalidInput) // a rejection needs a comment
	p = must(e.svc.ReviewProduct(ctx, operator, marketplace.ReviewInput{ProductID: p.ID, Comment: "add a guide"}))(t)
	if p.Status != marketplace.ProductDraft || p.ReviewComment != "add a guide" {
		t.Fatalf("rejected: %s %q", p.Status, p.ReviewComment)
	}
	must(e.svc.SubmitProduct(ctx, seller, p.ID))(t)
	p = must(e.svc.ReviewProduct(ctx, operator, marketplace.ReviewInput{ProductID: p.ID, Approve: true}))(t)
	if p.Status != marketplace.ProductListed || p.ListedAt == nil {
		t.Fatalf("approved: %+v", p)
	}
	if pg := must(e.svc.Search(ctx, buyer, marketplace.SearchInput{Text: "firewall"}))(t); pg.Total != 1 {
		t.Fatal("a listed product is not searchable")
	}
	if c := must(e.svc.ProductContact(ctx, buyer, p.ID))(t); c.SupportEmail != "help@contoso.example" || c.SupportRange != "9-18 Mon-Fri" {
		t.Fatalf("contact: %+v", c)
	}
	// A discontinued specification cannot be bought.
	must(e.svc.DiscontinueSpec(ctx, seller, p.ID, "std"))(t)
	_, err = e.svc.DiscontinueSpec(ctx, seller, p.ID, "std")
	wantErr(t, err, marketplace.ErrConflict)
	_, err = e.svc.DiscontinueSpec(ctx, seller, p.ID, "nope")
	wantErr(t, err, marketplace.ErrNotFound)
	_, err = e.svc.Quote(ctx, buyer, marketplace.QuoteInput{ProductID: p.ID, SpecID: "std", Mode: billing.Yearly, Duration: 1})
	wantErr(t, err, marketplace.ErrNotFound)
	// Delisted for good.
	p = must(e.svc.DelistProduct(ctx, seller, p.ID))(t)
	if p.Status != marketplace.ProductDelisted {
		t.Fatal("not delisted")
	}
	_, err = e.svc.DelistProduct(ctx, operator, p.ID)
	wantErr(t, err, marketplace.ErrConflict)
	_, err = e.svc.SubmitProduct(ctx, seller, p.ID)
	wantErr(t, err, marketplace.ErrConflict)
	_, err = e.svc.GetProduct(ctx, buyer, p.ID)
	wantErr(t, err, marketplace.ErrNotFound)
	if got := must(e.svc.GetProduct(ctx, seller, p.ID))(t); got.Status != marketplace.ProductDelisted {
		t.Fatal("the seller cannot see its delisted product")
	}
	pg := must(e.svc.SellerProducts(ctx, seller, "isv1", nil, "", 0))(t)
	if pg.Total != 7 {
		t.Fatalf("seller's products: %d", pg.Total)
	}
	pg = must(e.svc.SellerProducts(ctx, operator, "isv1", []marketplace.ProductStatus{marketplace.ProductDelisted}, "", 0))(t)
	if pg.Total != 1 {
		t.Fatalf("delisted products: %d", pg.Total)
	}
	// Sellers edit themselves; certification is the operators'.
	sl := must(e.svc.RegisterSeller(ctx, seller2, marketplace.SellerInput{ID: "isv2", Name: "Renamed", SupportEmail: "x@y.z", Certified: true}))(t)
	if sl.Name != "Renamed" || sl.Certified {
		t.Fatalf("seller self-edit: %+v", sl)
	}
	if got := must(e.svc.GetSeller(ctx, buyer, "isv2"))(t); got.Name != "Renamed" {
		t.Fatal("seller not updated")
	}
	_, err = e.svc.CreateProduct(ctx, marketplace.SellerActor("ghost"), licenseInput("X", billing.Yearly, "1"))
	wantErr(t, err, marketplace.ErrNotFound)
}

func TestProductValidation(t *testing.T) {
	cfg := billing.DefaultConfig()
	good := licenseInput("Good", billing.Yearly, "1.00")
	cases := []struct {
		name  string
		mod   func(*marketplace.ProductInput)
		field string
	}{
		{"no name", func(p *marketplace.ProductInput) { p.Name = " " }, "name"},
		{"long name", func(p *marketplace.ProductInput) { p.Name = string(make([]byte, 201)) }, "name"},
		{"no category", func(p *marketplace.ProductInput) { p.Category = "" }, "category"},
		{"bad delivery", func(p *marketplace.ProductInput) { p.Delivery = "hardware" }, "delivery"},
		{"unsupervised license", func(p *marketplace.ProductInput) { p.Supervised = false; p.FlowTemplate = "" }, "supervised"},
		{"bad template", func(p *marketplace.ProductInput) { p.FlowTemplate = "nope" }, "flow_template"},
		{"review on license", func(p *marketplace.ProductInput) { p.ReviewDelivery = true }, "review_delivery"},
		{"no specs", func(p *marketplace.ProductInput) { p.Specs = nil }, "specs"},
		{"repeated spec", func(p *marketplace.ProductInput) { p.Specs = append(p.Specs, p.Specs[0]) }, "specs[1].id"},
		{"bad price", func(p *marketplace.ProductInput) { p.Specs[0].Pricing.Plans[0].UnitPrice = usd("-1") }, "specs[0].pricing"},
		{"upgradable license", func(p *marketplace.ProductInput) { p.Specs[0].Upgradable = true }, "specs[0].upgradable"},
		{"image info on license", func(p *marketplace.ProductInput) { p.Image = &marketplace.ImageInfo{} }, "image"},
		{"supervised image", func(p *marketplace.ProductInput) { p.Delivery = marketplace.DeliveryImage }, "supervised"},
		{"image without regions", func(p *marketplace.ProductInput) {
			p.Delivery, p.Supervised, p.FlowTemplate = marketplace.DeliveryImage, false, ""
		}, "image.regions"},
		{"flow on unsupervised SaaS", func(p *marketplace.ProductInput) { p.Delivery, p.Supervised = marketplace.DeliverySaaS, false }, "flow_template"},
		{"bad spec status", func(p *marketplace.ProductInput) { p.Specs[0].Status = "x" }, "specs[0].status"},
	}
	if err := good.Validate(cfg); err != nil {
		t.Fatalf("good input: %v", err)
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := licenseInput("Good", billing.Yearly, "1.00")
			c.mod(&in)
			err := in.Validate(cfg)
			var ie *marketplace.InputError
			if !errors.As(err, &ie) || ie.Field != c.field {
				t.Fatalf("got %v, want an InputError on %s", err, c.field)
			}
		})
	}
}

func TestSearchAndSavedList(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name string
		in   marketplace.SearchInput
		want []string
	}{
		// All were listed at the same instant: ties go by id.
		{"clear filters", marketplace.SearchInput{}, []string{e.license.ID, e.licenseMonthly.ID, e.saasPlain.ID, e.saasSup.ID, e.pro.ID, e.image.ID}},
		{"text over description", marketplace.SearchInput{Text: "apache"}, []string{e.image.ID}},
		{"text over seller", marketplace.SearchInput{Text: "contoso mail"}, []string{e.saasPlain.ID}},
		{"category", marketplace.SearchInput{Category: "security"}, []string{e.license.ID, e.licenseMonthly.ID}},
		{"os", marketplace.SearchInput{OS: "Linux"}, []string{e.image.ID}},
		{"delivery", marketplace.SearchInput{Delivery: marketplace.DeliverySaaS}, []string{e.saasPlain.ID, e.saasSup.ID}},
		{"mode", marketplace.SearchInput{Mode: billing.OneTime}, []string{e.pro.ID}},
		{"seller", marketplace.SearchInput{SellerID: "isv2"}, nil},
		{"sort by name", marketplace.SearchInput{Sort: marketplace.SortName, Delivery: marketplace.DeliveryLicense}, []string{e.license.ID, e.licenseMonthly.ID}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			in := c.in
			in.Limit = 2
			for {
				pg := must(e.svc.Search(ctx, buyer, in))(t)
				if pg.Total != len(c.want) {
					t.Fatalf("total %d, want %d", pg.Total, len(c.want))
				}
				for _, p := range pg.Items {
					got = append(got, p.ID)
				}
				if pg.Next == "" {
					break
				}
				in.Cursor = pg.Next
			}
			if d := cmp.Diff(c.want, got); d != "" {
				t.Fatalf("(-want +got):\n%s", d)
			}
		})
	}
	for _, in := range []marketplace.SearchInput{{Limit: -1}, {Delivery: "x"}, {Mode: "x"}, {Sort: "price"}, {Cursor: "%%"}, {Text: string(make([]byte, 501))}} {
		_, err := e.svc.Search(ctx, buyer, in)
		wantErr(t, err, marketplace.ErrInvalidInput)
	}
	// Saved list.
	must(e.svc.SaveItem(ctx, buyer, marketplace.SavedInput{ProductID: e.license.ID, SpecID: "std"}))(t)
	e.clock.Advance(1)
	must(e.svc.SaveItem(ctx, buyer, marketplace.SavedInput{ProductID: e.saasPlain.ID}))(t)
	_, err := e.svc.SaveItem(ctx, buyer, marketplace.SavedInput{ProductID: e.license.ID, SpecID: "nope"})
	wantErr(t, err, marketplace.ErrNotFound)
	_, err = e.svc.SaveItem(ctx, buyer, marketplace.SavedInput{ProductID: "nope"})
	wantErr(t, err, marketplace.ErrNotFound)
	_, err = e.svc.SaveItem(ctx, buyer, marketplace.SavedInput{})
	wantErr(t, err, marketplace.ErrInvalidInput)
	l := must(e.svc.SavedList(ctx, buyer))(t)
	if len(l) != 2 || l[0].ProductID != e.license.ID || l[0].Product == nil {
		t.Fatalf("saved list: %+v", l)
	}
	// Buying from the list is the same checkout.
	o := e.buy(buyer, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: l[0].ProductID, SpecID: l[0].SpecID, Mode: billing.Yearly, Duration: 1}}, nil)
	if o.Status != marketplace.OrderProcessing {
		t.Fatal("not bought from the saved list")
	}
	must(e.svc.DelistProduct(ctx, seller, e.saasPlain.ID))(t)
	if l := must(e.svc.SavedList(ctx, buyer))(t); l[1].Product != nil {
		t.Fatal("a delisted product is still shown")
	}
	if err := e.svc.RemoveSavedItem(ctx, buyer, marketplace.SavedInput{ProductID: e.saasPlain.ID}); err != nil {
		t.Fatal(err)
	}
	wantErr(t, e.svc.RemoveSavedItem(ctx, buyer, marketplace.SavedInput{ProductID: e.saasPlain.ID}), marketplace.ErrNotFound)
}

// TestWhitelistWithheld: a restricted product's whitelist names buyers, so
// only its seller and operators read it. Everyone else reads it withheld
// through every read path: Restricted set, and the whitelist holding only
// the reading buyer's own id when that buyer is on it, so that Allows
// answers for the reader. The stored product keeps its whitelist.
func TestWhitelistWithheld(t *testing.T) {
	e := newEnv(t)
	in := licenseInput("Private License", billing.Yearly, "10.00")
	in.Restriction = marketplace.Restriction{Whitelist: []string{"alice", "carol-at-bigbank"}}
	p := e.publish(seller, in)
	full := marketplace.Restriction{Whitelist: []string{"alice", "carol-at-bigbank"}}
	// Each read path, as the actor reads the product through it.
	paths := map[string]func(a marketplace.Actor) (marketplace.Product, error){
		"GetProduct": func(a marketplace.Actor) (marketplace.Product, error) { return e.svc.GetProduct(ctx, a, p.ID) },
		"Search": func(a marketplace.Actor) (marketplace.Product, error) {
			pg, err := e.svc.Search(ctx, a, marketplace.SearchInput{Text: "Private"})
			if err != nil || len(pg.Items) != 1 {
				return marketplace.Product{}, fmt.Errorf("search: %d items, %v", len(pg.Items), err)
			}
			return pg.Items[0], nil
		},
		"SellerProducts": func(a marketplace.Actor) (marketplace.Product, error) {
			pg, err := e.svc.SellerProducts(ctx, a, "isv1", nil, "", 100)
			for _, q := range pg.Items {
				if q.ID == p.ID {
					return q, nil
				}
			}
			return marketplace.Product{}, fmt.Errorf("seller products: not listed, %v", err)
		},
		"SavedList": func(a marketplace.Actor) (marketplace.Product, error) {
			must(e.svc.SaveItem(ctx, a, marketplace.SavedInput{ProductID: p.ID}))(t)
			l, err := e.svc.SavedList(ctx, a)
			if err != nil || len(l) != 1 || l[0].Product == nil {
				return marketplace.Product{}, fmt.Errorf("saved list: %+v, %v", l, err)
			}
			return *l[0].Product, nil
		},
	}
	tests := []struct {
		name  string
		actor marketplace.Actor
		paths []string
		want  marketplace.Restriction
		allow bool // the view's Allows(actor.ID)
	}{
		{"owning seller", seller, []string{"GetProduct", "Search", "SellerProducts"}, full, false},
		{"operator", operator, []string{"GetProduct", "Search", "SellerProducts"}, full, false},
		{"buyer on the whitelist", buyer, []string{"GetProduct", "Search", "SavedList"},
			marketplace.Restriction{Whitelist: []string{"alice"}, Restricted: true}, true},
		{"buyer off the whitelist", other, []string{"GetProduct", "Search", "SavedList"}, marketplace.Restriction{Restricted: true}, false},
		{"reseller's customer off the whitelist", marketplace.ResellerCustomer("dave", "reseller1"), []string{"GetProduct", "Search", "SavedList"},
			marketplace.Restriction{Restricted: true}, false},
		{"another seller", seller2, []string{"GetProduct", "Search"}, marketplace.Restriction{Restricted: true}, false},
	}
	for _, tc := range tests {
		for _, path := range tc.paths {
			t.Run(tc.name+"/"+path, func(t *testing.T) {
				got := must(paths[path](tc.actor))(t)
				if d := cmp.Diff(tc.want, got.Restriction); d != "" {
					t.Errorf("restriction (-want +got):\n%s", d)
				}
				if tc.actor.Role == marketplace.RoleBuyer && got.Restriction.Allows(tc.actor.ID) != tc.allow {
					t.Errorf("Allows(%s) = %v, want %v", tc.actor.ID, !tc.allow, tc.allow)
				}
			})
		}
	}
	// Withholding it changed nothing stored: the seller reads it whole and
	// the purchase check still uses it.
	if got := must(e.svc.GetProduct(ctx, seller, p.ID))(t); !cmp.Equal(full, got.Restriction) {
		t.Errorf("stored restriction now %+v", got.Restriction)
	}
	if pg := must(e.svc.Search(ctx, operator, marketplace.SearchInput{Text: "Private"}))(t); len(pg.Items) != 1 || !cmp.Equal(full, pg.Items[0].Restriction) {
		t.Errorf("stored restriction found by search now %+v", pg.Items)
	}
	order := func(as marketplace.Actor) error {
		_, err := e.svc.CreateOrder(ctx, as, marketplace.CreateOrderInput{QuoteInput: marketplace.QuoteInput{ProductID: p.ID, SpecID: "std", Mode: billing.Yearly, Duration: 1},
			AgreeTerms: true, IdempotencyKey: "w-" + as.ID})
		return err
	}
	wantErr(t, order(other), marketplace.ErrNotAllowed)
	if err := order(buyer); err != nil {
		t.Errorf("alice, on the whitelist: %v", err)
	}
	// Restricted is the marketplace's to set, not a seller's.
	in.Restriction = marketplace.Restriction{Restricted: true}
	_, err := e.svc.CreateProduct(ctx, seller, in)
	wantErr(t, err, marketplace.ErrInvalidInput)
}

// TestProductWhitelistValidation: every whitelist entry must be a buyer id,
// and naming a buyer twice is refused (it is most likely a typo for another
// buyer, which de-duplicating would hide from the seller).
func TestProductWhitelistValidation(t *testing.T) {
	cfg := billing.DefaultConfig()
	cases := []struct {
		name string
		list []string
		want *marketplace.InputError // nil: valid
	}{
		{"none", nil, nil},
		{"distinct", []string{"alice", "bob", "carol-at-bigbank"}, nil},
		{"empty first", []string{""}, &marketplace.InputError{Field: "restriction.whitelist[0]", Value: "", Reason: "must not be empty"}},
		{"empty fourth", []string{"alice", "bob", "carol", ""}, &marketplace.InputError{Field: "restriction.whitelist[3]", Value: "", Reason: "must not be empty"}},
		{"space", []string{"alice", "bob smith"}, &marketplace.InputError{Field: "restriction.whitelist[1]", Value: "bob smith", Reason: "must be at most 128 bytes without spaces or slashes"}},
		{"slash", []string{"a/b"}, &marketplace.InputError{Field: "restriction.whitelist[0]", Value: "a/b", Reason: "must be at most 128 bytes without spaces or slashes"}},
		{"too long", []string{strings.Repeat("x", 129)}, &marketplace.InputError{Field: "restriction.whitelist[0]", Value: strings.Repeat("x", 129), Reason: "must be at most 128 bytes without spaces or slashes"}},
		{"duplicate", []string{"alice", "bob", "alice"}, &marketplace.InputError{Field: "restriction.whitelist[2]", Value: "alice", Reason: "is repeated (also restriction.whitelist[0])"}},
		{"duplicate adjacent", []string{"bob", "bob"}, &marketplace.InputError{Field: "restriction.whitelist[1]", Value: "bob", Reason: "is repeated (also restriction.whitelist[0])"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := licenseInput("Good", billing.Yearly, "1.00")
			in.Restriction.Whitelist = c.list
			err := in.Validate(cfg)
			var got *marketplace.InputError
			if err != nil && !errors.As(err, &got) {
				t.Fatalf("got %v, want an *InputError", err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Fatalf("error (-want +got):\n%s", diff)
			}
		})
	}
}

// TestProductWhitelistRefusedUnwritten: CreateProduct and UpdateProduct
// refuse a bad whitelist and write nothing.
func TestProductWhitelistRefusedUnwritten(t *testing.T) {
	e := newEnv(t)
	before := must(e.store.SearchProducts(ctx, marketplace.ProductQuery{SellerID: "isv1", Limit: 100}))(t).Total
	in := licenseInput("Restricted", billing.Yearly, "1.00")
	in.Restriction.Whitelist = []string{"alice", "alice"}
	_, err := e.svc.CreateProduct(ctx, seller, in)
	wantErr(t, err, marketplace.ErrInvalidInput)

	p := e.license
	in.Restriction.Whitelist = []string{"alice", ""}
	_, err = e.svc.UpdateProduct(ctx, seller, p.ID, p.Version, in)
	wantErr(t, err, marketplace.ErrInvalidInput)
	after := must(e.svc.GetProduct(ctx, seller, p.ID))(t)
	if after.Version != p.Version || len(after.Restriction.Whitelist) != 0 {
		t.Fatalf("product changed: version %d→%d, whitelist %q", p.Version, after.Version, after.Restriction.Whitelist)
	}
	if n := must(e.store.SearchProducts(ctx, marketplace.ProductQuery{SellerID: "isv1", Limit: 100}))(t).Total; n != before {
		t.Fatalf("%d products, want %d", n, before)
	}
}
