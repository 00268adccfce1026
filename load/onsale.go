package load

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// Step names of onsale's rows; its releases are the other scenarios'
// "release" and its watchers' events their "event delivery".
const (
	opMap     = "map"
	opBooking = "booking"
)

// onsaleRun lets guests in on the schedule and keeps their history.
type onsaleRun struct {
	cfg   Config
	bases []string
	shows []string // the premiere first, whose watchers sent serves
	sent  *sendTimes
	cnt   *counts
	seed  uint64
	// slots holds the free source addresses; its size bounds the guests
	// alive at once.
	slots chan int

	mu      sync.Mutex
	writers []*writer       // every guest that came in, by id
	arrived []time.Duration // when each came in, by the schedule
	alive   int
	stats   Onsale
}

func newOnsaleRun(cfg Config, bases []string, shows []showMap, sent *sendTimes, cnt *counts) *onsaleRun {
	seed := cfg.Seed
	if seed == 0 {
		seed = time.Now().UnixNano()
	}
	o := &onsaleRun{cfg: cfg, bases: bases, sent: sent, cnt: cnt, seed: uint64(seed), slots: make(chan int, cfg.Guests)}
	for _, s := range shows {
		o.shows = append(o.shows, s.ID)
	}
	// The watchers have the first addresses.
	for i := range cfg.Guests {
		o.slots <- cfg.Watchers + i
	}
	o.stats = Onsale{Arrivals: cfg.Arrivals, RampSec: cfg.Ramp.Seconds(), ThinkSec: cfg.Think.Seconds(), MaxAlive: cfg.Guests,
		Shows: newOnsaleShows(shows)}
	for _, s := range o.stats.Shows {
		o.stats.Seats += s.Seats
	}
	return o
}

// run lets the guests in for --duration, waits for those on their way (at
// most grace), and returns how long it all took.
func (o *onsaleRun) run(ctx context.Context) time.Duration {
	start := time.Now()
	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	sched := rampSchedule{rate: o.cfg.Arrivals, ramp: o.cfg.Ramp, duration: o.cfg.Duration}
	sched.arrive(ctx, start, func(k int, intended time.Time) {
		o.stats.Scheduled++
		select {
		case slot := <-o.slots:
			g := o.admit(slot, intended.Sub(start))
			wg.Go(func() {
				defer func() { o.slots <- slot }()
				f := g.visit(gctx, intended)
				g.w.c.hc.CloseIdleConnections()
				o.leave(g, f, gctx.Err() != nil)
			})
		default:
			o.stats.Dropped++
		}
	})
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	grace := time.NewTimer(2*o.cfg.Think + 3*o.cfg.Timeout)
	defer grace.Stop()
	select {
	case <-done:
	case <-grace.C:
		cancel()
		<-done
	}
	o.stats.PerSecond = o.rateReached()
	o.stats.PerMinute = 60 * o.stats.PerSecond
	return time.Since(start)
}

// admit makes guest number len(writers), arriving at offset, with its own
// cookie, source address and connection, the next target in turn, and the
// show nextShow gives it. Only the premiere's guests tell the watchers when
// they sent a write: the versions of other shows are other counts.
func (o *onsaleRun) admit(slot int, offset time.Duration) *guest {
	o.mu.Lock()
	defer o.mu.Unlock()
	id := len(o.writers)
	show := nextShow(o.stats.Shows)
	o.stats.Shows[show].Guests++
	w := &writer{
		id: id, c: caller{hc: newClient(1, o.cfg.Timeout, sourceDialer(slot)), base: o.bases[id%len(o.bases)], token: newGuestToken()},
		show: o.shows[show], rng: rand.New(rand.NewPCG(o.seed, uint64(id))), t: newTallies(o.cnt),
	}
	if show == 0 {
		w.sent = o.sent
	}
	o.writers = append(o.writers, w)
	o.arrived = append(o.arrived, offset)
	o.stats.Arrived++
	o.alive++
	o.stats.PeakAlive = max(o.stats.PeakAlive, o.alive)
	return &guest{w: w, think: o.cfg.Think, stats: &o.stats, mu: &o.mu}
}

func (o *onsaleRun) leave(g *guest, f fate, cut bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.alive--
	if cut {
		o.stats.CutOff++
		return
	}
	o.stats.Finished++
	switch f {
	case fateBooked:
		o.stats.Booked++
	case fateSoldOut:
		o.stats.SoldOut++
	case fateGaveUp:
		o.stats.GaveUp++
	default:
		o.stats.Failed++
	}
}

