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

// The writer's WAL writes, combined. SQLite appends a commit to the WAL a
// frame at a time, each frame with two write system calls (its 24-byte
// header, then the page), and syncs the file at the end of the commit. A
// group commit of 13 orders appends about 100 frames, so the writer spent
// most of its COMMIT in some 200 pwrite calls of 2-10 µs each (on this
// project's 2-core VM) before the one fsync. The writer therefore opens its
// database through walVFS, a VFS that wraps the default one ("unix") and
// changes one thing: the WAL file's writes are collected in memory while
// they are contiguous and reach the file in one write when SQLite syncs,
// reads, truncates or sizes the file, or closes it (or when the buffer is
// full, or a write lands elsewhere). Every other file (the database, its
// shared memory, journals) is the default VFS's own, untouched.
//
// Why that keeps every guarantee: what SQLite wrote but has not synced may
// be lost in a crash anyway (that is what the sync is for), so holding it
// in memory until the sync changes nothing on disk that a crash could
// reveal; and the sync flushes before it syncs. What other connections
// (readers, other processes) read of the WAL are committed frames only,
// which the writer publishes in the WAL index after the commit's sync when
// synchronous is FULL (sqlite3WalFrames: write the frames, sync, then
// index them); so the writer uses walVFS only with SyncFull (with NORMAL a
// commit publishes unsynced frames, which must then be in the file), and
// only while the file reports SQLITE_IOCAP_POWERSAFE_OVERWRITE (the
// default; walOpen asks the database file): without it SQLite pads a
// commit to a sector boundary and syncs in the middle of a padding frame,
// whose rest would stay in the buffer while readers read it.
// The writer's own reads of the WAL (a checkpoint, a page it spilled) flush
// first.

// walVFSName is the name walVFS is registered under.
const walVFSName = "opengallery-wal"

// walBufSize is the most a WAL file buffers before it writes: 1 MiB, about
// 250 frames of 4 KiB pages, more than a group commit of 16 orders.
const walBufSize = 1 << 20

// walWriteMax is the most one write of the wrapped file takes: the unix
// VFS cuts a write's length to its low 17 bits (seekAndWriteFd), so a
// flush writes in pieces of at most 124 KiB (31 frames).
const walWriteMax = 0x1ffff &^ 4095

// walVFS is registered once per process. Its sqlite3_vfs and the WAL
// files' io methods live in C memory (allocated once, never freed): SQLite
// does pointer arithmetic on them, which the race detector's pointer checks
// reject for Go memory.
var walVFS struct {
	once    sync.Once
	err     error
	base    uintptr // the wrapped VFS
	methods uintptr // *sqlite3.Tsqlite3_io_methods of WAL files
}

// walWrites counts the writes flushes make to wrapped WAL files (tests
// check that commits are combined).
var walWrites atomic.Int64

// walFile is how walVFS lays out a WAL file's sqlite3_file: its own fields,
// then the wrapped VFS's file (at walFileReal).
type walFile struct {
	base  sqlite3.Tsqlite3_file
	buf   uintptr // walBufSize bytes of C memory, allocated at the first write; 0: none
	start int64   // the file offset of buf[0]
	n     int64   // bytes buffered
	pass  int32   // 1: no buffering (no POWERSAFE_OVERWRITE)
}

// walFileReal is the offset of the wrapped file inside a walFile's memory.
const walFileReal = (unsafe.Sizeof(walFile{}) + 15) &^ 15

// registerWALVFS registers walVFS once per process.
//
// Errors: an error when SQLite has no default VFS or refuses the
// registration.
func registerWALVFS() error {
	walVFS.once.Do(func() {
		tls := libc.NewTLS()
		defer tls.Close()
		base := sqlite3.Xsqlite3_vfs_find(tls, 0)
		if base == 0 {
			walVFS.err = errors.New("sqlite: no default VFS to wrap")
			return
		}
		name, err := libc.CString(walVFSName)
		if err != nil {
			walVFS.err = fmt.Errorf("sqlite: register %s: %w", walVFSName, err)
			return
		}
		pv := libc.Xmalloc(tls, uint64(unsafe.Sizeof(sqlite3.Tsqlite3_vfs{})))
		pm := libc.Xcalloc(tls, 1, uint64(unsafe.Sizeof(sqlite3.Tsqlite3_io_methods{})))
		if pv == 0 || pm == 0 {
			walVFS.err = fmt.Errorf("sqlite: register %s: out of memory", walVFSName)
			return
		}
		walVFS.base, walVFS.methods = base, pm
		v := (*sqlite3.Tsqlite3_vfs)(cptr(pv))
		*v = *(*sqlite3.Tsqlite3_vfs)(cptr(base))
		v.FpNext = 0
		v.FzName = name
		v.FszOsFile = int32(walFileReal) + v.FszOsFile
		*(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&v.FxOpen)) = walOpen

		m := (*sqlite3.Tsqlite3_io_methods)(cptr(pm))
		m.FiVersion = 1
		*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxClose)) = walClose
		*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&m.FxRead)) = walRead
		*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&m.FxWrite)) = walWrite
		*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&m.FxTruncate)) = walTruncate
		*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxSync)) = walSync
		*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&m.FxFileSize)) = walFileSize
		*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxLock)) = walLock
		*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxUnlock)) = walUnlock
		*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&m.FxCheckReservedLock)) = walCheckReservedLock
		*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&m.FxFileControl)) = walFileControl
		*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxSectorSize)) = walSectorSize
		*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxDeviceCharacteristics)) = walDeviceCharacteristics

		if rc := sqlite3.Xsqlite3_vfs_register(tls, pv, 0); rc != sqlite3.SQLITE_OK {
			walVFS.err = fmt.Errorf("sqlite: register %s: error code %d", walVFSName, rc)
		}
	})
	return walVFS.err
}

