package stream

import (
	"context"
	"errors"
	"sync"
	"time"

	"boxoffice"
	"boxoffice/live"
)

// A group writes one show's events to its taken-over streams, each with one
// write that never waits: an event costs a system call per watcher and no
// goroutine wake-up. Each show has up to one group per core.
type group struct {
	engine *Engine
	key    groupKey
	watch  *live.Watcher // touched only by run
	wake   chan struct{} // a stream left, or the engine is closing
	halt   chan struct{} // closed by stop
	once   sync.Once

	mu      sync.Mutex
	conns   map[*conn]struct{}
	version int64 // the last version written to every stream
	ended   bool
	list    []*conn // run's copy of conns
}

var heartbeatChunk = chunk(heartbeat)

type groupKey struct {
	show  boxoffice.ShowID
	shard int
}

// add hands c over to a group of its show, which from now on writes it
// everything after c.version. watch is the handler's subscription, taken at
// c.version or before; add owns it.
func (e *Engine) add(show boxoffice.ShowID, c *conn, watch *live.Watcher) {
	for {
		e.mu.Lock()
		if e.closed {
			e.mu.Unlock()
			watch.Close()
			c.close(ClosedServer)
			return
		}
		key := groupKey{show, e.next % e.shards}
		e.next++
		g := e.groups[key]
		if g == nil {
			// The new group carries on with the handler's subscription.
			g = &group{engine: e, key: key, watch: watch, version: c.version,
				conns: map[*conn]struct{}{c: {}}, wake: make(chan struct{}, 1), halt: make(chan struct{})}
			e.groups[key] = g
			e.wg.Add(1)
			e.mu.Unlock()
			c.joined(g)
			go g.run()
			return
		}
		e.mu.Unlock()
		if g.join(c, watch) {
			return
		}
		// The group ended as this stream came: try again with a new one.
	}
}

// join adds c once it has caught up with the group, writing it what it lacks
// from its own subscription. It reports false when the group has ended, c
// untouched.
func (g *group) join(c *conn, watch *live.Watcher) bool {
	for {
		g.mu.Lock()
		if g.ended {
			g.mu.Unlock()
			return false
		}
		if c.version >= g.version {
			g.conns[c] = struct{}{}
			g.mu.Unlock()
			c.joined(g)
			watch.Close()
			return true
		}
		target := g.version
		g.mu.Unlock()
		// Whatever the group wrote was published to watch too.
		for c.version < target {
			var err error
			end := false
			select {
			case ev, ok := <-watch.C():
				var events []*live.Event
				events, err = g.next(watch, ev, ok)
				if err == nil {
					err, end = g.catchUp(c, events)
				}
			case <-g.engine.ctx.Done():
				err = live.ErrClosed
			}
			if err != nil || end {
				watch.Close()
				if end {
					c.close(ClosedCancelled)
				} else {
					c.close(whyFailed(err))
				}
				return true
			}
		}
	}
}

// catchUp writes c what it lacks of events, waiting for it; end reports
// that the show was cancelled.
func (g *group) catchUp(c *conn, events []*live.Event) (err error, end bool) {
	ctx, cancel := context.WithTimeout(g.engine.ctx, writeTimeout)
	defer cancel()
	frames, last, end, err := g.engine.render(ctx, g.key.show, events, c.viewer, c.version)
	c.version = last
	if len(frames) > 0 {
		if werr := c.writeBlocking(chunk(frames...)); werr != nil {
			return werr, false
		}
	}
	return err, end
}

// next is watch.Next, bounded in time and ended by the engine's Close.
func (g *group) next(watch *live.Watcher, ev *live.Event, ok bool) ([]*live.Event, error) {
	ctx, cancel := context.WithTimeout(g.engine.ctx, writeTimeout)
	defer cancel()
	return watch.Next(ctx, ev, ok, maxBatch)
}

// run writes every event to every stream, and keep-alives, until the last
// stream leaves, the hub closes or the engine stops it.
func (g *group) run() {
	defer g.engine.wg.Done()
	heartbeats := time.NewTicker(g.engine.cfg.Heartbeat)
	defer heartbeats.Stop()
	for {
		select {
		case ev, ok := <-g.watch.C():
			events, err := g.next(g.watch, ev, ok)
			if derr := g.deliver(events); derr != nil {
				// The show changed and cannot be read: every stream
				// reconnects and starts from a fresh snapshot.
				g.engine.cfg.Logger.Warn("event streams cannot follow a programme change", "show", g.key.show, "err", derr)
				g.end()
				return
			}
			if err != nil && !g.resubscribe(err) {
				g.end()
				return
			}
		case <-heartbeats.C:
			for _, c := range g.members() {
				c.write(heartbeatChunk)
			}
		case <-g.wake:
		case <-g.halt:
			g.end()
			return
		}
		if g.leaveIfEmpty() {
			return
		}
	}
}

// resubscribe replaces a subscription the hub dropped, as too slow, from the
// group's last version: the streams go on without a gap. It reports false when
// that is impossible: the hub is closed, or the change log cannot be read.
func (g *group) resubscribe(err error) bool {
	g.watch.Close()
	if !errors.Is(err, live.ErrSlow) {
		if !errors.Is(err, live.ErrClosed) && g.engine.ctx.Err() == nil {
			g.engine.cfg.Logger.Warn("event streams cannot catch up", "show", g.key.show, "err", err)
		}
		return false
	}
	ctx, cancel := context.WithTimeout(g.engine.ctx, writeTimeout)
	defer cancel()
	last := g.watch.Version()
	w, missed, err := g.engine.cfg.Hub.Watch(ctx, g.key.show, last, last)
	if err != nil {
		if !errors.Is(err, live.ErrClosed) && g.engine.ctx.Err() == nil {
			g.engine.cfg.Logger.Warn("event streams cannot resubscribe", "show", g.key.show, "err", err)
		}
		return false
	}
	g.watch = w
	if err := g.deliver(missed); err != nil {
		g.engine.cfg.Logger.Warn("event streams cannot follow a programme change", "show", g.key.show, "err", err)
		return false
	}
	return true
}

