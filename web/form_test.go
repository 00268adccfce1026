package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// message returns the text of the map's live region as viewer g sees the
// show's map under query.
func (g *guest) message(query string) string {
	g.e.t.Helper()
	r := g.do("GET", "/shows/"+openShow+"?"+query, "", "")
	if r.status != http.StatusOK {
		g.e.t.Fatalf("GET the map ?%s: %d", query, r.status)
	}
	page := string(r.body)
	i := strings.Index(page, `role="status"`)
	if i < 0 {
		g.e.t.Fatal("the map has no live region")
	}
	start := i + strings.IndexByte(page[i:], '>') + 1
	return page[start : start+strings.Index(page[start:], "</p>")]
}

// A form outcome in the query is a link anyone can send, and seats change
// hands: the map says something about a seat only while it is true for the
// one looking.
func TestFormMessageOnlyWhileTrue(t *testing.T) {
	e := newEnv(t, testLayout)
	alice, bob := e.guest(), e.guest()
	r := alice.do("POST", "/shows/"+openShow, "application/x-www-form-urlencoded", "seat=A1")
	if loc := r.header.Get("Location"); r.status != http.StatusSeeOther || loc != "/shows/"+openShow+"?result=booked&seat=A1" {
		t.Fatalf("form post: %d to %q, want 303 to the map with result=booked&seat=A1", r.status, loc)
	}
	for _, tc := range []struct {
		who   string
		g     *guest
		query string
		want  string
	}{
		{"alice", alice, "result=booked&seat=A1", "Seat A1 is yours."},
		{"bob", bob, "result=booked&seat=A1", ""},
		{"bob", bob, "result=booked&seat=A2", ""},
		{"alice", alice, "result=released&seat=A1", ""},
		{"bob", bob, "result=released&seat=A1", "Seat A1 released."},
		{"bob", bob, "result=taken&seat=A1", "Seat A1 is taken."},
		{"alice", alice, "result=taken&seat=A1", ""},
		{"bob", bob, "result=taken&seat=A2", ""},
		{"bob", bob, "result=not-yours&seat=A1", "Seat A1 is held by another guest."},
		{"alice", alice, "result=not-yours&seat=A1", ""},
		{"bob", bob, "result=not-yours&seat=A2", ""},
		{"bob", bob, "result=taken&seat=Z9", ""},
		{"bob", bob, "result=taken", ""},
		{"bob", bob, "result=nonsense&seat=A1", ""},
	} {
		if got := tc.g.message(tc.query); got != tc.want {
			t.Errorf("%s, ?%s: the map says %q, want %q", tc.who, tc.query, got, tc.want)
		}
	}
	alice.do("POST", "/shows/"+openShow, "application/x-www-form-urlencoded", "release=A1")
	if got := alice.message("result=booked&seat=A1"); got != "" {
		t.Errorf("after releasing A1 an old link still says %q", got)
	}
}

// The write limits' outcomes: a seat cap, said only to a viewer who holds
// that many seats; and a wait, bounded to a day.
func TestFormLimitMessages(t *testing.T) {
	e := newEnv(t, testLayout)
	alice, bob := e.guest(), e.guest()
	alice.book(openShow, "A1")
	alice.book(openShow, "A2")
	for _, tc := range []struct {
		who   string
		g     *guest
		query string
		want  string
	}{
		{"alice", alice, "result=seat-limit&limit=2&seat=A3", "You can hold at most 2 seats for this show."},
		{"alice", alice, "result=seat-limit&limit=1&seat=A3", "You can hold at most 1 seat for this show."},
		{"alice", alice, "result=seat-limit&limit=3&seat=A3", ""},
		{"alice", alice, "result=seat-limit&limit=0", ""},
		{"alice", alice, "result=seat-limit&limit=two", ""},
		{"bob", bob, "result=seat-limit&limit=2&seat=A3", ""},
		{"bob", bob, "result=too-many-requests&retry=7", "Too many changes from your network just now. Try again in 7 seconds."},
		{"bob", bob, "result=too-many-requests&retry=1", "Too many changes from your network just now. Try again in 1 second."},
		{"bob", bob, "result=too-many-requests&retry=0", ""},
		{"bob", bob, "result=too-many-requests&retry=-3", ""},
		{"bob", bob, "result=too-many-requests&retry=99999999", ""},
		{"bob", bob, "result=too-many-requests", ""},
	} {
		if got := tc.g.message(tc.query); got != tc.want {
			t.Errorf("%s, ?%s: the map says %q, want %q", tc.who, tc.query, got, tc.want)
		}
	}
}
