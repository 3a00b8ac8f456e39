package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the pure-Go "sqlite" driver
)

// ErrClosed is returned by every method called after Close.
var ErrClosed = errors.New("sqlite: store is closed")

// Sync is SQLite's synchronous setting for the WAL.
type Sync string

// The synchronous settings. SyncFull makes every acknowledged commit survive
// power loss; SyncNormal survives a process crash but may lose the last
// commits on power loss, in exchange for fewer fsyncs.
const (
	SyncFull   Sync = "FULL"
	SyncNormal Sync = "NORMAL"
)

type options struct {
	sync        Sync
	busyTimeout time.Duration
	readers     int
	maxBatch    int
	docCache    int64 // bytes; 0: off
	searchIndex int   // products; 0: off
	optimistic  bool  // Update runs fn in the caller (optimistic.go)
	// alwaysOptimistic: even when the writer is idle (tests).
	alwaysOptimistic bool
	walBuffer        bool // the writer's WAL writes go through walbuf.go's VFS (SyncFull only)
}

// Option configures Open.
type Option func(*options)

// WithSync sets the synchronous mode (SyncFull by default).
func WithSync(s Sync) Option { return func(o *options) { o.sync = s } }

// WithBusyTimeout sets how long a connection waits for a lock held by
// another process before failing with SQLITE_BUSY (5s by default).
func WithBusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// WithReaders sets the size of the read-only connection pool (by default
// max(4, 2×GOMAXPROCS)).
func WithReaders(n int) Option { return func(o *options) { o.readers = n } }

// WithMaxBatch caps how many concurrent Update calls share one commit (256
// by default; 1 turns group commit off).
func WithMaxBatch(n int) Option { return func(o *options) { o.maxBatch = n } }

// WithDocCache sets the estimated memory, in bytes, of the cache of
// decoded documents that View's point reads and the catalog search's pages
// go through (32 MiB by default; 0 turns it off: every read decodes its
// document).
func WithDocCache(maxBytes int) Option { return func(o *options) { o.docCache = int64(maxBytes) } }

// WithSearchIndex sets the largest catalog, in products, that the
// in-memory search index holds (500,000 by default, about 450 bytes a
// product); text queries on a larger catalog, or on any catalog with 0,
// are answered by FTS5 alone.
func WithSearchIndex(maxProducts int) Option { return func(o *options) { o.searchIndex = maxProducts } }

// WithOptimisticUpdates chooses where Update runs its closure (on by
// default). On: while the writer is busy (writes queued or committing,
// other closures running), in the caller's goroutine, reading committed
// state and buffering its writes, which the writer then applies with
// their version checks (a stale one is *marketplace.ConflictError at
// commit); the writer spends its time on statements and commits only, so
// concurrent Updates use every core. When the writer is idle the closure
// runs on it, as with off, which is faster alone (its connection's page
// cache is warm), and so does an Update that retries a lost race
// (marketplace.Retrying), where it cannot lose again. Off: always on the writer goroutine, inside the writer's
// transaction, one closure at a time (serializable, a Put's conflict is
// known at the Put). The package documentation says what each isolates.
func WithOptimisticUpdates(on bool) Option { return func(o *options) { o.optimistic = on } }

// WithWALBuffer chooses how the writer appends a commit to the WAL (on by
// default). On, with SyncFull: through a VFS that wraps SQLite's default
// one and gathers the commit's frames into one write before the commit's
// fsync, instead of SQLite's two write system calls per page (what it
// changes and why it is as safe is documented in walbuf.go); with
// SyncNormal the option has no effect (SQLite publishes a commit without
// syncing, so its frames must be in the file at once). Off: SQLite's
// default VFS.
func WithWALBuffer(on bool) Option { return func(o *options) { o.walBuffer = on } }

