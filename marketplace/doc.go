// Package marketplace is where a purchase becomes real: the catalog and its
// search, saved lists, quotes turned into orders and payments, the
// supervision flows and provisioning that deliver what was bought, the
// purchased apps each buyer owns, and their renewal, upgrade, expiry and
// unsubscription over time.
//
// It owns no SQL and no HTTP. The pricing rules live in billing, the flow
// state machines in supervision, the seller-facing delivery contracts in
// provisioning; this package wires them to storage, payment and time.
//
// # Actors
//
// Every use case takes the acting party (an Actor: buyer, a reseller's
// customer, seller, operator or the system) and checks ownership. A buyer
// sees only their own things, a seller only their products and the flows
// of them; "not yours" answers exactly like "does not exist" (ErrNotFound).
//
// # The store contract
//
// The package declares the storage it needs as Store; adapters implement
// it and prove it with adapters/storetest.
//
//   - Aggregates (Seller, Product, Order, Payment, Account, Resource, Flow,
//     Invoice, UnsubscribeRequest) are plain JSON-serialisable values with
//     exported fields and a Version. SQL stores keep each as a JSON
//     document plus a few indexed columns (id, version, owner ids, status,
//     next_due_at; the search fields of products). Money marshals as
//     {"amount":"5.00","currency":"USD"}; times are UTC with at least
//     microsecond precision.
//   - Store.Update(ctx, fn) runs a read-modify-write transaction the adapter
//     owns. Tx has a typed getter and Put per aggregate. Put with version 0
//     creates; Put with the version read updates and bumps it; anything else
//     is a *ConflictError (ErrConflict), so two writers racing from the same
//     read cannot both win. If fn fails, nothing is kept.
//   - In the same transaction Tx.AppendEvent adds a domain event whose
//     sequence number is global, gap-free and increasing, and
//     Tx.PutIdempotency records the result of a keyed request (an existing
//     key is a conflict, which is how concurrent duplicates lose).
//   - Store.View reads committed state; the query methods (SearchProducts,
//     ListOrders, ListResources, ListFlows, ListInvoices,
//     ListUnsubscribeRequests, ListPayments) filter, sort stably and page
//     with opaque cursors, reporting the total.
//   - Orders, resources, flows and unsubscription requests carry NextDueAt:
//     when the due-work runner next needs them. Store.ClaimDue leases due
//     items to one caller at a time (FOR UPDATE SKIP LOCKED in Postgres),
//     and a Put ends the lease; the runner re-reads each item in an Update
//     and acts only if it is still due, so each change happens once.
//   - Store.Events(ctx, after, limit) is the change feed hosts follow.
//
// Values are copied in and out of every store: nothing a caller holds
// aliases stored state.
package marketplace
