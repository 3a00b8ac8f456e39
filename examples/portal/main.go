// Command portal serves the OpenGallery REST API over a real store: the
// README's main command.
//
//	go run ./examples/portal
//
// serves on 127.0.0.1:8080 with a SQLite file (opengallery.db) in the
// working directory. At first start it migrates the store and seeds a demo
// catalog; every start prints the demo actors' bearer tokens. Flags:
//
//	-addr 127.0.0.1:8080      listen address
//	-db opengallery.db        SQLite file
//	-postgres DSN             use PostgreSQL instead of SQLite
//	-postgres-schema NAME     the PostgreSQL schema (default: the DSN's search path)
//	-clock=sim                simulated time: POST /v1/clock/advance moves it; the time is
//	                          kept in the -state directory (sim-clock), so a restart continues
//	                          from it (or from now, if later)
//	-saas-endpoint URL        a seller SaaS endpoint (see examples/isv) for SaaS products
//	-saas-key KEY             that endpoint's access key
//	-tick 1s                  how often the due-work runner runs
//	-state opengallery-data   directory for the credential key (credential.key, which
//	                          encrypts stored SaaS passwords), the demo tokens and attachments
//
// It stops gracefully on SIGINT or SIGTERM.
//
// A walk through a purchase with curl, with -clock=sim. B, S and O are the
// buyer, seller and operator tokens: paste the "export" line the portal
// prints. Each <placeholder> is an id from an earlier answer.
//
// The $900.00/year license, delivered under service supervision:
//
//	curl -H "Authorization: Bearer $B" 'localhost:8080/v1/products?text=office'    # <id>: the product's "id"
//	curl -H "Authorization: Bearer $B" --json '{"product_id":"<id>","spec_id":"annual","mode":"yearly","duration":1}' localhost:8080/v1/quotes
//	curl -H "Authorization: Bearer $B" -H 'Idempotency-Key: k1' \
//	     --json '{"product_id":"<id>","spec_id":"annual","mode":"yearly","duration":1,"agree_terms":true}' localhost:8080/v1/orders
//	curl -H "Authorization: Bearer $B" -X POST localhost:8080/v1/orders/<order>/pay   # <order>: the order's "id"
//	curl -H "Authorization: Bearer $S" localhost:8080/v1/flows    # <flow>: the flow's "id" (also the paid order's "flow_id")
//	curl -H "Authorization: Bearer $S" localhost:8080/v1/flows/<flow>/actions         # what the seller may do now
//	curl -H "Authorization: Bearer $S" --json '{"result":"key ABC"}' localhost:8080/v1/flows/<flow>/actions/deliver
//	curl -H "Authorization: Bearer $B" -X POST localhost:8080/v1/flows/<flow>/actions/accept
//	curl -H "Authorization: Bearer $O" --json '{"duration":"3h1m"}' localhost:8080/v1/clock/advance   # the order completes 3 h after acceptance
//	curl -H "Authorization: Bearer $B" localhost:8080/v1/apps
//
// The LAMP image, monthly ($155.00 + the VM's monthly price), deployed to
// the fake cloud (region eu-west-101, any vpc and subnet id, security group
// sg-open; the flavor defaults to the recommended s3.small.1), then
// unsubscribed ten days later and refunded by the formula:
//
//	curl -H "Authorization: Bearer $B" 'localhost:8080/v1/products?delivery=image'  # <image>: its "id"
//	curl -H "Authorization: Bearer $B" -H 'Idempotency-Key: i1' \
//	     --json '{"product_id":"<image>","spec_id":"standard","mode":"monthly","duration":1,"agree_terms":true,"image":{"mode":"quick","region":"eu-west-101","vpc":"vpc-1","subnet":"subnet-1","security_group":"sg-open"}}' \
//	     localhost:8080/v1/orders
//	curl -H "Authorization: Bearer $B" --json '{"login":{"password":"Cloud-Pass-2026","confirm_password":"Cloud-Pass-2026"}}' localhost:8080/v1/orders/<order>/pay
//	curl -H "Authorization: Bearer $O" --json '{"duration":"240h"}' localhost:8080/v1/clock/advance
//	curl -H "Authorization: Bearer $B" localhost:8080/v1/apps/<resource>/refund-quote   # <resource>: the paid order's "resource_id"
//	curl -H "Authorization: Bearer $B" -H "Idempotency-Key: u1" -X POST localhost:8080/v1/apps/<resource>/unsubscribe
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "portal:", err)
		os.Exit(1)
	}
}
