package web_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/live"
	"boxoffice/sqlite"
	"boxoffice/web"
)

const doorToken = "door-test-token-0123456789abcdefgh"

// ticket is the JSON of a ticket, as both ticket routes answer it.
type ticket struct {
	Code string `json:"code"`
	URL  string `json:"url"`
	Show struct {
		ID       string `json:"id"`
		Title    string `json:"title"`
		StartsAt string `json:"starts_at"`
		Hall     string `json:"hall"`
		HallID   string `json:"hall_id"`
	} `json:"show"`
	Seats []struct {
		ID     string `json:"id"`
		Row    string `json:"row"`
		Number int    `json:"number"`
		Kind   string `json:"kind"`
	} `json:"seats"`
	AdmittedAt *string `json:"admitted_at"`
}

func decodeTicket(t *testing.T, r response) ticket {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("ticket: %d %s", r.status, r.body)
	}
	if cc := r.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("ticket's Cache-Control %q, want no-store", cc)
	}
	var tk ticket
	if err := json.Unmarshal(r.body, &tk); err != nil {
		t.Fatal(err)
	}
	return tk
}

// token is the guest's cookie, from which its tickets' codes derive.
func (g *guest) token() string {
	g.e.t.Helper()
	u, _ := url.Parse(g.e.srv.URL)
	for _, c := range g.c.Jar.Cookies(u) {
		if c.Name == "boxoffice_guest" {
			return c.Value
		}
	}
	g.e.t.Fatal("the guest has no cookie")
	return ""
}

// myTicket is the guest's ticket for show, by the guest's route.
func (g *guest) myTicket(show string) response {
	return g.do("GET", "/api/shows/"+show+"/ticket", "", "")
}

func seatsOf(tk ticket) string {
	var ids []string
	for _, s := range tk.Seats {
		ids = append(ids, s.ID)
	}
	return strings.Join(ids, " ")
}

