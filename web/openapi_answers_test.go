package web_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/metrics"
	"boxoffice/web"
)

// failingStore answers every read and write with err: the database down
// (ErrUnavailable, 503) or something unforeseen (500).
type failingStore struct {
	boxoffice.Store
	err error
}

func (f failingStore) Shows(context.Context) ([]boxoffice.ShowSummary, error) { return nil, f.err }
func (f failingStore) Show(context.Context, boxoffice.ShowID) (boxoffice.Show, error) {
	return boxoffice.Show{}, f.err
}
func (f failingStore) SeatMap(context.Context, boxoffice.ShowID) (boxoffice.SeatMap, error) {
	return boxoffice.SeatMap{}, f.err
}
func (f failingStore) Book(context.Context, boxoffice.ShowID, []boxoffice.SeatID, boxoffice.Guest, boxoffice.TicketHash, int) (boxoffice.Change, error) {
	return boxoffice.Change{}, f.err
}
func (f failingStore) Release(context.Context, boxoffice.ShowID, []boxoffice.SeatID, boxoffice.Guest) (boxoffice.Change, error) {
	return boxoffice.Change{}, f.err
}
func (f failingStore) ChangesSince(context.Context, boxoffice.ShowID, int64, int) ([]boxoffice.Change, error) {
	return nil, f.err
}
func (f failingStore) Ping(context.Context) error { return f.err }
func (f failingStore) Ticket(context.Context, boxoffice.TicketHash) (boxoffice.Ticket, error) {
	return boxoffice.Ticket{}, f.err
}
func (f failingStore) Admit(context.Context, boxoffice.TicketHash, time.Time) (boxoffice.Ticket, bool, error) {
	return boxoffice.Ticket{}, false, f.err
}

// call is one request of the table and the status it must get. valid is
// what the document must think of the request: nil leaves it unchecked.
type call struct {
	method, path, ctype, body string
	header                    []string
	want                      int
	valid                     *bool
}

var (
	valid   = new(true)
	invalid = new(false)
)

// check sends c as g and validates the exchange.
func (s *spec) check(t *testing.T, g *guest, c call) {
	t.Helper()
	name := c.method + " " + c.path
	req, err := http.NewRequest(c.method, g.e.srv.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	for i := 0; i+1 < len(c.header); i += 2 {
		req.Header.Set(c.header[i], c.header[i+1])
	}
	resp, err := g.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != c.want {
		t.Errorf("%s: %d, want %d; body %.200s", name, resp.StatusCode, c.want, body)
		return
	}
	s.validate(t, name, exchange{req: req, body: []byte(c.body), resp: resp, respBody: body}, c.valid)
}

// stream opens a show's event stream as g and validates its status, its
// headers and its first event, whose data must match schema.
func (s *spec) stream(t *testing.T, g *guest, path, lastEventID, wantEvent, schema string) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", g.e.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if lastEventID != "" {
		req.Header.Set("Last-Event-ID", lastEventID)
	}
	resp, err := g.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	name, data, raw := firstEvent(t, resp.Body)
	if name != wantEvent {
		t.Errorf("GET %s: first event %q, want %q", path, name, wantEvent)
	}
	s.validateEvent(t, "GET "+path+" "+name, schema, data)
	s.validate(t, "GET "+path, exchange{req: req, resp: resp, respBody: raw}, valid)
}

const metricsToken = "openapi-test-metrics-token"

