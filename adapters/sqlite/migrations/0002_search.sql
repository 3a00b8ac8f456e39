-- Catalog changes, for the in-memory search index each process keeps
-- (adapters/sqlite/searchindex.go): per product (by og_products.rowid) the
-- sequence number of its latest change. Every insert or update of a
-- product sets its seq to max(seq) + 1 in the same transaction (the
-- triggers below, so whatever writes og_products: any version of the
-- store, a repair script), so a process whose
-- index has applied the changes up to some seq catches up with any other
-- process's writes by reading the rows above it, and an index is current
-- for a read snapshot when it has applied max(seq) of that snapshot.

CREATE TABLE og_product_changes (
  product_rid INTEGER PRIMARY KEY,
  seq         INTEGER NOT NULL
);
CREATE UNIQUE INDEX og_product_changes_seq ON og_product_changes (seq);

INSERT INTO og_product_changes (product_rid, seq) SELECT rowid, rowid FROM og_products;

CREATE TRIGGER og_products_changed_insert AFTER INSERT ON og_products BEGIN
  INSERT INTO og_product_changes (product_rid, seq)
    VALUES (new.rowid, (SELECT coalesce(max(seq), 0) + 1 FROM og_product_changes))
    ON CONFLICT (product_rid) DO UPDATE SET seq = excluded.seq;
END;

CREATE TRIGGER og_products_changed_update AFTER UPDATE ON og_products BEGIN
  INSERT INTO og_product_changes (product_rid, seq)
    VALUES (new.rowid, (SELECT coalesce(max(seq), 0) + 1 FROM og_product_changes))
    ON CONFLICT (product_rid) DO UPDATE SET seq = excluded.seq;
END;
