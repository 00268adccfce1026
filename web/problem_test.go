package web_test

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice/web"
)

// internalText is what a problem's detail must never show: the server's
// socket addresses, Go's error texts and the names of its types.
var internalText = []string{"127.0.0.1", "tcp", "boxoffice.", "json:", "[]", "i/o"}

func wantNoInternalText(t *testing.T, what string, body []byte) {
	t.Helper()
	for _, s := range internalText {
		if bytes.Contains(body, []byte(s)) {
			t.Errorf("%s: the answer shows %q: %s", what, s, body)
		}
	}
}

// stalledBodies are requests whose bodies stop arriving part-way: the
// booking API's and the seat form's.
var stalledBodies = []struct{ path, ctype, start string }{
	{"/api/shows/" + openShow + "/bookings", "application/json", `{"seats":["A1",`},
	{"/shows/" + openShow, "application/x-www-form-urlencoded", "seat=A"},
}

// newSlowBodyEnv is a test server whose read timeout a stalled body meets
// soon.
func newSlowBodyEnv(t *testing.T) *env {
	return newEnvWith(t, testLayout, nil, func(s *httptest.Server) {
		s.Config.ReadTimeout = 300 * time.Millisecond
		s.Start()
	})
}

// postStalled sends a POST that promises 100 bytes of body, sends start and
// no more, and returns the answer and its body; header lines (each ending
// in CRLF) go with it.
func postStalled(t *testing.T, e *env, path, ctype, start, header string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_, err = io.WriteString(conn, "POST "+path+" HTTP/1.1\r\nHost: boxoffice\r\n"+header+
		"Content-Type: "+ctype+"\r\nContent-Length: 100\r\n\r\n"+start)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("POST %s: no answer: %v", path, err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, body
}

// A body that stops arriving is answered 408 once the server's read timeout
// passes, without naming the server's socket.
func TestBodyReadTimeout(t *testing.T) {
	e := newSlowBodyEnv(t)
	for _, tc := range stalledBodies {
		resp, body := postStalled(t, e, tc.path, tc.ctype, tc.start, "Accept: application/json\r\n")
		p := wantProblem(t, response{resp.StatusCode, resp.Header, body}, http.StatusRequestTimeout)
		if p["type"] != "/problems/request-timeout" {
			t.Errorf("POST %s: type %v, want /problems/request-timeout", tc.path, p["type"])
		}
		wantNoInternalText(t, "POST "+tc.path, body)
	}
}

// A form over 4 kB is refused as too large, as a page for a browser and as
// a problem for a client that asks for JSON.
func TestFormTooLarge(t *testing.T) {
	e := newEnv(t, testLayout)
	g := e.guest()
	body := "seat=A1&pad=" + strings.Repeat("x", 5000)
	r := g.do("POST", "/shows/"+openShow, "application/x-www-form-urlencoded", body)
	if r.status != http.StatusRequestEntityTooLarge || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Errorf("5 kB form: %d %q, want 413 as a page", r.status, r.header.Get("Content-Type"))
	}
	wantNoInternalText(t, "5 kB form", r.body)
	r = g.do("POST", "/shows/"+openShow, "application/x-www-form-urlencoded", body, "Accept", "application/json")
	if p := wantProblem(t, r, http.StatusRequestEntityTooLarge); p["type"] != "/problems/too-large" {
		t.Errorf("5 kB form: type %v, want /problems/too-large", p["type"])
	}
	if g.statuses(openShow)["A1"] != "free" {
		t.Error("the refused form booked its seat")
	}
}

// A body the API cannot read is told in a fixed sentence per kind of
// mistake; what the JSON parser said goes to the log, once.
func TestMalformedBodyDetail(t *testing.T) {
	var mu sync.Mutex
	var logged bytes.Buffer
	logger := slog.New(slog.NewTextHandler(lockedWriter{&mu, &logged}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e := newEnvWith(t, testLayout, func(c *web.Config) { c.Logger = logger }, (*httptest.Server).Start)
	g := e.guest()
	for _, tc := range []struct{ body, detail string }{
		{`{"seats":5}`, "seats must be a list of seat ids."},
		{`{"seats":[1,2]}`, "seats must be a list of seat ids."},
		{`{"seats":{"A1":true}}`, "seats must be a list of seat ids."},
		{`["A1"]`, "The body must be a JSON object."},
		{`{"seats":["A1"]`, "The body is not valid JSON."},
		{`{seats:["A1"]}`, "The body is not valid JSON."},
		{``, "The body is empty: send a JSON object."},
		{`{"seats":["A1"],"guest":"x"}`, "The body has a member that this request does not take."},
		{`{"seats":["A1"]} {}`, "The body has data after its JSON value."},
	} {
		r := g.bookMany(openShow, tc.body)
		p := wantProblem(t, r, http.StatusBadRequest)
		if p["type"] != "/problems/malformed-request" || p["detail"] != tc.detail {
			t.Errorf("body %s: %v %q, want /problems/malformed-request %q", tc.body, p["type"], p["detail"], tc.detail)
		}
		wantNoInternalText(t, "body "+tc.body, r.body)
	}
	mu.Lock()
	defer mu.Unlock()
	if n := strings.Count(logged.String(), "json: cannot unmarshal number into Go struct field"); n != 2 {
		t.Errorf("the log tells the two number-for-list errors %d times, want once each:\n%s", n, logged.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