// Every route, driven through the real handler on a real SQLite store,
// answers each status the document gives it as the document says: status,
// headers and body. And every documented answer is produced here, but for
// the few listed that no test can provoke.
func TestOpenAPIAnswers(t *testing.T) {
	e := newEnvWith(t, testLayout, func(c *web.Config) {
		c.Metrics, c.MetricsToken = metrics.New().Handler(), metricsToken
		c.MaxSeatsPerGuest = 2
	}, (*httptest.Server).Start)
	s := servedSpec(t, e)
	alice, bob := e.guest(), e.guest()
	const show = "/api/shows/" + openShow
	const closed = "/api/shows/" + closedShow
	ctrl := "/api/shows/a%01b"
	long := "/api/shows/" + strings.Repeat("x", 129)
	json := "application/json"
	form := "application/x-www-form-urlencoded"
	cross := []string{"Sec-Fetch-Site", "cross-site"}

	for _, c := range []call{
		{method: "GET", path: "/", want: 200, valid: valid},
		{method: "GET", path: "/shows/" + openShow, want: 200, valid: valid},
		{method: "GET", path: "/shows/" + openShow + "?result=booked&seat=A1", want: 200, valid: valid},
		{method: "GET", path: "/shows/nope", want: 404, valid: valid},
		{method: "GET", path: "/shows/a%01b", want: 400, valid: invalid},
		{method: "GET", path: "/shows/nope", header: []string{"Accept", "application/json"}, want: 404, valid: valid},
		{method: "POST", path: "/shows/" + openShow, ctype: form, body: "seat=B1", want: 303, valid: valid},
		{method: "POST", path: "/shows/" + openShow, ctype: form, body: "release=B1", want: 303, valid: valid},
		{method: "POST", path: "/shows/nope", ctype: form, body: "seat=B1", want: 404, valid: valid},
		{method: "POST", path: "/shows/a%01b", ctype: form, body: "seat=B1", want: 400, valid: invalid},
		{method: "POST", path: "/shows/" + openShow, ctype: form, body: "seat=%zz", want: 400},
		{method: "POST", path: "/shows/" + openShow, ctype: form, body: "seat=B1&pad=" + strings.Repeat("x", 5000), want: 413},
		{method: "POST", path: "/shows/" + openShow, ctype: form, body: "seat=B1", header: cross, want: 403, valid: valid},
		{method: "GET", path: "/problems/seat-taken", want: 200, valid: valid},
		{method: "GET", path: "/problems/no-such-problem", want: 404, valid: invalid},
		{method: "GET", path: "/static/app.css", want: 200, valid: valid},
		{method: "GET", path: "/static/app.js", want: 200, valid: valid},
		{method: "GET", path: "/static/icon.svg", want: 200, valid: valid},
		{method: "GET", path: "/static/nope.css", want: 404, valid: valid},
		{method: "GET", path: "/static/app.css", header: []string{"Range", "bytes=0-9"}, want: 206, valid: valid},
		{method: "GET", path: "/static/app.css", header: []string{"Range", "bytes=999999-"}, want: 416, valid: valid},
		{method: "GET", path: "/static/app.css", header: []string{"If-Match", `"other"`}, want: 412, valid: valid},

		{method: "GET", path: "/api/shows", want: 200, valid: valid},
		{method: "GET", path: show, want: 200, valid: valid},
		{method: "GET", path: "/api/shows/nope", want: 404, valid: valid},
		{method: "GET", path: ctrl, want: 400, valid: invalid},
		{method: "GET", path: long, want: 400, valid: invalid},
		{method: "GET", path: show + "/seats/A1", want: 200, valid: valid},
		{method: "GET", path: show + "/seats/Z9", want: 404, valid: valid},
		{method: "GET", path: show + "/seats/a%01b", want: 400, valid: invalid},
		{method: "PUT", path: show + "/seats/A1", want: 200, valid: valid},
		{method: "PUT", path: show + "/seats/Z9", want: 404, valid: valid},
		{method: "PUT", path: show + "/seats/a%01b", want: 400, valid: invalid},
		{method: "PUT", path: closed + "/seats/A1", want: 409, valid: valid},
		{method: "PUT", path: show + "/seats/A2", header: cross, want: 403, valid: valid},
		{method: "DELETE", path: show + "/seats/A1", want: 200, valid: valid},
		{method: "DELETE", path: closed + "/seats/A1", want: 409, valid: valid},
		{method: "DELETE", path: show + "/seats/Z9", want: 404, valid: valid},
		{method: "DELETE", path: show + "/seats/a%01b", want: 400, valid: invalid},
		{method: "POST", path: show + "/bookings", ctype: json, body: `{"seats":["A1","A2"]}`, want: 200, valid: valid},
		{method: "POST", path: show + "/bookings", ctype: json, body: `{"seats":["Z8","Z9"]}`, want: 404, valid: valid},
		{method: "POST", path: "/api/shows/nope/bookings", ctype: json, body: `{"seats":["A1"]}`, want: 404, valid: valid},
		{method: "POST", path: closed + "/bookings", ctype: json, body: `{"seats":["A1"]}`, want: 409, valid: valid},
		{method: "POST", path: show + "/bookings", ctype: json, body: `{"seats":`, want: 400, valid: invalid},
		{method: "POST", path: show + "/bookings", ctype: json, body: `{"seats":[]}`, want: 422, valid: invalid},
		{method: "POST", path: show + "/bookings", ctype: json, body: `{"seats":["A1","A2","A3","B1","B2","B3","C1","C2","C3","A4","A5","A6","B4","B5","B6","C4","C5","C6","D1","D2","D3"]}`, want: 422, valid: invalid},
		{method: "POST", path: show + "/bookings", ctype: "text/plain", body: `{"seats":["A1"]}`, want: 415, valid: invalid},
		{method: "POST", path: show + "/bookings", ctype: json, body: `{"seats":["A1"],"pad":"` + strings.Repeat("x", 5000) + `"}`, want: 413, valid: invalid},
		{method: "POST", path: show + "/bookings", ctype: json, body: `{"seats":["A1"]}`, header: cross, want: 403, valid: valid},
		{method: "GET", path: show + "/events/", want: 404},

		{method: "GET", path: "/healthz", want: 200, valid: valid},
		{method: "GET", path: "/readyz", want: 200, valid: valid},
		{method: "GET", path: "/metrics", header: []string{"Authorization", "Bearer " + metricsToken}, want: 200, valid: valid},
		{method: "GET", path: "/metrics", want: 401, valid: valid},
		{method: "GET", path: "/metrics", header: []string{"Authorization", "Bearer wrong"}, want: 401, valid: valid},
		{method: "GET", path: "/api/openapi.json", want: 200, valid: valid},
	} {
		if c.path == show+"/events/" {
			continue // not a route: see the mux's own answers below
		}
		s.check(t, alice, c)
	}
	if t.Failed() {
		t.FailNow()
	}

	// Conflicts between guests: alice holds A1 and A2, her cap.
	s.check(t, bob, call{method: "PUT", path: show + "/seats/A1", want: 409, valid: valid})
	s.check(t, bob, call{method: "POST", path: show + "/bookings", ctype: json, body: `{"seats":["A2","B2"]}`, want: 409, valid: valid})
	s.check(t, bob, call{method: "DELETE", path: show + "/seats/A1", want: 403, valid: valid})
	s.check(t, alice, call{method: "PUT", path: show + "/seats/B1", want: 409, valid: valid})
	s.check(t, alice, call{method: "POST", path: show + "/bookings", ctype: json, body: `{"seats":["B1"]}`, want: 409, valid: valid})
	etag := alice.do("GET", "/api/openapi.json", "", "").header.Get("ETag")
	s.check(t, alice, call{method: "GET", path: "/api/openapi.json", header: []string{"If-None-Match", etag}, want: 304, valid: valid})
	etag = alice.do("GET", "/static/app.css", "", "").header.Get("ETag")
	s.check(t, alice, call{method: "GET", path: "/static/app.css", header: []string{"If-None-Match", etag}, want: 304, valid: valid})

	// The event stream: a snapshot first, or for a client that resumes,
	// the changes it missed; and HEAD, which only asks.
	s.stream(t, bob, show+"/events", "", "snapshot", "SeatMap")
	v := int64(alice.do("GET", show, "", "").json(t)["version"].(float64))
	s.stream(t, bob, show+"/events", strconv.FormatInt(v-1, 10), "seats", "SeatsEvent")
	s.check(t, bob, call{method: "HEAD", path: show + "/events", want: 200, valid: valid})
	s.check(t, bob, call{method: "HEAD", path: "/api/shows/nope/events", want: 404, valid: valid})
	s.check(t, bob, call{method: "HEAD", path: "/api/shows/a%01b/events", want: 400, valid: invalid})
	s.check(t, bob, call{method: "GET", path: "/api/shows/nope/events", want: 404, valid: valid})
	s.check(t, bob, call{method: "GET", path: "/api/shows/a%01b/events", want: 400, valid: invalid})

	muxAnswers(t, s, e)
	writeRateAnswers(t, s)
	streamCapAnswers(t, s)
	failureAnswers(t, s)
	readTimeoutAnswers(t, s)
	programmeAnswers(t, s)
	adminAnswers(t, s)
	adminPageAnswers(t, s)
	ticketAnswers(t, s)
	doorRoleAnswers(t, s)
	ticketPageAnswers(t, s)

	if missing := s.uncovered([]string{
		// Only a panic or a template that fails to render: no request
		// provokes them.
		"GET /problems/{type} 500", "GET /static/{file} 500", "GET /api/openapi.json 500",
		"GET /healthz 500", "GET /readyz 500", "GET /metrics 500",
	}); len(missing) > 0 {
		t.Errorf("documented answers that no test produced (produce them, or drop them from the document):\n\t%s",
			strings.Join(missing, "\n\t"))
	}
}

