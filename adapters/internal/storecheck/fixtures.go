package storecheck

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// T0 is the fixed instant every fixture is dated at.
var T0 = time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC)

// USD parses a dollar amount; it panics on a malformed literal, which is a
// bug in the test, not user input.
func USD(s string) billing.Money { return billing.MustMoney(s, billing.USD) }

// BuyerID is the id of the i-th fixture buyer (b000, b001, ...).
func BuyerID(i int) string { return fmt.Sprintf("b%03d", i) }

// BuildStoreprog builds the helper program (adapters/sqlite/internal/storeprog,
// which drives either store by its flags) into a temporary directory and
// returns its path.
func BuildStoreprog(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "storeprog")
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/opengallery/opengallery/adapters/sqlite/internal/storeprog")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build storeprog: %v\n%s", err, out)
	}
	return bin
}

// ShopService seeds st with SeedShop for buyers BuyerID(0) … BuyerID(n-1)
// and returns a Service on it: the set-up of the place-and-pay benchmarks.
func ShopService(tb testing.TB, st marketplace.Store, n int) *marketplace.Service {
	tb.Helper()
	buyers := make([]string, n)
	for i := range buyers {
		buyers[i] = BuyerID(i)
	}
	SeedShop(tb, st, buyers...)
	svc, err := marketplace.New(st)
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

// SeedShop lists a license product (no supervision, so paying completes
// the purchase in one transaction) and funds the buyers' prepaid accounts.
func SeedShop(tb testing.TB, st marketplace.Store, buyers ...string) {
	tb.Helper()
	err := st.Update(context.Background(), func(tx marketplace.Tx) error {
		p := marketplace.Product{ID: "p1", SellerID: "s1", SellerName: "Seller", Name: "Firewall", Description: "x",
			Category: "security", Delivery: marketplace.DeliveryLicense, Status: marketplace.ProductListed,
			Specs: []marketplace.Specification{{ID: "sp1", Name: "Basic", Status: marketplace.SpecActive,
				Pricing: billing.Pricing{Plans: []billing.PricePlan{{Mode: billing.Monthly, UnitPrice: USD("5.00")}}}}},
			CreatedAt: T0, UpdatedAt: T0, ListedAt: &T0}
		if err := tx.PutProduct(&p); err != nil {
			return err
		}
		for _, b := range buyers {
			a := marketplace.Account{ID: b, Balance: USD("1000000.00"), CreditUsed: USD("0"), UpdatedAt: T0}
			if err := tx.PutAccount(&a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("seed shop: %v", err)
	}
}

// SeedUnpaid stores n orders awaiting payment whose payment window closed
// at payBy, in transactions of 1,000, and returns their ids.
func SeedUnpaid(tb testing.TB, st marketplace.Store, n int, payBy time.Time) []string {
	tb.Helper()
	ids := make([]string, n)
	for start := 0; start < n; start += 1000 {
		err := st.Update(context.Background(), func(tx marketplace.Tx) error {
			for i := start; i < min(start+1000, n); i++ {
				o := marketplace.Order{ID: fmt.Sprintf("o%06d", i), Number: fmt.Sprintf("CS%06d", i), Kind: marketplace.OrderNew,
					Status: marketplace.OrderPendingPayment, BuyerID: BuyerID(i % 100), SellerID: "s1", ProductID: "p1",
					SpecID: "sp1", ProductName: "Firewall", SpecName: "Basic", Delivery: marketplace.DeliveryLicense,
					Mode: billing.Monthly, Duration: 1, Quantity: 1, Amount: USD("5.00"),
					Lines:         []marketplace.OrderLine{{Description: "Basic × 1 month", Amount: USD("5.00")}},
					PaymentMethod: marketplace.PayBalance, TermsAgreedAt: T0, CreatedAt: T0, PayBy: payBy,
					NextDueAt: &payBy, UpdatedAt: T0}
				if err := tx.PutOrder(&o); err != nil {
					return err
				}
				ids[i] = o.ID
			}
			return nil
		})
		if err != nil {
			tb.Fatalf("seed unpaid orders: %v", err)
		}
	}
	return ids
}
