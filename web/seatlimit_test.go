package web_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"boxoffice/web"
)

// With a cap of 2 seats per guest: a guest at the cap is refused more, whole,
// with 409 seat-limit naming the cap, what the guest holds and the seats not
// yet held; seats already held can be booked again; releasing makes room;
// another guest is not affected; and each refusal is counted.
func TestSeatLimitThroughTheAPI(t *testing.T) {
	obs := &observer{closed: make(chan string, 1)}
	e := newEnvWith(t, testLayout, func(c *web.Config) { c.MaxSeatsPerGuest, c.Observer = 2, obs }, (*httptest.Server).Start)
	alice, bob := e.guest(), e.guest()
	for _, seat := range []string{"A1", "A2", "A1"} {
		if r := alice.book(openShow, seat); r.status != http.StatusOK {
			t.Fatalf("alice books %s: %d %s", seat, r.status, r.body)
		}
	}
	r := alice.book(openShow, "A3")
	p := wantProblem(t, r, http.StatusConflict, "A3")
	if p["type"] != "/problems/seat-limit" || p["limit"] != 2.0 || p["held"] != 2.0 {
		t.Fatalf("the fourth booking's problem = %v, want type /problems/seat-limit, limit 2, held 2", p)
	}
	// Held seats do not count: A1 is hers, B1 and B2 are not; all refused.
	p = wantProblem(t, alice.bookMany(openShow, `{"seats":["B2","A1","B1"]}`), http.StatusConflict, "B2", "B1")
	if p["type"] != "/problems/seat-limit" || p["held"] != 2.0 {
		t.Fatalf("a group over the cap: %v", p)
	}
	if got := alice.statuses(openShow); got["B1"] != "free" || got["B2"] != "free" || got["A3"] != "free" {
		t.Fatalf("a refused booking changed seats: %v", got)
	}
	// Bob, holding nothing, gets held 0 in his refusal.
	p = wantProblem(t, bob.bookMany(openShow, `{"seats":["B1","B2","B3"]}`), http.StatusConflict, "B1", "B2", "B3")
	if p["held"] != 0.0 || p["limit"] != 2.0 {
		t.Fatalf("bob's refusal: %v, want held 0 and limit 2", p)
	}
	if r := bob.bookMany(openShow, `{"seats":["B1","B2"]}`); r.status != http.StatusOK {
		t.Fatalf("bob books two: %d %s", r.status, r.body)
	}
	if r := alice.release(openShow, "A2"); r.status != http.StatusOK {
		t.Fatalf("alice releases A2: %d", r.status)
	}
	if r := alice.book(openShow, "A3"); r.status != http.StatusOK {
		t.Fatalf("alice books A3 after releasing A2: %d %s", r.status, r.body)
	}
	obs.mu.Lock()
	limited := slices.Clone(obs.limited)
	obs.mu.Unlock()
	if !slices.Equal(limited, []string{"seats_per_guest", "seats_per_guest", "seats_per_guest"}) {
		t.Fatalf("the observer heard %v, want three seats_per_guest refusals", limited)
	}
}

// The seat map's form at the cap goes back to the map, which says what the
// cap is.
func TestSeatLimitThroughTheForm(t *testing.T) {
	e := newEnvWith(t, testLayout, func(c *web.Config) { c.MaxSeatsPerGuest = 1 }, (*httptest.Server).Start)
	alice := e.guest()
	post := func(seat string) string {
		r := alice.do("POST", "/shows/"+openShow, "application/x-www-form-urlencoded", "seat="+seat)
		if r.status != http.StatusSeeOther {
			t.Fatalf("form post %s: %d", seat, r.status)
		}
		return r.header.Get("Location")
	}
	post("A1")
	loc := post("A2")
	if want := "/shows/" + openShow + "?limit=1&result=seat-limit&seat=A2"; loc != want {
		t.Fatalf("the form at the cap redirects to %q, want %q", loc, want)
	}
	if got, want := alice.message("limit=1&result=seat-limit&seat=A2"), "You can hold at most 1 seat for this show."; got != want {
		t.Fatalf("the map says %q, want %q", got, want)
	}
}

// Zero is no cap: the handler built from the struct limits nothing.
func TestNoSeatLimitByDefault(t *testing.T) {
	e := newEnv(t, testLayout)
	alice := e.guest()
	if r := alice.bookMany(openShow, `{"seats":["A1","A2","A3","A4","A5","A6","B1","B2","B3","B4","B5","B6"]}`); r.status != http.StatusOK {
		t.Fatalf("12 seats without a cap: %d %s", r.status, r.body)
	}
}
