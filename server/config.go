package server

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"boxoffice"
	"boxoffice/forwarded"
	"boxoffice/internal/openfiles"
	"boxoffice/postgres"
	"boxoffice/web"
)

// openFilesLimit is what --max-streams auto is computed from; tests replace
// it to see the computation on limits this machine does not have.
var openFilesLimit = openfiles.Limit

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
	AdminToken          string // the admin API's bearer token, at least web.MinAdminTokenLength characters; "": no admin API
	DoorToken           string // the door staff's token: check-in only; needs AdminToken
	PublicURL           string // the site's address as guests reach it, for ticket links; "": each request's own
	LogFormat           string // "text" or "json"
	LogLevel            slog.Level
	AccessLog           web.AccessLog // which requests get a line: all, errors or off
	ShutdownTimeout     time.Duration
	ShutdownDelay       time.Duration // /readyz answers 503 this long after a signal before shutdown begins
	MetricsAddr         string        // if set, /metrics is served there alone, and not on Addr

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

	// maxStreamsFrom says where MaxStreams came from, for the log line at
	// start: "auto" hides a number that depends on the machine.
	maxStreamsFrom string

	// wrapStore, if set, wraps the store once opened: tests watch what
	// the server does with its database.
	wrapStore func(boxoffice.Store) boxoffice.Store
}

const usage = `boxoffice: a seat-booking server for cinemas.

Usage:
  boxoffice [serve] [flags]   serve the seat maps and the JSON API (the default)
  boxoffice migrate [flags]   create or upgrade the database schema, then exit
                              (serve does it too, at start)
  boxoffice programme import FILE [--dry-run] [--db …]
                              create or update the halls and shows FILE names
  boxoffice programme export [--db …] [--timezone …]
                              write the whole programme as a document
                              (boxoffice programme help: more)
  boxoffice backup FILE [--force] [--db …]
                              copy a SQLite database while it serves
  boxoffice restore FILE [--db …]
                              put a backup in place of a stopped server's database
  boxoffice healthcheck [--addr …]
                              exit 0 if the server at --addr is ready, else 1
  boxoffice version           print the version and build of this binary
  boxoffice help              show this help

Flags (each also read from the environment variable in brackets;
a flag given on the command line wins):
`

