package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/httpapi"
	"github.com/opengallery/opengallery/marketplace"
)

func TestFileBlobs(t *testing.T) {
	dir := t.TempDir()
	b, err := httpapi.NewFileBlobs(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data := bytes.Repeat([]byte("attachment "), 1000)
	key, err := b.Put(ctx, bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := b.Open(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, data) {
		t.Errorf("round trip: got %d bytes, want %d", len(got), len(data))
	}
	for _, k := range []string{"../etc/passwd", "nothex", "00000000000000000000000000000000"} {
		if _, err := b.Open(ctx, k); !errors.Is(err, httpapi.ErrBlobNotFound) {
			t.Errorf("Open(%q) err = %v, want ErrBlobNotFound", k, err)
		}
	}
	if err := b.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Open(ctx, key); !errors.Is(err, httpapi.ErrBlobNotFound) {
		t.Errorf("after Delete: err = %v, want ErrBlobNotFound", err)
	}
	// A failed Put leaves nothing behind.
	if _, err := b.Put(ctx, io.MultiReader(bytes.NewReader(data), errReader{})); err == nil {
		t.Error("Put of a failing reader succeeded")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("%d files left behind, want 0", len(entries))
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// TestFileBlobsUploads: FileBlobs keeps each blob's upload record in a
// sidecar, marks a blob pending until it has one, and deletes both.
func TestFileBlobsUploads(t *testing.T) {
	dir := t.TempDir()
	b, err := httpapi.NewFileBlobs(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	key, err := b.Put(ctx, strings.NewReader("evidence"))
	if err != nil {
		t.Fatal(err)
	}
	// Stored but not recorded: pending, not loadable.
	if _, err := b.LoadUpload(ctx, key); !errors.Is(err, httpapi.ErrBlobNotFound) {
		t.Errorf("LoadUpload before SaveUpload: %v, want ErrBlobNotFound", err)
	}
	ups, err := b.Uploads(ctx)
	if err != nil || len(ups) != 1 || ups[0].Key != key || ups[0].FlowID != "" || ups[0].UploadedAt.IsZero() {
		t.Fatalf("Uploads of a pending blob = %+v, %v", ups, err)
	}
	want := httpapi.Upload{Key: key, FlowID: "flw_1", UploaderRole: marketplace.RoleBuyer, UploaderID: "buyer-1",
		Name: "a.pdf", ContentType: "application/pdf", Size: 8, Digest: "sha256:00", UploadedAt: time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)}
	if err := b.SaveUpload(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := b.LoadUpload(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadUpload (-want +got):\n%s", diff)
	}
	ups, err = b.Uploads(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]httpapi.Upload{want}, ups); diff != "" {
		t.Errorf("Uploads (-want +got):\n%s", diff)
	}
	cases := []struct {
		name string
		u    httpapi.Upload
	}{
		{"no such blob", httpapi.Upload{Key: "00000000000000000000000000000000"}},
		{"not a key", httpapi.Upload{Key: "../" + key}},
		{"a sidecar's name", httpapi.Upload{Key: key + ".upload"}},
	}
	for _, tc := range cases {
		if err := b.SaveUpload(ctx, tc.u); !errors.Is(err, httpapi.ErrBlobNotFound) {
			t.Errorf("%s: SaveUpload = %v, want ErrBlobNotFound", tc.name, err)
		}
		if _, err := b.LoadUpload(ctx, tc.u.Key); !errors.Is(err, httpapi.ErrBlobNotFound) {
			t.Errorf("%s: LoadUpload = %v, want ErrBlobNotFound", tc.name, err)
		}
	}
	if err := b.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("%d files left after Delete, want 0", len(entries))
	}
}

// FuzzFileBlobsRecord: whatever a sidecar holds, LoadUpload and Uploads
// neither panic nor return a record for another key.
func FuzzFileBlobsRecord(f *testing.F) {
	f.Add([]byte(`{"key":"0123456789abcdef0123456789abcdef","flow_id":"f","size":1}`))
	f.Add([]byte(`{"key":"other"}`))
	f.Add([]byte(`{`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, raw []byte) {
		dir := t.TempDir()
		b, err := httpapi.NewFileBlobs(dir)
		if err != nil {
			t.Fatal(err)
		}
		const key = "0123456789abcdef0123456789abcdef"
		if err := os.WriteFile(filepath.Join(dir, key+".upload"), raw, 0o600); err != nil {
			t.Fatal(err)
		}
		if u, err := b.LoadUpload(context.Background(), key); err == nil && u.Key != key {
			t.Errorf("LoadUpload returned the record of %q", u.Key)
		}
		ups, err := b.Uploads(context.Background())
		for _, u := range ups {
			if err == nil && u.Key != key {
				t.Errorf("Uploads returned the record of %q", u.Key)
			}
		}
	})
}

// TestFileBlobsUploadsPastACorruptRecord: a record that cannot be read is
// reported, and the others are still listed (the sweep goes on past it).
func TestFileBlobsUploadsPastACorruptRecord(t *testing.T) {
	dir := t.TempDir()
	b, err := httpapi.NewFileBlobs(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var keys []string
	for i := range 2 {
		key, err := b.Put(ctx, strings.NewReader("evidence"))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.SaveUpload(ctx, httpapi.Upload{Key: key, FlowID: "flw_1", UploaderRole: marketplace.RoleBuyer, UploaderID: "buyer-1",
			Name: fmt.Sprintf("%d.pdf", i), Size: 8, Digest: "sha256:00", UploadedAt: time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		keys = append(keys, key)
	}
	if err := os.WriteFile(filepath.Join(dir, keys[0]+".upload"), []byte("{not json"), 0o640); err != nil {
		t.Fatal(err)
	}
	ups, err := b.Uploads(ctx)
	if err == nil {
		t.Error("Uploads with a corrupt record: no error")
	}
	if len(ups) != 1 || ups[0].Key != keys[1] {
		t.Errorf("Uploads past a corrupt record = %+v, want the other one", ups)
	}
}
