package sqlite_test

import (
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
