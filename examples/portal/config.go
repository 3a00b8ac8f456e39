package main

import (
	"flag"
	"fmt"
	"io"
	"time"
)

// config is the parsed command line.
type config struct {
	addr         string
	db           string
	postgres     string
	pgSchema     string
	sim          bool
	saasEndpoint string
	saasKey      string
	tick         time.Duration
	state        string // directory for the credential key, tokens and attachments
}

func parseFlags(args []string, out io.Writer) (config, error) {
	fs := flag.NewFlagSet("portal", flag.ContinueOnError)
	fs.SetOutput(out)
	var c config
	var clock string
	fs.StringVar(&c.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&c.db, "db", "opengallery.db", "SQLite database file")
	fs.StringVar(&c.postgres, "postgres", "", "PostgreSQL DSN (instead of SQLite)")
	fs.StringVar(&c.pgSchema, "postgres-schema", "", "PostgreSQL schema for the tables (default: the DSN's search path)")
	fs.StringVar(&clock, "clock", "real", "real, or sim for simulated time moved by POST /v1/clock/advance")
	fs.StringVar(&c.saasEndpoint, "saas-endpoint", "", "seller SaaS endpoint URL for SaaS products (default: an in-process fake)")
	fs.StringVar(&c.saasKey, "saas-key", "opengallery-demo-access-key-0001", "access key of -saas-endpoint")
	fs.DurationVar(&c.tick, "tick", time.Second, "due-work runner interval")
	fs.StringVar(&c.state, "state", "opengallery-data", "directory for the credential key, demo tokens and attachments")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	switch clock {
	case "real":
	case "sim":
		c.sim = true
	default:
		return config{}, fmt.Errorf("-clock %q: must be real or sim", clock)
	}
	if c.tick < 10*time.Millisecond {
		return config{}, fmt.Errorf("-tick %s: must be at least 10ms", c.tick)
	}
	return c, nil
}