// muxAnswers checks what the mux answers by itself, which no operation of
// the document covers: a path it lacks, a method a path does not take.
func muxAnswers(t *testing.T, s *spec, e *env) {
	g := e.guest()
	for _, c := range []struct{ method, path, component string }{
		{"GET", "/api/nothing", "Api404"},
		{"GET", "/api/shows/" + openShow + "/events/", "Api404"},
		{"POST", "/api/shows", "Api405"},
		{"PATCH", "/api/shows/" + openShow + "/seats/A1", "Api405"},
		{"PUT", "/api/shows/" + openShow + "/bookings", "Api405"},
		{"DELETE", "/api/openapi.json", "Api405"},
		{"POST", "/healthz", "Api405"},
		{"GET", "/nothing", "Page404"},
		{"DELETE", "/", "Page405"},
		{"PUT", "/shows/" + openShow, "Page405"},
	} {
		r := g.do(c.method, c.path, "", "")
		want := map[string]int{"Api404": 404, "Page404": 404, "Api405": 405, "Page405": 405}[c.component]
		if r.status != want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, r.status, want)
			continue
		}
		resp := &http.Response{StatusCode: r.status, Header: r.header}
		s.validateComponent(t, c.method+" "+c.path, c.component, resp, r.body)
	}
}

// writeRateAnswers: a client over the write rate gets 429 from the API and
// a 303 back to the map from the form, each with Retry-After.
func writeRateAnswers(t *testing.T, s *spec) {
	e := newEnvWith(t, testLayout, func(c *web.Config) { c.WriteRate, c.WriteBurst = 0.001, 1 }, (*httptest.Server).Start)
	const show = "/api/shows/" + openShow
	for _, c := range []call{
		{method: "PUT", path: show + "/seats/A1", want: 429, valid: valid},
		{method: "DELETE", path: show + "/seats/A1", want: 429, valid: valid},
		{method: "POST", path: show + "/bookings", ctype: "application/json", body: `{"seats":["A1"]}`, want: 429, valid: valid},
		{method: "POST", path: "/shows/" + openShow, ctype: "application/x-www-form-urlencoded", body: "seat=A1", want: 303, valid: valid},
	} {
		g := e.guest()
		g.book(openShow, "C3") // the one token of the address's bucket
		s.check(t, g, c)
	}
	if r := e.guest().do("POST", "/shows/"+openShow, "application/x-www-form-urlencoded", "seat=A1"); r.header.Get("Retry-After") == "" {
		t.Errorf("the form over the write rate: no Retry-After")
	}
}

