package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice/stream"
	"boxoffice/web"
)

// observer records what the handler tells it.
type observer struct {
	mu       sync.Mutex
	requests []string // "route status"
	open     int
	closed   chan string // why each stream ended
	answered chan string // each request heard, as in requests; nil: not told
	failed   int         // takeovers failed
	limited  []string    // the limits that refused requests
}

func (o *observer) Request(route string, status int, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests = append(o.requests, route+" "+strconv.Itoa(status))
	if o.answered != nil {
		o.answered <- route + " " + strconv.Itoa(status)
	}
}

func (o *observer) Limited(limit string) {
	o.mu.Lock()
	o.limited = append(o.limited, limit)
	o.mu.Unlock()
}

func (o *observer) StreamTakeoverFailed() { o.mu.Lock(); o.failed++; o.mu.Unlock() }

func (o *observer) StreamOpened() { o.mu.Lock(); o.open++; o.mu.Unlock() }

func (o *observer) StreamClosed(why string) {
	o.mu.Lock()
	o.open--
	o.mu.Unlock()
	o.closed <- why
}

// ended waits for the next stream to end and returns why.
func (o *observer) ended(t *testing.T, after string) string {
	t.Helper()
	select {
	case why := <-o.closed:
		return why
	case <-time.After(5 * time.Second):
		t.Fatalf("no stream's end was heard within 5s of %s", after)
	}
	return ""
}

func (o *observer) state() ([]string, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.requests), o.open
}

// protocols are the two ways an event stream is served: taken over from
// net/http (plain HTTP/1.1), or kept by it (HTTP/2 over TLS).
var protocols = []struct {
	name  string
	start func(*httptest.Server)
}{
	{"HTTP/1.1", (*httptest.Server).Start},
	{"HTTP/2", func(s *httptest.Server) { s.EnableHTTP2 = true; s.StartTLS() }},
}

// observed is a test server started by start whose handler, configured
// further by configure (if not nil), tells obs what it serves.
func observed(t *testing.T, start func(*httptest.Server), configure func(*web.Config)) (obs *observer, e *env) {
	t.Helper()
	obs = &observer{closed: make(chan string, 4)}
	return obs, newEnvWith(t, testLayout, func(c *web.Config) {
		c.Observer = obs
		if configure != nil {
			configure(c)
		}
	}, start)
}

// The observer behind /metrics hears each request with the route that
// matched and its status, and each event stream as it opens and as it ends,
// whether net/http keeps the stream (HTTP/2) or it is taken over (HTTP/1.1).
func TestObserverHearsRequestsAndStreams(t *testing.T) {
	for _, tc := range protocols {
		t.Run(tc.name, func(t *testing.T) {
			// A taken-over stream learns that its client left when it next
			// writes: soon, here.
			obs, e := observed(t, tc.start, func(c *web.Config) { c.Heartbeat = 20 * time.Millisecond })
			obs.mu.Lock()
			obs.answered = make(chan string, 64)
			obs.mu.Unlock()
			g := e.guest()
			g.book(openShow, "A1")
			e.guest().book(openShow, "A1")
			g.do("GET", "/no/such/page", "", "")

			events := g.events(openShow, "")
			if ev := events.next(); ev.name != "snapshot" {
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

			events.resp.Body.Close()
			if why := obs.ended(t, "its client leaving"); why != stream.ClosedLeft {
				t.Errorf("the stream ended as %q, want %q", why, stream.ClosedLeft)
			}
			if _, open = obs.state(); open != 0 {
				t.Errorf("%d streams open after the only one ended", open)
			}
			// Over HTTP/2 the stream's handler returns, and its request is
			// heard, only after the stream has ended: wait for it.
			for route := ""; route != "GET /api/shows/{show}/events 200"; {
				select {
				case route = <-obs.answered:
				case <-time.After(10 * time.Second):
					requests, _ := obs.state()
					t.Fatalf("requests heard: %q, want the event stream's", requests)
				}
			}
		})
	}
}

// A stream that reaches its lifetime, or that the server ends as it shuts
// down, says so; the browser then reconnects.
func TestObserverHearsWhyStreamsEnd(t *testing.T) {
	for _, tc := range protocols {
		t.Run(tc.name, func(t *testing.T) {
			obs, e := observed(t, tc.start, func(c *web.Config) { c.StreamLifetime = 200 * time.Millisecond })
			events := e.guest().events(openShow, "")
			events.next() // the snapshot
			if why := obs.ended(t, "the stream's lifetime"); why != stream.ClosedLifetime {
				t.Errorf("at the end of its lifetime the stream ended as %q, want %q", why, stream.ClosedLifetime)
			}

			obs, e = observed(t, tc.start, nil)
			events = e.guest().events(openShow, "")
			events.next()
			e.hub.Close()
			if why := obs.ended(t, "the hub closing"); why != stream.ClosedServer {
				t.Errorf("as the server shut down the stream ended as %q, want %q", why, stream.ClosedServer)
			}
		})
	}
}

// hideUnwrap is a middleware of the kind that silently costs every event
// stream ten times the memory: its ResponseWriter flushes but hides the one
// it wraps, so the stream's connection cannot be taken over from net/http.
func hideUnwrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(flushOnly{w}, r)
	})
}

