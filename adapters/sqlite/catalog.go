package sqlite

// This file holds the catalog: products' search index (FTS5 and tags) and
// SearchProducts.

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/opengallery/opengallery/adapters/internal/doccodec"
	"github.com/opengallery/opengallery/marketplace"
)

// PutProduct implements marketplace.Tx. It also refreshes the product's
// full-text row and its OS and billing-mode tags (og_product_changes,
// which the search indexes follow, is kept by triggers: see migration
// 0002). The writes run in their own SAVEPOINT: a PutProduct that fails
// leaves nothing written, even if the closure goes on and commits.
//
// Errors: *marketplace.ConflictError on a version mismatch; driver errors.
func (t *tx) PutProduct(v *marketplace.Product) error {
	if _, err := t.q.ExecContext(t.ctx, `SAVEPOINT og_put_product`); err != nil {
		return fmt.Errorf("sqlite: put product %q: %w", v.ID, err)
	}
	err := t.put(productRow(v))
	if err != nil {
		_, rerr := t.q.ExecContext(t.ctx, `ROLLBACK TO og_put_product`)
		if rerr != nil {
			err = errors.Join(err, fmt.Errorf("sqlite: put product %q: roll back: %w", v.ID, rerr))
		}
	}
	if _, rerr := t.q.ExecContext(t.ctx, `RELEASE og_put_product`); rerr != nil && err == nil {
		err = fmt.Errorf("sqlite: put product %q: %w", v.ID, rerr)
	}
	return err
}

// productRow is PutProduct's rowSpec (prepareRow adds the search rows).
func productRow(v *marketplace.Product) rowSpec {
	sortR, sortT := 1, nanos(v.CreatedAt)
	if v.ListedAt != nil {
		sortR, sortT = 0, nanos(*v.ListedAt)
	}
	return rowSpec{kind: marketplace.KindProduct, id: v.ID, v: v, version: &v.Version,
		cols: []any{v.SellerID, string(v.Status), v.Category, string(v.Delivery), v.Name, sortR, sortT}}
}

// searchOf is what p's full-text row and tags hold.
func searchOf(p *marketplace.Product) *productSearch {
	return &productSearch{name: p.Name, description: p.Description, seller: p.SellerName,
		facets: strings.Join(productFacets(*p), " "), tags: productTags(*p)}
}

// productSearch is what a product's full-text row and tags hold.
type productSearch struct {
	name, description, seller, facets string
	tags                              []string
}

// indexProduct refreshes the full-text row and the tags of the product
// id (written just before).
func (t *tx) indexProduct(id string, ps *productSearch) error {
	var rid int64
	if err := t.q.QueryRowContext(t.ctx, `SELECT rowid FROM og_products WHERE id = ?`, id).Scan(&rid); err != nil {
		return fmt.Errorf("sqlite: index product %q: %w", id, err)
	}
	stmts := []struct {
		q    string
		args []any
	}{
		{`DELETE FROM og_products_fts WHERE rowid = ?`, []any{rid}},
		{`INSERT INTO og_products_fts (rowid, name, description, seller, facets) VALUES (?, ?, ?, ?, ?)`,
			[]any{rid, ps.name, ps.description, ps.seller, ps.facets}},
		{`DELETE FROM og_product_tags WHERE product_rid = ?`, []any{rid}},
	}
	for _, s := range stmts {
		if _, err := t.q.ExecContext(t.ctx, s.q, s.args...); err != nil {
			return fmt.Errorf("sqlite: index product %q: %w", id, err)
		}
	}
	for _, tag := range ps.tags {
		if _, err := t.q.ExecContext(t.ctx, `INSERT OR IGNORE INTO og_product_tags (tag, product_rid) VALUES (?, ?)`, tag, rid); err != nil {
			return fmt.Errorf("sqlite: index product %q: %w", id, err)
		}
	}
	return nil
}

// facet returns the search token of one filter value: the filter's letter
// and the value in hex, which the tokenizer keeps as one word whatever the
// value contains.
func facet(letter byte, value string) string {
	return string(letter) + hex.EncodeToString([]byte(value))
}

