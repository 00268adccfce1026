package web_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/web"
)

// failingTickets answers the ticket reads and admissions with err.
type failingTickets struct {
	boxoffice.Store
	err error
}

func (f failingTickets) Ticket(context.Context, boxoffice.TicketHash) (boxoffice.Ticket, error) {
	return boxoffice.Ticket{}, f.err
}

func (f failingTickets) Admit(context.Context, boxoffice.TicketHash, time.Time) (boxoffice.Ticket, bool, error) {
	return boxoffice.Ticket{}, false, f.err
}

// ticketPageAnswers drives the ticket page, its Admit button and the
// check-in page through each answer the document gives them.
func ticketPageAnswers(t *testing.T, s *spec) {
	cross := []string{"Sec-Fetch-Site", "cross-site"}
	e, clk := newDoorEnv(t, nil)
	absent := newEnvWith(t, testLayout, nil, (*httptest.Server).Start).guest()
	usher, anon := e.usher(), e.guest()
	alice, bob, carol := e.guest(), e.guest(), e.guest()
	alice.book(openShow, "A1")
	bob.book(openShow, "A2")
	carol.book(openShow, "A3")
	ticket := func(g *guest) string { return "/tickets/" + g.ticketCode(openShow).String() }
	unknown := "/tickets/" + boxoffice.TicketCodeFor(openShow, "nobody").String()
	door := func(g *guest) string { return url.Values{"code": {g.ticketCode(openShow).String()}}.Encode() }

	for _, c := range []struct {
		g *guest
		call
	}{
		{anon, call{method: "GET", path: ticket(alice), want: 200, valid: valid}},
		{usher, call{method: "GET", path: ticket(alice), want: 200, valid: valid}},
		{anon, call{method: "GET", path: "/tickets/nope", want: 404, valid: valid}},
		{anon, call{method: "GET", path: unknown, want: 404, valid: valid}},

		{usher, call{method: "POST", path: ticket(alice) + "/admit", ctype: formCT, want: 200, valid: valid}},
		{usher, call{method: "POST", path: ticket(alice) + "/admit", ctype: formCT, want: 200, valid: valid}},
		{anon, call{method: "POST", path: ticket(bob) + "/admit", ctype: formCT, want: 303, valid: valid}},
		{usher, call{method: "POST", path: ticket(bob) + "/admit", ctype: formCT, header: cross, want: 403, valid: valid}},
		{usher, call{method: "POST", path: unknown + "/admit", ctype: formCT, want: 404, valid: valid}},
		{absent, call{method: "POST", path: unknown + "/admit", ctype: formCT, want: 404, valid: valid}},

		{usher, call{method: "GET", path: "/admin/door", want: 200, valid: valid}},
		{anon, call{method: "GET", path: "/admin/door", want: 303, valid: valid}},
		{absent, call{method: "GET", path: "/admin/door", want: 404, valid: valid}},
		{usher, call{method: "POST", path: "/admin/door", ctype: formCT, body: door(bob), want: 200, valid: valid}},
		{anon, call{method: "POST", path: "/admin/door", ctype: formCT, body: door(bob), want: 303, valid: valid}},
		{usher, call{method: "POST", path: "/admin/door", ctype: formCT, body: door(bob), header: cross, want: 403, valid: valid}},
		{usher, call{method: "POST", path: "/admin/door", ctype: formCT, body: "code=nope", want: 404, valid: valid}},
		{absent, call{method: "POST", path: "/admin/door", ctype: formCT, body: "code=nope", want: 404, valid: valid}},
		{usher, call{method: "POST", path: "/admin/door", ctype: formCT, body: "code=%zz", want: 400, valid: valid}},
		{usher, call{method: "POST", path: "/admin/door", ctype: formCT, body: "code=" + strings.Repeat("x", 5000), want: 413, valid: valid}},
	} {
		s.check(t, c.g, c.call)
	}

	// Two days early: not today.
	clk.set(0)
	s.check(t, usher, call{method: "POST", path: ticket(carol) + "/admit", ctype: formCT, want: 409, valid: valid})
	s.check(t, usher, call{method: "POST", path: "/admin/door", ctype: formCT, body: door(carol), want: 409, valid: valid})

	// The show cancelled: its tickets are gone.
	if r := alice.admin("DELETE", "/api/admin/shows/"+openShow+"?force=true", "", ""); r.status != 200 {
		t.Fatalf("cancelling: %d %s", r.status, r.body)
	}
	s.check(t, anon, call{method: "GET", path: ticket(alice), want: 410, valid: valid})
	s.check(t, usher, call{method: "POST", path: ticket(carol) + "/admit", ctype: formCT, want: 410, valid: valid})
	s.check(t, usher, call{method: "POST", path: "/admin/door", ctype: formCT, body: door(carol), want: 410, valid: valid})

	// The database down, or failing unforeseen.
	for _, tc := range []struct {
		err  error
		want int
	}{
		{boxoffice.Errorf(boxoffice.EUNAVAILABLE, "the database does not answer"), 503},
		{errors.New("something unforeseen"), 500},
	} {
		e := newEnvWith(t, testLayout, func(c *web.Config) { c.Store = failingTickets{c.Store, tc.err} }, (*httptest.Server).Start)
		s.check(t, e.guest(), call{method: "GET", path: unknown, want: tc.want, valid: valid})
	}
}
