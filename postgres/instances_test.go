package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/demo"
	"boxoffice/live"
	"boxoffice/postgres/pgtest"
)

// seedDemo seeds the demo programme through s and returns its first show.
func seedDemo(t *testing.T, s *Store) boxoffice.Show { return seedDemoB(t, s) }

// seedDemoB seeds the demo programme through s and returns its biggest show.
func seedDemoB(t testing.TB, s *Store) boxoffice.Show {
	t.Helper()
	p, err := demo.Programme(time.Now(), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Seed(t.Context(), p); err != nil || !ok {
		t.Fatalf("Seed = %v, %v", ok, err)
	}
	biggest := p.Shows[0]
	for _, sh := range p.Shows {
		if len(sh.Hall.Layout.Seats) > len(biggest.Hall.Layout.Seats) {
			biggest = sh
		}
	}
	return biggest
}

// Instances starting together on an empty database migrate it and seed it
// once between them, without errors.
func TestInstancesStartTogether(t *testing.T) {
	url := pgtest.Database(t)
	p, err := demo.Programme(time.Now(), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	const n = 6
	var (
		start  = make(chan struct{})
		wg     sync.WaitGroup
		seeded atomic.Int32
	)
	for i := range n {
		wg.Go(func() {
			<-start
			s, err := Open(t.Context(), url, Options{PoolSize: 2})
			if err != nil {
				t.Errorf("instance %d: Open = %v", i, err)
				return
			}
			defer s.Close()
			ok, err := s.Seed(t.Context(), p)
			if err != nil {
				t.Errorf("instance %d: Seed = %v", i, err)
			}
			if ok {
				seeded.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := seeded.Load(); got != 1 {
		t.Errorf("%d instances seeded the programme, want exactly 1", got)
	}
	s := openTest(t, url, Options{})
	shows, err := s.Shows(t.Context())
	if err != nil || len(shows) != len(p.Shows) {
		t.Errorf("Shows = %d shows, %v; want the %d of the programme", len(shows), err, len(p.Shows))
	}
}

// 200 guests, half on each of two instances (two pools, one database), race
// for one seat: exactly one gets it, every other is told it is taken.
func TestTwoInstancesOneSeat(t *testing.T) {
	url := pgtest.Database(t)
	a, b := openTest(t, url, Options{}), openTest(t, url, Options{})
	show := seedDemo(t, a)
	seat := show.Hall.Layout.Seats[0].ID

	const guests = 200
	var (
		start        = make(chan struct{})
		wg           sync.WaitGroup
		won, refused atomic.Int32
		winner       atomic.Value
	)
	for i := range guests {
		s := a
		if i%2 == 1 {
			s = b
		}
		g := boxoffice.GuestFromToken(fmt.Sprint("racer-", i))
		wg.Go(func() {
			<-start
			_, err := s.Book(t.Context(), show.ID, []boxoffice.SeatID{seat}, g, "", 0)
			switch {
			case err == nil:
				won.Add(1)
				winner.Store(g)
			case errors.Is(err, boxoffice.ErrTaken):
				refused.Add(1)
			default:
				t.Errorf("Book = %v, want success or ErrTaken", err)
			}
		})
	}
	close(start)
	wg.Wait()
	if won.Load() != 1 || refused.Load() != guests-1 {
		t.Fatalf("%d guests got the seat and %d were refused; want 1 and %d", won.Load(), refused.Load(), guests-1)
	}
	for name, s := range map[string]*Store{"a": a, "b": b} {
		m, err := s.SeatMap(t.Context(), show.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Holders[seat]; got != winner.Load() || m.Version != 1 || len(m.Holders) != 1 {
			t.Errorf("instance %s: seat map at version %d gives %s to %s; want version 1, only the winner", name, m.Version, seat, got)
		}
	}
}

// Changes made through one instance reach a watcher of another, in version
// order, none missing and none repeated, even when the listening connection
// is killed while changes keep coming.
func TestChangesReachOtherInstance(t *testing.T) {
	url := pgtest.Database(t)
	writer, reader := openTest(t, url, Options{}), openTest(t, url, Options{})
	show := seedDemo(t, writer)

	sub, listening := watchListening(t, reader, show.ID, 1024)

	const total = 60
	book := func(i int) {
		seat := show.Hall.Layout.Seats[i].ID
		if _, err := writer.Book(t.Context(), show.ID, []boxoffice.SeatID{seat}, boxoffice.GuestFromToken(fmt.Sprint("g", i)), "", 0); err != nil {
			t.Fatalf("Book %s = %v", seat, err)
		}
	}
	for i := range total / 2 {
		book(i)
	}
	if n := pgtest.Terminate(t, url, listenerName); n != 1 {
		t.Fatalf("terminated %d listener connections, want 1", n)
	}
	// These commit while the listener is down or reconnecting: only the
	// re-read after the reconnect can bring them.
	for i := total / 2; i < total; i++ {
		book(i)
	}
	select {
	case <-listening:
	case <-time.After(30 * time.Second):
		t.Fatal("the listener did not reconnect within 30s")
	}

	timeout := time.After(30 * time.Second)
	for want := int64(1); want <= total; want++ {
		select {
		case e, ok := <-sub.C():
			if !ok {
				t.Fatalf("subscription closed: %v", sub.Err())
			}
			if e.Version != want {
				t.Fatalf("watcher got version %d, want %d", e.Version, want)
			}
		case <-timeout:
			t.Fatalf("watcher has versions up to %d of %d after 30s", want-1, total)
		}
	}
}

// watchListening subscribes to show from version 0 on a hub over reader,
// with reader's listener feeding the hub, and returns once the listener is
// connected: the subscription, and a channel told of each reconnect after.
// All of it stops when the test ends.
func watchListening(t *testing.T, reader *Store, show boxoffice.ShowID, buffer int) (*live.Subscription, <-chan struct{}) {
	t.Helper()
	hub := live.NewHub(reader, live.Options{Buffer: buffer})
	t.Cleanup(hub.Close)
	sub, err := hub.Subscribe(show, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sub.Close)

	ctx, cancel := context.WithCancel(context.Background())
	listening := make(chan struct{}, 8)
	done := make(chan struct{})
	go func() {
		defer close(done)
		reader.Listen(ctx, hearer{hub, listening})
	}()
	t.Cleanup(func() { cancel(); <-done })
	<-listening
	return sub, listening
}

// hearer is the hub, and reports each (re)connect.
type hearer struct {
	*live.Hub
	listening chan<- struct{}
}

func (h hearer) Resync() {
	h.Hub.Resync()
	h.listening <- struct{}{}
}

func TestParsePayload(t *testing.T) {
	for _, c := range []struct {
		in   string
		show boxoffice.ShowID
		v    int64
		ok   bool
	}{
		{"gala-1127 12", "gala-1127", 12, true},
		{"a show with spaces 3", "a show with spaces", 3, true},
		{"gala", "", 0, false},
		{"gala x", "", 0, false},
		{" 5", "", 0, false},
		{"gala 0", "", 0, false},
	} {
		show, v, ok := parsePayload(c.in)
		if show != c.show || v != c.v || ok != c.ok {
			t.Errorf("parsePayload(%q) = %q, %d, %v; want %q, %d, %v", c.in, show, v, ok, c.show, c.v, c.ok)
		}
	}
}
