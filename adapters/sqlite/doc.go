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
// that WAL lets run beside the writer. View skips database/sql: it runs
// its reads as statements prepared once per reader connection; its first
// point read stays active until View returns, which keeps one snapshot for
// all its reads without BEGIN and ROLLBACK (view.go). Point reads go
// through a cache of decoded documents checked against the row's version,
// so an aggregate read again unchanged is copied, not decoded
// (doccache.go; WithDocCache sizes it, 0 turns it off). A View's closure
// must not use its ReadTx from several goroutines at once, nor call the
// Store (a nested View may wait for a reader connection, or for Close,
// forever); a closure that panics ends its read first. Several processes
// may open the same file: SQLite's write lock (BEGIN IMMEDIATE with a busy
// timeout) serialises their writers, and ClaimDue's leases keep their
// runners apart.
//
// Storage: every aggregate is a JSON document with its optimistic version in
// a table prefixed og_, plus the columns its queries filter and sort on.
// Decimals stay strings inside the JSON (exact); indexed times are UTC unix
// nanoseconds. Catalog search: a query with text is answered from an
// in-memory index of the catalog (words, filter values, sort keys) that each
// Store keeps current through og_product_changes (kept by triggers on
// og_products, whichever process or tool wrote), and only the page's
// documents are read (searchindex.go). The index is built in the background
// after the first text query, detached from it (and rebuilt there when
// needed). Until it is ready, for queries without text, and for catalogs
// over WithSearchIndex products (500,000 by default; 0 turns the index
// off), an FTS5 table with prefix indexes for the text and one token per
// filter value ("facets"), the indexed columns and a tag table answer.
// Readers use a memory map. Migrations() exposes the schema files for hosts
// with their own migration tool. The rowid of og_products is what the FTS5
// table, the tags and og_product_changes refer to: never VACUUM the file
// (it may renumber rowids).
//
// Tests and benchmarks. `go test ./adapters/sqlite/` runs the conformance
// suite (with reopen), the SIGKILL durability test (it builds
// internal/storeprog and kills it mid-run), three marketplace runners
// sharing 10,000 due orders (2,000 under -race or -short), and the
// flat-memory expiry test at 20,000 subscriptions (5,000 under -race;
// `-args -subs=1000000` runs the full million, several minutes). The
// benchmarks (`go test -run '^$' -bench . ./adapters/sqlite/`) each run
// beside their bare-SQLite baseline; BenchmarkSearch builds a
// 100,000-product catalog once per run (`-args -catalog=N` changes the
// size, `-catalogdb=PATH` keeps it between runs).
package sqlite
