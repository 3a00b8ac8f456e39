package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/marketplace"
)

// BenchmarkPlacePayNow compares placing and paying one order in one call
// (CreateOrderInput.PayNow with the built-in balance payments: one
// transaction) with the bare single-row INSERT commit, both with
// synchronous=FULL, on 1 and 16 clients:
//
//	go test -run '^$' -bench PlacePayNow -benchtime 1s ./adapters/sqlite/
func BenchmarkPlacePayNow(b *testing.B) {
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("bare-insert/clients=%d", clients), func(b *testing.B) {
			b.ReportAllocs()
			db := bareDB(b, 1)
			storecheck.Parallel(b, clients, func(_, i int) error {
				tx, err := db.Begin()
				if err != nil {
					return err
				}
				if _, err := tx.Exec(`INSERT INTO t (id, v) VALUES (?, ?)`, i, "order"); err != nil {
					tx.Rollback()
					return err
				}
				return tx.Commit()
			})
		})
		b.Run(fmt.Sprintf("place-pay-now/clients=%d", clients), func(b *testing.B) {
			b.ReportAllocs()
			st := openTemp(b)
			buyers := make([]string, clients)
			for i := range buyers {
				buyers[i] = buyerID(i)
			}
			storecheck.SeedShop(b, st, buyers...)
			svc, err := marketplace.New(st)
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			before := st.Stats()
			storecheck.Parallel(b, clients, func(c, i int) error {
				return storecheck.ServicePlacePayNow(ctx, svc, buyerID(c), fmt.Sprintf("k%08d", i))
			})
			reportBatching(b, before, st.Stats())
		})
	}
}
