package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"boxoffice/web"
)

// doorRoutes are the routes the door token opens, with a request each.
var doorRoutes = []adminRoute{
	{"POST", "/api/admin/tickets/7KQ2-ABCD-EFGH/admit", ""},
	{"GET", "/admin/door", ""},
	{"POST", "/admin/door", "code=7KQ2-ABCD-EFGH"},
	{"POST", "/tickets/7KQ2-ABCD-EFGH/admit", ""},
}

// isDoorRoute tells a door route of the tables from the operator's alone.
func isDoorRoute(r adminRoute) bool {
	for _, d := range doorRoutes {
		if d.method == r.method && d.path == r.path {
			return true
		}
	}
	return false
}

// staffRoutesUncovered returns the patterns of routes.go behind a staff
// guard (the admin API and pages, the door, a ticket's Admit button) that
// none of the requests given reaches: a route added there must join the
// tables, or the role tests would not know of it.
func staffRoutesUncovered(t *testing.T, tables ...[]adminRoute) []string {
	t.Helper()
	mux := http.NewServeMux()
	var staff []string
	for _, p := range routePatterns(t) {
		_, path, _ := strings.Cut(p, " ")
		if strings.HasPrefix(path, "/api/admin/") || strings.HasPrefix(path, "/admin") || strings.HasSuffix(path, "/admit") {
			staff = append(staff, p)
			mux.Handle(p, http.NotFoundHandler())
		}
	}
	covered := map[string]bool{}
	for _, table := range tables {
		for _, r := range table {
			if _, pattern := mux.Handler(httptest.NewRequest(r.method, r.path, nil)); pattern != "" {
				covered[pattern] = true
			}
		}
	}
	var missing []string
	for _, p := range staff {
		if !covered[p] {
			missing = append(missing, p)
		}
	}
	return missing
}

// The door token, bearer or session, gets 403 /problems/forbidden from
// every admin route and page but the door's, and reaches those; the admin
// token reaches all. Every staff route of routes.go is in the tables.
func TestDoorTokenOpensOnlyTheDoor(t *testing.T) {
	e := doorEnv(t, newClock(), nil)
	homeAndSession := []adminRoute{{"GET", "/admin", ""}, {"POST", "/admin/sign-in", ""}, {"POST", "/admin/sign-out", ""}}
	if missing := staffRoutesUncovered(t, adminRoutes, adminPageRoutes, doorRoutes, homeAndSession); len(missing) > 0 {
		t.Fatalf("staff routes that the role tests do not cover: add them to adminRoutes, adminPageRoutes or doorRoutes:\n\t%s",
			strings.Join(missing, "\n\t"))
	}

	bearer := e.guest()
	session := e.guest()
	wantRedirect(t, "signing in with the door token", session.signIn(doorToken), "/admin/door")
	for _, r := range adminRoutes {
		if isDoorRoute(r) {
			continue
		}
		name := r.method + " " + r.path
		if p := wantProblem(t, bearer.door(r.method, r.path, "Content-Type", r.ctype()), 403); p["type"] != "/problems/forbidden" {
			t.Errorf("%s with the door token: type %v", name, p["type"])
		}
		got := session.do(r.method, r.path, r.ctype(), r.body, "Accept", "application/json")
		if p := wantProblem(t, got, 403); p["type"] != "/problems/forbidden" {
			t.Errorf("%s with a door session: type %v", name, p["type"])
		}
	}
	for _, r := range append([]adminRoute{{"GET", "/admin", ""}}, adminPageRoutes...) {
		got := session.do(r.method, r.path, formCT, r.body)
		if got.status != 403 || !strings.Contains(string(got.body), "door") {
			t.Errorf("%s %s with a door session: %d, want 403 naming the door", r.method, r.path, got.status)
		}
	}

	admit := doorRoutes[0].path
	for name, got := range map[string]response{
		"the door token":   bearer.door("POST", admit),
		"a door session":   session.do("POST", admit, "", ""),
		"the admin token":  e.guest().admin("POST", admit, "", ""),
		"an admin session": e.operator().do("POST", admit, "", ""),
	} {
		if p := wantProblem(t, got, 404); p["detail"] != "There is no such ticket." {
			t.Errorf("the admit route with %s: %v, want it reached (no such ticket)", name, p["detail"])
		}
	}
	for _, g := range []*guest{session, e.operator()} {
		for _, r := range doorRoutes[1:] {
			if got := g.do(r.method, r.path, formCT, r.body); got.status == 303 || got.status == 401 || got.status == 403 {
				t.Errorf("%s %s with a staff session: %d, want it reached", r.method, r.path, got.status)
			}
		}
	}

	// The operator's token still reaches every route, the door's included.
	op := e.operator()
	for _, r := range adminRoutes {
		if got := e.guest().admin(r.method, r.path, r.ctype(), r.body); got.status == 401 || got.status == 403 {
			t.Errorf("%s %s with the admin token: %d", r.method, r.path, got.status)
		}
	}
	for _, r := range adminPageRoutes {
		if got := op.do(r.method, r.path, formCT, r.body); got.status == 401 || got.status == 403 {
			t.Errorf("%s %s with an admin session: %d", r.method, r.path, got.status)
		}
	}
}

