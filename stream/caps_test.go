package stream

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"boxoffice/limit"
	"boxoffice/live"
)

// capObserver counts streams and tells each end.
type capObserver struct {
	opened atomic.Int64
	closed chan string
	// engine, if set, is asked as each stream ends how many slots are
	// held: heldAtEnd records the answers.
	engine    *Engine
	mu        sync.Mutex
	heldAtEnd []int
}

func (o *capObserver) StreamOpened() { o.opened.Add(1) }
func (o *capObserver) StreamClosed(w string) {
	if o.engine != nil {
		o.mu.Lock()
		o.heldAtEnd = append(o.heldAtEnd, o.engine.slots.Held())
		o.mu.Unlock()
	}
	o.closed <- w
}
func (o *capObserver) StreamTakeoverFailed() {}

// ended waits for the next stream to end.
func (o *capObserver) ended(t *testing.T) string {
	t.Helper()
	select {
	case why := <-o.closed:
		return why
	case <-time.After(5 * time.Second):
		t.Fatal("no stream ended within 5s")
	}
	return ""
}

// capsEnv is an engine behind a test server whose clients name their
// address in X-Client.
type capsEnv struct {
	t      *testing.T
	log    *changeLog
	hub    *live.Hub
	engine *Engine
	obs    *capObserver
	srv    *httptest.Server
}

const capsShow = "s"

func newCapsEnv(t *testing.T, perClient, total int, start func(*httptest.Server), wrap func(http.ResponseWriter) http.ResponseWriter) *capsEnv {
	t.Helper()
	c := &capsEnv{t: t, log: &changeLog{}, obs: &capObserver{closed: make(chan string, 256)}}
	c.hub = live.NewHub(c.log, live.Options{})
	// Quick heartbeats: a taken-over stream notices its client left at its
	// next write.
	c.engine = New(Config{Hub: c.hub, Heartbeat: 20 * time.Millisecond, Lifetime: time.Hour, Observer: c.obs,
		MaxStreamsPerClient: perClient, MaxStreams: total})
	c.obs.engine = c.engine
	c.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if wrap != nil {
			w = wrap(w)
		}
		c.log.mu.Lock()
		v := int64(len(c.log.changes))
		c.log.mu.Unlock()
		req := Request{Show: capsShow, Version: v, From: v, Snapshot: [][]byte{[]byte("{}")},
			Client: limit.Key(netip.MustParseAddr(r.Header.Get("X-Client")))}
		err := c.engine.Serve(w, r, req)
		switch {
		case errors.Is(err, ErrTooManyStreams):
			w.WriteHeader(http.StatusTooManyRequests)
		case errors.Is(err, ErrServerBusy):
			w.WriteHeader(http.StatusServiceUnavailable)
		case err != nil:
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	start(c.srv)
	t.Cleanup(func() {
		c.srv.CloseClientConnections()
		c.engine.Close()
		c.hub.Close()
		c.srv.Close()
	})
	return c
}

// request sends method as client and returns the response, its body open.
func (c *capsEnv) request(method, client string) *http.Response {
	c.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, method, c.srv.URL, nil)
	req.Header.Set("X-Client", client)
	resp, err := c.srv.Client().Do(req)
	if err != nil {
		cancel()
		c.t.Fatalf("%s as %s: %v", method, client, err)
	}
	c.t.Cleanup(func() { resp.Body.Close(); cancel() })
	return resp
}

// status is the status a method gets as client, the response closed.
func (c *capsEnv) status(method, client string) int {
	c.t.Helper()
	resp := c.request(method, client)
	resp.Body.Close()
	return resp.StatusCode
}

// open opens a stream as client and reads its snapshot.
func (c *capsEnv) open(client string) (*http.Response, *bufio.Reader) {
	c.t.Helper()
	resp := c.request("GET", client)
	if resp.StatusCode != http.StatusOK {
		c.t.Fatalf("stream of %s: %d, want 200", client, resp.StatusCode)
	}
	r := bufio.NewReader(resp.Body)
	ids(c.t, r, 1) // the snapshot
	return resp, r
}