// ParseConfig reads the serve command's flags, with defaults from getenv.
func ParseConfig(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	env := func(name, def string) string { return envOr(getenv, name, def) }
	fs := flag.NewFlagSet("boxoffice serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var c Config
	var tz, level, accessLog string
	var badEnv []error
	envBool := func(name string, def bool) bool {
		return envParsed(getenv, &badEnv, name, def, strconv.ParseBool, "true or false")
	}
	envInt := func(name string, def int) int {
		return envParsed(getenv, &badEnv, name, def, strconv.Atoi, "a whole number")
	}
	envFloat := func(name string, def float64) float64 {
		parse := func(v string) (float64, error) { return strconv.ParseFloat(v, 64) }
		return envParsed(getenv, &badEnv, name, def, parse, "a number such as 10 or 0.5")
	}
	envDuration := func(name string, def time.Duration) time.Duration {
		return envParsed(getenv, &badEnv, name, def, time.ParseDuration, "a duration such as 10s")
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
	fs.StringVar(&c.AdminToken, "admin-token", env("BOXOFFICE_ADMIN_TOKEN", ""),
		"the admin API's bearer token (Authorization: Bearer …), at least 32 characters; unset: no admin API; prefer the environment, which other users cannot list [BOXOFFICE_ADMIN_TOKEN]")
	fs.StringVar(&c.DoorToken, "door-token", env("BOXOFFICE_DOOR_TOKEN", ""),
		"the door staff's token, at least 32 characters: it signs in to the check-in page (/admin/door) and admits tickets, and opens nothing else; needs --admin-token [BOXOFFICE_DOOR_TOKEN]")
	fs.StringVar(&c.PublicURL, "public-url", env("BOXOFFICE_PUBLIC_URL", ""),
		"the site's address as guests reach it, e.g. https://tickets.example.com, for the links and QR codes on tickets; unset: each request's own scheme and host [BOXOFFICE_PUBLIC_URL]")
	fs.StringVar(&c.LogFormat, "log-format", env("BOXOFFICE_LOG_FORMAT", "text"), "log format: text or json [BOXOFFICE_LOG_FORMAT]")
	fs.StringVar(&level, "log-level", env("BOXOFFICE_LOG_LEVEL", "info"), "log level: debug, info, warn or error [BOXOFFICE_LOG_LEVEL]")
	fs.StringVar(&accessLog, "access-log", env("BOXOFFICE_ACCESS_LOG", "all"),
		"which requests get a line in the log: all, errors (answered 400 or more) or off [BOXOFFICE_ACCESS_LOG]")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", envDuration("BOXOFFICE_SHUTDOWN_TIMEOUT", 10*time.Second),
		"how long requests in flight may take to finish on SIGINT/SIGTERM [BOXOFFICE_SHUTDOWN_TIMEOUT]")
	fs.DurationVar(&c.ShutdownDelay, "shutdown-delay", envDuration("BOXOFFICE_SHUTDOWN_DELAY", 0),
		"on SIGINT/SIGTERM, answer /readyz with 503 for this long, serving everything else, before shutting down, so load balancers stop sending guests first (e.g. 5s on Kubernetes); a second signal cuts it short [BOXOFFICE_SHUTDOWN_DELAY]")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", env("BOXOFFICE_METRICS_ADDR", ""),
		"if set, serve /metrics on this address alone (e.g. 127.0.0.1:9090), and not on --addr [BOXOFFICE_METRICS_ADDR]")

	// The limits: each 0 is off.
	var maxStreams, proxies string
	fs.IntVar(&c.MaxSeatsPerGuest, "max-seats-per-guest", envInt("BOXOFFICE_MAX_SEATS_PER_GUEST", 10),
		"seats one guest may hold in one show; 0: no limit [BOXOFFICE_MAX_SEATS_PER_GUEST]")
	fs.Float64Var(&c.WriteRate, "write-rate", envFloat("BOXOFFICE_WRITE_RATE", 10),
		"seat writes a second per client address, e.g. 10 or 0.5; 0: no limit [BOXOFFICE_WRITE_RATE]")
	fs.IntVar(&c.WriteBurst, "write-burst", envInt("BOXOFFICE_WRITE_BURST", 40),
		"seat writes one client address may make at once before --write-rate applies; at least 1 [BOXOFFICE_WRITE_BURST]")
	fs.IntVar(&c.MaxStreamsPerClient, "max-streams-per-client", envInt("BOXOFFICE_MAX_STREAMS_PER_CLIENT", 64),
		"open event streams per client address; 0: no limit [BOXOFFICE_MAX_STREAMS_PER_CLIENT]")
	fs.StringVar(&maxStreams, "max-streams", env("BOXOFFICE_MAX_STREAMS", "auto"),
		"open event streams in all: auto (the open-files limit less 1,024, at least 64), a number, or 0 for no limit [BOXOFFICE_MAX_STREAMS]")
	fs.IntVar(&c.MaxConnsPerClient, "max-conns-per-client", envInt("BOXOFFICE_MAX_CONNS_PER_CLIENT", 256),
		"open TCP connections per client address, streams included; more are closed at once; 0: no limit [BOXOFFICE_MAX_CONNS_PER_CLIENT]")
	fs.StringVar(&proxies, "trusted-proxies", env("BOXOFFICE_TRUSTED_PROXIES", ""),
		"comma-separated CIDRs or addresses of the proxies in front, whose X-Forwarded-For names the client; never a range clients connect from [BOXOFFICE_TRUSTED_PROXIES]")
	fs.IntVar(&c.HistoryDays, "history-days", envInt("BOXOFFICE_HISTORY_DAYS", 30),
		"days after a show's start when its change log is deleted; 0 keeps everything [BOXOFFICE_HISTORY_DAYS]")
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
	if err := c.AccessLog.UnmarshalText([]byte(accessLog)); err != nil {
		return c, fmt.Errorf("--access-log %q: want all, errors or off", accessLog)
	}
	if c.ShutdownDelay < 0 {
		return c, fmt.Errorf("--shutdown-delay %v: want 0 (none) or more", c.ShutdownDelay)
	}
	if c.DB == "" {
		return c, errors.New("the database (--db) must not be empty")
	}
	if c.AdminToken != "" && len(c.AdminToken) < web.MinAdminTokenLength {
		return c, fmt.Errorf("the admin token (--admin-token, BOXOFFICE_ADMIN_TOKEN) has %d characters: want at least %d, e.g. from openssl rand -hex 32",
			len(c.AdminToken), web.MinAdminTokenLength)
	}
	if err := c.checkDoor(); err != nil {
		return c, err
	}
	if c.PublicURL, err = parsePublicURL(c.PublicURL); err != nil {
		return c, err
	}
	if c.DBPoolSize < 0 || c.DBPoolSize > 1000 {
		return c, fmt.Errorf("database pool size %d: want 0 (the default) to 1000", c.DBPoolSize)
	}
	if err := c.parseLimits(maxStreams, proxies); err != nil {
		return c, err
	}
	return c, nil
}

// envOr returns the environment variable name, or def when it is unset or
// empty: the default of the flag that may override it.
func envOr(getenv func(string) string, name, def string) string {
	if v := getenv(name); v != "" {
		return v
	}
	return def
}

