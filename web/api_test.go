package web_test

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"boxoffice"
)

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
