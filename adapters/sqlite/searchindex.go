package sqlite

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/opengallery/opengallery/adapters/internal/doccodec"
	"github.com/opengallery/opengallery/marketplace"
)

// The in-memory search index. A text query's prefix terms match a large
// part of a big catalog (a 3-letter prefix: over half of 100,000 products),
// and FTS5 walks every entry of such a doclist, at about 50 ns an entry in
// this pure-Go SQLite, before a filter or the sort has looked at one: 3 ms
// and more for the matches alone. So each Store keeps, per product, what
// text queries filter and sort on, and the product's words, with a posting
// list (ascending product slots) per word and per filter value; a text
// query unions the postings of the words its terms are prefixes of into a
// bitmap, masks it with the postings of its filter values, ranks what is
// left on compact sort-key arrays, and reads from SQLite only the
// documents of the page. Queries without text keep the SQL path (the sort
// order's index stops at the page's end, the total is counted from the FTS
// facets).
//
// Words are marketplace.Words of the name, description and seller name,
// the contract's own definition of a word. FTS5 stays the text index of
// record: the index is built from its columns, and a catalog larger than
// searchIndexMaxProducts is searched through it instead.
//
// Freshness. og_product_changes holds per product the sequence number of
// its latest change (triggers on og_products set it to max+1), whichever
// process or tool wrote it. A query reads max(seq) in its read snapshot: if the index has applied
// exactly that, it answers, and the page's documents are read in the same
// snapshot, so the page is consistent; if the index is behind, it first
// applies the products whose seq is above its own (read in that snapshot);
// if it is ahead (the snapshot is older than another query's), the query
// takes a new snapshot.
//
// Building. No query waits for the index: the first build, a catch-up of
// many changes and the rebuilds run in a background goroutine of the Store
// (started by the first text query, stopped by Close), detached from any
// request's context, into a new index that replaces the old one when done;
// meanwhile, and whenever the index is being changed (a query that finds it
// behind by a few changes applies them itself if nobody else holds it),
// text queries take the SQL path. Words that no product has any more are
// garbage (edits add words, never remove them): past a quarter of the
// vocabulary the index is rebuilt, which keeps its memory proportional to
// the catalog.

// searchIndexMaxProducts bounds the catalog the index holds: it takes
// about 450 bytes a product (45 MB at 100,000 products, measured with the
// benchmark catalog), so at most about 225 MB; a larger catalog is searched
// through FTS5.
const searchIndexMaxProducts = 500_000

// searchInlineCatchUp is the most changes a query applies to an index
// behind its snapshot; more are left to the background builder.
const searchInlineCatchUp = 512

// searchGarbageMin is the fewest garbage words (no product has them) that
// make the index worth rebuilding, when they also pass a quarter of the
// vocabulary.
const searchGarbageMin = 4096

// searchDoc is what the index keeps of one product.
type searchDoc struct {
	rid      int64
	id, name string
	sortR    int
	sortT    int64
	// facets are the product's filter values as facet ids (see facetKey):
	// category, delivery, status, seller, then its tags.
	facets []int32
	words  []int32 // distinct word ids, ascending
}

// The positions in searchDoc.facets.
const (
	facetCategory = iota
	facetDelivery
	facetStatus
	facetSeller
	facetTags // and after: og_product_tags values
)

// searchIndex is safe for concurrent use: queries hold mu shared, applying
// changes holds it exclusively.
type searchIndex struct {
	build sync.Mutex    // held by whoever builds or refreshes the index (refreshSearch)
	kick  chan struct{} // wakes the background builder (capacity 1)
	start sync.Once     // starts the builder

	mu      sync.RWMutex
	version int64 // the og_product_changes seq applied; -1 before the first build
	max     int   // the most products the index holds (searchIndexMaxProducts)
	off     bool  // the catalog outgrew max
	garbage int   // words whose postings are empty
	minGarb int   // searchGarbageMin (tests lower it)
	docs    []searchDoc
	// sortR and sortT repeat the docs' newest-first keys in compact arrays
	// (by slot): ranking a query's matches reads them, not the docs.
	sortR    []int8
	sortT    []int64
	slots    map[int64]int32 // product rowid → index in docs
	wordIDs  map[string]int32
	words    []string  // by word id
	postings [][]int32 // by word id: ascending slots of the products with the word
	vocab    []int32   // word ids in word order
	facetIDs map[string]int32
	facetOf  [][]int32 // by facet id: ascending slots of the products with the value
}

