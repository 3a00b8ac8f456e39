package marketplace

// Ref names what one ReadTx getter reads: an aggregate by its kind and id,
// or an idempotency record (Kind KindIdempotency, ID the key).
type Ref struct {
	Kind Kind
	ID   string
}

// Prefetcher is an optional capability of the Tx a store passes to Update,
// for stores whose every read is a round trip to a server
// (adapters/postgres). Prefetch reads refs together, in one round trip, and
// the getters that follow for them in the same transaction answer from what
// it read, found or not found.
//
// It is a hint, not a read: a store may skip any ref (one the transaction
// already holds, a kind it has no getter for, or all of them, as a
// transaction that locks what it reads does); a failure is reported by the
// getter that follows, never by Prefetch. What a getter then returns is
// committed state as of the Prefetch, as any read of a read-committed
// transaction may see a state older than the latest; a Put of a stale
// aggregate still fails at commit with *ConflictError, and a Put of an
// idempotency key that appeared meanwhile too.
type Prefetcher interface {
	Prefetch(refs ...Ref)
}

// prefetch asks tx to read refs together when its store can.
func prefetch(tx Tx, refs ...Ref) {
	if p, ok := tx.(Prefetcher); ok {
		p.Prefetch(refs...)
	}
}

// chargeReader is implemented by a TxCharger that can say what ChargeTx
// will read for a request (BalancePayments), so that a use case can
// prefetch it with its own reads.
type chargeReader interface {
	chargeRefs(req ChargeRequest) []Ref
}

// chargeRefs are the reads the in-store charge of an order to buyer will
// make, when the payment port says; nil otherwise.
func (s *Service) chargeRefs(orderID, buyer string) []Ref {
	if c, ok := s.txCharger().(chargeReader); ok {
		return c.chargeRefs(ChargeRequest{IdempotencyKey: orderChargeKey(orderID), AccountID: buyer, OrderID: orderID})
	}
	return nil
}

// orderChargeKey is the idempotency key of the charge that pays an order.
func orderChargeKey(orderID string) string { return "order:" + orderID }
