package web_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"boxoffice/web"
)

// adminRoute is one admin route with a request it would accept.
type adminRoute struct{ method, path, body string }

var adminRoutes = []adminRoute{
	{"GET", "/api/admin/programme", ""},
	{"PUT", "/api/admin/programme", `{"halls":[],"shows":[]}`},
	{"PUT", "/api/admin/halls/studio", `{"name":"Studio","layout":"A ss\n"}`},
	{"DELETE", "/api/admin/halls/studio", ""},
	{"PUT", "/api/admin/shows/" + openShow, `{"title":"Open Film","hall":"h","starts_at":"2030-01-01T20:00:00Z"}`},
	{"DELETE", "/api/admin/shows/" + openShow, ""},
	{"GET", "/api/admin/shows/" + openShow + "/bookings", ""},
	{"POST", "/api/admin/shows/" + openShow + "/release", `{"seats":["A1"]}`},
	{"DELETE", "/api/admin/shows/" + openShow + "/guests/0123456789ab", ""},
	{"POST", "/api/admin/tickets/7KQ2-ABCD-EFGH/admit", ""}, // the door's too: doorRoutes
}

func (r adminRoute) ctype() string {
	if r.body == "" {
		return ""
	}
	return "application/json"
}

// Without a token configured the admin API does not exist: every route is
// 404, whatever the request carries.
func TestAdminAbsentWithoutToken(t *testing.T) {
	e := newEnv(t, testLayout)
	for _, r := range adminRoutes {
		got := e.guest().admin(r.method, r.path, r.ctype(), r.body)
		if p := wantProblem(t, got, 404); p["type"] != "/problems/not-found" {
			t.Errorf("%s %s: type %v", r.method, r.path, p["type"])
		}
	}
	if _, err := web.NewHandler(web.Config{Store: e.store, Hub: e.hub, AdminToken: strings.Repeat("x", 31)}); err == nil {
		t.Error("NewHandler took an admin token of 31 characters")
	}
}

// A missing or wrong token is 401 with WWW-Authenticate: Bearer, on every
// route; the right one gets through; no admin answer sets a guest cookie.
func TestAdminNeedsToken(t *testing.T) {
	e := newAdminEnv(t, nil)
	for i, r := range adminRoutes {
		name := r.method + " " + r.path
		for _, header := range [][]string{nil, {"Authorization", "Bearer " + strings.Repeat("y", len(adminToken))},
			{"Authorization", "Basic " + adminToken}, {"Authorization", adminToken}} {
			g := e.guestFrom(fmt.Sprintf("127.0.1.%d", i+1)) // a bucket of failures per route: 4 are below 5
			got := g.do(r.method, r.path, r.ctype(), r.body, header...)
			if p := wantProblem(t, got, 401); p["type"] != "/problems/unauthorized" {
				t.Errorf("%s with %v: type %v", name, header, p["type"])
			}
			if a := got.header.Get("WWW-Authenticate"); !strings.HasPrefix(a, "Bearer") {
				t.Errorf("%s with %v: WWW-Authenticate %q", name, header, a)
			}
		}
		got := e.guest().admin(r.method, r.path, r.ctype(), r.body)
		if got.status == 401 || got.status == 404 && strings.Contains(string(got.body), "There is nothing at") {
			t.Errorf("%s with the token: %d %s", name, got.status, got.body)
		}
		if c := got.header.Values("Set-Cookie"); len(c) > 0 {
			t.Errorf("%s set a cookie: %q", name, c)
		}
	}
}

// The sixth wrong token within a minute is 429 with Retry-After, and so is
// the right one until the bucket refills: the limit comes before the check.
// Other addresses are not affected.
func TestAdminFailedTokensLimited(t *testing.T) {
	clock := newClock()
	e := newAdminEnv(t, func(c *web.Config) { c.Now = clock.Now })
	g := e.guestFrom("127.0.0.3")
	wrong := []string{"Authorization", "Bearer wrong"}
	for i := range 5 {
		if got := g.do("GET", "/api/admin/programme", "", "", wrong...); got.status != 401 {
			t.Fatalf("wrong token %d: %d, want 401", i+1, got.status)
		}
	}
	got := g.do("GET", "/api/admin/programme", "", "", wrong...)
	if p := wantProblem(t, got, 429); p["type"] != "/problems/too-many-requests" {
		t.Errorf("6th wrong token: type %v", p["type"])
	}
	if ra := got.header.Get("Retry-After"); ra != "12" {
		t.Errorf("Retry-After %q, want 12 (one failure every 12 s)", ra)
	}
	if got := g.admin("GET", "/api/admin/programme", "", ""); got.status != 429 {
		t.Errorf("the right token while over the limit: %d, want 429", got.status)
	}
	if got := e.guestFrom("127.0.0.4").admin("GET", "/api/admin/programme", "", ""); got.status != 200 {
		t.Errorf("another address: %d, want 200", got.status)
	}
	clock.Add(12 * time.Second)
	if got := g.admin("GET", "/api/admin/programme", "", ""); got.status != 200 {
		t.Errorf("the right token after the wait: %d, want 200", got.status)
	}
	// Successes take nothing: many in a row all pass.
	for range 10 {
		if got := g.admin("GET", "/api/admin/programme", "", ""); got.status != 200 {
			t.Fatalf("the right token again: %d", got.status)
		}
	}
}

