-- OpenGallery store schema for PostgreSQL. Every aggregate is a JSON
-- document (doc) with its optimistic version, plus the columns queries filter
-- and sort on. Times are timestamptz (UTC, microseconds); decimals live in the
-- JSON as strings. Aggregates the due-work runner visits carry due_at and a
-- lease (lease_until, lease_owner) that ClaimDue sets and Put clears.
-- Documents are json, not jsonb: they are only ever read whole, and json
-- keeps the bytes written (raw JSON values such as event data round-trip
-- exactly) and skips jsonb's parse on write.
-- Table names are unqualified: Migrate runs each file with search_path set to
-- the store's schema.

CREATE TABLE og_sellers (
  id      text COLLATE "C" PRIMARY KEY,
  version bigint NOT NULL,
  doc     json NOT NULL
);

CREATE TABLE og_products (
  id        text COLLATE "C" PRIMARY KEY,
  version   bigint NOT NULL,
  doc       json NOT NULL,
  seller_id text NOT NULL,
  status    text NOT NULL,
  category  text NOT NULL,
  delivery  text NOT NULL,
  name      text COLLATE "C" NOT NULL,
  -- sort_r is 0 for listed products (sort_t = listed_at) and 1 for the
  -- others (sort_t = created_at): the "newest" order.
  sort_r    smallint NOT NULL,
  sort_t    timestamptz NOT NULL,
  -- "os:<name>" and "mode:<billing mode>" for the multi-valued filters.
  tags      text[] NOT NULL,
  -- marketplace.Words of name, description and seller name, so that every
  -- store tokenises alike.
  search    tsvector NOT NULL
);
CREATE INDEX og_products_newest ON og_products (sort_r, sort_t DESC, id);
CREATE INDEX og_products_name ON og_products (name, id);
CREATE INDEX og_products_category ON og_products (category, sort_r, sort_t DESC, id);
CREATE INDEX og_products_seller ON og_products (seller_id, sort_r, sort_t DESC, id);
CREATE INDEX og_products_delivery ON og_products (delivery);
CREATE INDEX og_products_status ON og_products (status);
CREATE INDEX og_products_tags ON og_products USING gin (tags);
CREATE INDEX og_products_search ON og_products USING gin (search);

CREATE TABLE og_orders (
  id          text COLLATE "C" PRIMARY KEY,
  version     bigint NOT NULL,
  doc         json NOT NULL,
  buyer_id    text NOT NULL,
  seller_id   text NOT NULL,
  resource_id text NOT NULL,
  status      text NOT NULL,
  kind        text NOT NULL,
  created_at  timestamptz NOT NULL,
  due_at      timestamptz,
  lease_until timestamptz,
  lease_owner text
);
CREATE INDEX og_orders_buyer ON og_orders (buyer_id, created_at DESC, id DESC);
CREATE INDEX og_orders_seller ON og_orders (seller_id, created_at DESC, id DESC);
CREATE INDEX og_orders_resource ON og_orders (resource_id, created_at DESC, id DESC);
CREATE INDEX og_orders_newest ON og_orders (created_at DESC, id DESC);
CREATE INDEX og_orders_due ON og_orders (due_at, id) WHERE due_at IS NOT NULL;