func newSearchIndex(maxProducts int) *searchIndex {
	x := &searchIndex{max: maxProducts, minGarb: searchGarbageMin, kick: make(chan struct{}, 1)}
	x.reset()
	return x
}

// facetKey names a filter value: the filter's letter and the value; tags
// ("os:…", "mode:…") are their own key.
func facetKey(letter byte, v string) string { return string(letter) + ":" + v }

// catalogVersionQuery is the seq a read snapshot's catalog is at.
const catalogVersionQuery = `SELECT coalesce(max(seq), 0) FROM og_product_changes`

// indexColumns is what the index keeps of a product p (f: its FTS5 row).
const indexColumns = `SELECT p.rowid, p.id, p.name, p.status, p.category, p.delivery, p.seller_id,
	p.sort_r, p.sort_t, f.description, f.seller,
	(SELECT json_group_array(tag) FROM og_product_tags WHERE product_rid = p.rowid)`

// changedProductsQuery reads the products changed after seq ?;
// allProductsQuery reads every product, scanning the FTS5 table in rowid
// order rather than looking each row up (the first build).
const (
	changedProductsQuery = indexColumns + ` FROM og_product_changes c CROSS JOIN og_products p ON p.rowid = c.product_rid
	CROSS JOIN og_products_fts f ON f.rowid = c.product_rid WHERE c.seq > ?`
	allProductsQuery = indexColumns + ` FROM og_products_fts f CROSS JOIN og_products p ON p.rowid = f.rowid`
)

// errSnapshotBehind reports that the index has applied changes the read
// snapshot does not have yet.
var errSnapshotBehind = errors.New("sqlite: search index is ahead of the read snapshot")

// acquireSearch makes the index answer for the snapshot tx reads, whose
// catalog is at seq v, if it can without waiting. It returns a release
// function when the index is at v (held until release: call it before
// reading anything else); otherwise nil, and the index's version when it
// is ahead of v (-1 if not). A query that finds the index behind by at
// most searchInlineCatchUp changes applies them, unless someone else is
// changing the index; in every other case the background builder is woken.
//
// Errors: driver errors (ctx's among them) reading the changes; the index
// is then rebuilt in the background.
func (s *Store) acquireSearch(ctx context.Context, tx sqlTx, v int64) (release func(), ahead int64, err error) {
	x := s.search
	if !x.mu.TryRLock() {
		return nil, -1, nil // being changed
	}
	cur, off := x.version, x.off
	if cur == v && !off {
		return x.mu.RUnlock, -1, nil
	}
	x.mu.RUnlock()
	switch {
	case off:
		return nil, -1, nil
	case cur > v:
		return nil, cur, nil
	case cur < 0 || v-cur > searchInlineCatchUp:
		s.wakeSearch()
		return nil, -1, nil
	}
	if !x.mu.TryLock() {
		return nil, -1, nil
	}
	if x.version > v {
		cur := x.version
		x.mu.Unlock()
		return nil, cur, nil
	}
	err = x.catchUp(ctx, tx, v)
	if err != nil || x.off || x.version != v {
		x.mu.Unlock()
		s.wakeSearch() // rebuilds an index emptied by an error
		return nil, -1, err
	}
	if x.garbageDue() {
		s.wakeSearch() // the index stays right meanwhile
	}
	return x.mu.Unlock, -1, nil
}

// catchUp applies the changes up to seq v that tx reads. The caller holds
// mu exclusively. On error the index is emptied (the builder rebuilds it);
// a catalog that outgrew max turns the index off.
func (x *searchIndex) catchUp(ctx context.Context, tx sqlTx, v int64) error {
	if x.off || x.version >= v {
		return nil
	}
	if err := x.apply(ctx, tx, x.version); err != nil {
		x.reset()
		return err
	}
	if len(x.docs) > x.max {
		x.reset()
		x.off = true
		return nil
	}
	x.version = v
	return nil
}

