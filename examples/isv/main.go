// Command isv is a seller's SaaS endpoint: an e-mail hosting service with
// in-memory instances behind the signed SaaS access protocol
// (adapters/saasaccess). Point the portal at it so that buying the demo
// "Mail hosting" product provisions a real instance over HTTP:
//
//	go run ./examples/isv -addr 127.0.0.1:9090
//	go run ./examples/portal -saas-endpoint http://127.0.0.1:9090/saas -saas-key <the key isv prints>
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/opengallery/opengallery/adapters/saasaccess"
)

// DemoKey is the access key used when -key is not given: 32 bytes, so
// AES-256 with the raw-key derivation works. Never use it for real.
const DemoKey = "opengallery-demo-access-key-0001"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, nil); err != nil {
		fmt.Fprintln(os.Stderr, "isv:", err)
		os.Exit(1)
	}
}

// newServer builds the endpoint's routes: the protocol at /saas and a
// health check.
func newServer(key string, seller *mailSeller, log *slog.Logger) (http.Handler, error) {
	h, err := saasaccess.NewHandler(key, saasaccess.Idempotent(seller, &saasaccess.MemoryInstanceIDs{}), saasaccess.WithLogger(log))
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("POST /saas", h)
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, "{\"status\":\"ok\",\"instances\":%d}\n", seller.count())
	})
	return mux, nil
}

// run serves until ctx is done. When ready is not nil it receives the
// listening address.
func run(ctx context.Context, args []string, out io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("isv", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9090", "listen address")
	key := fs.String("key", DemoKey, "the access key shared with the marketplace (16 or 32 bytes)")
	delay := fs.Duration("ready-after", 2*time.Second, "how long a new instance takes to become ready")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(out, nil))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	handler, err := newServer(*key, newMailSeller(base, *delay, time.Now), log)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	fmt.Fprintf(out, "isv: SaaS endpoint %s/saas (access key %q)\n", base, *key)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
