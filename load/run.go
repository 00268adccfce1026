package load

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"time"

	"boxoffice/internal/openfiles"
)

// ErrViolations is returned when the invariant check found a violation.
var ErrViolations = errors.New("the invariant check found violations")

// setupTimeout bounds everything before and after the measured phases:
// starting the server, finding the show, connecting watchers, the final read.
const setupTimeout = 2 * time.Minute

// Run is the boxoffice-load command: it parses args (without the program
// name), drives the server, prints the report to stdout and returns an error
// if the server could not be driven or the invariant check failed. getenv
// gives it BOXOFFICE_METRICS_TOKEN, for a server whose metrics want it.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	cfg, err := ParseConfig(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	rep, err := run(ctx, cfg, getenv, stderr)
	if rep != nil {
		if cfg.JSON {
			_ = rep.WriteJSON(stdout)
		} else {
			_ = rep.WriteText(stdout)
		}
	}
	return err
}

func run(ctx context.Context, cfg Config, getenv func(string) string, stderr io.Writer) (*Report, error) {
	// Unreadable, the limit is 0: the report says so, and startTarget
	// refuses nothing for want of it.
	openFiles, _ := openfiles.Limit()
	rep := &Report{
		Scenario: cfg.Scenario, Guests: cfg.Guests, Readers: cfg.Readers, Rate: cfg.Rate,
		Duration: cfg.Duration.Seconds(), Turn: cfg.Turn.Seconds(), OpenFile: openFiles,
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
	// empty handler, for as long as the scenario, in turns with it.
	cnt := &counts{}
	bl, err := startBaseline(cfg, conns, cnt)
	if err != nil {
		return nil, err
	}
	defer bl.close()

	seed := cfg.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
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

	metricsToken := getenv("BOXOFFICE_METRICS_TOKEN")
	commitsBefore, haveCommits, err := scrapeCommits(setup, hc, base, metricsToken)
	if errors.Is(err, errMetricsToken) {
		rep.Notes = append(rep.Notes, "no commit figures: "+err.Error())
	} else if err != nil {
		return nil, err
	}
	rss := startRSS(rssPID)
	p := startProgress(bar, cfg.Scenario, 2*cfg.Duration, cnt)
	var baseTime, elapsed time.Duration
	for _, d := range turns(cfg.Duration, cfg.Turn) {
		baseTime += drive(ctx, []*crew{bl.crew}, d)
		// With a profile there is one turn each (see Config.validate).
		stopProfile, err := startCPUProfile(cfg.CPUProfile)
		if err != nil {
			p.finish()
			return nil, err
		}
		elapsed += drive(ctx, crews, d)
		if err := stopProfile(); err != nil {
			p.finish()
			return nil, err
		}
	}
	p.finish()
	baseRow, err := bl.row(baseTime.Seconds())
	if err != nil {
		return nil, err
	}
	baseRow.Workers = conns
	rep.Baseline = baseRow
	if haveCommits {
		after, ok, err := scrapeCommits(setup, hc, base, metricsToken)
		if err != nil {
			return nil, err
		}
		if ok {
			rep.Commits = commitsBetween(commitsBefore, after, elapsed.Seconds())
		}
	}

	var lastVersion int64
	for _, w := range writers {
		for _, op := range w.ops {
			if op.Result == Acked {
				lastVersion = max(lastVersion, op.Version)
			}
		}
	}
	if watchers != nil {
		// Events still on their way count: wait for them, within bounds.
		watchers.drain(lastVersion, 10*time.Second+cfg.Duration)
	}
	if kb, err := readStatus(os.Getpid(), "VmHWM:"); err == nil && rssPID != os.Getpid() {
		rep.ToolRSSMB = float64(kb) / 1024
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
		if ws.Behind > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%d watchers had not received the last write's event when the wait for it ended: "+
				"the events still on their way are not in the delivery figures, which are therefore too kind", ws.Behind))
		}
		row := makeRow(opDelivery, &t, elapsed.Seconds())
		row.compare(baseRow)
		rep.Rows = append(rep.Rows, row)
	}

	if len(writers) > 0 && cfg.Check {
		inv, final, err := checkFinal(setup, boss, show, writers)
		if err != nil {
			return rep, fmt.Errorf("reading the final state: %w", err)
		}
		if err := leaveClean(setup, boss, show.ID, writers, final); err != nil {
			rep.Notes = append(rep.Notes, "releasing the guests' seats after the run: "+err.Error())
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

// checkFinal reads the show as each writing guest and as nobody, and checks
// the writers' history against it.
func checkFinal(ctx context.Context, c *caller, before showMap, writers []*writer) (*Invariant, FinalState, error) {
	show := before.ID
	final := FinalState{Mine: map[string][]int{}, Booked: map[string]bool{}, Before: map[string]bool{}}
	for _, s := range before.Seats {
		if s.Status != "free" {
			final.Before[s.ID] = true
		}
	}
	var anon showMap
	if err := c.getJSON(ctx, showPath(show), &anon); err != nil {
		return nil, final, err
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
			return nil, final, err
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
	return inv, final, nil
}

// leaveClean releases the seats the guests hold at the end, so that the next
// run on the same server starts from the same free seats.
func leaveClean(ctx context.Context, c *caller, show string, writers []*writer, final FinalState) error {
	for seat, guests := range final.Mine {
		for _, g := range guests {
			w := caller{hc: c.hc, base: c.base, token: writers[g].c.token}
			status, err := w.do(ctx, http.MethodDelete, seatPath(show, seat), nil)
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("seat %s: status %d", seat, status)
			}
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// startCPUProfile profiles this process into path until the returned stop;
// an empty path profiles nothing.
func startCPUProfile(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		return nil
	}, nil
}
