package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/opengallery/opengallery/marketplace"
)

func usd(amount string) map[string]string {
	return map[string]string{"amount": amount, "currency": "USD"}
}

func plan(mode, price string) map[string]any {
	return map[string]any{"mode": mode, "unit_price": usd(price)}
}

// Product bodies of each delivery method, as a seller would post them.
func licenseProduct() map[string]any {
	return map[string]any{
		"name": "Office Suite License", "description": "Perpetual office suite for teams", "category": "Productivity",
		"operating_systems": []string{"Windows", "Linux"}, "delivery": "license", "supervised": true, "flow_template": "license",
		"specs": []any{map[string]any{"id": "std", "name": "Standard", "pricing": map[string]any{"plans": []any{plan("yearly", "900.00")}}}},
	}
}

func saasProduct() map[string]any {
	return map[string]any{
		"name": "Mail Hosting", "description": "Business email hosting", "category": "Email",
		"delivery": "saas",
		"specs": []any{
			map[string]any{"id": "basic", "name": "Basic", "quantity_name": "number of licenses", "upgradable": true,
				"pricing": map[string]any{"plans": []any{plan("monthly", "5.00"), plan("yearly", "50.00")}}},
			map[string]any{"id": "pro", "name": "Pro", "quantity_name": "number of licenses", "upgradable": true,
				"pricing": map[string]any{"plans": []any{plan("monthly", "8.00"), plan("yearly", "80.00")}}},
		},
	}
}

func serviceProduct() map[string]any {
	return map[string]any{
		"name": "Cloud Migration Service", "description": "Professional migration to the cloud", "category": "Services",
		"delivery": "professional_service", "supervised": true, "flow_template": "standard",
		"specs": []any{map[string]any{"id": "once", "name": "One migration", "pricing": map[string]any{"plans": []any{plan("one_time", "1200.00")}}}},
	}
}

// registerSeller registers seller-1 (and seller-2) through the API.
func (e *env) registerSellers() {
	e.T.Helper()
	e.Must(http.StatusOK, "PUT", "/v1/sellers/seller-1", tokOperator, map[string]any{
		"name": "Acme Software", "support_email": "support@acme.example", "support_phone": "+86 555 0100", "certified": true})
	e.Must(http.StatusOK, "PUT", "/v1/sellers/seller-2", tokSeller2, map[string]any{
		"name": "Other Vendor", "support_email": "help@other.example"})
}

// listProduct creates, submits and approves a product; it returns its id.
func (e *env) listProduct(token string, body map[string]any) string {
	e.T.Helper()
	var p marketplace.Product
	e.Must(http.StatusCreated, "POST", "/v1/seller/products", token, body).JSON(e.T, &p)
	e.Must(http.StatusOK, "POST", "/v1/seller/products/"+p.ID+"/submit", token, nil)
	e.Must(http.StatusOK, "POST", "/v1/review/products/"+p.ID, tokOperator, map[string]any{"approve": true})
	return p.ID
}

