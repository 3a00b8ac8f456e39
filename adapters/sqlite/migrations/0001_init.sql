-- OpenGallery store schema for SQLite. Every aggregate is a JSON document
-- (doc) with its optimistic version, plus the columns queries filter and
-- sort on. Times are unix nanoseconds (UTC) in INTEGER columns; decimals live
-- in the JSON as strings. Aggregates the due-work runner visits carry due_at
-- and a lease (lease_until, lease_owner) that ClaimDue sets and Put clears.

CREATE TABLE og_sellers (
  id      TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  doc     TEXT NOT NULL
);

CREATE TABLE og_products (
  id         TEXT NOT NULL UNIQUE,
  version    INTEGER NOT NULL,
  doc        TEXT NOT NULL,
  seller_id  TEXT NOT NULL,
  status     TEXT NOT NULL,
  category   TEXT NOT NULL,
  delivery   TEXT NOT NULL,
  name       TEXT NOT NULL,
  -- sort_r is 0 for listed products (sort_t = listed_at) and 1 for the
  -- others (sort_t = created_at): the "newest" order.
  sort_r     INTEGER NOT NULL,
  sort_t     INTEGER NOT NULL
);
CREATE INDEX og_products_newest ON og_products (sort_r, sort_t DESC, id);
CREATE INDEX og_products_name ON og_products (name, id);
CREATE INDEX og_products_category ON og_products (category, sort_r, sort_t DESC, id);
CREATE INDEX og_products_seller ON og_products (seller_id, sort_r, sort_t DESC, id);
CREATE INDEX og_products_delivery ON og_products (delivery, sort_r, sort_t DESC, id);
CREATE INDEX og_products_status ON og_products (status, sort_r, sort_t DESC, id);

-- Multi-valued filters (operating systems, billing modes) as tags
-- "os:<name>" and "mode:<mode>" on the product's rowid.
CREATE TABLE og_product_tags (
  tag         TEXT NOT NULL,
  product_rid INTEGER NOT NULL,
  PRIMARY KEY (tag, product_rid)
) WITHOUT ROWID;
CREATE INDEX og_product_tags_product ON og_product_tags (product_rid);

-- Catalog search: name, description and seller name, tokenised like
-- marketplace.Words (letters and digits, lower-cased, no diacritic folding),
-- with prefix indexes for the term-prefix rule; plus facets, one token per
-- filter value (a letter naming the filter and the value in hex, e.g.
-- category "ai" is c6169), so that text and filters are answered together
-- from the index and counting the matches never touches og_products.
-- rowid = og_products.rowid.
CREATE VIRTUAL TABLE og_products_fts USING fts5 (
  name, description, seller, facets,
  tokenize = 'unicode61 remove_diacritics 0',
  prefix = '1 2 3'
);

CREATE TABLE og_orders (
  id          TEXT PRIMARY KEY,
  version     INTEGER NOT NULL,
  doc         TEXT NOT NULL,
  buyer_id    TEXT NOT NULL,
  seller_id   TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  status      TEXT NOT NULL,
  kind        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  due_at      INTEGER,
  lease_until INTEGER,
  lease_owner TEXT
);
CREATE INDEX og_orders_buyer ON og_orders (buyer_id, created_at DESC, id DESC);
CREATE INDEX og_orders_seller ON og_orders (seller_id, created_at DESC, id DESC);
CREATE INDEX og_orders_resource ON og_orders (resource_id, created_at DESC, id DESC);
CREATE INDEX og_orders_newest ON og_orders (created_at DESC, id DESC);
CREATE INDEX og_orders_due ON og_orders (due_at, id) WHERE due_at IS NOT NULL;

