package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"boxoffice"
	"boxoffice/web"
)

// failingAdminStore is failingStore for the admin API's store methods too.
type failingAdminStore struct{ failingStore }

func (f failingAdminStore) Programme(context.Context) (boxoffice.Programme, error) {
	return boxoffice.Programme{}, f.err
}
func (f failingAdminStore) ApplyProgramme(context.Context, boxoffice.Programme, bool) (boxoffice.ProgrammeReport, error) {
	return boxoffice.ProgrammeReport{}, f.err
}
func (f failingAdminStore) CancelShow(context.Context, boxoffice.ShowID, bool) (int, error) {
	return 0, f.err
}
func (f failingAdminStore) DeleteHall(context.Context, boxoffice.HallID) error { return f.err }
func (f failingAdminStore) Bookings(context.Context, boxoffice.ShowID) ([]boxoffice.Booking, error) {
	return nil, f.err
}
func (f failingAdminStore) ReleaseSeats(context.Context, boxoffice.ShowID, []boxoffice.SeatID) (boxoffice.Change, error) {
	return boxoffice.Change{}, f.err
}
func (f failingAdminStore) ReleaseGuest(context.Context, boxoffice.ShowID, boxoffice.Guest) (boxoffice.Change, error) {
	return boxoffice.Change{}, f.err
}