var codeShape = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$`)

// A guest holding seats has a ticket: the code its cookie derives, its
// page's path, the show, the seats in hall order with row, number and
// kind, not admitted. Without seats there is none, until it books again,
// with the same code.
func TestMyTicket(t *testing.T) {
	e := newEnv(t, testLayout)
	g := e.guest()
	wantProblem(t, g.myTicket(openShow), 404) // sets the cookie, holds nothing
	if r := g.bookMany(openShow, `{"seats":["C2","A3","C1"]}`); r.status != 200 {
		t.Fatalf("booking: %d %s", r.status, r.body)
	}
	tk := decodeTicket(t, g.myTicket(openShow))
	want := boxoffice.TicketCodeFor(openShow, g.token()).String()
	if tk.Code != want || !codeShape.MatchString(tk.Code) {
		t.Errorf("code %q, want %q", tk.Code, want)
	}
	if tk.URL != "/tickets/"+want {
		t.Errorf("url %q, want /tickets/%s", tk.URL, want)
	}
	show, _ := e.store.Show(context.Background(), openShow)
	if tk.Show.ID != openShow || tk.Show.Title != "Open Film" || tk.Show.Hall != "Hall One" || tk.Show.HallID != "h" ||
		tk.Show.StartsAt != show.StartsAt.In(time.UTC).Format(time.RFC3339) {
		t.Errorf("show %+v", tk.Show)
	}
	if seatsOf(tk) != "A3 C1 C2" {
		t.Errorf("seats %s, want A3 C1 C2 (hall order)", seatsOf(tk))
	}
	if s := tk.Seats[1]; s.Row != "C" || s.Number != 1 || s.Kind != "wheelchair" || tk.Seats[2].Kind != "companion" || tk.Seats[0].Kind != "standard" {
		t.Errorf("seats %+v", tk.Seats)
	}
	if tk.AdmittedAt != nil {
		t.Errorf("admitted_at %q before any admission", *tk.AdmittedAt)
	}
	// Another guest's ticket for the same show is another code.
	other := e.guest()
	other.book(openShow, "B1")
	if o := decodeTicket(t, other.myTicket(openShow)); o.Code == tk.Code || seatsOf(o) != "B1" {
		t.Errorf("another guest's ticket: %s with %s", o.Code, seatsOf(o))
	}

	for _, seat := range []string{"A3", "C1", "C2"} {
		g.release(openShow, seat)
	}
	if p := wantProblem(t, g.myTicket(openShow), 404); p["type"] != "/problems/not-found" {
		t.Errorf("after releasing everything: type %v", p["type"])
	}
	wantProblem(t, g.do("GET", "/api/tickets/"+want, "", ""), 404)
	g.book(openShow, "B3")
	if again := decodeTicket(t, g.myTicket(openShow)); again.Code != want || seatsOf(again) != "B3" {
		t.Errorf("booking again: %s with %s, want %s with B3", again.Code, seatsOf(again), want)
	}

	wantProblem(t, g.myTicket("nope"), 404)
	wantProblem(t, g.myTicket("a%01b"), 400)
	addShow(t, e, "gone")
	g.book("gone", "A1")
	gone := decodeTicket(t, g.myTicket("gone"))
	cancelShow(t, e, "gone")
	wantProblem(t, g.myTicket("gone"), 410)
	wantProblem(t, g.do("GET", "/api/tickets/"+gone.Code, "", ""), 410)
}

// Anyone with the code gets the same JSON, the code typed any way a person
// might; a malformed code and an unknown one are answered byte for byte
// alike, but for the request id.
func TestTicketByCode(t *testing.T) {
	e := newEnv(t, testLayout)
	g := e.guest()
	g.bookMany(openShow, `{"seats":["B2","B1"]}`)
	mine := g.myTicket(openShow)
	tk := decodeTicket(t, mine)
	code := strings.ReplaceAll(tk.Code, "-", "")
	sloppy := []string{tk.Code, code, strings.ToLower(tk.Code), strings.ToLower(code),
		code[:4] + " " + code[4:8] + " " + code[8:], "-" + code[:6] + "--" + code[6:] + "-",
		strings.NewReplacer("0", "O", "1", "I").Replace(code), strings.NewReplacer("0", "o", "1", "l").Replace(code)}
	for _, typed := range sloppy {
		r := e.guest().do("GET", "/api/tickets/"+url.PathEscape(typed), "", "")
		if got := decodeTicket(t, r); string(r.body) != string(mine.body) {
			t.Errorf("GET /api/tickets/%s: %+v, want the guest's own ticket", typed, got)
		}
		if c := r.header.Get("Set-Cookie"); c != "" {
			t.Errorf("GET /api/tickets/%s set a cookie: %s", typed, c)
		}
	}

	// All with the first group 7KQ2, so that the paths they echo (cut to
	// it) are alike too.
	unknown := "7KQ2-ABCD-EFGH"
	if unknown == tk.Code {
		unknown = "7KQ2-ABCD-EFGJ"
	}
	var first []byte
	for _, typed := range []string{unknown, "7KQ2-ABCD-EFGU", "7KQ2-ABCD-EFG", "7KQ2-ABCD-EFGHJ", "7KQ2!ABCD!EFGH",
		"7kq2 abcd efg+", "7KQ2-" + strings.Repeat("A", 100), "7KQ2-ABCD-EFG\u00e9"} {
		r := e.guest().do("GET", "/api/tickets/"+url.PathEscape(typed), "", "")
		p := wantProblem(t, r, 404)
		if p["detail"] != "There is no such ticket." || p["type"] != "/problems/not-found" {
			t.Errorf("%q: %v %v", typed, p["type"], p["detail"])
		}
		delete(p, "request_id")
		b, _ := json.Marshal(p)
		if first == nil {
			first = b
		} else if string(b) != string(first) {
			t.Errorf("%q is answered\n%s\nan unknown code\n%s", typed, b, first)
		}
		if strings.Contains(string(b), "ABCD") {
			t.Errorf("%q: the answer echoes the code beyond its first group: %s", typed, b)
		}
	}
}

// instance is another boxoffice process on the same SQLite file: its own
// store, hub and handler.
func instance(t *testing.T, path string) (*httptest.Server, func()) {
	t.Helper()
	var hub *live.Hub
	store, err := sqlite.Open(context.Background(), path, sqlite.Options{
		OnCommit: func(show boxoffice.ShowID, v int64) { hub.Committed(show, v) },
	})
	if err != nil {
		t.Fatal(err)
	}
	hub = live.NewHub(store, live.Options{Complete: true})
	h, err := web.NewHandler(web.Config{Store: store, Hub: hub, Location: time.UTC, Heartbeat: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			srv.Close()
			hub.Close()
			store.Close()
		}
	}
	t.Cleanup(stop)
	return srv, stop
}

// A code is derived, never stored: another instance on the same database
// gives the guest the same code and finds the ticket by it, and so does an
// instance started anew on the file.
func TestTicketStableAcrossInstancesAndRestarts(t *testing.T) {
	e := newEnv(t, testLayout)
	g := e.guest()
	g.bookMany(openShow, `{"seats":["A1","A2"]}`)
	want := decodeTicket(t, g.myTicket(openShow))
	cookie := []string{"Cookie", "boxoffice_guest=" + g.token()}

	check := func(name string, srv *httptest.Server) {
		t.Helper()
		og := (&env{t: t, srv: srv}).guest()
		if got := decodeTicket(t, og.do("GET", "/api/shows/"+openShow+"/ticket", "", "", cookie...)); got.Code != want.Code || seatsOf(got) != "A1 A2" {
			t.Errorf("%s: the guest's ticket is %s with %s, want %s with A1 A2", name, got.Code, seatsOf(got), want.Code)
		}
		if got := decodeTicket(t, og.do("GET", "/api/tickets/"+want.Code, "", "")); got.Code != want.Code || seatsOf(got) != "A1 A2" {
			t.Errorf("%s: the ticket by its code is %s with %s", name, got.Code, seatsOf(got))
		}
	}
	srv, stop := instance(t, e.dbPath)
	check("another instance", srv)
	stop()
	srv, _ = instance(t, e.dbPath)
	check("an instance restarted", srv)
}

// addShow adds a show to the programme, in the test hall, three days on.
func addShow(t *testing.T, e *env, id string) {
	t.Helper()
	ctx := context.Background()
	open, err := e.store.Show(ctx, openShow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.ApplyProgramme(ctx, boxoffice.Programme{Shows: []boxoffice.Show{
		{ID: boxoffice.ShowID(id), Title: "Another Film", StartsAt: time.Now().Add(72 * time.Hour), Hall: open.Hall}}}, false); err != nil {
		t.Fatal(err)
	}
}

// cancelShow cancels a show, releasing its bookings.
func cancelShow(t *testing.T, e *env, id string) {
	t.Helper()
	if _, err := e.store.CancelShow(context.Background(), boxoffice.ShowID(id), true); err != nil {
		t.Fatal(err)
	}
}
