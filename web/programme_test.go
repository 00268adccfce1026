package web_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/web"
)

// reprogramme changes the show id through the store, as the operator's
// import or admin API does, and returns the show as changed.
func (e *env) reprogramme(id boxoffice.ShowID, change func(*boxoffice.Show)) boxoffice.Show {
	e.t.Helper()
	p, err := e.store.Programme(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	i := slices.IndexFunc(p.Shows, func(s boxoffice.Show) bool { return s.ID == id })
	if i < 0 {
		e.t.Fatalf("no show %s", id)
	}
	show := p.Shows[i]
	change(&show)
	if _, err := e.store.ApplyProgramme(e.t.Context(), boxoffice.Programme{Shows: []boxoffice.Show{show}}, false); err != nil {
		e.t.Fatal(err)
	}
	return show
}

// relayout gives the test hall a new layout.
func (e *env) relayout(layout string) {
	e.t.Helper()
	l, err := boxoffice.ParseLayout(layout)
	if err != nil {
		e.t.Fatal(err)
	}
	p, err := e.store.Programme(e.t.Context())
	if err != nil {
		e.t.Fatal(err)
	}
	hall := p.Halls[0]
	hall.Layout = l
	if _, err := e.store.ApplyProgramme(e.t.Context(), boxoffice.Programme{Halls: []boxoffice.Hall{hall}}, false); err != nil {
		e.t.Fatal(err)
	}
}

// showJSON is what a snapshot and GET /api/shows/{show} carry.
type showJSON struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	StartsAt string `json:"starts_at"`
	Sales    string `json:"sales"`
	Open     bool   `json:"open"`
	Version  int64  `json:"version"`
	Seats    []struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	} `json:"seats"`
}

func parseShow(t *testing.T, data []byte) showJSON {
	t.Helper()
	var s showJSON
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("show %s: %v", data, err)
	}
	return s
}

func (s showJSON) status(seat string) string {
	for _, st := range s.Seats {
		if st.ID == seat {
			return st.Status
		}
	}
	return ""
}

// ended waits for the stream to end.
func (s *sse) ended() {
	s.t.Helper()
	select {
	case ev, ok := <-s.ch:
		if ok {
			s.t.Fatalf("event %+v, want the stream to end", ev)
		}
	case <-time.After(5 * time.Second):
		s.t.Fatal("the stream did not end within 5s")
	}
}

// A watcher of a show whose title and time change gets a snapshot of the
// show as it now is, with the new version, its own seats still "mine";
// and the stream goes on with seat events after it. Both ways of serving
// a stream are covered: taken over (HTTP/1.1) and kept by net/http (HTTP/2).
func TestProgrammeChangeSendsSnapshot(t *testing.T) {
	for _, tc := range protocols {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, testLayout, nil, tc.start)
			alice, bob := e.guest(), e.guest()
			alice.book(openShow, "A1")
			bob.book(openShow, "A2")
			stream := bob.events(openShow, "")
			if ev := stream.next(); ev.name != "snapshot" || ev.id != "2" {
				t.Fatalf("first event %s %s, want snapshot 2", ev.name, ev.id)
			}
			starts := time.Now().Add(72 * time.Hour).Truncate(time.Second).UTC()
			e.reprogramme(openShow, func(s *boxoffice.Show) { s.Title = "Renamed Film"; s.StartsAt = starts })

			ev := stream.next()
			if ev.name != "snapshot" || ev.id != "3" {
				t.Fatalf("after the change: %s %s, want snapshot 3", ev.name, ev.id)
			}
			snap := parseShow(t, []byte(ev.data))
			if snap.Title != "Renamed Film" || snap.StartsAt != starts.Format(time.RFC3339) || snap.Version != 3 {
				t.Errorf("snapshot title %q starts %q version %d, want Renamed Film, %s, 3", snap.Title, snap.StartsAt, snap.Version, starts.Format(time.RFC3339))
			}
			if snap.status("A1") != "booked" || snap.status("A2") != "mine" {
				t.Errorf("snapshot has A1 %s, A2 %s; want booked, mine", snap.status("A1"), snap.status("A2"))
			}
			alice.book(openShow, "B1")
			if ev := stream.next(); ev.name != "seats" || ev.id != "4" {
				t.Errorf("then %s %s, want seats 4", ev.name, ev.id)
			}
			// The seat map everyone reads says so at once.
			got := parseShow(t, bob.do("GET", "/api/shows/"+openShow, "", "").body)
			if got.Title != "Renamed Film" || got.Version != 4 {
				t.Errorf("GET show: title %q version %d, want Renamed Film at 4", got.Title, got.Version)
			}
			page := string(bob.do("GET", "/shows/"+openShow, "", "").body)
			if !strings.Contains(page, "<h1>Renamed Film</h1>") {
				t.Errorf("the map page does not show the new title")
			}
		})
	}
}