// garbageDue reports whether enough words lost their last product for a
// rebuild. The caller holds mu.
func (x *searchIndex) garbageDue() bool {
	return x.garbage >= x.minGarb && x.garbage > len(x.words)/4
}

// rebuildSearch empties an index that is ahead of a new snapshot at v (the
// file went back in time) and wakes the builder. If someone is changing
// the index, the next query that finds it ahead does it.
func (s *Store) rebuildSearch(v int64) {
	x := s.search
	if !x.mu.TryLock() {
		return
	}
	if x.version > v {
		x.reset()
	}
	x.mu.Unlock()
	s.wakeSearch()
}

// wakeSearch wakes the background builder, starting it on first use
// (never after Close).
func (s *Store) wakeSearch() {
	x := s.search
	x.start.Do(func() {
		s.mu.RLock()
		defer s.mu.RUnlock()
		if s.closed {
			return
		}
		s.bg.Add(1)
		go s.searchBuilder()
	})
	select {
	case x.kick <- struct{}{}:
	default: // already woken
	}
}

// searchBuilder brings the index up to date each time it is woken, until
// Close. A failed refresh leaves the index as it was (queries take the SQL
// path meanwhile) until the next wake.
func (s *Store) searchBuilder() {
	defer s.bg.Done()
	for {
		select {
		case <-s.bgCtx.Done():
			return
		case <-s.search.kick:
		}
		_ = s.refreshSearch(s.bgCtx) //nolint:errcheck // retried on the next wake
	}
}

// refreshSearch brings the index up to the latest snapshot: it applies the
// changes when they are few (under mu), or builds a new index without
// holding mu and swaps it in (first build, many changes, garbage, an index
// emptied after an error).
//
// Errors: ErrClosed; ctx.Err(); driver errors.
func (s *Store) refreshSearch(ctx context.Context) error {
	x := s.search
	x.build.Lock()
	defer x.build.Unlock()
	return s.read(ctx, func(tx sqlTx) error {
		var v int64
		if err := tx.QueryRowContext(ctx, catalogVersionQuery).Scan(&v); err != nil {
			return err
		}
		x.mu.RLock()
		cur, off, garbage, n := x.version, x.off, x.garbageDue(), len(x.docs)
		x.mu.RUnlock()
		switch {
		case off, cur >= v && !garbage:
			return nil
		case cur >= 0 && !garbage && v-cur <= int64(searchInlineCatchUp+n/8):
			x.mu.Lock()
			defer x.mu.Unlock()
			return x.catchUp(ctx, tx, v)
		}
		nx := newSearchIndex(x.max)
		if err := nx.apply(ctx, tx, -1); err != nil {
			return err
		}
		x.mu.Lock()
		defer x.mu.Unlock()
		if len(nx.docs) > x.max {
			x.reset()
			x.off = true
			return nil
		}
		x.version, x.garbage, x.docs, x.sortR, x.sortT = v, nx.garbage, nx.docs, nx.sortR, nx.sortT
		x.slots, x.wordIDs, x.words, x.postings, x.vocab = nx.slots, nx.wordIDs, nx.words, nx.postings, nx.vocab
		x.facetIDs, x.facetOf = nx.facetIDs, nx.facetOf
		return nil
	})
}

// reset empties the index. The caller holds mu exclusively.
func (x *searchIndex) reset() {
	x.version, x.garbage, x.docs, x.sortR, x.sortT, x.words, x.postings, x.vocab, x.facetOf = -1, 0, nil, nil, nil, nil, nil, nil, nil
	x.slots, x.wordIDs, x.facetIDs = map[int64]int32{}, map[string]int32{}, map[string]int32{}
}

