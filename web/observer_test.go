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

	"boxoffice/web"
)

// observer records what the handler tells it.
type observer struct {
	mu       sync.Mutex
	requests []string // "route status"
	open     int
	closed   chan string // why each stream ended
}

func (o *observer) Request(route string, status int, took time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests = append(o.requests, route+" "+strconv.Itoa(status))
}

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
			if why := obs.ended(t, "its client leaving"); why != web.ClosedLeft {
				t.Errorf("the stream ended as %q, want %q", why, web.ClosedLeft)
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

// A stream that reaches its lifetime, or that the server ends as it shuts
// down, says so; the browser then reconnects.
func TestObserverHearsWhyStreamsEnd(t *testing.T) {
	for _, tc := range protocols {
		t.Run(tc.name, func(t *testing.T) {
			obs, e := observed(t, tc.start, func(c *web.Config) { c.StreamLifetime = 200 * time.Millisecond })
			stream := e.guest().events(openShow, "")
			stream.next() // the snapshot
			if why := obs.ended(t, "the stream's lifetime"); why != web.ClosedLifetime {
				t.Errorf("at the end of its lifetime the stream ended as %q, want %q", why, web.ClosedLifetime)
			}

			obs, e = observed(t, tc.start, nil)
			stream = e.guest().events(openShow, "")
			stream.next()
			e.hub.Close()
			if why := obs.ended(t, "the hub closing"); why != web.ClosedServer {
				t.Errorf("as the server shut down the stream ended as %q, want %q", why, web.ClosedServer)
			}
		})
	}
}

// /metrics is for the operator: with a token configured it answers only a
// request bearing it, and tells the others how to ask, as a problem.
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
		case http.StatusUnauthorized:
			if ct, wa := resp.Header.Get("Content-Type"), resp.Header.Get("WWW-Authenticate"); ct != "application/problem+json" ||
				!strings.HasPrefix(wa, "Bearer ") || strings.Contains(string(body), "boxoffice_up") {
				t.Errorf("token %q, Authorization %q: %s, WWW-Authenticate %q, body %s; want a problem and a Bearer challenge",
					tc.token, tc.auth, ct, wa, body)
			}
		}
	}
}
