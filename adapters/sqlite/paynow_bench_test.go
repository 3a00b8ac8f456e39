package sqlite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/opengallery/opengallery/adapters/internal/storecheck"
	"github.com/opengallery/opengallery/adapters/sqlite"
)

// BenchmarkPlacePayNow compares placing and paying one order in one call
// (CreateOrderInput.PayNow with the built-in balance payments: one
// transaction) with the bare single-row INSERT commit, both with
// synchronous=FULL, on 1 and 16 clients; place-pay-now runs the Update
// closures optimistically (the default), place-pay-now-writer on the
// writer (WithOptimisticUpdates(false)), place-pay-now-stock-wal writes
// the WAL through SQLite's default VFS (WithWALBuffer(false)):
//
//	go test -run '^$' -bench PlacePayNow -benchtime 1s ./adapters/sqlite/
func BenchmarkPlacePayNow(b *testing.B) {
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("bare-insert/clients=%d", clients), func(b *testing.B) { benchBareCommits(b, clients) })
		b.Run(fmt.Sprintf("place-pay-now/clients=%d", clients), func(b *testing.B) {
			benchServiceOrders(b, clients, storecheck.ServicePlacePayNow)
		})
		b.Run(fmt.Sprintf("place-pay-now-writer/clients=%d", clients), func(b *testing.B) {
			benchServiceOrders(b, clients, storecheck.ServicePlacePayNow, sqlite.WithOptimisticUpdates(false))
		})
		b.Run(fmt.Sprintf("place-pay-now-stock-wal/clients=%d", clients), func(b *testing.B) {
			benchServiceOrders(b, clients, storecheck.ServicePlacePayNow, sqlite.WithWALBuffer(false))
		})
	}
}

// BenchmarkPlacePayNowPaired measures the place-and-pay targets' ratios
// with the two sides taking turns on the same disk (storecheck.Paired):
// storecheck.PairedTurn bare single-row INSERT commits a client (bare-insert above),
// then as many placed and paid orders a client (place-pay-now), and so on.
// The ratio of two sides measured one after the other, as in
// BenchmarkPlacePayNow, moves with this machine's fsync latency, which
// drifts by 2–3× within minutes:
//
//	go test -run '^$' -bench PlacePayNowPaired -benchtime 8000x ./adapters/sqlite/
func BenchmarkPlacePayNowPaired(b *testing.B) {
	for _, clients := range []int{1, 16} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) { benchPaired(b, clients) })
	}
}

func benchPaired(b *testing.B, clients int) {
	db := bareDB(b, 1)
	st := openTemp(b)
	svc := storecheck.ShopService(b, st, clients)
	ctx := context.Background()
	storecheck.Paired(b, clients, func(_, i int) error { return bareInsert(db, i) }, func(c, i int) error {
		return storecheck.ServicePlacePayNow(ctx, svc, buyerID(c), fmt.Sprintf("k%08d", i))
	})
}
