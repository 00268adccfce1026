package deploy_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice/internal/loopback"
	"boxoffice/postgres/pgtest"
)

// Two real boxoffice processes on one PostgreSQL database behind Debian's
// nginx running deploy/nginx.conf, as the README's "Several instances behind
// nginx" sets them up. Every request goes through nginx, each guest from an
// address of its own: what a cinema's guests would do.
func TestNginxInFrontOfTwoInstances(t *testing.T) {
	need(t, "nginx")
	db := pgtest.Database(t)
	a := startInstance(t, db, fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	b := startInstance(t, db, fmt.Sprintf("127.0.0.1:%d", freePort(t)))
	site := &site{base: "http://" + startNginx(t, []string{a.addr, b.addr}), instances: []*instance{a, b}}
	shows := site.shows(t)

	t.Run("one seat, many guests", func(t *testing.T) { raceForOneSeat(t, site, shows[0]) })
	t.Run("live across instances", func(t *testing.T) { liveAcrossInstances(t, site, shows[0]) })
	t.Run("limits per guest", func(t *testing.T) { limitsPerGuest(t, site, shows[1]) })
	t.Run("an instance killed", func(t *testing.T) { instanceKilled(t, site, shows[2]) })
}

type site struct {
	base      string // nginx
	instances []*instance
}

// guest is guest i's browser: a cookie jar of its own, connecting from
// loopback address i.
func guest(i int) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Transport: loopback.Transport(i), Timeout: 20 * time.Second}
}

// upstream is the instance nginx finally passed resp's request to (after any
// retries, $upstream_addr lists every one tried).
func upstream(resp *http.Response) string {
	all := strings.Split(resp.Header.Get("X-Test-Upstream"), ", ")
	return all[len(all)-1]
}

func (s *site) shows(t *testing.T) []string {
	t.Helper()
	resp, err := guest(250).Get(s.base + "/api/shows")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Shows []struct{ ID string } }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil || len(v.Shows) < 3 {
		t.Fatalf("the shows through nginx: %+v, %v", v, err)
	}
	ids := make([]string, len(v.Shows))
	for i, sh := range v.Shows {
		ids[i] = sh.ID
	}
	return ids
}

// booked is one answer to a booking: its status, the version it carried and
// the instance that gave it.
type booked struct {
	status   int
	version  int64
	upstream string
	id       string // X-Request-Id
}

func (s *site) book(t *testing.T, c *http.Client, show, seat string) booked {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, s.base+"/api/shows/"+show+"/seats/"+seat, nil)
	resp, err := c.Do(req)
	if err != nil {
		t.Errorf("booking %s through nginx: %v", seat, err)
		return booked{}
	}
	defer resp.Body.Close()
	var v struct{ Version int64 }
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return booked{resp.StatusCode, v.Version, upstream(resp), resp.Header.Get("X-Request-Id")}
}

func raceForOneSeat(t *testing.T, s *site, show string) {
	const guests = 40
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		codes = map[int]int{}
		by    = map[string]int{}
	)
	for i := range guests {
		c := guest(i)
		wg.Go(func() {
			got := s.book(t, c, show, "A1")
			mu.Lock()
			defer mu.Unlock()
			codes[got.status]++
			by[got.upstream]++
		})
	}
	wg.Wait()
	if codes[http.StatusOK] != 1 || codes[http.StatusConflict] != guests-1 {
		t.Fatalf("%d guests booking A1 through nginx got %v; want one 200 and %d 409", guests, codes, guests-1)
	}
	if len(by) != 2 {
		t.Errorf("nginx sent the 40 bookings to %v; want both instances", by)
	}
}

// event is one event of a stream; name "" for the end of the stream.
type event struct {
	name, data string
	id         int64
}

// stream opens show's event stream through nginx as client c, resuming
// after lastID if it is not 0 (as a browser does with Last-Event-ID), and
// returns the instance serving it and its events; the channel closes when
// the stream ends.
func (s *site) stream(ctx context.Context, c *http.Client, show string, lastID int64) (string, <-chan event, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.base+"/api/shows/"+show+"/events", nil)
	if lastID != 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	streaming := *c
	streaming.Timeout = 0 // a stream lasts
	resp, err := streaming.Do(req)
	if err != nil {
		return "", nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return "", nil, fmt.Errorf("the event stream through nginx: %s", resp.Status)
	}
	events := make(chan event, 256)
	go func() {
		defer close(events)
		defer resp.Body.Close()
		readEvents(resp.Body, events)
	}()
	return upstream(resp), events, nil
}

