package web_test

import (
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"boxoffice/web"
)

// observer records what the handler tells it.
type observer struct {
	mu       sync.Mutex
	requests []string // "route status"
	open     int
	closed   chan struct{}
}

func (o *observer) Request(route string, status int, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests = append(o.requests, route+" "+strconv.Itoa(status))
}

func (o *observer) StreamOpened() { o.mu.Lock(); o.open++; o.mu.Unlock() }

func (o *observer) StreamClosed() {
	o.mu.Lock()
	o.open--
	o.mu.Unlock()
	o.closed <- struct{}{}
}

func (o *observer) state() ([]string, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.requests), o.open
}

// The observer behind /metrics hears each request with the route that
// matched and its status, and each event stream as it opens and as it ends,
// whether net/http keeps the stream (HTTP/2) or it is taken over (HTTP/1.1).
func TestObserverHearsRequestsAndStreams(t *testing.T) {
	for _, tc := range []struct {
		name  string
		start func(*httptest.Server)
	}{
		{"HTTP/1.1", (*httptest.Server).Start},
		{"HTTP/2", func(s *httptest.Server) { s.EnableHTTP2 = true; s.StartTLS() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs := &observer{closed: make(chan struct{}, 4)}
			e := newEnvWith(t, testLayout, func(c *web.Config) {
				c.Observer = obs
				// A taken-over stream learns that its client left when it
				// next writes: soon, here.
				c.Heartbeat = 20 * time.Millisecond
			}, tc.start)
			g := e.guest()
			g.book(openShow, "A1")
			e.guest().book(openShow, "A1")
			g.do("GET", "/no/such/page", "", "")

			stream := g.events(openShow, "")
			if ev := stream.next(); ev.name != "snapshot" {
				t.Fatalf("first event %s", ev.name)
			}
			requests, open := obs.state()
			want := []string{
				"PUT /api/shows/{show}/seats/{seat} 200",
				"PUT /api/shows/{show}/seats/{seat} 409",
				" 404",
			}
			if !slices.Equal(requests[:min(3, len(requests))], want) {
				t.Errorf("requests heard: %q, want %q first", requests, want)
			}
			if open != 1 {
				t.Errorf("%d streams open, want 1", open)
			}

			stream.resp.Body.Close()
			select {
			case <-obs.closed:
			case <-time.After(5 * time.Second):
				t.Fatal("the stream's end was not heard within 5s of its client leaving")
			}
			requests, open = obs.state()
			if open != 0 {
				t.Errorf("%d streams open after the only one ended", open)
			}
			if !slices.Contains(requests, "GET /api/shows/{show}/events 200") {
				t.Errorf("requests heard: %q, want the event stream's", requests)
			}
		})
	}
}