// apply reads the products changed after seq from (every product when
// from < 0) and puts them in the index. The caller holds mu exclusively.
// Reading the rows (SQLite) and indexing them (tokenizing, posting lists)
// cost about the same, so a second goroutine indexes while this one reads:
// the first build of a large catalog takes about half as long.
func (x *searchIndex) apply(ctx context.Context, tx sqlTx, from int64) error {
	query, args := changedProductsQuery, []any{from}
	if from < 0 {
		query, args = allProductsQuery, nil
	}
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	type row struct {
		d      searchDoc
		facets []string
		texts  [3]string
	}
	const batchSize = 256
	batches := make(chan []row, 4)
	indexed := make(chan []int32)
	go func() {
		var newWords []int32
		for b := range batches {
			for i := range b {
				newWords = x.put(newWords, b[i].d, b[i].facets, b[i].texts[:]...)
			}
		}
		indexed <- newWords
	}()
	read := func() error {
		defer close(batches)
		b := make([]row, 0, batchSize)
		for n := 0; rows.Next(); n++ {
			var r row
			var status, category, delivery, seller, tagsJSON string
			if err := rows.Scan(&r.d.rid, &r.d.id, &r.d.name, &status, &category, &delivery, &seller,
				&r.d.sortR, &r.d.sortT, &r.texts[1], &r.texts[2], &tagsJSON); err != nil {
				return err
			}
			r.texts[0] = r.d.name
			var tags []string
			if err := doccodec.Unmarshal([]byte(tagsJSON), &tags); err != nil {
				return fmt.Errorf("tags of product %q: %w", r.d.id, err)
			}
			r.facets = append([]string{facetKey('c', category), facetKey('d', delivery), facetKey('t', status), facetKey('s', seller)}, tags...)
			if b = append(b, r); len(b) == batchSize {
				batches <- b
				b = make([]row, 0, batchSize)
			}
			if from < 0 && n > x.max {
				break // too large: the caller turns the index off
			}
		}
		batches <- b
		return rows.Err()
	}
	err = read()
	newWords := <-indexed
	if err != nil {
		return err
	}
	if from < 0 {
		x.compact()
	}
	// A few new words go into the sorted vocabulary one by one (a
	// catch-up must not re-sort a large vocabulary under the exclusive
	// lock); many are sorted in with the rest.
	if len(newWords) > 64 {
		x.vocab = x.vocab[:0]
		for id := range x.words {
			x.vocab = append(x.vocab, int32(id))
		}
		slices.SortFunc(x.vocab, func(a, b int32) int { return strings.Compare(x.words[a], x.words[b]) })
	} else {
		for _, id := range newWords {
			i, _ := slices.BinarySearchFunc(x.vocab, x.words[id], func(a int32, w string) int { return strings.Compare(x.words[a], w) })
			x.vocab = slices.Insert(x.vocab, i, id)
		}
	}
	return nil
}

// compact copies the slices the first build grew by appending into slices
// of their length, giving back the spare capacity (up to half of the
// index). The caller holds mu exclusively.
func (x *searchIndex) compact() {
	x.docs = slices.Clone(x.docs)
	x.sortR, x.sortT = slices.Clone(x.sortR), slices.Clone(x.sortT)
	for i, p := range x.postings {
		x.postings[i] = slices.Clone(p)
	}
	for i, p := range x.facetOf {
		x.facetOf[i] = slices.Clone(p)
	}
}

// put adds or replaces d with the given facet keys and the words of texts
// (name, description, seller name), and returns newWords with the ids of
// the words new to the index appended. It counts the words left without
// products (garbage).
func (x *searchIndex) put(newWords []int32, d searchDoc, facets []string, texts ...string) []int32 {
	known := int32(len(x.words)) // the ids below are not new

	d.facets = make([]int32, len(facets))
	for i, f := range facets {
		id, ok := x.facetIDs[f]
		if !ok {
			id = int32(len(x.facetOf))
			x.facetIDs[f] = id
			x.facetOf = append(x.facetOf, nil)
		}
		d.facets[i] = id
	}
	d.words = make([]int32, 0, 16)
	word := func(b []byte) {
		id, ok := x.wordIDs[string(b)] // no allocation for the lookup
		if !ok {
			w := string(b)
			id = int32(len(x.words))
			x.wordIDs[w] = id
			x.words = append(x.words, w)
			x.postings = append(x.postings, nil)
			newWords = append(newWords, id)
		}
		d.words = append(d.words, id)
	}
	for _, t := range texts {
		eachWord(t, word)
	}
	slices.Sort(d.words)
	d.words = slices.Clip(slices.Compact(d.words))
	slot, ok := x.slots[d.rid]
	if ok {
		old := &x.docs[slot]
		for _, w := range old.words {
			if x.postings[w] = removeSlot(x.postings[w], slot); len(x.postings[w]) == 0 {
				x.garbage++
			}
		}
		for _, f := range old.facets {
			x.facetOf[f] = removeSlot(x.facetOf[f], slot)
		}
		x.docs[slot] = d
		x.sortR[slot], x.sortT[slot] = int8(d.sortR), d.sortT
	} else {
		slot = int32(len(x.docs))
		x.slots[d.rid] = slot
		x.docs = append(x.docs, d)
		x.sortR, x.sortT = append(x.sortR, int8(d.sortR)), append(x.sortT, d.sortT)
	}
	for _, w := range d.words {
		if len(x.postings[w]) == 0 && w < known {
			x.garbage--
		}
		x.postings[w] = addSlot(x.postings[w], slot)
	}
	for _, f := range d.facets {
		x.facetOf[f] = addSlot(x.facetOf[f], slot)
	}
	return newWords
}

