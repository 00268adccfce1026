package load

import (
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"boxoffice/server"
)

// --shows all spreads the guests over every show on sale, the premiere
// first and the rest largest first, each show's share of guests following
// its free seats; guests book in several shows, and each show's final state
// holds every booking acknowledged there.
func TestOnsaleSeveralShows(t *testing.T) {
	rep, err := runJSON(t, "--scenario", "onsale", "--shows", "all", "--arrivals", "20", "--ramp", "1s", "--duration", "3s",
		"--think", "200ms", "--watchers", "4", "--seed", "7")
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	checkOnsale(t, rep, 50)
	o := rep.Onsale
	// The demo programme: four shows on sale, two in each hall.
	if len(o.Shows) != 4 || o.Shows[0].ID != rep.Show {
		t.Fatalf("shows driven: %+v, want the 4 of the demo, the premiere %s first", o.Shows, rep.Show)
	}
	var seats, free, guests, sold, sellers int
	for i, s := range o.Shows {
		seats += s.Seats
		free += s.Free
		guests += s.Guests
		sold += s.Sold
		if s.Sold > 0 {
			sellers++
		}
		if i > 1 && s.Seats > o.Shows[i-1].Seats {
			t.Errorf("show %s (%d seats) comes after %s (%d): want the largest first", s.ID, s.Seats, o.Shows[i-1].ID, o.Shows[i-1].Seats)
		}
	}
	if seats != o.Seats || sold != o.SeatsSold || guests != o.Arrived {
		t.Errorf("seats %d, sold %d, guests %d in the shows; the report says %d, %d, %d", seats, sold, guests, o.Seats, o.SeatsSold, o.Arrived)
	}
	if sellers < 2 {
		t.Errorf("seats sold in %d show(s): %+v, want several", sellers, o.Shows)
	}
	for _, s := range o.Shows {
		// Each show's share of the guests is its share of the free seats,
		// to within a guest.
		if share := float64(o.Arrived*s.Free) / float64(free); float64(s.Guests) < share-1 || float64(s.Guests) > share+1 {
			t.Errorf("show %s, %d of %d free seats, had %d of %d guests; want about %.1f", s.ID, s.Free, free, s.Guests, o.Arrived, share)
		}
	}
	if w := rep.Watch; w == nil || w.Events == 0 || w.Gaps != 0 || w.Unmatched != 0 {
		t.Errorf("watch = %+v, want the premiere's events, each matched to a write of its own", rep.Watch)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	want := []string{"4 shows (868 seats in all; the premiere " + rep.Show + " watched)", "of 868 free in 4 shows"}
	for _, s := range o.Shows {
		want = append(want, "  "+s.ID+" ")
	}
	for _, w := range want {
		if !strings.Contains(text.String(), w) {
			t.Errorf("the text report lacks %q:\n%s", w, text.String())
		}
	}
}

// --shows asks for no more shows than the server has on sale.
func TestOnsaleShowsAboveThoseOnSale(t *testing.T) {
	_, err := runJSON(t, "--scenario", "onsale", "--shows", "5", "--duration", "1s", "--watchers", "0")
	if err == nil || !strings.Contains(err.Error(), "--shows 5: the server has 3 other shows on sale besides") {
		t.Errorf("err = %v, want --shows 5 refused: the demo has 4 shows on sale", err)
	}
}

// A seat id names a seat in every show of its hall: each show's state is
// checked against the history of that show's guests alone, and a history
// put under the wrong show, or under none the run checks, is a violation.
func TestCheckShowsKeepsHistoriesApart(t *testing.T) {
	srv, err := server.Start(t.Context(), server.Config{Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "t.db"),
		Demo: true, Location: time.UTC}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	base := "http://" + srv.URLHost()
	hc := newClient(2, 5*time.Second, nil)
	defer hc.CloseIdleConnections()
	boss := &caller{hc: hc, base: base}
	shows, err := pickShows(t.Context(), boss, "", 2)
	if err != nil {
		t.Fatal(err)
	}
	// The demo's two largest shows are in one hall.
	a, b := shows[0], shows[1]
	i := slices.IndexFunc(a.Seats, func(s seatInfo) bool { return s.Status == "free" })
	if len(a.Seats) != len(b.Seats) || i < 0 || b.Seats[i].ID != a.Seats[i].ID {
		t.Fatalf("shows %s and %s do not share their seat ids", a.ID, b.ID)
	}
	seat := a.Seats[i].ID
	var writers []*writer
	for id, show := range []string{a.ID, b.ID} {
		w := &writer{id: id, c: caller{hc: hc, base: base, token: newGuestToken()}, show: show, t: newTallies(&counts{})}
		if res, _ := w.write(t.Context(), time.Now(), opBook, http.MethodPut, seatPath(show, seat), nil, []string{seat}, true); res != Acked {
			t.Fatalf("guest %d booking %s in %s: %v", id, seat, show, res)
		}
		writers = append(writers, w)
	}

	inv, _, err := checkShows(t.Context(), boss, shows, writers)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Operations != 2 || inv.Seats != 2 || len(inv.Violations) != 0 {
		t.Errorf("each history under its show: %+v, want 2 operations on 2 seats and no violation", inv)
	}

	writers[1].show = a.ID
	inv, _, err = checkShows(t.Context(), boss, shows, writers)
	if err != nil {
		t.Fatal(err)
	}
	v := strings.Join(inv.Violations, "\n")
	if !strings.Contains(v, "show "+a.ID+": seat "+seat) || !strings.Contains(v, "show "+b.ID+": seat "+seat+" is held at the end by a guest this run does not know") {
		t.Errorf("guest 1's history under %s: violations\n%s\nwant %s's seat %s claimed twice and %s's held by no guest the run knows", a.ID, v, a.ID, seat, b.ID)
	}

	writers[1].show = "elsewhere"
	inv, _, err = checkShows(t.Context(), boss, shows, writers)
	if err != nil {
		t.Fatal(err)
	}
	if v := strings.Join(inv.Violations, "\n"); !strings.Contains(v, "guest 1 wrote to show elsewhere, which the run does not check") {
		t.Errorf("guest 1's history under a show not driven: violations\n%s\nwant it named", v)
	}

	// Rightly filed, the run passes, and each guest's seat is released in
	// its own show.
	writers[1].show = b.ID
	rep := &Report{}
	if err := judge(t.Context(), Config{Check: true}, rep, boss, shows, writers, 0); err != nil || len(rep.Notes) > 0 {
		t.Fatalf("judge = %v, notes %q; want a pass and the seats released", err, rep.Notes)
	}
	for _, show := range shows {
		var m showMap
		if err := boss.getJSON(t.Context(), showPath(show.ID), &m); err != nil {
			t.Fatal(err)
		}
		if j := slices.IndexFunc(m.Seats, func(s seatInfo) bool { return s.ID == seat }); m.Seats[j].Status != "free" {
			t.Errorf("after the run, seat %s of %s is %s, want it released", seat, show.ID, m.Seats[j].Status)
		}
	}
}

// The watchers watch the premiere alone: only its guests tell them when
// they sent a write, since another show's versions are another count.
func TestOnsaleWatchersTimeThePremiereAlone(t *testing.T) {
	shows := []showMap{{ID: "premiere", Seats: make([]seatInfo, 4)}, {ID: "later", Seats: make([]seatInfo, 4)}}
	o := newOnsaleRun(Config{Guests: 4, Timeout: time.Second}, []string{"http://127.0.0.1:1"}, shows, newSendTimes(), &counts{})
	for slot := range 4 {
		o.admit(slot, 0)
	}
	for _, w := range o.writers {
		if (w.sent != nil) != (w.show == "premiere") {
			t.Errorf("guest %d of show %s: send times %v, want them for the premiere's guests alone", w.id, w.show, w.sent != nil)
		}
	}
	if got := []int{o.stats.Shows[0].Guests, o.stats.Shows[1].Guests}; !slices.Equal(got, []int{2, 2}) {
		t.Errorf("guests per show %v, want 2 and 2", got)
	}
}