// A layout that adds a seat reaches the open maps: the snapshot, the
// show's JSON and its page all have the new seat, which can be booked.
func TestLayoutChangeAddsSeat(t *testing.T) {
	for _, tc := range protocols {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, testLayout, nil, tc.start)
			bob := e.guest()
			// Read first, so the seat-map cache holds the old layout.
			if st := bob.statuses(openShow); st["A7"] != "" {
				t.Fatalf("A7 exists before the change")
			}
			stream := bob.events(openShow, "")
			stream.next()
			e.relayout(strings.Replace(testLayout, "A sss.sss", "A sss.ssss", 1))
			ev := stream.next()
			if ev.name != "snapshot" || parseShow(t, []byte(ev.data)).status("A7") != "free" {
				t.Fatalf("after the layout change: %s %s, want a snapshot with a free A7", ev.name, ev.data)
			}
			if st := bob.statuses(openShow); st["A7"] != "free" {
				t.Errorf("GET show has A7 %q, want free", st["A7"])
			}
			if page := string(bob.do("GET", "/shows/"+openShow, "", "").body); !strings.Contains(page, "value=A7") {
				t.Errorf("the map page lacks the new seat A7")
			}
			if r := bob.book(openShow, "A7"); r.status != 200 {
				t.Errorf("booking the new seat: %d %s", r.status, r.body)
			}
		})
	}
}

// A client resuming from before a programme change is not replayed seat
// events onto the old show: it gets a snapshot of the show as it now is.
func TestResumeAcrossProgrammeChange(t *testing.T) {
	e := newEnv(t, testLayout)
	alice, bob := e.guest(), e.guest()
	alice.book(openShow, "A1")                                                    // 1
	alice.book(openShow, "A2")                                                    // 2
	e.reprogramme(openShow, func(s *boxoffice.Show) { s.Title = "Renamed Film" }) // 3
	alice.book(openShow, "A3")                                                    // 4
	stream := bob.events(openShow, "1")
	ev := stream.next()
	if ev.name != "seats" || ev.id != "2" {
		t.Fatalf("first %s %s, want the seats event 2 from before the change", ev.name, ev.id)
	}
	ev = stream.next()
	if ev.name != "snapshot" || ev.id != "4" {
		t.Fatalf("then %s %s, want a snapshot at 4", ev.name, ev.id)
	}
	if snap := parseShow(t, []byte(ev.data)); snap.Title != "Renamed Film" || snap.status("A3") != "booked" {
		t.Errorf("snapshot title %q, A3 %q", snap.Title, snap.status("A3"))
	}
	alice.book(openShow, "B1")
	if ev := stream.next(); ev.name != "seats" || ev.id != "5" {
		t.Errorf("then %s %s, want seats 5 (nothing replayed twice)", ev.name, ev.id)
	}
}

// Cancelling a show ends its streams with the cancelled event, and then
// every route of the show answers 410.
func TestCancelEndsStream(t *testing.T) {
	for _, tc := range protocols {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, testLayout, nil, tc.start)
			alice, bob := e.guest(), e.guest()
			alice.book(openShow, "A1")
			streams := []*sse{bob.events(openShow, ""), alice.events(openShow, ""), bob.events(openShow, "0")}
			for _, s := range streams {
				s.next()
			}
			if _, err := e.store.CancelShow(t.Context(), openShow, true); err != nil {
				t.Fatal(err)
			}
			for _, s := range streams {
				ev := s.next()
				if ev.name == "seats" { // the forced release, first
					ev = s.next()
				}
				if ev.name != "cancelled" || ev.id != "3" || ev.data != `{"version":3,"show":"open-show"}` {
					t.Errorf("event %+v, want cancelled 3", ev)
				}
				s.ended()
			}
			wantProblem(t, bob.do("GET", "/api/shows/"+openShow+"/events", "", ""), http.StatusGone)
		})
	}
}

