package web_test

import (
	"net/http/httptest"
	"testing"

	"boxoffice"
)

// programmeAnswers: a show whose sales the cinema closed answers 409 to
// writes; after a programme change a stream's snapshot matches the
// document's SeatMap; a cancelled show's stream ends with a cancelled
// event matching CancelledEvent, and every route of the show answers 410.
func programmeAnswers(t *testing.T, s *spec) {
	e := newEnvWith(t, testLayout, nil, (*httptest.Server).Start)
	g := e.guest()
	const show = "/api/shows/" + openShow
	const page = "/shows/" + openShow
	stream := g.events(openShow, "")
	stream.next()
	e.reprogramme(openShow, func(sh *boxoffice.Show) { sh.Title = "Renamed"; sh.Sales = boxoffice.SalesClosed })
	if ev := stream.next(); ev.name != "snapshot" {
		t.Errorf("after a programme change: %s, want snapshot", ev.name)
	} else {
		s.validateEvent(t, "snapshot after a programme change", "SeatMap", ev.data)
	}
	s.check(t, g, call{method: "GET", path: "/api/shows", want: 200, valid: valid})
	s.check(t, g, call{method: "GET", path: show, want: 200, valid: valid})
	s.check(t, g, call{method: "PUT", path: show + "/seats/A1", want: 409, valid: valid})
	s.check(t, g, call{method: "POST", path: page, ctype: "application/x-www-form-urlencoded", body: "seat=A1", want: 303, valid: valid})

	if _, err := e.store.CancelShow(t.Context(), openShow, true); err != nil {
		t.Fatal(err)
	}
	if ev := stream.next(); ev.name != "cancelled" {
		t.Errorf("after cancelling: %s, want cancelled", ev.name)
	} else {
		s.validateEvent(t, "cancelled", "CancelledEvent", ev.data)
	}
	for _, c := range []call{
		{method: "GET", path: page},
		{method: "POST", path: page, ctype: "application/x-www-form-urlencoded", body: "seat=A1"},
		{method: "GET", path: show},
		{method: "GET", path: show + "/seats/A1"},
		{method: "PUT", path: show + "/seats/A1"},
		{method: "DELETE", path: show + "/seats/A1"},
		{method: "POST", path: show + "/bookings", ctype: "application/json", body: `{"seats":["A1"]}`},
		{method: "GET", path: show + "/events"},
		{method: "HEAD", path: show + "/events"},
	} {
		c.want, c.valid = 410, valid
		s.check(t, g, c)
	}
}
