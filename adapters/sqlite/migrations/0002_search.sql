-- Catalog changes, for the in-memory search index each process keeps
-- (adapters/sqlite/searchindex.go): per product (by og_products.rowid) the
-- sequence number of its latest change. Every PutProduct sets its
-- product's seq to max(seq) + 1 in the same transaction, so a process whose
-- index has applied the changes up to some seq catches up with any other
-- process's writes by reading the rows above it, and an index is current
-- for a read snapshot when it has applied max(seq) of that snapshot.

CREATE TABLE og_product_changes (
  product_rid INTEGER PRIMARY KEY,
  seq         INTEGER NOT NULL
);
CREATE UNIQUE INDEX og_product_changes_seq ON og_product_changes (seq);

INSERT INTO og_product_changes (product_rid, seq) SELECT rowid, rowid FROM og_products;