// A request from another site carrying the bearer token passes the
// cross-origin check (a browser cannot be made to send it); without it the
// request is refused, and the bearer header exempts no guest route.
func TestAdminCrossOrigin(t *testing.T) {
	e := newAdminEnv(t, nil)
	cross := []string{"Sec-Fetch-Site", "cross-site"}
	body := `{"name":"Studio","layout":"A ss\n"}`
	if got := e.guest().admin("PUT", "/api/admin/halls/studio", "application/json", body, cross...); got.status != 201 {
		t.Errorf("cross-site with the token: %d %s, want 201", got.status, got.body)
	}
	if got := e.guest().do("PUT", "/api/admin/halls/studio", "application/json", body, cross...); got.status != 403 && got.status != 401 {
		t.Errorf("cross-site without the token: %d, want 403 or 401", got.status)
	}
	if got := e.guest().admin("PUT", "/api/shows/"+openShow+"/seats/A1", "", "", cross...); got.status != 403 {
		t.Errorf("a guest route cross-site with the bearer header: %d, want 403", got.status)
	}
	// Spelled to look like an admin path, it is still the guest route.
	if got := e.guest().admin("PUT", "/api/admin/../shows/"+openShow+"/seats/A1", "", "", cross...); got.status == 200 {
		t.Errorf("a guest route spelled under /api/admin/ was booked cross-site")
	}
}

// Admin bodies may reach 1 MiB; guests' keep their 4 kB.
func TestAdminBodyLimit(t *testing.T) {
	e := newAdminEnv(t, nil)
	doc := func(size int) string {
		head, tail := `{"halls":[{"id":"big","name":"Big","layout":"A ss\n"}],"shows":[]`, "}"
		return head + strings.Repeat(" ", size-len(head)-len(tail)) + tail
	}
	if got := e.guest().admin("PUT", "/api/admin/programme", "application/json", doc(1<<20)); got.status != 200 {
		t.Errorf("a 1 MiB programme: %d %.200s, want 200", got.status, got.body)
	}
	if got := e.guest().admin("PUT", "/api/admin/programme", "application/json", doc(1<<20+1)); got.status != 413 {
		t.Errorf("a programme over 1 MiB: %d, want 413", got.status)
	}
	pad := `{"seats":["A1"],"pad":"` + strings.Repeat("x", 5000) + `"}`
	if got := e.guest().bookMany(openShow, pad); got.status != 413 {
		t.Errorf("a guest body over 4 kB: %d, want 413", got.status)
	}
	if got := e.guest().admin("POST", "/api/shows/"+openShow+"/bookings", "application/json", pad); got.status != 413 {
		t.Errorf("a guest body over 4 kB with the admin token: %d, want 413", got.status)
	}
}

// Each admin change logs one INFO line naming the action, the target, the
// client address and the request id.
func TestAdminChangeLogged(t *testing.T) {
	l := newLimited(t, func(c *web.Config) {
		c.AdminToken = adminToken
	})
	req := httptest.NewRequest("PUT", "/api/admin/halls/studio", strings.NewReader(`{"name":"Studio","layout":"A ss\n"}`))
	req.RemoteAddr = "192.0.2.9:1234"
	req.Header.Set("Authorization", "Bearer "+adminToken)
	rec := httptest.NewRecorder()
	l.h.ServeHTTP(rec, req)
	if rec.Code != 201 {
		t.Fatalf("PUT hall: %d %s", rec.Code, rec.Body)
	}
	id := rec.Header().Get("X-Request-Id")
	lines := l.log.lines("admin change")
	if len(lines) != 1 {
		t.Fatalf("%d admin change lines, want 1: %q", len(lines), lines)
	}
	for _, want := range []string{"level=INFO", "action=\"create hall\"", "target=hall:studio", "by=admin", "client=192.0.2.9", "request_id=" + id} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("the line lacks %s: %s", want, lines[0])
		}
	}
}

// adminJSON decodes an admin answer of the given status.
func adminJSON(t *testing.T, r response, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %s: %v", r.body, err)
	}
	return m
}