func TestCatalogOverHTTP(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.registerSellers()

		// A draft: only its seller sees it; editing needs If-Match.
		var draft marketplace.Product
		r := e.Must(http.StatusCreated, "POST", "/v1/seller/products", tokSeller, licenseProduct())
		r.JSON(t, &draft)
		if r.Header.Get("ETag") == "" || r.Header.Get("Location") != "/v1/products/"+draft.ID {
			t.Errorf("create: ETag %q, Location %q", r.Header.Get("ETag"), r.Header.Get("Location"))
		}
		e.Must(http.StatusOK, "GET", "/v1/products/"+draft.ID, tokSeller, nil)
		for _, tok := range []string{tokBuyer, tokSeller2} {
			if got := e.Do("GET", "/v1/products/"+draft.ID, tok, nil); got.Status != 404 || got.Code() != "not_found" {
				t.Errorf("draft seen by another: %s", got)
			}
		}
		edit := licenseProduct()
		edit["description"] = "Perpetual office suite for teams of any size"
		if got := e.Do("PUT", "/v1/seller/products/"+draft.ID, tokSeller, edit); got.Status != 428 || got.Code() != "precondition_required" {
			t.Errorf("update without If-Match: %s", got)
		}
		if got := e.Do("PUT", "/v1/seller/products/"+draft.ID, tokSeller, edit, "If-Match", `"v99"`); got.Status != 412 || got.Code() != "precondition_failed" {
			t.Errorf("update with a stale If-Match: %s", got)
		}
		upd := e.Must(http.StatusOK, "PUT", "/v1/seller/products/"+draft.ID, tokSeller, edit, "If-Match", r.Header.Get("ETag"))
		if upd.Header.Get("ETag") == r.Header.Get("ETag") {
			t.Error("ETag did not change with the update")
		}
		if got := e.Do("PUT", "/v1/seller/products/"+draft.ID, tokSeller2, edit, "If-Match", upd.Header.Get("ETag")); got.Status != 404 {
			t.Errorf("another seller's update: %s", got)
		}

		// Review: only operators.
		e.Must(http.StatusOK, "POST", "/v1/seller/products/"+draft.ID+"/submit", tokSeller, nil)
		if got := e.Do("POST", "/v1/review/products/"+draft.ID, tokSeller, map[string]any{"approve": true}); got.Status != 403 || got.Code() != "forbidden" {
			t.Errorf("seller approving: %s", got)
		}
		var queue marketplace.Page[marketplace.Product]
		e.Must(http.StatusOK, "GET", "/v1/review/products", tokOperator, nil).JSON(t, &queue)
		if queue.Total != 1 || queue.Items[0].ID != draft.ID {
			t.Errorf("review queue = %+v", queue)
		}
		if got := e.Do("POST", "/v1/review/products/"+draft.ID, tokOperator, map[string]any{"approve": false}); got.Status != 400 || got.Code() != "invalid_input" {
			t.Errorf("rejection without comment: %s", got)
		}
		e.Must(http.StatusOK, "POST", "/v1/review/products/"+draft.ID, tokOperator, map[string]any{"approve": true})
		saas := e.listProduct(tokSeller, saasProduct())
		e.listProduct(tokSeller2, serviceProduct())

		// Search and details.
		var page marketplace.Page[marketplace.Product]
		e.Must(http.StatusOK, "GET", "/v1/products?limit=10", tokBuyer, nil).JSON(t, &page)
		if page.Total != 3 {
			t.Errorf("search all: total %d, want 3", page.Total)
		}
		e.Must(http.StatusOK, "GET", "/v1/products?text=mail&delivery=saas&mode=monthly", tokBuyer, nil).JSON(t, &page)
		if page.Total != 1 || page.Items[0].ID != saas {
			t.Errorf("search mail: %+v", page)
		}
		e.Must(http.StatusOK, "GET", "/v1/products?seller_id=seller-2", tokBuyer, nil).JSON(t, &page)
		if page.Total != 1 {
			t.Errorf("search by seller: total %d", page.Total)
		}
		e.Must(http.StatusOK, "GET", "/v1/products?limit=1&sort=name", tokBuyer, nil).JSON(t, &page)
		if page.Next == "" || len(page.Items) != 1 {
			t.Fatalf("page 1: %+v", page)
		}
		var page2 marketplace.Page[marketplace.Product]
		e.Must(http.StatusOK, "GET", "/v1/products?limit=1&sort=name&cursor="+page.Next, tokBuyer, nil).JSON(t, &page2)
		if len(page2.Items) != 1 || page2.Items[0].ID == page.Items[0].ID {
			t.Errorf("page 2 = %+v", page2)
		}
		var p marketplace.Product
		pr := e.Must(http.StatusOK, "GET", "/v1/products/"+saas, tokBuyer, nil)
		pr.JSON(t, &p)
		if len(p.Specs) != 2 || p.Specs[0].QuantityName != "number of licenses" || pr.Header.Get("ETag") == "" {
			t.Errorf("details: %+v", p)
		}
		// Pricing in snake_case, nothing unset spelled out.
		want := `"pricing":{"plans":[{"mode":"monthly","unit_price":{"amount":"5.00","currency":"USD"}},{"mode":"yearly","unit_price":{"amount":"50.00","currency":"USD"}}]}`
		if body := string(pr.Body); !strings.Contains(body, want) {
			t.Errorf("details body %s\nwant it to contain %s", body, want)
		}
		var c marketplace.Contact
		e.Must(http.StatusOK, "GET", "/v1/products/"+saas+"/contact", tokBuyer, nil).JSON(t, &c)
		if c.SupportEmail != "support@acme.example" {
			t.Errorf("contact = %+v", c)
		}

		// Saved list.
		e.Must(http.StatusCreated, "POST", "/v1/saved", tokBuyer, map[string]string{"product_id": saas, "spec_id": "basic"})
		var saved struct{ Items []marketplace.SavedEntry }
		e.Must(http.StatusOK, "GET", "/v1/saved", tokBuyer, nil).JSON(t, &saved)
		if len(saved.Items) != 1 || saved.Items[0].Product == nil {
			t.Fatalf("saved = %+v", saved)
		}
		e.Must(http.StatusOK, "GET", "/v1/saved", tokBuyer2, nil).JSON(t, &saved)
		if len(saved.Items) != 0 {
			t.Errorf("another buyer's saved list: %+v", saved)
		}
		if got := e.Do("DELETE", "/v1/saved/"+saas+"?spec_id=basic", tokBuyer2, nil); got.Status != 404 {
			t.Errorf("removing another's saved item: %s", got)
		}
		e.Must(http.StatusNoContent, "DELETE", "/v1/saved/"+saas+"?spec_id=basic", tokBuyer, nil)

		// Delist and discontinue.
		e.Must(http.StatusOK, "POST", "/v1/seller/products/"+saas+"/specs/pro/discontinue", tokSeller, nil)
		if got := e.Do("POST", "/v1/seller/products/"+saas+"/specs/pro/discontinue", tokSeller, nil); got.Status != 409 {
			t.Errorf("discontinue twice: %s", got)
		}
		e.Must(http.StatusOK, "POST", "/v1/seller/products/"+draft.ID+"/delist", tokSeller, nil)
		if got := e.Do("GET", "/v1/products/"+draft.ID, tokBuyer, nil); got.Status != 404 {
			t.Errorf("delisted product visible to buyers: %s", got)
		}
		var mine marketplace.Page[marketplace.Product]
		e.Must(http.StatusOK, "GET", "/v1/seller/products?status=delisted", tokSeller, nil).JSON(t, &mine)
		if mine.Total != 1 {
			t.Errorf("seller's delisted = %d", mine.Total)
		}
	})
}

