package load

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"boxoffice/server"
)

// ErrViolations is returned when the invariant check found a violation.
var ErrViolations = errors.New("the invariant check found violations")

// setupTimeout bounds everything before and after the measured phases:
// starting the server, finding the show, connecting watchers, the final read.
const setupTimeout = 2 * time.Minute

// Run is the boxoffice-load command: it parses args (without the program
// name), drives the server, prints the report to stdout and returns an error
// if the server could not be driven or the invariant check failed.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := ParseConfig(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	rep, err := run(ctx, cfg, stderr)
	if rep != nil {
		if cfg.JSON {
			_ = rep.WriteJSON(stdout)
		} else {
			_ = rep.WriteText(stdout)
		}
	}
	return err
}

func run(ctx context.Context, cfg Config, stderr io.Writer) (*Report, error) {
	rep := &Report{
		Scenario: cfg.Scenario, Guests: cfg.Guests, Readers: cfg.Readers, Rate: cfg.Rate,
		Duration: cfg.Duration.Seconds(), OpenFile: raiseOpenFiles(),
		Machine: fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()),
	}
	if cfg.Scenario == ScenarioWatch {
		rep.Watchers = cfg.Watchers
	}
	var bar *os.File
	if f, ok := stderr.(*os.File); ok && (cfg.Progress == "on" || cfg.Progress == "auto" && isTerminal(f)) {
		bar = f
	}

	base, rssPID, stop, err := startTarget(ctx, cfg, rep, stderr)
	if err != nil {
		return nil, err
	}
	defer stop()
	setup, cancelSetup := context.WithTimeout(ctx, setupTimeout)
	defer cancelSetup()

	conns := cfg.Guests + cfg.Readers
	hc := newClient(conns, cfg.Timeout)
	boss := &caller{hc: hc, base: base}
	show, err := pickShow(setup, boss, cfg.Show)
	if err != nil {
		return nil, fmt.Errorf("cannot drive %s: %w", base, err)
	}
	pool, groups, err := seatPool(cfg, show.Seats)
	if err != nil {
		return nil, err
	}
	rep.Show, rep.Seats = show.ID, len(pool)

	// The baseline: the same client settings and concurrency against an
	// empty handler, for as long, just before the scenario.
	baseRow, err := runBaseline(ctx, cfg, conns, bar)
	if err != nil {
		return nil, err
	}
	baseRow.Workers = conns
	rep.Baseline = baseRow

	seed := cfg.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	cnt := &counts{}
	var writers []*writer
	var sent *sendTimes
	if cfg.Scenario == ScenarioWatch {
		sent = newSendTimes()
	}
	var crews []*crew
	switch cfg.Scenario {
	case ScenarioHot, ScenarioSpread, ScenarioGroups, ScenarioWatch:
		cr := &crew{name: "guests", rate: cfg.Rate}
		for i := range cfg.Guests {
			w := &writer{
				id: i, c: caller{hc: hc, base: base, token: newGuestToken()}, show: show.ID,
				seats: pool, groups: groups, rng: rand.New(rand.NewPCG(uint64(seed), uint64(i))),
				t: newTallies(cnt), sent: sent,
			}
			writers = append(writers, w)
			cr.workers = append(cr.workers, w)
		}
		crews = append(crews, cr)
	case ScenarioRead:
		kinds := []struct{ op, path string }{{opShowJSON, showPath(show.ID)}, {opPage, pagePath(show.ID)}}
		switch cfg.Read {
		case "json":
			kinds = kinds[:1]
		case "page":
			kinds = kinds[1:]
		}
		for k, kind := range kinds {
			cr := &crew{name: kind.op, rate: cfg.Rate / float64(len(kinds))}
			for i := k; i < cfg.Guests; i += len(kinds) {
				cr.workers = append(cr.workers, &reader{
					c: caller{hc: hc, base: base, token: newGuestToken()}, op: kind.op, path: kind.path, t: newTallies(cnt)})
			}
			if len(cr.workers) > 0 {
				crews = append(crews, cr)
			}
		}
	}
	if cfg.Readers > 0 {
		cr := &crew{name: "readers"}
		for range cfg.Readers {
			cr.workers = append(cr.workers, &reader{c: caller{hc: hc, base: base}, op: opReaderGET, path: showPath(show.ID), t: newTallies(cnt)})
		}
		crews = append(crews, cr)
	}

	var watchers *watchCrew
	if cfg.Scenario == ScenarioWatch {
		host := base[len("http://"):]
		watchers, err = connectWatchers(ctx, setup, host, showPath(show.ID)+"/events", cfg.Watchers, sent)
		if err != nil {
			return nil, err
		}
	}

	rss := startRSS(rssPID)
	p := startProgress(bar, cfg.Scenario, cfg.Duration, cnt)
	elapsed := drive(ctx, crews, cfg.Duration)
	p.finish()

	var lastVersion int64
	for _, w := range writers {
		for _, op := range w.ops {
			if op.Result == Acked {
				lastVersion = max(lastVersion, op.Version)
			}
		}
	}
	if watchers != nil {
		watchers.drain(lastVersion, 5*time.Second)
	}
	if mb, err := rss.finish(); err == nil {
		rep.RSSMB = mb
	} else if rep.RSSNote == "" {
		rep.RSSNote = "not seen: " + err.Error()
	}

	var failed int64
	for _, cr := range crews {
		rows := crewRows(cr, elapsed.Seconds())
		for i := range rows {
			rows[i].compare(baseRow)
			failed += rows[i].Errors
		}
		rep.Rows = append(rep.Rows, rows...)
	}
	if watchers != nil {
		var t tally
		ws := watchers.collect(&t)
		rep.Watch = &ws
		row := makeRow(opDelivery, &t, elapsed.Seconds())
		row.compare(baseRow)
		rep.Rows = append(rep.Rows, row)
	}

	if len(writers) > 0 && cfg.Check {
		inv, err := checkFinal(setup, boss, show.ID, writers)
		if err != nil {
			return rep, fmt.Errorf("reading the final state: %w", err)
		}
		rep.Invariant = inv
		if len(inv.Violations) > 0 {
			return rep, ErrViolations
		}
	}
	if rep.Watch != nil && rep.Watch.Gaps > 0 {
		return rep, fmt.Errorf("watchers saw %d events skip a version: %w", rep.Watch.Gaps, ErrViolations)
	}
	if ok := slices.ContainsFunc(rep.Rows, func(r Row) bool { return r.OK > 0 }); !ok && failed > 0 {
		return rep, fmt.Errorf("no operation succeeded against %s (%d errors)", base, failed)
	}
	return rep, nil
}

