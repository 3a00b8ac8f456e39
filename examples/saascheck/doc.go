// Command saascheck checks a seller's SaaS access endpoint (KooGallery SaaS
// access protocol V2) with the conformance kit and prints PASS, FAIL or
// SKIP per check. It exits 0 when every check passed, 1 when one did not,
// 2 on a usage error.
//
//	saascheck -endpoint https://isv.example.com/saasproduce -key "$ACCESS_KEY"
//	saascheck -self                # check an in-process Handler over a fake seller
//
// The key may also come from the SAASCHECK_KEY environment variable, which
// keeps it out of shell history. The run creates, changes and releases one
// test instance (testFlag 1): point it at a debugging environment.
package main
