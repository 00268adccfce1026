package web_test

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"boxoffice/web"
)

// adminPageAnswers drives every admin page route through each answer the
// document gives it, validating request and response.
func adminPageAnswers(t *testing.T, s *spec) {
	const show = "/admin/shows/" + openShow
	cross := []string{"Sec-Fetch-Site", "cross-site"}
	e, _ := newPagesEnv(t, nil, nil)
	absent := newEnvWith(t, testLayout, func(c *web.Config) { withSessions(c, newSessions()) }, (*httptest.Server).Start).guest()
	op, anon := e.operator(), e.guest()
	alice, bob := e.guest(), e.guest()
	alice.book(openShow, "A1")
	bob.book(openShow, "B1")
	bobRef := refsOf(t, e, openShow)["B1"]
	signIn := "token=" + url.QueryEscape(adminToken)
	newShow := "id=new-one&title=New&hall=h&starts_at=2030-06-01T20:00&sales=open&max_seats_per_guest="
	saved := "title=Open+Film&hall=h&starts_at=2030-06-01T20:00&sales=closed&max_seats_per_guest=4"
	started := "title=Renamed&hall=h&starts_at=2020-06-01T20:00&sales=open"

	for _, c := range []struct {
		g *guest
		call
	}{
		{anon, call{method: "GET", path: "/admin", want: 200, valid: valid}},
		{op, call{method: "GET", path: "/admin", want: 200, valid: valid}},
		{absent, call{method: "GET", path: "/admin", want: 404, valid: valid}},

		{anon, call{method: "POST", path: "/admin/sign-in", ctype: formCT, body: "token=wrong", want: 401, valid: valid}},
		{anon, call{method: "POST", path: "/admin/sign-in", ctype: formCT, body: signIn, header: cross, want: 403, valid: valid}},
		{absent, call{method: "POST", path: "/admin/sign-in", ctype: formCT, body: signIn, want: 404, valid: valid}},
		{e.guest(), call{method: "POST", path: "/admin/sign-in", ctype: formCT, body: signIn, want: 303, valid: valid}},
		{e.operator(), call{method: "POST", path: "/admin/sign-out", want: 303, valid: valid}},
		{op, call{method: "POST", path: "/admin/sign-out", header: cross, want: 403, valid: valid}},
		{absent, call{method: "POST", path: "/admin/sign-out", want: 404, valid: valid}},

		{op, call{method: "GET", path: "/admin/halls", want: 200, valid: valid}},
		{anon, call{method: "GET", path: "/admin/halls", want: 303, valid: valid}},
		{absent, call{method: "GET", path: "/admin/halls", want: 404, valid: valid}},
		{op, call{method: "GET", path: "/admin/shows/new", want: 200, valid: valid}},
		{anon, call{method: "GET", path: "/admin/shows/new", want: 303, valid: valid}},
		{absent, call{method: "GET", path: "/admin/shows/new", want: 404, valid: valid}},

		{op, call{method: "POST", path: "/admin/shows", ctype: formCT, body: newShow, want: 303, valid: valid}},
		{op, call{method: "POST", path: "/admin/shows", ctype: formCT, body: "id=" + closedShow + "&" + started, want: 409, valid: valid}},
		{op, call{method: "POST", path: "/admin/shows", ctype: formCT, body: "id=x&hall=h", want: 422, valid: valid}},
		{op, call{method: "POST", path: "/admin/shows", ctype: formCT, body: newShow, header: cross, want: 403, valid: valid}},
		{absent, call{method: "POST", path: "/admin/shows", ctype: formCT, body: newShow, want: 404, valid: valid}},

		{op, call{method: "GET", path: show, want: 200, valid: valid}},
		{anon, call{method: "GET", path: show, want: 303, valid: valid}},
		{absent, call{method: "GET", path: show, want: 404, valid: valid}},
		{op, call{method: "GET", path: "/admin/shows/nope", want: 404, valid: valid}},
		{op, call{method: "GET", path: "/admin/shows/a%01b", want: 400, valid: invalid}},
		{op, call{method: "POST", path: show, ctype: formCT, body: saved, want: 303, valid: valid}},
		{op, call{method: "POST", path: "/admin/shows/" + closedShow, ctype: formCT, body: started, want: 409, valid: valid}},
		{op, call{method: "POST", path: show, ctype: formCT, body: "title=T&hall=h&starts_at=soon", want: 422, valid: valid}},
		{op, call{method: "POST", path: show, ctype: formCT, body: saved, header: cross, want: 403, valid: valid}},
		{absent, call{method: "POST", path: show, ctype: formCT, body: saved, want: 404, valid: valid}},

		{op, call{method: "POST", path: show + "/release", ctype: formCT, body: "seat=A1&confirm=yes", want: 303, valid: valid}},
		{op, call{method: "POST", path: show + "/release", ctype: formCT, body: "seat=A1&confirm=yes", header: cross, want: 403, valid: valid}},
		{absent, call{method: "POST", path: show + "/release", ctype: formCT, body: "seat=A1&confirm=yes", want: 404, valid: valid}},
		{op, call{method: "POST", path: show + "/guests/" + bobRef + "/release", ctype: formCT, body: "confirm=yes", want: 303, valid: valid}},
		{op, call{method: "POST", path: show + "/guests/" + bobRef + "/release", ctype: formCT, body: "confirm=yes", header: cross, want: 403, valid: valid}},
		{absent, call{method: "POST", path: show + "/guests/" + bobRef + "/release", ctype: formCT, body: "confirm=yes", want: 404, valid: valid}},

		{op, call{method: "POST", path: "/admin/shows/" + closedShow + "/cancel", ctype: formCT, body: "confirm=yes", want: 409, valid: valid}},
		{op, call{method: "POST", path: show + "/cancel", ctype: formCT, body: "confirm=yes", header: cross, want: 403, valid: valid}},
		{absent, call{method: "POST", path: show + "/cancel", ctype: formCT, body: "confirm=yes", want: 404, valid: valid}},
		{op, call{method: "POST", path: show + "/cancel", ctype: formCT, body: "confirm=yes", want: 303, valid: valid}},
		// Once cancelled, the show's seats cannot be released.
		{op, call{method: "POST", path: show + "/release", ctype: formCT, body: "seat=A2&confirm=yes", want: 410, valid: valid}},
		{op, call{method: "POST", path: show + "/guests/" + bobRef + "/release", ctype: formCT, body: "confirm=yes", want: 410, valid: valid}},
	} {
		s.check(t, c.g, c.call)
	}

	// Five failed sign-ins from one address, then 429.
	g := e.guestFrom("127.0.3.1")
	for range 5 {
		s.check(t, g, call{method: "POST", path: "/admin/sign-in", ctype: formCT, body: "token=wrong", want: 401, valid: valid})
	}
	s.check(t, g, call{method: "POST", path: "/admin/sign-in", ctype: formCT, body: signIn, want: 429, valid: valid})
}
