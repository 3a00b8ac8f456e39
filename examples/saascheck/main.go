package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"os/signal"
	"time"

	"github.com/opengallery/opengallery/adapters/saasaccess"
	"github.com/opengallery/opengallery/adapters/saasaccess/conformance"
	"github.com/opengallery/opengallery/provisioning/fake"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// selfKey is the access key of the -self demo endpoint.
const selfKey = "saascheck-self-test-access-key!!" // 32 bytes, usable as a raw AES-256 key

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("saascheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", "", "the seller's interface URL")
	key := fs.String("key", "", "the seller's access key (default $SAASCHECK_KEY)")
	derivation := fs.String("derivation", "raw", "AES key derivation: raw (the key's bytes) or java (Huawei's Java sample, SHA1PRNG)")
	encryptType := fs.Int("encrypt-type", 1, "credential encryption: 1 = AES-256, 2 = AES-128")
	timeout := fs.Duration("timeout", saasaccess.DefaultTimeout, "per-request timeout")
	pollTimeout := fs.Duration("poll-timeout", 30*time.Second, "how long to poll create and query")
	maxBody := fs.Int64("max-body", saasaccess.DefaultMaxBodySize, "the endpoint's body limit in bytes; the oversized check sends one more")
	allowUnsigned := fs.Bool("allow-unsigned", false, "accept answers without a Body-Sign header")
	self := fs.Bool("self", false, "check an in-process Handler serving a fake seller (a demonstration)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *key == "" {
		*key = getenv("SAASCHECK_KEY")
	}
	var d saasaccess.KeyDerivation
	switch *derivation {
	case "raw":
		d = saasaccess.RawKey
	case "java":
		d = saasaccess.JavaSHA1PRNG
	default:
		fmt.Fprintf(stderr, "saascheck: -derivation must be raw or java, not %q\n", *derivation)
		return 2
	}
	opts := []saasaccess.Option{
		saasaccess.WithKeyDerivation(d), saasaccess.WithEncryptType(saasaccess.EncryptType(*encryptType)),
		saasaccess.WithTimeout(*timeout), saasaccess.WithMaxBodySize(*maxBody),
	}
	if *self {
		if *endpoint != "" {
			fmt.Fprintln(stderr, "saascheck: -self and -endpoint exclude each other")
			return 2
		}
		*key = selfKey
		h, err := saasaccess.NewHandler(selfKey, fake.NewSaaS(), opts...)
		if err != nil {
			fmt.Fprintf(stderr, "saascheck: %v\n", err)
			return 2
		}
		srv := httptest.NewServer(h)
		defer srv.Close()
		*endpoint = srv.URL + "/saasproduce"
	}
	if *endpoint == "" || *key == "" {
		fmt.Fprintln(stderr, "saascheck: -endpoint and -key (or $SAASCHECK_KEY) are required, or use -self")
		fs.Usage()
		return 2
	}
	rep, err := conformance.Run(ctx, conformance.Config{
		Endpoint: *endpoint, AccessKey: *key, ClientOptions: opts, MaxBodySize: *maxBody,
		PollTimeout: *pollTimeout, AllowUnsignedResponses: *allowUnsigned,
	})
	if err != nil {
		if errors.Is(err, conformance.ErrConfig) {
			fmt.Fprintf(stderr, "saascheck: %v\n", err)
			return 2
		}
		fmt.Fprintf(stderr, "saascheck: %v\n", err)
		return 1
	}
	if _, err := rep.WriteTo(stdout); err != nil {
		return 1
	}
	if !rep.Passed() {
		return 1
	}
	return 0
}
