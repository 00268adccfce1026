package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"boxoffice"
)

type doorList struct {
	Show    string `json:"show"`
	Version int64  `json:"version"`
	Guests  []struct {
		Guest      string   `json:"guest"`
		Seats      []string `json:"seats"`
		BookedAt   string   `json:"booked_at"`
		AdmittedAt *string  `json:"admitted_at"`
	} `json:"guests"`
	Counts struct {
		Guests         int `json:"guests"`
		Seats          int `json:"seats"`
		AdmittedGuests int `json:"admitted_guests"`
		AdmittedSeats  int `json:"admitted_seats"`
	} `json:"counts"`
}

// refsOf maps each seat's holder in the store to its ref, the ref the door
// list must give.
func refsOf(t *testing.T, e *env, show string) map[string]string {
	t.Helper()
	m, err := e.store.SeatMap(context.Background(), boxoffice.ShowID(show))
	if err != nil {
		t.Fatal(err)
	}
	refs := map[string]string{}
	for seat, g := range m.Holders {
		refs[string(seat)] = boxoffice.GuestRef(boxoffice.ShowID(show), g)
	}
	return refs
}

var refShape = regexp.MustCompile(`^[0-9a-f]{12}$`)

// The door list: guests by their refs, in hall order of their first seat,
// each with its seats and earliest booking; the same as CSV.
func TestAdminDoorList(t *testing.T) {
	e := newAdminEnv(t, nil)
	alice, bob, op := e.guest(), e.guest(), e.guest()
	alice.bookMany(openShow, `{"seats":["B2","C1"]}`)
	bob.book(openShow, "B1") // bob's earliest, though A3 comes first in the hall
	bob.book(openShow, "A3")

	r := op.admin("GET", "/api/admin/shows/"+openShow+"/bookings", "", "")
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("door list: %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	var list doorList
	if err := json.Unmarshal(r.body, &list); err != nil {
		t.Fatal(err)
	}
	m, _ := e.store.SeatMap(context.Background(), openShow)
	if list.Show != openShow || list.Version != m.Version || len(list.Guests) != 2 {
		t.Fatalf("door list %+v, want show %s at version %d with 2 guests", list, openShow, m.Version)
	}
	refs := refsOf(t, e, openShow)
	// Bob's A3 comes before Alice's B2 in the hall.
	bobG, aliceG := list.Guests[0], list.Guests[1]
	if strings.Join(bobG.Seats, " ") != "A3 B1" || strings.Join(aliceG.Seats, " ") != "B2 C1" {
		t.Errorf("guests' seats %v then %v, want [A3 B1] then [B2 C1]", bobG.Seats, aliceG.Seats)
	}
	if bobG.Guest != refs["A3"] || aliceG.Guest != refs["B2"] || bobG.Guest == aliceG.Guest {
		t.Errorf("refs %s, %s; want %s, %s", bobG.Guest, aliceG.Guest, refs["A3"], refs["B2"])
	}
	for _, g := range list.Guests {
		if !refShape.MatchString(g.Guest) {
			t.Errorf("ref %q is not 12 lowercase hex digits", g.Guest)
		}
	}
	// The earliest of the guest's bookings, as the store has them.
	bookings, err := e.store.Bookings(context.Background(), openShow)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bookings {
		if b.Seat == "B1" {
			if want := b.BookedAt.In(time.UTC).Format(time.RFC3339); bobG.BookedAt != want {
				t.Errorf("bob booked_at %s, want %s (B1's, his earliest)", bobG.BookedAt, want)
			}
		}
	}
	again := op.admin("GET", "/api/admin/shows/"+openShow+"/bookings", "", "")
	if string(again.body) != string(r.body) {
		t.Errorf("the door list is not stable:\n%s\n%s", r.body, again.body)
	}

	c := op.admin("GET", "/api/admin/shows/"+openShow+"/bookings", "", "", "Accept", "text/csv")
	if c.status != 200 || !strings.HasPrefix(c.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %q", c.status, c.header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(string(c.body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"guest", "seats", "booked_at", "admitted_at"},
		{bobG.Guest, "A3 B1", bobG.BookedAt, ""}, {aliceG.Guest, "B2 C1", aliceG.BookedAt, ""}}
	if len(rows) != len(want) {
		t.Fatalf("CSV rows %q, want %q", rows, want)
	}
	for i := range want {
		if strings.Join(rows[i], ",") != strings.Join(want[i], ",") {
			t.Errorf("CSV row %d: %q, want %q", i, rows[i], want[i])
		}
	}
	wantProblem(t, op.admin("GET", "/api/admin/shows/nope/bookings", "", ""), 404)
	empty := adminJSON(t, op.admin("GET", "/api/admin/shows/"+closedShow+"/bookings", "", ""), 200)
	if g, ok := empty["guests"].([]any); !ok || len(g) != 0 {
		t.Errorf("an empty door list: guests %v, want []", empty["guests"])
	}
}

// The operator releases seats whoever holds them, or every seat of one
// guest by its ref; open seat maps hear of it live.
func TestAdminRelease(t *testing.T) {
	e := newAdminEnv(t, nil)
	alice, bob, op := e.guest(), e.guest(), e.guest()
	alice.bookMany(openShow, `{"seats":["A1","A2"]}`)
	bob.bookMany(openShow, `{"seats":["B1","B2"]}`)
	watch := e.guest().events(openShow, "")
	if ev := watch.next(); ev.name != "snapshot" {
		t.Fatalf("first event %q", ev.name)
	}

	r := adminJSON(t, op.admin("POST", "/api/admin/shows/"+openShow+"/release", "application/json", `{"seats":["A1","B1","C3"]}`), 200)
	if got := r["released"].([]any); len(got) != 2 || got[0] != "A1" || got[1] != "B1" {
		t.Errorf("released %v, want [A1 B1] (C3 was free)", got)
	}
	ev := watch.next()
	if ev.name != "seats" || !strings.Contains(ev.data, `"A1"`) {
		t.Errorf("the open map heard %s %s, want a seats event freeing A1", ev.name, ev.data)
	}
	if alice.statuses(openShow)["A1"] != "free" || bob.statuses(openShow)["B1"] != "free" {
		t.Error("released seats are still held")
	}

	ref := refsOf(t, e, openShow)["A2"]
	r = adminJSON(t, op.admin("DELETE", "/api/admin/shows/"+openShow+"/guests/"+ref, "", ""), 200)
	if got := r["released"].([]any); len(got) != 1 || got[0] != "A2" {
		t.Errorf("released alice's %v, want [A2]", got)
	}
	if s := alice.statuses(openShow); s["A2"] != "free" || bob.statuses(openShow)["B2"] != "mine" {
		t.Error("the guest release freed the wrong seats")
	}
	r = adminJSON(t, op.admin("DELETE", "/api/admin/shows/"+openShow+"/guests/"+ref, "", ""), 200)
	if got := r["released"].([]any); len(got) != 0 || r["version"] == nil {
		t.Errorf("a guest holding nothing: %v, want version and released []", r)
	}
	for _, bad := range []string{"0123456789AB", "0123", "zzzzzzzzzzzz"} {
		wantProblem(t, op.admin("DELETE", "/api/admin/shows/"+openShow+"/guests/"+bad, "", ""), 404)
	}
	wantProblem(t, op.admin("POST", "/api/admin/shows/"+openShow+"/release", "application/json", `{"seats":[]}`), 422)
	wantProblem(t, op.admin("POST", "/api/admin/shows/"+openShow+"/release", "application/json", `{"seats":["Z9"]}`), 404, "Z9")
	wantProblem(t, op.admin("POST", "/api/admin/shows/"+openShow+"/release", "application/json", `{"seat":["A1"]}`), 400)
	wantProblem(t, op.admin("POST", "/api/admin/shows/nope/release", "application/json", `{"seats":["A1"]}`), 404)
}

// The door list tells who has been admitted, and how far the door has got;
// the CSV too, an empty cell for a guest not admitted yet.
func TestDoorListAdmitted(t *testing.T) {
	clock := newClock()
	e := doorEnv(t, clock, nil)
	alice, bob, carol, op := e.guest(), e.guest(), e.guest(), e.guest()
	alice.bookMany(openShow, `{"seats":["A1","A2"]}`)
	bob.book(openShow, "B1")
	carol.bookMany(openShow, `{"seats":["C1","C2","C3"]}`)
	read := func() doorList {
		t.Helper()
		var list doorList
		if err := json.Unmarshal(op.admin("GET", "/api/admin/shows/"+openShow+"/bookings", "", "").body, &list); err != nil {
			t.Fatal(err)
		}
		return list
	}
	if c := read().Counts; c.Guests != 3 || c.Seats != 6 || c.AdmittedGuests != 0 || c.AdmittedSeats != 0 {
		t.Errorf("counts before the door opens: %+v", c)
	}
	clock.Set(startOf(t, e, openShow).Add(-time.Hour))
	for _, g := range []*guest{alice, carol} {
		decodeAdmission(t, e.guest().door("POST", admitPath(decodeTicket(t, g.myTicket(openShow)).Code)))
	}
	at := clock.Now().UTC().Format(time.RFC3339)
	list := read()
	if c := list.Counts; c.Guests != 3 || c.Seats != 6 || c.AdmittedGuests != 2 || c.AdmittedSeats != 5 {
		t.Errorf("counts after admitting alice and carol: %+v, want 3 guests, 6 seats, 2 admitted with 5", c)
	}
	want := map[string]string{"A1 A2": at, "B1": "", "C1 C2 C3": at}
	for _, g := range list.Guests {
		got := ""
		if g.AdmittedAt != nil {
			got = *g.AdmittedAt
		}
		if seats := strings.Join(g.Seats, " "); got != want[seats] {
			t.Errorf("the guest with %s: admitted_at %q, want %q", seats, got, want[seats])
		}
	}
	body := string(op.admin("GET", "/api/admin/shows/"+openShow+"/bookings", "", "").body)
	for _, g := range []*guest{alice, bob, carol} {
		if code := decodeTicket(t, g.myTicket(openShow)).Code; strings.Contains(body, code) || strings.Contains(body, strings.ReplaceAll(code, "-", "")) {
			t.Errorf("the door list shows (part of) the ticket code %s: %s", code, body)
		}
	}
	c := op.admin("GET", "/api/admin/shows/"+openShow+"/bookings", "", "", "Accept", "text/csv")
	rows, err := csv.NewReader(strings.NewReader(string(c.body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[1][3] != at || rows[2][3] != "" || rows[3][3] != at {
		t.Errorf("CSV %q, want admitted_at %s, empty, %s", rows, at, at)
	}
}
