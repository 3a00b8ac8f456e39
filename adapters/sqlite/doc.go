// Package sqlite is the embedded, pure-Go (modernc.org/sqlite, no cgo)
// implementation of marketplace.Store, the default store of an OpenGallery
// marketplace that runs as one process with no infrastructure.
//
// Open a file, apply the embedded migrations with Migrate, and hand the
// Store to the marketplace:
//
//	st, err := sqlite.Open("gallery.db")
//	...
//	defer st.Close()
//	if err := st.Migrate(ctx); err != nil { ... }
//
// Durability: the database runs in WAL mode with synchronous=FULL by
// default, so an Update that returned nil survives power loss
// (WithSync(SyncNormal) trades that for fewer fsyncs: a process crash still
// loses nothing, a power cut may lose the last commits).
//
// Concurrency: SQLite allows one writer at a time, so the Store owns exactly
// one writer connection driven by one goroutine. Concurrent Update calls are
// queued and committed together in one transaction (group commit), each
// closure inside its own SAVEPOINT so that a failing closure is rolled back
// alone; N concurrent writers pay for one fsync instead of N. Reads (View,
// the list and search queries, Events) use a pool of reader connections
// that WAL lets run beside the writer. Several processes may open the same
// file: SQLite's write lock (BEGIN IMMEDIATE with a busy timeout) serialises
// their writers, and ClaimDue's leases keep their runners apart.
//
// Storage: every aggregate is a JSON document with its optimistic version in
// a table prefixed og_, plus the columns its queries filter and sort on.
// Decimals stay strings inside the JSON (exact); indexed times are UTC unix
// nanoseconds. Catalog text search uses an FTS5 table with prefix indexes;
// the OS and billing-mode filters use a tag table. Migrations() exposes the
// schema files for hosts with their own migration tool.
package sqlite