// eachWord calls fn with each of marketplace.Words(s), in a buffer valid
// only during the call. ASCII text, the common case, is split here without
// allocating; any other text goes through marketplace.Words.
func eachWord(s string, fn func(w []byte)) {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			for _, w := range marketplace.Words(s) {
				fn([]byte(w))
			}
			return
		}
	}
	var buf [64]byte
	w := buf[:0]
	for i := range len(s) + 1 {
		c := byte(' ')
		if i < len(s) {
			c = s[i]
		}
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			w = append(w, c)
		case 'A' <= c && c <= 'Z':
			w = append(w, c+'a'-'A')
		default:
			if len(w) > 0 {
				fn(w)
				w = w[:0]
			}
		}
	}
}

// addSlot inserts slot into the ascending list l (a new product's slot is
// the largest: appended).
func addSlot(l []int32, slot int32) []int32 {
	if len(l) == 0 || l[len(l)-1] < slot {
		return append(l, slot)
	}
	if i, found := slices.BinarySearch(l, slot); !found {
		return slices.Insert(l, i, slot)
	}
	return l
}

// removeSlot removes slot from the ascending list l.
func removeSlot(l []int32, slot int32) []int32 {
	if i, found := slices.BinarySearch(l, slot); found {
		return slices.Delete(l, i, i+1)
	}
	return l
}

// searchResult is one page of an index query: its products in order, the
// cursor after it ("" on the last page) and the total of all pages.
type searchResult struct {
	total int
	page  []searchHit
	next  string
}

// searchHit is a product of a result page.
type searchHit struct {
	rid int64
	id  string
}

// search answers q, whose text has the given terms, over the products after
// the cursor. The caller holds mu shared and has checked the index is
// current.
func (x *searchIndex) search(q marketplace.ProductQuery, terms []string, after *cursor) searchResult {
	match := x.textMatches(terms)
	byName := q.Sort == marketplace.SortName
	less := func(a, b int32) bool {
		if byName {
			da, db := &x.docs[a], &x.docs[b]
			return da.name < db.name || da.name == db.name && da.id < db.id
		}
		if x.sortR[a] != x.sortR[b] {
			return x.sortR[a] < x.sortR[b]
		}
		if x.sortT[a] != x.sortT[b] {
			return x.sortT[a] > x.sortT[b]
		}
		return x.docs[a].id < x.docs[b].id
	}
	isAfter := func(s int32) bool {
		if after == nil {
			return true
		}
		if byName {
			d := &x.docs[s]
			return d.name > after.S || d.name == after.S && d.id > after.ID
		}
		if r := int(x.sortR[s]); r != after.R {
			return r > after.R
		}
		if x.sortT[s] != after.T {
			return x.sortT[s] < after.T
		}
		return x.docs[s].id > after.ID
	}
	filters, none := x.filters(q)
	if none {
		return searchResult{}
	}
	// Each filter value's product list masks the text matches, the
	// statuses' lists together.
	for _, id := range filters.all {
		andSlots(match, x.facetOf[id])
	}
	if len(filters.anyStatus) > 0 {
		statuses := make([]uint64, len(match))
		for _, id := range filters.anyStatus {
			for _, s := range x.facetOf[id] {
				statuses[s>>6] |= 1 << (s & 63)
			}
		}
		for k := range match {
			match[k] &= statuses[k]
		}
	}
	// top holds the best limit+1 products after the cursor, in order: the
	// extra one only tells that a next page exists. The matches are visited
	// from the last slot down: slots follow insertion order, so the newest
	// products tend to come first and most later ones are turned away by
	// one comparison.
	top := make([]int32, 0, q.Limit+1)
	var res searchResult
	for w := len(match) - 1; w >= 0; w-- {
		for word := match[w]; word != 0; {
			b := 63 - bits.LeadingZeros64(word)
			word &^= 1 << b
			s := int32(w*64 + b)
			res.total++
			if !isAfter(s) {
				continue
			}
			if len(top) == q.Limit+1 && !less(s, top[q.Limit]) {
				continue
			}
			i := sort.Search(len(top), func(i int) bool { return less(s, top[i]) })
			if len(top) < q.Limit+1 {
				top = append(top, 0)
			}
			copy(top[i+1:], top[i:len(top)-1])
			top[i] = s
		}
	}
	if len(top) > q.Limit {
		last := &x.docs[top[q.Limit-1]]
		c := cursor{ID: last.id}
		if byName {
			c.S = last.name
		} else {
			c.R, c.T = last.sortR, last.sortT
		}
		res.next = c.Encode()
		top = top[:q.Limit]
	}
	res.page = make([]searchHit, len(top))
	for i, s := range top {
		res.page[i] = searchHit{rid: x.docs[s].rid, id: x.docs[s].id}
	}
	return res
}

