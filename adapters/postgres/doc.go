// Package postgres implements marketplace.Store on PostgreSQL with
// github.com/jackc/pgx/v5, for marketplaces that outgrow one process: several
// stateless server processes share one database.
//
//	st, err := postgres.Open(ctx, "postgres://…")   // or postgres.New(hostPool)
//	...
//	defer st.Close()
//	if err := st.Migrate(ctx); err != nil { ... }
//
// Round trips. View begins its REPEATABLE READ READ ONLY snapshot in the
// round trip of its first read, and its ROLLBACK travels with the next
// View's first read (the connection stays parked, snapshot open, for a few
// milliseconds at most), so a point read costs one round trip. Update reads
// as it goes, outside any transaction (each read in its own snapshot, as
// every statement of a READ COMMITTED transaction is), and keeps its writes
// in memory: reads of rows it wrote (or already read) are answered from
// there, and the marketplace's use cases announce their reads with
// marketplace.Prefetcher, so that (say) placing and paying an order reads
// its idempotency record, product, account and charge record in one
// pgx.Batch. When fn returns, one pgx.Batch carries BEGIN, per table one UPDATE
// of the rows the transaction changed and one INSERT of those it created
// (parallel arrays, unnest), its idempotency records, its events with the
// sequencer, and COMMIT. Statements that must run inside the transaction
// (saved items, DueResources, eager numbering) begin it, DueResources
// sending the pending writes first so that it sees them.
//
// Concurrency: every aggregate write is optimistic. The UPDATE matches each
// row on its id and the version the transaction read, and og_expect_rows
// (migration 0002) turns a short count into an error, so the batch's
// COMMIT does not run; an INSERT of an existing id or idempotency key
// violates the primary key. Either way the transaction rolls back and
// Update returns *marketplace.ConflictError with the kind, id and versions
// (read after the rollback); a second Put of the same aggregate in one
// transaction is checked at once. Rows a transaction only reads are read
// committed, as every statement of a READ COMMITTED transaction reads
// them. Update transactions that finish while another one's commit is in
// flight are committed together (a group commit: one round trip, one
// sequencer lock, one WAL flush); members never write the same aggregate
// or key, and a group that fails is committed again member by member, so
// that a conflict reaches only the transaction that caused it. An Update
// that retries a lost race (marketplace.Retrying) reads aggregates with
// SELECT … FOR UPDATE in its transaction instead and commits alone, so that
// a hot aggregate (a buyer's account paying several orders at once) cannot
// make one caller lose every attempt. ClaimDue
// locks due rows with SELECT … FOR UPDATE SKIP LOCKED and leases them in
// the same statement, so several runners (in one process or many) share
// the due work without waiting on each other and no item is handed out
// twice while its lease runs; marketplace.DueResourceTx claims due
// resources the same way inside the transaction that moves them.
//
// Events: numbers are gap-free and follow commit order, given by a single
// sequencer row. AppendEvent only queues the event; the round trip that
// commits carries one statement that increments the sequencer by the
// transaction's event count (taking its row lock), inserts the events with
// those numbers, and then COMMIT. The lock is held from that statement
// until the commit is durable, so a rolled-back transaction consumes no
// number and the next transaction to take the lock sees this one
// committed; but it is held for one round trip and the commit's flush
// instead of from the first AppendEvent to the end of the transaction, so
// event-writing transactions do their reads side by side and queue only
// for their commits (which the group commit shares). The price: e.Seq
// after AppendEvent is provisional (the last number this store saw
// committed plus the event's position in the transaction: exact unless
// another transaction commits events in between); Update sets it to the
// committed number when it returns nil. Nothing in the marketplace reads
// e.Seq before commit. WithEagerSequence restores numbering at
// AppendEvent, exact at once, holding the sequencer for the rest of the
// transaction.
//
// Storage: every aggregate is a json document (kept byte for byte) with its
// version in a table prefixed og_, plus the columns its queries filter and
// sort on (times as timestamptz in UTC, ids with the "C" collation so
// ordering is byte order as in the other stores). Catalog text search is a
// tsvector of marketplace.Words with a GIN index, so every store tokenises
// alike; OS and billing-mode filters use a GIN-indexed tags array.
// WithSchema keeps the tables in their own schema (tests use one schema per
// run).
package postgres
