package web_test

import (
	"net/url"
	"strings"
	"testing"
)

// A show added with the form is on the guests' programme at the time typed,
// read in the cinema's zone; saving it again changes it.
func TestAdminPagesAddShow(t *testing.T) {
	e, _ := newPagesEnv(t, nil, nil)
	op := e.operator()
	form := url.Values{"id": {"dune"}, "title": {"Dune"}, "hall": {"h"}, "starts_at": {"2030-06-01T20:00"},
		"sales": {"open"}, "max_seats_per_guest": {""}}
	wantRedirect(t, "adding", op.do("POST", "/admin/shows", formCT, form.Encode()), "/admin/shows/dune?result=created")
	index := string(e.guest().do("GET", "/", "", "").body)
	if !strings.Contains(index, `href="/shows/dune"`) || !strings.Contains(index, `datetime="2030-06-01T20:00:00Z"`) {
		t.Errorf("the new show is not on the guests' index at 20:00 UTC: %.600s", index)
	}
	if page := string(op.do("GET", "/admin", "", "").body); !strings.Contains(page, `href="/admin/shows/dune"`) {
		t.Errorf("the new show is not on the admin programme")
	}
	form.Set("title", "Dune: Part Two")
	form.Set("sales", "closed")
	wantRedirect(t, "saving", op.do("POST", "/admin/shows/dune", formCT, form.Encode()), "/admin/shows/dune?result=saved")
	m := e.guest().do("GET", "/api/shows/dune", "", "").json(t)
	if m["title"] != "Dune: Part Two" || m["sales"] != "closed" {
		t.Errorf("after saving: title %v, sales %v", m["title"], m["sales"])
	}
	// A refused save shows the form again, as typed, with the reason.
	form.Set("hall", "nowhere")
	got := op.do("POST", "/admin/shows/dune", formCT, form.Encode())
	if got.status != 422 || !strings.Contains(string(got.body), "nowhere") || !strings.Contains(string(got.body), `value="Dune: Part Two"`) {
		t.Errorf("an unknown hall: %d %.300s", got.status, got.body)
	}
}

// The door list on a show's page names each guest's seats; releasing a
// guest or chosen seats frees them for everyone, but only once confirmed.
func TestAdminPagesDoorList(t *testing.T) {
	e, _ := newPagesEnv(t, nil, nil)
	op := e.operator()
	alice, bob := e.guest(), e.guest()
	alice.bookMany(openShow, `{"seats":["A1","A2"]}`)
	bob.book(openShow, "C3")
	refs := refsOf(t, e, openShow)
	page := string(op.do("GET", "/admin/shows/"+openShow, "", "").body)
	for _, want := range []string{">A1 A2</th>", refs["A1"], ">C3</th>", refs["C3"]} {
		if !strings.Contains(page, want) {
			t.Errorf("the door list lacks %q", want)
		}
	}
	path := "/admin/shows/" + openShow + "/guests/" + refs["A1"] + "/release"
	wantRedirect(t, "unconfirmed", op.do("POST", path, formCT, ""), "/admin/shows/"+openShow+"?result=unconfirmed")
	if st := alice.statuses(openShow); st["A1"] != "mine" {
		t.Fatalf("an unconfirmed release freed A1: %v", st["A1"])
	}
	wantRedirect(t, "release guest", op.do("POST", path, formCT, "confirm=yes"), "/admin/shows/"+openShow+"?result=released&seats=2")
	if st := alice.statuses(openShow); st["A1"] != "free" || st["A2"] != "free" || st["C3"] != "booked" {
		t.Errorf("after releasing alice: A1 %s, A2 %s, C3 %s", st["A1"], st["A2"], st["C3"])
	}
	wantRedirect(t, "release seats", op.do("POST", "/admin/shows/"+openShow+"/release", formCT, "seat=C3&confirm=yes"),
		"/admin/shows/"+openShow+"?result=released&seats=1")
	if st := bob.statuses(openShow); st["C3"] != "free" {
		t.Errorf("after releasing C3: %s", st["C3"])
	}
	if page := string(op.do("GET", "/admin/shows/"+openShow+"?result=released&seats=1", "", "").body); !strings.Contains(page, "Released 1 seat.") ||
		!strings.Contains(page, "No seats are booked.") {
		t.Errorf("the page after the releases: %.800s", page)
	}
}

// Cancelling from the page needs the box ticked, releases the bookings,
// and the guests' routes answer 410.
func TestAdminPagesCancel(t *testing.T) {
	e, _ := newPagesEnv(t, nil, nil)
	op := e.operator()
	e.guest().book(openShow, "A1")
	path := "/admin/shows/" + openShow + "/cancel"
	wantRedirect(t, "unconfirmed", op.do("POST", path, formCT, "confirm=no"), "/admin/shows/"+openShow+"?result=unconfirmed")
	if r := e.guest().do("GET", "/api/shows/"+openShow, "", ""); r.status != 200 {
		t.Fatalf("an unconfirmed cancel cancelled: %d", r.status)
	}
	wantRedirect(t, "cancel", op.do("POST", path, formCT, "confirm=yes"), "/admin/shows/"+openShow+"?result=cancelled")
	if r := e.guest().do("GET", "/shows/"+openShow, "", ""); r.status != 410 {
		t.Errorf("the guests' page after cancelling: %d, want 410", r.status)
	}
	page := string(op.do("GET", "/admin/shows/"+openShow, "", "").body)
	if !strings.Contains(page, "This show has been cancelled.") || strings.Contains(page, `action="`+path+`"`) {
		t.Errorf("the admin page of the cancelled show: %.600s", page)
	}
}
