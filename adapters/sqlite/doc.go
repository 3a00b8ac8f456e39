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
// loses nothing, a power cut may lose the last commits). With SyncFull the
// writer appends a commit to the WAL through a VFS of this package that
// wraps SQLite's default one: it gathers the commit's frames (two write
// system calls each in SQLite) into a few writes before the commit's fsync,
// and never lets a frame reach the file later than SQLite would have needed
// it there (walbuf.go says why; WithWALBuffer(false) turns it off).
//
// Concurrency: SQLite allows one writer at a time, so the Store owns exactly
// one writer connection driven by one goroutine, and concurrent writes are
// queued and committed together in one transaction (group commit): N
// concurrent writers pay for one fsync instead of N, and requests queued
// while a group runs join it. By default, while the writer is busy (writes
// queued or committing, closures running), an Update's closure runs in its
// caller's goroutine (an optimistic Update; at most GOMAXPROCS at once, and
// a group commit waits briefly for those running) and only its buffered
// writes go to the writer, which applies them with their version checks; a
// write set that fails its checks is rolled back alone (the group is begun
// again without it) and the others commit. When the writer is idle, when
// the Update retries a lost race (marketplace.Retrying: on the writer nothing
// can change what it reads, so a hot aggregate such as a buyer's account
// paying several orders at once cannot make one caller lose every attempt),
// and always with WithOptimisticUpdates(false), the closure itself runs on
// the writer (alone that is faster: the writer's page cache is warm), inside
// its own SAVEPOINT of the group's transaction. Reads (View, the list and search
// queries, Events) use a pool of reader connections that WAL lets run beside
// the writer. View skips database/sql: it runs its reads as statements
// prepared once per reader connection; its first point read stays active
// until View returns, which keeps one snapshot for all its reads without
// BEGIN and ROLLBACK (view.go). Point reads go through a cache of decoded
// documents checked against the row's version, so an aggregate read again
// unchanged is copied, not decoded (doccache.go; WithDocCache sizes it, 0
// turns it off). A View's closure must not use its ReadTx from several
// goroutines at once, nor call the Store (a nested View may wait for a
// reader connection, or for Close, forever); a closure that panics ends its
// read first. Several processes may open the same file: SQLite's write lock
// (BEGIN IMMEDIATE with a busy timeout) serialises their writers, and
// ClaimDue's leases keep their runners apart.
//
// Isolation of Update. By default fn runs optimistically or on the writer
// depending on the load, so code must expect only what an optimistic Update
// gives. Optimistic (optimistic.go, writeset.go): fn's reads see one
// snapshot of committed state, taken at its first read, as a View's,
// overlaid with fn's own writes (aggregates it put, saved items it put or
// deleted, idempotency records it put). Its writes are kept until fn returns
// nil and then applied by the writer, which checks that every aggregate put
// is still stored at the version its value carried at its first Put in the
// transaction (0: the id must not exist), that every idempotency key is
// still new and that every saved item fn deleted is still there. What fn
// only read is not checked: reads are as of the snapshot, and two Updates
// that read the same rows and write different ones both commit (write skew);
// only Puts of stale versions conflict, as the store contract promises. A
// failed check rolls back everything fn wrote and Update returns
// *marketplace.ConflictError (Kind, ID, Want, Have) although every Put
// inside fn returned nil: that happens whenever another Update commits a
// write to the same aggregate or key between fn's snapshot and its commit,
// where a closure on the writer (which sees the latest state) would not have
// conflicted; the marketplace services retry it (the closure runs again on a
// new snapshot). At the Put itself come the errors that need no commit:
// invalid input, encoding, a second Put of an aggregate without the version
// the first gave it, an idempotency key fn or its snapshot holds, deleting a
// saved item fn does not see (*marketplace.NotFoundError). AppendEvent's
// e.Seq is provisional (the last number this Store saw committed plus the
// event's position in the transaction; exact unless other events commit
// meanwhile) until Update returns nil, which sets the committed number that
// Events reports; numbers stay gap-free and in commit order. The
// marketplace.DueResourceTx methods need the writer's transaction (it is
// what holds due rows): their first call applies fn's writes so far on the
// writer (with the checks above; a failure is that call's error and
// Update's) and fn goes on inside the writer's transaction, which the writer
// lends to the caller's goroutine until fn returns; from then on fn reads
// the latest committed state and its Puts are checked at once, as on the
// writer. On the writer (when it is idle, or always with
// WithOptimisticUpdates(false)): fn runs inside the writer's transaction,
// one closure at a time, so it is serializable; a Put conflicts only for a
// version read outside fn, and says so itself; AppendEvent sets e.Seq to
// the committed number at once (fn's first event is inserted, which gives
// its number; the writer holds the write lock, so the events after it take
// the numbers that follow, and are inserted a few dozen to a statement, the
// last when fn returns). Either way, if fn returns an
// error or panics nothing it wrote is kept, and a context cancelled once the
// write is queued does not end the wait (the write may still commit).
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
// size, `-catalogdb=PATH` keeps it between runs). BenchmarkPlacePayNow
// also runs its closures always on the writer (place-pay-now-writer), and
// BenchmarkRunnerExpiry its transactions optimistically first, so that
// they move onto the writer (service-rundue-moved).
package sqlite
