package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"boxoffice"
	"boxoffice/postgres"
)

// Config is everything an operator can set, from flags or BOXOFFICE_*
// environment variables; flags win.
type Config struct {
	Addr                string
	DB                  string
	DBPoolSize          int // PostgreSQL connections; 0: the URL's pool_max_conns, or postgres.DefaultPoolSize
	Location            *time.Location
	Demo                bool
	TrustForwardedProto bool
	MetricsToken        string // GET /metrics wants it as a bearer token; "" serves the metrics to anyone
	LogFormat           string // "text" or "json"
	LogLevel            slog.Level
	ShutdownTimeout     time.Duration
	MetricsAddr         string // if set, /metrics is served there alone, and not on Addr

	// Limits, each off at zero here: the defaults live in ParseConfig, so a
	// server started from a Config built in code limits nothing unless asked.
	MaxSeatsPerGuest    int
	WriteRate           float64 // seat writes a second per client address…
	WriteBurst          int     // …from a bucket holding this many
	MaxStreamsPerClient int
	MaxStreams          int // resolved from "auto" by ParseConfig
	MaxConnsPerClient   int
	TrustedProxies      []netip.Prefix
	HistoryDays         int // days after a show's start when its change log is deleted

	// wrapStore, if set, wraps the store once opened: tests watch what
	// the server does with its database.
	wrapStore func(boxoffice.Store) boxoffice.Store
}

const usage = `boxoffice: a seat-booking server for cinemas.

Usage:
  boxoffice [serve] [flags]   serve the seat maps and the JSON API (the default)
  boxoffice migrate [flags]   create or upgrade the database schema, then exit
                              (serve does it too, at start)
  boxoffice help              show this help

Flags (each also read from the environment variable in brackets;
a flag given on the command line wins):
`

// ParseConfig reads the serve command's flags, with defaults from getenv.
func ParseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	fs := flag.NewFlagSet("boxoffice serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var c Config
	var tz, level string
	var badEnv []error
	envBool := func(name string, def bool) bool {
		v := getenv(name)
		if v == "" {
			return def
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			badEnv = append(badEnv, fmt.Errorf("%s=%q: want true or false", name, v))
		}
		return b
	}
	envInt := func(name string, def int) int {
		v := getenv(name)
		if v == "" {
			return def
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			badEnv = append(badEnv, fmt.Errorf("%s=%q: want a whole number", name, v))
		}
		return n
	}
	envDuration := func(name string, def time.Duration) time.Duration {
		v := getenv(name)
		if v == "" {
			return def
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			badEnv = append(badEnv, fmt.Errorf("%s=%q: want a duration such as 10s", name, v))
		}
		return d
	}
	fs.StringVar(&c.Addr, "addr", env("BOXOFFICE_ADDR", ":8080"), "address to listen on, host:port [BOXOFFICE_ADDR]")
	fs.StringVar(&c.DB, "db", env("BOXOFFICE_DB", "boxoffice.db"),
		"SQLite database file, created if missing, or a postgres:// URL [BOXOFFICE_DB]")
	fs.IntVar(&c.DBPoolSize, "db-pool-size", envInt("BOXOFFICE_DB_POOL_SIZE", 0),
		"PostgreSQL connections per instance; 0 means the URL's pool_max_conns, else 8 [BOXOFFICE_DB_POOL_SIZE]")
	fs.StringVar(&tz, "timezone", env("BOXOFFICE_TIMEZONE", "Local"), "the cinema's time zone for show times, e.g. Europe/Berlin [BOXOFFICE_TIMEZONE]")
	fs.BoolVar(&c.Demo, "demo", envBool("BOXOFFICE_DEMO", true), "fill an empty database with the demo programme [BOXOFFICE_DEMO]")
	fs.BoolVar(&c.TrustForwardedProto, "trust-forwarded-proto", envBool("BOXOFFICE_TRUST_FORWARDED_PROTO", false),
		"treat X-Forwarded-Proto: https as TLS (mark the guest cookie Secure); only behind a proxy that sets it [BOXOFFICE_TRUST_FORWARDED_PROTO]")
	fs.StringVar(&c.MetricsToken, "metrics-token", env("BOXOFFICE_METRICS_TOKEN", ""),
		"if set, GET /metrics wants it as a bearer token (Authorization: Bearer …); prefer the environment, which other users cannot list [BOXOFFICE_METRICS_TOKEN]")
	fs.StringVar(&c.LogFormat, "log-format", env("BOXOFFICE_LOG_FORMAT", "text"), "log format: text or json [BOXOFFICE_LOG_FORMAT]")
	fs.StringVar(&level, "log-level", env("BOXOFFICE_LOG_LEVEL", "info"), "log level: debug, info, warn or error [BOXOFFICE_LOG_LEVEL]")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", envDuration("BOXOFFICE_SHUTDOWN_TIMEOUT", 10*time.Second),
		"how long requests in flight may take to finish on SIGINT/SIGTERM [BOXOFFICE_SHUTDOWN_TIMEOUT]")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if len(badEnv) > 0 {
		return c, errors.Join(badEnv...)
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.Location, err = time.LoadLocation(tz); err != nil {
		return c, fmt.Errorf("time zone %q: %w", tz, err)
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return c, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("log format %q: want text or json", c.LogFormat)
	}
	if c.DB == "" {
		return c, errors.New("the database (--db) must not be empty")
	}
	if c.DBPoolSize < 0 || c.DBPoolSize > 1000 {
		return c, fmt.Errorf("database pool size %d: want 0 (the default) to 1000", c.DBPoolSize)
	}
	return c, nil
}

// redactDB is db fit for a log line: a URL loses its password.
func redactDB(db string) string {
	if !postgres.IsURL(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "(a malformed PostgreSQL URL)"
	}
	return u.Redacted()
}
