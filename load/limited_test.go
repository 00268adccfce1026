package load

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice/internal/loopback"
)

// fakeBox is a small booking server that keeps the rules, with limits of
// its own: every limitEvery-th write is refused 429 and changes nothing, and
// every failEvery-th is carried out but answered 503, as a commit whose
// answer failed. It remembers from which address each guest wrote.
type fakeBox struct {
	limitEvery, failEvery int

	mu      sync.Mutex
	writes  int
	refused int // answered 429 or 503
	maxHeld int // the most seats one guest held at once
	version int64
	holder  map[string]string // seat → guest cookie
	peers   map[string]map[netip.Addr]bool
}

var fakeSeats = []string{"A1", "A2", "A3", "A4", "A5", "A6"}

func newFakeBox(limitEvery, failEvery int) *fakeBox {
	return &fakeBox{limitEvery: limitEvery, failEvery: failEvery, holder: map[string]string{}, peers: map[string]map[netip.Addr]bool{}}
}

func (f *fakeBox) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/shows", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `{"shows":[{"id":"s","open":true,"capacity":%d}]}`, len(fakeSeats))
	})
	mux.HandleFunc("GET /api/shows/s", func(w http.ResponseWriter, r *http.Request) {
		me := guestOf(r)
		f.mu.Lock()
		defer f.mu.Unlock()
		var seats []string
		for i, s := range fakeSeats {
			status := "free"
			switch h := f.holder[s]; {
			case h != "" && h == me:
				status = "mine"
			case h != "":
				status = "booked"
			}
			seats = append(seats, fmt.Sprintf(`{"id":%q,"row":"A","number":%d,"status":%q,"x":%d,"y":0}`, s, i+1, status, i))
		}
		fmt.Fprintf(w, `{"id":"s","version":%d,"seats":[%s]}`, f.version, strings.Join(seats, ","))
	})
	mux.HandleFunc("PUT /api/shows/s/seats/{seat}", func(w http.ResponseWriter, r *http.Request) { f.write(w, r, true) })
	mux.HandleFunc("DELETE /api/shows/s/seats/{seat}", func(w http.ResponseWriter, r *http.Request) { f.write(w, r, false) })
	return mux
}

func guestOf(r *http.Request) string {
	c, err := r.Cookie(guestCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

func (f *fakeBox) write(w http.ResponseWriter, r *http.Request, book bool) {
	me, seat := guestOf(r), r.PathValue("seat")
	f.mu.Lock()
	defer f.mu.Unlock()
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		if f.peers[me] == nil {
			f.peers[me] = map[netip.Addr]bool{}
		}
		f.peers[me][ap.Addr()] = true
	}
	f.writes++
	if f.limitEvery > 0 && f.writes%f.limitEvery == 0 {
		w.Header().Set("Content-Type", "application/problem+json")
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"type":"/problems/too-many-requests","title":"Too many requests","status":429}`)
		f.refused++
		return
	}
	switch h := f.holder[seat]; {
	case book && h == "":
		f.holder[seat] = me
		f.version++
		held := 0
		for _, g := range f.holder {
			if g == me {
				held++
			}
		}
		f.maxHeld = max(f.maxHeld, held)
	case book && h != me:
		w.WriteHeader(http.StatusConflict)
		return
	case !book && h == me:
		delete(f.holder, seat)
		f.version++
	case !book && h != "":
		w.WriteHeader(http.StatusForbidden)
		return
	}
	if f.failEvery > 0 && f.writes%f.failEvery == 0 {
		w.Header().Set("Retry-After", "2")
		w.WriteHeader(http.StatusServiceUnavailable)
		f.refused++
		return
	}
	fmt.Fprintf(w, `{"version":%d}`, f.version)
}

// A server refusing some writes with 429 (and answering others 503): the
// report counts them as limited, never as errors, and the invariant check
// neither takes a refused write for done nor a 503 for not done.
func TestLimitedAnswers(t *testing.T) {
	box := newFakeBox(3, 7)
	srv := httptest.NewServer(box.handler())
	defer srv.Close()
	rep, err := runJSON(t, "--target", srv.URL, "--scenario", "spread", "--guests", "3", "--duration", "300ms", "--turn", "100ms")
	if err != nil {
		t.Fatalf("run: %v (invariant %+v)", err, rep.Invariant)
	}
	var limited int64
	for _, name := range []string{opBook, opRelease} {
		r, ok := row(rep, name)
		if !ok || r.OK == 0 || r.Errors != 0 {
			t.Errorf("row %q = %+v, want successes and no errors", name, r)
		}
		if r.Ops != r.OK+r.Conflicts+r.Limited {
			t.Errorf("row %q: %d ops, but %d ok + %d conflicts + %d limited", name, r.Ops, r.OK, r.Conflicts, r.Limited)
		}
		limited += r.Limited
	}
	box.mu.Lock()
	refused, maxHeld := int64(box.refused), box.maxHeld
	box.mu.Unlock()
	// A guest books one seat at a time and releases it before the next: one
	// whose release was refused tries it again rather than forget the seat
	// and book more (which a seat cap would then refuse).
	if maxHeld != 1 {
		t.Errorf("a guest held %d seats at once, want 1", maxHeld)
	}
	// The server's count also has the releases after the run, which the
	// tool retries after Retry-After and leaves out of its figures.
	if limited == 0 || limited > refused {
		t.Errorf("%d writes counted as limited, want some, and at most the %d the server answered 429 or 503", limited, refused)
	}
	if rep.Invariant == nil || rep.Invariant.Operations == 0 || len(rep.Invariant.Violations) > 0 {
		t.Errorf("invariant check: %+v", rep.Invariant)
	}
}

// A reader answered 429 or 503 counts a limited read, not an error.
func TestReaderLimited(t *testing.T) {
	status := http.StatusTooManyRequests
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
	}))
	defer srv.Close()
	rd := &reader{c: caller{hc: newClient(1, 0, nil), base: srv.URL}, op: opReaderGET, path: "/", t: newTallies(&counts{})}
	for _, status = range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusInternalServerError} {
		rd.step(t.Context(), time.Now())
	}
	if tl := rd.tallies()[opReaderGET]; tl.limited != 2 || tl.unavailable != 1 || tl.errors != 1 {
		t.Errorf("limited, unavailable, errors = %d, %d, %d; want 2 (429, 503), 1 (503) and 1 (500)", tl.limited, tl.unavailable, tl.errors)
	}
}

// Watchers refused by a limit are counted as limited, not as errors nor
// reconnects; they wait as asked and try again, as a page would.
func TestWatchersLimited(t *testing.T) {
	var mu sync.Mutex
	refusals := 2
	snapshots := make(chan struct{}, 3)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		refuse := refusals > 0
		refusals--
		mu.Unlock()
		if refuse {
			w.Header().Set("Content-Type", "application/problem+json")
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			io.WriteString(w, `{"type":"/problems/too-many-streams","status":429}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "event: snapshot\nid: 1\ndata: {}\n\n")
		w.(http.Flusher).Flush()
		snapshots <- struct{}{}
		<-r.Context().Done()
	}))
	defer srv.Close()
	wc, err := connectWatchers(t.Context(), t.Context(), []string{strings.TrimPrefix(srv.URL, "http://")}, "/events", 3, 0, newSendTimes())
	if err != nil {
		t.Fatal(err)
	}
	if wc.stats.Connected != 1 {
		t.Errorf("%d watchers connected at first, want 1 (two were refused)", wc.stats.Connected)
	}
	for range 3 { // the refused two come back after Retry-After
		<-snapshots
	}
	ws := wc.collect(&tally{})
	if ws.Limited != 2 || ws.Errors != 0 || ws.Reconnects != 0 {
		t.Errorf("limited, errors, reconnects = %d, %d, %d; want 2, 0, 0", ws.Limited, ws.Errors, ws.Reconnects)
	}
}

