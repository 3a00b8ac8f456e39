package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// MaxAttachmentBytes is the largest attachment accepted: 50 MB, the
// supervision flows' limit.
const MaxAttachmentBytes = 50 * 1024 * 1024 // 52,428,800

// ErrBlobNotFound is returned by BlobStore.Open for an unknown key.
var ErrBlobNotFound = errors.New("httpapi: blob not found")

// BlobStore is the port attachments are streamed to. The host supplies one
// (object storage, a database); FileBlobs is the file-system default.
type BlobStore interface {
	// Put stores everything read from r under a new key and returns the
	// key. It must not keep r after returning; a failed Put leaves nothing
	// behind.
	//
	// Errors: whatever reading r returns (wrapped), or a storage fault.
	Put(ctx context.Context, r io.Reader) (key string, err error)
	// Open returns the blob stored under key.
	//
	// Errors: ErrBlobNotFound for an unknown key.
	Open(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes a blob; deleting an unknown key is not an error.
	Delete(ctx context.Context, key string) error
}

// FileBlobs keeps blobs as files in one directory, written to a temporary
// name and renamed into place so that a reader never sees half a blob.
type FileBlobs struct {
	dir string
}

// NewFileBlobs returns a BlobStore in dir, creating it if needed.
//
// Errors: the file system's, when dir cannot be created.
func NewFileBlobs(dir string) (*FileBlobs, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("httpapi: blob dir: %w", err)
	}
	return &FileBlobs{dir: dir}, nil
}

// Put implements BlobStore.
func (b *FileBlobs) Put(ctx context.Context, r io.Reader) (string, error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("httpapi: blob key: %w", err)
	}
	key := hex.EncodeToString(raw[:])
	f, err := os.CreateTemp(b.dir, ".upload-*")
	if err != nil {
		return "", fmt.Errorf("httpapi: blob put: %w", err)
	}
	tmp := f.Name()
	_, err = io.Copy(f, &ctxReader{ctx: ctx, r: r})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(b.dir, key))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return "", fmt.Errorf("httpapi: blob put: %w", err)
	}
	return key, nil
}

// Open implements BlobStore.
func (b *FileBlobs) Open(_ context.Context, key string) (io.ReadCloser, error) {
	if !validBlobKey(key) {
		return nil, ErrBlobNotFound
	}
	f, err := os.Open(filepath.Join(b.dir, key))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrBlobNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("httpapi: blob open: %w", err)
	}
	return f, nil
}

// Delete implements BlobStore.
func (b *FileBlobs) Delete(_ context.Context, key string) error {
	if !validBlobKey(key) {
		return nil
	}
	err := os.Remove(filepath.Join(b.dir, key))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("httpapi: blob delete: %w", err)
	}
	return nil
}

// validBlobKey accepts only the keys Put makes, so a key can never name a
// file outside the directory.
func validBlobKey(k string) bool {
	if len(k) != 32 {
		return false
	}
	_, err := hex.DecodeString(k)
	return err == nil
}

// ctxReader stops a long copy when the request is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// errTooLarge is returned by limitedDigest when the limit is passed.
var errTooLarge = errors.New("httpapi: attachment exceeds the size limit")

// limitedDigest counts and hashes what passes through it and fails once
// more than limit bytes were read, so an oversized upload is refused while
// streaming rather than after buffering it.
type limitedDigest struct {
	r     io.Reader
	limit int64
	n     int64
	h     hash.Hash
}

func newLimitedDigest(r io.Reader, limit int64) *limitedDigest {
	return &limitedDigest{r: r, limit: limit, h: sha256.New()}
}

func (l *limitedDigest) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.n += int64(n)
	if l.n > l.limit {
		return 0, errTooLarge
	}
	l.h.Write(p[:n])
	return n, err
}

func (l *limitedDigest) sum() string { return hex.EncodeToString(l.h.Sum(nil)) }
