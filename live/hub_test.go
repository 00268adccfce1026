package live

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"testing"
	"time"

	"boxoffice"
)

// fakeLog is an in-memory change log standing in for a store.
type fakeLog struct {
	mu      sync.Mutex
	changes []boxoffice.Change // version i+1 at index i
	read    int                // changes returned by ChangesSince
}

func (l *fakeLog) append(seat boxoffice.SeatID) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	v := int64(len(l.changes) + 1)
	l.changes = append(l.changes, boxoffice.Change{Show: "s", Version: v,
		Seats: []boxoffice.SeatChange{{Seat: seat, Holder: "g"}}})
	return v
}

func (l *fakeLog) ChangesSince(_ context.Context, _ boxoffice.ShowID, after int64, limit int) ([]boxoffice.Change, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.changes[min(int(after), len(l.changes)):]
	out = out[:min(limit, len(out))]
	l.read += len(out)
	return append([]boxoffice.Change(nil), out...), nil
}

// receive reads n events from sub or fails after a generous bound.
func receive(t *testing.T, c <-chan *Event, n int) []int64 {
	t.Helper()
	var got []int64
	timeout := time.After(5 * time.Second)
	for len(got) < n {
		select {
		case e, ok := <-c:
			if !ok {
				t.Fatalf("channel closed after %v", got)
			}
			got = append(got, e.Version)
		case <-timeout:
			t.Fatalf("got %v, waiting for %d events", got, n)
		}
	}
	return got
}

func TestHubPublishesInVersionOrderDespitePokes(t *testing.T) {
	log := &fakeLog{}
	hub := NewHub(log, Options{Batch: 3})
	defer hub.Close()
	sub, err := hub.Subscribe("s", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	// Ten commits and a single late poke: the hub must read all of them.
	for range 10 {
		log.append("A1")
	}
	hub.Poke("s")
	got := receive(t, sub.C(), 10)
	for i, v := range got {
		if v != int64(i+1) {
			t.Fatalf("versions %v, want 1..10 in order", got)
		}
	}
}

func TestSlowSubscriberIsDroppedNotSkipped(t *testing.T) {
	log := &fakeLog{}
	hub := NewHub(log, Options{Buffer: 2})
	defer hub.Close()
	slow, _ := hub.Subscribe("s", 0)
	defer slow.Close()
	fast, _ := hub.Subscribe("s", 0)
	defer fast.Close()
	for range 5 {
		log.append("A1")
		hub.Poke("s")
		receive(t, fast.C(), 1) // fast keeps up; slow reads nothing
	}
	// The slow one got what fitted its buffer, in order, then its channel closed.
	var got []int64
	for e := range slow.C() {
		got = append(got, e.Version)
	}
	if len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Errorf("slow subscriber got %v before closing, want [1 2]", got)
	}
	if !errors.Is(slow.Err(), ErrSlow) {
		t.Errorf("Err = %v, want ErrSlow", slow.Err())
	}
	if hub.watchers() != 1 {
		t.Errorf("%d watchers, want the fast one only", hub.watchers())
	}
}

func TestCloseEndsSubscriptions(t *testing.T) {
	hub := NewHub(&fakeLog{}, Options{})
	sub, _ := hub.Subscribe("s", 0)
	hub.Close()
	if _, ok := <-sub.C(); ok {
		t.Fatal("event after Close")
	}
	if !errors.Is(sub.Err(), ErrClosed) {
		t.Errorf("Err = %v, want ErrClosed", sub.Err())
	}
	sub.Close()
	if _, err := hub.Subscribe("s", 0); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after Close: %v", err)
	}
}

