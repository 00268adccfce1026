package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"boxoffice/web"
)

const formCT = "application/x-www-form-urlencoded"

// adminPageRoutes is every admin page route with a request it would accept.
var adminPageRoutes = []adminRoute{
	{"GET", "/admin/halls", ""},
	{"GET", "/admin/shows/new", ""},
	{"POST", "/admin/shows", "id=x&title=X&hall=h&starts_at=2030-01-01T20:00&sales=open"},
	{"GET", "/admin/shows/" + openShow, ""},
	{"POST", "/admin/shows/" + openShow, "title=Open+Film&hall=h&starts_at=2030-01-01T20:00&sales=open"},
	{"POST", "/admin/shows/" + openShow + "/release", "seat=A1&confirm=yes"},
	{"POST", "/admin/shows/" + openShow + "/guests/0123456789ab/release", "confirm=yes"},
	{"POST", "/admin/shows/" + openShow + "/cancel", "confirm=yes"},
}

// newPagesEnv is an admin test server whose store keeps sessions in ss (a
// new set when nil).
func newPagesEnv(t *testing.T, ss *sessions, configure func(*web.Config)) (*env, *sessions) {
	t.Helper()
	if ss == nil {
		ss = newSessions()
	}
	e := newAdminEnv(t, func(c *web.Config) {
		withSessions(c, ss)
		if configure != nil {
			configure(c)
		}
	})
	return e, ss
}

// signIn signs g in with token and returns the answer.
func (g *guest) signIn(token string, header ...string) response {
	g.e.t.Helper()
	return g.do("POST", "/admin/sign-in", formCT, url.Values{"token": {token}}.Encode(), header...)
}

// operator is a guest signed in to the admin pages.
func (e *env) operator() *guest {
	e.t.Helper()
	g := e.guest()
	if r := g.signIn(adminToken); r.status != http.StatusSeeOther {
		e.t.Fatalf("signing in: %d %s", r.status, r.body)
	}
	return g
}

// wantRedirect checks a 303 to where.
func wantRedirect(t *testing.T, name string, r response, where string) {
	t.Helper()
	if r.status != http.StatusSeeOther || r.header.Get("Location") != where {
		t.Errorf("%s: %d to %q, want 303 to %q", name, r.status, r.header.Get("Location"), where)
	}
}

// With no admin token configured, every admin page answers 404, sign-in
// included.
func TestAdminPagesAbsentWithoutToken(t *testing.T) {
	e := newEnvWith(t, testLayout, func(c *web.Config) { withSessions(c, newSessions()) }, (*httptest.Server).Start)
	g := e.guest()
	routes := append([]adminRoute{{"GET", "/admin", ""}, {"POST", "/admin/sign-in", "token=" + adminToken},
		{"POST", "/admin/sign-out", ""}}, adminPageRoutes...)
	for _, r := range routes {
		if got := g.do(r.method, r.path, formCT, r.body); got.status != 404 {
			t.Errorf("%s %s without a token configured: %d, want 404", r.method, r.path, got.status)
		}
	}
}

// Without a session every admin page sends the browser to the sign-in form,
// and GET /admin is that form; a bearer token is no way into the pages.
func TestAdminPagesNeedSession(t *testing.T) {
	e, _ := newPagesEnv(t, nil, nil)
	g := e.guest()
	for _, r := range adminPageRoutes {
		wantRedirect(t, r.method+" "+r.path, g.do(r.method, r.path, formCT, r.body), "/admin")
		wantRedirect(t, r.method+" "+r.path+" with the bearer token",
			g.admin(r.method, r.path, formCT, r.body), "/admin")
	}
	got := g.do("GET", "/admin", "", "")
	if got.status != 200 || !strings.Contains(string(got.body), `action="/admin/sign-in"`) {
		t.Errorf("GET /admin without a session: %d, want the sign-in form", got.status)
	}
}