// ways are the paths a stream can take in the engine: taken over from
// net/http, or kept by it because the takeover failed or over HTTP/2.
var ways = []struct {
	name  string
	start func(*httptest.Server)
	wrap  func(http.ResponseWriter) http.ResponseWriter
}{
	{"taken over", (*httptest.Server).Start, nil},
	{"takeover failed", (*httptest.Server).Start, func(w http.ResponseWriter) http.ResponseWriter { return flushOnly{w} }},
	{"HTTP/2", func(s *httptest.Server) { s.EnableHTTP2 = true; s.StartTLS() }, nil},
}

// flushOnly hides the connection beneath: the stream cannot be taken over.
type flushOnly struct{ http.ResponseWriter }

func (f flushOnly) Flush() { _ = http.NewResponseController(f.ResponseWriter).Flush() }

// At a cap the next stream is refused, HEAD says so without taking a slot,
// the streams already open go on receiving changes, and a stream that ends
// gives its slot back to the next.
func TestStreamCaps(t *testing.T) {
	for _, way := range ways {
		t.Run(way.name, func(t *testing.T) {
			const a, b, c = "192.0.2.1", "192.0.2.2", "2001:db8::1"
			env := newCapsEnv(t, 2, 3, way.start, way.wrap)
			if got := env.status("HEAD", a); got != http.StatusOK {
				t.Fatalf("HEAD with nothing open: %d, want 200", got)
			}
			first, firstR := env.open(a)
			_, secondR := env.open(a)
			if got := env.status("GET", a); got != http.StatusTooManyRequests {
				t.Fatalf("a third stream of one client: %d, want 429", got)
			}
			if got := env.status("HEAD", a); got != http.StatusTooManyRequests {
				t.Errorf("HEAD of a client at its cap: %d, want 429", got)
			}
			if got := env.status("HEAD", b); got != http.StatusOK {
				t.Errorf("HEAD of another client: %d, want 200", got)
			}
			_, thirdR := env.open(b)
			for _, client := range []string{b, c, "2001:db8::2"} {
				if got := env.status("GET", client); got != http.StatusServiceUnavailable {
					t.Errorf("a stream of %s with the server at its total: %d, want 503", client, got)
				}
				if got := env.status("HEAD", client); got != http.StatusServiceUnavailable {
					t.Errorf("HEAD of %s with the server at its total: %d, want 503", client, got)
				}
			}
			if held := env.engine.slots.Held(); held != 3 {
				t.Fatalf("%d slots held, want 3: a refusal or a HEAD held one", held)
			}

			// At both caps, the open streams still hear every change.
			env.log.commit(env.hub, capsShow)
			for i, r := range []*bufio.Reader{firstR, secondR, thirdR} {
				if got := ids(t, r, 1); got[0] != "1" {
					t.Errorf("stream %d at the cap got %v, want 1", i, got)
				}
			}

			first.Body.Close()
			env.obs.ended(t)
			// The slot is back before the end is heard.
			if got := env.status("HEAD", c); got != http.StatusOK {
				t.Errorf("HEAD after a stream ended: %d, want 200", got)
			}
			env.open(a)
			if got := env.status("GET", b); got != http.StatusServiceUnavailable {
				t.Errorf("at the total again: %d, want 503", got)
			}
		})
	}
}