type flushOnly struct{ http.ResponseWriter }

func (f flushOnly) Flush() { _ = http.NewResponseController(f.ResponseWriter).Flush() }

// A plain HTTP/1.1 event stream through the real handler, every middleware
// included, is taken over from net/http: its handler returns (and is heard
// as answered) while the stream goes on. One whose takeover fails behind a
// middleware that hides Unwrap goes on too, with net/http, and is counted.
func TestPlainStreamIsTakenOver(t *testing.T) {
	for _, tc := range []struct {
		name  string
		wrap  func(http.Handler) http.Handler
		taken bool
	}{
		{"the handler as served", nil, true},
		{"behind a middleware hiding Unwrap", hideUnwrap, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			obs := &observer{closed: make(chan string, 4), answered: make(chan string, 64)}
			e := newEnvWith(t, testLayout, func(c *web.Config) { c.Observer = obs }, func(s *httptest.Server) {
				if tc.wrap != nil {
					s.Config.Handler = tc.wrap(s.Config.Handler)
				}
				s.Start()
			})
			g := e.guest()
			events := g.events(openShow, "")
			if ev := events.next(); ev.name != "snapshot" {
				t.Fatalf("first event %s", ev.name)
			}
			handedOver := false
			if tc.taken {
				// The handler returns once the connection is taken over.
				for !handedOver {
					select {
					case r := <-obs.answered:
						handedOver = r == "GET /api/shows/{show}/events 200"
					case <-time.After(5 * time.Second):
						t.Fatal("the event stream's handler still runs 5s after the snapshot: not taken over")
					}
				}
			}
			// Either way the stream goes on.
			if r := g.book(openShow, "B2"); r.status != 200 {
				t.Fatalf("book: %d %s", r.status, r.body)
			}
			if ev := events.next(); ev.name != "seats" || !strings.Contains(ev.data, `"B2"`) {
				t.Errorf("after a booking the stream sent %s %s", ev.name, ev.data)
			}
			obs.mu.Lock()
			failed := obs.failed
			obs.mu.Unlock()
			if want := map[bool]int{true: 0, false: 1}[tc.taken]; failed != want {
				t.Errorf("%d takeovers failed, want %d", failed, want)
			}
		})
	}
}

// /metrics is for the operator: with a token configured it answers only a
// request bearing it, and tells the others how to ask, as a problem. No
// cache may keep the figures.
func TestMetricsToken(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "boxoffice_up 1\n") })
	for _, tc := range []struct {
		token, auth string
		want        int
	}{
		{"", "", http.StatusOK},
		{"s3cret", "Bearer s3cret", http.StatusOK},
		{"s3cret", "", http.StatusUnauthorized},
		{"s3cret", "Bearer wrong", http.StatusUnauthorized},
		{"s3cret", "Basic czNjcmV0", http.StatusUnauthorized},
		{"s3cret", "Bearer s3cret2", http.StatusUnauthorized},
		{"s3cret", "Bearer s3cre", http.StatusUnauthorized},
	} {
		e := newEnvWith(t, testLayout, func(c *web.Config) { c.Metrics, c.MetricsToken = metrics, tc.token }, (*httptest.Server).Start)
		req, _ := http.NewRequest("GET", e.srv.URL+"/metrics", nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("token %q, Authorization %q: %d, want %d", tc.token, tc.auth, resp.StatusCode, tc.want)
			continue
		}
		switch tc.want {
		case http.StatusOK:
			if string(body) != "boxoffice_up 1\n" {
				t.Errorf("token %q, Authorization %q: body %q, want the metrics", tc.token, tc.auth, body)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("token %q: Cache-Control %q, want no-store", tc.token, cc)
			}
		case http.StatusUnauthorized:
			if ct, wa := resp.Header.Get("Content-Type"), resp.Header.Get("WWW-Authenticate"); ct != "application/problem+json" ||
				!strings.HasPrefix(wa, "Bearer ") || strings.Contains(string(body), "boxoffice_up") {
				t.Errorf("token %q, Authorization %q: %s, WWW-Authenticate %q, body %s; want a problem and a Bearer challenge",
					tc.token, tc.auth, ct, wa, body)
			}
		}
	}
}
