// Package live fans committed seat changes out to everyone watching a show.
//
// Stores do not push changes; they poke the hub after a commit (in process for
// SQLite, by NOTIFY for PostgreSQL). The hub then re-reads the show's change
// log from the last version it published and publishes what it finds, in
// version order. Pokes may come late, twice or out of order: re-reading the log
// makes the published sequence exact regardless.
package live

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"boxoffice"
)

// Source is where the hub reads committed changes: the store.
type Source interface {
	ChangesSince(ctx context.Context, show boxoffice.ShowID, after int64, limit int) ([]boxoffice.Change, error)
}

// Errors that end a subscription.
var (
	ErrSlow   = errors.New("live: watcher fell behind")
	ErrClosed = errors.New("live: hub closed")
)

// Event is one published change, shared read-only by every subscriber.
type Event struct {
	boxoffice.Change
	once   sync.Once
	shared []byte
}

// Shared returns encode's result, computed once per event however many
// subscribers ask: the encoding that every viewer holding none of the changed
// seats receives. It is the event itself, without any transport's framing.
func (e *Event) Shared(encode func(boxoffice.Change) []byte) []byte {
	e.once.Do(func() { e.shared = encode(e.Change) })
	return e.shared
}

// Options tunes a Hub; zero values pick the defaults.
type Options struct {
	// Buffer is how many events a subscriber may have waiting before it is
	// dropped as too slow. Default 64.
	Buffer int
	// Batch is how many changes one read of the log fetches. Default 256.
	Batch int
	// RetryAfter is how long to wait before reading the log again after the
	// read failed. Default 1s.
	RetryAfter time.Duration
	Logger     *slog.Logger
	// Complete says that every commit to the database reaches Committed
	// (one process owns it, as with SQLite), so Latest is trustworthy from
	// the start. Otherwise (PostgreSQL) it is trustworthy between Resync and
	// Lost: while the listener that reports other instances' commits is
	// connected.
	Complete bool
}

// Hub keeps one feed per watched show.
type Hub struct {
	src  Source
	opts Options

	// ctx bounds the feeds' reads of the store: Close cancels it, so that
	// no read outlives the hub (and reaches a closed database).
	ctx    context.Context
	cancel context.CancelFunc

	mu     sync.Mutex
	feeds  map[boxoffice.ShowID]*feed
	closed bool
	wg     sync.WaitGroup

	vmu     sync.RWMutex
	latest  map[boxoffice.ShowID]int64 // the highest version heard of per show
	trusted bool                       // every commit is being heard
	gen     uint64                     // bumped when hearing resumes after a gap
}

// NewHub returns a hub reading changes from src.
func NewHub(src Source, opts Options) *Hub {
	if opts.Buffer <= 0 {
		opts.Buffer = 64
	}
	if opts.Batch <= 0 {
		opts.Batch = 256
	}
	if opts.RetryAfter <= 0 {
		opts.RetryAfter = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Hub{src: src, opts: opts, ctx: ctx, cancel: cancel, feeds: map[boxoffice.ShowID]*feed{},
		latest: map[boxoffice.ShowID]int64{}, trusted: opts.Complete}
}

// Committed tells the hub that show has committed version, here or on
// another instance, and pokes its feed.
func (h *Hub) Committed(show boxoffice.ShowID, version int64) {
	h.vmu.Lock()
	if version > h.latest[show] {
		h.latest[show] = version
	}
	h.vmu.Unlock()
	h.Poke(show)
}

// Latest returns the highest version of show the hub has heard of (0 if
// none since it started) and the generation of its hearing. ok is false
// while commits may go unheard. A reader that read version v from the store
// under generation gen may keep using it for as long as Latest gives ok, the
// same gen and a version no higher than v: nothing newer has committed since,
// except in the moment before a commit's news arrives.
func (h *Hub) Latest(show boxoffice.ShowID) (version int64, gen uint64, ok bool) {
	h.vmu.RLock()
	defer h.vmu.RUnlock()
	return h.latest[show], h.gen, h.trusted
}

// Lost says that commits may go unheard from now on (the listener lost its
// connection): Latest is not to be trusted until Resync.
func (h *Hub) Lost() {
	h.vmu.Lock()
	h.trusted = false
	h.vmu.Unlock()
}

// Resync says that every commit is heard again, after a gap in which some may
// have been missed: it starts a new generation and pokes every watched show.
func (h *Hub) Resync() {
	h.vmu.Lock()
	h.trusted = true
	h.gen++
	h.vmu.Unlock()
	h.PokeAll()
}

// Poke tells the hub that show has new changes. It never blocks; pokes for
// shows nobody watches cost a map lookup.
func (h *Hub) Poke(show boxoffice.ShowID) {
	h.mu.Lock()
	f := h.feeds[show]
	h.mu.Unlock()
	if f != nil {
		f.poke()
	}
}

// Subscribe starts receiving the show's changes. at is the show's current
// version as the caller last read it from the store: a show nobody watched
// yet starts its feed there, so a new feed never replays the past into a
// subscriber's buffer. Events may still arrive that the caller has seen, or
// with a gap before them when the feed was already further on: callers skip
// versions they have and fill gaps from the store (Watcher does both). The
// subscription must be closed.
func (h *Hub) Subscribe(show boxoffice.ShowID, at int64) (*Subscription, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	f := h.feeds[show]
	if f == nil {
		f = &feed{hub: h, show: show, version: at, wake: make(chan struct{}, 1),
			stop: make(chan struct{}), subs: map[*Subscription]struct{}{}}
		h.feeds[show] = f
		h.wg.Add(1)
		go f.run()
		// Changes committed before the feed existed were never poked.
		f.poke()
	}
	s := &Subscription{feed: f, c: make(chan *Event, h.opts.Buffer)}
	f.mu.Lock()
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	return s, nil
}

// Close ends every subscription with ErrClosed, cancels the feeds' reads of
// the store and returns once every feed has stopped: after Close the hub
// reads nothing, so the store can be closed. A second Close waits as well.
func (h *Hub) Close() {
	h.mu.Lock()
	if !h.closed {
		h.closed = true
		for show, f := range h.feeds {
			f.close(ErrClosed)
			delete(h.feeds, show)
		}
		h.cancel()
	}
	h.mu.Unlock()
	h.wg.Wait()
}

// watchers counts open subscriptions.
func (h *Hub) watchers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, f := range h.feeds {
		f.mu.Lock()
		n += len(f.subs)
		f.mu.Unlock()
	}
	return n
}

