package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice"
)

// watchedStore records reads made while, or after, the store closes, and can
// hold every read of the change log until its context ends, as a slow
// database would.
type watchedStore struct {
	boxoffice.Store

	mu       sync.Mutex
	reading  int
	closed   bool
	late     []string      // reads on a closed store
	hold     chan struct{} // non-nil: ChangesSince waits for its context
	held     chan struct{} // told of each held read
	heldOnce sync.Once
}

func (s *watchedStore) enter(what string) func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.late = append(s.late, what)
	}
	s.reading++
	return func() { s.mu.Lock(); s.reading--; s.mu.Unlock() }
}

func (s *watchedStore) ChangesSince(ctx context.Context, show boxoffice.ShowID, after int64, limit int) ([]boxoffice.Change, error) {
	defer s.enter("ChangesSince")()
	s.mu.Lock()
	hold := s.hold
	s.mu.Unlock()
	if hold != nil {
		s.heldOnce.Do(func() { close(s.held) })
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return s.Store.ChangesSince(ctx, show, after, limit)
}

func (s *watchedStore) SeatMap(ctx context.Context, id boxoffice.ShowID) (boxoffice.SeatMap, error) {
	defer s.enter("SeatMap")()
	return s.Store.SeatMap(ctx, id)
}

func (s *watchedStore) Close() error {
	s.mu.Lock()
	if s.reading > 0 {
		s.late = append(s.late, fmt.Sprintf("Close with %d reads in flight", s.reading))
	}
	s.closed = true
	s.mu.Unlock()
	return s.Store.Close()
}

// Shutting down with watchers connected, on both stream paths, and the hub's
// feed in the middle of a read: Shutdown ends the streams, cancels the read
// and closes the store only once nothing reads it; no goroutine is left and
// nothing is logged above info.
func TestShutdownClosesInOrderAndWaits(t *testing.T) {
	before := runtime.NumGoroutine()
	store := &watchedStore{held: make(chan struct{})}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	cfg := Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "b.db"), Demo: true, Location: time.UTC,
		wrapStore: func(s boxoffice.Store) boxoffice.Store { store.Store = s; return store }}
	srv, err := Start(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + srv.URLHost()
	shows, err := store.Shows(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	show := string(shows[0].ID)
	client := &http.Client{Transport: &http.Transport{}}

	// Watchers over HTTP/1.1, whose streams are taken over, and one over
	// HTTP/1.0, whose stream stays with net/http.
	var streams []*bufio.Reader
	for range 5 {
		resp, err := client.Get(base + "/api/shows/" + show + "/events")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		streams = append(streams, bufio.NewReader(resp.Body))
	}
	conn, err := net.Dial("tcp", srv.URLHost())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/shows/%s/events HTTP/1.0\r\nHost: x\r\n\r\n", show)
	streams = append(streams, bufio.NewReader(conn))
	for i, r := range streams {
		if !readUntil(r, "event: snapshot") {
			t.Fatalf("watcher %d got no snapshot", i)
		}
	}

	// A booking wakes the feed, whose read of the change log then hangs.
	store.mu.Lock()
	store.hold = make(chan struct{})
	store.mu.Unlock()
	req, _ := http.NewRequest(http.MethodPut, base+"/api/shows/"+show+"/seats/A1", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("booking: %s", resp.Status)
	}
	<-store.held

	if err := srv.Shutdown(); err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	for i, r := range streams {
		if _, err := io.Copy(io.Discard, r); err != nil {
			t.Errorf("watcher %d: the stream did not end cleanly: %v", i, err)
		}
	}
	store.mu.Lock()
	if len(store.late) > 0 {
		t.Errorf("the store was read as or after it closed: %v", store.late)
	}
	store.mu.Unlock()
	client.CloseIdleConnections()
	conn.Close()
	if !goroutinesSettle(before) {
		var stacks bytes.Buffer
		_ = pprof.Lookup("goroutine").WriteTo(&stacks, 1)
		t.Errorf("%d goroutines after shutdown, %d before:\n%s", runtime.NumGoroutine(), before, stacks.String())
	}
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("logged: %s", line)
		}
	}
}

// readUntil reads lines from r until one is want; false if the stream ends.
func readUntil(r *bufio.Reader, want string) bool {
	for {
		line, err := r.ReadString('\n')
		if strings.TrimSpace(line) == want {
			return true
		}
		if err != nil {
			return false
		}
	}
}

// goroutinesSettle reports whether the number of goroutines falls back to
// at most n: goroutines that were told to end take a moment to do so.
func goroutinesSettle(n int) bool {
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			return false
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond)
	}
	return true
}

// syncWriter serialises writes to w: the log is written from many
// goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}
