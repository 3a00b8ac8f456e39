package sqlite

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// The writer's WAL write buffer: a VFS that wraps SQLite's default one and
// changes one thing. SQLite appends a commit's frames to the WAL with two
// write system calls each (a 24-byte header, then the page), and a group
// commit of a dozen orders appends about 130 frames: 260 system calls
// before the commit's fsync, more of the commit's time than the fsync on
// the machines we measured. Through this VFS the writer's connection
// gathers the writes to its WAL file in memory and hands them to the
// default VFS as one write, at the latest when SQLite syncs the WAL.
//
// Why this is as durable and as consistent as writing at once. The file
// ends up with exactly the bytes the separate writes would have left (the
// buffer is one contiguous run; a write inside it overwrites in place, any
// other write first writes the run out), so only when they reach the file
// can differ, and nothing can observe the difference:
//
//   - An acknowledged commit is on disk. Only synchronous=FULL uses this
//     VFS (Open): then SQLite syncs the WAL after writing a commit's frames
//     and before it publishes them in the WAL index, and the sync writes
//     the run out first (a failed write fails the sync, so the commit).
//     Under NORMAL, frames are published without a sync, and another
//     connection could read a frame still in the buffer: Open does not use
//     the VFS then.
//   - This connection reads what it wrote: every other method of the WAL
//     file (read, size, truncate, file control, close) writes the run out
//     first.
//   - Another connection or process never has its frames overwritten by
//     stale ones. SQLite writes the WAL only while holding its write lock,
//     which it takes and releases through the shared-memory lock call on
//     the database file (the VFS wraps that too). Writes are buffered only
//     while the VFS has seen the lock taken (never in
//     locking_mode=EXCLUSIVE, which skips those calls), and when the lock
//     is released whatever is still buffered is dropped: those are frames
//     of a transaction that rolled back (a commit has synced them by
//     then), which no reader will look for, and which the next writer may
//     reuse the space of. So the buffer is empty whenever the lock is not
//     held.
//   - Nothing is written after the sync. Without powersafe overwrite
//     SQLite pads a commit to a sector boundary and writes the last
//     padding frame's tail after syncing: the VFS does not buffer such a
//     WAL (psow=0, or a device without the capability).
//   - A lost run loses its transaction. A run whose write fails is gone:
//     the failure is SQLITE_IOERR_WRITE (which makes SQLite roll back the
//     whole transaction, where SQLITE_FULL would roll back one statement
//     and keep earlier frames that were in the run) and every later call
//     on the file fails the same way until the write lock is released.
//
// walBufVFS is the name the VFS is registered under (walBufRegister).
const walBufVFS = "opengallery-walbuf"

// walBufMax bounds the buffered run: a longer one is written out while the
// write lock is held, which is always safe (a transaction's first frames
// are written before its last ones in SQLite too).
const walBufMax = 4 << 20

// walBufFile is the VFS's state of an open file, kept in the file object
// after the default VFS's own (the object is allocated with room for it).
// It holds no Go pointers.
type walBufFile struct {
	orig   uintptr // the default VFS's methods for this file
	peer   uintptr // a WAL file: its database file; a database file: its WAL file (0: none)
	buf    uintptr // the buffered run, in SQLite's memory
	bufCap int64
	bufLen int64
	start  int64 // the file offset of buf's first byte
	// locked (a WAL file): the connection holds SQLite's WAL write lock,
	// taken and released through its database file's xShmLock. Writes
	// are buffered only then: with the lock never taken that way
	// (locking_mode=EXCLUSIVE) they go straight to the file.
	locked int32
	// failed (a WAL file): a run could not be written; every method of
	// the file fails until the write lock is released, so that the
	// transaction whose frames were lost cannot commit (walBufFlush).
	failed int32
}

// walBufStats counts the VFS's work in this process (tests read it).
var walBufStats struct {
	writes    atomic.Int64 // WAL writes taken into a run (not those written straight through)
	flushes   atomic.Int64 // writes of a buffered run to the file
	discarded atomic.Int64 // bytes dropped at a write lock's release
}

// walBufFailFlush, when set (tests), makes a run's write fail as the
// default VFS does when the disk is full (SQLITE_FULL).
var walBufFailFlush atomic.Bool

var walBuf struct {
	once sync.Once
	err  error
	base uintptr // the default VFS
	off  uintptr // walBufFile's offset in a file object
	mu   sync.Mutex
	// methods are the VFS's method tables, one pair (database, WAL) per
	// method table of the default VFS, made on first use and kept for the
	// process's life (SQLite keeps pointers to them in open files).
	methods map[uintptr]walBufMethods
}

