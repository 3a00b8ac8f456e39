package sqlite

// Test hooks into the document cache (doccache.go).

// DocCacheEntries returns how many decoded documents s caches.
func DocCacheEntries(s *Store) int {
	n, _ := s.raw.docs.len()
	return n
}

// DisableDocCache makes s's point reads decode every document, for the
// benchmark that measures them without the cache. Call it before any View.
func DisableDocCache(s *Store) { s.raw.docs = nil }

// DisableSearchIndex makes s answer every catalog search in SQL (FTS5), the
// path of catalogs too large for the in-memory index.
func DisableSearchIndex(s *Store) { s.raw.search = nil }