// adminAnswers drives every admin route through each answer the document
// gives it, validating request and response.
func adminAnswers(t *testing.T, s *spec) {
	const (
		jsonCT = "application/json"
		prog   = "/api/admin/programme"
		show   = "/api/admin/shows/" + openShow
	)
	bearer := []string{"Authorization", "Bearer " + adminToken}
	with := func(h ...string) []string { return append(append([]string{}, bearer...), h...) }
	cross := []string{"Sec-Fetch-Site", "cross-site"}
	e := newAdminEnv(t, nil)
	op, alice, bob := e.guest(), e.guest(), e.guest()
	alice.bookMany(openShow, `{"seats":["A1","A2"]}`)
	bob.book(openShow, "B1")
	bobRef := refsOf(t, e, openShow)["B1"]
	hall := `{"name":"Studio","layout":"A ss\n"}`
	newShow := `{"title":"New","hall":"studio","starts_at":"2030-06-01T20:00:00Z"}`
	big := func(head, tail string) string { return head + strings.Repeat(" ", 1<<20+1-len(head)-len(tail)) + tail }

	for _, c := range []call{
		{method: "GET", path: prog, header: bearer, want: 200, valid: valid},
		{method: "PUT", path: prog + "?dry_run=true", ctype: jsonCT, body: `{"halls":[],"shows":[]}`, header: bearer, want: 200, valid: valid},
		{method: "PUT", path: prog, ctype: jsonCT, body: `{"halls":[`, header: bearer, want: 400, valid: invalid},
		{method: "PUT", path: prog, ctype: jsonCT, body: `{"films":[]}`, header: bearer, want: 422, valid: invalid},
		{method: "PUT", path: prog, ctype: jsonCT, body: `{"shows":[{"id":"` + openShow + `","title":"Open Film","hall":"h","starts_at":"2030-01-01T20:00:00Z","sales":"cancelled"}]}`, header: bearer, want: 409, valid: valid},
		{method: "PUT", path: prog, ctype: "text/plain", body: `{}`, header: bearer, want: 415, valid: invalid},
		{method: "PUT", path: prog, ctype: jsonCT, body: big(`{"halls":[]`, `}`), header: bearer, want: 413},
		{method: "PUT", path: prog, ctype: jsonCT, body: `{}`, header: cross, want: 403},

		{method: "PUT", path: "/api/admin/halls/studio", ctype: jsonCT, body: hall, header: bearer, want: 201, valid: valid},
		{method: "PUT", path: "/api/admin/halls/studio", ctype: jsonCT, body: hall, header: bearer, want: 200, valid: valid},
		{method: "PUT", path: "/api/admin/halls/studio", ctype: jsonCT, body: `{"name":`, header: bearer, want: 400, valid: invalid},
		{method: "PUT", path: "/api/admin/halls/studio", ctype: jsonCT, body: `{"name":"S"}`, header: bearer, want: 422, valid: invalid},
		{method: "PUT", path: "/api/admin/halls/h", ctype: jsonCT, body: `{"name":"Hall One","layout":"B sss\n"}`, header: bearer, want: 409, valid: valid},
		{method: "PUT", path: "/api/admin/halls/studio", ctype: "text/plain", body: hall, header: bearer, want: 415, valid: invalid},
		{method: "PUT", path: "/api/admin/halls/studio", ctype: jsonCT, body: big(`{"name":"S","layout":"A s\n"`, `}`), header: bearer, want: 413},
		{method: "PUT", path: "/api/admin/halls/studio", ctype: jsonCT, body: hall, header: cross, want: 403},

		{method: "PUT", path: "/api/admin/shows/new", ctype: jsonCT, body: newShow, header: bearer, want: 201, valid: valid},
		{method: "PUT", path: "/api/admin/shows/new", ctype: jsonCT, body: newShow, header: bearer, want: 200, valid: valid},
		{method: "PUT", path: "/api/admin/shows/new", ctype: jsonCT, body: `nope`, header: bearer, want: 400, valid: invalid},
		{method: "PUT", path: "/api/admin/shows/new", ctype: jsonCT, body: `{"title":"New","hall":"studio"}`, header: bearer, want: 422, valid: invalid},
		{method: "PUT", path: show, ctype: jsonCT, body: `{"title":"Open Film","hall":"studio","starts_at":"2030-06-01T20:00:00Z"}`, header: bearer, want: 409, valid: valid},
		{method: "PUT", path: "/api/admin/shows/new", ctype: "text/plain", body: newShow, header: bearer, want: 415, valid: invalid},
		{method: "PUT", path: "/api/admin/shows/new", ctype: jsonCT, body: big(`{"title":"New","hall":"studio","starts_at":"2030-06-01T20:00:00Z"`, `}`), header: bearer, want: 413},
		{method: "PUT", path: "/api/admin/shows/new", ctype: jsonCT, body: newShow, header: cross, want: 403},

		{method: "GET", path: show + "/bookings", header: bearer, want: 200, valid: valid},
		{method: "GET", path: show + "/bookings", header: with("Accept", "text/csv"), want: 200, valid: valid},
		{method: "GET", path: "/api/admin/shows/nope/bookings", header: bearer, want: 404, valid: valid},
		{method: "POST", path: show + "/release", ctype: jsonCT, body: `{"seats":["A1"]}`, header: bearer, want: 200, valid: valid},
		{method: "POST", path: show + "/release", ctype: jsonCT, body: `{"seats":`, header: bearer, want: 400, valid: invalid},
		{method: "POST", path: show + "/release", ctype: jsonCT, body: `{"seats":["Z9"]}`, header: bearer, want: 404, valid: valid},
		{method: "POST", path: show + "/release", ctype: jsonCT, body: `{"seats":[]}`, header: bearer, want: 422, valid: invalid},
		{method: "POST", path: show + "/release", ctype: "text/plain", body: `{"seats":["A1"]}`, header: bearer, want: 415, valid: invalid},
		{method: "POST", path: show + "/release", ctype: jsonCT, body: big(`{"seats":["A1"]`, `}`), header: bearer, want: 413},
		{method: "POST", path: show + "/release", ctype: jsonCT, body: `{"seats":["A1"]}`, header: cross, want: 403},
		{method: "DELETE", path: show + "/guests/" + bobRef, header: bearer, want: 200, valid: valid},
		{method: "DELETE", path: show + "/guests/NOT-A-REF", header: bearer, want: 404, valid: invalid},
		{method: "DELETE", path: show + "/guests/" + bobRef, header: cross, want: 403},

		{method: "DELETE", path: "/api/admin/halls/studio", header: with(cross...), want: 409, valid: valid}, // the bearer passes the cross-origin check
		{method: "DELETE", path: "/api/admin/halls/nope", header: bearer, want: 404, valid: valid},
		{method: "DELETE", path: "/api/admin/halls/studio", header: cross, want: 403},
		{method: "DELETE", path: show + "?force=perhaps", header: bearer, want: 400, valid: invalid},
		{method: "DELETE", path: show, header: bearer, want: 409, valid: valid},
		{method: "DELETE", path: show, header: cross, want: 403},
		{method: "DELETE", path: "/api/admin/shows/new", header: bearer, want: 200, valid: valid},
		{method: "DELETE", path: "/api/admin/shows/nope", header: bearer, want: 404, valid: valid},
		{method: "PUT", path: "/api/admin/halls/empty", ctype: jsonCT, body: hall, header: bearer, want: 201, valid: valid},
		{method: "DELETE", path: "/api/admin/halls/empty", header: bearer, want: 200, valid: valid},
		// Once cancelled, the show's seats cannot be released.
		{method: "DELETE", path: show + "?force=true", header: bearer, want: 200, valid: valid},
		{method: "POST", path: show + "/release", ctype: jsonCT, body: `{"seats":["A2"]}`, header: bearer, want: 410, valid: valid},
		{method: "DELETE", path: show + "/guests/" + bobRef, header: bearer, want: 410, valid: valid},
	} {
		s.check(t, op, c)
	}

	// Every route: 401 without the token or with a wrong one, 429 after
	// five failures, 404 on a server without a token, 503 and 500 when
	// the store fails.
	absent := newEnv(t, testLayout)
	failing := map[int]*env{}
	for status, err := range map[int]error{
		503: boxoffice.Errorf(boxoffice.EUNAVAILABLE, "the database does not answer"),
		500: fmt.Errorf("something unforeseen"),
	} {
		failing[status] = newEnvWith(t, testLayout, func(c *web.Config) {
			c.Store, c.AdminToken = failingAdminStore{failingStore{c.Store, err}}, adminToken
		}, (*httptest.Server).Start)
	}
	for i, r := range adminRoutes {
		c := call{method: r.method, path: r.path, ctype: r.ctype(), body: r.body}
		g := e.guestFrom(fmt.Sprintf("127.0.2.%d", i+1))
		for _, h := range [][]string{nil, {"Authorization", "Bearer wrong"}, nil, {"Authorization", "Bearer wrong"}, nil} {
			c.header, c.want = h, 401
			s.check(t, g, c)
		}
		c.header, c.want = bearer, 429
		s.check(t, g, c)
		c.want, c.valid = 404, nil
		s.check(t, absent.guest(), c)
		for status, fe := range failing {
			c.want = status
			s.check(t, fe.guest(), c)
		}
	}
}
