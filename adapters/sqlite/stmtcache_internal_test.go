package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/opengallery/opengallery/marketplace"
)

// TestWriterTakesANewConnection: when database/sql gives the writer's
// connection up underneath it, the batch that finds out fails and the next
// one runs on a new connection, with the writer's settings.
func TestWriterTakesANewConnection(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	put := func(id string) error {
		return st.Update(ctx, func(tx marketplace.Tx) error {
			return tx.PutSeller(&marketplace.Seller{ID: id, Name: id})
		})
	}
	if err := put("s1"); err != nil {
		t.Fatal(err)
	}
	old := st.wconn.conn
	// The writer is idle: closing its connection here races with nothing.
	if err := st.wconn.conn.Close(); err != nil {
		t.Fatal(err)
	}
	if err := put("s2"); !errors.Is(err, sql.ErrConnDone) {
		t.Fatalf("write on the closed connection: %v, want sql.ErrConnDone", err)
	}
	if err := put("s3"); err != nil {
		t.Fatalf("write after the writer reconnected: %v", err)
	}
	if st.wconn.conn == old {
		t.Fatal("the writer kept its closed connection")
	}
	var autockpt int
	if err := st.wconn.conn.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&autockpt); err != nil || autockpt != 4000 {
		t.Fatalf("new connection's wal_autocheckpoint: %d, %v; want 4000", autockpt, err)
	}
	err = st.View(ctx, func(tx marketplace.ReadTx) error {
		for id, want := range map[string]bool{"s1": true, "s2": false, "s3": true} {
			_, err := tx.Seller(id)
			if got := err == nil; got != want || (err != nil && !errors.Is(err, marketplace.ErrNotFound)) {
				t.Errorf("seller %s: %v, want stored %t", id, err, want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