// startTarget returns the base URL to drive and the process whose memory to
// follow, starting a server in process when there is no --target.
func startTarget(ctx context.Context, cfg Config, rep *Report, stderr io.Writer) (base string, pid int, stop func(), err error) {
	if cfg.Target != "" {
		rep.Server = cfg.Target
		if cfg.ServerPID == 0 {
			rep.RSSNote = "give --server-pid to see the server's memory"
		} else {
			rep.RSSNote = fmt.Sprintf("process %d", cfg.ServerPID)
		}
		return cfg.Target, cfg.ServerPID, func() {}, nil
	}
	cleanup := func() {}
	db := cfg.DB
	engine := "postgres"
	switch {
	case isPostgres(db):
		// TODO(lead): a fresh database per run once server.Start takes a URL.
	case db == "sqlite":
		engine = "sqlite"
		dir, err := os.MkdirTemp("", "boxoffice-load-")
		if err != nil {
			return "", 0, nil, err
		}
		cleanup = func() { _ = os.RemoveAll(dir) }
		db = filepath.Join(dir, "load.db")
	default:
		engine = "sqlite"
		if _, err := os.Stat(db); err == nil {
			return "", 0, nil, fmt.Errorf("--db %s exists; the tool starts on a fresh database, so give a new file", db)
		}
	}
	if cfg.Scenario == ScenarioWatch {
		// Both ends of every stream are in this process.
		if need := uint64(2*cfg.Watchers + 2*cfg.Guests + 256); rep.OpenFile != 0 && need > rep.OpenFile {
			cleanup()
			return "", 0, nil, fmt.Errorf("in process, %d watchers need about %d open files (both ends of each stream) and the limit is %d: "+
				"start boxoffice separately and use --target", cfg.Watchers, need, rep.OpenFile)
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := server.Start(ctx, server.Config{
		Addr: "127.0.0.1:0", DB: db, Demo: true, Location: time.Local,
		LogFormat: "text", LogLevel: slog.LevelWarn, ShutdownTimeout: 5 * time.Second,
	}, log)
	if err != nil {
		cleanup()
		return "", 0, nil, fmt.Errorf("starting boxoffice in process: %w", err)
	}
	rep.Server = "in process (" + engine + ")"
	rep.RSSNote = "in process: the tool's own memory is included"
	return "http://" + srv.URLHost(), os.Getpid(), func() {
		_ = srv.Shutdown()
		cleanup()
	}, nil
}

// seatPool is the seats the guests use, and for groups every run of 2 to 6
// adjacent seats among them (same row, neighbouring places).
func seatPool(cfg Config, seats []seatInfo) (pool []string, groups [][]string, err error) {
	n := cfg.Seats
	if n == 0 {
		n = len(seats)
		if cfg.Scenario == ScenarioHot {
			n = min(4, n)
		}
	}
	if n > len(seats) {
		return nil, nil, fmt.Errorf("--seats %d: the show has only %d seats", n, len(seats))
	}
	if n == 0 {
		return nil, nil, errors.New("the show has no seats")
	}
	for _, s := range seats[:n] {
		pool = append(pool, s.ID)
	}
	if cfg.Scenario != ScenarioGroups {
		return pool, nil, nil
	}
	use := seats[:n]
	for i := range use {
		for k := 2; k <= 6 && i+k <= len(use); k++ {
			last, prev := use[i+k-1], use[i+k-2]
			if last.Row != use[i].Row || last.Y != prev.Y || last.X != prev.X+1 {
				break
			}
			g := make([]string, k)
			for j := range k {
				g[j] = use[i+j].ID
			}
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return nil, nil, fmt.Errorf("no two of the %d seats used are adjacent", n)
	}
	return pool, groups, nil
}

// runBaseline drives an empty handler in this process with conns workers.
func runBaseline(ctx context.Context, cfg Config, conns int, bar *os.File) (Row, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Row{}, fmt.Errorf("baseline: %w", err)
	}
	body := []byte(`{"ok":true}` + "\n")
	hs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	hc := newClient(conns, cfg.Timeout)
	defer hc.CloseIdleConnections()
	cnt := &counts{}
	cr := &crew{name: opBaseline}
	for range conns {
		cr.workers = append(cr.workers, &reader{c: caller{hc: hc, base: "http://" + ln.Addr().String()}, op: opBaseline, path: "/", t: newTallies(cnt)})
	}
	p := startProgress(bar, opBaseline, cfg.Duration, cnt)
	elapsed := drive(ctx, []*crew{cr}, cfg.Duration)
	p.finish()
	rows := crewRows(cr, elapsed.Seconds())
	if len(rows) == 0 || rows[0].OK == 0 {
		return Row{}, errors.New("the baseline answered nothing")
	}
	return rows[0], nil
}

// crewRows merges a crew's tallies into a row per operation, and a total row
// when it did several kinds: the rate ratio goes on the crew's one row or
// on its total.
func crewRows(cr *crew, seconds float64) []Row {
	merged := map[string]*tally{}
	var names []string
	for _, w := range cr.workers {
		for name, t := range w.tallies() {
			if merged[name] == nil {
				merged[name] = &tally{}
				names = append(names, name)
			}
			merged[name].merge(t)
		}
	}
	slices.Sort(names)
	var rows []Row
	total := &tally{}
	for _, name := range names {
		rows = append(rows, makeRow(name, merged[name], seconds))
		total.merge(merged[name])
	}
	if len(rows) > 1 {
		rows = append(rows, makeRow(cr.name+", all", total, seconds))
	}
	if len(rows) > 0 {
		rows[len(rows)-1].Workers = len(cr.workers)
		rows[len(rows)-1].Dropped = cr.dropped.Load()
	}
	return rows
}

// checkFinal reads the show as each writing guest and as nobody, and checks
// the writers' history against it.
func checkFinal(ctx context.Context, c *caller, show string, writers []*writer) (*Invariant, error) {
	final := FinalState{Mine: map[string][]int{}, Booked: map[string]bool{}}
	var anon showMap
	if err := c.getJSON(ctx, showPath(show), &anon); err != nil {
		return nil, err
	}
	for _, s := range anon.Seats {
		if s.Status != "free" {
			final.Booked[s.ID] = true
		}
	}
	var ops []Op
	inv := &Invariant{Violations: []string{}}
	for _, w := range writers {
		var m showMap
		g := caller{hc: c.hc, base: c.base, token: w.c.token}
		if err := g.getJSON(ctx, showPath(show), &m); err != nil {
			return nil, err
		}
		if m.Version != anon.Version {
			inv.Violations = append(inv.Violations, fmt.Sprintf(
				"the show changed while its final state was read (version %d, then %d): another client writes to it, so the check cannot hold",
				anon.Version, m.Version))
		}
		for _, s := range m.Seats {
			if s.Status == "mine" {
				final.Mine[s.ID] = append(final.Mine[s.ID], w.id)
			}
		}
		ops = append(ops, w.ops...)
	}
	v, unverified := Check(ops, final)
	inv.Violations = append(inv.Violations, v...)
	inv.Operations, inv.Unverified = len(ops), unverified
	seats := map[string]bool{}
	for _, op := range ops {
		for _, s := range op.Seats {
			seats[s] = true
		}
	}
	inv.Seats = len(seats)
	return inv, nil
}