type walBufMethods struct{ db, wal uintptr }

// walBufRegister registers the VFS once per process.
//
// Errors: an error when SQLite has no default VFS or cannot register one.
func walBufRegister() error {
	walBuf.once.Do(func() { walBuf.err = walBufDoRegister() })
	return walBuf.err
}

func walBufDoRegister() error {
	tls := libc.NewTLS()
	defer tls.Close()
	base := sqlite3.Xsqlite3_vfs_find(tls, 0)
	if base == 0 {
		return errors.New("sqlite: no default VFS to wrap")
	}
	b := (*sqlite3.Tsqlite3_vfs)(cptr(base))
	align := unsafe.Alignof(walBufFile{})
	off := (uintptr(b.FszOsFile) + align - 1) &^ (align - 1)
	v := sqlite3.Xsqlite3_malloc64(tls, uint64(unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})))
	name, err := libc.CString(walBufVFS) // kept for the process's life, as the VFS
	if v == 0 || err != nil {
		return errors.New("sqlite: out of memory registering the WAL buffer VFS")
	}
	vfs := (*sqlite3.Tsqlite3_vfs)(cptr(v))
	*vfs = *b
	vfs.FszOsFile = int32(off + unsafe.Sizeof(walBufFile{}))
	vfs.FzName = name
	vfs.FpNext = 0
	*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&vfs.FxOpen)) = walBufOpen
	walBuf.base, walBuf.off = base, off
	walBuf.methods = map[uintptr]walBufMethods{}
	if rc := sqlite3.Xsqlite3_vfs_register(tls, v, 0); rc != sqlite3.SQLITE_OK {
		return fmt.Errorf("sqlite: registering the WAL buffer VFS: code %d", rc)
	}
	return nil
}

// cptr turns an address in SQLite's memory into a pointer (a reinterpreting
// load, which vet's unsafeptr check does not flag: the memory is not Go's).
func cptr(u uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&u)) }

func walBufState(pFile uintptr) *walBufFile { return (*walBufFile)(cptr(pFile + walBuf.off)) }

func fileMethods(pFile uintptr) *uintptr {
	return &(*sqlite3.Tsqlite3_file)(cptr(pFile)).FpMethods
}

func origMethods(pFile uintptr) *sqlite3.Tsqlite3_io_methods {
	return (*sqlite3.Tsqlite3_io_methods)(cptr(walBufState(pFile).orig))
}

// walBufTables returns the VFS's method tables for files whose default
// methods are orig.
func walBufTables(tls *libc.TLS, orig uintptr) (walBufMethods, bool) {
	walBuf.mu.Lock()
	defer walBuf.mu.Unlock()
	if m, ok := walBuf.methods[orig]; ok {
		return m, true
	}
	size := uint64(unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{}))
	db, wal := sqlite3.Xsqlite3_malloc64(tls, size), sqlite3.Xsqlite3_malloc64(tls, size)
	if db == 0 || wal == 0 {
		sqlite3.Xsqlite3_free(tls, db)
		sqlite3.Xsqlite3_free(tls, wal)
		return walBufMethods{}, false
	}
	o := (*sqlite3.Tsqlite3_io_methods)(cptr(orig))
	d, w := (*sqlite3.Tsqlite3_io_methods)(cptr(db)), (*sqlite3.Tsqlite3_io_methods)(cptr(wal))
	*d, *w = *o, *o
	// The database file: its close (to unlink its WAL file) and its
	// shared-memory locks (a write lock's release drops the WAL's buffer).
	*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&d.FxClose)) = walBufDBClose
	if o.FiVersion >= 2 && o.FxShmLock != 0 {
		*(*func(*libc.TLS, uintptr, int32, int32, int32) int32)(unsafe.Pointer(&d.FxShmLock)) = walBufDBShmLock
	}
	// The WAL file: writes are buffered, and every method that could
	// observe the file writes the buffer out first.
	*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&w.FxClose)) = walBufClose
	*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&w.FxRead)) = walBufRead
	*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&w.FxWrite)) = walBufWrite
	*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&w.FxTruncate)) = walBufTruncate
	*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&w.FxSync)) = walBufSync
	*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&w.FxFileSize)) = walBufFileSize
	*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&w.FxFileControl)) = walBufFileControl
	m := walBufMethods{db: db, wal: wal}
	walBuf.methods[orig] = m
	return m, true
}