func readEvents(r io.Reader, events chan<- event) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	var ev event
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if ev.name != "" {
				events <- ev
			}
			ev = event{}
		case strings.HasPrefix(line, "event: "):
			ev.name = line[len("event: "):]
		case strings.HasPrefix(line, "id: "):
			ev.id, _ = strconv.ParseInt(line[len("id: "):], 10, 64)
		case strings.HasPrefix(line, "data: "):
			ev.data = line[len("data: "):]
		}
	}
}

// other is the instance that is not addr.
func (s *site) other(addr string) *instance {
	for _, in := range s.instances {
		if in.addr != addr {
			return in
		}
	}
	return nil
}

func (s *site) instance(t *testing.T, addr string) *instance {
	t.Helper()
	for _, in := range s.instances {
		if in.addr == addr {
			return in
		}
	}
	t.Fatalf("nginx names %q as the upstream, which is no instance of the test", addr)
	return nil
}

// A booking that one instance serves reaches a stream that the other holds,
// through nginx, within the second the product promises: nginx does not
// buffer the stream, and the instances hear each other through PostgreSQL.
func liveAcrossInstances(t *testing.T, s *site, show string) {
	holder, events, err := s.stream(t.Context(), guest(40), show, 0)
	if err != nil {
		t.Fatal(err)
	}
	s.instance(t, holder)
	if ev := <-events; ev.name != "snapshot" {
		t.Fatalf("the stream began with %+v, want the snapshot", ev)
	}
	// nginx takes the instances in turn: within a few bookings one lands on
	// the instance not holding the stream.
	for i := range 10 {
		seat := fmt.Sprintf("B%d", i+1)
		got := s.book(t, guest(41+i), show, seat)
		answered := time.Now()
		if got.status != http.StatusOK {
			t.Fatalf("booking %s through nginx: %d", seat, got.status)
		}
		if got.upstream == holder {
			continue
		}
		want := fmt.Sprintf(`"id":"%s","status":"booked"`, seat)
		deadline := time.After(time.Second)
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatal("the stream ended")
				}
				if strings.Contains(ev.data, want) {
					t.Logf("%s booked on %s reached the stream on %s %v after its answer",
						seat, got.upstream, holder, time.Since(answered))
					return
				}
			case <-deadline:
				t.Fatalf("%s, booked on %s, did not reach the stream on %s within 1s", seat, got.upstream, holder)
			}
		}
	}
	t.Fatalf("ten bookings through nginx all reached %s, which holds the stream; want round robin", holder)
}

// boxoffice sees each guest's own address through nginx: one address that
// sends more than twice the burst (40 per instance, and nginx spreads it
// over two) is refused, while another address at the same moment is not.
// Were nginx's address what boxoffice saw, both would share its bucket.
func limitsPerGuest(t *testing.T, s *site, show string) {
	const writes = 200
	greedy := guest(60)
	// The first write alone, so that the guest has its cookie before the
	// others race (each would otherwise become a guest of its own).
	if got := s.book(t, greedy, show, "C1"); got.status != http.StatusOK {
		t.Fatalf("booking C1: %d", got.status)
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		codes = map[int]int{}
		next  = make(chan struct{}, writes)
	)
	for range writes - 1 {
		next <- struct{}{}
	}
	close(next)
	for range 8 {
		wg.Go(func() {
			for range next {
				// Booking one's own seat again is a write that changes
				// nothing: the seat cap never refuses it.
				got := s.book(t, greedy, show, "C1")
				mu.Lock()
				codes[got.status]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if codes[http.StatusTooManyRequests] == 0 || codes[http.StatusOK]+codes[http.StatusTooManyRequests] != writes-1 {
		t.Fatalf("%d writes from one address through nginx got %v; want 200s then 429s", writes, codes)
	}
	t.Logf("%d writes from one address: %v", writes, codes)
	modest := guest(61)
	for i := range 10 {
		if got := s.book(t, modest, show, "C2"); got.status != http.StatusOK {
			t.Fatalf("write %d from another address, right after: %d; want 200 (its own bucket)", i+1, got.status)
		}
	}
}