CREATE TABLE og_payments (
  id         TEXT PRIMARY KEY,
  version    INTEGER NOT NULL,
  doc        TEXT NOT NULL,
  buyer_id   TEXT NOT NULL,
  order_id   TEXT NOT NULL,
  method     TEXT NOT NULL,
  settled    INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX og_payments_buyer ON og_payments (buyer_id, created_at, id);
CREATE INDEX og_payments_order ON og_payments (order_id, created_at, id);
CREATE INDEX og_payments_oldest ON og_payments (created_at, id);

CREATE TABLE og_accounts (
  id      TEXT PRIMARY KEY,
  version INTEGER NOT NULL,
  doc     TEXT NOT NULL
);

CREATE TABLE og_resources (
  id           TEXT PRIMARY KEY,
  version      INTEGER NOT NULL,
  doc          TEXT NOT NULL,
  buyer_id     TEXT NOT NULL,
  seller_id    TEXT NOT NULL,
  status       TEXT NOT NULL,
  visible      INTEGER NOT NULL,
  purchased_at INTEGER NOT NULL,
  due_at       INTEGER,
  lease_until  INTEGER,
  lease_owner  TEXT
);
CREATE INDEX og_resources_buyer ON og_resources (buyer_id, purchased_at DESC, id DESC);
CREATE INDEX og_resources_seller ON og_resources (seller_id, purchased_at DESC, id DESC);
CREATE INDEX og_resources_newest ON og_resources (purchased_at DESC, id DESC);
CREATE INDEX og_resources_due ON og_resources (due_at, id) WHERE due_at IS NOT NULL;

CREATE TABLE og_flows (
  id          TEXT PRIMARY KEY,
  version     INTEGER NOT NULL,
  doc         TEXT NOT NULL,
  buyer_id    TEXT NOT NULL,
  seller_id   TEXT NOT NULL,
  status      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  due_at      INTEGER,
  lease_until INTEGER,
  lease_owner TEXT
);
CREATE INDEX og_flows_buyer ON og_flows (buyer_id, created_at DESC, id DESC);
CREATE INDEX og_flows_seller ON og_flows (seller_id, created_at DESC, id DESC);
CREATE INDEX og_flows_newest ON og_flows (created_at DESC, id DESC);
CREATE INDEX og_flows_due ON og_flows (due_at, id) WHERE due_at IS NOT NULL;

CREATE TABLE og_invoices (
  id           TEXT PRIMARY KEY,
  version      INTEGER NOT NULL,
  doc          TEXT NOT NULL,
  buyer_id     TEXT NOT NULL,
  seller_id    TEXT NOT NULL,
  order_id     TEXT NOT NULL,
  status       TEXT NOT NULL,
  requested_at INTEGER NOT NULL
);
CREATE INDEX og_invoices_buyer ON og_invoices (buyer_id, requested_at DESC, id DESC);
CREATE INDEX og_invoices_seller ON og_invoices (seller_id, requested_at DESC, id DESC);
CREATE INDEX og_invoices_order ON og_invoices (order_id, requested_at DESC, id DESC);
CREATE INDEX og_invoices_newest ON og_invoices (requested_at DESC, id DESC);

CREATE TABLE og_unsubscribe_requests (
  id          TEXT PRIMARY KEY,
  version     INTEGER NOT NULL,
  doc         TEXT NOT NULL,
  buyer_id    TEXT NOT NULL,
  seller_id   TEXT NOT NULL,
  resource_id TEXT NOT NULL,
  status      TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  due_at      INTEGER,
  lease_until INTEGER,
  lease_owner TEXT
);
CREATE INDEX og_unsubscribe_requests_buyer ON og_unsubscribe_requests (buyer_id, created_at DESC, id DESC);
CREATE INDEX og_unsubscribe_requests_seller ON og_unsubscribe_requests (seller_id, created_at DESC, id DESC);
CREATE INDEX og_unsubscribe_requests_resource ON og_unsubscribe_requests (resource_id, created_at DESC, id DESC);
CREATE INDEX og_unsubscribe_requests_newest ON og_unsubscribe_requests (created_at DESC, id DESC);
CREATE INDEX og_unsubscribe_requests_due ON og_unsubscribe_requests (due_at, id) WHERE due_at IS NOT NULL;

CREATE TABLE og_saved_items (
  buyer_id   TEXT NOT NULL,
  product_id TEXT NOT NULL,
  spec_id    TEXT NOT NULL,
  added_at   INTEGER NOT NULL,
  doc        TEXT NOT NULL,
  PRIMARY KEY (buyer_id, product_id, spec_id)
) WITHOUT ROWID;

CREATE TABLE og_idempotency (
  key TEXT PRIMARY KEY,
  doc TEXT NOT NULL
) WITHOUT ROWID;

-- seq is the rowid: SQLite assigns max(seq)+1 on insert, and a rolled-back
-- insert consumes nothing, so with the single writer the sequence is
-- gap-free and increasing in commit order.
CREATE TABLE og_events (
  seq          INTEGER PRIMARY KEY,
  at           INTEGER NOT NULL,
  kind         TEXT NOT NULL,
  aggregate_id TEXT NOT NULL,
  type         TEXT NOT NULL,
  doc          TEXT NOT NULL
);
