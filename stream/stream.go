// Package stream serves a show's seat changes as Server-Sent Events, to
// thousands of watchers at once.
//
// A stream starts in its net/http handler: the headers, then a snapshot or
// the changes the client missed. Over plain HTTP/1.1 its connection is then
// taken over (group.go): net/http keeps two goroutines and two 4 kB buffers
// per connection, some 40 kB a stream, where a taken-over stream costs its
// socket and a small struct, some 3 kB; a few groups per show write every
// event to all their streams, each with one write that never waits. Anywhere
// else (HTTP/2, TLS, a platform without non-blocking writes) the handler goes
// on serving the stream itself (plain.go): write an event, flush.
//
// Both paths follow the show through a live.Watcher, the one routine that
// delivers each change once and in order, filling gaps from the store.
package stream

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime"
	"strconv"
	"sync"
	"time"

	"boxoffice"
	"boxoffice/limit"
	"boxoffice/live"
)

// Why a stream ended. In every case but the first the browser reconnects and
// resumes from the last event it has.
const (
	ClosedLeft     = "left"     // the guest went away: the page closed, the network dropped
	ClosedSlow     = "slow"     // too far behind: the guest's connection did not take the events in time
	ClosedLifetime = "lifetime" // the stream's lifetime (Config.Lifetime) ran out
	ClosedServer   = "server"   // the server is shutting down, or could not read the show's changes
	// ClosedCancelled: the show was cancelled; the stream's last event said
	// so, and the browser does not reconnect.
	ClosedCancelled = "cancelled"
)

const (
	// writeTimeout bounds each write that waits for a client, so that one
	// that stopped reading cannot hold a goroutine for long.
	writeTimeout = 10 * time.Second
	// maxBatch bounds how many events one pass takes from a subscription.
	maxBatch = 256
)

// Observer hears streams start and end, for metrics.
type Observer interface {
	StreamOpened()
	// StreamClosed is called once per opened stream; why is a Closed* reason.
	StreamClosed(why string)
	// StreamTakeoverFailed is called when a plain HTTP/1.1 stream could not
	// be taken over from net/http and stays with its handler, costing some
	// ten times the memory: a middleware hiding Unwrap, say.
	StreamTakeoverFailed()
}

// Config is what the engine needs.
type Config struct {
	Hub    *live.Hub
	Logger *slog.Logger
	// Heartbeat is how often an idle stream gets a comment, so that proxies
	// do not cut it. Default 15s.
	Heartbeat time.Duration
	// Lifetime bounds one stream; the browser then reconnects and resumes.
	// Default 30 minutes.
	Lifetime time.Duration
	// Observer hears every stream; nil hears nothing.
	Observer Observer
	// MaxStreamsPerClient bounds the streams open at once for one client
	// (Request.Client), MaxStreams those of all clients together; 0 is no
	// bound. A stream holds its slot from before it is served until it ends.
	MaxStreamsPerClient int
	MaxStreams          int
	// Snapshot reads a show afresh for the streams that meet a change of
	// the show itself; nil ends those streams instead (their browsers
	// reconnect and start from a snapshot).
	Snapshot SnapshotFunc
}

// Engine serves event streams until it is closed.
type Engine struct {
	cfg    Config
	ctx    context.Context // cancelled by Close: ends catch-up reads
	cancel context.CancelFunc
	shards int
	warn   sync.Once // a failed takeover is logged once, counted always
	slots  *limit.Counter

	mu     sync.Mutex
	closed bool
	groups map[groupKey]*group
	next   int
	// wg counts every goroutine that serves streams: handlers in Serve,
	// groups, drains. Close waits for them.
	wg sync.WaitGroup
}

// New returns an engine serving streams of cfg.Hub's shows.
func New(cfg Config) *Engine {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = 15 * time.Second
	}
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = 30 * time.Minute
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	// One group per core and show: writing is system calls, which run in
	// parallel.
	return &Engine{cfg: cfg, ctx: ctx, cancel: cancel, shards: runtime.GOMAXPROCS(0), groups: map[groupKey]*group{},
		slots: limit.NewCounter(cfg.MaxStreamsPerClient, cfg.MaxStreams)}
}

type nopObserver struct{}

func (nopObserver) StreamOpened()         {}
func (nopObserver) StreamClosed(string)   {}
func (nopObserver) StreamTakeoverFailed() {}