// cptr turns the address of C memory that SQLite hands over as a uintptr
// into a pointer.
func cptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

func walFileOf(p uintptr) *walFile { return (*walFile)(cptr(p)) }

// realOf returns the wrapped file of the walFile at p and its methods.
func realOf(p uintptr) (uintptr, *sqlite3.Tsqlite3_io_methods) {
	rf := p + walFileReal
	return rf, (*sqlite3.Tsqlite3_io_methods)(cptr((*sqlite3.Tsqlite3_file)(cptr(rf)).FpMethods))
}

// walOpen is walVFS's xOpen: a WAL file gets walVFS.methods around the
// wrapped VFS's file; every other file is the wrapped VFS's, as it opens
// it.
func walOpen(tls *libc.TLS, pVfs, zName, pFile uintptr, flags int32, pOutFlags uintptr) int32 {
	open := *(*func(*libc.TLS, uintptr, uintptr, uintptr, int32, uintptr) int32)(unsafe.Pointer(&(*sqlite3.Tsqlite3_vfs)(cptr(walVFS.base)).FxOpen))
	if flags&sqlite3.SQLITE_OPEN_WAL == 0 {
		return open(tls, walVFS.base, zName, pFile, flags, pOutFlags)
	}
	f := walFileOf(pFile)
	*f = walFile{}
	(*sqlite3.Tsqlite3_file)(cptr(pFile + walFileReal)).FpMethods = 0
	rc := open(tls, walVFS.base, zName, pFile+walFileReal, flags, pOutFlags)
	if (*sqlite3.Tsqlite3_file)(cptr(pFile+walFileReal)).FpMethods == 0 {
		return rc // nothing to close
	}
	// Set even when the open failed: SQLite then closes the file (through
	// walClose, which closes the wrapped one).
	f.base.FpMethods = walVFS.methods
	// SQLite pads commits to a sector boundary, syncing mid-frame, unless
	// the database file (not the WAL: its URI parameters are the
	// database's) has POWERSAFE_OVERWRITE.
	if db := sqlite3.Xsqlite3_database_file_object(tls, zName); db == 0 || fileCharacteristics(tls, db)&sqlite3.SQLITE_IOCAP_POWERSAFE_OVERWRITE == 0 {
		f.pass = 1
	}
	return rc
}

// walFlush writes what the file at p buffers.
func walFlush(tls *libc.TLS, p uintptr) int32 {
	f := walFileOf(p)
	if f.n == 0 {
		return sqlite3.SQLITE_OK
	}
	rf, m := realOf(p)
	write := *(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&m.FxWrite))
	n := f.n
	f.n = 0
	for off := int64(0); off < n; off += walWriteMax {
		walWrites.Add(1)
		if rc := write(tls, rf, f.buf+uintptr(off), int32(min(walWriteMax, n-off)), f.start+off); rc != sqlite3.SQLITE_OK {
			return rc
		}
	}
	return sqlite3.SQLITE_OK
}

func walClose(tls *libc.TLS, p uintptr) int32 {
	rc := walFlush(tls, p)
	f := walFileOf(p)
	if f.buf != 0 {
		libc.Xfree(tls, f.buf)
		f.buf = 0
	}
	rf, m := realOf(p)
	if rc2 := (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxClose)))(tls, rf); rc == sqlite3.SQLITE_OK {
		rc = rc2
	}
	return rc
}

func walRead(tls *libc.TLS, p, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	if rc := walFlush(tls, p); rc != sqlite3.SQLITE_OK {
		return rc
	}
	rf, m := realOf(p)
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&m.FxRead)))(tls, rf, zBuf, iAmt, iOfst)
}