// Store is the SQLite implementation of the marketplace store. It owns one
// writer connection, which a single goroutine drives: the writes of
// concurrent Update calls are queued and committed together (group
// commit), and one that fails its checks (or whose closure fails, on the
// writer) does not undo the others. Reads use a separate pool of reader
// connections, which WAL lets run beside the writer; so do optimistic
// Updates' closures (see the package documentation).
//
// A Store is safe for concurrent use. Close it when done.
type Store struct {
	path string
	opts options
	w    *sql.DB // exactly one connection, BEGIN IMMEDIATE
	r    *sql.DB // readers
	// ur are the readers of optimistic Updates' closures (updateOptimistic),
	// without the memory map of r: a reader connection that starts a read
	// after another connection committed drops its page cache and unmaps
	// the whole file (SQLite's pagerBeginReadTransaction), and under a
	// load of writes that is every closure's read: munmap and mapping the
	// pages again cost more than reading a closure's few pages with pread
	// (place+pay at 16 clients: 251 µs an order against 288 µs).
	ur    *sql.DB
	wconn *writerConn // w's connection, driven by writeLoop
	rc    *stmtCache
	raw   *rawCache // View's statements per reader connection

	docs   *docCache    // decoded documents of point reads (doccache.go); nil: off
	search *searchIndex // the catalog's in-memory search index (searchindex.go); nil: off

	bgCtx  context.Context // background work (the search index builder); cancelled by Close
	bgStop context.CancelFunc
	bg     sync.WaitGroup

	queue   chan *writeReq
	pending atomic.Int64 // requests queued and not yet answered
	commits atomic.Int64 // transactions the writer committed
	updates atomic.Int64 // closures committed in them
	// lastGroup is how many requests the last group commit carried
	// (writerBusy).
	lastGroup atomic.Int64
	// lastSeq is the highest event number this Store has seen committed
	// (-1: not known yet), the base of AppendEvent's provisional numbers
	// in optimistic Updates.
	lastSeq atomic.Int64
	// fnSlots bounds the optimistic closures running at once to
	// GOMAXPROCS: more only queue for CPU, the writer's included, and
	// the group commit waits for running closures (join). At 16 clients on
	// 2 cores (BenchmarkPlacePayNow) GOMAXPROCS was about 10% faster than
	// GOMAXPROCS-1 and than 4.
	fnSlots chan struct{}
	// slotsIdle is signalled when the last slot is given back (join).
	slotsIdle chan struct{}
	mu        sync.RWMutex // held shared while queueing, exclusively by Close
	closed    bool
	closing   chan struct{}
	loopDone  chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// Open opens (creating if needed) the SQLite database at path. It does not
// change the schema: call Migrate before first use. Options: WithSync,
// WithBusyTimeout, WithReaders, WithMaxBatch, WithDocCache,
// WithSearchIndex, WithOptimisticUpdates, WithWALBuffer.
//
// Errors: an error wrapping the driver's when the file cannot be opened or
// configured, or ErrInvalidOption for a bad option value.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{sync: SyncFull, busyTimeout: 5 * time.Second, readers: max(4, 2*runtime.GOMAXPROCS(0)), maxBatch: 256,
		docCache: docCacheBudget, searchIndex: searchIndexMaxProducts, optimistic: true, walBuffer: true}
	for _, opt := range opts {
		opt(&o)
	}
	if o.sync != SyncFull && o.sync != SyncNormal {
		return nil, fmt.Errorf("%w: sync %q (want FULL or NORMAL)", ErrInvalidOption, o.sync)
	}
	if o.readers < 1 || o.maxBatch < 1 || o.busyTimeout < 0 {
		return nil, fmt.Errorf("%w: readers %d, max batch %d, busy timeout %s", ErrInvalidOption, o.readers, o.maxBatch, o.busyTimeout)
	}
	if o.docCache < 0 || o.searchIndex < 0 {
		return nil, fmt.Errorf("%w: doc cache %d bytes, search index %d products (want >= 0)", ErrInvalidOption, o.docCache, o.searchIndex)
	}
	if path == "" || path == ":memory:" {
		return nil, fmt.Errorf("%w: path %q: a file is required (the writer and readers share it)", ErrInvalidOption, path)
	}
	wdsn := DSN(path, o.sync, o.busyTimeout, true)
	if o.walBuffer && o.sync == SyncFull {
		if err := walBufRegister(); err != nil {
			return nil, err
		}
		wdsn += "&vfs=" + walBufVFS
	}
	w, err := sql.Open("sqlite", wdsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open writer %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// The first connection switches the file to WAL; do it before readers
	// open so that they never see a rollback-journal database.
	if err := w.PingContext(context.Background()); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	wconn, err := newWriterConn(context.Background(), w)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r, err := openReaders(DSN(path, o.sync, o.busyTimeout, false), o.readers)
	if err != nil {
		wconn.close()
		w.Close()
		return nil, fmt.Errorf("sqlite: open readers %s: %w", path, err)
	}
	ur, err := openReaders(dsn(path, o.sync, o.busyTimeout, false, false), o.readers)
	if err != nil {
		r.Close()
		wconn.close()
		w.Close()
		return nil, fmt.Errorf("sqlite: open readers %s: %w", path, err)
	}
	s := &Store{
		path:     path,
		opts:     o,
		w:        w,
		r:        r,
		ur:       ur,
		wconn:    wconn,
		rc:       newStmtCache(r),
		raw:      newRawCache(),
		queue:    make(chan *writeReq, 1024),
		closing:  make(chan struct{}),
		loopDone: make(chan struct{}),
	}
	s.lastSeq.Store(-1)
	s.fnSlots = make(chan struct{}, runtime.GOMAXPROCS(0))
	s.slotsIdle = make(chan struct{}, 1)
	s.bgCtx, s.bgStop = context.WithCancel(context.Background())
	if o.docCache > 0 {
		s.docs = newDocCache(o.docCache)
	}
	if o.searchIndex > 0 {
		s.search = newSearchIndex(o.searchIndex)
	}
	go s.writeLoop()
	return s, nil
}