// Signing in with the token opens a session: its cookie is HttpOnly,
// SameSite=Strict, Path=/, 12 hours, named boxoffice_admin over plain HTTP
// and __Host-boxoffice_admin, Secure, over TLS; then the pages answer, with
// no-store and same-origin referrers.
func TestAdminSignIn(t *testing.T) {
	for _, tc := range []struct {
		name   string
		start  func(*httptest.Server)
		cookie string
		secure bool
	}{
		{"plain HTTP from loopback", (*httptest.Server).Start, "boxoffice_admin", false},
		{"TLS", (*httptest.Server).StartTLS, "__Host-boxoffice_admin", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ss := newSessions()
			e := newEnvWith(t, testLayout, func(c *web.Config) { c.AdminToken = adminToken; withSessions(c, ss) }, tc.start)
			g := e.guest()
			got := g.signIn(adminToken)
			wantRedirect(t, "sign-in", got, "/admin")
			set := got.header.Values("Set-Cookie")
			if len(set) != 1 {
				t.Fatalf("Set-Cookie %q, want one", set)
			}
			c, err := http.ParseSetCookie(set[0])
			if err != nil {
				t.Fatal(err)
			}
			if c.Name != tc.cookie || len(c.Value) != 43 || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode ||
				c.Path != "/" || c.MaxAge != 43200 || c.Secure != tc.secure || c.Domain != "" {
				t.Errorf("the session cookie: %s", set[0])
			}
			if ss.count() != 1 {
				t.Errorf("%d sessions stored, want 1", ss.count())
			}
			for _, path := range []string{"/admin", "/admin/halls", "/admin/shows/new", "/admin/shows/" + openShow} {
				r := g.do("GET", path, "", "")
				if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
					t.Errorf("GET %s signed in: %d %s", path, r.status, r.header.Get("Content-Type"))
				}
				if cc, rp := r.header.Get("Cache-Control"), r.header.Get("Referrer-Policy"); cc != "no-store" || rp != "same-origin" {
					t.Errorf("GET %s: Cache-Control %q, Referrer-Policy %q", path, cc, rp)
				}
			}
			if r := g.do("GET", "/admin", "", ""); !strings.Contains(string(r.body), "<h1>Programme</h1>") {
				t.Errorf("GET /admin signed in is not the programme: %.300s", r.body)
			}
		})
	}
}

// Over plain HTTP only a peer on the machine itself may sign in; a
// forwarded address saying loopback does not count. A wrong token is a 401
// page that opens nothing.
func TestAdminSignInRefused(t *testing.T) {
	ss := newSessions()
	l := newLimited(t, func(c *web.Config) {
		c.AdminToken = adminToken
		withSessions(c, ss)
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	})
	form := "token=" + url.QueryEscape(adminToken)
	for _, tc := range []struct {
		name, remote string
		header       []string
		want         int
	}{
		{"a remote peer", "198.51.100.7:4000", nil, 403},
		{"a proxy forwarding loopback", "192.0.2.1:4000", []string{"X-Forwarded-For", "127.0.0.1"}, 403},
		{"a remote peer saying https, untrusted", "198.51.100.8:4000", []string{"X-Forwarded-Proto", "https"}, 403},
		{"loopback", "127.0.0.1:4000", nil, 303},
		{"IPv6 loopback", "[::1]:4000", nil, 303},
	} {
		req := httptest.NewRequest("POST", "/admin/sign-in", strings.NewReader(form))
		req.RemoteAddr = tc.remote
		req.Header.Set("Content-Type", formCT)
		for i := 0; i+1 < len(tc.header); i += 2 {
			req.Header.Set(tc.header[i], tc.header[i+1])
		}
		rec := httptest.NewRecorder()
		l.h.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, rec.Code, tc.want)
		}
		if tc.want == 403 && len(rec.Header().Values("Set-Cookie")) > 0 {
			t.Errorf("%s: a cookie was set", tc.name)
		}
	}
	if ss.count() != 2 {
		t.Errorf("%d sessions, want 2 (the loopback sign-ins)", ss.count())
	}

	e, ss2 := newPagesEnv(t, nil, nil)
	got := e.guest().signIn("not-the-token")
	if got.status != 401 || !strings.HasPrefix(got.header.Get("Content-Type"), "text/html") ||
		!strings.Contains(string(got.body), "not the admin token") {
		t.Errorf("a wrong token: %d %s %.200s, want the 401 page", got.status, got.header.Get("Content-Type"), got.body)
	}
	if len(got.header.Values("Set-Cookie")) > 0 || ss2.count() != 0 {
		t.Errorf("a wrong token opened a session")
	}
}

// Failed sign-ins take from the address's bucket of failed bearer tokens:
// together, five a minute; then 429 with Retry-After, the right token too.
func TestAdminSignInLimited(t *testing.T) {
	clock := newClock()
	e, _ := newPagesEnv(t, nil, func(c *web.Config) { c.Now = clock.Now })
	g := e.guestFrom("127.0.0.5")
	for range 3 {
		if r := g.do("GET", "/api/admin/programme", "", "", "Authorization", "Bearer wrong"); r.status != 401 {
			t.Fatalf("a wrong bearer token: %d", r.status)
		}
	}
	for range 2 {
		if r := g.signIn("wrong"); r.status != 401 {
			t.Fatalf("a wrong sign-in: %d", r.status)
		}
	}
	got := g.signIn(adminToken)
	if got.status != 429 || got.header.Get("Retry-After") != "12" {
		t.Errorf("signing in after 5 failures: %d, Retry-After %q; want 429, 12", got.status, got.header.Get("Retry-After"))
	}
	if got := e.guestFrom("127.0.0.6").signIn(adminToken); got.status != 303 {
		t.Errorf("another address: %d, want 303", got.status)
	}
	clock.Add(12 * time.Second)
	if got := g.signIn(adminToken); got.status != 303 {
		t.Errorf("after the wait: %d, want 303", got.status)
	}
}

