package docpage_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/opengallery/opengallery/adapters/internal/docpage"
	"github.com/opengallery/opengallery/marketplace"
)

func TestCursorRoundTrip(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC)
	for _, c := range []any{
		docpage.Cursor[int64]{T: 1700000000123456789, ID: "o1"},
		docpage.Cursor[int64]{R: 2, S: "Name", ID: "p9"},
		docpage.Cursor[time.Time]{T: at, ID: "o2"},
		docpage.Cursor[time.Time]{ID: "o3"},
	} {
		switch c := c.(type) {
		case docpage.Cursor[int64]:
			got, err := docpage.Decode[int64](c.Encode())
			if err != nil || got == nil || *got != c {
				t.Errorf("round trip of %+v = %+v, %v", c, got, err)
			}
		case docpage.Cursor[time.Time]:
			got, err := docpage.Decode[time.Time](c.Encode())
			if err != nil || got == nil || !got.T.Equal(c.T) || got.ID != c.ID {
				t.Errorf("round trip of %+v = %+v, %v", c, got, err)
			}
		}
	}
}

func TestDecodeRejects(t *testing.T) {
	if c, err := docpage.Decode[int64](""); c != nil || err != nil {
		t.Errorf("empty cursor = %v, %v; want the first page", c, err)
	}
	noID := docpage.Cursor[int64]{T: 5}.Encode()
	for _, s := range []string{"!!", "bm90IGpzb24", noID} {
		if _, err := docpage.Decode[int64](s); !errors.Is(err, marketplace.ErrInvalidInput) {
			t.Errorf("Decode(%q) = %v, want ErrInvalidInput", s, err)
		}
	}
}

// fakeRows yields (doc, t, id) rows.
type fakeRows struct {
	rows [][3]any
	i    int
	err  error
}

func (r *fakeRows) Next() bool { r.i++; return r.i <= len(r.rows) }
func (r *fakeRows) Err() error { return r.err }
func (r *fakeRows) Scan(dest ...any) error {
	row := r.rows[r.i-1]
	*dest[0].(*[]byte) = []byte(row[0].(string))
	*dest[1].(*int64) = row[1].(int64)
	*dest[2].(*string) = row[2].(string)
	return nil
}

type item struct {
	N int `json:"n"`
}

func TestCollect(t *testing.T) {
	rows := func() *fakeRows {
		return &fakeRows{rows: [][3]any{{`{"n":1}`, int64(10), "a"}, {`{"n":2}`, int64(20), "b"}, {`{"n":3}`, int64(30), "c"}}}
	}
	items, next, err := docpage.Collect[item, int64](rows(), 2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]item{{1}, {2}}, items); diff != "" {
		t.Errorf("page (-want +got):\n%s", diff)
	}
	c, err := docpage.Decode[int64](next)
	if err != nil || c == nil || c.T != 20 || c.ID != "b" {
		t.Errorf("next = %+v, %v; want after (20, b)", c, err)
	}
	items, next, err = docpage.Collect[item, int64](rows(), 3)
	if err != nil || len(items) != 3 || next != "" {
		t.Errorf("last page = %v, %q, %v; want 3 items and no next", items, next, err)
	}
	bad := &fakeRows{rows: [][3]any{{`{"n":`, int64(1), "x"}}}
	if _, _, err := docpage.Collect[item, int64](bad, 2); err == nil {
		t.Error("a malformed document was decoded")
	}
	boom := errors.New("boom")
	if _, _, err := docpage.Collect[item, int64](&fakeRows{err: boom}, 2); !errors.Is(err, boom) {
		t.Errorf("iteration error = %v, want boom", err)
	}
}