// Request is one stream as the web handler parsed it.
type Request struct {
	Show   boxoffice.ShowID
	Viewer boxoffice.Guest
	// Version is the show's version as last read: the snapshot's.
	Version int64
	// From is the last version the client has; Version with a snapshot.
	From int64
	// Snapshot is the data of the snapshot event, in pieces that are
	// written as they are (not copied: with thousands of watchers
	// connecting, copies of a 30 kB map add up); nil to resume from From.
	Snapshot [][]byte
	// Client is what the caps per client count against: the key
	// (limit.Key) of the client's address.
	Client netip.Prefix
}

// ErrClosed is Serve's answer once the engine is closing: nothing was
// written, and the client should reconnect in a moment.
var ErrClosed = boxoffice.Errorf(boxoffice.EUNAVAILABLE, "The server is shutting down; reconnect in a moment")

// Codes of Serve's refusals at a cap, for the web layer to map.
const (
	CodeTooManyStreams = "too_many_streams" // the client is at Config.MaxStreamsPerClient
	CodeServerBusy     = "server_busy"      // the server is at Config.MaxStreams
)

// Serve's refusals at a cap: nothing was written, and the client should try
// again later. errors.Is matches them by code.
var (
	ErrTooManyStreams = boxoffice.Errorf(CodeTooManyStreams,
		"Your network has as many live seat maps open as one address may; close one or try again in a few seconds")
	ErrServerBusy = boxoffice.Errorf(CodeServerBusy,
		"The box office is serving as many live seat maps as it can; try again in a few seconds")
)

// refusal is Serve's error for a cap met, as limit.Counter reports it.
func refusal(err error) error {
	if errors.Is(err, limit.ErrTotal) {
		return ErrServerBusy
	}
	return ErrTooManyStreams
}

// Serve streams req's show to the client until it leaves, falls behind, its
// lifetime ends or the engine closes, or hands the connection over to a
// group and returns. An error means nothing was written: the caller answers
// it.
func (e *Engine) Serve(w http.ResponseWriter, r *http.Request, req Request) error {
	if !e.enter() {
		return ErrClosed
	}
	defer e.wg.Done()
	if r.Method == http.MethodHead {
		// The headers say what a GET would get now, a refusal included;
		// holding the request open, or a slot, would keep them for
		// nothing.
		if err := e.slots.Check(req.Client); err != nil {
			return refusal(err)
		}
		setHeaders(w)
		w.WriteHeader(http.StatusOK)
		return nil
	}
	if err := e.slots.Acquire(req.Client); err != nil {
		return refusal(err)
	}
	ctx, stop := e.streamContext(r.Context())
	defer stop()
	watch, missed, err := e.cfg.Hub.Watch(ctx, req.Show, req.From, req.Version)
	if err != nil {
		e.slots.Release(req.Client)
		if errors.Is(err, live.ErrClosed) {
			return ErrClosed
		}
		return err
	}
	setHeaders(w)
	w.WriteHeader(http.StatusOK)
	e.cfg.Observer.StreamOpened()
	closed := e.closer(req.Client)

	// The first event also sets the browser's reconnection delay: inside
	// it, so that the snapshot really is the first event a client reads.
	first := [][]byte{[]byte("retry: 2000\n")}
	if req.Snapshot != nil {
		first = append(first, eventStart("snapshot", req.Version))
		first = append(first, req.Snapshot...)
		first = append(first, []byte("\n\n"))
	}
	frames, version, end, err := e.render(ctx, req.Show, missed, req.Viewer, req.From)
	if len(frames) == 0 && req.Snapshot == nil {
		first = append(first, []byte("\n")) // the delay alone
	}
	first = append(first, frames...)
	out := &plainWriter{w: w, rc: http.NewResponseController(w)}
	out.write(first...)
	if ferr := out.flush(); ferr != nil || err != nil || end {
		watch.Close()
		switch {
		case ferr != nil:
			closed(whyFailed(ferr))
		case err != nil:
			closed(e.whyEnded(ctx, req.Show, err))
		default:
			closed(ClosedCancelled)
		}
		return nil
	}
	if st := e.takeOver(w, r, req.Viewer, version, closed); st != nil {
		e.add(req.Show, st, watch)
		return nil
	}
	why := e.follow(ctx, out, watch, req.Viewer, version)
	watch.Close()
	closed(why)
	return nil
}