// Signing out deletes the session, so that its cookie, replayed, opens
// nothing, and clears the cookie.
func TestAdminSignOut(t *testing.T) {
	e, ss := newPagesEnv(t, nil, nil)
	g := e.operator()
	cookie := g.c.Jar.Cookies(mustURL(t, e.srv.URL))
	got := g.do("POST", "/admin/sign-out", "", "")
	wantRedirect(t, "sign-out", got, "/admin")
	c, err := http.ParseSetCookie(got.header.Get("Set-Cookie"))
	if err != nil || c.Name != "boxoffice_admin" || c.MaxAge >= 0 {
		t.Errorf("sign-out's cookie: %q", got.header.Get("Set-Cookie"))
	}
	if ss.count() != 0 {
		t.Errorf("%d sessions after sign-out, want 0", ss.count())
	}
	replay := e.guest()
	replay.c.Jar.SetCookies(mustURL(t, e.srv.URL), cookie)
	wantRedirect(t, "the old cookie replayed", replay.do("GET", "/admin/halls", "", ""), "/admin")
}

// Sessions live in the database: another instance honours them, one started
// with a new token refuses them, and none outlives 12 hours.
func TestAdminSessionsShared(t *testing.T) {
	clock := newClock()
	ss := newSessions()
	a, _ := newPagesEnv(t, ss, func(c *web.Config) { c.Now = clock.Now })
	op := a.operator()
	value := op.c.Jar.Cookies(mustURL(t, a.srv.URL))[0].Value
	cookie := []string{"Cookie", "boxoffice_admin=" + value}

	same, _ := newPagesEnv(t, ss, func(c *web.Config) { c.Now = clock.Now })
	if r := same.guest().do("GET", "/admin/halls", "", "", cookie...); r.status != 200 {
		t.Errorf("another instance, same token: %d, want 200", r.status)
	}
	newToken := strings.Repeat("n", 40)
	other, _ := newPagesEnv(t, ss, func(c *web.Config) { c.AdminToken, c.Now = newToken, clock.Now })
	wantRedirect(t, "an instance with a new token", other.guest().do("GET", "/admin/halls", "", "", cookie...), "/admin")
	if r := other.guest().do("GET", "/api/admin/programme", "", "", cookie...); r.status != 401 {
		t.Errorf("the API of an instance with a new token: %d, want 401", r.status)
	}

	clock.Add(12*time.Hour - time.Second)
	if r := op.do("GET", "/admin/halls", "", ""); r.status != 200 {
		t.Errorf("just before 12 hours: %d, want 200", r.status)
	}
	clock.Add(time.Second)
	wantRedirect(t, "after 12 hours", op.do("GET", "/admin/halls", "", ""), "/admin")
}

// The admin API takes the session cookie as it takes the bearer token, but
// the cookie, which a browser attaches to requests other sites make it
// send, does not pass the cross-origin check.
func TestAdminAPIWithSession(t *testing.T) {
	e, _ := newPagesEnv(t, nil, nil)
	op := e.operator()
	if r := op.do("GET", "/api/admin/programme", "", ""); r.status != 200 {
		t.Errorf("the API with the session cookie: %d, want 200", r.status)
	}
	body := `{"name":"Studio","layout":"A ss\n"}`
	if r := op.do("PUT", "/api/admin/halls/studio", "application/json", body); r.status != 201 {
		t.Errorf("a PUT with the session cookie: %d %s, want 201", r.status, r.body)
	}
	if r := op.do("PUT", "/api/admin/halls/studio", "application/json", body, "Sec-Fetch-Site", "cross-site"); r.status != 403 {
		t.Errorf("a cross-site PUT with the session cookie: %d, want 403", r.status)
	}
	if r := op.do("POST", "/admin/shows/"+openShow+"/cancel", formCT, "confirm=yes", "Sec-Fetch-Site", "cross-site"); r.status != 403 {
		t.Errorf("a cross-site form with the session cookie: %d, want 403", r.status)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
