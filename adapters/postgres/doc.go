// Package postgres implements marketplace.Store on PostgreSQL with
// github.com/jackc/pgx/v5, for marketplaces that outgrow one process: several
// stateless server processes share one database.
//
//	st, err := postgres.Open(ctx, "postgres://…")   // or postgres.New(hostPool)
//	...
//	defer st.Close()
//	if err := st.Migrate(ctx); err != nil { ... }
//
// Concurrency: each Update is a READ COMMITTED transaction; every Put is an
// optimistic write (UPDATE … WHERE id = $1 AND version = $2, or INSERT … ON
// CONFLICT DO NOTHING for version 0), so a stale or concurrent write fails
// with *marketplace.ConflictError instead of overwriting. ClaimDue locks due
// rows with SELECT … FOR UPDATE SKIP LOCKED and leases them in the same
// statement, so several runners (in one process or many) share the due work
// without waiting on each other and no item is handed out twice while its
// lease runs.
//
// Events: numbers are gap-free and follow commit order, given by a single
// sequencer row. AppendEvent only queues the event; Update sends, in the
// round trip that commits, one statement that increments the sequencer by
// the transaction's event count (taking its row lock), inserts the events
// with those numbers, and then COMMIT. The lock is held from that statement
// until the commit is durable, so a rolled-back transaction consumes no
// number and the next transaction to take the lock sees this one
// committed; but it is held for one round trip and the commit's flush
// instead of from the first AppendEvent to the end of the transaction, so
// event-writing transactions do their reads and writes side by side and
// queue only for their commits. (Holding the lock from AppendEvent
// serialised every place-and-pay end to end: 8 clients ran at 3% of the
// bare commit rate.) The price: e.Seq after AppendEvent is provisional
// (the last number this store saw committed plus the event's position in
// the transaction: exact unless another transaction commits events in
// between); Update sets it to the committed number when it returns nil.
// Nothing in the marketplace reads e.Seq before commit.
// WithEagerSequence restores numbering at AppendEvent, exact at once,
// at the old cost.
//
// Storage: every aggregate is a json document (kept byte for byte) with its version in a table
// prefixed og_, plus the columns its queries filter and sort on (times as
// timestamptz in UTC, ids with the "C" collation so ordering is byte order
// as in the other stores). Catalog text search is a tsvector of
// marketplace.Words with a GIN index, so every store tokenises alike; OS and
// billing-mode filters use a GIN-indexed tags array. WithSchema keeps the
// tables in their own schema (tests use one schema per run).
package postgres