CREATE TABLE og_payments (
  id         text COLLATE "C" PRIMARY KEY,
  version    bigint NOT NULL,
  doc        json NOT NULL,
  buyer_id   text NOT NULL,
  order_id   text NOT NULL,
  method     text NOT NULL,
  settled    boolean NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX og_payments_buyer ON og_payments (buyer_id, created_at, id);
CREATE INDEX og_payments_order ON og_payments (order_id, created_at, id);
CREATE INDEX og_payments_oldest ON og_payments (created_at, id);

CREATE TABLE og_accounts (
  id      text COLLATE "C" PRIMARY KEY,
  version bigint NOT NULL,
  doc     json NOT NULL
);

CREATE TABLE og_resources (
  id           text COLLATE "C" PRIMARY KEY,
  version      bigint NOT NULL,
  doc          json NOT NULL,
  buyer_id     text NOT NULL,
  seller_id    text NOT NULL,
  status       text NOT NULL,
  visible      boolean NOT NULL,
  purchased_at timestamptz NOT NULL,
  due_at       timestamptz,
  lease_until  timestamptz,
  lease_owner  text
);
CREATE INDEX og_resources_buyer ON og_resources (buyer_id, purchased_at DESC, id DESC);
CREATE INDEX og_resources_seller ON og_resources (seller_id, purchased_at DESC, id DESC);
CREATE INDEX og_resources_newest ON og_resources (purchased_at DESC, id DESC);
CREATE INDEX og_resources_due ON og_resources (due_at, id) WHERE due_at IS NOT NULL;

CREATE TABLE og_flows (
  id          text COLLATE "C" PRIMARY KEY,
  version     bigint NOT NULL,
  doc         json NOT NULL,
  buyer_id    text NOT NULL,
  seller_id   text NOT NULL,
  status      text NOT NULL,
  created_at  timestamptz NOT NULL,
  due_at      timestamptz,
  lease_until timestamptz,
  lease_owner text
);
CREATE INDEX og_flows_buyer ON og_flows (buyer_id, created_at DESC, id DESC);
CREATE INDEX og_flows_seller ON og_flows (seller_id, created_at DESC, id DESC);
CREATE INDEX og_flows_newest ON og_flows (created_at DESC, id DESC);
CREATE INDEX og_flows_due ON og_flows (due_at, id) WHERE due_at IS NOT NULL;

CREATE TABLE og_invoices (
  id           text COLLATE "C" PRIMARY KEY,
  version      bigint NOT NULL,
  doc          json NOT NULL,
  buyer_id     text NOT NULL,
  seller_id    text NOT NULL,
  order_id     text NOT NULL,
  status       text NOT NULL,
  requested_at timestamptz NOT NULL
);
CREATE INDEX og_invoices_buyer ON og_invoices (buyer_id, requested_at DESC, id DESC);
CREATE INDEX og_invoices_seller ON og_invoices (seller_id, requested_at DESC, id DESC);
CREATE INDEX og_invoices_order ON og_invoices (order_id, requested_at DESC, id DESC);
CREATE INDEX og_invoices_newest ON og_invoices (requested_at DESC, id DESC);

CREATE TABLE og_unsubscribe_requests (
  id          text COLLATE "C" PRIMARY KEY,
  version     bigint NOT NULL,
  doc         json NOT NULL,
  buyer_id    text NOT NULL,
  seller_id   text NOT NULL,
  resource_id text NOT NULL,
  status      text NOT NULL,
  created_at  timestamptz NOT NULL,
  due_at      timestamptz,
  lease_until timestamptz,
  lease_owner text
);
CREATE INDEX og_unsubscribe_requests_buyer ON og_unsubscribe_requests (buyer_id, created_at DESC, id DESC);
CREATE INDEX og_unsubscribe_requests_seller ON og_unsubscribe_requests (seller_id, created_at DESC, id DESC);
CREATE INDEX og_unsubscribe_requests_resource ON og_unsubscribe_requests (resource_id, created_at DESC, id DESC);
CREATE INDEX og_unsubscribe_requests_newest ON og_unsubscribe_requests (created_at DESC, id DESC);
CREATE INDEX og_unsubscribe_requests_due ON og_unsubscribe_requests (due_at, id) WHERE due_at IS NOT NULL;

CREATE TABLE og_saved_items (
  buyer_id   text NOT NULL,
  product_id text COLLATE "C" NOT NULL,
  spec_id    text COLLATE "C" NOT NULL,
  added_at   timestamptz NOT NULL,
  doc        json NOT NULL,
  PRIMARY KEY (buyer_id, product_id, spec_id)
);

CREATE TABLE og_idempotency (
  key text PRIMARY KEY,
  doc json NOT NULL
);

-- The event sequence: one row whose counter a transaction increments when it
-- appends an event. The row lock it takes is held to commit, so a rolled-back
-- transaction consumes nothing (gap-free) and numbers are handed out in
-- commit order: a reader that sees seq n sees every seq below it.
CREATE TABLE og_sequencer (
  id   smallint PRIMARY KEY CHECK (id = 1),
  last bigint NOT NULL
);
INSERT INTO og_sequencer (id, last) VALUES (1, 0);

CREATE TABLE og_events (
  seq          bigint PRIMARY KEY,
  at           timestamptz NOT NULL,
  kind         text NOT NULL,
  aggregate_id text NOT NULL,
  type         text NOT NULL,
  doc          json NOT NULL
);
