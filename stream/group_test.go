package stream

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/live"
)

// changeLog is a show's change log in memory, a live.Source.
type changeLog struct {
	mu      sync.Mutex
	changes []boxoffice.Change
}

func (l *changeLog) ChangesSince(_ context.Context, show boxoffice.ShowID, after int64, limit int) ([]boxoffice.Change, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []boxoffice.Change
	for _, c := range l.changes {
		if c.Version > after && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, nil
}

func (l *changeLog) commit(hub *live.Hub, show boxoffice.ShowID) {
	l.mu.Lock()
	v := int64(len(l.changes) + 1)
	l.changes = append(l.changes, boxoffice.Change{Show: show, Version: v,
		Seats: []boxoffice.SeatChange{{Seat: "A1", Holder: "someone"}}})
	l.mu.Unlock()
	hub.Poke(show)
}

// ids reads event ids from a taken-over stream's client end.
func ids(t *testing.T, r *bufio.Reader, n int) []string {
	t.Helper()
	var out []string
	for len(out) < n {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("after ids %v: %v", out, err)
		}
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			out = append(out, strings.TrimSpace(id))
		}
	}
	return out
}

// A stream joining a group that is ahead of it gets what it lacks from its
// own subscription first, then the group's events: no gap, no repeat.
func TestStreamJoinsGroupAhead(t *testing.T) {
	const show = "s"
	log := &changeLog{}
	hub := live.NewHub(log, live.Options{})
	defer hub.Close()
	engine := New(Config{Hub: hub, Heartbeat: time.Hour, Lifetime: time.Hour})
	defer engine.Close()
	engine.shards = 1
	log.commit(hub, show) // version 1

	// The late stream's subscription is taken at version 1, as its handler
	// would after sending the snapshot.
	lateWatch, missed, err := hub.Watch(context.Background(), show, 1, 1)
	if err != nil || len(missed) != 0 {
		t.Fatalf("watch: %v %v", missed, err)
	}
	firstWatch, _, err := hub.Watch(context.Background(), show, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	firstConn, firstClient := tcpPair(t)
	engine.add(show, newStreamAt(t, firstConn, 1), firstWatch)
	first := bufio.NewReader(firstClient)

	log.commit(hub, show) // 2
	log.commit(hub, show) // 3
	if got := ids(t, first, 2); strings.Join(got, ",") != "2,3" {
		t.Fatalf("first stream got %v", got)
	}
	lateConn, lateClient := tcpPair(t)
	engine.add(show, newStreamAt(t, lateConn, 1), lateWatch)
	log.commit(hub, show) // 4
	if got := ids(t, bufio.NewReader(lateClient), 3); strings.Join(got, ",") != "2,3,4" {
		t.Errorf("late stream got %v, want 2,3,4", got)
	}
	if got := ids(t, first, 1); got[0] != "4" {
		t.Errorf("first stream then got %v, want 4", got)
	}
}

func newStreamAt(t *testing.T, nc *net.TCPConn, version int64) *conn {
	t.Helper()
	st, _ := newTestStream(t, nc)
	st.version = version
	return st
}

// BenchmarkStreamGroupDeliver: one op is one change written to 1,000
// taken-over streams over loopback TCP, whose readers discard what they get
// (on the same cores, as the load tool's would be). ns/op ÷ 1,000 is the
// cost per watcher and event.
func BenchmarkStreamGroupDeliver(b *testing.B) {
	const streams = 1000
	g := &group{engine: New(Config{}), conns: map[*conn]struct{}{}, wake: make(chan struct{}, 1)}
	for range streams {
		server, client := tcpPair(b)
		go func() { _, _ = io.Copy(io.Discard, client) }()
		st, _ := newTestStream(b, server)
		g.conns[st] = struct{}{}
		st.group = g
	}
	v := int64(0)
	for b.Loop() {
		v++
		g.deliver([]*live.Event{{Change: boxoffice.Change{Show: "s", Version: v,
			Seats: []boxoffice.SeatChange{{Seat: "D7", Holder: "someone"}}}}})
	}
	for st := range g.conns {
		st.mu.Lock()
		if st.closed {
			b.Fatal("a stream whose client reads was closed")
		}
		st.mu.Unlock()
	}
}