// productFacets are the filter tokens of a product.
func productFacets(p marketplace.Product) []string {
	fs := []string{facet('c', p.Category), facet('d', string(p.Delivery)), facet('s', p.SellerID), facet('t', string(p.Status))}
	for _, os := range p.OperatingSystems {
		fs = append(fs, facet('o', os))
	}
	for _, m := range p.Modes() {
		fs = append(fs, facet('m', string(m)))
	}
	return fs
}

// productTags are the multi-valued filter values of a product.
func productTags(p marketplace.Product) []string {
	var tags []string
	for _, os := range p.OperatingSystems {
		tags = append(tags, "os:"+os)
	}
	for _, m := range p.Modes() {
		tags = append(tags, "mode:"+string(m))
	}
	return tags
}

// SearchProducts implements marketplace.Store. A query with text is
// answered from the in-memory search index (searchindex.go), reading only
// the page's documents; without text, or when the catalog is too large for
// the index, the indexed columns, FTS5 (text as prefix queries over name,
// description and seller name; filters as facet tokens) and the product
// tags answer it in SQL.
//
// Errors: *marketplace.InputError for a bad sort, limit or cursor;
// ErrClosed; ctx.Err(); driver errors.
func (s *Store) SearchProducts(ctx context.Context, q marketplace.ProductQuery) (marketplace.Page[marketplace.Product], error) {
	if err := marketplace.CheckSort(q.Sort); err != nil {
		return marketplace.Page[marketplace.Product]{}, err
	}
	if err := marketplace.CheckLimit(q.Limit); err != nil {
		return marketplace.Page[marketplace.Product]{}, err
	}
	after, err := decodeCursor(q.Cursor)
	if err != nil {
		return marketplace.Page[marketplace.Product]{}, err
	}
	if terms := marketplace.SearchTerms(q.Text); len(terms) > 0 && s.search != nil {
		out, ok, err := s.searchIndexed(ctx, q, terms, after)
		if err != nil {
			return marketplace.Page[marketplace.Product]{}, wrapRead(ctx, "search products", err)
		}
		if ok {
			return out, nil
		}
	}
	return s.searchSQL(ctx, q, after)
}

// searchAttempts bounds how many read snapshots a text search tries
// against an index that is ahead of them (another search moved it on
// meanwhile) before the SQL path answers.
const searchAttempts = 3

// searchIndexed answers q from the search index, in one read snapshot. It
// reports false when the index cannot answer without waiting (not built
// yet, being changed, far behind, the catalog too large): SQL answers then.
func (s *Store) searchIndexed(ctx context.Context, q marketplace.ProductQuery, terms []string, after *cursor) (marketplace.Page[marketplace.Product], bool, error) {
	x := s.search
	if x.mu.TryRLock() {
		unbuilt := x.version < 0 && !x.off
		x.mu.RUnlock()
		if unbuilt {
			// Before anything that ctx can stop: a query that ends
			// before it reaches the index still starts the first build.
			s.wakeSearch()
		}
	}
	// The index version seen ahead of a snapshot: every snapshot taken
	// after that has at least that version, unless the file went back in
	// time (a backup restored under a running process).
	ahead := int64(-1)
	for range searchAttempts {
		var out marketplace.Page[marketplace.Product]
		ok := false
		err := s.read(ctx, func(tx sqlTx) error {
			var v int64
			if err := tx.QueryRowContext(ctx, catalogVersionQuery).Scan(&v); err != nil {
				return err
			}
			release, cur, err := s.acquireSearch(ctx, tx, v)
			if err != nil || release == nil {
				if err == nil && cur > v {
					if ahead >= 0 && v < ahead {
						s.rebuildSearch(v) // the file went back: SQL answers meanwhile
						return nil
					}
					ahead = cur
					return errSnapshotBehind
				}
				return err
			}
			res := x.search(q, terms, after)
			release()
			ok = true
			out.Total, out.Next = res.total, res.next
			out.Items = make([]marketplace.Product, 0, len(res.page))
			for _, h := range res.page {
				p, err := s.pageProduct(ctx, tx, h)
				if err != nil {
					return err
				}
				out.Items = append(out.Items, p)
			}
			return nil
		})
		if errors.Is(err, errSnapshotBehind) {
			continue
		}
		return out, ok, err
	}
	return marketplace.Page[marketplace.Product]{}, false, nil
}