// unsubscribe removes s, and the feed with it when s was its last subscriber.
func (h *Hub) unsubscribe(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := s.feed
	f.mu.Lock()
	delete(f.subs, s)
	empty := len(f.subs) == 0
	f.mu.Unlock()
	if empty && h.feeds[f.show] == f {
		delete(h.feeds, f.show)
		close(f.stop)
	}
}

// stopIfIdle stops f when it has no subscriber left (the last one fell
// behind), so that a show nobody follows costs no reads, and reports
// whether it did.
func (h *Hub) stopIfIdle(f *feed) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	f.mu.Lock()
	empty := len(f.subs) == 0
	f.mu.Unlock()
	if !empty || h.feeds[f.show] != f {
		return false
	}
	delete(h.feeds, f.show)
	close(f.stop)
	return true
}

// Subscription receives one show's events.
type Subscription struct {
	feed *feed
	c    chan *Event
	once sync.Once
	err  error // why the channel closed; set before close(c)
}

// C delivers events in version order. It is closed when the subscriber fell
// behind (Err returns ErrSlow) or the hub closed (ErrClosed): never is an event
// skipped silently.
func (s *Subscription) C() <-chan *Event { return s.c }

// Err tells why C was closed; nil while it is open.
func (s *Subscription) Err() error {
	s.feed.mu.Lock()
	defer s.feed.mu.Unlock()
	return s.err
}

// Close stops the subscription. It is safe to call more than once.
func (s *Subscription) Close() {
	s.once.Do(func() { s.feed.hub.unsubscribe(s) })
}

// feed publishes one show's changes to its subscribers.
type feed struct {
	hub     *Hub
	show    boxoffice.ShowID
	wake    chan struct{} // capacity 1: pokes coalesce
	stop    chan struct{}
	version int64 // last version published; touched only by run

	mu   sync.Mutex
	subs map[*Subscription]struct{}
}

func (f *feed) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *feed) run() {
	defer f.hub.wg.Done()
	var retry <-chan time.Time
	for {
		select {
		case <-f.stop:
			return
		case <-f.wake:
		case <-retry:
		}
		retry = nil
		err := f.publishNew()
		if errors.Is(err, boxoffice.ErrHistoryGone) {
			// Reading again cannot help: every subscriber starts over from
			// a snapshot, and the next subscriber starts a new feed.
			f.hub.drop(f, historyGone(err))
			return
		}
		if err != nil {
			f.hub.opts.Logger.Warn("reading the change log failed; retrying",
				slog.String("show", string(f.show)), slog.Any("err", err))
			retry = time.After(f.hub.opts.RetryAfter)
		}
	}
}

// publishNew reads every change after the last published version and hands
// each to every subscriber.
func (f *feed) publishNew() error {
	for {
		ctx, cancel := context.WithTimeout(f.hub.ctx, 5*time.Second)
		changes, err := f.hub.src.ChangesSince(ctx, f.show, f.version, f.hub.opts.Batch)
		cancel()
		if f.hub.ctx.Err() != nil {
			return nil // closing: the read was cancelled, not failed
		}
		if err != nil {
			return err
		}
		for _, c := range changes {
			idle := f.publish(&Event{Change: c})
			f.version = c.Version
			if idle && f.hub.stopIfIdle(f) {
				return nil
			}
		}
		if len(changes) < f.hub.opts.Batch {
			return nil
		}
	}
}

// publish hands e to every subscriber and reports whether none is left.
func (f *feed) publish(e *Event) (idle bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for s := range f.subs {
		select {
		case s.c <- e:
		default:
			// Waiting would stall every other watcher; skipping would make
			// this one lie. Closing makes its client reconnect and catch up.
			s.err = ErrSlow
			close(s.c)
			delete(f.subs, s)
		}
	}
	return len(f.subs) == 0
}

// drop ends f's subscriptions with err and stops it, unless it was stopped
// already; under hub.mu, so that no subscriber joins it meanwhile.
func (h *Hub) drop(f *feed, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.feeds[f.show] == f {
		delete(h.feeds, f.show)
		f.close(err)
	}
}

// close ends every subscription with err and stops the feed. The caller holds
// hub.mu.
func (f *feed) close(err error) {
	f.mu.Lock()
	for s := range f.subs {
		s.err = err
		close(s.c)
		delete(f.subs, s)
	}
	f.mu.Unlock()
	close(f.stop)
}

// PokeAll pokes every watched show: after a lost connection to the source of
// pokes (PostgreSQL's LISTEN), any of them may have missed some.
func (h *Hub) PokeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.feeds {
		f.poke()
	}
}
