// Command storeprog drives a marketplace through its Service from a
// separate process, for the durability (SIGKILL) and multi-process runner
// tests of adapters/sqlite and adapters/postgres. The tests build it with
// go build into a temporary directory; it is not a tool for hosts.
//
//	storeprog -sqlite FILE | -postgres DSN [-schema S] place-pay -buyer B -product P -spec S [-clients N]
//	storeprog -sqlite FILE | -postgres DSN [-schema S] run-due -owner O -now RFC3339 [-batch N]
//
// place-pay places and pays orders as fast as it can, forever, from N
// goroutines (1 by default) buying for the same buyer, printing
// "ack ORDER_ID" after each PayOrder returned: the order is acknowledged.
// With several, their transactions share group commits and race for the
// buyer's account (conflicts the service retries).
// run-due runs the due-work runner at the given time until nothing is due,
// then prints "done claimed=N failed=M".
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/opengallery/opengallery/adapters/postgres"
	"github.com/opengallery/opengallery/adapters/sqlite"
	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "storeprog:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("storeprog", flag.ContinueOnError)
	file := fs.String("sqlite", "", "SQLite database file")
	dsn := fs.String("postgres", "", "PostgreSQL DSN")
	schema := fs.String("schema", "", "PostgreSQL schema")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	var st marketplace.Store
	switch {
	case *file != "":
		s, err := sqlite.Open(*file)
		if err != nil {
			return err
		}
		defer s.Close()
		st = s
	case *dsn != "":
		var opts []postgres.Option
		if *schema != "" {
			opts = append(opts, postgres.WithSchema(*schema))
		}
		s, err := postgres.Open(ctx, *dsn, opts...)
		if err != nil {
			return err
		}
		defer s.Close()
		st = s
	default:
		return fmt.Errorf("one of -sqlite or -postgres is required")
	}
	if fs.NArg() < 1 {
		return fmt.Errorf("a mode is required: place-pay or run-due")
	}
	mode, rest := fs.Arg(0), fs.Args()[1:]
	switch mode {
	case "place-pay":
		return placePay(ctx, st, rest)
	case "run-due":
		return runDue(ctx, st, rest)
	}
	return fmt.Errorf("unknown mode %q", mode)
}

func placePay(ctx context.Context, st marketplace.Store, args []string) error {
	fs := flag.NewFlagSet("place-pay", flag.ContinueOnError)
	buyer := fs.String("buyer", "", "buyer id")
	product := fs.String("product", "", "product id")
	spec := fs.String("spec", "", "specification id")
	clients := fs.Int("clients", 1, "goroutines placing orders at once")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *clients < 1 {
		return fmt.Errorf("-clients %d: want at least 1", *clients)
	}
	svc, err := marketplace.New(st, marketplace.WithLogger(slog.New(slog.NewTextHandler(os.Stderr, nil))))
	if err != nil {
		return err
	}
	actor := marketplace.BuyerActor(*buyer)
	var out sync.Mutex // one ack line at a time
	errs := make(chan error, *clients)
	for c := range *clients {
		go func() {
			for i := 0; ; i++ {
				o, err := svc.CreateOrder(ctx, actor, marketplace.CreateOrderInput{
					QuoteInput: marketplace.QuoteInput{ProductID: *product, SpecID: *spec, Mode: billing.Monthly, Duration: 1},
					AgreeTerms: true, IdempotencyKey: fmt.Sprintf("%d-%d-%d", os.Getpid(), c, i)})
				if err != nil {
					errs <- fmt.Errorf("client %d: create order %d: %w", c, i, err)
					return
				}
				if _, err := svc.PayOrder(ctx, actor, marketplace.PayInput{OrderID: o.ID}); err != nil {
					errs <- fmt.Errorf("client %d: pay order %s: %w", c, o.ID, err)
					return
				}
				// Acknowledged: PayOrder returned, so the payment is committed.
				out.Lock()
				_, err = fmt.Fprintf(os.Stdout, "ack %s\n", o.ID)
				out.Unlock()
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	return <-errs
}

func runDue(ctx context.Context, st marketplace.Store, args []string) error {
	fs := flag.NewFlagSet("run-due", flag.ContinueOnError)
	owner := fs.String("owner", "", "runner owner name")
	nowFlag := fs.String("now", "", "the runner's time, RFC 3339")
	batch := fs.Int("batch", 100, "claim batch size")
	if err := fs.Parse(args); err != nil {
		return err
	}
	now, err := time.Parse(time.RFC3339Nano, *nowFlag)
	if err != nil {
		return err
	}
	svc, err := marketplace.New(st, marketplace.WithClock(marketplace.NewSimClock(now)),
		marketplace.WithRunner(*batch, time.Minute, *owner))
	if err != nil {
		return err
	}
	rep, err := svc.RunDue(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("done claimed=%d failed=%d\n", rep.Claimed, rep.Failed)
	return nil
}