// streamCapAnswers: one address over its streams gets 429, a server at its
// cap 503, to GET and to HEAD.
func streamCapAnswers(t *testing.T, s *spec) {
	_, e := capped(t, 1, 2)
	const path = "/api/shows/" + openShow + "/events"
	a := e.guestFrom("127.0.0.2")
	sa := a.events(openShow, "")
	<-sa.ch
	s.check(t, a, call{method: "GET", path: path, want: 429, valid: valid})
	s.check(t, a, call{method: "HEAD", path: path, want: 429, valid: valid})
	b := e.guestFrom("127.0.0.3")
	sb := b.events(openShow, "")
	<-sb.ch
	c := e.guestFrom("127.0.0.4")
	s.check(t, c, call{method: "GET", path: path, want: 503, valid: valid})
	s.check(t, c, call{method: "HEAD", path: path, want: 503, valid: valid})
}

// failureAnswers: with the database down every route that reads it
// answers 503 with Retry-After, and with an unforeseen error 500.
func failureAnswers(t *testing.T, s *spec) {
	for _, tc := range []struct {
		err  error
		want int
	}{
		{boxoffice.Errorf(boxoffice.EUNAVAILABLE, "the database does not answer"), 503},
		{errors.New("something unforeseen"), 500},
	} {
		e := newEnvWith(t, testLayout, func(c *web.Config) { c.Store = failingStore{c.Store, tc.err} }, (*httptest.Server).Start)
		g := e.guest()
		const show = "/api/shows/" + openShow
		for _, c := range []call{
			{method: "GET", path: "/"},
			{method: "GET", path: "/shows/" + openShow},
			{method: "POST", path: "/shows/" + openShow, ctype: "application/x-www-form-urlencoded", body: "seat=A1"},
			{method: "GET", path: "/api/shows"},
			{method: "GET", path: show},
			{method: "GET", path: show + "/seats/A1"},
			{method: "PUT", path: show + "/seats/A1"},
			{method: "DELETE", path: show + "/seats/A1"},
			{method: "POST", path: show + "/bookings", ctype: "application/json", body: `{"seats":["A1"]}`},
			{method: "GET", path: show + "/events"},
			{method: "HEAD", path: show + "/events"},
			{method: "GET", path: "/readyz"},
			{method: "GET", path: show + "/ticket"},
			{method: "GET", path: "/api/tickets/7KQ2-ABCD-EFGH"},
		} {
			if c.path == "/readyz" && tc.want == 500 {
				c.want = 503 // a database that fails to answer is not ready, whatever the error
			} else {
				c.want = tc.want
			}
			c.valid = valid
			s.check(t, g, c)
		}
	}
}

// readTimeoutAnswers: a body that stops arriving is answered 408.
func readTimeoutAnswers(t *testing.T, s *spec) {
	e := newSlowBodyEnv(t)
	for _, tc := range stalledBodies {
		resp, body := postStalled(t, e, tc.path, tc.ctype, tc.start, "")
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Errorf("POST %s: %d, want 408", tc.path, resp.StatusCode)
			continue
		}
		req, _ := http.NewRequest("POST", e.srv.URL+tc.path, nil)
		req.Header.Set("Content-Type", tc.ctype)
		s.validate(t, "POST "+tc.path, exchange{req: req, body: []byte(tc.start), resp: resp, respBody: body}, nil)
	}
}