// A wrong token at the admit route is a failure like any other, and five
// of them lock the address out, the door token too; the door token's 403s
// elsewhere are no failures.
func TestDoorTokenFailures(t *testing.T) {
	e := doorEnv(t, newClock(), nil)
	admit := doorRoutes[0].path
	g := e.guestFrom("127.0.3.1")
	for i := range 5 {
		if got := g.do("POST", admit, "", "", "Authorization", "Bearer "+strings.Repeat("d", len(doorToken))); got.status != 401 {
			t.Fatalf("wrong token %d: %d, want 401", i+1, got.status)
		}
	}
	if got := g.door("POST", admit); got.status != 429 {
		t.Errorf("the door token after five failures: %d, want 429", got.status)
	}
	h := e.guestFrom("127.0.3.2")
	for range 10 {
		if got := h.door("GET", "/api/admin/programme"); got.status != 403 {
			t.Fatalf("the door token at the programme: %d, want 403", got.status)
		}
	}
	if got := h.admin("GET", "/api/admin/programme", "", ""); got.status != 200 {
		t.Errorf("the admin token after ten door refusals: %d, want 200", got.status)
	}
}

// A server without a door token knows none: a token that would be one is
// a wrong token, at the admit route and at sign-in.
func TestDoorTokenAbsent(t *testing.T) {
	e, _ := newPagesEnv(t, nil, nil)
	g := e.guestFrom("127.0.3.3")
	if got := g.door("POST", doorRoutes[0].path); got.status != 401 {
		t.Errorf("the admit route with a door token the server lacks: %d, want 401", got.status)
	}
	if got := g.door("GET", "/api/admin/programme"); got.status != 401 {
		t.Errorf("an admin route with a door token the server lacks: %d, want 401", got.status)
	}
	if got := g.signIn(doorToken); got.status != 401 {
		t.Errorf("signing in with a door token the server lacks: %d, want 401", got.status)
	}
	if _, err := web.NewHandler(web.Config{Store: e.store, Hub: e.hub, AdminToken: adminToken, DoorToken: adminToken}); err == nil {
		t.Error("NewHandler took a door token equal to the admin token")
	}
	if _, err := web.NewHandler(web.Config{Store: e.store, Hub: e.hub, AdminToken: adminToken, DoorToken: strings.Repeat("d", 31)}); err == nil {
		t.Error("NewHandler took a door token of 31 characters")
	}
}

// Door sessions live in the database like the operator's: another instance
// with the same door token honours them, one started with a new door token
// ends them (and leaves the operator's sessions be).
func TestDoorSessionsEndWithTheirToken(t *testing.T) {
	ss := newSessions()
	a, _ := newPagesEnv(t, ss, func(c *web.Config) { c.DoorToken = doorToken })
	usher := a.guest()
	wantRedirect(t, "signing in with the door token", usher.signIn(doorToken), "/admin/door")
	op := a.operator()
	cookieOf := func(g *guest) []string {
		return []string{"Cookie", "boxoffice_admin=" + g.c.Jar.Cookies(mustURL(t, a.srv.URL))[0].Value}
	}
	admit := doorRoutes[0].path

	same, _ := newPagesEnv(t, ss, func(c *web.Config) { c.DoorToken = doorToken })
	if p := wantProblem(t, same.guest().do("POST", admit, "", "", cookieOf(usher)...), 404); p["detail"] != "There is no such ticket." {
		t.Errorf("another instance, same door token: %v", p["detail"])
	}
	other, _ := newPagesEnv(t, ss, func(c *web.Config) { c.DoorToken = strings.Repeat("n", 40) })
	if got := other.guest().do("POST", admit, "", "", cookieOf(usher)...); got.status != 401 {
		t.Errorf("the admit route on an instance with a new door token: %d, want 401", got.status)
	}
	wantRedirect(t, "the door page on an instance with a new door token",
		other.guest().do("GET", "/admin/door", "", "", cookieOf(usher)...), "/admin")
	if got := other.guest().do("GET", "/admin/halls", "", "", cookieOf(op)...); got.status != 200 {
		t.Errorf("the operator's session on an instance with a new door token: %d, want 200", got.status)
	}
	none, _ := newPagesEnv(t, ss, nil)
	wantRedirect(t, "the door page on an instance without a door token",
		none.guest().do("GET", "/admin/door", "", "", cookieOf(usher)...), "/admin")
}
