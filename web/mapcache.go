package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"maps"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"boxoffice"
	"boxoffice/live"
)

// The seat map's JSON is rendered once per show version and shared by every
// viewer; a viewer holding seats gets a copy with those seats' status
// changed to "mine". To make that a patch in place rather than a re-render,
// every status value is padded with spaces to one width (JSON allows
// whitespace between tokens), so each seat's status sits at a fixed offset.
//
// Each cached show follows the live hub through a watcher: the changes the
// hub's feed reads from the store once are applied to the map as well, so a
// change is read from the database once per process. A request asks the hub
// whether a commit newer than the cached version has been heard of (every
// local commit is, before it is acknowledged; on PostgreSQL every other
// instance's, by NOTIFY) and, if so, takes the feed's events until the map
// has it. The store is read only on first use, when the map fell too far
// behind, or while the hub cannot vouch for what it heard (its listener
// reconnecting). Requests that find the map behind at once share one
// refresh.

const (
	// statusWidth fits the longest status, "booked" with its quotes.
	statusWidth = 8
	// feedWait bounds how long a refresh waits for the feed to publish a
	// commit it has been told of before reading the store itself.
	feedWait = time.Second
	// refreshTimeout bounds a refresh, which callers share.
	refreshTimeout = 5 * time.Second
)

var paddedStatus = map[boxoffice.Status][]byte{}

func init() {
	for _, st := range []boxoffice.Status{boxoffice.StatusFree, boxoffice.StatusBooked, boxoffice.StatusMine} {
		b := append(strconv.AppendQuote(nil, string(st)), "        "...)
		paddedStatus[st] = b[:statusWidth]
	}
}

// seatMaps caches each show's latest rendered map.
type seatMaps struct {
	store   boxoffice.Store
	hub     *live.Hub
	ctx     context.Context // cancelled by close: ends refreshes
	cancel  context.CancelFunc
	refresh singleflight.Group

	mu     sync.Mutex
	shows  map[boxoffice.ShowID]*followed // only shows that exist
	closed bool
}

// followed is one show's cached map and the watcher that keeps it current.
type followed struct {
	current atomic.Pointer[renderedMap]

	mu    sync.Mutex    // held by a refresh throughout, and by close
	watch *live.Watcher // nil when not following
}

func newSeatMaps(store boxoffice.Store, hub *live.Hub) *seatMaps {
	ctx, cancel := context.WithCancel(context.Background())
	return &seatMaps{store: store, hub: hub, ctx: ctx, cancel: cancel, shows: map[boxoffice.ShowID]*followed{}}
}

// renderedMap is one show's map at one version, as seen by a viewer holding
// none of its seats. It is never modified once published.
type renderedMap struct {
	*skeleton
	version int64
	gen     uint64 // the hub's generation under which version was current
	holders map[boxoffice.SeatID]boxoffice.Guest
	seats   []byte // the seats array, statuses padded

	mu    sync.Mutex
	heads [2][]byte        // the object up to the seats, by open (0 closed, 1 open)
	grids [2]template.HTML // the page's seat grid for a viewer holding none, by open
	pages [2][]byte        // the whole page for such a viewer, by open
}

// skeleton is what never changes for a show: the show and the offset of
// each seat's status in the seats array.
type skeleton struct {
	show boxoffice.Show
	at   map[boxoffice.SeatID]int

	mu    sync.Mutex
	grids [2]*seatGrid // by open
}

// How fresh a map a request needs.
type freshness bool

const (
	// heard: every commit the hub has heard of, which is every local
	// commit, and another instance's once its NOTIFY has arrived.
	heard freshness = false
	// committed: every commit the store holds, on any instance: the map
	// is checked against the store's change log.
	committed freshness = true
)

