package load

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
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
	rep := newReport(cfg)
	bases, rssPID, stop, err := startTarget(ctx, cfg, rep, stderr)
	if err != nil {
		return nil, err
	}
	defer stop()
	setup, cancelSetup := context.WithTimeout(ctx, setupTimeout)
	defer cancelSetup()

	conns := cfg.Guests + cfg.Readers
	src := newSources(cfg.SourceAddrs, conns, cfg.Timeout)
	defer src.close()
	// The tool's own requests (the show, the final state, the metrics) go
	// from the address the system chooses, apart from the guests'.
	hc := newClient(1, cfg.Timeout, nil)
	defer hc.CloseIdleConnections()
	boss := &caller{hc: hc, base: bases[0]}
	if cfg.Scenario == ScenarioOnsale {
		return runOnsale(ctx, setup, cfg, rep, bases, rssPID, boss, getenv, stderr)
	}
	show, pool, groups, err := chooseSeats(setup, cfg, boss)
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

	tr := newTraffic(cfg, src, bases, show.ID, pool, groups, cnt)
	if cfg.Scenario == ScenarioWatch {
		tr.watchers, err = connectWatchers(ctx, setup, hosts(bases), showPath(show.ID)+"/events", cfg.Watchers, cfg.SourceAddrs, tr.sent)
		if err != nil {
			return nil, err
		}
	}

	commits, err := startCommits(setup, hc, cfg, bases, getenv("BOXOFFICE_METRICS_TOKEN"), rep)
	if err != nil {
		return nil, err
	}
	rss := startRSS(rssPID)
	p := startProgress(progressBar(cfg, stderr), cfg.Scenario, 2*cfg.Duration, cnt)
	baseTime, elapsed, err := driveInTurns(ctx, cfg, bl.crew, tr.crews)
	p.finish()
	if err != nil {
		return nil, err
	}
	baseRow, err := bl.row(baseTime.Seconds())
	if err != nil {
		return nil, err
	}
	baseRow.Workers = conns
	rep.Baseline = baseRow
	if err := commits.finish(setup, rep, elapsed.Seconds()); err != nil {
		return nil, err
	}

	if tr.watchers != nil {
		// Events still on their way count: wait for them, within bounds.
		tr.watchers.drain(lastAcked(tr.writers), 10*time.Second+cfg.Duration)
	}
	recordMemory(rep, rss, rssPID)
	failed := tr.addRows(rep, baseRow, elapsed.Seconds())
	return rep, judge(setup, cfg, rep, boss, []showMap{show}, tr.writers, failed)
}

// newReport starts the report with what the configuration and the machine
// say, before anything runs.
func newReport(cfg Config) *Report {
	// Unreadable, the limit is 0: the report says so, and startTarget
	// refuses nothing for want of it.
	openFiles, _ := openfiles.Limit()
	rep := &Report{
		Scenario: cfg.Scenario, Guests: cfg.Guests, Readers: cfg.Readers, Rate: cfg.Rate,
		Duration: cfg.Duration.Seconds(), Turn: cfg.Turn.Seconds(), OpenFile: openFiles,
		Machine: fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version()),
	}
	if cfg.SourceAddrs > 1 {
		rep.SourceAddrs = cfg.SourceAddrs
	}
	if cfg.Scenario == ScenarioWatch || cfg.Scenario == ScenarioOnsale {
		rep.Watchers = cfg.Watchers
	}
	return rep
}

// progressBar returns where the progress bar goes, or nil for none.
func progressBar(cfg Config, stderr io.Writer) *os.File {
	if f, ok := stderr.(*os.File); ok && (cfg.Progress == "on" || cfg.Progress == "auto" && isTerminal(f)) {
		return f
	}
	return nil
}

// chooseSeats finds the show to drive and the seats (and, for groups, the
// runs of adjacent seats) the guests use.
func chooseSeats(ctx context.Context, cfg Config, boss *caller) (show showMap, pool []string, groups [][]string, err error) {
	show, err = pickShow(ctx, boss, cfg.Show)
	if err != nil {
		return show, nil, nil, fmt.Errorf("cannot drive %s: %w", boss.base, err)
	}
	pool, groups, err = seatPool(cfg, show.Seats)
	return show, pool, groups, err
}

// traffic is what the scenario phase sends: crews of guests and readers,
// and for watch the event-stream watchers and the send times their
// delivery latency is measured from.
type traffic struct {
	writers  []*writer // the guests who book and release, whose history the invariant check reads
	crews    []*crew
	sent     *sendTimes // watch only
	watchers *watchCrew // watch only, once connected
}

