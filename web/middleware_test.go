package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// Every answer carries an id of its own in X-Request-Id, and an error body
// names the same id, so that an operator can find the request's log line.
func TestRequestIDs(t *testing.T) {
	e := newEnv(t, testLayout)
	alice, bob := e.guest(), e.guest()
	seen := map[string]bool{}
	for range 20 {
		r := alice.do("GET", "/api/shows/"+openShow, "", "")
		id := r.header.Get("X-Request-Id")
		if len(id) != 16 || seen[id] {
			t.Fatalf("X-Request-Id %q: want 16 hex digits, new for every request (seen %d)", id, len(seen))
		}
		seen[id] = true
	}
	alice.book(openShow, "A1")
	r := bob.book(openShow, "A1")
	p := wantProblem(t, r, 409, "A1")
	if id := r.header.Get("X-Request-Id"); p["request_id"] != id || seen[id] {
		t.Errorf("problem names request %v, header says %q; want the same, new id", p["request_id"], id)
	}
}

// A guest cookie not of the shape the server issues (43 characters of the
// URL-safe base64 alphabet) is replaced by a new one: a guest's identity
// always carries the full 256 random bits.
func TestMalformedGuestCookieIsReplaced(t *testing.T) {
	e := newEnv(t, testLayout)
	good := strings.Repeat("Ab9-_", 8) + "xyz"
	for _, tc := range []struct {
		value string
		fresh bool
	}{
		{good, false},
		{good[:42], true},
		{good + "A", true},
		{good[:42] + "+", true},
		{good[:42] + "/", true},
		{good[:42] + "=", true},
		{good[:42] + ".", true},
	} {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/shows/"+openShow, nil)
		req.AddCookie(&http.Cookie{Name: "boxoffice_guest", Value: tc.value})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if fresh := len(resp.Cookies()) == 1; fresh != tc.fresh {
			t.Errorf("cookie %q: new cookie set = %v, want %v", tc.value, fresh, tc.fresh)
		}
	}
}
