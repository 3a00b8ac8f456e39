package main

import (
	"bytes"
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opengallery/opengallery/adapters/saasaccess"
	"github.com/opengallery/opengallery/adapters/saasaccess/conformance"
	"github.com/opengallery/opengallery/provisioning/fake"
)

func noEnv(string) string { return "" }

func TestSelfCheckPasses(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"-self"}, noEnv, &out, &errOut)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	for _, c := range conformance.Checks() {
		if !strings.Contains(out.String(), "PASS  "+c) {
			t.Errorf("no PASS line for %s:\n%s", c, out.String())
		}
	}
}

func TestExternalEndpointWithEnvKeyAndJavaDerivation(t *testing.T) {
	const key = "console-key"
	h, err := saasaccess.NewHandler(key, fake.NewSaaS(), saasaccess.WithKeyDerivation(saasaccess.JavaSHA1PRNG))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	env := func(k string) string {
		if k == "SAASCHECK_KEY" {
			return key
		}
		return ""
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-endpoint", srv.URL, "-derivation", "java"}, env, &out, &errOut); code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out.String(), errOut.String())
	}
	// The same endpoint checked with the wrong derivation fails (the
	// passwords do not decrypt) and exits 1.
	out.Reset()
	if code := run(context.Background(), []string{"-endpoint", srv.URL, "-key", key, "-derivation", "raw"}, noEnv, &out, &errOut); code != 2 {
		// A raw key must be 16 or 32 bytes: "console-key" cannot be one.
		t.Fatalf("exit %d, want 2 (config)\n%s", code, errOut.String())
	}
}

func TestFailingEndpointExitsOne(t *testing.T) {
	h, err := saasaccess.NewHandler(selfKey, fake.NewSaaS(), saasaccess.WithoutBodySign())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"-endpoint", srv.URL, "-key", selfKey, "-poll-timeout", "100ms"}, noEnv, &out, &errOut); code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out.String())
	}
	if !strings.Contains(out.String(), "FAIL") {
		t.Errorf("no FAIL line:\n%s", out.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-endpoint", "https://x.example"},
		{"-self", "-endpoint", "https://x.example"},
		{"-self", "-derivation", "md5"},
		{"-self", "-encrypt-type", "3"},
		{"-no-such-flag"},
	} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, noEnv, &out, &errOut); code != 2 {
			t.Errorf("args %q: exit %d, want 2", args, code)
		}
	}
}
