package web_test

import (
	"testing"
	"time"
)

// ticketAnswers drives the ticket routes through each answer the document
// gives them (but the store's failures and the admin guard's, which
// failureAnswers and adminAnswers produce), validating request and
// response.
func ticketAnswers(t *testing.T, s *spec) {
	clock := newClock()
	e := doorEnv(t, clock, nil)
	alice, anon := e.guest(), e.guest()
	alice.bookMany(openShow, `{"seats":["A1","A2"]}`)
	code := decodeTicket(t, alice.myTicket(openShow)).Code
	addShow(t, e, "gone")
	alice.book("gone", "B1")
	gone := decodeTicket(t, alice.myTicket("gone")).Code
	cancelShow(t, e, "gone")
	start := startOf(t, e, openShow)
	bearer := []string{"Authorization", "Bearer " + doorToken}
	const mine = "/api/shows/" + openShow + "/ticket"

	for _, c := range []struct {
		g *guest
		call
	}{
		{alice, call{method: "GET", path: mine, want: 200, valid: valid}},
		{anon, call{method: "GET", path: mine, want: 404, valid: valid}},
		{alice, call{method: "GET", path: "/api/shows/nope/ticket", want: 404, valid: valid}},
		{alice, call{method: "GET", path: "/api/shows/a%01b/ticket", want: 400, valid: invalid}},
		{alice, call{method: "GET", path: "/api/shows/gone/ticket", want: 410, valid: valid}},

		{anon, call{method: "GET", path: "/api/tickets/" + code, want: 200, valid: valid}},
		{anon, call{method: "GET", path: "/api/tickets/" + code[:9], want: 404, valid: valid}},
		{anon, call{method: "GET", path: "/api/tickets/7KQ2-ABCD-EFGH", want: 404, valid: valid}},
		{anon, call{method: "GET", path: "/api/tickets/" + gone, want: 410, valid: valid}},

		{anon, call{method: "POST", path: admitPath(code), header: bearer, want: 409, valid: valid}}, // two days early
		{anon, call{method: "POST", path: admitPath("7KQ2-ABCD-EFGH"), header: bearer, want: 404, valid: valid}},
		{anon, call{method: "POST", path: admitPath(gone), header: bearer, want: 410, valid: valid}},
	} {
		s.check(t, c.g, c.call)
	}
	clock.Set(start.Add(-time.Hour))
	s.check(t, anon, call{method: "POST", path: admitPath(code), header: bearer, want: 200, valid: valid})
	s.check(t, anon, call{method: "POST", path: admitPath(code), header: bearer, want: 200, valid: valid})
	s.check(t, alice, call{method: "GET", path: mine, want: 200, valid: valid}) // admitted_at a time now
	// A session cookie alone does not pass the cross-origin check.
	s.check(t, e.operator(), call{method: "POST", path: admitPath(code), header: []string{"Sec-Fetch-Site", "cross-site"}, want: 403, valid: valid})
}

// doorRoleAnswers: the door token's 403 from every admin route and page
// but the door's, as the document gives it.
func doorRoleAnswers(t *testing.T, s *spec) {
	e := doorEnv(t, newClock(), nil)
	bearer, session := e.guest(), e.guest()
	session.signIn(doorToken)
	for _, r := range adminRoutes {
		if !isDoorRoute(r) {
			s.check(t, bearer, call{method: r.method, path: r.path, ctype: r.ctype(), body: r.body,
				header: []string{"Authorization", "Bearer " + doorToken}, want: 403, valid: valid})
		}
	}
	for _, r := range append(adminPageRoutes, adminRoute{"GET", "/admin", ""}) {
		ctype := ""
		if r.body != "" {
			ctype = formCT
		}
		s.check(t, session, call{method: r.method, path: r.path, ctype: ctype, body: r.body, want: 403, valid: valid})
	}
}
