// Package memory is the in-memory marketplace.Store: for tests, examples
// and benchmarks. It keeps every aggregate as its JSON encoding, exactly as
// the SQL stores keep their documents, so values are copied in and out and
// nothing a caller holds aliases the store. One read-write mutex serialises
// writers; readers share it.
package memory