// walWrite buffers a write that extends the buffered run or falls inside
// it; any other write, or one that does not fit, writes the run first.
func walWrite(tls *libc.TLS, p, zBuf uintptr, iAmt int32, iOfst int64) int32 {
	f := walFileOf(p)
	amt := int64(iAmt)
	if f.pass == 0 && amt <= walBufSize {
		if f.buf == 0 {
			if f.buf = libc.Xmalloc(tls, walBufSize); f.buf == 0 {
				return sqlite3.SQLITE_NOMEM
			}
		}
		switch {
		case f.n > 0 && iOfst >= f.start && iOfst+amt <= f.start+f.n:
			// Inside the run: a frame rewritten in the same transaction.
			copy(unsafe.Slice((*byte)(cptr(f.buf+uintptr(iOfst-f.start))), amt), unsafe.Slice((*byte)(cptr(zBuf)), amt))
			return sqlite3.SQLITE_OK
		case f.n > 0 && iOfst == f.start+f.n && f.n+amt <= walBufSize:
		default:
			if rc := walFlush(tls, p); rc != sqlite3.SQLITE_OK {
				return rc
			}
			f.start = iOfst
		}
		copy(unsafe.Slice((*byte)(cptr(f.buf+uintptr(f.n))), amt), unsafe.Slice((*byte)(cptr(zBuf)), amt))
		f.n += amt
		return sqlite3.SQLITE_OK
	}
	if rc := walFlush(tls, p); rc != sqlite3.SQLITE_OK {
		return rc
	}
	rf, m := realOf(p)
	return (*(*func(*libc.TLS, uintptr, uintptr, int32, int64) int32)(unsafe.Pointer(&m.FxWrite)))(tls, rf, zBuf, iAmt, iOfst)
}

func walTruncate(tls *libc.TLS, p uintptr, size int64) int32 {
	if rc := walFlush(tls, p); rc != sqlite3.SQLITE_OK {
		return rc
	}
	rf, m := realOf(p)
	return (*(*func(*libc.TLS, uintptr, int64) int32)(unsafe.Pointer(&m.FxTruncate)))(tls, rf, size)
}

func walSync(tls *libc.TLS, p uintptr, flags int32) int32 {
	if rc := walFlush(tls, p); rc != sqlite3.SQLITE_OK {
		return rc
	}
	rf, m := realOf(p)
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxSync)))(tls, rf, flags)
}

func walFileSize(tls *libc.TLS, p, pSize uintptr) int32 {
	if rc := walFlush(tls, p); rc != sqlite3.SQLITE_OK {
		return rc
	}
	rf, m := realOf(p)
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&m.FxFileSize)))(tls, rf, pSize)
}

func walLock(tls *libc.TLS, p uintptr, lock int32) int32 {
	rf, m := realOf(p)
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxLock)))(tls, rf, lock)
}

func walUnlock(tls *libc.TLS, p uintptr, lock int32) int32 {
	rf, m := realOf(p)
	return (*(*func(*libc.TLS, uintptr, int32) int32)(unsafe.Pointer(&m.FxUnlock)))(tls, rf, lock)
}

func walCheckReservedLock(tls *libc.TLS, p, pResOut uintptr) int32 {
	rf, m := realOf(p)
	return (*(*func(*libc.TLS, uintptr, uintptr) int32)(unsafe.Pointer(&m.FxCheckReservedLock)))(tls, rf, pResOut)
}

// walFileControl writes the buffer first: a file control may look at or
// change the file (a size hint, its size).
func walFileControl(tls *libc.TLS, p uintptr, op int32, pArg uintptr) int32 {
	if rc := walFlush(tls, p); rc != sqlite3.SQLITE_OK {
		return rc
	}
	rf, m := realOf(p)
	return (*(*func(*libc.TLS, uintptr, int32, uintptr) int32)(unsafe.Pointer(&m.FxFileControl)))(tls, rf, op, pArg)
}

func walSectorSize(tls *libc.TLS, p uintptr) int32 {
	rf, m := realOf(p)
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxSectorSize)))(tls, rf)
}

func walDeviceCharacteristics(tls *libc.TLS, p uintptr) int32 {
	rf, m := realOf(p)
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxDeviceCharacteristics)))(tls, rf)
}

// fileCharacteristics calls the xDeviceCharacteristics of the file at p.
func fileCharacteristics(tls *libc.TLS, p uintptr) int32 {
	m := (*sqlite3.Tsqlite3_io_methods)(cptr((*sqlite3.Tsqlite3_file)(cptr(p)).FpMethods))
	if m == nil || m.FxDeviceCharacteristics == 0 {
		return 0
	}
	return (*(*func(*libc.TLS, uintptr) int32)(unsafe.Pointer(&m.FxDeviceCharacteristics)))(tls, p)
}