// productByRowid reads a product's version, and its document unless the
// version is ?2 (the cached one).
const productByRowid = `SELECT version, CASE WHEN version = ?2 THEN NULL ELSE doc END FROM og_products WHERE rowid = ?1`

// pageProduct reads the product of a search hit in tx, through the
// document cache that View's point reads use (doccache.go).
func (s *Store) pageProduct(ctx context.Context, tx sqlTx, h searchHit) (marketplace.Product, error) {
	plan := viewPlans[marketplace.KindProduct]
	var cached *docEntry
	var have int64
	if plan != nil {
		if cached = s.docs.get(marketplace.KindProduct, h.id); cached != nil {
			have = cached.version
		}
	}
	var version int64
	var doc []byte
	if err := tx.QueryRowContext(ctx, productByRowid, h.rid, have).Scan(&version, &doc); err != nil {
		return marketplace.Product{}, fmt.Errorf("product %q: %w", h.id, err)
	}
	if doc == nil && cached != nil && version == have {
		return cachedCopy[marketplace.Product](cached, plan), nil
	}
	if plan == nil {
		var p marketplace.Product
		if err := doccodec.Unmarshal(doc, &p); err != nil {
			return p, fmt.Errorf("sqlite: decode product %q: %w", h.id, err)
		}
		return p, nil
	}
	return decodeAndCache[marketplace.Product](s.docs, plan, marketplace.KindProduct, h.id, version, doc)
}

