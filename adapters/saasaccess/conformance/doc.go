// Package conformance checks a seller's SaaS access endpoint against the
// protocol, the way KooGallery's "Application Access Debugging" tool would,
// and reports pass, fail or skip per check.
//
// Run drives the endpoint through every activity with a saasaccess.Client
// (create twice with the same order → the same instance id; query until app
// info arrives; refresh in each scene; freeze and unfreeze; upgrade, after
// which the instance id is unchanged; change check; release) and then sends
// hand-built requests that a correct endpoint must refuse with a specific
// result code: a bad signature, a stale timestamp, a replayed nonce and a
// tampered body (000001), an oversized body and an unknown activity
// (000002). Every answer must carry a valid Body-Sign header unless
// Config.AllowUnsignedResponses is set.
//
// The checks create, change and release a real instance flagged as a test
// (testFlag 1); point Run at a seller's debugging environment. The command
// examples/saascheck runs it from the command line.
package conformance
