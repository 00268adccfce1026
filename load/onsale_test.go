package load

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice/postgres/pgtest"
	"boxoffice/server"
)

// The arrivals ramp linearly to the rate, then hold it: how many come, and
// how far apart, follows from the rate, the ramp and the duration alone.
func TestRampSchedule(t *testing.T) {
	tests := []struct {
		name       string
		s          rampSchedule
		want       int // arrivals in all: the area under the rate
		inRamp     int // of those, before the ramp ends
		holdSpaced time.Duration
	}{
		// 10/s: 25 on the 5 s ramp (10·5/2), then 10 a second for 10 s.
		{"ramp then hold", rampSchedule{10, 5 * time.Second, 15 * time.Second}, 125, 25, 100 * time.Millisecond},
		{"no ramp", rampSchedule{4, 0, 2 * time.Second}, 8, 0, 250 * time.Millisecond},
		{"ramp the whole run", rampSchedule{10, 10 * time.Second, 10 * time.Second}, 50, 50, 0},
		{"a fraction a second", rampSchedule{0.5, 0, 10 * time.Second}, 5, 0, 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var at []time.Duration
			for k := 0; ; k++ {
				d, ok := tt.s.at(k)
				if !ok {
					if d < tt.s.duration {
						t.Fatalf("arrival %d at %v refused, though before the end %v", k, d, tt.s.duration)
					}
					break
				}
				at = append(at, d)
			}
			if len(at) != tt.want {
				t.Fatalf("%d arrivals, want %d", len(at), tt.want)
			}
			if at[0] != 0 {
				t.Errorf("the first arrives at %v, want at the start", at[0])
			}
			inRamp := 0
			for k, d := range at {
				if d < tt.s.ramp {
					inRamp++
				}
				if k == 0 {
					continue
				}
				gap, prev := d-at[k-1], at[k-1]-at[max(0, k-2)]
				switch {
				case gap <= 0:
					t.Fatalf("arrival %d at %v, not after %d's at %v", k, d, k-1, at[k-1])
				case at[k-1] >= tt.s.ramp && (gap < tt.holdSpaced-time.Microsecond || gap > tt.holdSpaced+time.Microsecond):
					t.Fatalf("after the ramp, arrivals %d and %d are %v apart, want %v", k-1, k, gap, tt.holdSpaced)
				case d <= tt.s.ramp && k >= 2 && gap > prev:
					t.Fatalf("on the ramp, the gap before arrival %d (%v) is longer than the one before (%v): the rate should grow", k, gap, prev)
				}
			}
			if inRamp != tt.inRamp {
				t.Errorf("%d arrivals on the ramp, want %d", inRamp, tt.inRamp)
			}
		})
	}
}

// A guest takes only free seats side by side in one row, never across a
// gap, a row's end or a wheelchair space; nothing when no run is long
// enough.
func TestPickRun(t *testing.T) {
	seat := func(id string, y, x int, status, kind string) seatInfo {
		return seatInfo{ID: id, Row: string(rune('A' + y)), Y: y, X: x, Status: status, Kind: kind}
	}
	seats := []seatInfo{
		// Row B first: hall order is not assumed.
		seat("B1", 1, 0, "free", "standard"), seat("B2", 1, 1, "free", "standard"),
		seat("A1", 0, 0, "free", "standard"), seat("A2", 0, 1, "free", "standard"), seat("A3", 0, 2, "booked", "standard"),
		seat("A4", 0, 3, "free", "standard"), seat("A5", 0, 4, "free", "standard"),
		seat("A7", 0, 6, "free", "standard"), // after a gap in the grid
		seat("C1", 2, 0, "free", "wheelchair"), seat("C2", 2, 1, "free", "companion"), seat("C3", 2, 2, "free", "standard"),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]bool{}
	for range 200 {
		run := pickRun(seats, 2, rng)
		seen[strings.Join(run, " ")] = true
	}
	want := []string{"A1 A2", "A4 A5", "B1 B2", "C2 C3"}
	if got := slices.Sorted(func(yield func(string) bool) {
		for k := range seen {
			if !yield(k) {
				return
			}
		}
	}); !slices.Equal(got, want) {
		t.Errorf("runs of 2 picked: %q, want every one of %q and no other", got, want)
	}
	if run := pickRun(seats, 3, rng); run != nil {
		t.Errorf("a run of 3 picked: %q, want none", run)
	}
	if run := pickRun(seats, 1, rng); len(run) != 1 || run[0] == "A3" || run[0] == "C1" {
		t.Errorf("a run of 1 picked: %q, want one free seat that is no wheelchair space", run)
	}
}