// searchSQL answers q in SQL.
func (s *Store) searchSQL(ctx context.Context, q marketplace.ProductQuery, after *cursor) (marketplace.Page[marketplace.Product], error) {
	var out marketplace.Page[marketplace.Product]
	// With text, FTS5 answers the text and the selective filters (category,
	// seller) and drives the query: CROSS JOIN keeps it the outer loop and
	// each match is read by rowid, where the broad filters (status, OS,
	// delivery, billing mode, each matching a large part of the catalog)
	// are checked. Without text the indexed columns drive, so that the sort
	// order's index can stop at the page's end, and the total is counted
	// from the FTS facets.
	terms := marketplace.SearchTerms(q.Text)
	hasText := len(terms) > 0
	var w where
	from := " FROM og_products p"
	if hasText {
		from = " FROM og_products_fts f CROSS JOIN og_products p ON p.rowid = f.rowid"
		w.add("f.og_products_fts MATCH ?", ftsQuery(marketplace.ProductQuery{Text: q.Text, Category: q.Category, SellerID: q.SellerID}))
	} else {
		w.eq("p.category", q.Category)
		w.eq("p.seller_id", q.SellerID)
	}
	w.eq("p.delivery", string(q.Delivery))
	// Tags are probed per candidate row (a primary-key lookup).
	if q.OS != "" {
		w.add("EXISTS (SELECT 1 FROM og_product_tags g WHERE g.tag = ? AND g.product_rid = p.rowid)", "os:"+q.OS)
	}
	if q.Mode != "" {
		w.add("EXISTS (SELECT 1 FROM og_product_tags g WHERE g.tag = ? AND g.product_rid = p.rowid)", "mode:"+string(q.Mode))
	}
	if len(q.Statuses) > 0 {
		ph := make([]string, len(q.Statuses))
		for i, st := range q.Statuses {
			ph[i] = "?"
			w.args = append(w.args, string(st))
		}
		// The unary + keeps the planner off the status index: without
		// statistics it would take "status = listed" for selective.
		col := "p.status"
		if hasText {
			col = "+p.status"
		}
		w.conds = append(w.conds, col+" IN ("+strings.Join(ph, ", ")+")")
	}
	countQ, countArgs := "SELECT count(*)"+from+w.sql(), w.args
	if !hasText {
		countQ, countArgs = "SELECT count(*) FROM og_products", nil
		if m := ftsQuery(q); m != "" {
			countQ, countArgs = "SELECT count(*) FROM og_products_fts WHERE og_products_fts MATCH ?", []any{m}
		}
	}
	pageW := w.clone()
	byName := q.Sort == marketplace.SortName
	order := "p.sort_r, p.sort_t DESC, p.id"
	if byName {
		order = "p.name, p.id"
		if after != nil {
			pageW.add("(p.name > ? OR (p.name = ? AND p.id > ?))", after.S, after.S, after.ID)
		}
	} else if after != nil {
		pageW.add("(p.sort_r > ? OR (p.sort_r = ? AND (p.sort_t < ? OR (p.sort_t = ? AND p.id > ?))))",
			after.R, after.R, after.T, after.T, after.ID)
	}
	// On a first page with text, the window count gives the total in the
	// same pass that sorts the matches.
	windowTotal := hasText && after == nil
	total := ", 0"
	if windowTotal {
		total = ", count(*) OVER ()"
	}
	// The sort carries only the keys: the documents of the page's rows are
	// read by rowid after the LIMIT, not copied into the sorter for every
	// match (thousands for a short prefix).
	outer := "k.sort_r, k.sort_t DESC, k.id"
	if byName {
		outer = "k.name, k.id"
	}
	query := "SELECT (SELECT doc FROM og_products WHERE rowid = k.rid), k.sort_r, k.sort_t, k.name, k.id, k.n FROM (" +
		"SELECT p.rowid AS rid, p.sort_r, p.sort_t, p.name, p.id" + total + " AS n" + from + pageW.sql() + " ORDER BY " + order + " LIMIT ?" +
		") k ORDER BY " + outer
	err := s.read(ctx, func(tx sqlTx) error {
		rows, err := tx.QueryContext(ctx, query, append(pageW.args, q.Limit+1)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		out.Items = make([]marketplace.Product, 0, min(q.Limit, 64))
		var last cursor
		for rows.Next() {
			var doc []byte
			var c cursor
			var n int
			if err := rows.Scan(&doc, &c.R, &c.T, &c.S, &c.ID, &n); err != nil {
				return err
			}
			if windowTotal {
				out.Total = n
			}
			if byName {
				c.R, c.T = 0, 0
			} else {
				c.S = ""
			}
			if len(out.Items) == q.Limit {
				out.Next = last.Encode()
				break
			}
			var p marketplace.Product
			if err := doccodec.Unmarshal(doc, &p); err != nil {
				return err
			}
			out.Items = append(out.Items, p)
			last = c
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		if windowTotal {
			return nil
		}
		return tx.QueryRowContext(ctx, countQ, countArgs...).Scan(&out.Total)
	})
	if err != nil {
		return marketplace.Page[marketplace.Product]{}, wrapRead(ctx, "search products", err)
	}
	return out, nil
}

// ftsQuery builds the FTS5 query of q: every text term as a prefix of a
// word of name, description or seller, and every filter as its facet token
// (the empty string for no text and no filter).
func ftsQuery(q marketplace.ProductQuery) string {
	var parts []string
	terms := marketplace.SearchTerms(q.Text)
	if len(terms) > 0 {
		ts := make([]string, len(terms))
		for i, t := range terms {
			ts[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"*`
		}
		parts = append(parts, "{name description seller} : ("+strings.Join(ts, " AND ")+")")
	}
	add := func(letter byte, v string) {
		if v != "" {
			parts = append(parts, `facets : "`+facet(letter, v)+`"`)
		}
	}
	add('c', q.Category)
	add('d', string(q.Delivery))
	add('s', q.SellerID)
	add('o', q.OS)
	add('m', string(q.Mode))
	if len(q.Statuses) > 0 {
		ts := make([]string, len(q.Statuses))
		for i, st := range q.Statuses {
			ts[i] = `"` + facet('t', string(st)) + `"`
		}
		parts = append(parts, "facets : ("+strings.Join(ts, " OR ")+")")
	}
	return strings.Join(parts, " AND ")
}
