// Package storecheck holds the test logic the SQLite and PostgreSQL
// adapters share: the crash-durability check, the runners-share-due-work
// check, and the store-level workloads their benchmarks and scale tests
// drive. Each adapter's tests stay thin callers that supply only what is
// store-specific (how to open and reopen a store, the helper program's
// flags).
//
// It lives under adapters/internal so that only the adapters' own tests
// can import it: it calls testing.T and is not part of the SDK.
package storecheck