// current returns the show's map at its latest committed version, as fresh
// as need says.
func (c *seatMaps) current(ctx context.Context, id boxoffice.ShowID, need freshness) (*renderedMap, error) {
	if need == heard {
		c.mu.Lock()
		f := c.shows[id]
		c.mu.Unlock()
		if f != nil {
			if m := f.current.Load(); fresh(c.hub, m) {
				return m, nil
			}
		}
	}
	key := string(id)
	if need == committed {
		key += "\x00committed" // ids have no control characters
	}
	ch := c.refresh.DoChan(key, func() (any, error) { return c.update(id, need) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.(*renderedMap), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// fresh tells whether m is the show's latest version, as far as the hub
// can vouch.
func fresh(hub *live.Hub, m *renderedMap) bool {
	latest, gen, ok := hub.Latest(m.show.ID)
	return ok && m.gen == gen && latest <= m.version
}

// update brings the show's cached map up to date, loading it on first use.
// Calls for one show take turns (its lock); the singleflight group lets
// callers who need the same share one.
func (c *seatMaps) update(id boxoffice.ShowID, need freshness) (*renderedMap, error) {
	ctx, cancel := context.WithTimeout(c.ctx, refreshTimeout)
	defer cancel()
	c.mu.Lock()
	f := c.shows[id]
	c.mu.Unlock()
	if f == nil {
		return c.load(ctx, id, &followed{})
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	m := f.current.Load()
	if need == heard && fresh(c.hub, m) {
		return m, nil // brought up to date while this call waited its turn
	}
	latest, gen, ok := c.hub.Latest(id)
	if f.watch == nil || latest-m.version > maxReplay {
		return c.load(ctx, id, f)
	}
	var events []*live.Event
	var err error
	if need == heard && ok && gen == m.gen {
		events, err = waitForFeed(ctx, f.watch, latest)
	} else {
		// Commits may have gone unheard, or not yet be heard: the store
		// says what the feed cannot vouch for.
		events, err = f.watch.CatchUp(ctx)
	}
	if err != nil {
		f.watch.Close()
		f.watch = nil
		if !errors.Is(err, live.ErrSlow) && !errors.Is(err, live.ErrClosed) {
			return nil, err
		}
		// Nobody asked for this map while its buffer filled up, or the
		// hub is closing: read the map from the store.
		return c.load(ctx, id, f)
	}
	if programmeChanged(events) {
		// The show itself changed (title, time, sales, its hall's layout):
		// everything rendered from it is stale, so it is read afresh.
		f.watch.Close()
		f.watch = nil
		return c.load(ctx, id, f)
	}
	m = m.apply(events, gen)
	f.current.Store(m)
	return m, nil
}

// waitForFeed takes the watcher's events until it has delivered version
// latest, waiting for the feed at most feedWait; then it reads the store.
func waitForFeed(ctx context.Context, w *live.Watcher, latest int64) ([]*live.Event, error) {
	var out []*live.Event
	timeout := time.NewTimer(feedWait)
	defer timeout.Stop()
	for w.Version() < latest {
		select {
		case e, ok := <-w.C():
			events, err := w.Next(ctx, e, ok, maxReplay)
			out = append(out, events...)
			if err != nil {
				return out, err
			}
		case <-timeout.C:
			events, err := w.CatchUp(ctx)
			return append(out, events...), err
		case <-ctx.Done():
			return out, ctx.Err()
		}
	}
	return out, nil
}

// load reads the show's map whole and starts following it, in f, whose
// lock the caller holds unless f is new.
func (c *seatMaps) load(ctx context.Context, id boxoffice.ShowID, f *followed) (*renderedMap, error) {
	var m *renderedMap
	var watch *live.Watcher
	for {
		_, gen, _ := c.hub.Latest(id) // read before the map, so never newer than it
		sm, err := c.store.SeatMap(ctx, id)
		if err != nil {
			return nil, err
		}
		m = render(sm)
		m.gen = gen
		w, missed, err := c.hub.Watch(ctx, id, m.version, m.version)
		switch {
		case errors.Is(err, live.ErrClosed):
			return m, nil // shutting down: serve what was read, follow nothing
		case err != nil:
			return nil, err
		}
		if programmeChanged(missed) {
			// The show changed between the read and the watch: read it
			// again, since a seat change cannot be applied to a show
			// rendered before it. Programme changes are rare; this ends.
			w.Close()
			continue
		}
		m, watch = m.apply(missed, gen), w
		break
	}
	f.watch = watch
	f.current.Store(m)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		watch.Close()
		f.watch = nil
		return m, nil
	}
	c.shows[id] = f
	return m, nil
}

// programmeChanged tells whether events hold a change of the show itself.
func programmeChanged(events []*live.Event) bool {
	for _, e := range events {
		if e.Programme {
			return true
		}
	}
	return false
}

// close stops following the shows and ends refreshes in flight.
func (c *seatMaps) close() {
	c.cancel()
	c.mu.Lock()
	c.closed = true
	shows := slices.Collect(maps.Values(c.shows))
	c.mu.Unlock()
	for _, f := range shows {
		f.mu.Lock() // a refresh in flight ends soon: its context is cancelled
		if f.watch != nil {
			f.watch.Close()
			f.watch = nil
		}
		f.mu.Unlock()
	}
}

// render builds a show's map from scratch.
func render(m boxoffice.SeatMap) *renderedMap {
	f := &skeleton{show: m.Show, at: make(map[boxoffice.SeatID]int, len(m.Show.Hall.Layout.Seats))}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, seat := range m.Show.Hall.Layout.Seats {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"id":`)
		writeJSONString(&b, string(seat.ID))
		b.WriteString(`,"row":`)
		writeJSONString(&b, seat.Row)
		b.WriteString(`,"number":` + strconv.Itoa(seat.Number) + `,"kind":`)
		writeJSONString(&b, string(seat.Kind))
		b.WriteString(`,"status":`)
		f.at[seat.ID] = b.Len()
		b.Write(paddedStatus[boxoffice.StatusFor(m.Holders[seat.ID], "")])
		b.WriteString(`,"x":` + strconv.Itoa(seat.X) + `,"y":` + strconv.Itoa(seat.Y) + `}`)
	}
	b.WriteByte(']')
	return &renderedMap{skeleton: f, version: m.Version, holders: m.Holders, seats: b.Bytes()}
}

func writeJSONString(b *bytes.Buffer, s string) {
	j, _ := json.Marshal(s) // a string: cannot fail
	b.Write(j)
}

// apply returns the map after events, which follow r's version in order,
// delivered under the hub's generation gen.
func (r *renderedMap) apply(events []*live.Event, gen uint64) *renderedMap {
	if len(events) == 0 {
		if r.gen == gen {
			return r
		}
		// The same map, now vouched for by the current generation; its
		// holders and seats are never modified, so they can be shared.
		return &renderedMap{skeleton: r.skeleton, version: r.version, gen: gen, holders: r.holders, seats: r.seats}
	}
	next := &renderedMap{skeleton: r.skeleton, gen: gen, holders: maps.Clone(r.holders), seats: bytes.Clone(r.seats)}
	for _, e := range events {
		for _, sc := range e.Seats {
			if sc.Holder == "" {
				delete(next.holders, sc.Seat)
			} else {
				next.holders[sc.Seat] = sc.Holder
			}
			if at, ok := next.at[sc.Seat]; ok {
				copy(next.seats[at:], paddedStatus[boxoffice.StatusFor(sc.Holder, "")])
			}
		}
		next.version = e.Version
	}
	return next
}

// mine lists the seats viewer holds.
func (r *renderedMap) mine(viewer boxoffice.Guest) []boxoffice.SeatID {
	var ids []boxoffice.SeatID
	for seat, holder := range r.holders {
		if holder == viewer {
			ids = append(ids, seat)
		}
	}
	return ids
}

// seatsFor is the seats array as viewer sees it.
func (r *renderedMap) seatsFor(viewer boxoffice.Guest) []byte {
	mine := r.mine(viewer)
	if len(mine) == 0 {
		return r.seats
	}
	b := bytes.Clone(r.seats)
	for _, seat := range mine {
		copy(b[r.at[seat]:], paddedStatus[boxoffice.StatusMine])
	}
	return b
}

// head is the show's JSON object up to its seats member, whose value
// follows: `{"id":…,"layout":{…},"seats":`.
func (r *renderedMap) head(s *server) []byte {
	i := 0
	if r.show.OpenAt(s.Now()) {
		i = 1
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.heads[i] == nil {
		b, _ := json.Marshal(s.showHead(r.show, r.version, len(r.holders)))
		r.heads[i] = append(b[:len(b)-1], `,"seats":`...)
	}
	return r.heads[i]
}

// grid is the page's seat grid as viewer sees it, and the viewer's seats.
func (r *renderedMap) grid(s *server, open bool, viewer boxoffice.Guest) (template.HTML, []boxoffice.SeatID, error) {
	i := 0
	if open {
		i = 1
	}
	r.skeleton.mu.Lock()
	g := r.skeleton.grids[i]
	if g == nil {
		var err error
		if g, err = s.pages.seatGrid(&r.show.Hall.Layout, open); err != nil {
			r.skeleton.mu.Unlock()
			return "", nil, err
		}
		r.skeleton.grids[i] = g
	}
	r.skeleton.mu.Unlock()
	if len(r.mine(viewer)) > 0 {
		html, mine := g.draw(r.holders, viewer)
		return html, mine, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.grids[i] == "" {
		r.grids[i], _ = g.draw(r.holders, "")
	}
	return r.grids[i], nil, nil
}

// page returns the cached page for a viewer holding no seat, rendering it
// with render on first use; nil if rendering failed.
func (r *renderedMap) page(open bool, render func() []byte) []byte {
	i := 0
	if open {
		i = 1
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pages[i] == nil {
		r.pages[i] = render()
	}
	return r.pages[i]
}
