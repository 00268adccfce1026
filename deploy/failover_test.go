package deploy_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"
)

// watched is what a watcher that reconnects as a browser does saw of a
// show: every change event's version, in order, across its streams.
type watched struct {
	mu         sync.Mutex
	versions   []int64
	reconnects []string // the instance each reconnection reached
	snapshots  int      // snapshots after the first stream's
	seen       chan struct{}
	stopped    chan struct{} // closed when it stops reading
}

func (w *watched) last() int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.versions) == 0 {
		return 0
	}
	return w.versions[len(w.versions)-1]
}

// watch keeps reading show's events, reconnecting through nginx with
// Last-Event-ID whenever a stream ends, until ctx ends.
func (s *site) watch(ctx context.Context, t *testing.T, c *http.Client, show string, from int64, events <-chan event) *watched {
	w := &watched{seen: make(chan struct{}, 1), stopped: make(chan struct{})}
	last := from
	go func() {
		defer close(w.stopped)
		for {
			for ev := range events {
				if ev.name == "snapshot" {
					w.mu.Lock()
					w.snapshots++
					w.mu.Unlock()
					last = ev.id
					continue
				}
				w.mu.Lock()
				w.versions = append(w.versions, ev.id)
				w.mu.Unlock()
				last = ev.id
				select {
				case w.seen <- struct{}{}:
				default:
				}
			}
			if ctx.Err() != nil {
				return
			}
			// The stream broke: the browser reconnects from the last
			// version it has. nginx passes the request to the live
			// instance, so the first try succeeds.
			holder, next, err := s.stream(ctx, c, show, last)
			if err != nil {
				if ctx.Err() == nil {
					t.Errorf("reconnecting the stream through nginx: %v", err)
				}
				return
			}
			w.mu.Lock()
			w.reconnects = append(w.reconnects, holder)
			w.mu.Unlock()
			events = next
		}
	}()
	return w
}

// One instance dies by SIGKILL while guests book through nginx and one of
// them watches: every booking still succeeds (nginx passes a request that
// finds the instance dead to the other), the watcher's stream, which the
// dead instance held, resumes on the survivor from Last-Event-ID with every
// change exactly once, and the instance, restarted, takes traffic again.
func instanceKilled(t *testing.T, s *site, show string) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	watcher := guest(100)
	holder, events, err := s.stream(ctx, watcher, show, 0)
	if err != nil {
		t.Fatal(err)
	}
	victim, survivor := s.instance(t, holder), s.other(holder)
	first := <-events
	if first.name != "snapshot" {
		t.Fatalf("the stream began with %+v, want the snapshot", first)
	}
	w := s.watch(ctx, t, watcher, show, first.id, events)
	defer func() { cancel(); <-w.stopped }()

	// Guests book one seat after another, each its own address and at most
	// five seats (within the default limits), before and after the kill.
	const before, after = 6, 10
	var (
		final   int64
		failed  []string
		killed  = make(chan struct{})
		done    = make(chan struct{})
		answers = 0
	)
	go func() {
		defer close(done)
		afterKill := 0
		for n := 0; afterKill < after; n++ {
			seat := fmt.Sprintf("%c%d", 'D'+n/5, n%5+1)
			got := s.book(t, guest(101+n/5), show, seat)
			if got.status != http.StatusOK {
				failed = append(failed, fmt.Sprintf("%s: %d from %s", seat, got.status, got.upstream))
			}
			final = max(final, got.version)
			answers++
			if answers == before {
				close(killed)
			}
			select {
			case <-killed:
				if answers > before {
					afterKill++
				}
			default:
			}
		}
	}()
	<-killed
	victim.kill(t)
	killedAt := time.Now()
	<-done
	if len(failed) > 0 {
		t.Errorf("bookings through nginx that failed around the kill: %v", failed)
	}
	t.Logf("%d bookings, %d after the kill, %v after it", answers, after, time.Since(killedAt))

	// The watcher catches up with the last booking, by signal, with a
	// deadline in case it never does.
	deadline := time.After(10 * time.Second)
	for w.last() < final {
		select {
		case <-w.seen:
		case <-deadline:
			t.Fatalf("the watcher reached version %d, not the last booking's %d", w.last(), final)
		}
	}
	w.mu.Lock()
	versions, reconnects, snapshots := slices.Clone(w.versions), slices.Clone(w.reconnects), w.snapshots
	w.mu.Unlock()
	want := make([]int64, 0, final-first.id)
	for v := first.id + 1; v <= final; v++ {
		want = append(want, v)
	}
	if !slices.Equal(versions, want) {
		t.Errorf("versions the watcher saw across the kill: %v\nwant each from %d to %d once: %v", versions, first.id+1, final, want)
	}
	if len(reconnects) == 0 || reconnects[0] != survivor.addr {
		t.Errorf("the watcher's stream on %s reconnected to %v; want %s", holder, reconnects, survivor.addr)
	}
	if snapshots > 0 {
		t.Errorf("the resumed stream sent %d snapshot(s); want the missed changes alone", snapshots)
	}

	// Restarted on its port, the instance is given traffic again once
	// nginx's fail_timeout has passed: poll, as nothing signals it.
	victim.start(t)
	client := guest(150)
	poll := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(s.base + "/api/shows/" + show)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if upstream(resp) == victim.addr {
			id := resp.Header.Get("X-Request-Id")
			if !victim.WaitLog("id="+id, 5*time.Second) {
				t.Errorf("nginx says %s answered request %s, which its log lacks", victim.addr, id)
			}
			t.Logf("the restarted instance took traffic %v after it was killed", time.Since(killedAt))
			return
		}
		if time.Now().After(poll) {
			t.Fatalf("the restarted instance %s was given no request within 30s", victim.addr)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
