// Package httpapi is OpenGallery's reference REST adapter: one
// http.Handler, on the standard library's ServeMux, that exposes every
// marketplace use case to buyers, sellers and operators under /v1.
//
//	svc, _ := marketplace.New(store)
//	auth, _ := httpapi.NewStaticTokens(map[string]marketplace.Actor{"t0k3n": marketplace.BuyerActor("b1")})
//	api := httpapi.NewHandler(svc, httpapi.WithAuthenticator(auth), httpapi.WithBlobStore(blobs))
//	mux.Handle("/api/", http.StripPrefix("/api", api)) // mount under any prefix
//
// The adapter is thin: each route decodes its input strictly, calls one use
// case of marketplace.Service with the authenticated actor, and encodes the
// result. Authorization stays in the domain; authentication is a port
// (Authenticator) the host implements, with StaticTokens for examples.
//
// # Errors
//
// Every error is an RFC 9457 problem (application/problem+json) with a
// stable machine-readable "code" and, for invalid input, the offending
// "field". One table (errorTable in problem.go) maps the domain's sentinel
// errors to a status and a code: not found and not yours are both 404
// not_found; a role that may not act is 403; state conflicts are 409;
// payment failures 402. Internal faults are the only 5xx: the client gets a
// generic problem and the error goes to log/slog.
//
// # Input
//
// JSON bodies are limited (1 MiB by default, WithMaxBody), must be exactly
// one JSON value, and may not carry unknown members; decimals are strings
// ({"amount":"5.00","currency":"USD"}) and times RFC 3339. Creating orders,
// renewals and upgrades, and unsubscribing, take an Idempotency-Key header. Resources that can
// be updated carry an ETag (their aggregate version); If-Match makes an
// update conditional (412 precondition_failed when stale) and is required
// to edit a product (428 precondition_required without it). The version is
// compared inside the update's own transaction, so a change that lands
// after the client's read is refused, never overwritten. Only a stale tag
// is 412: a request whose tag is current but which keeps losing the race to
// commit against other writers is 409 conflict, and may be sent again with
// the same tag. The routes that take If-Match are marked below.
//
// Supervision attachments are uploaded as multipart/form-data, streamed to
// the BlobStore port (FileBlobs by default) while being counted and hashed
// (SHA-256), and refused with 413 past 50 MB. The server records each
// upload (flow, uploader, size, digest: Upload) through the store's
// UploadIndex capability. An action may cite only uploads its own actor
// made for that flow, within the upload TTL (DefaultUploadTTL,
// WithUploadTTL); the record keeps the upload's metadata, and a size or
// digest the client sends that differs is refused (400 invalid_input). A
// download needs the file to be both uploaded for the flow and cited by one
// of its records. Uploads nobody cited in time are deleted by
// Handler.SweepUploads, which the host runs now and then.
//
// # Routes
//
// The OpenAPI 3.1 document, embedded and served at GET /v1/openapi.json,
// lists them all; a test fails when a registered route is missing from it,
// and package apitest validates traffic against it. In short:
//
//	catalog     GET /v1/products, /v1/products/{id}, /v1/products/{id}/contact, /v1/sellers/{id}
//	seller      PUT /v1/sellers/{id} (If-Match); GET, POST /v1/seller/products; PUT /v1/seller/products/{id} (If-Match required);
//	            POST /v1/seller/products/{id}/submit|delist, .../specs/{spec}/discontinue
//	operator    GET /v1/review/products; POST /v1/review/products/{id};
//	            GET /v1/review/refunds; POST /v1/review/refunds/{id} (held refunds above the review threshold; If-Match)
//	saved list  GET, POST /v1/saved; DELETE /v1/saved/{product}
//	checkout    POST /v1/quotes, /v1/orders; GET /v1/orders, /v1/orders/{id}; POST /v1/orders/{id}/pay|cancel
//	apps        GET /v1/apps, /v1/apps/{id}, /v1/apps/{id}/contact, /v1/resources/{id};
//	            POST /v1/apps/{id}/password, /v1/apps/{id}/upgrade/quote, /v1/apps/{id}/upgrade, /v1/apps/{id}/renew;
//	            POST /v1/apps/{id}/end (end pay-per-use); PUT /v1/apps/{id}/auto-renew (If-Match), /v1/renewal-day
//	unsubscribe GET /v1/apps/{id}/unsubscription, /v1/apps/{id}/refund-quote; POST /v1/apps/{id}/unsubscribe,
//	            /v1/apps/{id}/unsubscribe-requests; GET /v1/unsubscribe-requests, /v1/unsubscribe-requests/{id};
//	            POST /v1/unsubscribe-requests/{id}/decision (If-Match)
//	invoices    POST, GET /v1/invoices; GET /v1/invoices/{id}; POST /v1/invoices/{id}/issue|return (If-Match)
//	supervision GET /v1/flows, /v1/flows/{id}, /v1/flows/{id}/records, /v1/flows/{id}/actions;
//	            POST /v1/flows/{id}/actions/{action} (If-Match), /v1/flows/{id}/attachments; GET /v1/flows/{id}/attachments/{key}
//	accounts    GET /v1/accounts/{id}; POST /v1/accounts/{id}/top-up|settle; PUT /v1/accounts/{id}/credit (If-Match)
//	events      GET /v1/events?after=&limit=
//	meta        GET /v1/health, /v1/openapi.json
package httpapi
