package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"boxoffice/live"
	"boxoffice/web"
)

// sse reads Server-Sent Events from a stream.
type sse struct {
	t    testing.TB
	resp *http.Response
	ch   chan sseEvent
}

type sseEvent struct{ name, id, data string }

func (g *guest) events(show string, lastID string) *sse {
	g.e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g.e.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", g.e.srv.URL+"/api/shows/"+show+"/events", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := g.c.Do(req)
	if err != nil {
		g.e.t.Fatal(err)
	}
	g.e.t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		g.e.t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sse{t: g.e.t, resp: resp, ch: make(chan sseEvent, 100)}
	go func() {
		defer close(s.ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		// Every block with a field counts, not only named events: a client
		// must find the snapshot first, not some preamble.
		var ev sseEvent
		fields := false
		for sc.Scan() {
			line := sc.Text()
			if line != "" && !strings.HasPrefix(line, ":") {
				fields = true
			}
			switch {
			case line == "":
				if fields {
					s.ch <- ev
				}
				ev, fields = sseEvent{}, false
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return s
}

// next waits for the next event, for at most a generous bound: the product
// promises a second; a loaded CI machine under -race gets five.
func (s *sse) next() sseEvent {
	s.t.Helper()
	start := time.Now()
	select {
	case ev, ok := <-s.ch:
		if !ok {
			s.t.Fatal("event stream ended")
		}
		s.t.Logf("event %s %s after %v", ev.name, ev.id, time.Since(start))
		return ev
	case <-time.After(5 * time.Second):
		s.t.Fatal("no event within 5s")
	}
	return sseEvent{}
}

func TestEventStream(t *testing.T) {
	e := newEnv(t, testLayout)
	alice, bob := e.guest(), e.guest()
	alice.book(openShow, "A1")

	stream := bob.events(openShow, "")
	ev := stream.next()
	if ev.name != "snapshot" || ev.id != "1" {
		t.Fatalf("first event %s id %s, want snapshot id 1", ev.name, ev.id)
	}
	var snap struct {
		Version int64
		Seats   []struct{ ID, Status string }
	}
	if err := json.Unmarshal([]byte(ev.data), &snap); err != nil || snap.Version != 1 || snap.Seats[0].Status != "booked" {
		t.Fatalf("snapshot %s (%v)", ev.data, err)
	}

	alice.book(openShow, "A2")
	if ev := stream.next(); ev.name != "seats" || ev.id != "2" || ev.data != `{"version":2,"seats":[{"id":"A2","status":"booked"}]}` {
		t.Errorf("event %+v", ev)
	}
	bob.bookMany(openShow, `{"seats":["B1","B2"]}`)
	if ev := stream.next(); ev.id != "3" || ev.data != `{"version":3,"seats":[{"id":"B1","status":"mine"},{"id":"B2","status":"mine"}]}` {
		t.Errorf("bob's own booking as bob sees it: %+v", ev)
	}
	alice.release(openShow, "A1")
	if ev := stream.next(); ev.id != "4" || ev.data != `{"version":4,"seats":[{"id":"A1","status":"free"}]}` {
		t.Errorf("release event %+v", ev)
	}

	// Resuming after version 2 replays 3 and 4 only, no snapshot.
	resumed := bob.events(openShow, "2")
	for _, want := range []string{"3", "4"} {
		if ev := resumed.next(); ev.name != "seats" || ev.id != want {
			t.Errorf("resumed stream: %s %s, want seats %s", ev.name, ev.id, want)
		}
	}
	alice.book(openShow, "C3")
	if ev := resumed.next(); ev.id != "5" {
		t.Errorf("resumed stream then got %s %s, want the live change 5", ev.name, ev.id)
	}
	// An id from the future (another database) gets a fresh snapshot.
	if ev := bob.events(openShow, "999").next(); ev.name != "snapshot" || ev.id != "5" {
		t.Errorf("unknown id: %s %s, want snapshot 5", ev.name, ev.id)
	}
}

func TestEventStreamUnknownShow(t *testing.T) {
	e := newEnv(t, testLayout)
	wantProblem(t, e.guest().do("GET", "/api/shows/nope/events", "", ""), 404)
}

// An event stream must outlive the server's write timeout: it lifts the
// deadline for itself, while keep-alive comments flow.
func TestEventStreamOutlivesWriteTimeout(t *testing.T) {
	e := newEnv(t, testLayout)
	hub := live.NewHub(e.store, live.Options{})
	defer hub.Close()
	h, err := web.NewHandler(web.Config{Store: e.store, Hub: hub, Heartbeat: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	const writeTimeout = 200 * time.Millisecond
	srv.Config.WriteTimeout = writeTimeout
	srv.Start()
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/shows/" + openShow + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	start, beats := time.Now(), 0
	for time.Since(start) < 3*writeTimeout {
		if !sc.Scan() {
			t.Fatalf("stream ended after %v and %d keep-alives: %v", time.Since(start), beats, sc.Err())
		}
		if strings.HasPrefix(sc.Text(), ":") {
			beats++
		}
	}
	t.Logf("%d keep-alives over %v with a write timeout of %v", beats, time.Since(start), writeTimeout)
}