// ErrInvalidOption is returned by Open for an option value it cannot use.
var ErrInvalidOption = errors.New("sqlite: invalid option")

// DSN returns the modernc.org/sqlite data source name this package uses for
// path: WAL, the given synchronous mode, a busy timeout, foreign keys on,
// and, for writers, transactions that take the write lock at BEGIN
// (BEGIN IMMEDIATE), so that a read-then-write transaction never fails to
// upgrade its lock; readers are query-only. Benchmarks use it for their bare-SQLite baselines.
func DSN(path string, sync Sync, busy time.Duration, writer bool) string {
	return dsn(path, sync, busy, writer, true)
}

// dsn is DSN with the memory map optional (mmap: on).
func dsn(path string, sync Sync, busy time.Duration, writer, mmap bool) string {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", fmt.Sprintf("synchronous(%s)", sync))
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()))
	q.Add("_pragma", "foreign_keys(1)")
	// Reads through a memory map instead of a read system call per page:
	// the catalog search reads thousands of rows by rowid.
	if mmap {
		q.Add("_pragma", "mmap_size(1073741824)")
	}
	if writer {
		q.Set("_txlock", "immediate")
	} else {
		q.Add("_pragma", "query_only(1)")
	}
	return "file:" + path + "?" + q.Encode()
}

// Stats counts the writer's work since Open: how many transactions it
// committed and how many write closures (Update, ClaimDue, Migrate) they
// carried. Updates/Commits is the average group-commit batch.
type Stats struct {
	Commits int64 `json:"commits"`
	Updates int64 `json:"updates"`
}

// releaseSlot gives back an optimistic closure's slot, and tells a group
// commit waiting for running closures (join) when none is left.
func (s *Store) releaseSlot() {
	<-s.fnSlots
	if len(s.fnSlots) == 0 {
		select {
		case s.slotsIdle <- struct{}{}:
		default:
		}
	}
}

// sawSeq notes that events up to seq are committed.
func (s *Store) sawSeq(seq int64) {
	for {
		cur := s.lastSeq.Load()
		if seq <= cur || s.lastSeq.CompareAndSwap(cur, seq) {
			return
		}
	}
}

// Stats returns the writer's counters.
func (s *Store) Stats() Stats { return Stats{Commits: s.commits.Load(), Updates: s.updates.Load()} }

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close waits for queued updates to finish, then closes every connection.
// Later calls return the first call's result.
//
// Errors: the driver's close error, if any.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		close(s.closing)
		s.bgStop()
		s.bg.Wait()
		<-s.loopDone
		werr := s.wconn.close()
		s.rc.close()
		s.raw.close()
		s.closeErr = errors.Join(werr, s.r.Close(), s.ur.Close(), s.w.Close())
	})
	return s.closeErr
}

// openReaders opens a pool of n reader connections to dsn that stay open
// while idle.
//
// Errors: database/sql's, for a driver it does not know.
func openReaders(dsn string, n int) (*sql.DB, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	db.SetConnMaxIdleTime(0)
	return db, nil
}