func TestWatchJoinsWithoutGapsOrRepeats(t *testing.T) {
	log := &fakeLog{}
	hub := NewHub(log, Options{Batch: 2})
	defer hub.Close()
	// A first watcher keeps the feed running ahead.
	first, _ := hub.Subscribe("s", 0)
	defer first.Close()
	for range 5 {
		log.append("A1")
	}
	hub.Poke("s")
	receive(t, first.C(), 5)

	// A client that has seen up to version 2 joins: it must get 3, 4, 5 from
	// the log, then 6 and 7 from the feed, each once.
	w, missed, err := hub.Watch(context.Background(), "s", 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	var got []int64
	for _, e := range missed {
		got = append(got, e.Version)
	}
	log.append("A2")
	log.append("A3")
	hub.Poke("s")
	for len(got) < 5 {
		select {
		case e := <-w.C():
			out, err := w.Accept(context.Background(), e)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range out {
				got = append(got, e.Version)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("got %v, want 3..7", got)
		}
	}
	for i, v := range got {
		if v != int64(i+3) {
			t.Fatalf("got %v, want 3..7 once each", got)
		}
	}
}

func TestWatcherFillsGap(t *testing.T) {
	log := &fakeLog{}
	hub := NewHub(log, Options{})
	defer hub.Close()
	w, _, err := hub.Watch(context.Background(), "s", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	log.append("A1")
	log.append("A2")
	v := log.append("A3")
	// An event for version 3 arriving first (as after a feed that joined late)
	// brings 1 and 2 along.
	out, err := w.Accept(context.Background(), &Event{Change: boxoffice.Change{Version: v}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 3 || out[0].Version != 1 || out[1].Version != 2 || out[2].Version != 3 {
		t.Errorf("Accept delivered %d events, want versions 1, 2, 3", len(out))
	}
	if out, _ := w.Accept(context.Background(), &Event{Change: boxoffice.Change{Version: 2}}); len(out) != 0 {
		t.Error("an already delivered version was delivered again")
	}
}

// Latest vouches for the versions it heard only while every commit is heard:
// from the start when the hub is Complete, else between Resync and Lost, and
// each Resync starts a new generation, since commits in the gap went unheard.
func TestLatestVouchesOnlyWhileHearingEverything(t *testing.T) {
	h := NewHub(&fakeLog{}, Options{})
	defer h.Close()
	if _, _, ok := h.Latest("s"); ok {
		t.Fatal("a hub that is not Complete vouches before its first Resync")
	}
	h.Resync()
	h.Committed("s", 3)
	h.Committed("s", 2) // late news changes nothing
	v, gen, ok := h.Latest("s")
	if v != 3 || !ok {
		t.Fatalf("Latest = %d, %v; want 3, true", v, ok)
	}
	h.Lost()
	if _, _, ok := h.Latest("s"); ok {
		t.Fatal("Latest vouches after Lost")
	}
	h.Resync()
	if _, gen2, ok := h.Latest("s"); !ok || gen2 == gen {
		t.Fatalf("after a new Resync: gen %d (was %d), ok %v; want a new generation", gen2, gen, ok)
	}

	complete := NewHub(&fakeLog{}, Options{Complete: true})
	defer complete.Close()
	if v, _, ok := complete.Latest("s"); v != 0 || !ok {
		t.Fatalf("a Complete hub: Latest = %d, %v; want 0, true", v, ok)
	}
}

// A lone watcher resuming far behind gets the past from the store, not
// through its buffer: a new feed starts at the show's current version, so the
// watcher is not dropped as slow on arrival, and hears what comes next.
func TestWatchFarBehindStartsFeedAtCurrentVersion(t *testing.T) {
	log := &fakeLog{}
	hub := NewHub(log, Options{Buffer: 4, Batch: 16})
	defer hub.Close()
	var current int64
	for range 300 {
		current = log.append("A1")
	}
	w, missed, err := hub.Watch(context.Background(), "s", 0, current)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if len(missed) != 300 || missed[299].Version != current {
		t.Fatalf("missed %d changes, want the 300 in the log", len(missed))
	}
	next := log.append("A2")
	hub.Poke("s")
	e, ok := <-w.C()
	if !ok {
		t.Fatalf("the watcher was dropped (%v), want it to hear version %d", w.Err(), next)
	}
	if out, err := w.Accept(context.Background(), e); err != nil || len(out) != 1 || out[0].Version != next {
		t.Errorf("after catching up: %v %v, want version %d alone", out, err, next)
	}
}

// A feed whose last subscriber fell behind stops: a show nobody follows
// costs no more reads of the change log.
func TestFeedStopsWhenItsLastSubscriberFallsBehind(t *testing.T) {
	log := &fakeLog{}
	hub := NewHub(log, Options{Buffer: 2})
	defer hub.Close()
	sub, _ := hub.Subscribe("s", 0)
	defer sub.Close()
	for range 5 {
		log.append("A1")
	}
	hub.Poke("s")
	for range sub.C() {
	}
	if !errors.Is(sub.Err(), ErrSlow) {
		t.Fatalf("Err = %v, want ErrSlow", sub.Err())
	}
	// The feed stops right after dropping its subscriber, in its own
	// goroutine: nothing signals it but the hub's map of feeds.
	deadline := time.Now().Add(5 * time.Second)
	for {
		hub.mu.Lock()
		n := len(hub.feeds)
		hub.mu.Unlock()
		if n == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the feed still runs 5s after its only subscriber was dropped")
		}
		runtime.Gosched()
	}
	// A new subscriber starts a new feed.
	again, err := hub.Subscribe("s", 5)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	v := log.append("A2")
	hub.Poke("s")
	if got := receive(t, again.C(), 1); got[0] != v {
		t.Errorf("the new subscriber got version %d, want %d", got[0], v)
	}
}

// CatchUp gives every change up to the store's latest, taking what the feed
// already published from the subscription rather than reading it again.
func TestCatchUpTakesPublishedEventsFirst(t *testing.T) {
	log := &fakeLog{}
	hub := NewHub(log, Options{})
	defer hub.Close()
	w, _, err := hub.Watch(context.Background(), "s", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	for range 3 {
		log.append("A1")
	}
	hub.Poke("s")
	deadline := time.Now().Add(5 * time.Second)
	for len(w.C()) < 3 { // the feed publishes in its own goroutine
		if time.Now().After(deadline) {
			t.Fatal("the feed did not publish 3 changes within 5s")
		}
		runtime.Gosched()
	}
	latest := log.append("A2") // committed, not yet published
	log.mu.Lock()
	before := log.read
	log.mu.Unlock()
	out, err := w.CatchUp(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 4 || out[3].Version != latest || w.Version() != latest {
		t.Fatalf("CatchUp gave %d changes up to version %d, want 4 up to %d", len(out), w.Version(), latest)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if got := log.read - before; got != 1 {
		t.Errorf("CatchUp read %d changes from the store, want only the one not yet published", got)
	}
}
