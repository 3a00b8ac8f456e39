package httpapi_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/opengallery/opengallery/adapters/httpapi"
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