// rateReached is guests come in a second after the ramp, or over the ramp's
// last second when it lasted the run.
func (o *onsaleRun) rateReached() float64 {
	from := min(o.cfg.Ramp, o.cfg.Duration-time.Second)
	if from < 0 {
		from = 0
	}
	n := 0
	for _, at := range o.arrived {
		if at >= from {
			n++
		}
	}
	return float64(n) / (o.cfg.Duration - from).Seconds()
}

// runOnsale is the onsale scenario, from the shows to the invariant check.
func runOnsale(ctx, setup context.Context, cfg Config, rep *Report, bases []string, rssPID int, boss *caller,
	getenv func(string) string, stderr io.Writer) (*Report, error) {
	shows, err := pickShows(setup, boss, cfg.Show, cfg.Shows)
	if err != nil {
		return nil, fmt.Errorf("cannot drive %s: %w", boss.base, err)
	}
	premiere := shows[0]
	rep.Show, rep.Seats = premiere.ID, len(premiere.Seats)
	rep.Notes = append(rep.Notes, "onsale has no baseline: its figures are latencies at an arrival rate, not ratios to an empty handler")
	sent, cnt := newSendTimes(), &counts{}
	var watchers *watchCrew
	if cfg.Watchers > 0 {
		// Watcher i dials from address i; the guests take the ones after.
		// They all watch the premiere, as most people would on its day.
		watchers, err = connectWatchers(ctx, setup, hosts(bases), showPath(premiere.ID)+"/events", cfg.Watchers, cfg.Watchers, sent)
		if err != nil {
			return nil, err
		}
	}
	commits, err := startCommits(setup, boss.hc, cfg, bases, getenv("BOXOFFICE_METRICS_TOKEN"), rep)
	if err != nil {
		return nil, err
	}
	rss := startRSS(rssPID)
	o := newOnsaleRun(cfg, bases, shows, sent, cnt)
	p := startProgress(progressBar(cfg, stderr), cfg.Scenario, cfg.Duration, cnt)
	stopProfile, err := startCPUProfile(cfg.CPUProfile)
	if err != nil {
		return nil, err
	}
	elapsed := o.run(ctx).Seconds()
	if err := stopProfile(); err != nil {
		return nil, err
	}
	p.finish()
	if err := commits.finish(setup, rep, elapsed); err != nil {
		return nil, err
	}
	if watchers != nil {
		watched := slices.DeleteFunc(slices.Clone(o.writers), func(w *writer) bool { return w.show != premiere.ID })
		watchers.drain(lastAcked(watched), 10*time.Second)
	}
	for i, s := range shows {
		var after showMap
		if err := boss.getJSON(setup, showPath(s.ID), &after); err != nil {
			return nil, fmt.Errorf("reading show %s after the run: %w", s.ID, err)
		}
		o.stats.Shows[i].Sold = seatsSold(s, after)
		o.stats.SeatsSold += o.stats.Shows[i].Sold
	}
	rep.Onsale, rep.Guests = &o.stats, o.stats.Arrived
	recordMemory(rep, rss, rssPID)

	tr := &traffic{writers: o.writers, watchers: watchers}
	tr.crews = []*crew{{name: "guests"}}
	for _, w := range o.writers {
		tr.crews[0].workers = append(tr.crews[0].workers, w)
	}
	failed := tr.addRows(rep, Row{}, elapsed)
	// The steps in a visit's order, without the crew's total: map, booking
	// and release are no one kind of work to add up.
	order := []string{opMap, opBooking, opRelease, opDelivery}
	rep.Rows = slices.DeleteFunc(rep.Rows, func(r Row) bool { return !slices.Contains(order, r.Name) })
	slices.SortStableFunc(rep.Rows, func(a, b Row) int {
		return cmp.Compare(slices.Index(order, a.Name), slices.Index(order, b.Name))
	})
	return rep, judge(setup, cfg, rep, boss, shows, o.writers, failed)
}

// seatsSold is how many seats free in before are held in after.
func seatsSold(before, after showMap) int {
	was := map[string]string{}
	for _, s := range before.Seats {
		was[s.ID] = s.Status
	}
	n := 0
	for _, s := range after.Seats {
		if s.Status != "free" && was[s.ID] == "free" {
			n++
		}
	}
	return n
}