// checkOnsale asserts what every onsale run must show: each guest that
// arrived accounted for once, bookings acknowledged and the seats sold,
// and the invariant check passed with them in the final state.
func checkOnsale(t *testing.T, rep Report, scheduled int) {
	t.Helper()
	o := rep.Onsale
	if o == nil {
		t.Fatalf("the report has no onsale figures: %+v", rep)
	}
	if o.Scheduled != scheduled || o.Arrived+o.Dropped != o.Scheduled || o.Dropped != 0 {
		t.Errorf("scheduled %d, arrived %d, dropped %d; want all %d arrived", o.Scheduled, o.Arrived, o.Dropped, scheduled)
	}
	if sum := o.Booked + o.SoldOut + o.GaveUp + o.Failed + o.CutOff; sum != o.Arrived || o.Finished+o.CutOff != o.Arrived {
		t.Errorf("%d arrived, but %d booked + %d sold out + %d gave up + %d failed + %d cut off = %d, and %d finished",
			o.Arrived, o.Booked, o.SoldOut, o.GaveUp, o.Failed, o.CutOff, sum, o.Finished)
	}
	if o.Booked == 0 || o.SeatsSold == 0 || o.Failed != 0 {
		t.Errorf("%d guests booked, %d failed, %d seats sold; want bookings, seats sold and no failure", o.Booked, o.Failed, o.SeatsSold)
	}
	for _, name := range []string{opMap, opBooking} {
		if r, ok := row(rep, name); !ok || r.OK == 0 || r.Errors != 0 {
			t.Errorf("row %q = %+v, want successes and no errors", name, r)
		}
	}
	if r, _ := row(rep, opBooking); r.OK < int64(o.Booked) {
		t.Errorf("%d bookings acknowledged, fewer than the %d guests who booked", r.OK, o.Booked)
	}
	inv := rep.Invariant
	if inv == nil || inv.Operations == 0 || len(inv.Violations) > 0 {
		t.Fatalf("invariant check: %+v", inv)
	}
	// Every acknowledged booking was checked against the final state, seat
	// by seat: all the seats sold are among those checked.
	if inv.Seats < o.SeatsSold {
		t.Errorf("the check looked at %d seats, but %d were sold", inv.Seats, o.SeatsSold)
	}
	if rep.Baseline != (Row{}) {
		t.Errorf("onsale has a baseline row: %+v", rep.Baseline)
	}
}

// A short on-sale in process on SQLite: guests arrive on the ramp, book
// under the server's default limits, watchers see their bookings, and the
// final state holds every acknowledged booking.
func TestOnsaleInProcess(t *testing.T) {
	rep, err := runJSON(t, "--scenario", "onsale", "--arrivals", "20", "--ramp", "1s", "--duration", "3s",
		"--think", "200ms", "--watchers", "10", "--seed", "7")
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	checkOnsale(t, rep, 50) // 10 on the ramp, then 20 a second for 2 s
	if o := rep.Onsale; o.PerSecond < 19 || o.PerSecond > 21 || o.PerMinute != 60*o.PerSecond {
		t.Errorf("arrival rate reached %v a second, %v a minute; want 20 and 1200", o.PerSecond, o.PerMinute)
	}
	if rep.Limits != "on (defaults)" {
		t.Errorf("limits %q, want the server's defaults", rep.Limits)
	}
	if w := rep.Watch; w == nil || w.Connected != 10 || w.Events == 0 || w.Gaps != 0 {
		t.Errorf("watch = %+v, want 10 watchers connected, events, no gaps", rep.Watch)
	}
	if r, ok := row(rep, opDelivery); !ok || r.OK == 0 {
		t.Errorf("no event delivery row: %+v", rep.Rows)
	}
	var writes int64
	for _, name := range []string{opBooking, opRelease} {
		r, _ := row(rep, name)
		writes += r.Ops
	}
	if c := rep.Commits; c == nil || c.Operations != float64(writes) {
		t.Errorf("server commits = %+v, want the %d writes the guests sent", rep.Commits, writes)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\n  map ", "\n  booking ", "\n  event delivery ", "429", "503", "arrival rate reached: 20.0 guests a second, 1200 a minute",
		"no baseline", "limits: on (defaults)", "invariant check"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the text report lacks %q:\n%s", want, text.String())
		}
	}
}

// stalled is a server that shows the programme to the tool and keeps every
// guest waiting for the map until the guest gives up; it records from
// which address each guest came.
type stalled struct {
	mu    sync.Mutex
	peers map[string]netip.Addr // guest cookie → address
}

func (s *stalled) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch c, err := r.Cookie(guestCookie); {
	case r.URL.Path == "/metrics":
		http.NotFound(w, r)
	case r.URL.Path == "/api/shows":
		io.WriteString(w, `{"shows":[{"id":"s","open":true,"capacity":1}]}`)
	case err != nil:
		io.WriteString(w, `{"id":"s","version":1,"seats":[{"id":"A1","row":"A","number":1,"status":"free"}]}`)
	default:
		ap, _ := netip.ParseAddrPort(r.RemoteAddr)
		s.mu.Lock()
		s.peers[c.Value] = ap.Addr()
		s.mu.Unlock()
		<-r.Context().Done()
	}
}

