package web

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"runtime"
	"strconv"
	"sync"
	"time"

	"boxoffice"
	"boxoffice/live"
)

// Event streams over HTTP/1.1 are taken over from net/http once their
// snapshot is out (see handleEvents): net/http keeps two goroutines and two
// 4 kB buffers per connection, some 40 kB a stream in all, where a taken-over
// stream costs its socket and a small struct, some 3 kB. A few groups per show then write every
// event to all their streams, each with one non-blocking write: an event
// costs a system call per watcher and no goroutine wake-up.
//
// The response is already chunked when it is taken over, so everything
// written afterwards is framed as HTTP/1.1 chunks.

const (
	// maxBacklog is how much a stream may have waiting while its client
	// catches up before it is closed as too slow (it reconnects and resumes):
	// some 60 events beyond what the sockets hold, and at most 160 MB should
	// all of 10,000 clients stall at once (for writeTimeout at most).
	maxBacklog = 16 << 10
	// maxBatch bounds how many waiting events one pass writes.
	maxBatch = 256
)

var (
	heartbeatChunk = chunk([]byte(": keep-alive\n\n"))
	lastChunk      = []byte("0\r\n\r\n")
	errWouldBlock  = errors.New("web: write would block")
)

// chunk frames b as one HTTP/1.1 chunk.
func chunk(b []byte) []byte {
	out := make([]byte, 0, len(b)+12)
	out = strconv.AppendInt(out, int64(len(b)), 16)
	out = append(out, "\r\n"...)
	out = append(out, b...)
	return append(out, "\r\n"...)
}

// unchunk returns the data of one chunk made by chunk.
func unchunk(c []byte) []byte {
	return c[bytes.IndexByte(c, '\n')+1 : len(c)-2]
}

// streamSet is every taken-over stream, in groups of one show each.
type streamSet struct {
	hub       *live.Hub
	log       *slog.Logger
	heartbeat time.Duration
	lifetime  time.Duration
	shards    int

	mu     sync.Mutex
	groups map[groupKey]*streamGroup
	next   int
}

type groupKey struct {
	show  boxoffice.ShowID
	shard int
}

func newStreamSet(hub *live.Hub, log *slog.Logger, heartbeat, lifetime time.Duration) *streamSet {
	return &streamSet{hub: hub, log: log, heartbeat: heartbeat, lifetime: lifetime,
		// One group per core: writing is system calls, which run in parallel.
		shards: runtime.GOMAXPROCS(0), groups: map[groupKey]*streamGroup{}}
}

// add hands st over to a group of its show, which from now on writes it
// everything after st.version. watch is the handler's subscription, taken
// at st.version or before; add owns it.
func (set *streamSet) add(show boxoffice.ShowID, st *rawStream, watch *live.Watcher) {
	for {
		set.mu.Lock()
		key := groupKey{show, set.next % set.shards}
		set.next++
		g := set.groups[key]
		if g == nil {
			// The new group carries on with the handler's subscription.
			g = &streamGroup{set: set, key: key, watch: watch, version: st.version,
				streams: map[*rawStream]struct{}{st: {}}, wake: make(chan struct{}, 1)}
			set.groups[key] = g
			set.mu.Unlock()
			st.joined(g)
			go g.run()
			return
		}
		set.mu.Unlock()
		if g.join(st, watch) {
			return
		}
		// The group ended as this stream came: try again with a new one.
	}
}

// streamGroup writes one show's events to its streams.
type streamGroup struct {
	set   *streamSet
	key   groupKey
	watch *live.Watcher // touched only by run
	wake  chan struct{} // a stream left

	mu      sync.Mutex
	streams map[*rawStream]struct{}
	version int64 // the last version written to every stream
	ended   bool
	list    []*rawStream // run's copy of streams
}

// join adds st once it has caught up with the group, writing it what it
// lacks from its own subscription. It reports false when the group has
// ended, st untouched.
func (g *streamGroup) join(st *rawStream, watch *live.Watcher) bool {
	for {
		g.mu.Lock()
		if g.ended {
			g.mu.Unlock()
			return false
		}
		if st.version >= g.version {
			g.streams[st] = struct{}{}
			g.mu.Unlock()
			st.joined(g)
			watch.Close()
			return true
		}
		target := g.version
		g.mu.Unlock()
		// Whatever the group wrote was published to watch too.
		for watch.Version() < target {
			e, ok := <-watch.C()
			var events []*live.Event
			var err error = live.ErrSlow
			if ok {
				ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
				events, err = watch.Accept(ctx, e)
				cancel()
			}
			if err == nil {
				err = st.writeBlocking(st.framesFor(events))
			}
			if err != nil {
				watch.Close()
				st.close(whyFailed(err))
				return true
			}
		}
		st.version = watch.Version()
	}
}