// walBufOpen is the VFS's xOpen: the default VFS opens the file; a main
// database file and its WAL file then get the VFS's methods, linked to
// each other. Any other file keeps the default methods.
func walBufOpen(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	st := walBufState(pFile)
	*st = walBufFile{}
	base := (*sqlite3.Tsqlite3_vfs)(cptr(walBuf.base))
	rc := callOpen(tls, base.FxOpen, pVfs, zName, pFile, flags, pOutFlags)
	orig := *fileMethods(pFile)
	if rc != sqlite3.SQLITE_OK || orig == 0 || zName == 0 {
		return rc
	}
	var db uintptr
	switch {
	case flags&sqlite3.SQLITE_OPEN_MAIN_DB != 0:
	case flags&sqlite3.SQLITE_OPEN_WAL != 0:
		db = sqlite3.Xsqlite3_database_file_object(tls, zName)
		if db == 0 || walBufState(db).orig == 0 || walBufState(db).peer != 0 {
			return rc // no database file of ours to hear its lock's release: no buffer
		}
		if !walBufPowersafe(tls, db) {
			// SQLite pads a commit to a sector boundary and writes the
			// last padding frame's tail after the sync (walWriteToLog):
			// it must reach the file at once.
			return rc
		}
	default:
		return rc
	}
	m, ok := walBufTables(tls, orig)
	if !ok {
		return rc // out of memory for the tables: the default methods do
	}
	st.orig = orig
	if db == 0 {
		*fileMethods(pFile) = m.db
		return rc
	}
	st.peer = db
	walBufState(db).peer = pFile
	*fileMethods(pFile) = m.wal
	return rc
}

// walBufPowersafe reports whether the database file db has
// SQLITE_IOCAP_POWERSAFE_OVERWRITE (sqlite3WalOpen reads the same).
func walBufPowersafe(tls *libc.TLS, db uintptr) bool {
	fn := origMethods(db).FxDeviceCharacteristics
	if fn == 0 {
		return false
	}
	dc := (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&fn)))(tls, db)
	return dc&sqlite3.SQLITE_IOCAP_POWERSAFE_OVERWRITE != 0
}

// walBufFlush writes the buffered run out. A run that cannot be written
// is lost, and so is the transaction it belongs to: the failure is
// reported as SQLITE_IOERR_WRITE whatever the default VFS said (an
// SQLITE_FULL would let SQLite roll back only the statement at hand, and
// commit frames that are not in the file), and it sticks to the file
// (failed) until the write lock is released.
func walBufFlush(tls *libc.TLS, pFile uintptr) int32 {
	st := walBufState(pFile)
	if st.failed != 0 {
		return sqlite3.SQLITE_IOERR_WRITE
	}
	if st.bufLen == 0 {
		return sqlite3.SQLITE_OK
	}
	n, off := st.bufLen, st.start
	st.bufLen = 0
	walBufStats.flushes.Add(1)
	for done := int64(0); done < n; done += walBufChunk {
		c := min(n-done, walBufChunk)
		rc := int32(sqlite3.SQLITE_FULL) // as the unix VFS says when the disk is full (tests)
		if !walBufFailFlush.Load() {
			rc = callWrite(tls, origMethods(pFile).FxWrite, pFile, st.buf+uintptr(done), int32(c), off+done)
		}
		if rc != sqlite3.SQLITE_OK {
			st.failed = 1
			return sqlite3.SQLITE_IOERR_WRITE
		}
	}
	return sqlite3.SQLITE_OK
}

// walBufChunk is the most a flush hands the default VFS in one write: the
// unix VFS writes at most 0x1ffff bytes a call (seekAndWrite in os_unix.c
// masks the count with it, and a longer write comes back short and ends
// as SQLITE_FULL).
const walBufChunk = 0x1ffff &^ 0xfff

func walBufWrite(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	st := walBufState(pFile)
	if st.locked == 0 || st.failed != 0 {
		// Not under the write lock as the VFS knows it (or a run was
		// lost): straight through, after the run if there is one.
		if rc := walBufFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
			return rc
		}
		return callWrite(tls, origMethods(pFile).FxWrite, pFile, zBuf, iAmt, iOfst)
	}
	walBufStats.writes.Add(1)
	n := int64(iAmt)
	if st.bufLen > 0 && (iOfst < st.start || iOfst > st.start+st.bufLen || iOfst+n-st.start > walBufMax) {
		if rc := walBufFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	if st.bufLen == 0 {
		if n > walBufChunk {
			return callWrite(tls, origMethods(pFile).FxWrite, pFile, zBuf, iAmt, iOfst)
		}
		st.start = iOfst
	}
	end := iOfst + n - st.start
	if end > st.bufCap {
		c := max(end, 2*st.bufCap, 64<<10)
		nb := sqlite3.Xsqlite3_realloc64(tls, st.buf, uint64(c))
		if nb == 0 {
			// Out of memory: write the run, then this write directly
			// (SQLite's own writes are a page at most).
			if rc := walBufFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
				return rc
			}
			return callWrite(tls, origMethods(pFile).FxWrite, pFile, zBuf, iAmt, iOfst)
		}
		st.buf, st.bufCap = nb, c
	}
	dst := unsafe.Slice((*byte)(cptr(st.buf)), st.bufCap)
	copy(dst[iOfst-st.start:end], unsafe.Slice((*byte)(cptr(zBuf)), n))
	st.bufLen = max(st.bufLen, end)
	return sqlite3.SQLITE_OK
}

