package load

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestScheduleSendsEveryIntendedTimeOnce(t *testing.T) {
	start := time.Now()
	// 1000/s for 50 ms is exactly 50 start times, 1 ms apart from start.
	tickets := make(chan time.Time, 100)
	schedule(t.Context(), tickets, start, start.Add(50*time.Millisecond), 1000)
	close(tickets)
	var i int
	for tk := range tickets {
		if want := start.Add(time.Duration(i) * time.Millisecond); !tk.Equal(want) {
			t.Fatalf("ticket %d intends %v, want %v: the schedule must not drift with the sender", i, tk.Sub(start), want.Sub(start))
		}
		i++
	}
	if i != 50 {
		t.Errorf("%d tickets, want 50", i)
	}
}

// stepper counts its steps and remembers the intended times.
type stepper struct {
	t        tallies
	intended []time.Time
}

func (s *stepper) step(_ context.Context, intended time.Time) {
	s.intended = append(s.intended, intended)
	s.t.record("step", intended, outcomeOK)
}
func (s *stepper) tallies() map[string]*tally { return s.t.m }

func TestDriveOpenLoopRunsTheScheduleAcrossWorkers(t *testing.T) {
	c := &counts{}
	a, b := &stepper{t: newTallies(c)}, &stepper{t: newTallies(c)}
	cr := &crew{workers: []worker{a, b}, rate: 2000}
	drive(t.Context(), []*crew{cr}, 100*time.Millisecond)
	// 200 scheduled; every one either sent or counted as dropped.
	if got := int64(len(a.intended)+len(b.intended)) + cr.dropped.Load(); got != 200 {
		t.Errorf("sent + dropped = %d, want 200", got)
	}
	if c.done.Load() != int64(len(a.intended)+len(b.intended)) {
		t.Errorf("progress counted %d, workers stepped %d", c.done.Load(), len(a.intended)+len(b.intended))
	}
}

func TestWatcherCountsGapsResumesAndMatchesWrites(t *testing.T) {
	resumed := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if last := r.Header.Get("Last-Event-ID"); last != "" {
			// The watcher came back as a browser would: done.
			resumed <- last
			<-r.Context().Done()
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		// A snapshot with a data line longer than the watcher's buffer, then
		// versions 6, 7 and 9: 8 was skipped. Then the stream ends.
		fmt.Fprintf(w, "retry: 2000\nevent: snapshot\nid: 5\ndata: {\"seats\":\"%s\"}\n\n", strings.Repeat("x", 3*watcherBuffer))
		for _, v := range []int{6, 7, 9} {
			fmt.Fprintf(w, "event: seats\nid: %d\ndata: {\"version\":%d,\"seats\":[]}\n\n", v, v)
		}
	}))
	defer srv.Close()
	sent := newSendTimes()
	sent.put(6, time.Now())
	ready := make(chan error, 1)
	w := &watcher{host: strings.TrimPrefix(srv.URL, "http://"), path: "/events", sent: sent, ready: func(err error) { ready <- err }}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { w.run(ctx); close(done) }()
	if err := <-ready; err != nil {
		t.Fatal(err)
	}
	if last := <-resumed; last != "9" {
		t.Errorf("reconnected with Last-Event-ID %s, want 9", last)
	}
	cancel()
	<-done
	sent.put(7, time.Now()) // an answer that came after its event
	if unmatched := w.settle(); unmatched != 1 {
		t.Errorf("unmatched = %d, want 1 (version 9 had no write)", unmatched)
	}
	if w.gaps != 1 {
		t.Errorf("gaps = %d, want 1 (8 was skipped)", w.gaps)
	}
	if len(w.lat) != 2 {
		t.Errorf("%d latencies, want 2 (versions 6 and 7)", len(w.lat))
	}
	if w.reconnects != 1 || w.errs != 0 {
		t.Errorf("reconnects, errors = %d, %d; want 1, 0: a stream the server ends is a reconnect, not an error", w.reconnects, w.errs)
	}
}
