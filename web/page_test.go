package web_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

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