func walBufSync(tls *libc.TLS, pFile uintptr, flags int32) int32 {
	if rc := walBufFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	fn := origMethods(pFile).FxSync
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&fn)))(tls, pFile, flags)
}

func walBufRead(tls *libc.TLS, pFile, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	if rc := walBufFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	fn := origMethods(pFile).FxRead
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&fn)))(tls, pFile, zBuf, iAmt, iOfst)
}

func walBufTruncate(tls *libc.TLS, pFile uintptr, size int64) int32 {
	if rc := walBufFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	fn := origMethods(pFile).FxTruncate
	return (*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&fn)))(tls, pFile, size)
}

func walBufFileSize(tls *libc.TLS, pFile, pSize uintptr) int32 {
	if rc := walBufFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	fn := origMethods(pFile).FxFileSize
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&fn)))(tls, pFile, pSize)
}

func walBufFileControl(tls *libc.TLS, pFile uintptr, op int32, pArg uintptr) int32 {
	if rc := walBufFlush(tls, pFile); rc != sqlite3.SQLITE_OK {
		return rc
	}
	fn := origMethods(pFile).FxFileControl
	return (*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&fn)))(tls, pFile, op, pArg)
}

// walBufClose writes the run out (a close is not a commit, but SQLite
// closes the WAL only when no transaction is open, so the run is empty),
// unlinks the WAL file from its database file and closes it.
func walBufClose(tls *libc.TLS, pFile uintptr) int32 {
	st := walBufState(pFile)
	rc := walBufFlush(tls, pFile)
	if st.peer != 0 {
		walBufState(st.peer).peer = 0
	}
	sqlite3.Xsqlite3_free(tls, st.buf)
	fn := origMethods(pFile).FxClose
	*st = walBufFile{}
	if crc := callClose(tls, fn, pFile); rc == sqlite3.SQLITE_OK {
		rc = crc
	}
	return rc
}

func walBufDBClose(tls *libc.TLS, pFile uintptr) int32 {
	st := walBufState(pFile)
	if st.peer != 0 {
		walBufState(st.peer).peer = 0
	}
	fn := origMethods(pFile).FxClose
	*st = walBufFile{}
	return callClose(tls, fn, pFile)
}

// walBufWriteLock is the shared-memory lock slot SQLite's WAL writer holds
// (WAL_WRITE_LOCK in wal.c).
const walBufWriteLock = 0

// walBufDBShmLock does the lock call and tells the database file's WAL
// file when the write lock is taken (locked: writes are buffered from then
// on) and released (the run, if any, is dropped first: see the top of this
// file; a lost run's failure ends with it).
func walBufDBShmLock(tls *libc.TLS, pFile uintptr, offset, n, flags int32) int32 {
	st := walBufState(pFile)
	write := offset <= walBufWriteLock && walBufWriteLock < offset+n && st.peer != 0
	if write && flags&sqlite3.SQLITE_SHM_UNLOCK != 0 {
		w := walBufState(st.peer)
		if w.bufLen > 0 {
			walBufStats.discarded.Add(w.bufLen)
			w.bufLen = 0
		}
		w.locked, w.failed = 0, 0
	}
	fn := origMethods(pFile).FxShmLock
	rc := (*(*func(*libc.TLS, uintptr, int32, int32, int32) int32)(unsafe.Pointer(&fn)))(tls, pFile, offset, n, flags)
	if write && rc == sqlite3.SQLITE_OK && flags&sqlite3.SQLITE_SHM_LOCK != 0 && flags&sqlite3.SQLITE_SHM_EXCLUSIVE != 0 {
		walBufState(st.peer).locked = 1
	}
	return rc
}

func callOpen(tls *libc.TLS, fn, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	return (*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&fn)))(tls, pVfs, zName, pFile, flags, pOutFlags)
}

func callWrite(tls *libc.TLS, fn, pFile, buf uintptr, n int32, off int64) int32 {
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&fn)))(tls, pFile, buf, n, off)
}

func callClose(tls *libc.TLS, fn, pFile uintptr) int32 {
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&fn)))(tls, pFile)
}
