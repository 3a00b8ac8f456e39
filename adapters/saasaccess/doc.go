// Package saasaccess speaks KooGallery's SaaS access protocol V2 over
// HTTP, for both sides:
//
//   - Client is the marketplace side. It implements provisioning.SaaS
//     against one seller endpoint: every call is a POST of a JSON body with
//     the query parameters signature, timestamp (UNIX ms) and nonce, a
//     5-second timeout, a 1 MiB limit on requests and responses, verification of the
//     response's Body-Sign header, and decryption of app-info passwords.
//   - Handler is the seller side: an http.Handler that authenticates
//     requests (signature, ±60 s timestamp window, nonce replay cache with
//     bounded memory), decodes them tolerantly, validates them, calls the
//     seller's Seller implementation, encrypts passwords and signs the
//     answer. Every failure is a protocol result code, never a 500.
//     Idempotent wraps a Seller so that resent creates return the same
//     instance id.
//   - The conformance subpackage drives any endpoint through every activity
//     and the refusal cases, and reports pass/fail per check.
//
// # Signing
//
// The access key (the "Key" of the Seller Console) is the only secret. With
// it as the HMAC-SHA256 key (reference ambiguity 6):
//
//	canonical = accessKey + nonce + timestamp + lowercase hex HMAC(key, raw body)
//	signature = hex HMAC(key, canonical)          (compared case-insensitively)
//	Body-Sign: sign_type="HMAC-SHA256", signature="base64 HMAC(key, response body)"
//
// The raw body bytes are hashed as received, never re-serialised.
//
// # Credentials
//
// App-info passwords (and the buyer's phone and e-mail in newInstance)
// travel as iv + base64(AES-CBC-PKCS5(key, value)), iv being 16 clear
// ASCII characters. encryptType 1 is AES-256 (default), 2 is AES-128. The
// AES key is derived from the access key either as its raw bytes (RawKey,
// the default; needs a 32- or 16-byte key) or as Huawei's Java sample does
// (JavaSHA1PRNG: KeyGenerator seeded through SHA1PRNG). Which one
// KooGallery uses is not published; confirm with the Seller Console's
// debugging tool and pick with WithKeyDerivation. Both derivations are
// tested against values printed by the Java programs in testdata (the
// SHA1PRNG one by Huawei's sample code, the raw one by javax.crypto keyed
// with the access key's bytes).
//
// # Time
//
// The wire's yyyyMMddHHmmss times (expireTime) are read and written in
// GMT+08:00 by default (ambiguity 19; WithTimeZone). Client and Handler take
// an injected clock (WithClock) and random source (WithRandom) so tests are
// deterministic.
package saasaccess
