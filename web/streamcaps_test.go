package web_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"boxoffice/web"
)

// guestFrom is a guest whose connections come from addr, another address
// of the loopback network: another client as far as limits go.
func (e *env) guestFrom(addr string) *guest {
	g := e.guest()
	tr := &http.Transport{DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(addr)}}).DialContext}
	e.t.Cleanup(tr.CloseIdleConnections)
	g.c.Transport = tr
	return g
}

// capped is a test server with the stream caps set, whose observer is told
// of every request answered.
func capped(t *testing.T, perClient, total int) (*observer, *env) {
	t.Helper()
	obs := &observer{closed: make(chan string, 16), answered: make(chan string, 256)}
	return obs, newEnvWith(t, testLayout, func(c *web.Config) {
		c.Observer, c.MaxStreamsPerClient, c.MaxStreams = obs, perClient, total
		// A taken-over stream notices its client left at its next write.
		c.Heartbeat = 20 * time.Millisecond
	}, (*httptest.Server).Start)
}

func (o *observer) limits() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.limited)
}

// wantRefusal checks a refusal at a stream cap: its status and problem
// type, and the Retry-After that tells the page when to try again.
func wantRefusal(t *testing.T, what string, r response, status int, typ, retryAfter string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: %d, want %d; body %s", what, r.status, status, r.body)
	}
	if got := r.header.Get("Retry-After"); got != retryAfter {
		t.Errorf("%s: Retry-After %q, want %q", what, got, retryAfter)
	}
	if len(r.body) == 0 {
		return // HEAD
	}
	if p := wantProblem(t, r, status); p["type"] != typ {
		t.Errorf("%s: problem type %v, want %s", what, p["type"], typ)
	}
}

// Each refusal's type is a page that explains it.
func TestStreamRefusalTypesArePages(t *testing.T) {
	e := newEnv(t, testLayout)
	for typ, says := range map[string]string{
		"/problems/too-many-streams": "as many live seat maps open as the box office allows one address",
		"/problems/server-busy":      "serving as many live seat maps as it can",
	} {
		r := e.guest().do("GET", typ, "", "", "Accept", "text/html")
		if r.status != http.StatusOK || !strings.Contains(string(r.body), says) {
			t.Errorf("GET %s: %d, want 200 and a page saying %q", typ, r.status, says)
		}
	}
}

// One client at its cap of streams gets 429 for the next, another client
// still gets its stream, and the open streams go on hearing changes.
func TestStreamsPerClientCap(t *testing.T) {
	obs, e := capped(t, 2, 0)
	const path = "/api/shows/" + openShow + "/events"
	alice, bob := e.guest(), e.guest() // one address, two cookies
	first, second := alice.events(openShow, ""), bob.events(openShow, "")
	first.next()
	second.next()

	wantRefusal(t, "a third stream from one address", alice.do("GET", path, "", ""),
		http.StatusTooManyRequests, "/problems/too-many-streams", "10")
	wantRefusal(t, "HEAD from that address", e.guest().do("HEAD", path, "", ""),
		http.StatusTooManyRequests, "", "10")
	if got := obs.limits(); !slices.Equal(got, []string{"streams_per_client"}) {
		t.Errorf("limits heard: %v, want one streams_per_client (a HEAD refuses nothing)", got)
	}

	carol := e.guestFrom("127.0.0.2")
	if r := carol.do("HEAD", path, "", ""); r.status != http.StatusOK || r.header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("HEAD from another address: %d %s, want 200 text/event-stream", r.status, r.header.Get("Content-Type"))
	}
	third := carol.events(openShow, "")
	third.next()

	// At the cap, bookings answer and every open stream hears them.
	if r := alice.book(openShow, "A1"); r.status != http.StatusOK {
		t.Fatalf("booking at the cap: %d %s", r.status, r.body)
	}
	for i, s := range []*sse{first, second, third} {
		if ev := s.next(); ev.name != "seats" || ev.id != "1" {
			t.Errorf("stream %d at the cap got %s %s, want seats 1", i, ev.name, ev.id)
		}
	}

	// A stream that ends gives its slot back.
	first.resp.Body.Close()
	obs.ended(t, "a stream's client leaving")
	again := bob.events(openShow, "")
	if ev := again.next(); ev.name != "snapshot" {
		t.Fatalf("the stream in the freed slot began with %s", ev.name)
	}
	alice.book(openShow, "A2")
	if ev := again.next(); ev.id != "2" {
		t.Errorf("the stream in the freed slot got %s %s, want seats 2", ev.name, ev.id)
	}
}

// A server at its total gets 503 server-busy, not the database's
// "unavailable", from any address; the open stream goes on.
func TestStreamsTotalCap(t *testing.T) {
	obs, e := capped(t, 0, 1)
	const path = "/api/shows/" + openShow + "/events"
	held := e.guest().events(openShow, "")
	held.next()
	for _, g := range []*guest{e.guest(), e.guestFrom("127.0.0.3")} {
		wantRefusal(t, "a stream with the server at its total", g.do("GET", path, "", ""),
			http.StatusServiceUnavailable, "/problems/server-busy", "5")
		wantRefusal(t, "HEAD with the server at its total", g.do("HEAD", path, "", ""),
			http.StatusServiceUnavailable, "", "5")
	}
	if got := obs.limits(); !slices.Equal(got, []string{"streams", "streams"}) {
		t.Errorf("limits heard: %v, want streams twice", got)
	}
	if r := e.guestFrom("127.0.0.3").book(openShow, "B1"); r.status != http.StatusOK {
		t.Fatalf("booking at the total: %d %s", r.status, r.body)
	}
	if ev := held.next(); ev.id != "1" {
		t.Errorf("the open stream got %s %s, want seats 1", ev.name, ev.id)
	}
}

// HEAD answers what a GET would get, with no body, at once, holding nothing.
func TestEventsHEAD(t *testing.T) {
	obs, e := capped(t, 1, 0)
	g := e.guest()
	if r := g.do("HEAD", "/api/shows/nope/events", "", ""); r.status != http.StatusNotFound ||
		r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("HEAD of an unknown show: %d %s, want 404 problem", r.status, r.header.Get("Content-Type"))
	}
	for range 5 {
		r := g.do("HEAD", "/api/shows/"+openShow+"/events", "", "")
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "text/event-stream" || len(r.body) != 0 {
			t.Fatalf("HEAD: %d %s %q, want 200 text/event-stream, no body", r.status, r.header.Get("Content-Type"), r.body)
		}
		if r.header.Get("Retry-After") != "" {
			t.Errorf("HEAD answered 200 with Retry-After %q", r.header.Get("Retry-After"))
		}
	}
	// Each HEAD's handler returned: nothing is held open.
	for heard := 0; heard < 6; {
		select {
		case r := <-obs.answered:
			if r == "GET /api/shows/{show}/events 200" || r == "GET /api/shows/{show}/events 404" {
				heard++
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("only %d of 6 HEADs answered within 5s", heard)
		}
	}
	// And none took the only slot.
	g.events(openShow, "").next()
	if got := obs.limits(); len(got) != 0 {
		t.Errorf("limits heard: %v, want none", got)
	}
}
