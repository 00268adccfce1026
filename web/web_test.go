package web_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/live"
	"boxoffice/sqlite"
	"boxoffice/web"
)

// The test programme: a 3-row hall with an aisle, one show open for sales
// and one that has started.
const testLayout = `
A sss.sss
B sss.sss
-
C wcs.scw
`

const (
	openShow   = "open-show"
	closedShow = "closed-show"
)

type env struct {
	t     *testing.T
	srv   *httptest.Server
	store boxoffice.Store
}

func newEnv(t *testing.T, layout string) *env {
	t.Helper()
	var hub *live.Hub
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "test.db"), sqlite.Options{
		OnCommit: func(show boxoffice.ShowID, _ int64) { hub.Poke(show) },
	})
	if err != nil {
		t.Fatal(err)
	}
	hub = live.NewHub(store, live.Options{})
	l, err := boxoffice.ParseLayout(layout)
	if err != nil {
		t.Fatal(err)
	}
	hall := boxoffice.Hall{ID: "h", Name: "Hall One", Layout: l}
	now := time.Now()
	if _, err := store.Seed(context.Background(), boxoffice.Programme{
		Halls: []boxoffice.Hall{hall},
		Shows: []boxoffice.Show{
			{ID: openShow, Title: "Open Film", StartsAt: now.Add(48 * time.Hour), Hall: hall},
			{ID: closedShow, Title: "Started Film", StartsAt: now.Add(-time.Hour), Hall: hall},
		},
	}); err != nil {
		t.Fatal(err)
	}
	h, err := web.NewHandler(web.Config{Store: store, Hub: hub, Location: time.UTC, Heartbeat: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		hub.Close()
		srv.Close()
		store.Close()
	})
	return &env{t: t, srv: srv, store: store}
}

// guest is a client with its own cookie jar, as one browser would be.
type guest struct {
	e *env
	c *http.Client
}

func (e *env) guest() *guest {
	jar, _ := cookiejar.New(nil)
	return &guest{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not JSON: %v", r.body, err)
	}
	return m
}

