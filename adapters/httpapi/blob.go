package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
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
	// Delete removes a blob (and, for an UploadIndex, its record);
	// deleting an unknown key is not an error.
	Delete(ctx context.Context, key string) error
}

// FileBlobs keeps blobs as files in one directory, written to a temporary
// name and renamed into place so that a reader never sees half a blob. It
// is an UploadIndex: each blob's upload record is a sidecar file beside it
// (KEY.upload, JSON), and a blob whose record is not written yet is marked
// by an empty KEY.pending, so that a crash between the two leaves
// something the sweep finds.
type FileBlobs struct {
	dir string
}

var _ UploadIndex = (*FileBlobs)(nil)

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
	pending := filepath.Join(b.dir, key+pendingSuffix)
	if err == nil {
		err = os.WriteFile(pending, nil, 0o640)
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(b.dir, key))
	}
	if err != nil {
		_ = os.Remove(tmp)
		_ = os.Remove(pending)
		return "", fmt.Errorf("httpapi: blob put: %w", err)
	}
	return key, nil
}

// The sidecar files' suffixes. Neither can be part of a key.
const (
	uploadSuffix  = ".upload"
	pendingSuffix = ".pending"
)

// SaveUpload implements UploadIndex: the record is written to a temporary
// name and renamed into place, then the pending mark is removed.
func (b *FileBlobs) SaveUpload(_ context.Context, u Upload) error {
	if !validBlobKey(u.Key) {
		return ErrBlobNotFound
	}
	if _, err := os.Stat(filepath.Join(b.dir, u.Key)); errors.Is(err, os.ErrNotExist) {
		return ErrBlobNotFound
	} else if err != nil {
		return fmt.Errorf("httpapi: save upload: %w", err)
	}
	raw, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("httpapi: save upload: %w", err)
	}
	f, err := os.CreateTemp(b.dir, ".record-*")
	if err != nil {
		return fmt.Errorf("httpapi: save upload: %w", err)
	}
	tmp := f.Name()
	_, err = f.Write(raw)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(b.dir, u.Key+uploadSuffix))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("httpapi: save upload: %w", err)
	}
	if err := os.Remove(filepath.Join(b.dir, u.Key+pendingSuffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("httpapi: save upload: %w", err)
	}
	return nil
}

// LoadUpload implements UploadIndex.
func (b *FileBlobs) LoadUpload(_ context.Context, key string) (Upload, error) {
	if !validBlobKey(key) {
		return Upload{}, ErrBlobNotFound
	}
	raw, err := os.ReadFile(filepath.Join(b.dir, key+uploadSuffix))
	if errors.Is(err, os.ErrNotExist) {
		return Upload{}, ErrBlobNotFound
	}
	if err != nil {
		return Upload{}, fmt.Errorf("httpapi: load upload: %w", err)
	}
	var u Upload
	if err := json.Unmarshal(raw, &u); err != nil || u.Key != key {
		return Upload{}, fmt.Errorf("httpapi: load upload %s: corrupt record", key)
	}
	return u, nil
}

// Uploads implements UploadIndex. A pending blob is dated by its mark's
// modification time. Records it cannot read are left out and reported in
// the error, beside the others.
func (b *FileBlobs) Uploads(ctx context.Context) ([]Upload, error) {
	entries, err := os.ReadDir(b.dir)
	if err != nil {
		return nil, fmt.Errorf("httpapi: list uploads: %w", err)
	}
	var out []Upload
	var errs []error
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasSuffix(name, uploadSuffix):
			u, err := b.LoadUpload(ctx, strings.TrimSuffix(name, uploadSuffix))
			if errors.Is(err, ErrBlobNotFound) {
				continue // deleted meanwhile, or not ours
			}
			if err != nil {
				// One unreadable record must not stop the sweep of the rest.
				errs = append(errs, err)
				continue
			}
			out = append(out, u)
		case strings.HasSuffix(name, pendingSuffix):
			key := strings.TrimSuffix(name, pendingSuffix)
			if !validBlobKey(key) {
				continue
			}
			if _, err := os.Stat(filepath.Join(b.dir, key+uploadSuffix)); err == nil {
				continue // recorded meanwhile
			}
			info, err := e.Info()
			if err != nil {
				continue // deleted meanwhile
			}
			out = append(out, Upload{Key: key, UploadedAt: info.ModTime().UTC()})
		}
	}
	return out, errors.Join(errs...)
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
	// The bytes first: a record without its blob is never served, while a
	// blob without its record would never be swept.
	for _, name := range []string{key, key + uploadSuffix, key + pendingSuffix} {
		err := os.Remove(filepath.Join(b.dir, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("httpapi: blob delete: %w", err)
		}
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
