package sqlite

import (
	"slices"
	"testing"

	"github.com/opengallery/opengallery/marketplace"
)

// TestPutDueResourceColumns: PutResources' narrow UPDATE (putDueResourceQuery)
// sets status and guards the other indexed columns of og_resources; a
// column added to the table must be added to it too, or PutResources would
// leave it stale.
func TestPutDueResourceColumns(t *testing.T) {
	want := []string{"buyer_id", "seller_id", "status", "visible", "purchased_at"}
	if got := tables[marketplace.KindResource].cols; !slices.Equal(got, want) {
		t.Fatalf("og_resources indexed columns are %v; putDueResourceQuery and PutResources handle %v", got, want)
	}
}