// closer returns what ends an opened stream of client k, on whichever path
// it ends: it gives the slot back, then tells the observer, once. The slot
// goes first so that whoever hears a stream end finds its slot free.
func (e *Engine) closer(k netip.Prefix) func(why string) {
	var once sync.Once
	return func(why string) {
		once.Do(func() {
			e.slots.Release(k)
			e.cfg.Observer.StreamClosed(why)
		})
	}
}

func setHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // nginx: pass events through as they come
}

// enter counts a new stream's handler in, unless the engine is closing.
func (e *Engine) enter() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.wg.Add(1)
	return true
}

// streamContext is ctx, also ended when the engine closes.
func (e *Engine) streamContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(e.ctx, cancel)
	return ctx, func() { stop(); cancel() }
}

// Close ends every stream (cleanly, so that browsers reconnect and resume),
// refuses new ones with ErrClosed and returns once every goroutine serving
// streams has stopped: then nothing reads the hub or the store on a
// stream's behalf. Every call waits.
func (e *Engine) Close() {
	e.mu.Lock()
	if !e.closed {
		e.closed = true
		e.cancel()
	}
	groups := make([]*group, 0, len(e.groups))
	for _, g := range e.groups {
		groups = append(groups, g)
	}
	e.mu.Unlock()
	for _, g := range groups {
		g.stop()
	}
	e.wg.Wait()
}

// whyFailed is why a stream ends after a write or its subscription failed:
// too slow, the hub closing, or else the connection is gone.
func whyFailed(err error) string {
	switch {
	case errors.Is(err, errSlow) || errors.Is(err, live.ErrSlow) || errors.Is(err, context.DeadlineExceeded):
		return ClosedSlow
	case errors.Is(err, live.ErrClosed):
		return ClosedServer
	}
	return ClosedLeft
}

// whyEnded is why a stream ends after its watch failed with err.
func (e *Engine) whyEnded(ctx context.Context, show boxoffice.ShowID, err error) string {
	switch {
	case errors.Is(err, live.ErrSlow):
		return ClosedSlow
	case errors.Is(err, live.ErrClosed) || e.ctx.Err() != nil:
		return ClosedServer
	case ctx.Err() != nil:
		return ClosedLeft
	}
	e.cfg.Logger.Warn("event stream cannot catch up", "show", show, "err", err)
	return ClosedServer
}

// The wire format.

var heartbeat = []byte(": keep-alive\n\n")

// eventStart is an event's lines up to its data, which the caller writes and
// ends with "\n\n".
func eventStart(name string, id int64) []byte {
	b := append([]byte("event: "), name...)
	b = append(b, "\nid: "...)
	b = strconv.AppendInt(b, id, 10)
	return append(b, "\ndata: "...)
}

// eventFor is the "seats" event of ev as viewer sees it. Most viewers hold
// none of the changed seats and share one encoding, made once however many
// watch; only a holder's own differs ("mine").
func eventFor(ev *live.Event, viewer boxoffice.Guest) []byte {
	for _, sc := range ev.Seats {
		if sc.Holder == viewer {
			return seatsEvent(ev.Change, viewer)
		}
	}
	return sharedEvent(ev)
}

// sharedEvent is ev as every viewer holding none of its seats sees it.
func sharedEvent(ev *live.Event) []byte {
	return ev.Shared(func(c boxoffice.Change) []byte { return seatsEvent(c, "") })
}

type seatChangeJSON struct {
	ID     boxoffice.SeatID `json:"id"`
	Status boxoffice.Status `json:"status"`
}

type seatsEventJSON struct {
	Version int64            `json:"version"`
	Seats   []seatChangeJSON `json:"seats"`
}

// seatsEvent is the whole event of change c as viewer sees it.
func seatsEvent(c boxoffice.Change, viewer boxoffice.Guest) []byte {
	ev := seatsEventJSON{Version: c.Version, Seats: make([]seatChangeJSON, len(c.Seats))}
	for i, sc := range c.Seats {
		ev.Seats[i] = seatChangeJSON{ID: sc.Seat, Status: boxoffice.StatusFor(sc.Holder, viewer)}
	}
	data, _ := json.Marshal(ev) // plain strings and numbers: cannot fail
	b := eventStart("seats", c.Version)
	b = append(b, data...)
	return append(b, "\n\n"...)
}
