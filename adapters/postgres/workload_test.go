package postgres_test

import "github.com/opengallery/opengallery/adapters/internal/storecheck"

// Short names for the shared fixtures (adapters/internal/storecheck), used
// throughout these tests.
var (
	t0      = storecheck.T0
	usd     = storecheck.USD
	buyerID = storecheck.BuyerID
)
