package load

import (
	"cmp"
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"
)

// How onsale's guests behave, as people at a premiere's on-sale might.
const (
	onsaleTries  = 3   // bookings a guest tries, each from a fresh map after a conflict, before giving up
	releaseShare = 0.2 // guests who release seats after booking
	rebookShare  = 0.5 // of those, guests who book again elsewhere
)

// fate is how a guest's visit ended.
type fate int

const (
	fateFailed fate = iota
	fateBooked
	fateSoldOut
	fateGaveUp
)

// guest is one visitor: a writer for its bookings and releases, whose
// history the invariant check reads.
type guest struct {
	w     *writer
	think time.Duration
	stats *Onsale // Released and Rebooked, under mu
	mu    *sync.Mutex
}

// visit is the guest's visit, from the map to leaving.
func (g *guest) visit(ctx context.Context, intended time.Time) fate {
	m, ok := g.readMap(ctx, intended)
	if !ok {
		return fateFailed
	}
	party := 1 + g.w.rng.IntN(4)
	if !g.pause(ctx) {
		return fateFailed
	}
	held, f := g.book(ctx, m, party)
	if f != fateBooked || g.w.rng.Float64() >= releaseShare || !g.pause(ctx) {
		return f
	}
	// Second thoughts: one seat, or all of them.
	n := len(held)
	if g.w.rng.IntN(2) == 0 {
		n = 1
	}
	released := 0
	for _, seat := range held[len(held)-n:] {
		if res, _ := g.w.write(ctx, time.Now(), opRelease, http.MethodDelete, seatPath(g.w.show, seat), nil, []string{seat}, false); res == Acked {
			released++
		}
	}
	if released == 0 {
		return f
	}
	g.count(&g.stats.Released)
	if g.w.rng.Float64() < rebookShare {
		if m, ok := g.readMap(ctx, time.Now()); ok {
			if _, again := g.book(ctx, m, released); again == fateBooked {
				g.count(&g.stats.Rebooked)
			}
		}
	}
	return f
}

func (g *guest) count(n *int) {
	g.mu.Lock()
	*n++
	g.mu.Unlock()
}

// book tries to book party adjacent free seats of the map m as one group,
// all or nothing. After a conflict, a limit or an answer lost, it reads the
// map again and picks other seats, as a person would, up to onsaleTries
// times; it returns the seats booked.
func (g *guest) book(ctx context.Context, m showMap, party int) ([]string, fate) {
	for try := 0; ; try++ {
		run := pickRun(m.Seats, party, g.w.rng)
		switch {
		case run == nil:
			return nil, fateSoldOut
		case try == onsaleTries:
			return nil, fateGaveUp
		}
		body, _ := json.Marshal(map[string][]string{"seats": run})
		res, limited := g.w.write(ctx, time.Now(), opBooking, http.MethodPost, showPath(g.w.show)+"/bookings", body, run, true)
		if res == Acked {
			return run, fateBooked
		}
		if limited {
			// The page says when to try again; the guest waits that long.
			select {
			case <-time.After(retryAfter(g.w.c.header)):
			case <-ctx.Done():
				return nil, fateFailed
			}
		}
		var ok bool
		if m, ok = g.readMap(ctx, time.Now()); !ok {
			return nil, fateFailed
		}
		if res == Uncertain && holdsAll(m, run) {
			// The lost answer's booking went through.
			return run, fateBooked
		}
	}
}

// holdsAll says whether the map, as the guest sees it, has every seat of run
// its.
func holdsAll(m showMap, run []string) bool {
	mine := map[string]bool{}
	for _, s := range m.Seats {
		if s.Status == "mine" {
			mine[s.ID] = true
		}
	}
	for _, s := range run {
		if !mine[s] {
			return false
		}
	}
	return true
}

// readMap loads the show's map as the guest, a "map" step timed from
// intended.
func (g *guest) readMap(ctx context.Context, intended time.Time) (showMap, bool) {
	var m showMap
	status, err := g.w.c.do(ctx, http.MethodGet, showPath(g.w.show), nil)
	o := readOutcome(status, err)
	if o == outcomeOK && json.Unmarshal(g.w.c.buf.Bytes(), &m) != nil {
		o = outcomeError
	}
	g.w.t.record(opMap, intended, o)
	return m, o == outcomeOK
}

// pause is a person looking at the map: from a quarter of think to all of
// it. It says false if ctx ended first.
func (g *guest) pause(ctx context.Context) bool {
	if g.think <= 0 {
		return ctx.Err() == nil
	}
	d := g.think/4 + time.Duration(g.w.rng.Int64N(int64(g.think-g.think/4)+1))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// pickRun picks at random one run of party free seats side by side in a
// row (neighbouring places on the hall's grid), leaving out wheelchair
// spaces, which a guest without a wheelchair does not take; nil if there
// is none.
func pickRun(seats []seatInfo, party int, rng *rand.Rand) []string {
	s := slices.Clone(seats)
	slices.SortFunc(s, func(a, b seatInfo) int { return cmp.Or(cmp.Compare(a.Y, b.Y), cmp.Compare(a.X, b.X)) })
	var starts []int
	n := 0 // free seats side by side so far
	for i, st := range s {
		if st.Status != "free" || st.Kind == "wheelchair" {
			n = 0
			continue
		}
		if n > 0 && (s[i-1].Y != st.Y || s[i-1].X+1 != st.X || s[i-1].Row != st.Row) {
			n = 0
		}
		n++
		if n >= party {
			starts = append(starts, i-party+1)
		}
	}
	if len(starts) == 0 {
		return nil
	}
	i := starts[rng.IntN(len(starts))]
	run := make([]string, party)
	for j := range party {
		run[j] = s[i+j].ID
	}
	return run
}
