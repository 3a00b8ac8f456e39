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
// Events: a single sequencer row is incremented in the transaction that
// appends an event. Its row lock is held until that transaction ends, so a
// rolled-back transaction consumes no number (gap-free) and numbers are
// handed out in commit order; the price is that event-writing transactions
// commit one at a time.
//
// Storage: every aggregate is a json document (kept byte for byte) with its version in a table
// prefixed og_, plus the columns its queries filter and sort on (times as
// timestamptz in UTC, ids with the "C" collation so ordering is byte order
// as in the other stores). Catalog text search is a tsvector of
// marketplace.Words with a GIN index, so every store tokenises alike; OS and
// billing-mode filters use a GIN-indexed tags array. WithSchema keeps the
// tables in their own schema (tests use one schema per run).
package postgres
