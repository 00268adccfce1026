package web

import (
	"bytes"
	"context"
	"encoding/json"
	"html/template"
	"maps"
	"strconv"
	"sync"

	"boxoffice"
	"boxoffice/live"
)

// The seat map's JSON is rendered once per show version and shared by every
// viewer; a viewer holding seats gets a copy with those seats' status
// changed to "mine". To make that a patch in place rather than a re-render,
// every status value is padded with spaces to one width (JSON allows
// whitespace between tokens), so each seat's status sits at a fixed offset.
//
// A request asks the live hub whether a commit newer than the cached version
// has been heard of (every local commit is, before it is acknowledged, and on
// PostgreSQL every other instance's by NOTIFY). Only then, or while the hub
// cannot vouch for what it heard (its listener reconnecting), does it ask the
// store whether the version moved (ChangesSince from the cached version: one
// small read) and patch the changed seats; a full SeatMap read happens only
// on first use or when too far behind. A guest sees their own booking on the
// next request; another instance's, as soon as its NOTIFY arrives.

// statusWidth fits the longest status, "booked" with its quotes.
const statusWidth = 8

var paddedStatus = map[boxoffice.Status][]byte{}

func init() {
	for _, st := range []boxoffice.Status{boxoffice.StatusFree, boxoffice.StatusBooked, boxoffice.StatusMine} {
		b := append(strconv.AppendQuote(nil, string(st)), "        "...)
		paddedStatus[st] = b[:statusWidth]
	}
}

// seatMaps caches each show's latest rendered map.
type seatMaps struct {
	mu    sync.Mutex
	shows map[boxoffice.ShowID]*renderedMap
}

// renderedMap is one show's map at one version, as seen by a viewer holding
// none of its seats. It is never modified once published.
type renderedMap struct {
	*frame
	version int64
	gen     uint64 // the hub's generation when version was read
	holders map[boxoffice.SeatID]boxoffice.Guest
	seats   []byte // the seats array, statuses padded

	mu    sync.Mutex
	heads [2][]byte        // the object up to the seats, by open (0 closed, 1 open)
	grids [2]template.HTML // the page's seat grid for a viewer holding none, by open
	pages [2][]byte        // the whole page for such a viewer, by open
}

// frame is what never changes for a show: the show and the offset of each
// seat's status in the seats array.
type frame struct {
	show boxoffice.Show
	at   map[boxoffice.SeatID]int

	mu    sync.Mutex
	grids [2]*seatGrid // by open
}

// current returns the show's map at its latest committed version.
func (c *seatMaps) current(ctx context.Context, store boxoffice.Store, hub *live.Hub, id boxoffice.ShowID) (*renderedMap, error) {
	c.mu.Lock()
	old := c.shows[id]
	c.mu.Unlock()
	latest, gen, ok := hub.Latest(id)
	if old != nil && ok && old.gen == gen && latest <= old.version {
		return old, nil // nothing newer has committed
	}
	if old == nil {
		return c.reload(ctx, store, id, gen)
	}
	changes, err := store.ChangesSince(ctx, id, old.version, maxReplay)
	if err != nil {
		return nil, err
	}
	if len(changes) == maxReplay {
		return c.reload(ctx, store, id, gen)
	}
	next := old.apply(changes, gen)
	c.publish(id, next)
	return next, nil
}

// reload reads the show's map whole; gen is the hub's generation read
// before.
func (c *seatMaps) reload(ctx context.Context, store boxoffice.Store, id boxoffice.ShowID, gen uint64) (*renderedMap, error) {
	m, err := store.SeatMap(ctx, id)
	if err != nil {
		return nil, err
	}
	r := render(m)
	r.gen = gen
	c.publish(id, r)
	return r, nil
}

// publish caches r unless a newer version is cached already.
func (c *seatMaps) publish(id boxoffice.ShowID, r *renderedMap) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.shows == nil {
		c.shows = map[boxoffice.ShowID]*renderedMap{}
	}
	if old := c.shows[id]; old == nil || old.version < r.version || old.version == r.version && old.gen < r.gen {
		c.shows[id] = r
	}
}

// render builds a show's map from scratch.
func render(m boxoffice.SeatMap) *renderedMap {
	f := &frame{show: m.Show, at: make(map[boxoffice.SeatID]int, len(m.Show.Hall.Layout.Seats))}
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
	return &renderedMap{frame: f, version: m.Version, holders: m.Holders, seats: b.Bytes()}
}

func writeJSONString(b *bytes.Buffer, s string) {
	j, _ := json.Marshal(s) // a string: cannot fail
	b.Write(j)
}

// apply returns the map after changes, which follow r's version in order,
// read under the hub's generation gen.
func (r *renderedMap) apply(changes []boxoffice.Change, gen uint64) *renderedMap {
	if len(changes) == 0 {
		if r.gen == gen {
			return r
		}
		// The same map, now vouched for by the current generation; its
		// holders and seats are never modified, so they can be shared.
		return &renderedMap{frame: r.frame, version: r.version, gen: gen, holders: r.holders, seats: r.seats}
	}
	next := &renderedMap{frame: r.frame, gen: gen, holders: maps.Clone(r.holders), seats: bytes.Clone(r.seats)}
	for _, c := range changes {
		for _, sc := range c.Seats {
			if sc.Holder == "" {
				delete(next.holders, sc.Seat)
			} else {
				next.holders[sc.Seat] = sc.Holder
			}
			if at, ok := next.at[sc.Seat]; ok {
				copy(next.seats[at:], paddedStatus[boxoffice.StatusFor(sc.Holder, "")])
			}
		}
		next.version = c.Version
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

// appendFor appends the whole seat map as viewer sees it, without a newline.
func (r *renderedMap) appendFor(b []byte, s *server, viewer boxoffice.Guest) []byte {
	b = append(b, r.head(s)...)
	b = append(b, r.seatsFor(viewer)...)
	return append(b, '}')
}

// grid is the page's seat grid as viewer sees it, and the viewer's seats.
func (r *renderedMap) grid(s *server, open bool, viewer boxoffice.Guest) (template.HTML, []boxoffice.SeatID, error) {
	i := 0
	if open {
		i = 1
	}
	r.frame.mu.Lock()
	g := r.frame.grids[i]
	if g == nil {
		var err error
		if g, err = s.pages.seatGrid(&r.show.Hall.Layout, open); err != nil {
			r.frame.mu.Unlock()
			return "", nil, err
		}
		r.frame.grids[i] = g
	}
	r.frame.mu.Unlock()
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
