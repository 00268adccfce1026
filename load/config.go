// Package load drives a boxoffice server with virtual guests and measures it:
// scenarios of bookings, reads and event-stream watchers, each figure set
// beside a baseline (an empty net/http handler driven the same way in the
// same run), and an invariant check of every acknowledged booking against
// the final state. The boxoffice-load command is a thin shim over Run.
package load

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"boxoffice/internal/loopback"
)

// Scenarios, by the name --scenario takes.
const (
	ScenarioHot    = "hot"
	ScenarioSpread = "spread"
	ScenarioGroups = "groups"
	ScenarioRead   = "read"
	ScenarioWatch  = "watch"
	ScenarioOnsale = "onsale"
)

// MaxWatchers bounds --watchers: each is an open connection, on both sides.
const MaxWatchers = 10000

// maxSourceAddrs bounds --source-addrs: one for each of the most clients a
// run can have, guests and readers, or watchers.
const maxSourceAddrs = 20000

// Config is one run's settings.
type Config struct {
	Target     string   // base URLs of running servers, comma-separated; "" starts one in process
	Targets    []string // Target's URLs, each checked and without a trailing slash
	DB         string   // in process: "sqlite" (a fresh temp file), a new SQLite file path, or a postgres:// URL
	Scenario   string
	Show       string // show id; "" picks the largest hall's first show
	Seats      int    // how many of the show's seats the guests use; 0: the scenario's default
	Guests     int    // virtual guests, each with its own cookie
	Readers    int    // extra cookie-less readers of the show's JSON, beside any scenario
	Watchers   int    // event-stream watchers (watch)
	Read       string // what read loads: json, page or both
	Duration   time.Duration
	Rate       float64 // guests' operations per second in all (open loop); 0: as fast as possible
	Timeout    time.Duration
	JSON       bool
	ServerPID  int // with Target: a local server's process id, to read its memory
	Check      bool
	Seed       int64
	Progress   string        // auto, on or off
	CPUProfile string        // file for a CPU profile of the scenario phase
	Turn       time.Duration // baseline and scenario take turns this long; 0: the whole baseline first
	// SourceAddrs spreads the clients over this many loopback source
	// addresses (127.0.0.2 onwards); 0 or 1: every client dials as the
	// system chooses, from one address.
	SourceAddrs int
	Limits      bool     // in process: start the server with its default limits, not with none
	MetricsURL  string   // where the commit figures are read, comma-separated; "": each target's /metrics
	MetricsURLs []string // MetricsURL's URLs

	// onsale: guests arrive at a rate ramping from 0 to Arrivals a second
	// over Ramp, then holding; each pauses Think at most before booking.
	Arrivals float64
	Ramp     time.Duration
	Think    time.Duration
	// Shows is how many shows on sale the guests spread over, the premiere
	// first (see pickShows); 0: every one. One show sells out within
	// seconds at any arrival rate worth measuring.
	Shows int
}

const usage = `boxoffice-load: drives a boxoffice server with virtual guests and measures it
against a baseline (an empty net/http handler, same client, same concurrency,
same run), then checks every acknowledged booking against the final state.

Usage:
  boxoffice-load [flags]

Without --target it starts boxoffice in this process on a fresh database and
stops it at the end. Scenarios:
  hot     all guests book and release the same few seats of one show
  spread  guests book and release random seats of one big show
  groups  guests book 2-6 adjacent seats at once (all or nothing), then release them
  read    guests load the show's JSON and/or its seat-map page (--read)
  watch   --watchers event streams of the show while the guests book; measures
          delivery latency from a write's send time to the event's arrival
  onsale  a premiere's on-sale: guests arrive open loop (--arrivals, --ramp),
          each from its own loopback address against the default limits, open
          the map, pause (--think), book 1-4 adjacent seats, some release and
          rebook; --watchers streams stay open; --shows N spreads the guests
          over N shows. No baseline: its figures are latencies at an arrival
          rate

Flags:
`