// --source-addrs: each guest writes from one address of its own, taken in
// turn from 127.0.0.2 onwards.
func TestSourceAddrsSpreadGuests(t *testing.T) {
	box := newFakeBox(0, 0)
	srv := httptest.NewServer(box.handler())
	defer srv.Close()
	if _, err := runJSON(t, "--target", srv.URL, "--scenario", "spread", "--guests", "6", "--source-addrs", "3",
		"--duration", "200ms"); err != nil {
		t.Fatalf("run: %v", err)
	}
	box.mu.Lock()
	defer box.mu.Unlock()
	guestsAt := map[netip.Addr]int{}
	for g, addrs := range box.peers {
		if len(addrs) != 1 {
			t.Errorf("guest %.8s… wrote from %d addresses, want 1", g, len(addrs))
		}
		for a := range addrs {
			guestsAt[a]++
		}
	}
	want := map[netip.Addr]int{loopback.Addr(0): 2, loopback.Addr(1): 2, loopback.Addr(2): 2}
	if fmt.Sprint(guestsAt) != fmt.Sprint(want) {
		t.Errorf("guests per source address = %v, want %v", guestsAt, want)
	}
}

// Watchers are spread over the source addresses in turn too.
func TestSourceAddrsSpreadWatchers(t *testing.T) {
	var mu sync.Mutex
	peers := map[netip.Addr]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ap, _ := netip.ParseAddrPort(r.RemoteAddr)
		mu.Lock()
		peers[ap.Addr()]++
		mu.Unlock()
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, "event: snapshot\nid: 1\ndata: {}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	wc, err := connectWatchers(t.Context(), t.Context(), []string{strings.TrimPrefix(srv.URL, "http://")}, "/events", 6, 3, newSendTimes())
	if err != nil {
		t.Fatal(err)
	}
	wc.stop()
	mu.Lock()
	defer mu.Unlock()
	want := map[netip.Addr]int{loopback.Addr(0): 2, loopback.Addr(1): 2, loopback.Addr(2): 2}
	if fmt.Sprint(peers) != fmt.Sprint(want) {
		t.Errorf("streams per source address = %v, want %v", peers, want)
	}
}

// Source addresses and a server in process: the whole tool runs, watchers
// included, and the report says how many addresses it used.
func TestSourceAddrsInProcess(t *testing.T) {
	rep, err := runJSON(t, "--scenario", "watch", "--guests", "3", "--watchers", "12", "--rate", "30",
		"--duration", "500ms", "--source-addrs", "5")
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if rep.SourceAddrs != 5 || rep.Limits != "off" {
		t.Errorf("report: %d source addresses, limits %q; want 5 and off", rep.SourceAddrs, rep.Limits)
	}
	if w := rep.Watch; w == nil || w.Connected != 12 || w.Events == 0 || w.Gaps != 0 {
		t.Errorf("watch = %+v, want 12 watchers connected and events", rep.Watch)
	}
}
