package sqlite

import "context"

// Test hooks into the document cache (doccache.go) and the search index
// (searchindex.go).

// DocCacheEntries returns how many decoded documents s caches.
func DocCacheEntries(s *Store) int {
	n, _ := s.docs.len()
	return n
}

// WaitSearchIndex brings s's search index up to the latest snapshot, as
// its background builder does, and reports whether the index then answers
// text queries (false: off, or the catalog is too large).
func WaitSearchIndex(ctx context.Context, s *Store) (bool, error) {
	if s.search == nil {
		return false, nil
	}
	if err := s.refreshSearch(ctx); err != nil {
		return false, err
	}
	s.search.mu.RLock()
	defer s.search.mu.RUnlock()
	return s.search.version >= 0 && !s.search.off, nil
}

// DocCacheBytes returns the estimated size of s's cached documents.
func DocCacheBytes(s *Store) int64 {
	_, b := s.docs.len()
	return b
}

// QueuedWrites returns how many requests wait in s's writer queue.
func QueuedWrites(s *Store) int { return len(s.queue) }

// AlwaysOptimistic runs every Update's closure optimistically, even when
// the writer is idle (which WithOptimisticUpdates(true) runs on it), so
// that tests exercise the optimistic path whatever the load.
func AlwaysOptimistic() Option {
	return func(o *options) { o.optimistic, o.alwaysOptimistic = true, true }
}

// WriterStatements returns how many statements s's writer connection has
// run through its prepared driver statements (BEGIN and COMMIT included).
func WriterStatements(s *Store) int64 { return s.wconn.execs.Load() }