// Arrivals keep to the clock however slow the server: every guest comes in
// while the earlier ones still wait, each from an address of its own; past
// the bound on guests alive at once, arrivals are dropped and said to be.
func TestOnsaleArrivalsOpenLoop(t *testing.T) {
	box := &stalled{peers: map[string]netip.Addr{}}
	srv := httptest.NewServer(box)
	defer srv.Close()
	args := []string{"--target", srv.URL, "--scenario", "onsale", "--arrivals", "20", "--ramp", "0s", "--duration", "1s",
		"--think", "0s", "--watchers", "0", "--timeout", "2s"}

	rep, err := runJSON(t, args...)
	if err == nil || !strings.Contains(err.Error(), "no operation succeeded") {
		t.Errorf("err = %v, want the run to fail: no guest got its map", err)
	}
	if o := rep.Onsale; o == nil || o.Scheduled != 20 || o.Arrived != 20 || o.Dropped != 0 || o.PeakAlive != 20 {
		t.Fatalf("onsale = %+v, want all 20 arrived while the others waited", rep.Onsale)
	}
	box.mu.Lock()
	addrs := map[netip.Addr]bool{}
	for _, a := range box.peers {
		addrs[a] = true
	}
	if len(box.peers) != 20 || len(addrs) != 20 {
		t.Errorf("%d guests came from %d addresses, want 20 from 20", len(box.peers), len(addrs))
	}
	box.mu.Unlock()

	rep, _ = runJSON(t, append(args, "--guests", "5")...)
	var text strings.Builder
	_ = rep.WriteText(&text)
	// The first five hold their addresses for the whole run (2 s each).
	if o := rep.Onsale; o == nil || o.Arrived != 5 || o.Dropped != 15 || !strings.Contains(text.String(), "15 DROPPED") {
		t.Errorf("onsale = %+v, want 5 arrived and 15 dropped, said so:\n%s", rep.Onsale, text.String())
	}
}

// startPostgresInstances starts n servers in process on one fresh
// PostgreSQL database, with the default limits, as instances behind a load
// balancer; the first fills the demo programme.
func startPostgresInstances(t *testing.T, n int) []string {
	t.Helper()
	db := pgtest.Database(t)
	var bases []string
	for range n {
		sc, err := server.ParseConfig(nil, noEnv, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		sc.Addr, sc.DB, sc.Location = "127.0.0.1:0", db, time.UTC
		srv, err := server.Start(t.Context(), sc, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Shutdown() })
		bases = append(bases, "http://"+srv.URLHost())
	}
	return bases
}

// commitsOf reads each server's writer counters.
func commitsOf(t *testing.T, bases []string) []commitTotals {
	t.Helper()
	var ts []commitTotals
	for _, b := range bases {
		c, ok, err := scrapeCommits(t.Context(), http.DefaultClient, b+"/metrics", "", false)
		if err != nil || !ok {
			t.Fatalf("%s/metrics: ok %v, %v", b, ok, err)
		}
		ts = append(ts, c)
	}
	return ts
}

// --target a,b: two instances on one PostgreSQL database. The guests (and
// watchers) are split between them, each instance's writer commits some of
// the bookings, the report sums both, and the final state read from the
// first holds every booking acknowledged by either.
func TestTargetListTwoInstancesPostgres(t *testing.T) {
	bases := startPostgresInstances(t, 2)
	target := strings.Join(bases, ",")
	before := commitsOf(t, bases)
	rep, err := runJSON(t, "--target", target, "--scenario", "onsale", "--arrivals", "10", "--ramp", "1s", "--duration", "2s",
		"--think", "100ms", "--watchers", "4", "--seed", "3")
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	checkOnsale(t, rep, 15) // 5 on the ramp, 10 in the second after
	after := commitsOf(t, bases)
	var sum float64
	for i := range bases {
		ops := after[i].ops - before[i].ops
		if ops == 0 {
			t.Errorf("instance %d committed nothing: the guests were not split", i)
		}
		sum += ops
	}
	// After the run the tool releases every seat left, which the report
	// does not count.
	if c := rep.Commits; c == nil || c.Operations == 0 || c.Operations > sum {
		t.Errorf("report commits %+v, want the two instances' sum, at most the %v they made in all", rep.Commits, sum)
	}
	if w := rep.Watch; w == nil || w.Connected != 4 || w.Events == 0 || w.Gaps != 0 {
		t.Errorf("watch = %+v, want 4 watchers on both instances, events, no gaps", rep.Watch)
	}

	// Any scenario takes the list.
	rep, err = runJSON(t, "--target", target, "--scenario", "spread", "--guests", "4", "--seats", "30", "--duration", "1s")
	if err != nil {
		t.Fatalf("spread: %v", err)
	}
	if inv := rep.Invariant; inv == nil || inv.Operations == 0 || len(inv.Violations) > 0 {
		t.Errorf("spread's invariant check: %+v", inv)
	}
	if c := rep.Commits; c == nil || c.Batches == 0 {
		t.Errorf("spread's commits: %+v", rep.Commits)
	}
}