// newTraffic makes the crews the scenario asks for, each guest with its own
// cookie and, for writers, its own random choices from seed; guests and
// readers take the targets in turn.
func newTraffic(cfg Config, src *sources, bases []string, show string, pool []string, groups [][]string, cnt *counts) *traffic {
	tr := &traffic{}
	seed := cfg.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	if cfg.Scenario == ScenarioWatch {
		tr.sent = newSendTimes()
	}
	switch cfg.Scenario {
	case ScenarioHot, ScenarioSpread, ScenarioGroups, ScenarioWatch:
		cr := &crew{name: "guests", rate: cfg.Rate}
		for i := range cfg.Guests {
			w := &writer{
				id: i, c: caller{hc: src.client(i), base: bases[i%len(bases)], token: newGuestToken()}, show: show,
				seats: pool, groups: groups, rng: rand.New(rand.NewPCG(uint64(seed), uint64(i))),
				t: newTallies(cnt), sent: tr.sent,
			}
			tr.writers = append(tr.writers, w)
			cr.workers = append(cr.workers, w)
		}
		tr.crews = append(tr.crews, cr)
	case ScenarioRead:
		kinds := []struct{ op, path string }{{opShowJSON, showPath(show)}, {opPage, pagePath(show)}}
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
					c: caller{hc: src.client(i), base: bases[i%len(bases)], token: newGuestToken()}, op: kind.op, path: kind.path, t: newTallies(cnt)})
			}
			if len(cr.workers) > 0 {
				tr.crews = append(tr.crews, cr)
			}
		}
	}
	if cfg.Readers > 0 {
		cr := &crew{name: "readers"}
		for i := range cfg.Readers {
			j := cfg.Guests + i
			cr.workers = append(cr.workers, &reader{c: caller{hc: src.client(j), base: bases[j%len(bases)]}, op: opReaderGET, path: showPath(show), t: newTallies(cnt)})
		}
		tr.crews = append(tr.crews, cr)
	}
	return tr
}

// driveInTurns drives the baseline and the scenario in turns, for
// cfg.Duration each, and returns how long each was driven.
func driveInTurns(ctx context.Context, cfg Config, baseline *crew, crews []*crew) (baseTime, elapsed time.Duration, err error) {
	for _, d := range turns(cfg.Duration, cfg.Turn) {
		baseTime += drive(ctx, []*crew{baseline}, d)
		// With a profile there is one turn each (see Config.validate).
		stopProfile, err := startCPUProfile(cfg.CPUProfile)
		if err != nil {
			return 0, 0, err
		}
		elapsed += drive(ctx, crews, d)
		if err := stopProfile(); err != nil {
			return 0, 0, err
		}
	}
	return baseTime, elapsed, nil
}

// hosts is the host:port of each base URL.
func hosts(bases []string) []string {
	hs := make([]string, len(bases))
	for i, b := range bases {
		hs[i] = strings.TrimPrefix(b, "http://")
	}
	return hs
}

// lastAcked returns the highest version a write was acknowledged with.
func lastAcked(writers []*writer) int64 {
	var last int64
	for _, w := range writers {
		for _, op := range w.ops {
			if op.Result == Acked {
				last = max(last, op.Version)
			}
		}
	}
	return last
}

// recordMemory puts the server's peak memory in the report, and the tool's
// own when the server is another process.
func recordMemory(rep *Report, rss *rssSampler, rssPID int) {
	if kb, err := readStatus(os.Getpid(), "VmHWM:"); err == nil && rssPID != os.Getpid() {
		rep.ToolRSSMB = float64(kb) / 1024
	}
	if mb, err := rss.finish(); err == nil {
		rep.RSSMB = mb
	} else if rep.RSSNote == "" {
		rep.RSSNote = "not seen: " + err.Error()
	}
}

// addRows puts each crew's figures in the report, and the watchers' delivery,
// each beside the baseline, and returns how many operations failed.
func (tr *traffic) addRows(rep *Report, baseRow Row, seconds float64) (failed int64) {
	for _, cr := range tr.crews {
		rows := crewRows(cr, seconds)
		for i := range rows {
			rows[i].compare(baseRow)
			failed += rows[i].Errors
		}
		rep.Rows = append(rep.Rows, rows...)
	}
	if tr.watchers != nil {
		var t tally
		ws := tr.watchers.collect(&t)
		rep.Watch = &ws
		if ws.Behind > 0 {
			rep.Notes = append(rep.Notes, fmt.Sprintf("%d watchers had not received the last write's event when the wait for it ended: "+
				"the events still on their way are not in the delivery figures, which are therefore too kind", ws.Behind))
		}
		row := makeRow(opDelivery, &t, seconds)
		row.compare(baseRow)
		rep.Rows = append(rep.Rows, row)
	}
	return failed
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
