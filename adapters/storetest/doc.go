// Package storetest is the conformance suite every marketplace.Store must
// pass. A store's own test calls it:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) marketplace.Store { return memory.New() })
//	}
//
// Persistent stores also pass Options.Reopen, which closes a store and opens
// the same storage again, so that the suite can check that everything
// committed is still there. Each subtest opens a fresh, empty store.
package storetest