// ParseConfig reads the flags. A bad flag or value is an error that says
// which and why.
func ParseConfig(args []string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("boxoffice-load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	var c Config
	fs.StringVar(&c.Target, "target", "", "base URL of a running server, e.g. http://127.0.0.1:8080, or a comma-separated list of them "+
		"(instances on one database: clients are split between them in turn, the final state is read from the first); empty starts one in process")
	fs.StringVar(&c.DB, "db", "sqlite", "in process only: sqlite (a fresh temporary file), the path of a new SQLite file, or a postgres:// URL")
	fs.StringVar(&c.Scenario, "scenario", ScenarioSpread, "hot, spread, groups, read, watch or onsale")
	fs.StringVar(&c.Show, "show", "", "show id (default: the first show in the largest hall)")
	fs.IntVar(&c.Seats, "seats", 0, "how many of the show's seats to use (default: 4 for hot, all for the others)")
	fs.IntVar(&c.Guests, "guests", 64, "virtual guests, each with its own cookie (the writers, in watch); read may have 0 with --readers; "+
		"in onsale the most guests alive at once (default there: derived from --arrivals and --think)")
	fs.IntVar(&c.Readers, "readers", 0, "extra cookie-less readers of the show's JSON, running beside the scenario")
	fs.IntVar(&c.Watchers, "watchers", 1000, fmt.Sprintf("event-stream watchers for watch, at most %d (onsale: default %d, 0 for none)", MaxWatchers, defaultOnsaleWatchers))
	fs.StringVar(&c.Read, "read", "both", "what read loads: json, page, or both (half the guests each)")
	fs.DurationVar(&c.Duration, "duration", 10*time.Second, "how long to drive the server (the baseline runs as long again)")
	fs.Float64Var(&c.Rate, "rate", 0, "the guests' operations per second in all, sent on schedule (open loop); 0 is as fast as they go; not for onsale, which --arrivals drives")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Second, "how long one request may take")
	fs.BoolVar(&c.JSON, "json", false, "print the report as JSON")
	fs.IntVar(&c.ServerPID, "server-pid", 0, "with --target on this machine: the server's process id, to report its memory")
	fs.BoolVar(&c.Check, "check", true, "check the final state against every acknowledged booking and release")
	fs.Int64Var(&c.Seed, "seed", 0, "random seed for the guests' choices (0: from the clock)")
	fs.StringVar(&c.Progress, "progress", "auto", "progress bar on stderr: auto (when it is a terminal), on or off")
	fs.DurationVar(&c.Turn, "turn", time.Second, "the baseline and the scenario take turns this long each, so that both meet the same background load; 0 runs the whole baseline first")
	fs.IntVar(&c.SourceAddrs, "source-addrs", 0, "against a loopback target: spread guests, readers and watchers over this many source addresses, 127.0.0.2 onwards, "+
		"in turn, as clients of that many homes (the server limits per address); 0 or 1: all from one")
	fs.BoolVar(&c.Limits, "limits", false, "in process: start the server with the default limits of its flags (the BOXOFFICE_* environment is ignored), not with none")
	fs.StringVar(&c.MetricsURL, "metrics-url", "", "with --target: the server's metrics, for the commit figures, or a comma-separated list summed "+
		"(default: each target's /metrics; a server with --metrics-addr serves them there)")
	fs.Float64Var(&c.Arrivals, "arrivals", defaultArrivals, "onsale: guests arriving a second once the ramp is over (open loop, on the clock)")
	fs.DurationVar(&c.Ramp, "ramp", 0, "onsale: how long the arrival rate takes to grow from 0 to --arrivals, at most --duration (default: a third of --duration)")
	fs.DurationVar(&c.Think, "think", defaultThink, "onsale: a guest's longest pause, looking at the map before booking (and before releasing); "+
		"each pause is random, from a quarter of it to all of it; 0 for none")
	c.Shows = 1
	fs.Func("shows", "onsale: spread the guests over this many shows on sale, the premiere first (--show, or the largest hall's first), "+
		"then the others by size, largest first; each guest books in one, the larger a show the more guests it gets; all (or 0) for every show on sale (default 1)",
		func(v string) error {
			if v == "all" {
				c.Shows = 0
				return nil
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return errors.New("want a number of shows, or all")
			}
			c.Shows = n
			return nil
		})
	fs.StringVar(&c.CPUProfile, "cpuprofile", "", "write a CPU profile of the scenario (not the baseline) to this file, for go tool pprof; in process it covers the server too; implies --turn 0")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q; boxoffice-load takes flags only", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return c, c.validate(set)
}