// Every stream gives its slot back exactly once, however it ends: its
// client leaving, the engine closing, its first write failing, or the hub
// being gone before it started.
func TestStreamSlotsGivenBack(t *testing.T) {
	for _, way := range ways {
		t.Run(way.name, func(t *testing.T) {
			env := newCapsEnv(t, 0, 0, way.start, way.wrap)
			var resps []*http.Response
			for i := range 6 {
				resp, _ := env.open("192.0.2." + strconv.Itoa(1+i%2))
				resps = append(resps, resp)
			}
			for _, resp := range resps[:3] {
				resp.Body.Close()
				if why := env.obs.ended(t); why != ClosedLeft {
					t.Errorf("a stream whose client left ended as %q", why)
				}
			}
			if held := env.engine.slots.Held(); held != 3 {
				t.Fatalf("%d slots held after 3 of 6 streams left, want 3", held)
			}
			// Whoever hears a stream end finds its slot free already.
			env.obs.mu.Lock()
			if got := env.obs.heldAtEnd; !slices.Equal(got, []int{5, 4, 3}) {
				t.Errorf("slots held as each stream's end was heard: %v, want [5 4 3]", got)
			}
			env.obs.mu.Unlock()
			env.engine.Close()
			for range 3 {
				if why := env.obs.ended(t); why != ClosedServer {
					t.Errorf("a stream the engine closed ended as %q", why)
				}
			}
			if held := env.engine.slots.Held(); held != 0 {
				t.Errorf("%d slots held after the engine closed", held)
			}
			if opened := env.obs.opened.Load(); opened != 6 {
				t.Errorf("%d streams opened, want 6", opened)
			}
			if got := env.status("GET", "192.0.2.1"); got != http.StatusInternalServerError {
				t.Errorf("a stream after the engine closed: %d, want ErrClosed", got)
			}
		})
	}
}

// failingWriter is a client gone before its first event.
type failingWriter struct{ h http.Header }

func (f *failingWriter) Header() http.Header       { return f.h }
func (f *failingWriter) WriteHeader(int)           {}
func (f *failingWriter) Write([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestStreamSlotGivenBackWhenFirstWriteFails(t *testing.T) {
	obs := &capObserver{closed: make(chan string, 1)}
	hub := live.NewHub(&changeLog{}, live.Options{})
	defer hub.Close()
	e := New(Config{Hub: hub, Observer: obs, MaxStreamsPerClient: 1})
	defer e.Close()
	client := limit.Key(netip.MustParseAddr("192.0.2.1"))
	req := Request{Show: capsShow, Snapshot: [][]byte{[]byte("{}")}, Client: client}
	for i := range 3 {
		r := httptest.NewRequest("GET", "/", nil)
		if err := e.Serve(&failingWriter{h: http.Header{}}, r, req); err != nil {
			t.Fatalf("attempt %d: Serve = %v, want nil (a stream that failed is not refused)", i, err)
		}
		if why := obs.ended(t); why != ClosedLeft {
			t.Errorf("ended as %q", why)
		}
		if held := e.slots.Held(); held != 0 {
			t.Fatalf("attempt %d: %d slots held after the first write failed", i, held)
		}
	}

	hub.Close()
	r := httptest.NewRequest("GET", "/", nil)
	if err := e.Serve(&failingWriter{h: http.Header{}}, r, req); !errors.Is(err, ErrClosed) {
		t.Fatalf("Serve with the hub closed = %v, want ErrClosed", err)
	}
	if held := e.slots.Held(); held != 0 {
		t.Fatalf("%d slots held after the hub refused the watch", held)
	}
}

// Many streams of one client racing for its cap, each held open: exactly
// the cap get through, the rest are refused, and all the slots come back.
func TestStreamCapUnderRace(t *testing.T) {
	const perClient, tries = 5, 60
	env := newCapsEnv(t, perClient, 0, (*httptest.Server).Start, nil)
	statuses := make([]int, tries)
	bodies := make([]*http.Response, tries)
	var wg sync.WaitGroup
	for i := range tries {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", env.srv.URL, nil)
			req.Header.Set("X-Client", "192.0.2.7")
			resp, err := env.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			statuses[i], bodies[i] = resp.StatusCode, resp
		})
	}
	wg.Wait()
	served := 0
	for i, st := range statuses {
		switch st {
		case http.StatusOK:
			served++
		case http.StatusTooManyRequests:
			bodies[i].Body.Close()
		default:
			t.Errorf("try %d: %d, want 200 or 429", i, st)
		}
	}
	if served != perClient {
		t.Fatalf("%d streams of one client served at once, want its cap %d", served, perClient)
	}
	for i, st := range statuses {
		if st == http.StatusOK {
			bodies[i].Body.Close()
			env.obs.ended(t)
		}
	}
	if held := env.engine.slots.Held(); held != 0 {
		t.Fatalf("%d slots held after every stream ended", held)
	}
}
