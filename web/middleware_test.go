package web_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"boxoffice/web"
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

// Request ids are 64 random bits each: ids that counted up would tell anyone
// making two requests how much traffic came between them.
func TestRequestIDsAreRandom(t *testing.T) {
	e := newEnv(t, testLayout)
	g := e.guest()
	seen := map[uint64]bool{}
	var prev uint64
	for i := range 200 {
		id := g.do("GET", "/healthz", "", "").header.Get("X-Request-Id")
		n, err := strconv.ParseUint(id, 16, 64)
		if len(id) != 16 || err != nil || strings.ToLower(id) != id {
			t.Fatalf("X-Request-Id %q: want 16 lowercase hex digits", id)
		}
		if seen[n] {
			t.Fatalf("X-Request-Id %s repeated after %d requests", id, i)
		}
		if i > 0 && n == prev+1 {
			t.Fatalf("X-Request-Id %s follows %016x: ids count requests", id, prev)
		}
		seen[n], prev = true, n
	}
}

// HSTS only where the request counts as TLS: over plain HTTP a browser
// ignores it, and a proxy's X-Forwarded-Proto counts only if trusted.
func TestHSTSOnlyOverTLS(t *testing.T) {
	for _, tc := range []struct {
		name  string
		tls   bool
		trust bool
		proto string
		want  string
	}{
		{"plain HTTP", false, false, "", ""},
		{"untrusted X-Forwarded-Proto", false, false, "https", ""},
		{"trusted X-Forwarded-Proto: http", false, true, "http", ""},
		{"trusted X-Forwarded-Proto: https", false, true, "https", "max-age=31536000"},
		{"TLS", true, false, "", "max-age=31536000"},
	} {
		start := (*httptest.Server).Start
		if tc.tls {
			start = (*httptest.Server).StartTLS
		}
		e := newEnvWith(t, testLayout, func(c *web.Config) { c.TrustForwardedProto = tc.trust }, start)
		for _, path := range []string{"/", "/healthz", "/nowhere"} {
			r := e.guest().do("GET", path, "", "", "X-Forwarded-Proto", tc.proto)
			if got := r.header.Get("Strict-Transport-Security"); got != tc.want {
				t.Errorf("%s, GET %s: Strict-Transport-Security %q, want %q", tc.name, path, got, tc.want)
			}
		}
	}
}