// TestWhitelistWithheldOverHTTP: a restricted product's whitelist reaches
// only its seller and operators; other buyers and sellers get it withheld
// from the product, search and saved-list endpoints (a buyer on it sees
// their own id), and reading it that way leaves the stored whitelist
// whole (the SQLite store caches decoded products).
func TestWhitelistWithheldOverHTTP(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		e.registerSellers()
		body := licenseProduct()
		body["restriction"] = map[string]any{"whitelist": []string{"buyer-1", "buyer-2"}}
		id := e.listProduct(tokSeller, body)
		full := `"restriction":{"whitelist":["buyer-1","buyer-2"]}`
		withheld := `"restriction":{"restricted":true}`
		for _, tok := range []string{tokCustomer, tokBuyer} {
			e.Must(http.StatusCreated, "POST", "/v1/saved", tok, map[string]string{"product_id": id})
		}
		for _, c := range []struct {
			token string
			paths []string
			want  string
		}{
			{tokSeller2, []string{"/v1/products/" + id, "/v1/products?text=office"}, withheld},
			{tokCustomer, []string{"/v1/products/" + id, "/v1/products?text=office", "/v1/saved"}, withheld},
			{tokBuyer, []string{"/v1/products/" + id, "/v1/products?text=office", "/v1/saved"}, `"restriction":{"whitelist":["buyer-1"],"restricted":true}`},
			{tokSeller, []string{"/v1/products/" + id, "/v1/products?text=office", "/v1/seller/products"}, full},
			{tokOperator, []string{"/v1/products/" + id, "/v1/products?text=office", "/v1/seller/products?seller_id=seller-1"}, full},
		} {
			for _, path := range c.paths {
				got := string(e.Must(http.StatusOK, "GET", path, c.token, nil).Body)
				if !strings.Contains(got, c.want) || c.want != full && strings.Contains(got, "buyer-2") {
					t.Errorf("%s as %s: %s\nwant it to contain %s and no other buyer", path, c.token, got, c.want)
				}
			}
		}
		// A seller cannot post the marker in place of a whitelist.
		body["restriction"] = map[string]any{"restricted": true}
		if got := e.Do("POST", "/v1/seller/products", tokSeller, body); got.Status != 400 || got.Code() != "invalid_input" {
			t.Errorf("restricted without a whitelist: %s", got)
		}
	})
}
