package web_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"boxoffice/web"
)

// rawDo sends one request without a cookie jar, with the given Cookie header
// (if any), and returns the answer's status and headers. A stream's answer
// is not read past its headers.
func rawDo(t *testing.T, e *env, method, path, contentType, body, cookie string) (int, http.Header) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	resp, err := e.srv.Client().Transport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		_, _ = io.Copy(io.Discard, resp.Body)
	}
	return resp.StatusCode, resp.Header
}

// A new visitor gets a guest cookie only from the routes that act for a
// guest. A static file is cached by shared caches for a year: a Set-Cookie
// stored with it would hand one guest to everyone behind the cache.
func TestSetCookieOnlyWhereAGuestActs(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "boxoffice_up 1\n") })
	e := newEnvWith(t, testLayout, func(c *web.Config) { c.Metrics = metrics }, (*httptest.Server).Start)
	page := string(e.guest().do("GET", "/shows/"+openShow, "", "").body)
	i := strings.Index(page, "/static/app.css?v=")
	if i < 0 {
		t.Fatal("the page does not link its stylesheet")
	}
	css := page[i : i+strings.IndexByte(page[i:], '"')]
	form := "application/x-www-form-urlencoded"
	for _, tc := range []struct {
		method, path, ctype, body string
		status                    int
		cookie                    bool
	}{
		{"GET", "/", "", "", 200, true},
		{"GET", "/shows/" + openShow, "", "", 200, true},
		{"POST", "/shows/" + openShow, form, "seat=A1", 303, true},
		{"GET", "/api/shows/" + openShow, "", "", 200, true},
		{"GET", "/api/shows/" + openShow + "/seats/A2", "", "", 200, true},
		{"PUT", "/api/shows/" + openShow + "/seats/A2", "", "", 200, true},
		{"DELETE", "/api/shows/" + openShow + "/seats/A4", "", "", 200, true},
		{"POST", "/api/shows/" + openShow + "/bookings", "application/json", `{"seats":["A3"]}`, 200, true},
		{"GET", "/api/shows/" + openShow + "/events", "", "", 200, true},

		{"GET", css, "", "", 200, false},
		{"GET", "/static/nope.js", "", "", 404, false},
		{"GET", "/healthz", "", "", 200, false},
		{"GET", "/readyz", "", "", 200, false},
		{"GET", "/metrics", "", "", 200, false},
		{"GET", "/problems/seat-taken", "", "", 200, false},
		{"GET", "/api/shows", "", "", 200, false},
		{"GET", "/nowhere", "", "", 404, false},
		{"GET", "/api/nowhere", "", "", 404, false},
		{"DELETE", "/shows/" + openShow, "", "", 405, false},
		{"PUT", "/api/shows/" + openShow, "", "", 405, false},
	} {
		status, h := rawDo(t, e, tc.method, tc.path, tc.ctype, tc.body, "")
		if status != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, status, tc.status)
		}
		if got := h.Get("Set-Cookie") != ""; got != tc.cookie {
			t.Errorf("%s %s: sets a cookie = %v, want %v (%q)", tc.method, tc.path, got, tc.cookie, h.Get("Set-Cookie"))
		}
	}
}

// Over TLS the guest cookie is a __Host- cookie, the only name read there:
// a sibling subdomain can set boxoffice_guest for this host, never
// __Host-boxoffice_guest, so it cannot plant a guest.
func TestHostCookieOverTLS(t *testing.T) {
	e := newEnvWith(t, testLayout, nil, (*httptest.Server).StartTLS)
	seat := "/api/shows/" + openShow + "/seats/A1"

	_, h := rawDo(t, e, "PUT", seat, "", "", "")
	set := h.Get("Set-Cookie")
	name, rest, _ := strings.Cut(set, "=")
	token, attrs, _ := strings.Cut(rest, ";")
	if name != "__Host-boxoffice_guest" || len(token) != 43 ||
		attrs != " Path=/; Max-Age=34560000; HttpOnly; Secure; SameSite=Lax" {
		t.Fatalf("Set-Cookie over TLS: %q, want __Host-boxoffice_guest=<token>; Path=/; Max-Age=34560000; HttpOnly; Secure; SameSite=Lax", set)
	}

	statusOf := func(cookie string) (status string, fresh bool) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.srv.URL+seat, nil)
		req.Header.Set("Cookie", cookie)
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b), resp.Header.Get("Set-Cookie") != ""
	}
	if body, fresh := statusOf("__Host-boxoffice_guest=" + token); fresh || !strings.Contains(body, `"status":"mine"`) {
		t.Errorf("the __Host- cookie's guest: new cookie %v, seat %s; want its own seat and no new cookie", fresh, body)
	}
	if body, fresh := statusOf("boxoffice_guest=" + token); !fresh || !strings.Contains(body, `"status":"booked"`) {
		t.Errorf("boxoffice_guest over TLS: new cookie %v, seat %s; want it ignored: a new guest, who sees A1 taken", fresh, body)
	}
}

// Over plain HTTP the cookie keeps its name, without Secure; behind a proxy
// whose X-Forwarded-Proto the operator trusts (--trust-forwarded-proto, or
// the peer listed in --trusted-proxies), https makes it a __Host- cookie,
// and an untrusted header changes nothing.
func TestGuestCookieNameFollowsTLS(t *testing.T) {
	loopback := []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} // the test client's peer address
	elsewhere := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	for _, tc := range []struct {
		trust   bool
		proxies []netip.Prefix
		proto   string
		wantSet string
	}{
		{false, nil, "", "boxoffice_guest="},
		{false, nil, "https", "boxoffice_guest="},
		{true, nil, "http", "boxoffice_guest="},
		{true, nil, "https", "__Host-boxoffice_guest="},
		{false, loopback, "https", "__Host-boxoffice_guest="},
		{false, loopback, "http, https", "__Host-boxoffice_guest="}, // the last value counts
		{false, loopback, "https, http", "boxoffice_guest="},
		{false, elsewhere, "https", "boxoffice_guest="},
	} {
		e := newEnvWith(t, testLayout, func(c *web.Config) {
			c.TrustForwardedProto, c.TrustedProxies = tc.trust, tc.proxies
		}, (*httptest.Server).Start)
		r := e.guest().do("GET", "/api/shows/"+openShow, "", "", "X-Forwarded-Proto", tc.proto)
		set := r.header.Get("Set-Cookie")
		secure := strings.Contains(set, "; Secure")
		if !strings.HasPrefix(set, tc.wantSet) || secure != (tc.wantSet != "boxoffice_guest=") {
			t.Errorf("trust %v, proxies %v, X-Forwarded-Proto %q: Set-Cookie %q, want %s… (Secure only under TLS)", tc.trust, tc.proxies, tc.proto, set, tc.wantSet)
		}
	}
}