func (c *Config) validate(set map[string]bool) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.Scenario {
	case ScenarioHot, ScenarioSpread, ScenarioGroups, ScenarioRead, ScenarioWatch, ScenarioOnsale:
	default:
		bad("--scenario %q: want hot, spread, groups, read, watch or onsale", c.Scenario)
	}
	onsale := c.Scenario == ScenarioOnsale
	if c.Target != "" {
		c.Targets = nil
		for _, t := range strings.Split(c.Target, ",") {
			t = strings.TrimSpace(t)
			u, err := url.Parse(t)
			if err != nil || u.Scheme != "http" || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
				bad("--target %q: want a base URL like http://127.0.0.1:8080, or a comma-separated list of them", t)
				continue
			}
			c.Targets = append(c.Targets, "http://"+u.Host)
			if c.SourceAddrs > 1 || onsale {
				if err := loopback.CheckTarget(u.Host); err != nil {
					flag := fmt.Sprintf("--source-addrs %d", c.SourceAddrs)
					if onsale {
						flag = "--scenario onsale (each guest from an address of its own)"
					}
					bad("%s: the target %s is not on the loopback network (127.0.0.0/8 or localhost), "+
						"and source addresses 127.0.0.2 onwards reach no other", flag, u.Host)
				}
			}
		}
		c.Target = strings.Join(c.Targets, ",")
		if set["db"] {
			bad("--db picks the database of an in-process server; it cannot go with --target")
		}
		if c.Limits {
			bad("--limits starts an in-process server with its default limits; a --target has its own")
		}
	} else {
		if c.ServerPID != 0 {
			bad("--server-pid goes with --target; an in-process server's memory is reported anyway")
		}
		if c.MetricsURL != "" {
			bad("--metrics-url goes with --target; an in-process server serves its metrics on its own address")
		}
	}
	c.MetricsURLs = nil
	if c.MetricsURL != "" {
		for _, m := range strings.Split(c.MetricsURL, ",") {
			m = strings.TrimSpace(m)
			u, err := url.Parse(m)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad("--metrics-url %q: want a URL like http://127.0.0.1:9090/metrics, or a comma-separated list of them", m)
			}
			c.MetricsURLs = append(c.MetricsURLs, m)
		}
	}
	if c.SourceAddrs < 0 || c.SourceAddrs > maxSourceAddrs {
		bad("--source-addrs %d: want 0 to %d", c.SourceAddrs, maxSourceAddrs)
	}
	if c.DB == "" {
		bad("--db must not be empty: sqlite, a new SQLite file path or a postgres:// URL")
	}
	if onsale {
		c.validateOnsale(set, bad)
	} else {
		for _, f := range []string{"arrivals", "ramp", "think", "shows"} {
			if set[f] {
				bad("--%s is for --scenario onsale", f)
			}
		}
		switch {
		case c.Guests < 0 || c.Guests > 10000:
			bad("--guests %d: want 1 to 10000", c.Guests)
		case c.Guests == 0 && (c.Scenario != ScenarioRead || c.Readers == 0):
			bad("--guests 0: only read may run without guests, and then --readers must be more than 0")
		}
		if c.Watchers < 1 || c.Watchers > MaxWatchers {
			bad("--watchers %d: want 1 to %d", c.Watchers, MaxWatchers)
		} else if set["watchers"] && c.Scenario != ScenarioWatch {
			bad("--watchers is for --scenario watch or onsale")
		}
	}
	if c.Readers < 0 || c.Readers > 10000 {
		bad("--readers %d: want 0 to 10000", c.Readers)
	}
	if c.Seats < 0 {
		bad("--seats %d: want a positive number, or 0 for the scenario's default", c.Seats)
	}
	if c.Scenario == ScenarioGroups && c.Seats == 1 {
		bad("--seats 1: groups need at least 2 adjacent seats")
	}
	switch c.Read {
	case "json", "page", "both":
	default:
		bad("--read %q: want json, page or both", c.Read)
	}
	if set["read"] && c.Scenario != ScenarioRead {
		bad("--read is for --scenario read")
	}
	if c.Duration <= 0 || c.Duration > 24*time.Hour {
		bad("--duration %v: want more than 0 and at most 24h", c.Duration)
	}
	if c.Rate < 0 {
		bad("--rate %v: want operations per second, or 0 for as fast as possible", c.Rate)
	}
	if c.Turn < 0 {
		bad("--turn %v: want a duration, or 0 to run the whole baseline first", c.Turn)
	} else if c.CPUProfile != "" && set["turn"] && c.Turn > 0 {
		bad("--cpuprofile profiles the scenario alone, so the baseline runs first: it cannot go with --turn %v", c.Turn)
	}
	if c.CPUProfile != "" {
		c.Turn = 0
	}
	if c.Timeout <= 0 {
		bad("--timeout %v: want more than 0", c.Timeout)
	}
	if c.ServerPID < 0 {
		bad("--server-pid %d: want a process id", c.ServerPID)
	}
	switch c.Progress {
	case "auto", "on", "off":
	default:
		bad("--progress %q: want auto, on or off", c.Progress)
	}
	return errors.Join(errs...)
}