// members returns the group's streams, in a slice reused by the next call.
func (g *group) members() []*conn {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.membersLocked()
}

// membersLocked is members for a caller holding g.mu.
func (g *group) membersLocked() []*conn {
	g.list = g.list[:0]
	for c := range g.conns {
		g.list = append(g.list, c)
	}
	return g.list
}

// deliver writes events to every stream: seat changes, and a snapshot
// (or the cancelled event) for a change of the show itself. An error means
// the show changed but could not be read.
func (g *group) deliver(events []*live.Event) error {
	for len(events) > 0 {
		i := 0
		for i < len(events) && !events[i].Programme {
			i++
		}
		g.deliverSeats(events[:i])
		if i == len(events) {
			return nil
		}
		if err := g.deliverProgramme(events[i]); err != nil {
			return err
		}
		events = events[i+1:]
	}
	return nil
}

// deliverProgramme writes every stream the show as it is after programme
// change ev, or, if it was cancelled, the cancelled event, closing them.
// Streams are written in turn, each with one write that never waits, so
// the one snapshot that viewers holding no seat share is made once.
func (g *group) deliverProgramme(ev *live.Event) error {
	ctx, cancel := context.WithTimeout(g.engine.ctx, writeTimeout)
	defer cancel()
	snap, err := g.engine.snapshot(ctx, g.key.show, ev)
	if err != nil {
		return err
	}
	conns := g.members()
	if snap.Cancelled {
		framed := chunk(cancelledEvent(g.key.show, snap.Version))
		for _, c := range conns {
			c.write(framed)
			c.close(ClosedCancelled)
		}
		return nil
	}
	var shared []byte
	for _, c := range conns {
		if c.version >= ev.Version {
			continue // its own snapshot, taken since, has the change
		}
		pieces, own := snap.Data(c.viewer)
		switch {
		case own:
			c.write(chunk(snapshotEvent(snap.Version, pieces)))
		case shared == nil:
			shared = chunk(snapshotEvent(snap.Version, pieces))
			fallthrough
		default:
			c.write(shared)
		}
		c.version = max(c.version, snap.Version)
	}
	g.mu.Lock()
	g.version = max(g.version, snap.Version)
	g.mu.Unlock()
	return nil
}

// deliverSeats writes seat changes to every stream. Most streams are at
// the group's version and hold none of the seats: they share one chunk.
func (g *group) deliverSeats(events []*live.Event) {
	g.mu.Lock()
	// What a snapshot showed already, every stream has.
	for len(events) > 0 && events[0].Version <= g.version {
		events = events[1:]
	}
	if len(events) == 0 {
		g.mu.Unlock()
		return
	}
	from := g.version
	g.version = events[len(events)-1].Version
	conns := g.membersLocked()
	g.mu.Unlock()

	holders := map[boxoffice.Guest]bool{}
	shared := make([][]byte, len(events))
	for i, ev := range events {
		for _, sc := range ev.Seats {
			holders[sc.Holder] = true
		}
		shared[i] = sharedEvent(ev)
	}
	framed := chunk(shared...)
	for _, c := range conns {
		if c.version == from && !holders[c.viewer] {
			c.write(framed)
			c.version = g.version
		} else {
			c.write(c.framesFor(events))
		}
	}
}

// framesFor is the chunk of the events after c.version as c's viewer sees
// them; nil when there are none.
func (c *conn) framesFor(events []*live.Event) []byte {
	var out [][]byte
	for _, ev := range events {
		if ev.Version <= c.version {
			continue
		}
		out = append(out, eventFor(ev, c.viewer))
		c.version = ev.Version
	}
	if len(out) == 0 {
		return nil
	}
	return chunk(out...)
}

// leaveIfEmpty ends the group when it has no stream left.
func (g *group) leaveIfEmpty() bool {
	e := g.engine
	e.mu.Lock()
	defer e.mu.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.conns) > 0 {
		return false
	}
	g.ended = true
	if e.groups[g.key] == g {
		delete(e.groups, g.key)
	}
	g.watch.Close()
	return true
}

// stop makes run end the group: the engine is closing.
func (g *group) stop() { g.once.Do(func() { close(g.halt) }) }

// end closes every stream: the hub or the engine closed, or the log cannot
// be read.
func (g *group) end() {
	e := g.engine
	e.mu.Lock()
	g.mu.Lock()
	g.ended = true
	if e.groups[g.key] == g {
		delete(e.groups, g.key)
	}
	conns := g.conns
	g.conns = map[*conn]struct{}{}
	g.mu.Unlock()
	e.mu.Unlock()
	g.watch.Close()
	for c := range conns {
		c.close(ClosedServer)
	}
}

func (g *group) remove(c *conn) {
	g.mu.Lock()
	delete(g.conns, c)
	empty := len(g.conns) == 0
	g.mu.Unlock()
	if empty {
		select {
		case g.wake <- struct{}{}:
		default:
		}
	}
}