// textMatches returns the bitmap (by slot) of the products that have, for
// every term, a word the term is a prefix of.
func (x *searchIndex) textMatches(terms []string) []uint64 {
	var match, bm []uint64
	for i, t := range terms {
		bm = make([]uint64, (len(x.docs)+63)/64)
		lo := sort.Search(len(x.vocab), func(j int) bool { return x.words[x.vocab[j]] >= t })
		for _, w := range x.vocab[lo:] {
			if !strings.HasPrefix(x.words[w], t) {
				break
			}
			for _, s := range x.postings[w] {
				bm[s>>6] |= 1 << (s & 63)
			}
		}
		if i == 0 {
			match = bm
			continue
		}
		for k := range match {
			match[k] &= bm[k]
		}
	}
	return match
}

// andSlots clears in bm the bits of the slots not in the ascending list l.
func andSlots(bm []uint64, l []int32) {
	next := 0 // the first word of bm not yet masked
	var w uint64
	cur := -1
	for _, s := range l {
		i := int(s >> 6)
		if i != cur {
			if cur >= 0 {
				bm[cur] &= w
			}
			for ; next < i; next++ {
				bm[next] = 0
			}
			cur, w, next = i, 0, i+1
		}
		w |= 1 << (s & 63)
	}
	if cur >= 0 {
		bm[cur] &= w
	}
	for ; next < len(bm); next++ {
		bm[next] = 0
	}
}

// productFilter is a ProductQuery's filters other than text, as facet ids:
// a product has each of all, and one of anyStatus when it is not empty.
type productFilter struct {
	all       []int32
	anyStatus []int32
}

// filters resolves q's filters; none reports that no product can match (a
// value no product has).
func (x *searchIndex) filters(q marketplace.ProductQuery) (f productFilter, none bool) {
	keys := []string{}
	if q.Category != "" {
		keys = append(keys, facetKey('c', q.Category))
	}
	if q.Delivery != "" {
		keys = append(keys, facetKey('d', string(q.Delivery)))
	}
	if q.SellerID != "" {
		keys = append(keys, facetKey('s', q.SellerID))
	}
	if q.OS != "" {
		keys = append(keys, "os:"+q.OS)
	}
	if q.Mode != "" {
		keys = append(keys, "mode:"+string(q.Mode))
	}
	for _, k := range keys {
		id, ok := x.facetIDs[k]
		if !ok {
			return f, true
		}
		f.all = append(f.all, id)
	}
	if len(q.Statuses) > 0 {
		for _, st := range q.Statuses {
			if id, ok := x.facetIDs[facetKey('t', string(st))]; ok {
				f.anyStatus = append(f.anyStatus, id)
			}
		}
		if len(f.anyStatus) == 0 {
			return f, true
		}
	}
	return f, false
}