// The onsale scenario's defaults.
const (
	defaultArrivals       = 20
	defaultThink          = 4 * time.Second
	defaultOnsaleWatchers = 200
)

// validateOnsale checks the onsale flags and fills in the defaults that
// depend on others: the ramp, the watchers, and the bound on guests alive at
// once, which is also the number of source addresses they take in turn.
func (c *Config) validateOnsale(set map[string]bool, bad func(string, ...any)) {
	for _, f := range []string{"rate", "readers", "seats", "source-addrs", "turn"} {
		if set[f] {
			bad("--%s is not for onsale: %s", f, map[string]string{
				"rate":         "its guests arrive at --arrivals a second",
				"readers":      "its guests read the map themselves",
				"seats":        "its guests choose among all the show's free seats",
				"source-addrs": "each of its guests and watchers has a source address of its own",
				"turn":         "it has no baseline to take turns with",
			}[f])
		}
	}
	if c.Arrivals <= 0 || c.Arrivals > 10000 || math.IsNaN(c.Arrivals) {
		bad("--arrivals %v: want guests a second, more than 0 and at most 10000", c.Arrivals)
	}
	if !set["ramp"] {
		c.Ramp = c.Duration / 3
	}
	if c.Ramp < 0 || c.Ramp > c.Duration {
		bad("--ramp %v: want 0 to --duration (%v): the rate reaches --arrivals within the run", c.Ramp, c.Duration)
	}
	if c.Think < 0 || c.Think > 10*time.Minute {
		bad("--think %v: want 0 to 10m", c.Think)
	}
	if !set["watchers"] {
		c.Watchers = defaultOnsaleWatchers
	}
	if c.Watchers < 0 || c.Watchers > MaxWatchers {
		bad("--watchers %d: want 0 to %d", c.Watchers, MaxWatchers)
		return
	}
	room := maxSourceAddrs - c.Watchers
	if !set["guests"] {
		// A visit lasts two pauses and a few requests; a slow server's
		// requests make it longer, which the 10 s stands for.
		visit := 2*c.Think + 10*time.Second
		c.Guests = max(64, min(room, int(math.Ceil(c.Arrivals*visit.Seconds()))))
	}
	if c.Guests < 1 || c.Guests > room {
		bad("--guests %d: onsale wants 1 to %d guests alive at once (%d source addresses less the %d watchers')",
			c.Guests, room, maxSourceAddrs, c.Watchers)
	}
}