// Every route under a cancelled show answers 410 show-cancelled, pages
// with a page saying so; the show leaves the listing and the index.
func TestCancelledShowIsGone(t *testing.T) {
	e := newEnv(t, testLayout)
	g := e.guest()
	g.book(openShow, "A1")
	g.events(openShow, "").next() // the caches hold the show
	if _, err := e.store.CancelShow(t.Context(), openShow, true); err != nil {
		t.Fatal(err)
	}
	api := []struct{ method, path, ct, body string }{
		{"GET", "/api/shows/open-show", "", ""},
		{"GET", "/api/shows/open-show/seats/A1", "", ""},
		{"PUT", "/api/shows/open-show/seats/A1", "", ""},
		{"DELETE", "/api/shows/open-show/seats/A1", "", ""},
		{"POST", "/api/shows/open-show/bookings", "application/json", `{"seats":["A2"]}`},
		{"GET", "/api/shows/open-show/events", "", ""},
		{"HEAD", "/api/shows/open-show/events", "", ""},
	}
	for _, r := range api {
		resp := g.do(r.method, r.path, r.ct, r.body)
		if r.method == "HEAD" {
			if resp.status != http.StatusGone {
				t.Errorf("HEAD events: %d, want 410", resp.status)
			}
			continue
		}
		if p := wantProblem(t, resp, http.StatusGone); p["type"] != "/problems/show-cancelled" {
			t.Errorf("%s %s: type %v", r.method, r.path, p["type"])
		}
	}
	for _, r := range []struct{ method, path, ct, body string }{
		{"GET", "/shows/open-show", "", ""},
		{"POST", "/shows/open-show", "application/x-www-form-urlencoded", "seat=A2"},
	} {
		resp := g.do(r.method, r.path, r.ct, r.body)
		if resp.status != http.StatusGone || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/html") ||
			!strings.Contains(string(resp.body), "cancelled") {
			t.Errorf("%s %s: %d %s, want a 410 page saying the show was cancelled", r.method, r.path, resp.status, resp.header.Get("Content-Type"))
		}
	}
	if list := string(g.do("GET", "/api/shows", "", "").body); strings.Contains(list, openShow) {
		t.Errorf("GET /api/shows still lists the cancelled show")
	}
	if index := string(g.do("GET", "/", "", "").body); strings.Contains(index, "Open Film") {
		t.Errorf("the index still lists the cancelled show")
	}
}

// A show whose sales are closed is listed and viewable, says so, and
// refuses booking and releasing with 409 sales-closed.
func TestClosedSales(t *testing.T) {
	e := newEnv(t, testLayout)
	g := e.guest()
	g.book(openShow, "A1")
	if st := g.statuses(openShow); st["A1"] != "mine" {
		t.Fatal("booking failed")
	}
	e.reprogramme(openShow, func(s *boxoffice.Show) { s.Sales = boxoffice.SalesClosed })

	show := parseShow(t, g.do("GET", "/api/shows/"+openShow, "", "").body)
	if show.Sales != "closed" || show.Open {
		t.Errorf("GET show: sales %q open %v, want closed and false", show.Sales, show.Open)
	}
	var list struct{ Shows []showJSON }
	if err := json.Unmarshal(g.do("GET", "/api/shows", "", "").body, &list); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list.Shows, func(s showJSON) bool { return s.ID == openShow })
	if i < 0 || list.Shows[i].Sales != "closed" || list.Shows[i].Open {
		t.Errorf("GET /api/shows: %+v, want the show listed with sales closed", list.Shows)
	}
	for _, r := range []response{
		g.book(openShow, "A2"),
		g.release(openShow, "A1"),
		g.bookMany(openShow, `{"seats":["B1"]}`),
	} {
		if p := wantProblem(t, r, http.StatusConflict); p["type"] != "/problems/sales-closed" {
			t.Errorf("type %v, want /problems/sales-closed", p["type"])
		}
	}
	r := g.do("POST", "/shows/"+openShow, "application/x-www-form-urlencoded", "seat=A2")
	if loc := r.header.Get("Location"); r.status != http.StatusSeeOther || !strings.Contains(loc, "result=closed") {
		t.Errorf("form: %d to %q, want 303 with result=closed", r.status, loc)
	}
	page := string(g.do("GET", "/shows/"+openShow, "", "").body)
	if !strings.Contains(page, "Sales for this show have closed.") || !strings.Contains(page, "value=A2 data-seat=A2 data-status=free aria-label=\"Row A, seat 2, free\" disabled") {
		t.Errorf("the map page does not say sales are closed, or its seats are not disabled")
	}
	about := string(g.do("GET", "/problems/sales-closed", "", "").body)
	if !strings.Contains(about, "closed sales") {
		t.Errorf("the sales-closed page does not cover sales closed by the cinema")
	}
}

// A show's own cap wins over the server's: the API's problem and the map
// page's sentence name the cap that refused, the show's.
func TestShowsOwnSeatCap(t *testing.T) {
	e := newEnvWith(t, testLayout, func(c *web.Config) { c.MaxSeatsPerGuest = 4 }, (*httptest.Server).Start)
	one := 1
	e.reprogramme(openShow, func(s *boxoffice.Show) { s.MaxSeatsPerGuest = &one })
	g := e.guest()
	if r := g.book(openShow, "A1"); r.status != http.StatusOK {
		t.Fatalf("the first seat: %d %s", r.status, r.body)
	}
	if p := wantProblem(t, g.book(openShow, "A2"), http.StatusConflict, "A2"); p["limit"] != 1.0 {
		t.Errorf("the problem's limit is %v, want the show's 1", p["limit"])
	}
	r := g.do("POST", "/shows/"+openShow, "application/x-www-form-urlencoded", "seat=A2")
	loc := r.header.Get("Location")
	if !strings.Contains(loc, "limit=1") {
		t.Fatalf("the form answers %q, want limit=1", loc)
	}
	if page := string(g.do("GET", loc, "", "").body); !strings.Contains(page, "You can hold at most 1 seat for this show.") {
		t.Errorf("the map page does not name the show's cap")
	}
}
