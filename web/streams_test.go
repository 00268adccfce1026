package web_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice/web"
)

// Many watchers, some of them holders, each get every change once and in
// order, as they themselves see it, while guests book concurrently.
func TestEventStreamManyWatchers(t *testing.T) {
	e := newEnv(t, testLayout)
	const watchers, holders = 120, 4
	type watcher struct {
		g      *guest
		stream *sse
	}
	ws := make([]watcher, watchers)
	for i := range ws {
		g := e.guest()
		ws[i] = watcher{g, g.events(openShow, "")}
		if ev := ws[i].stream.next(); ev.name != "snapshot" {
			t.Fatalf("watcher %d: first event %s", i, ev.name)
		}
	}
	seats := []string{"A1", "A2", "B1", "B2"}
	var wg sync.WaitGroup
	for i := range holders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r := ws[i].g.book(openShow, seats[i]); r.status != 200 {
				t.Errorf("book %s: %d %s", seats[i], r.status, r.body)
			}
		}()
	}
	wg.Wait()
	for i, w := range ws {
		var mine []string
		for v := 1; v <= holders; v++ {
			ev := w.stream.next()
			if ev.name != "seats" || ev.id != fmt.Sprint(v) {
				t.Fatalf("watcher %d: event %s %s, want seats %d", i, ev.name, ev.id, v)
			}
			if strings.Contains(ev.data, `"mine"`) {
				mine = append(mine, ev.data)
			}
			if !strings.Contains(ev.data, `"booked"`) && !strings.Contains(ev.data, `"mine"`) {
				t.Errorf("watcher %d: event %s", i, ev.data)
			}
		}
		if want := map[bool]int{true: 1, false: 0}[i < holders]; len(mine) != want {
			t.Errorf("watcher %d sees %d seats as its own (%v), want %d", i, len(mine), mine, want)
		}
	}
}

// A stream ends cleanly after its lifetime, so that the browser reconnects.
func TestEventStreamLifetime(t *testing.T) {
	e := newEnvWith(t, testLayout, func(c *web.Config) { c.StreamLifetime = 200 * time.Millisecond },
		(*httptest.Server).Start)
	resp, err := e.guest().c.Get(e.srv.URL + "/api/shows/" + openShow + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	done := make(chan error, 1)
	go func() {
		body, err := io.ReadAll(resp.Body)
		if err == nil && !strings.HasPrefix(string(body), "retry: 2000\nevent: snapshot\n") {
			err = fmt.Errorf("body %.60q", body)
		}
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the stream did not end cleanly: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the stream outlived its lifetime of 200ms by 5s")
	}
}

// Closing the hub, as the server does on shutdown, ends every stream.
func TestEventStreamsEndWhenHubCloses(t *testing.T) {
	e := newEnv(t, testLayout)
	var streams []*sse
	for range 5 {
		s := e.guest().events(openShow, "")
		s.next()
		streams = append(streams, s)
	}
	e.hub.Close()
	for i, s := range streams {
		select {
		case _, ok := <-s.ch:
			if ok {
				t.Errorf("stream %d: an event after the hub closed", i)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("stream %d still open 5s after the hub closed", i)
		}
	}
}

// Over HTTP/2 the stream cannot be taken over and stays with net/http.
func TestEventStreamOverHTTP2(t *testing.T) {
	e := newEnvWith(t, testLayout, nil, func(s *httptest.Server) {
		s.EnableHTTP2 = true
		s.StartTLS()
	})
	g := e.guest()
	stream := g.events(openShow, "")
	if stream.resp.ProtoMajor != 2 {
		t.Fatalf("protocol %s, want HTTP/2", stream.resp.Proto)
	}
	if ev := stream.next(); ev.name != "snapshot" {
		t.Fatalf("first event %s", ev.name)
	}
	g.book(openShow, "A1")
	if ev := stream.next(); ev.id != "1" || ev.data != `{"version":1,"seats":[{"id":"A1","status":"mine"}]}` {
		t.Errorf("event %+v", ev)
	}
	e.guest().book(openShow, "A2")
	if ev := stream.next(); ev.id != "2" || ev.data != `{"version":2,"seats":[{"id":"A2","status":"booked"}]}` {
		t.Errorf("event %+v", ev)
	}
}

// A client resuming with nothing missed still learns the reconnection delay,
// at once (a client accepting gzip once got no headers until the next event).
func TestEventStreamResumedSetsRetry(t *testing.T) {
	e := newEnv(t, testLayout)
	g := e.guest()
	g.book(openShow, "A1")
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/shows/"+openShow+"/events", nil)
	req.Header.Set("Last-Event-ID", "1")
	resp, err := g.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	e.guest().book(openShow, "A2")
	const want = "retry: 2000\n\nevent: seats\nid: 2\n"
	got := make([]byte, len(want))
	if _, err := io.ReadFull(resp.Body, got); err != nil || string(got) != want {
		t.Errorf("stream starts %q (%v), want %q", got, err, want)
	}
}

// Watchers connecting while guests book each get an unbroken sequence from
// their snapshot on: joining a show's running stream group loses nothing and
// repeats nothing.
func TestEventStreamsJoinWhileChangesFlow(t *testing.T) {
	e := newEnv(t, testLayout)
	const bookers, rounds, watchers = 3, 10, 40
	seats := []string{"A1", "A2", "A3"}
	var wg sync.WaitGroup
	for i := range bookers {
		g := e.guest()
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range rounds {
				g.book(openShow, seats[i])
				g.release(openShow, seats[i])
			}
		}()
	}
	var streams []*sse
	for range watchers {
		streams = append(streams, e.guest().events(openShow, ""))
	}
	wg.Wait()
	const final = bookers * rounds * 2
	for i, s := range streams {
		ev := s.next()
		if ev.name != "snapshot" {
			t.Fatalf("watcher %d: first event %s", i, ev.name)
		}
		v, _ := strconv.Atoi(ev.id)
		for v < final {
			ev := s.next()
			if ev.name != "seats" || ev.id != strconv.Itoa(v+1) {
				t.Fatalf("watcher %d: after %d came %s %s", i, v, ev.name, ev.id)
			}
			v++
		}
	}
}
