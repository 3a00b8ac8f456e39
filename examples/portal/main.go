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
//	-clock=sim                simulated time: POST /v1/clock/advance moves it
//	-saas-endpoint URL        a seller SaaS endpoint (see examples/isv) for SaaS products
//	-saas-key KEY             that endpoint's access key
//	-tick 1s                  how often the due-work runner runs
//
// It stops gracefully on SIGINT or SIGTERM.
//
// A walk through a purchase with curl (B, S and O are the printed buyer,
// seller and operator tokens; with -clock=sim):
//
//	curl -H "Authorization: Bearer $B" 'localhost:8080/v1/products?text=office'
//	curl -H "Authorization: Bearer $B" --json '{"product_id":"<id>","spec_id":"annual","mode":"yearly","duration":1}' localhost:8080/v1/quotes
//	curl -H "Authorization: Bearer $B" -H 'Idempotency-Key: k1' \
//	     --json '{"product_id":"<id>","spec_id":"annual","mode":"yearly","duration":1,"agree_terms":true}' localhost:8080/v1/orders
//	curl -H "Authorization: Bearer $B" -X POST localhost:8080/v1/orders/<order>/pay
//	curl -H "Authorization: Bearer $S" --json '{"result":"key ABC"}' localhost:8080/v1/flows/<flow>/actions/deliver
//	curl -H "Authorization: Bearer $B" -X POST localhost:8080/v1/flows/<flow>/actions/accept
//	curl -H "Authorization: Bearer $O" --json '{"duration":"3h1m"}' localhost:8080/v1/clock/advance
//	curl -H "Authorization: Bearer $B" localhost:8080/v1/apps
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
