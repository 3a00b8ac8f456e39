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
// aliases stored state. The Service never calls the store's query methods
// inside an Update or View closure (the memory store would deadlock, and
// SQL stores would hold a connection twice).
//
// # The service
//
// New(store, options...) builds a Service. Options: WithClock (nil is real
// time; SimClock for tests and simulations), WithBillingConfig,
// WithSupervisionPolicy, WithDeliveryPolicy, WithPayments (default
// BalancePayments: prepaid balances in the store), WithSaaS /
// WithSaaSResolver, WithDeployer (with the infrastructure catalog),
// WithCredentialKey (AES-GCM key for stored SaaS passwords),
// WithIDGenerator, WithPaymentWindow, WithRunner, WithRunnerTxBatch,
// WithRunnerTxInFlight, WithLogger.
//
// Every use case takes (ctx, actor, input) and validates the input first;
// inputs are structs with Validate. A change a client makes to what it
// read can name the version it read (a Version field, 0 for none; a
// version argument for UpdateProduct): RegisterSeller, SetCreditIf, Act,
// SetAutoRenew, ReviewRefund, DecideUnsubscribe, IssueInvoiceIf and
// ReturnInvoiceIf compare it with the stored aggregate inside the update's
// transaction and refuse with *PreconditionError (ErrConflict; Want and
// Have set) when it moved on, so no change that lands in between is
// overwritten. A PreconditionError is the caller's to resolve (read again,
// redo the change) and is answered at once; a *ConflictError is a race lost
// at commit, which the Service has already retried. By concept:
//
//   - catalog: RegisterSeller, GetSeller, CreateProduct, UpdateProduct,
//     SubmitProduct, ReviewProduct, DelistProduct, DiscontinueSpec,
//     GetProduct, ProductContact, SellerProducts, ReviewQueue; search: Search;
//   - saved list: SaveItem, RemoveSavedItem, SavedList;
//   - checkout and payment: Quote, CreateOrder (idempotency key, terms,
//     trials; PayNow places and pays in one call), PayOrder, CancelOrder,
//     GetOrder, ListOrders; accounts:
//     TopUp, SetCredit (SetCreditIf), GetAccount, SettleCredit;
//   - purchased apps: ListPurchasedApps, GetPurchasedApp, GetResource,
//     RevealPassword, ResourceContact;
//   - supervision: Act (every action of supervision.Action), GetFlow (with
//     the actions available to the viewer now), ListFlows;
//   - lifecycle: Renew, SetAutoRenew, SetRenewalDay, QuoteUpgrade, Upgrade,
//     UnsubscribeEligibility, QuoteUnsubscribe, Unsubscribe (and
//     UnsubscribeResource, with an idempotency key), EndPayPerUse,
//     ProposeUnsubscribe, DecideUnsubscribe, ListUnsubscribeRequests;
//   - refund review: refunds above billing's RefundReviewThreshold are
//     held (Order.RefundReview) until an operator decides with
//     ReviewRefund, or until billing's RefundReviewAutoApprove passes;
//     RefundReviews lists those waiting; a held unsubscription whose
//     purchase ends another way first (termination, failed delivery,
//     release) is cancelled, never paid on top;
//   - invoices: RequestInvoice, IssueInvoice, ReturnInvoice, ListInvoices;
//   - time: RunDue (and RunDueEvery), which does all due work at the
//     clock's now;
//   - events: Events.
//
// Errors map to the sentinels: ErrNotFound (also "not yours"),
// ErrNotAllowed (the role may not), ErrConflict (a stale version or a state
// that forbids the action; the rules' own sentinels, such as
// billing.ErrNotRenewable or supervision.ErrFrozen, stay in the chain),
// ErrInvalidInput, ErrPaymentFailed, ErrIdempotencyMismatch and
// ErrUnavailable.
//
// # Transactions
//
// A payment port whose money lives in the store (BalancePayments, or a
// host's port with the TxCharger capability) charges inside the
// transaction that marks the order paid: PayOrder commits once, and no
// crash leaves a charge on an unpaid order; CreateOrder with PayNow places
// and pays in that one transaction. Other ports are called outside any
// transaction, under idempotency keys, the charge recorded on the order
// first (Order.PendingCharge) so that it is either applied by the payment
// or refunded when the order is cancelled unpaid. RunDue applies due resources whose
// work stays in the store (grace, retention, release, a new due time) up
// to WithRunnerTxBatch (64) per transaction, a few transactions at once so
// that SQLite's writer shares commits; a batch whose transaction fails is
// retried item by item. With a store that claims them inside that
// transaction (DueResourceTx), up to WithRunnerTxInFlight (3) such
// transactions run at once, so that on PostgreSQL the client prepares one
// while the server runs another. The rest, and everything that calls out, runs item
// by item (a few at once), each re-reading its aggregate.
//
// # Calls to sellers and metering
//
// Calls the marketplace owes a seller's endpoint after a change (refresh
// after a renewal, upgrade, freeze at retention, unfreeze, release) are
// written to the resource's outbox (Resource.SellerCalls) in the change's
// transaction, made right after it, and retried by RunDue under the
// delivery policy (provisioning.DeliveryPolicy: an hour, once a minute, by
// default); an exhausted policy is recorded as a
// resource.seller_call_exhausted event for a manual restart.
//
// Pay-per-use resources (Resource.Usage) are charged by RunDue by the hour
// in arrears, one payment-port charge per hour under the key
// "usage:<resource>:<hour>". A declined charge puts the resource in
// arrears, and billing's grace → retention → release lifecycle runs from
// that date; a later successful charge clears it and unfreezes. The buyer
// ends one with EndPayPerUse (the hours used are settled first). A
// reseller's customer's pay-per-use resource has no Usage (the reseller
// bills its customer) and is ended with EndPayPerUse without a charge.
package marketplace