// envParsed is envOr for a flag that is not a string: the variable read by
// parse, or def when it is unset or empty. A value parse refuses is added to
// bad, saying what was wanted, so that every bad variable is told at once.
func envParsed[T any](getenv func(string) string, bad *[]error, name string, def T, parse func(string) (T, error), want string) T {
	v := getenv(name)
	if v == "" {
		return def
	}
	x, err := parse(v)
	if err != nil {
		*bad = append(*bad, fmt.Errorf("%s=%q: want %s", name, v, want))
	}
	return x
}

// parseLimits checks the limits read as numbers and reads the two that are
// not. A negative limit is refused rather than read as off: 0 says that.
func (c *Config) parseLimits(maxStreams, proxies string) error {
	var errs []error
	for _, l := range []struct {
		flag string
		n    int
	}{
		{"--max-seats-per-guest", c.MaxSeatsPerGuest},
		{"--max-streams-per-client", c.MaxStreamsPerClient},
		{"--max-conns-per-client", c.MaxConnsPerClient},
		{"--history-days", c.HistoryDays},
	} {
		if l.n < 0 {
			errs = append(errs, fmt.Errorf("%s %d: want 0 (no limit) or more", l.flag, l.n))
		}
	}
	switch {
	case math.IsNaN(c.WriteRate) || math.IsInf(c.WriteRate, 0) || c.WriteRate < 0:
		errs = append(errs, fmt.Errorf("--write-rate %v: want 0 (no limit) or a positive number of writes a second", c.WriteRate))
	case c.WriteBurst < 1:
		// Refused even with the rate off: a burst is not a limit that 0
		// switches off, and a bucket of 0 would refuse every write the
		// moment the rate is switched on.
		errs = append(errs, fmt.Errorf("--write-burst %d: want at least 1; a bucket of %d refuses every write", c.WriteBurst, c.WriteBurst))
	}
	if maxStreams == "auto" {
		n, from, err := autoMaxStreams()
		if err != nil {
			errs = append(errs, err)
		}
		c.MaxStreams, c.maxStreamsFrom = n, from
	} else if n, err := strconv.Atoi(maxStreams); err != nil || n < 0 {
		errs = append(errs, fmt.Errorf("--max-streams %q: want auto, 0 (no limit) or a positive whole number", maxStreams))
	} else {
		c.MaxStreams, c.maxStreamsFrom = n, "--max-streams"
	}
	var err error
	if c.TrustedProxies, err = forwarded.ParseProxies(proxies); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Streams beyond the open-files limit would make accept fail for everyone;
// what auto leaves below it is for the database, other connections and
// files, and at least some streams are always allowed.
const (
	streamsReserve = 1024
	streamsAtLeast = 64
)

// autoMaxStreams is --max-streams auto, and where the figure came from.
func autoMaxStreams() (int, string, error) {
	n, err := openFilesLimit()
	if err != nil {
		return 0, "", fmt.Errorf("--max-streams auto: reading the open-files limit: %w; give a number instead", err)
	}
	if n == 0 {
		return 0, "auto: no open-files limit on this system, so none", nil
	}
	from := fmt.Sprintf("auto: the open-files limit %d less %d, at least %d", n, streamsReserve, streamsAtLeast)
	if n < streamsReserve+streamsAtLeast {
		return streamsAtLeast, from, nil
	}
	return int(min(n-streamsReserve, math.MaxInt32)), from, nil
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

// checkDoor checks the door token: as long as the admin token, different
// from it, and only beside it (the door is part of the admin surface).
func (c *Config) checkDoor() error {
	switch {
	case c.DoorToken == "":
		return nil
	case c.AdminToken == "":
		return errors.New("the door token (--door-token, BOXOFFICE_DOOR_TOKEN) needs an admin token (--admin-token) too")
	case len(c.DoorToken) < web.MinAdminTokenLength:
		return fmt.Errorf("the door token (--door-token, BOXOFFICE_DOOR_TOKEN) has %d characters: want at least %d, e.g. from openssl rand -hex 32",
			len(c.DoorToken), web.MinAdminTokenLength)
	case c.DoorToken == c.AdminToken:
		return errors.New("the door token (--door-token) must differ from the admin token: ushers must not hold the operator's")
	}
	return nil
}

// parsePublicURL checks --public-url, an absolute http or https URL with a
// host and nothing after it, and returns it without a trailing slash. A
// path is refused: boxoffice's pages link to absolute paths, so it serves
// at the root of its host, and a ticket's address under a prefix would
// name a page the site does not have.
func parsePublicURL(raw string) (string, error) {
	if raw == "" {
		return "", nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || (u.Path != "" && u.Path != "/") {
		return "", fmt.Errorf("--public-url %q: want the site's address such as https://tickets.example.com (http or https, a host, no path or query: boxoffice serves at the root of its host)", raw)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}