func (g *guest) do(method, path, contentType, body string, header ...string) response {
	g.e.t.Helper()
	req, err := http.NewRequest(method, g.e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		g.e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := g.c.Do(req)
	if err != nil {
		g.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		g.e.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

func (g *guest) book(show, seat string) response {
	return g.do("PUT", "/api/shows/"+show+"/seats/"+seat, "", "")
}

func (g *guest) release(show, seat string) response {
	return g.do("DELETE", "/api/shows/"+show+"/seats/"+seat, "", "")
}

func (g *guest) bookMany(show, body string) response {
	return g.do("POST", "/api/shows/"+show+"/bookings", "application/json", body)
}

// statuses returns each seat's status as the guest sees it.
func (g *guest) statuses(show string) map[string]string {
	g.e.t.Helper()
	r := g.do("GET", "/api/shows/"+show, "", "")
	if r.status != 200 {
		g.e.t.Fatalf("GET show: %d %s", r.status, r.body)
	}
	var v struct {
		Seats []struct{ ID, Status string }
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		g.e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range v.Seats {
		out[s.ID] = s.Status
	}
	return out
}

// wantProblem checks an RFC 9457 answer: status, media type, members, and
// the seats it names.
func wantProblem(t *testing.T, r response, status int, seats ...string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json", ct)
	}
	p := r.json(t)
	for _, k := range []string{"type", "title", "detail"} {
		if s, _ := p[k].(string); s == "" {
			t.Errorf("problem lacks %q: %s", k, r.body)
		}
	}
	if p["status"] != float64(status) {
		t.Errorf("problem status %v, want %d", p["status"], status)
	}
	got, _ := p["seats"].([]any)
	if fmt.Sprint(got) != fmt.Sprint(toAny(seats)) {
		t.Errorf("problem names seats %v, want %v", got, seats)
	}
	return p
}

func toAny(s []string) []any {
	out := []any{}
	for _, v := range s {
		out = append(out, v)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func TestListShows(t *testing.T) {
	e := newEnv(t, testLayout)
	r := e.guest().do("GET", "/api/shows", "", "")
	if r.status != 200 {
		t.Fatalf("status %d", r.status)
	}
	var v struct {
		Shows []struct {
			ID, Title, Hall string
			StartsAt        string `json:"starts_at"`
		}
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Shows) != 2 || v.Shows[0].ID != closedShow || v.Shows[1].ID != openShow {
		t.Fatalf("shows = %+v, want both ordered by start", v.Shows)
	}
	if _, err := time.Parse(time.RFC3339, v.Shows[1].StartsAt); err != nil || v.Shows[1].Title != "Open Film" || v.Shows[1].Hall != "Hall One" {
		t.Errorf("show = %+v", v.Shows[1])
	}
}

func TestGetShow(t *testing.T) {
	e := newEnv(t, testLayout)
	r := e.guest().do("GET", "/api/shows/"+openShow, "", "")
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, type %q", r.status, r.header.Get("Content-Type"))
	}
	var v struct {
		ID      string
		Version int64
		Layout  struct {
			Columns, Rows int
			Aisles        []int
		}
		Seats []struct {
			ID, Row, Kind, Status string
			Number, X, Y          int
		}
	}
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatal(err)
	}
	if v.ID != openShow || v.Version != 0 || len(v.Seats) != 18 {
		t.Fatalf("show %s version %d with %d seats", v.ID, v.Version, len(v.Seats))
	}
	if v.Layout.Columns != 7 || v.Layout.Rows != 4 || fmt.Sprint(v.Layout.Aisles) != "[3]" {
		t.Errorf("layout = %+v", v.Layout)
	}
	c1 := v.Seats[12]
	if c1.ID != "C1" || c1.Row != "C" || c1.Number != 1 || c1.Kind != "wheelchair" || c1.Status != "free" || c1.X != 0 || c1.Y != 3 {
		t.Errorf("C1 = %+v", c1)
	}
}

func TestBookAndRelease(t *testing.T) {
	e := newEnv(t, testLayout)
	alice, bob := e.guest(), e.guest()

	r := alice.book(openShow, "A1")
	if r.status != 200 {
		t.Fatalf("book: %d %s", r.status, r.body)
	}
	b := r.json(t)
	seat, _ := b["seat"].(map[string]any)
	if b["version"] != float64(1) || seat["id"] != "A1" || seat["status"] != "mine" {
		t.Errorf("book answered %s", r.body)
	}
	if r := alice.book(openShow, "A1"); r.status != 200 || r.json(t)["version"] != float64(1) {
		t.Errorf("rebooking own seat: %d %s, want 200 at the same version", r.status, r.body)
	}
	p := wantProblem(t, bob.book(openShow, "A1"), 409, "A1")
	if p["detail"] != "Seat A1 is taken" {
		t.Errorf("detail %q", p["detail"])
	}
	if alice.statuses(openShow)["A1"] != "mine" || bob.statuses(openShow)["A1"] != "booked" {
		t.Error("A1 is not alice's after bob's refused booking")
	}
	wantProblem(t, bob.release(openShow, "A1"), 403, "A1")
	if bob.statuses(openShow)["A1"] != "booked" {
		t.Error("bob's refused release changed A1")
	}
	if r := alice.release(openShow, "A1"); r.status != 200 || r.json(t)["version"] != float64(2) {
		t.Errorf("release: %d %s", r.status, r.body)
	}
	if r := alice.release(openShow, "A1"); r.status != 200 || r.json(t)["version"] != float64(2) {
		t.Errorf("releasing a free seat: %d %s, want 200, version unchanged", r.status, r.body)
	}
	if r := bob.book(openShow, "A1"); r.status != 200 {
		t.Errorf("booking the freed seat: %d", r.status)
	}
}

func TestBookMany(t *testing.T) {
	e := newEnv(t, testLayout)
	alice, bob := e.guest(), e.guest()
	alice.book(openShow, "A2")
	alice.book(openShow, "B2")

	wantProblem(t, bob.bookMany(openShow, `{"seats":["A1","A2","A3","B2"]}`), 409, "A2", "B2")
	if st := bob.statuses(openShow); st["A1"] != "free" || st["A3"] != "free" {
		t.Errorf("a refused group booking changed seats: A1 %s, A3 %s", st["A1"], st["A3"])
	}
	r := bob.bookMany(openShow, `{"seats":["B4","B5","B6"]}`)
	if r.status != 200 {
		t.Fatalf("group booking: %d %s", r.status, r.body)
	}
	if b := r.json(t); b["version"] != float64(3) || len(b["seats"].([]any)) != 3 {
		t.Errorf("group booking answered %s; want one version for all three", r.body)
	}
	wantProblem(t, bob.bookMany(openShow, `{"seats":["A1","Z9"]}`), 404, "Z9")
	wantProblem(t, bob.bookMany(openShow, `{"seats":[]}`), 422)
	wantProblem(t, bob.bookMany(openShow, `{}`), 422)
	many := `{"seats":["` + strings.Repeat(`A1","`, boxoffice.MaxSeatsPerRequest) + `A2"]}`
	wantProblem(t, bob.bookMany(openShow, many), 422)
	wantProblem(t, bob.bookMany(openShow, `{"seats":["A1"`), 400)
	wantProblem(t, bob.bookMany(openShow, `{"seats":"A1"}`), 400)
	wantProblem(t, bob.bookMany(openShow, `{"seat":["A1"]}`), 400)
	wantProblem(t, bob.bookMany(openShow, `{"seats":["A1"]} {}`), 400)
	wantProblem(t, bob.bookMany(openShow, `{"seats":["`+strings.Repeat("A", 10000)+`"]}`), 413)
	wantProblem(t, bob.do("POST", "/api/shows/"+openShow+"/bookings", "text/plain", `{"seats":["A1"]}`), 415)
	if r := bob.do("POST", "/api/shows/"+openShow+"/bookings", "", `{"seats":["C3"]}`); r.status != 200 {
		t.Errorf("a JSON body without Content-Type: %d %s, want it taken as JSON", r.status, r.body)
	}
	wantProblem(t, bob.bookMany("no-such-show", `{"seats":["A1"]}`), 404)
	if st := bob.statuses(openShow); st["A1"] != "free" {
		t.Error("a refused request booked A1")
	}
}

func TestNotFoundAndMalformedIDs(t *testing.T) {
	e := newEnv(t, testLayout)
	g := e.guest()
	wantProblem(t, g.do("GET", "/api/shows/nope", "", ""), 404)
	wantProblem(t, g.book("nope", "A1"), 404)
	wantProblem(t, g.book(openShow, "Z1"), 404, "Z1")
	wantProblem(t, g.book(openShow, "a1"), 404, "a1")
	wantProblem(t, g.book(openShow, "..%2F..%2Fetc"), 404, "../../etc")
	wantProblem(t, g.book(openShow, "%00"), 400)
	wantProblem(t, g.book("x%0Ay", "A1"), 400)
	wantProblem(t, g.book(strings.Repeat("x", 1000), "A1"), 400)
	wantProblem(t, g.release(openShow, strings.Repeat("9", 1000)), 400)
	wantProblem(t, g.do("GET", "/api/nothing-here", "", ""), 404)

	r := g.do("PATCH", "/api/shows/"+openShow+"/seats/A1", "", "")
	wantProblem(t, r, 405)
	if allow := r.header.Get("Allow"); !strings.Contains(allow, "PUT") || !strings.Contains(allow, "DELETE") {
		t.Errorf("Allow = %q", allow)
	}
	wantProblem(t, g.do("POST", "/api/shows", "application/json", "{}"), 405)

	// Pages answer errors as pages.
	for _, path := range []string{"/shows/nope", "/no/such/page"} {
		r := g.do("GET", path, "", "", "Accept", "text/html")
		if r.status != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: %d %s, want a 404 page", path, r.status, r.header.Get("Content-Type"))
		}
	}
	// None of this changed anything, nor left a transaction open.
	if r := g.book(openShow, "A1"); r.status != 200 {
		t.Errorf("booking after bad requests: %d %s", r.status, r.body)
	}
}

func TestClosedShow(t *testing.T) {
	e := newEnv(t, testLayout)
	g := e.guest()
	p := wantProblem(t, g.book(closedShow, "A1"), 409)
	if !strings.Contains(p["detail"].(string), "closed") {
		t.Errorf("detail %q does not say sales are closed", p["detail"])
	}
	wantProblem(t, g.release(closedShow, "A1"), 409)
	wantProblem(t, g.bookMany(closedShow, `{"seats":["A1"]}`), 409)
}

func TestGuestCookie(t *testing.T) {
	e := newEnv(t, testLayout)
	resp, err := http.Get(e.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cookies := resp.Cookies()
	if len(cookies) != 1 {
		t.Fatalf("%d cookies set, want 1", len(cookies))
	}
	c := cookies[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || c.MaxAge < 180*24*3600 {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/, long-lived, not Secure over plain HTTP", c)
	}
	if len(c.Value) < 22 { // 128 bits in base64
		t.Errorf("cookie value %q too short for 128 random bits", c.Value)
	}

	// With the cookie, no new one; two guests are told apart.
	g := e.guest()
	g.book(openShow, "A1")
	r := g.do("GET", "/api/shows", "", "")
	if len(r.header.Values("Set-Cookie")) != 0 {
		t.Error("a request with a cookie got a new one")
	}
	// A write without a cookie acts as a new guest and gets its cookie.
	req, _ := http.NewRequest("PUT", e.srv.URL+"/api/shows/"+openShow+"/seats/A2", nil)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(resp.Cookies()) != 1 {
		t.Fatalf("cookie-less booking: %d with %d cookies", resp.StatusCode, len(resp.Cookies()))
	}
	newcomer := &http.Cookie{Name: resp.Cookies()[0].Name, Value: resp.Cookies()[0].Value}
	req, _ = http.NewRequest("GET", e.srv.URL+"/api/shows/"+openShow+"/seats/A2", nil)
	req.AddCookie(newcomer)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Seat struct{ Status string } }
	json.NewDecoder(resp.Body).Decode(&v)
	resp.Body.Close()
	if v.Seat.Status != "mine" {
		t.Errorf("the newcomer's cookie does not hold A2: %q", v.Seat.Status)
	}
	if g.statuses(openShow)["A2"] != "booked" {
		t.Error("another guest does not see A2 as booked")
	}
}

func TestSecureCookieOverTLS(t *testing.T) {
	e := newEnv(t, testLayout)
	tlsSrv := httptest.NewTLSServer(e.srv.Config.Handler)
	defer tlsSrv.Close()
	resp, err := tlsSrv.Client().Get(tlsSrv.URL + "/api/shows")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c := resp.Cookies(); len(c) != 1 || !c[0].Secure {
		t.Errorf("cookie over TLS: %+v, want Secure", c)
	}
	// Without the operator's say-so, a forwarded header is not trusted.
	r := e.guest().do("GET", "/api/shows", "", "", "X-Forwarded-Proto", "https")
	if strings.Contains(r.header.Get("Set-Cookie"), "Secure") {
		t.Error("X-Forwarded-Proto trusted by default")
	}
	// With it, behind a TLS-terminating proxy, the cookie is Secure.
	hub := live.NewHub(e.store, live.Options{})
	defer hub.Close()
	h, err := web.NewHandler(web.Config{Store: e.store, Hub: hub, TrustForwardedProto: true})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/shows", nil)
	req.Header.Set("X-Forwarded-Proto", "https")
	h.ServeHTTP(rec, req)
	if c := rec.Result().Cookies(); len(c) != 1 || !c[0].Secure {
		t.Errorf("cookie behind a trusted proxy: %+v, want Secure", c)
	}
}

func TestCrossOriginWritesRefused(t *testing.T) {
	e := newEnv(t, testLayout)
	g := e.guest()
	r := g.do("PUT", "/api/shows/"+openShow+"/seats/A1", "", "", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	wantProblem(t, r, 403)
	r = g.do("POST", "/shows/"+openShow, "application/x-www-form-urlencoded", "seat=A1", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	if r.status != 403 {
		t.Errorf("cross-site form post: %d", r.status)
	}
	if g.statuses(openShow)["A1"] != "free" {
		t.Fatal("a cross-origin request booked a seat")
	}
	r = g.do("PUT", "/api/shows/"+openShow+"/seats/A1", "", "", "Origin", e.srv.URL, "Sec-Fetch-Site", "same-origin")
	if r.status != 200 {
		t.Errorf("same-origin booking: %d %s", r.status, r.body)
	}
}

func TestSecurityHeadersAndCompression(t *testing.T) {
	e := newEnv(t, testLayout)
	for _, path := range []string{"/", "/shows/" + openShow, "/api/shows/" + openShow} {
		req, _ := http.NewRequest("GET", e.srv.URL+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		h := resp.Header
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "same-origin" ||
			h.Get("Content-Security-Policy") != "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'" {
			t.Errorf("%s: security headers %v", path, h)
		}
		if h.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s: Content-Encoding %q, want gzip", path, h.Get("Content-Encoding"))
		} else if zr, err := gzip.NewReader(resp.Body); err != nil {
			t.Errorf("%s: %v", path, err)
		} else if _, err := io.ReadAll(zr); err != nil {
			t.Errorf("%s: gzip body: %v", path, err)
		}
		resp.Body.Close()
	}
}

func TestHealth(t *testing.T) {
	e := newEnv(t, testLayout)
	for _, p := range []string{"/healthz", "/readyz"} {
		if r := e.guest().do("GET", p, "", ""); r.status != 200 {
			t.Errorf("%s: %d", p, r.status)
		}
	}
}

// sse reads Server-Sent Events from a stream.
type sse struct {
	t    *testing.T
	resp *http.Response
	ch   chan sseEvent
}

type sseEvent struct{ name, id, data string }

func (g *guest) events(show string, lastID string) *sse {
	g.e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	g.e.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", g.e.srv.URL+"/api/shows/"+show+"/events", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := g.c.Do(req)
	if err != nil {
		g.e.t.Fatal(err)
	}
	g.e.t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		g.e.t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &sse{t: g.e.t, resp: resp, ch: make(chan sseEvent, 100)}
	go func() {
		defer close(s.ch)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					s.ch <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = line[7:]
			case strings.HasPrefix(line, "id: "):
				ev.id = line[4:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	return s
}

// next waits for the next event, for at most a generous bound: the product
// promises a second; a loaded CI machine under -race gets five.
func (s *sse) next() sseEvent {
	s.t.Helper()
	start := time.Now()
	select {
	case ev, ok := <-s.ch:
		if !ok {
			s.t.Fatal("event stream ended")
		}
		s.t.Logf("event %s %s after %v", ev.name, ev.id, time.Since(start))
		return ev
	case <-time.After(5 * time.Second):
		s.t.Fatal("no event within 5s")
	}
	return sseEvent{}
}

func TestEventStream(t *testing.T) {
	e := newEnv(t, testLayout)
	alice, bob := e.guest(), e.guest()
	alice.book(openShow, "A1")

	stream := bob.events(openShow, "")
	ev := stream.next()
	if ev.name != "snapshot" || ev.id != "1" {
		t.Fatalf("first event %s id %s, want snapshot id 1", ev.name, ev.id)
	}
	var snap struct {
		Version int64
		Seats   []struct{ ID, Status string }
	}
	if err := json.Unmarshal([]byte(ev.data), &snap); err != nil || snap.Version != 1 || snap.Seats[0].Status != "booked" {
		t.Fatalf("snapshot %s (%v)", ev.data, err)
	}

	alice.book(openShow, "A2")
	if ev := stream.next(); ev.name != "seats" || ev.id != "2" || ev.data != `{"version":2,"seats":[{"id":"A2","status":"booked"}]}` {
		t.Errorf("event %+v", ev)
	}
	bob.bookMany(openShow, `{"seats":["B1","B2"]}`)
	if ev := stream.next(); ev.id != "3" || ev.data != `{"version":3,"seats":[{"id":"B1","status":"mine"},{"id":"B2","status":"mine"}]}` {
		t.Errorf("bob's own booking as bob sees it: %+v", ev)
	}
	alice.release(openShow, "A1")
	if ev := stream.next(); ev.id != "4" || ev.data != `{"version":4,"seats":[{"id":"A1","status":"free"}]}` {
		t.Errorf("release event %+v", ev)
	}

	// Resuming after version 2 replays 3 and 4 only, no snapshot.
	resumed := bob.events(openShow, "2")
	for _, want := range []string{"3", "4"} {
		if ev := resumed.next(); ev.name != "seats" || ev.id != want {
			t.Errorf("resumed stream: %s %s, want seats %s", ev.name, ev.id, want)
		}
	}
	alice.book(openShow, "C3")
	if ev := resumed.next(); ev.id != "5" {
		t.Errorf("resumed stream then got %s %s, want the live change 5", ev.name, ev.id)
	}
	// An id from the future (another database) gets a fresh snapshot.
	if ev := bob.events(openShow, "999").next(); ev.name != "snapshot" || ev.id != "5" {
		t.Errorf("unknown id: %s %s, want snapshot 5", ev.name, ev.id)
	}
}

func TestEventStreamUnknownShow(t *testing.T) {
	e := newEnv(t, testLayout)
	wantProblem(t, e.guest().do("GET", "/api/shows/nope/events", "", ""), 404)
}

func TestFormWithoutJavaScript(t *testing.T) {
	e := newEnv(t, testLayout)
	alice, bob := e.guest(), e.guest()
	form := "application/x-www-form-urlencoded"

	r := alice.do("POST", "/shows/"+openShow, form, "seat=B3")
	if r.status != http.StatusSeeOther {
		t.Fatalf("form post: %d, want 303", r.status)
	}
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "/shows/"+openShow) {
		t.Fatalf("redirect to %q", loc)
	}
	page := string(alice.do("GET", loc, "", "").body)
	if !strings.Contains(page, `data-seat=B3 data-status=mine`) {
		t.Error("after the form post the map does not show B3 as mine")
	}
	if !strings.Contains(page, `role="status" class="msg ok">Seat B3 is yours.</p>`) {
		t.Error("the live region does not confirm the booking")
	}

	r = bob.do("POST", "/shows/"+openShow, form, "seat=B3")
	page = string(bob.do("GET", r.header.Get("Location"), "", "").body)
	if !strings.Contains(page, `Seat B3 is taken.`) || !strings.Contains(page, `data-seat=B3 data-status=booked`) {
		t.Error("a refused form booking does not say the seat is taken")
	}

	r = alice.do("POST", "/shows/"+openShow, form, "release=B3")
	page = string(alice.do("GET", r.header.Get("Location"), "", "").body)
	if !strings.Contains(page, `Seat B3 released.`) || !strings.Contains(page, `data-seat=B3 data-status=free`) {
		t.Error("releasing through the form did not free B3")
	}
	// The message comes only from known outcomes and seats of the hall.
	page = string(alice.do("GET", "/shows/"+openShow+"?result=taken&seat=<script>", "", "").body)
	if strings.Contains(page, "<script>") {
		t.Error("the page echoes the query string")
	}
}

func TestSeatButtonsAccessibleNames(t *testing.T) {
	e := newEnv(t, testLayout)
	alice, bob := e.guest(), e.guest()
	alice.book(openShow, "A1")
	bob.book(openShow, "A2")
	page := string(alice.do("GET", "/shows/"+openShow, "", "").body)
	for _, want := range []string{
		`aria-label="Row A, seat 1, yours"`,
		`aria-label="Row A, seat 2, taken"`,
		`aria-label="Row A, seat 3, free"`,
		`aria-label="Row C, seat 1, wheelchair space, free"`,
		`role="group" aria-label="Row B"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the map lacks %s", want)
		}
	}
}

// A large hall's map must stay light: under 60 kB, 12 kB compressed.
func TestPageWeight(t *testing.T) {
	var b strings.Builder
	for r := range 20 {
		fmt.Fprintf(&b, "%c sssss.ssssssssssssss.sssss\n", 'A'+r) // 20 rows of 25 seats
	}
	e := newEnv(t, b.String())
	g := e.guest()
	raw := g.do("GET", "/shows/"+openShow, "", "")
	if n := len(raw.body); n > 60_000 {
		t.Errorf("500-seat map is %d bytes, want under 60 kB", n)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/shows/"+openShow, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	zipped, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if n := len(zipped); n > 12_000 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("500-seat map is %d bytes gzipped (%q), want under 12 kB", n, resp.Header.Get("Content-Encoding"))
	}
	t.Logf("500-seat map: %d bytes, %d gzipped", len(raw.body), len(zipped))
}

// An event stream must outlive the server's write timeout: it lifts the
// deadline for itself, while keep-alive comments flow.
func TestEventStreamOutlivesWriteTimeout(t *testing.T) {
	e := newEnv(t, testLayout)
	hub := live.NewHub(e.store, live.Options{})
	defer hub.Close()
	h, err := web.NewHandler(web.Config{Store: e.store, Hub: hub, Heartbeat: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	const writeTimeout = 200 * time.Millisecond
	srv.Config.WriteTimeout = writeTimeout
	srv.Start()
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/shows/" + openShow + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	start, beats := time.Now(), 0
	for time.Since(start) < 3*writeTimeout {
		if !sc.Scan() {
			t.Fatalf("stream ended after %v and %d keep-alives: %v", time.Since(start), beats, sc.Err())
		}
		if strings.HasPrefix(sc.Text(), ":") {
			beats++
		}
	}
	t.Logf("%d keep-alives over %v with a write timeout of %v", beats, time.Since(start), writeTimeout)
}

// The page's own script, stylesheet and icon load under their versioned URLs
// and may be cached for good; anything else under /static/ is not found.
func TestAssets(t *testing.T) {
	e := newEnv(t, testLayout)
	g := e.guest()
	page := string(g.do("GET", "/shows/"+openShow, "", "").body)
	for name, ctype := range map[string]string{"app.js": "text/javascript", "app.css": "text/css", "icon.svg": "image/svg+xml"} {
		i := strings.Index(page, "/static/"+name+"?v=")
		if i < 0 {
			t.Errorf("the page does not link %s with a version", name)
			continue
		}
		url := page[i : i+strings.IndexByte(page[i:], '"')]
		r := g.do("GET", url, "", "")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), ctype) ||
			!strings.Contains(r.header.Get("Cache-Control"), "immutable") || len(r.body) == 0 {
			t.Errorf("GET %s: %d %q %q", url, r.status, r.header.Get("Content-Type"), r.header.Get("Cache-Control"))
		}
	}
	if r := g.do("GET", "/static/nope.js", "", ""); r.status != 404 {
		t.Errorf("unknown asset: %d", r.status)
	}
}

// Through the whole HTTP path, many guests clicking one seat at once: one
// gets it, every other is told it is taken.
func TestManyGuestsOneSeatOverHTTP(t *testing.T) {
	e := newEnv(t, testLayout)
	const n = 100
	guests := make([]*guest, n)
	for i := range guests {
		guests[i] = e.guest()
	}
	start := make(chan struct{})
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for _, g := range guests {
		wg.Go(func() {
			<-start
			statuses <- g.book(openShow, "B2").status
		})
	}
	close(start)
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[200] != 1 || count[409] != n-1 {
		t.Fatalf("answers %v, want one 200 and %d 409", count, n-1)
	}
	mine := 0
	for _, g := range guests {
		if g.statuses(openShow)["B2"] == "mine" {
			mine++
		}
	}
	if mine != 1 {
		t.Errorf("%d guests see B2 as theirs, want 1", mine)
	}
}
