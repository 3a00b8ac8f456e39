// Package fake has in-memory implementations of provisioning's SaaS and
// Deployer contracts for tests and the examples.
//
// Both record every call, keep their instances or servers, are idempotent
// the way the contracts require (per order id + order line id, or order id
// + product id for pay-per-use SaaS), and can be told, per operation, to
// fail, to answer "processing", or to be slow (Inject, Fail, Processing,
// Slow). They are safe for concurrent use; a slow call waits outside the
// lock and gives up when its context ends.
//
// Catalog returns the infrastructure catalog of the KooGallery image
// purchase page (EU-Dublin, the s3/s6 flavors and their VM prices), and
// OpenSecurityGroup / ClosedSecurityGroup two groups to choose from.
package fake