// run writes every event to every stream, and keep-alives, until the last
// stream leaves or the hub closes.
func (g *streamGroup) run() {
	heartbeat := time.NewTicker(g.set.heartbeat)
	defer heartbeat.Stop()
	for {
		select {
		case e, ok := <-g.watch.C():
			var events []*live.Event
			if ok {
				events, ok = g.accept(e)
			}
			if !ok && !g.resubscribe(&events) {
				g.end()
				return
			}
			g.deliver(events)
		case <-heartbeat.C:
			for _, st := range g.snapshot() {
				st.write(heartbeatChunk)
			}
		case <-g.wake:
		}
		if g.leaveIfEmpty() {
			return
		}
	}
}

// accept takes e and whatever else is waiting.
func (g *streamGroup) accept(e *live.Event) ([]*live.Event, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	var out []*live.Event
	for {
		events, err := g.watch.Accept(ctx, e)
		if err != nil {
			g.set.log.Warn("event streams cannot catch up", "show", g.key.show, "err", err)
			return out, false
		}
		out = append(out, events...)
		if len(out) >= maxBatch {
			return out, true
		}
		var ok bool
		select {
		case e, ok = <-g.watch.C():
			if !ok {
				return out, false
			}
		default:
			return out, true
		}
	}
}

// resubscribe replaces a subscription the hub dropped, as too slow, from the
// group's last version: the streams go on without a gap. It reports false when
// that is impossible, the hub being closed.
func (g *streamGroup) resubscribe(events *[]*live.Event) bool {
	last := g.watch.Version()
	g.watch.Close()
	if errors.Is(g.watch.Err(), live.ErrClosed) {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	w, missed, err := g.set.hub.Watch(ctx, g.key.show, last)
	if err != nil {
		if !errors.Is(err, live.ErrClosed) {
			g.set.log.Warn("event streams cannot resubscribe", "show", g.key.show, "err", err)
		}
		return false
	}
	g.watch = w
	*events = append(*events, missed...)
	return true
}

// snapshot returns the group's streams, in a slice reused by the next call.
func (g *streamGroup) snapshot() []*rawStream {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.list = g.list[:0]
	for st := range g.streams {
		g.list = append(g.list, st)
	}
	return g.list
}

// deliver writes events to every stream. Most streams are at the group's
// version and hold none of the seats, and get one shared buffer.
func (g *streamGroup) deliver(events []*live.Event) {
	if len(events) == 0 {
		return
	}
	g.mu.Lock()
	from := g.version
	g.version = events[len(events)-1].Version
	g.list = g.list[:0]
	for st := range g.streams {
		g.list = append(g.list, st)
	}
	streams := g.list
	g.mu.Unlock()

	holders := map[boxoffice.Guest]bool{}
	var shared []byte
	for _, e := range events {
		for _, sc := range e.Seats {
			holders[sc.Holder] = true
		}
		shared = append(shared, sharedChunk(e)...)
	}
	if len(events) == 1 {
		shared = sharedChunk(events[0]) // no copy
	}
	for _, st := range streams {
		if st.version == from && !holders[st.viewer] {
			st.write(shared)
			st.version = g.version
		} else {
			st.write(st.framesFor(events))
		}
	}
}

// leaveIfEmpty ends the group when it has no stream left.
func (g *streamGroup) leaveIfEmpty() bool {
	g.set.mu.Lock()
	defer g.set.mu.Unlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.streams) > 0 {
		return false
	}
	g.ended = true
	if g.set.groups[g.key] == g {
		delete(g.set.groups, g.key)
	}
	g.watch.Close()
	return true
}

// end closes every stream: the hub closed, or the log cannot be read.
func (g *streamGroup) end() {
	g.set.mu.Lock()
	g.mu.Lock()
	g.ended = true
	if g.set.groups[g.key] == g {
		delete(g.set.groups, g.key)
	}
	streams := g.streams
	g.streams = map[*rawStream]struct{}{}
	g.mu.Unlock()
	g.set.mu.Unlock()
	g.watch.Close()
	for st := range streams {
		st.close(ClosedServer)
	}
}

func (g *streamGroup) remove(st *rawStream) {
	g.mu.Lock()
	delete(g.streams, st)
	empty := len(g.streams) == 0
	g.mu.Unlock()
	if empty {
		select {
		case g.wake <- struct{}{}:
		default:
		}
	}
}

// sharedChunk is e as every viewer holding none of its seats gets it.
func sharedChunk(e *live.Event) []byte {
	return e.Shared(func(c boxoffice.Change) []byte { return chunk(seatsFrame(c, "")) })
}
